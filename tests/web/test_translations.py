"""Polish and Ukrainian: complete catalogues, a template that matches the source, placeholders
kept, and public pages that come out in the family's language.

Which strings are public (and so must be translated before release): every entry of
translations/messages.pot is public unless ALL of its source locations (the `#:` lines)
are under STAFF_ONLY below: the provider, admin and sign-in areas and the open-data API,
whose pages are shown in English only (app.i18n.ENGLISH_ONLY_BLUEPRINTS), and the few
staff-only files kept elsewhere, listed by name. Everything
else is public: templates/ (public pages, search, shortlist, errors, components, the
referral journey in templates/referrals/), app/ (templating, search, public views,
referrals, services) and services.yml (the safeguarding message and the kinds of help).
A new folder is therefore public until it is added to STAFF_ONLY.

When these fail: run scripts/translations, translate what is listed in
translations/{pl,uk}/LC_MESSAGES/messages.po, and run scripts/translations again.
"""

import re
import tempfile
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import select

from app import i18n
from app.extensions import db
from app.models import Service
from app.web import templating
from app.web.public import search_views
from tests.conftest import _PageParser

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
LOCALES = ("pl", "uk")
STAFF_ONLY = (
    "templates/admin/", "templates/api/", "templates/auth/", "templates/provider/",
    "templates/providers/", "app/web/admin/", "app/web/api/", "app/web/auth/", "app/web/provider/",
    "app/providers/",
    # Staff-only files outside those folders (used by provider and admin pages only).
    "templates/components/listing_diff.html", "templates/components/listing_history.html",
    "templates/components/feedback_list.html",
    "app/web/listing_display.py", "app/directory/listing_fields.py",
)
# The extract options of scripts/translations (keep the two the same).
EXTRACT_OPTIONS = [
    "--mapping-file=babel.cfg", "--keyword=lazy_gettext", "--keyword=_l",
    "--keyword=lazy_ngettext:1,2", "--add-comments=TRANSLATORS:", "--add-location=file",
    "--sort-output", "--no-wrap", "--omit-header",
    "--ignore-dirs=.* ._ node_modules instance static tests bench migrations",
]
SAFEGUARDING = {
    "en": "If a child is in immediate danger, call 999",
    "pl": "Jeśli dziecku grozi bezpośrednie niebezpieczeństwo, zadzwoń pod numer 999",
    "uk": "Якщо дитині загрожує безпосередня небезпека, телефонуйте за номером 999",
}
MONTHS = {
    "pl": "stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października|"
          "listopada|grudnia",
    "uk": "січня|лютого|березня|квітня|травня|червня|липня|серпня|вересня|жовтня|листопада|грудня",
}


def read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def is_public(message) -> bool:
    files = [location for location, _line in message.locations]
    return not files or not all(file.startswith(STAFF_ONLY) for file in files)


def label(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def strings(value) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value or ())


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues() -> None:
    """The pages need the .mo files, which scripts/setup builds; build them here too if
    they are missing or older than their .po (fuzzy entries left out, as there)."""
    for locale in LOCALES:
        source, target = po_path(locale), po_path(locale).with_suffix(".mo")
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as file:
            write_mo(file, read_catalogue(source), use_fuzzy=False)
        Path(file.name).replace(target)


# -- the catalogues ----------------------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_header_and_plural_forms(locale):
    catalogue = read_catalogue(po_path(locale))
    assert str(catalogue.locale) == locale
    assert not catalogue.fuzzy, "a fuzzy header stops pybabel compile: remove '#, fuzzy' from it"
    expected = get_plural(locale)
    assert catalogue.num_plurals == expected.num_plurals == 3
    assert catalogue.plural_expr == expected.plural_expr


def untranslated_public(catalogue: Catalog) -> list[str]:
    return [
        ("fuzzy: " if message.fuzzy else "untranslated: ") + label(message)
        for message in catalogue
        if message.id and is_public(message)
        and (message.fuzzy or not all(strings(message.string))
             or len(strings(message.string)) != (catalogue.num_plurals if message.pluralizable else 1))
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_no_public_string_is_untranslated_or_fuzzy(locale):
    missing = untranslated_public(read_catalogue(po_path(locale)))
    assert not missing, (
        f"{len(missing)} public strings need a {Locale.parse(locale).english_name} translation in "
        f"{po_path(locale).relative_to(ROOT)}:\n  " + "\n  ".join(missing[:40]))


def test_public_rule_sees_every_kind_of_source():
    """The rule itself: staff pages are exempt, everything else (including services.yml and
    a file the referral journey will add) is public."""
    catalogue = Catalog()
    cases = {
        "staff": [("templates/provider/home.html", None), ("app/web/api/routes.py", None)],
        "both": [("templates/admin/x.html", None), ("templates/public/home.html", None)],
        "directory": [("services.yml", None)],
        "referral": [("templates/referrals/start.html", None)],
        "views": [("app/web/referrals/forms.py", None)],
    }
    for text, locations in cases.items():
        catalogue.add(text, locations=locations)
    assert {message.id for message in catalogue if message.id and is_public(message)} == {
        "both", "directory", "referral", "views"}


def test_catalogue_template_matches_the_source(tmp_path, monkeypatch):
    """translations/messages.pot is what scripts/translations extracts from the code now
    (the strings and the files they are in), and both catalogues were updated from it."""
    fresh = tmp_path / "messages.pot"
    monkeypatch.chdir(ROOT)  # as the script runs it: paths in the catalogue are relative
    status = CommandLineInterface().run(
        ["pybabel", "-q", "extract", *EXTRACT_OPTIONS, f"--output-file={fresh}", "."])
    assert status in (0, None)

    def entries(catalogue: Catalog) -> dict:
        return {(message.id, message.context): sorted({loc for loc, _ in message.locations})
                for message in catalogue if message.id}

    extracted, committed = entries(read_catalogue(fresh)), entries(
        read_catalogue(TRANSLATIONS / "messages.pot"))
    new = sorted(label_of(key) for key in extracted.keys() - committed.keys())
    gone = sorted(label_of(key) for key in committed.keys() - extracted.keys())
    moved = sorted(label_of(key) for key in extracted.keys() & committed.keys()
                   if extracted[key] != committed[key])
    assert not (new or gone or moved), (
        "translations/messages.pot is out of date: run scripts/translations\n"
        f"  new: {new[:10]}\n  gone: {gone[:10]}\n  in other files now: {moved[:10]}")
    for locale in LOCALES:
        assert entries(read_catalogue(po_path(locale))) == committed, (
            f"{po_path(locale).relative_to(ROOT)} was not updated from messages.pot: "
            "run scripts/translations")


def label_of(key: tuple) -> str:
    msgid = key[0]
    return msgid if isinstance(msgid, str) else msgid[0]


PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs%]")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def placeholder_problems(catalogue: Catalog) -> list[str]:
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        sources = strings(message.id)
        for index, translation in enumerate(strings(message.string)):
            if not translation:
                continue
            source = sources[min(index, len(sources) - 1)]
            if sorted(PLACEHOLDER.findall(translation)) != sorted(PLACEHOLDER.findall(source)):
                problems.append(f"placeholders differ: {source!r} -> {translation!r}")
            if sorted(TAG.findall(translation)) != sorted(TAG.findall(source)):
                problems.append(f"HTML differs: {source!r} -> {translation!r}")
    return problems


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_and_markup_survive_translation(locale):
    problems = placeholder_problems(read_catalogue(po_path(locale)))
    assert not problems, "\n".join(problems)


def test_the_checks_catch_a_broken_catalogue():
    catalogue = Catalog(locale="pl")
    catalogue.add("Opens today at %(time)s", "Otwarcie dziś", locations=[("app/web/templating.py", 1)])
    catalogue.add("Search", "Szukaj", locations=[("templates/base.html", 1)], flags=["fuzzy"])
    catalogue.add("Back", "", locations=[("templates/referrals/check.html", 1)])
    catalogue.add("Sign in", "", locations=[("templates/auth/sign_in.html", 1)])
    catalogue.add(("%(num)d week", "%(num)d weeks"), ("%(num)d tydzień", "%(num)d tygodnie", ""),
                  locations=[("app/web/templating.py", 1)])
    catalogue.add("Did you mean %(link)s?", "Czy chodziło o <b>%(link)s</b>?",
                  locations=[("templates/search/_notices.html", 1)])
    assert untranslated_public(catalogue) == [
        "fuzzy: Search", "untranslated: Back", "untranslated: %(num)d week"]
    assert [problem.split(":")[0] for problem in placeholder_problems(catalogue)] == [
        "placeholders differ", "HTML differs"]


# -- choosing the language ---------------------------------------------------------------

def page(response, locale: str) -> str:
    """What every public page must have, in the page's language."""
    assert response.status_code == 200, response.data[:300]
    html = response.get_data(as_text=True)
    parser = _PageParser()
    parser.feed(html)
    assert parser.h1_count == 1
    assert parser.title.strip()
    assert len(parser.ids) == len(set(parser.ids)), "duplicate ids"
    assert f'<html lang="{locale}"' in html
    assert SAFEGUARDING[locale] in html
    return html


def test_lang_parameter_translates_the_home_page_and_is_remembered(client, surrey):
    html = page(client.get("/?lang=pl"), "pl")
    assert "Znajdź wsparcie dla rodzin w Surrey" in html
    assert "Przeglądaj według rodzaju pomocy" in html
    assert "Wsparcie dla rodzin" in html  # a kind of help from services.yml
    assert "CSPA) – punktem kontaktowym" in html  # the whole safeguarding message
    assert "Find family support" not in html
    assert "Vary" in client.get("/?lang=pl").headers
    # Remembered in the session for the pages that follow, until changed.
    page(client.get("/cookies"), "pl")
    page(client.get("/?lang=en"), "en")
    page(client.get("/cookies"), "en")


def test_accept_language_chooses_when_nothing_is_remembered(client, surrey):
    html = page(client.get("/", headers={"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"}), "uk")
    assert "Знайдіть підтримку для сімей у Surrey" in html
    assert "Accept-Language" in client.get("/").headers.get("Vary", "")
    page(client.get("/", headers={"Accept-Language": "fr-FR,de;q=0.8"}), "en")
    page(client.get("/", headers={"Accept-Language": "en-GB,pl;q=0.9"}), "en")
    # A choice made with the switcher wins over the browser.
    client.get("/?lang=pl")
    page(client.get("/", headers={"Accept-Language": "uk"}), "pl")
    page(client.get("/?lang=xx", headers={"Accept-Language": "uk"}), "pl")


def test_switcher_keeps_the_page_and_its_query(client, surrey):
    html = page(client.get("/search?q=anxiety&postcode=GU21+6XX&lang=pl"), "pl")
    switcher = re.search(r'<nav class="app-language-switcher.*?</nav>', html, re.S).group(0)
    links = dict(re.findall(r'href="([^"]+)" hreflang="(\w+)"', switcher))
    assert sorted(links.values()) == ["en", "uk"], switcher
    for href, code in links.items():
        assert href.startswith("/search?") and "q=anxiety" in href and "postcode=GU21+6XX" in href
        assert href.endswith(f"lang={code}") and href.count("lang=") == 1
        assert f'lang="{code}"' in switcher
    assert '<span lang="pl" aria-current="true">Polski</span>' in switcher
    assert "Українська" in switcher and "English" in switcher
    # Following a link gives the same search in that language.
    ukrainian = page(client.get(next(h for h, c in links.items() if c == "uk").replace("&amp;", "&")), "uk")
    assert "Знайдено" in ukrainian or "Не знайдено" in ukrainian


def test_staff_and_developer_pages_stay_in_english(client, surrey):
    response = client.get("/developers?lang=pl", headers={"Accept-Language": "pl"})
    html = response.get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "app-language-switcher" not in html
    assert "Accept-Language" not in response.headers.get("Vary", "")


# -- translated pages ------------------------------------------------------------------------

def test_search_results_in_polish(client, surrey):
    html = page(client.get("/search?q=family+support&postcode=GU21+6XX&lang=pl"), "pl")
    assert re.search(r"Znaleziono \d+ usług", html)
    assert re.search(r"W odległości \d+,\d mili|W odległości mniejszej niż 0,1 mili", html)
    assert re.search(r"Czas oczekiwania: około \d+ tygodni|Przyjmuje zgłoszenia|Obecnie nie przyjmuje", html)
    assert "Wiek: od " in html
    assert "Waiting list of about" not in html and "services found" not in html
    # Listing text stays as the provider wrote it, marked as English.
    summaries = re.findall(r'<p class="govuk-body govuk-!-margin-bottom-1" lang="en">(.*?)</p>', html)
    written = {str(escape(service.summary)) for service in db.session.scalars(select(Service))}
    assert summaries and set(summaries) <= written


def test_service_page_in_ukrainian_with_dates_waits_and_the_services_languages(client, surrey):
    service = db.session.get(Service, "family-support-programme")
    html = page(client.get("/services/family-support-programme",
                           headers={"Accept-Language": "uk"}), "uk")
    assert "Час очікування: приблизно 3 тижні" in html  # 3: the "few" plural form
    assert re.search(rf"Підтверджено послугою \d{{1,2}} ({MONTHS['uk']}) \d{{4}} \(", html)
    assert re.search(rf"Цей запис востаннє перевірено \d{{1,2}} ({MONTHS['uk']}) \d{{4}}", html)
    assert "англійська, польська, урду, арабська" in html  # the service's own languages
    assert "Як отримати цю допомогу" in html
    assert f"<h1 class=\"govuk-heading-xl\">{service.name}</h1>" in html
    assert f'<p class="govuk-body-l" lang="en">{service.summary}</p>' in html
    assert "Інтенсивна цільова підтримка сімей" in html  # its kind of help, translated
    assert "How long is the wait?" not in html


def test_error_page_is_translated(client, surrey):
    response = client.get("/no-such-page?lang=pl")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Nie znaleziono strony" in html and '<html lang="pl"' in html


# -- formatting with Babel ------------------------------------------------------------------

class Waiting:
    status, weeks = "waitlist", 0


@pytest.mark.parametrize(("locale", "weeks", "expected"), [
    ("pl", 1, "około 1 tydzień"), ("pl", 3, "około 3 tygodnie"), ("pl", 6, "około 6 tygodni"),
    ("pl", 22, "około 22 tygodnie"), ("pl", 12, "około 12 tygodni"),
    ("uk", 1, "приблизно 1 тиждень"), ("uk", 21, "приблизно 21 тиждень"),
    ("uk", 3, "приблизно 3 тижні"), ("uk", 6, "приблизно 6 тижнів"), ("uk", 11, "приблизно 11 тижнів"),
    ("en", 1, "about 1 week"), ("en", 6, "about 6 weeks"),
])
def test_waiting_times_use_each_languages_plural_forms(app, locale, weeks, expected):
    from app.models import WaitingStatus

    waiting = Waiting()
    waiting.status, waiting.weeks = WaitingStatus.WAITLIST, weeks
    with app.test_request_context(), force_locale(locale):
        assert expected in templating.waiting_summary(waiting)


def test_dates_days_and_times_in_polish_and_ukrainian(app, monkeypatch):
    from datetime import date

    monkeypatch.setattr(templating, "today", lambda: date(2026, 3, 20))
    with app.test_request_context(), force_locale("pl"):
        assert templating.long_date(date(2026, 3, 3)) == "3 marca 2026"
        assert templating.days_ago(date(2026, 3, 17)) == "3 dni temu"
        assert templating.days_ago(date(2026, 3, 19)) == "wczoraj"
        assert templating.day_names(["mon", "wed", "sat"]) == "Poniedziałek, środa i sobota"
    with app.test_request_context(), force_locale("uk"):
        assert templating.long_date(date(2026, 3, 3)) == "3 березня 2026"
        assert templating.days_ago(date(2026, 3, 17)) == "3 дні тому"
        assert templating.day_names(["tue"]) == "Вівторок"
    with app.test_request_context(), force_locale("en"):
        assert templating.days_ago(date(2026, 3, 17)) == "3 days ago"
        assert templating.day_names(["mon", "fri"]) == "Monday and Friday"


def test_opening_on_a_later_day_reads_naturally(app, monkeypatch):
    from app.directory.opening import OpeningStatus

    monkeypatch.setattr(templating, "opening_status", lambda _s: OpeningStatus(False, "09:30", 3, 2))
    with app.test_request_context(), force_locale("pl"):
        assert templating.opening_text([]) == "Otwarcie w środę o 9:30"
    with app.test_request_context(), force_locale("uk"):
        assert templating.opening_text([]) == "Відчиняється в середу о 9:30"


def test_directory_text_untranslated_falls_back_safely(app):
    with app.test_request_context(), force_locale("pl"):
        assert i18n.directory_text("Health") == "Zdrowie"
        assert i18n.directory_text("A kind of help nobody translated") == "A kind of help nobody translated"
        fallback = str(i18n.safeguarding_html("Call 999 in an emergency. Call CSPA on 01632 960000."))
        assert fallback.startswith(SAFEGUARDING["pl"])
        assert '<span lang="en">Call 999 in an emergency. Call CSPA on 01632 960000.</span>' in fallback
    with app.test_request_context(), force_locale("en"):
        assert str(i18n.safeguarding_html("Call 999 & stay safe.")) == "Call 999 &amp; stay safe."


def test_switcher_links_after_a_form_answer_go_to_the_form_again(app):
    """A link cannot repeat a POST: after one, the links open the same address (its form
    keeps what was saved), or there are none where the address has no page."""
    with app.test_request_context("/shortlist/add?lang=uk", method="POST"):
        assert i18n.language_links() == []
    with app.test_request_context("/search?q=x&lang=uk", method="POST"):
        assert [link.href for link in i18n.language_links()] == ["/search?lang=en", "/search?lang=pl", None]
    with app.test_request_context("/search?q=x&lang=uk"):
        links = i18n.language_links()
        assert [link.code for link in links] == ["en", "pl", "uk"]
        assert links[2].href is None and links[0].href == "/search?q=x&lang=en"
    # A page never repeats an address on another site, even in its language links.
    with app.test_request_context("/services/x?back=https://evil.example/&x=1&lang=pl"):
        assert [link.href for link in i18n.language_links()] == [
            "/services/x?x=1&lang=en", None, "/services/x?x=1&lang=uk"]


def test_scripts_are_wired():
    setup = (ROOT / "scripts" / "setup").read_text()
    assert "pybabel" in setup and "compile" in setup
    script = (ROOT / "scripts" / "translations").read_text()
    for option in EXTRACT_OPTIONS:
        assert option.split("=")[0] in script, option
    assert "translations/*/LC_MESSAGES/*.mo" in (ROOT / ".gitignore").read_text()


def test_the_skip_link_and_page_links_are_read_out_in_the_pages_language(client, surrey, monkeypatch):
    monkeypatch.setattr(search_views, "PAGE_SIZE", 1)  # several pages of results
    html = page(client.get("/search?q=support&lang=pl"), "pl")
    assert "Skip to main content" not in html and "Przejdź do treści głównej" in html
    assert "govuk-pagination" in html
    assert 'aria-label="Pagination"' not in html and 'aria-label="Page ' not in html
    assert 'aria-label="Strony wyników"' in html and 'aria-label="Strona 2"' in html
