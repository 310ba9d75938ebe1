"""What a person sees on a phone (issue 15): the first result on the first screen, the
shortlist keeping the family's place, Exit this page working, and the pages a referral
passes through, with the longest real values (a 254-character email address, a 43-character
tracker token, a long service name), fitting 320 CSS px (Findings checks reflow and markup
on every state, as it does in every other browser test)."""

import itertools
import re

import pyotp
import pytest
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Service
from tests.browser.helpers import REFLOW_WIDTH, press, reflow_problems, result_links
from tests.browser.test_browser_accessibility import FormFindings
from tests.browser.test_browser_referrals import PASSWORD
from tests.conftest import make_user

pytestmark = pytest.mark.browser

LONG_SERVICE = "spelthorne-childrens-bereavement-support"  # a self-referral service's long name
LONG_SERVICE_NAME = "Children's bereavement support, Spelthorne and Runnymede"
DOMESTIC_ABUSE = "lanternway-domestic-abuse-outreach"
_numbers = itertools.count(1)


def longest_email(n: int) -> str:
    """254 characters, the most an address can have: 64 before the @, labels of 63."""
    local = f"family{n}-".ljust(64, "a")
    domain = "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".org"
    email = f"{local}@{domain}"
    assert len(email) == 254
    return email


def first_screen_has_first_result(page: Page) -> None:
    heading = result_links(page).first
    expect(heading).to_be_visible()
    box = heading.bounding_box()
    viewport = page.viewport_size
    assert box and box["y"] + box["height"] <= viewport["height"], (
        f"the first result's heading is at y={box and box['y']} on a {viewport['height']} px screen")


@pytest.mark.parametrize("device", ["phone"])
@pytest.mark.parametrize("path", ["/search?q=parenting", "/search?q=parenting&area=woking&free=yes",
                                  "/search?postcode=GU21+6AA&sort=distance&max_wait=4"],
                         ids=["words", "with-filters", "postcode-and-filters"])
def test_the_first_result_is_on_the_first_screen(page, path):
    page.goto(path)
    first_screen_has_first_result(page)


@pytest.mark.parametrize("device", ["phone"])
def test_the_first_result_is_on_the_first_screen_after_using_the_filters(page):
    page.goto("/search?q=parenting")
    page.locator("#search-and-filters .app-filters summary").click()
    page.get_by_label("District or borough").select_option("woking")
    page.get_by_label("Free services only").check()
    press(page.locator("#search-and-filters").get_by_role("button", name="Search"))
    expect(page).to_have_url(re.compile(r"area=woking"))
    first_screen_has_first_result(page)


@pytest.mark.parametrize("device", ["phone"])
def test_adding_to_the_shortlist_keeps_the_familys_place(page):
    page.goto("/search?q=parenting")
    card = page.locator("ol.app-service-list > li").nth(6)
    name = card.locator("h2 a").inner_text()
    card.scroll_into_view_if_needed()
    press(card.get_by_role("button", name=f"Add to shortlist {name}"))
    expect(card.get_by_role("button", name=f"Remove from shortlist {name}")).to_be_visible()
    assert page.evaluate("window.scrollY") > 1000, "back at the top of the page"
    expect(card).to_be_in_viewport()


@pytest.mark.parametrize("device", ["phone"])
def test_exit_this_page_on_a_domestic_abuse_listing(page, javascript):
    page.goto(f"/services/{DOMESTIC_ABUSE}")
    # A link styled as a button (GOV.UK's markup): it works without a script too.
    button = page.get_by_role("button", name="Emergency Exit this page")
    expect(button).to_be_visible()
    assert button.get_attribute("href") == "https://www.bbc.co.uk/weather"
    if javascript:  # GOV.UK Frontend's script started it: it listens for Shift pressed 3 times
        expect(page.locator(".govuk-exit-this-page__indicator")).to_have_count(1)
    page.goto("/services/woking-youth-centre")
    expect(page.locator(".govuk-exit-this-page")).to_have_count(0)


def _sign_in(page: Page, email: str, secret: str) -> None:
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    press(page.get_by_role("button", name="Sign in"))
    page.get_by_label("Security code").fill(pyotp.TOTP(secret).now())
    press(page.get_by_role("button", name="Continue"))


@pytest.mark.parametrize("device", ["phone"])
def test_the_longest_values_fit_a_phone_from_referral_to_staff_pages(js_page, live_server):
    page, findings = js_page, FormFindings(js_page)
    n = next(_numbers)
    email = longest_email(n)

    page.goto(f"/services/{LONG_SERVICE}/refer")
    press(page.get_by_role("button", name="Start now"))
    page.get_by_label("A parent or carer").check()
    press(page.get_by_role("button", name="Continue"))
    page.get_by_label("Their first name").fill("Sam")
    page.get_by_label("Their age", exact=True).fill("6")
    press(page.get_by_role("button", name="Continue"))
    need = "Sleeping badly.\n\nSince the summer.\nMostly at night."
    page.get_by_label("What help does Sam need?").fill(need)
    press(page.get_by_role("button", name="Continue"))
    press(page.get_by_role("button", name="Continue"))
    page.get_by_label("Your name").fill("Jo Parent")
    page.get_by_label("Email address").fill(email)
    press(page.get_by_role("button", name="Continue"))
    page.get_by_label("I agree to share these details as described above").check()
    press(page.get_by_role("button", name="Continue"))
    expect(page.locator("main")).to_contain_text(email)
    expect(page.locator("main")).to_contain_text("Mostly at night.")
    findings.check("check your answers, the longest email")
    press(page.get_by_role("button", name="Send referral"))
    expect(page.locator(".govuk-panel__title")).to_have_text("Referral sent")
    link = page.locator("main a", has_text="/referrals/track/")
    assert len(link.inner_text().rsplit("/", 1)[1]) == 43  # the tracker's token
    findings.check("confirmation, a 43-character token")
    reference = page.locator(".app-reference").inner_text().strip()
    page.goto(link.get_attribute("href") or "")
    expect(page.locator("h1")).to_have_text(f"Sent to {LONG_SERVICE_NAME}")
    findings.check("tracker, a long service name")

    with live_server.app.app_context():
        service = db.session.get(Service, LONG_SERVICE)
        provider = make_user(longest_email(1000 + n), organisations=(service.organisation_id,))
        admin = make_user(longest_email(2000 + n), role="admin")
        logins = [(provider.email, provider.totp_secret), (admin.email, admin.totp_secret)]
    page.context.clear_cookies()
    page.goto("/provider/referrals")
    _sign_in(page, *logins[0])
    card = page.locator(".app-card", has_text=reference)
    expect(card).to_contain_text(LONG_SERVICE_NAME)
    findings.check("inbox, with the longest email signed in")
    press(card.get_by_role("link", name=reference))
    expect(page.locator("main")).to_contain_text(email)
    findings.check("a referral, the longest email")

    page.context.clear_cookies()
    page.goto("/admin/users")
    _sign_in(page, *logins[1])
    expect(page.locator("main")).to_contain_text(logins[0][0])
    findings.check("people, the longest emails")
    page.goto(f"/admin/services/{LONG_SERVICE}/history")
    findings.check("history, a long service name")
    assert not findings.problems, str(findings)


def test_the_reflow_check_can_fail(js_page):
    """A page made wider than the screen is caught at 320 px, and put back afterwards."""
    js_page.goto("/")
    width = js_page.viewport_size["width"]
    js_page.evaluate("document.querySelector('h1').style.width = '400px'")
    problems = reflow_problems(js_page)
    assert problems and problems[0].startswith("the page is ") and "<h1" in problems[0]
    assert js_page.viewport_size["width"] == width != REFLOW_WIDTH
