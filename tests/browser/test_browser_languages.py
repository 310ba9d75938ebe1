"""A Polish- or Ukrainian-speaking parent refers themselves in real Chromium, on a phone,
with JavaScript on and off: they choose their language with the switcher, search in their
own words (the listings stay in English, as written), open a service that takes
self-referrals and answer every question to the confirmation, with one wrong answer on the
way explained in their language. Every page says which language it is in, axe-core finds
nothing on it (with JavaScript on), and none of the site's own English is left on it.

Labels, buttons and messages are looked up in the compiled catalogue (the English msgid,
translated in the live app), so the test follows the translations rather than copying them.
"""

import re

import pytest
from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import Page, expect

from app.i18n import LANGUAGE_NAMES
from tests.browser.helpers import press, result_links
from tests.browser.test_browser_accessibility import FormFindings
from tests.browser.test_browser_referrals import (  # noqa: F401 (fresh_rate_limits: an autouse fixture)
    NEED,
    REFERENCE,
    SERVICE_NAME,
    continue_to,
    fresh_rate_limits,
    refer_path,
)
from tests.referrals.test_referrals_in_other_languages import SAMPLE_ERROR, site_english

pytestmark = pytest.mark.browser

WORDS = "toddler tantrums at bedtime"  # in English: the listings are written in English
# Short phrases of the site's (too short for site_english) that no page in another
# language may show.
SHORT_ENGLISH = ("Continue", "Check your answers", "Referral sent", "What happens next",
                 "Your reference is", "Follow the referral", "There is a problem",
                 "Find other support", "Start now", "Back to")


class Catalogue:
    """The compiled catalogue of one language, as the live app translates it."""

    def __init__(self, app: Flask, lang: str) -> None:
        self.app, self.lang = app, lang

    def __call__(self, msgid: str, **variables: str) -> str:
        with self.app.test_request_context(), force_locale(self.lang):
            translated = gettext(msgid, **variables)
        english = msgid % variables if variables else msgid
        assert translated != english, f"{msgid!r} has no {self.lang} translation"
        return translated


class Journey:
    """Checks each page of the journey, noting every problem so one run shows them all."""

    def __init__(self, page: Page, lang: str, javascript: bool) -> None:
        self.page, self.lang, self.javascript = page, lang, javascript
        self.findings = FormFindings(page)
        self.english = [*site_english(lang), *SHORT_ENGLISH]
        assert len(self.english) > 200, "the check needs the catalogue's sentences"

    def check(self, what: str) -> None:
        expect(self.page.locator("html")).to_have_attribute("lang", self.lang)
        text = self.text_not_marked_english()
        left = [english for english in self.english if english in text]
        if left:
            self.findings.problems.append(f"{what}: English left on the page in {self.lang}: {left}")
        if self.javascript:  # axe-core runs in the page
            self.findings.check(f"{what} ({self.lang})")

    def text_not_marked_english(self) -> str:
        """The page's visible text, less what it marks lang="en" (a listing's own words,
        such as its summary and description, which are written in English)."""
        text = self.page.locator("body").inner_text()
        for marked in self.page.locator("body [lang=en]").all_inner_texts():
            if marked.strip():
                text = text.replace(marked, " ")
        return text


def expect_error_in(page: Page, t: Catalogue, message: str, javascript: bool) -> None:
    """test_browser_referrals.expect_error, in the page's language."""
    expect(page).to_have_title(re.compile("^" + re.escape(t("Error:")) + " "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(t("There is a problem"))
    expect(summary.get_by_role("link", name=message)).to_be_visible()
    if javascript:  # GOV.UK Frontend moves focus to the summary, so it is read out first
        expect(summary).to_be_focused()


@pytest.mark.parametrize("device", ["phone"])
@pytest.mark.parametrize("lang", ["pl", "uk"])
def test_a_parent_refers_themselves_in_their_own_language(page, javascript, lang, live_server):
    t = Catalogue(live_server.app, lang)
    journey = Journey(page, lang, javascript)
    email = f"parent-{lang}-{'js' if javascript else 'no-js'}@example.org"

    # The language, chosen with the switcher on the first page.
    page.goto("/")
    press(page.locator(".app-language-switcher").get_by_role("link", name=LANGUAGE_NAMES[lang]))
    expect(page).to_have_url(re.compile(rf"\?lang={lang}$"))
    journey.check("home")

    # A search in their own words (the choice of language is remembered from here on).
    form = page.locator("main form[role=search]")
    form.get_by_label(t("What do you need help with?")).fill(WORDS)
    press(form.get_by_role("button", name=t("Search")))
    expect(page).to_have_url(re.compile(r"/search\?"))
    expect(page.locator("h1")).to_have_text(t("Search results for ‘%(q)s’", q=WORDS))
    journey.check("search results")
    press(result_links(page).filter(has_text=re.compile(f"^{re.escape(SERVICE_NAME)}$")))

    expect(page.locator("h1")).to_have_text(SERVICE_NAME)  # as the listing gives it
    journey.check("service")
    press(page.get_by_role("button", name=t("Refer yourself or a family")))
    expect(page).to_have_url(re.compile(re.escape(refer_path()) + "$"))
    expect(page.locator("h1")).to_have_text(t("Before you start"))
    journey.check("before you start")
    continue_to(page, "who", button=t("Start now"))

    # A question not answered is explained in the family's language.
    continue_ = t("Continue")
    expect(page.locator("h1")).to_have_text(t("Who is making this referral?"))
    journey.check("who")
    press(page.get_by_role("button", name=continue_, exact=True))
    message = t("Select who is making this referral")
    assert message.startswith(SAMPLE_ERROR[lang]), message
    expect_error_in(page, t, message, javascript)
    expect(page.locator("#referrer_type-error")).to_contain_text(message)
    journey.check("who, with an error")
    page.get_by_label(t("A parent or carer")).check()
    continue_to(page, "child", button=continue_)

    expect(page.locator("h1")).to_have_text(t("About the child or young person"))
    journey.check("child")
    page.get_by_label(t("Their first name")).fill("Sam")
    page.get_by_label(t("Their age"), exact=True).fill("6")
    continue_to(page, "need", button=continue_)

    need = page.get_by_label(t("What help does %(name)s need?", name="Sam"))
    expect(need).to_be_visible()
    journey.check("need")
    need.fill(NEED)
    continue_to(page, "details", button=continue_)

    expect(page.locator("h1")).to_have_text(t("Anything else the service should know"))
    journey.check("details")
    page.get_by_label(t("Language, if not English (optional)")).fill(LANGUAGE_NAMES[lang])
    continue_to(page, "contact", button=continue_)

    expect(page.locator("h1")).to_have_text(t("How can the service contact you?"))
    journey.check("contact")
    page.get_by_label(t("Your name")).fill("Jo Parent")
    page.get_by_label(t("Phone number")).fill("07700 900982")
    page.get_by_label(t("Email address")).fill(email)
    page.get_by_label(t("Safe times to call (optional)")).fill("po 15:00")
    page.get_by_label(t("Yes"), exact=True).check()
    continue_to(page, "privacy", button=continue_)

    expect(page.locator("h1")).to_have_text(t("How the details will be used"))
    journey.check("privacy")
    page.get_by_label(t("I agree to share these details as described above")).check()
    continue_to(page, "check", button=continue_)

    expect(page.locator("h1")).to_have_text(t("Check your answers before sending the referral"))
    for answer in (t("A parent or carer"), "Sam", NEED, LANGUAGE_NAMES[lang], "Jo Parent", email):
        expect(page.locator("main")).to_contain_text(answer)
    journey.check("check your answers")
    press(page.get_by_role("button", name=t("Send referral"), exact=True))

    # Sent: the reference, and none of the site's English.
    expect(page).to_have_url(re.compile(re.escape(refer_path("confirmation")) + "$"))
    expect(page.locator(".govuk-panel__title")).to_have_text(t("Referral sent"))
    expect(page.locator("h2", has_text=t("What happens next"))).to_be_visible()
    reference = page.locator(".app-reference").inner_text().strip()
    assert REFERENCE.fullmatch(reference), reference
    journey.check("confirmation")
    shown = page.locator("body").inner_text()  # all of it, even what is marked English
    left = [english for english in SHORT_ENGLISH if english in shown]
    assert not left, f"English on the confirmation page in {lang}: {left}"
    assert not journey.findings.problems, str(journey.findings)
