"""The main journeys in real Chromium, on a phone and at desktop width, each with
JavaScript on and off: a parent searches in their own words and by postcode, filters,
opens a service and comes back to the same search; a school builds a shortlist, prints
it and shares it."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import LocatorAssertions, Page, expect

from tests.browser.helpers import (
    axe_violations,
    follow_menu_link,
    format_violations,
    press,
    result_count,
    result_links,
)

pytestmark = pytest.mark.browser

WORDS = "help with my toddler's sleep"
POSTCODE = "GU21 6AA"  # Woking
SERVICE = "woking-youth-centre"


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def search_from_home(page: Page, words: str = "", postcode: str = "") -> None:
    page.goto("/")
    form = page.locator("main form[role=search]")
    form.get_by_label("What do you need help with?").fill(words)
    form.get_by_label("Your postcode (optional)").fill(postcode)
    press(form.get_by_role("button", name="Search"))
    expect(page).to_have_url(re.compile(r"/search\?"))


def test_search_in_own_words_filter_open_a_service_and_come_back(page):
    search_from_home(page, words=WORDS)
    expect(page.locator("h1")).to_have_text(f"Search results for ‘{WORDS}’")
    expect(page).to_have_title(re.compile(f"^Search results for ‘{WORDS}’"))
    everywhere = result_count(page)
    assert everywhere > 3
    names = result_links(page).all_inner_texts()
    assert any("toddler" in name.lower() or "parenting" in name.lower() for name in names[:5]), names

    # Narrow to Woking: the filters are folded away until asked for.
    district = page.get_by_label("District or borough")
    expect(district).to_be_hidden()
    press(page.locator(".app-filters summary"))
    expect(district).to_be_visible()
    woking = district.locator("option", has_text=re.compile(r"^Woking \(\d+\)$")).inner_text()
    district.select_option(label=woking)
    press(page.locator("form[role=search]").get_by_role("button", name="Search"))
    expect(page).to_have_url(re.compile(r"area=woking"))
    in_woking = result_count(page)
    assert 0 < in_woking < everywhere
    expect(page.locator(".app-active-filters li")).to_have_text(re.compile(r"^Woking – remove"))
    expect(page.get_by_label("What do you need help with?")).to_have_value(WORDS)
    searched = query(page)

    # Open a service, then come back to the same search.
    first = result_links(page).first
    name = first.inner_text()
    press(first)
    expect(page.locator("h1")).to_have_text(name)
    expect(page).to_have_title(re.compile(f"^{re.escape(name)} – "))
    expect(page.locator("#waiting-time")).to_contain_text("How long is the wait?")
    press(page.get_by_role("link", name="Back to results"))
    expect(page).to_have_url(re.compile(r"/search\?"))
    assert query(page) == searched
    assert result_count(page) == in_woking
    expect(result_links(page).first).to_have_text(name)

    # Each filter can be taken off again.
    press(page.locator(".app-active-filters").get_by_role("link", name=re.compile("remove")))
    expect(page.locator(".app-active-filters")).to_have_count(0)
    assert result_count(page) == everywhere


def test_search_by_postcode_after_a_typing_mistake(page, javascript):
    search_from_home(page, postcode="GU21 XYZ")
    expect(page).to_have_title(re.compile(r"^Error: Search results – "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    if javascript:  # GOV.UK Frontend takes focus to the summary, so it is read out first
        expect(summary).to_be_focused()
    link = summary.get_by_role("link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", "#postcode")
    field = page.get_by_label("Postcode", exact=True)
    expect(field).to_have_id("postcode")
    expect(field).to_have_value("GU21 XYZ")
    expect(field).to_have_accessible_description(re.compile(re.escape(link.inner_text())))
    press(link)
    if javascript:  # GOV.UK Frontend moves focus to the field itself
        expect(field).to_be_focused()
    else:  # the link's fragment brings the field into view
        expect(page).to_have_url(re.compile(r"#postcode$"))
    expect(field).to_be_in_viewport()

    field.fill(POSTCODE)
    press(page.locator("form[role=search]").get_by_role("button", name="Search"))
    expect(page).to_have_title(re.compile(r"^Search results – "))
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(field).to_have_value(POSTCODE)
    expect(page.locator(".app-distance").first).to_have_text(re.compile(r"miles? away"))
    within_five = result_count(page)

    # Closer: within 1 mile, every listed distance is under a mile.
    page.get_by_label("Distance").select_option(label="Within 1 mile")
    press(page.locator("form[role=search]").get_by_role("button", name="Search"))
    expect(page).to_have_url(re.compile(r"radius=1\b"))
    assert result_count(page) < within_five
    distances = page.locator(".app-distance").all_inner_texts()
    assert distances
    for text in distances:
        match = re.match(r"(\d+\.\d) miles? away|Less than 0\.1 miles away", text)
        assert match and (match.group(1) is None or float(match.group(1)) <= 1.0), text
    # Services that cover the whole district say so instead of a distance.
    expect(page.locator(".app-coverage").first).to_have_text(re.compile(r"Covers all of (Woking|Surrey)"))


def add_to_shortlist(page: Page, service_path: str) -> str:
    page.goto(service_path)
    name = page.locator("h1").inner_text()
    press(page.get_by_role("button", name="Add to shortlist"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Added to your shortlist")
    expect(page.get_by_role("link", name="This service is on your shortlist")).to_be_visible()
    return name


def shortlisted(page: Page) -> LocatorAssertions:
    return expect(page.locator(".app-shortlist__item h2"))


def test_a_school_builds_prints_and_shares_a_shortlist(page, contexts, javascript, live_server):
    first = add_to_shortlist(page, f"/services/{SERVICE}")
    # The second comes from a search, as a school would find it.
    page.goto("/search?q=breastfeeding")
    press(page.get_by_role("link", name=re.compile("breastfeeding and baby feeding café")).first)
    second = page.locator("h1").inner_text()
    press(page.get_by_role("button", name="Add to shortlist"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Added to your shortlist")

    follow_menu_link(page, "Shortlist (2)")
    expect(page.locator("h1")).to_have_text("Your shortlist")
    shortlisted(page).to_have_text([first, second])

    # Printed: each service with its page address, and no buttons or menus.
    page.emulate_media(media="print")
    addresses = page.locator(".app-print-only")
    expect(addresses).to_have_count(2)
    for address in addresses.all():
        expect(address).to_be_visible()
    expect(addresses.nth(0)).to_have_text(live_server(f"/services/{SERVICE}"))
    expect(addresses.nth(1)).to_have_text(re.compile(re.escape(live_server("/services/")) + r"[a-z-]+$"))
    remove_buttons = page.locator(".app-shortlist__item button")
    expect(remove_buttons).to_have_count(2)
    for button in remove_buttons.all():
        expect(button).to_be_hidden()
    for link in page.locator(".govuk-service-navigation a").all():
        expect(link).to_be_hidden()
    expect(page.locator("#share-link")).to_be_hidden()
    page.emulate_media(media="screen")
    expect(addresses.first).to_be_hidden()

    # Shared: the link opens the same list on another phone, which can keep it.
    share = page.locator("#share-link").get_attribute("href")
    assert share and share.startswith(live_server("/shortlist/shared?"))
    other = contexts(javascript).new_page()
    other.goto(share)
    expect(other.locator("h1")).to_have_text("A shortlist of services")
    shortlisted(other).to_have_text([first, second])
    press(other.get_by_role("button", name="Make this my shortlist"))
    expect(other.locator("h1")).to_have_text("Your shortlist")
    shortlisted(other).to_have_text([first, second])

    # Removing one on the first phone leaves the other.
    press(page.get_by_role("button", name=f"Remove {first}"))
    expect(page.locator(".app-shortlist__item")).to_have_count(1)
    shortlisted(page).to_have_text([second])
    expect(page.locator(".govuk-service-navigation")).to_contain_text("Shortlist (1)")
    other.reload()
    shortlisted(other).to_have_text([first, second])

    # CSRF protection is on in this server, so the forms above sent real tokens: the same
    # request without one is refused.
    refused = page.request.post(live_server("/shortlist/add"), form={"service_id": SERVICE})
    assert refused.status == 400
    page.reload()
    shortlisted(page).to_have_text([second])


ONE_PRINTED_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")  # a page object, not /Pages


def test_a_shortlist_of_ten_from_search_results_prints_on_two_sheets_of_a4(page, javascript,
                                                                           live_server):
    # A school adds every result on the second page of a search, staying on that page.
    results = "/search?q=parenting&area=woking&page=2"
    page.goto(results)
    cards = page.locator("ol.app-service-list > li")
    expect(cards).to_have_count(10)
    names = result_links(page).all_inner_texts()
    for index, name in enumerate(names):
        card = cards.nth(index)
        press(card.get_by_role("button", name=f"Add to shortlist {name}"))
        # Back on the same page of the same search, with this card now on the list.
        expect(card.get_by_role("button", name=f"Remove from shortlist {name}")).to_be_visible()
        expect(card).to_contain_text("Added to your shortlist")
        # Back at the same card (the address's fragment), not the top of the page.
        assert page.url == live_server(results) + "#" + (card.get_attribute("id") or "")
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Added to your shortlist")
    if javascript:  # axe-core runs in the page
        violations = axe_violations(page)
        assert not violations, format_violations(violations)
    follow_menu_link(page, "Shortlist (10)")
    shortlisted(page).to_have_text(names)

    # On paper: the list, without the menu, the language links, the footer or buttons.
    page.emulate_media(media="print")
    for hidden in (".app-language-switcher", ".govuk-service-navigation", ".govuk-footer",
                   ".app-shortlist__item button"):
        for element in page.locator(hidden).all():
            expect(element).to_be_hidden()
    expect(page.locator(".app-print-only")).to_have_count(10)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert 1 <= len(ONE_PRINTED_PAGE.findall(pdf)) <= 2, "more than two sheets of A4"
