"""WCAG 2.2 AA in a real browser. axe-core finds nothing on any kind of public page, in
every state (empty form, errors, results, no results, filters open, menu open, shortlist
empty and full), at phone and desktop sizes; one h1 a page; nothing shown is hidden from
screen readers; the main journey works from the keyboard alone, with focus always visible."""

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
        hidden = text_hidden_from_screen_readers(self.page)
        if hidden:
            self.problems.append(f"{what}: text hidden from screen readers {hidden}")

    def __str__(self) -> str:
        return "\n".join(self.problems)


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
