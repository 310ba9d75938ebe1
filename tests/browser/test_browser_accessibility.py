"""WCAG 2.2 AA in a real browser. axe-core finds nothing on any kind of public page, in
every state (empty form, errors, results, no results, filters open, menu open, shortlist
empty and full, a problem reported; in Polish and Ukrainian too), at phone and desktop
sizes; one h1 a page; nothing shown is hidden from screen readers; the main journey works
from the keyboard alone, with focus always visible."""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    ROOT,
    axe_violations,
    format_violations,
    h1_texts,
    tab_to,
    text_hidden_from_screen_readers,
    what_a_person_sees,
)

pytestmark = pytest.mark.browser

SHORTLISTED = ("woking-youth-centre", "epsom-breastfeeding-cafe")
PAGES = {
    "home (the empty search form)": "/",
    "district": "/areas/woking",
    "category": "/categories/parenting",
    "top-level category": "/categories/family-support",
    "service": "/services/woking-youth-centre",
    "service with a location and opening times": "/services/epsom-breastfeeding-cafe",
    "service reached from a search": "/services/woking-youth-centre?back=q%3Dyouth",
    "search with nothing asked": "/search",
    "results for words": "/search?q=parenting",
    "results for a postcode": "/search?postcode=GU21+6AA&sort=distance",
    "results with filters": "/search?q=parenting&area=woking&free=yes",
    "results, a later page": "/search?page=2",
    "did you mean": "/search?q=anxeity",
    "no results": "/search?q=submarine+periscope&area=woking",
    "invalid postcode": "/search?q=parenting&postcode=GU21+XYZ",
    "several errors": "/search?postcode=GU21+XYZ&age=old",
    "postcode outside Surrey": "/search?postcode=SW1A+1AA",
    "empty shortlist": "/shortlist",
    "shared shortlist": "/shortlist/shared?services=" + ",".join(SHORTLISTED),
    "shared shortlist, every service gone": "/shortlist/shared?services=no-longer-listed,closed-down",
    "referral link emailed to the family": "/referrals/track/link-sent",
    "about the data": "/about-the-data",
    "accessibility statement": "/accessibility",
    "privacy notice": "/privacy",
    "cookies": "/cookies",
    "developers": "/developers",
    "page not found": "/no-such-page",
}


class Findings:
    """Everything wrong, page by page, so one run shows all there is to fix."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []

    def check(self, what: str) -> None:
        violations = axe_violations(self.page)
        if violations:
            self.problems.append(f"{what}:\n{format_violations(violations)}")
        headings = h1_texts(self.page)
        if len(headings) != 1:
            self.problems.append(f"{what}: {len(headings)} h1 elements {headings}")
        hidden = self.text_hidden_from_screen_readers()
        if hidden:
            self.problems.append(f"{what}: text hidden from screen readers {hidden}")
        self.problems.extend(f"{what}: {problem}" for problem in what_a_person_sees(self.page))

    def text_hidden_from_screen_readers(self) -> list[str]:
        return text_hidden_from_screen_readers(self.page)

    def __str__(self) -> str:
        return "\n".join(self.problems)


# Shown text marked aria-hidden, as helpers.text_hidden_from_screen_readers finds it, less
# three GOV.UK patterns in which screen readers lose nothing, each checked to be whole: the
# honeypot that nobody sees (it is visually hidden too), an input's suffix whose word is in
# the label ("weeks"), and a character count's visible status, which a live region beside it
# reads out in the same words.
_HIDDEN_TEXT = """() => {
  const excused = (el) => {
    if (el.closest(".govuk-visually-hidden")) return true;
    if (el.matches(".govuk-input__suffix, .govuk-input__prefix")) {
      const input = el.parentElement.querySelector("input");
      const label = input && input.labels.length ? input.labels[0].textContent : "";
      return label.includes(el.textContent.trim());
    }
    if (el.matches(".govuk-character-count__status")) {
      const live = el.parentElement.querySelector(".govuk-character-count__sr-status[aria-live=polite]");
      return !!live && live.textContent.trim() === el.textContent.trim();
    }
    return false;
  };
  return [...document.querySelectorAll("[aria-hidden=true]")]
    .filter(el => el.textContent.trim() && el.getClientRects().length)
    .filter(el => !(el.matches(".govuk-warning-text__icon")
                    && el.parentElement.querySelector(".govuk-visually-hidden")?.textContent.trim()))
    .filter(el => !excused(el))
    .map(el => el.outerHTML.slice(0, 120));
}"""


class FormFindings(Findings):
    """Findings (axe-core, one h1, nothing hidden from screen readers) for pages with forms,
    where GOV.UK's character count may hide its fallback hint."""

    def text_hidden_from_screen_readers(self) -> list[str]:
        return self.page.evaluate(_HIDDEN_TEXT)


def test_every_kind_of_page_in_every_state(js_page, device):
    page, findings = js_page, Findings(js_page)
    for what, path in PAGES.items():
        page.goto(path)
        findings.check(what)
    # Filters are folded away on results (open on an empty form, with errors or in use).
    page.goto(PAGES["results for words"])
    page.locator(".app-filters summary").click()
    expect(page.get_by_label("District or borough")).to_be_visible()
    findings.check("results for words, filters open")
    page.goto("/")
    toggle = page.locator(".govuk-service-navigation__toggle")
    if toggle.is_visible():
        toggle.click()
        expect(page.get_by_role("link", name="Shortlist (0)")).to_be_visible()
        findings.check("home, menu open")

    for service in SHORTLISTED:
        page.goto(f"/services/{service}")
        page.get_by_role("button", name="Add to shortlist").click()
        expect(page.locator(".govuk-notification-banner")).to_be_visible()
    findings.check("service just added to the shortlist")
    page.goto("/shortlist")
    expect(page.locator(".app-shortlist__item")).to_have_count(2)
    findings.check("full shortlist")
    assert not findings.problems, str(findings)


REPORTED = "epsom-breastfeeding-cafe"  # a report changes nothing on the public page


def test_report_a_problem_in_every_state(js_page, device):
    """The form from a service's page: empty, sent with nothing chosen, "Something else"
    without saying what, and sent."""
    page, findings = js_page, FormFindings(js_page)
    page.goto(f"/services/{REPORTED}")
    page.get_by_role("link", name="Report a problem with this page").click()
    expect(page).to_have_url(re.compile(f"/services/{REPORTED}/report-a-problem$"))
    expect(page).to_have_title(re.compile("^Report a problem with this page: "))
    findings.check("report a problem")
    send = page.get_by_role("button", name="Send", exact=True)
    send.click()
    expect(page).to_have_title(re.compile("^Error: Report a problem"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select what is wrong with the page")
    findings.check("report a problem, nothing chosen")
    page.get_by_label("Something else").check()
    send.click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Tell us what is wrong with the page")
    expect(page.get_by_label("Something else")).to_be_checked()
    findings.check("report a problem, something else without saying what")
    page.get_by_label("The phone number is wrong").check()
    send.click()
    expect(page).to_have_url(re.compile(f"/services/{REPORTED}/report-a-problem/sent$"))
    expect(page.locator("h1")).to_have_text("Thank you for telling us")
    findings.check("report a problem, sent")
    assert not findings.problems, str(findings)


@pytest.mark.parametrize("language, search", [("pl", "rodzicielstwo"), ("uk", "батьківство")],
                         ids=["pl", "uk"])
def test_home_and_results_in_polish_and_ukrainian(js_page, device, language, search):
    """The page in the family's language (its lang attribute says which), and results for
    words in English, so there are some."""
    page, findings = js_page, Findings(js_page)
    for what, path in (("home", f"/?lang={language}"),
                       ("results", f"/search?q=parenting&lang={language}"),
                       ("a search in the language", f"/search?q={search}&lang={language}")):
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        findings.check(f"{what} ({language})")
    assert not findings.problems, str(findings)


def test_axe_finds_a_field_without_a_label(js_page):
    """The check above can fail: take the label off the search box and axe says so."""
    js_page.goto("/")
    js_page.evaluate("document.querySelector('label[for=q]').remove()")
    assert "label" in {v["id"] for v in axe_violations(js_page)}


def test_from_home_to_the_shortlist_by_keyboard_alone(js_page):
    page = js_page
    page.goto("/")
    tab_to(page, lambda el: el["id"] == "q")
    page.keyboard.type("youth club")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=youth\+club"))

    result = tab_to(page, lambda el: el["in_results"])
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(result["text"])

    tab_to(page, lambda el: el["text"] == "Add to shortlist")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Added to your shortlist")
    tab_to(page, lambda el: el["text"] == "view your shortlist")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Your shortlist")
    expect(page.locator(".app-shortlist__item h2")).to_have_text([result["text"]])

    tab_to(page, lambda el: el["text"].startswith("Remove"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your shortlist is empty")).to_be_visible()


def test_the_statement_names_the_checker_that_ran(js_page):
    """The accessibility statement names the axe-core version these tests inject."""
    version = json.loads((ROOT / "package.json").read_text())["dependencies"]["axe-core"]
    js_page.goto("/accessibility")
    expect(js_page.locator("main")).to_contain_text(f"axe-core {version} checks every kind of page")
    assert not axe_violations(js_page)
    assert js_page.evaluate("axe.version") == version
