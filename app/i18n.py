"""Languages: which one a page is in, the language switcher, and the directory's own texts
(the safeguarding message, the kinds of help) in the family's language.

The public pages and the referral journey are in English, Polish and Ukrainian (LANGUAGES
in the config). A page's language is, in order: `?lang=` in the address (a switcher
link; remembered in the session from then on), the language remembered in the session,
the browser's Accept-Language, English. Staff pages (provider, admin, sign-in) and the
open-data API are in English only.

Listings stay as their providers wrote them. Texts that services.yml sets for the whole
directory are extracted by `extract_directory_texts` (see babel.cfg) and shown translated
when a catalogue has them, otherwise as written.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import yaml
from babel import negotiate_locale
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale, gettext, refresh
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

# Each language's name in that language, for the switcher.
LANGUAGE_NAMES = {"en": "English", "pl": "Polski", "uk": "Українська"}
# Blueprints whose pages are for staff or developers: always English, no switcher.
ENGLISH_ONLY_BLUEPRINTS = frozenset({"admin", "api", "auth", "provider", "providers"})
SESSION_KEY = "lang"


def is_english_only() -> bool:
    blueprint = (request.blueprint or "").split(".")[0]
    return blueprint in ENGLISH_ONLY_BLUEPRINTS


def select_locale() -> str | None:
    """Flask-Babel's locale selector (None: the default, English)."""
    if not has_request_context() or is_english_only():
        return None
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang", "")
    if chosen in languages:
        return chosen
    remembered = session.get(SESSION_KEY)
    if remembered in languages:
        return remembered
    # In the browser's order of preference, a regional variant matching its language
    # ("en-GB" is English, even when Polish comes second).
    preferred = [value for value in request.accept_languages.values() if value != "*"]
    return negotiate_locale(preferred, languages, sep="-")


def _remember_choice() -> None:
    # Flask-Babel keeps the locale on `g`, which outlives a request when an app context
    # was already pushed (as in the tests): choose afresh for every request.
    refresh()
    chosen = request.args.get("lang", "")
    if (chosen in current_app.config["LANGUAGES"] and not is_english_only()
            and session.get(SESSION_KEY) != chosen):
        session[SESSION_KEY] = chosen


def _forget_request_locale(_error: BaseException | None = None) -> None:
    refresh()


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    href: str | None  # None for the page's own language


def language_links() -> list[LanguageLink]:
    """The switcher: this page in each language, keeping its query string (except any
    value that is an address on another site: a page never repeats one). Empty on
    English-only pages. A page answering a form (such as a question with an error) links to
    the same address again, whose form keeps what was saved: a link cannot repeat a POST, and
    a family that cannot read the error must still be able to change language. Nothing when
    that address has no page (a POST-only action)."""
    if not has_request_context() or is_english_only():
        return []
    answering_a_form = request.method not in ("GET", "HEAD")
    if answering_a_form and not _has_page(request.path):
        return []
    current = str(get_locale() or "en")
    kept = [] if answering_a_form else [(key, value) for key, value in request.args.items(multi=True)
                                        if key != "lang" and not _is_address(value)]
    path = request.script_root + request.path
    return [
        LanguageLink(code, LANGUAGE_NAMES.get(code, code),
                     None if code == current else f"{path}?{urlencode([*kept, ('lang', code)])}")
        for code in current_app.config["LANGUAGES"]
    ]


def _has_page(path: str) -> bool:
    try:
        current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return False
    return True


def _is_address(value: str) -> bool:
    value = value.strip()
    return "://" in value or value.startswith("//")


def directory_text(text: str | None) -> str:
    """A text services.yml sets for the whole directory, in the page's language when the
    catalogue has it (looked up with its whitespace normalised), otherwise as written."""
    if not text:
        return text or ""
    key = " ".join(text.split())
    translated = gettext(key)
    return text if translated == key else translated


def safeguarding_html(text: str) -> Markup:
    """The safeguarding message in the page's language. If the catalogue lacks this
    directory's message, the essential sentence is given in the page's language and the
    message follows in English, marked as English."""
    translated = directory_text(text)
    if translated is not text or str(get_locale() or "en") == "en":
        return escape(translated)
    return Markup('{} <span lang="en">{}</span>').format(
        gettext("If a child is in immediate danger, call 999."), text)


def init_app(app: Flask) -> None:
    app.before_request(_remember_choice)
    app.teardown_request(_forget_request_locale)
    app.jinja_env.filters.update(directory_text=directory_text, safeguarding_html=safeguarding_html)

    @app.context_processor
    def language_context() -> dict[str, Any]:
        return {"html_lang": str(get_locale() or "en"), "language_links": language_links()}

    @app.after_request
    def vary_by_language(response):
        if request.endpoint != "static" and not is_english_only():
            response.vary.add("Accept-Language")
        return response


# -- extraction (pybabel, through babel.cfg) ---------------------------------------------

def extract_directory_texts(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """A Babel extractor for services.yml: the safeguarding message and every category's
    name and description, so that they are translated with the rest of the site."""
    document = yaml.safe_load(fileobj.read().decode(options.get("encoding", "utf-8"))) or {}
    directory = document.get("directory") or {}
    if directory.get("safeguarding"):
        yield (0, None, " ".join(str(directory["safeguarding"]).split()),
               ["services.yml: the safeguarding message, shown on every page."])
    for category in document.get("categories") or []:
        for field in ("name", "description"):
            if category.get(field):
                yield (0, None, " ".join(str(category[field]).split()),
                       [f"services.yml: the {field} of the kind of help '{category.get('id')}'."])
