"""The staff pages no other browser test visits, in axe-core at phone width: a provider's
listings, the listing form (empty and with errors), a listing's history and the problems the
public reported; the partnership's approval queue and a review (and its error), history,
stale listings, reported problems, the audit log, the outbox and every oversight section,
with an error in the custom period too. One sign-in each for the provider and the admin."""

import itertools
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.extensions import db
from app.models import Feedback, ListingChange
from tests.browser.helpers import press
from tests.browser.test_browser_accessibility import FormFindings
from tests.browser.test_browser_referrals import expect_error, sign_in
from tests.conftest import make_user

pytestmark = pytest.mark.browser

# No other browser test uses this organisation: its listing gets a change waiting for
# approval (never decided here, so the public page stays as it is) and a reported problem.
ORGANISATION = "runnymede-family-link"
SERVICE = "egham-hythe-family-centre"
SERVICE_NAME = "Egham Hythe Family Centre"
OVERSIGHT = {"/admin/oversight/": "Oversight", "/admin/oversight/coverage": "Coverage",
             "/admin/oversight/waiting": "Waiting", "/admin/oversight/referrals": "Referrals",
             "/admin/oversight/demand": "Demand", "/admin/oversight/freshness": "Freshness"}
BAD_PERIOD = "/admin/oversight/?period=custom&from=2026-02-31&to=yesterday"
_numbers = itertools.count(1)


def login(live_server, email: str, **kwargs) -> tuple[str, str]:
    with live_server.app.app_context():
        user = make_user(email, **kwargs)
        return user.email, user.totp_secret


def visit(page: Page, findings: FormFindings, path: str, heading: str | re.Pattern, what: str) -> None:
    page.goto(path)
    expect(page.locator("h1")).to_have_text(heading)
    findings.check(what)


@pytest.mark.parametrize("device", ["phone"])
def test_provider_and_admin_pages_in_axe(js_page, live_server):
    page, findings = js_page, FormFindings(js_page)
    n = next(_numbers)

    # Someone reports a problem, for the provider's list of them.
    page.goto(f"/services/{SERVICE}/report-a-problem")
    page.get_by_label("The phone number is wrong").check()
    press(page.get_by_role("button", name="Send", exact=True))
    expect(page.locator("h1")).to_have_text("Thank you for telling us")

    # -- the provider -------------------------------------------------------------------
    page.goto("/provider/listings")
    sign_in(page, *login(live_server, f"lister{n}@rfl.example.org", organisations=(ORGANISATION,)))
    expect(page.locator("h1")).to_have_text("Your listings")
    findings.check("provider: your listings")

    visit(page, findings, f"/provider/services/{SERVICE}/edit", f"Change the listing: {SERVICE_NAME}",
          "provider: listing form")
    page.get_by_label("Phone (optional)").fill("12")
    press(page.get_by_role("button", name="Send for approval"))
    expect(page).to_have_title(re.compile("^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Say why you are making this change")
    expect(summary).to_contain_text("Enter a phone number with 10 to 13 digits")
    findings.check("provider: listing form, with errors")
    page.get_by_label("Phone (optional)").fill("01784 000 111")
    page.get_by_label("Why are you making this change?").fill("Our number changed")
    press(page.get_by_role("button", name="Send for approval"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("with the partnership for approval")
    findings.check("provider: a change waiting for approval")

    visit(page, findings, f"/provider/services/{SERVICE}/history", f"History: {SERVICE_NAME}",
          "provider: a listing's history")
    page.goto("/provider/feedback")
    item = page.locator("main a", has_text=SERVICE_NAME).first
    expect(item).to_be_visible()
    findings.check("provider: problems reported")
    press(item)
    expect(page.locator("h1")).to_have_text(f"Problem reported: {SERVICE_NAME}")
    findings.check("provider: a problem reported")
    press(page.get_by_role("button", name="Sign out"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")

    with live_server.app.app_context():
        change = db.session.scalar(select(ListingChange.uuid).where(ListingChange.service_id == SERVICE)
                                   .order_by(ListingChange.id.desc()))
        reported = db.session.scalar(select(Feedback.uuid).where(Feedback.service_id == SERVICE)
                                     .order_by(Feedback.id.desc()))

    # -- the partnership ----------------------------------------------------------------
    page.goto("/admin/approvals")
    sign_in(page, *login(live_server, f"approver{n}@partnership.example.org", role="admin"))
    expect(page.locator("h1")).to_have_text("Approval queue")
    expect(page.locator("main")).to_contain_text(SERVICE_NAME)
    findings.check("admin: approval queue")
    page.goto(f"/admin/approvals/{change}")
    expect(page.locator("main")).to_contain_text("01784 000 111")
    findings.check("admin: an approval review")
    press(page.get_by_role("button", name="Reject the whole change"))
    expect_error(page, "Say why the change is not published")
    findings.check("admin: an approval review, with an error")

    for path, heading, what in (
            (f"/admin/services/{SERVICE}/history", f"History: {SERVICE_NAME}", "a listing's history"),
            ("/admin/stale", "Stale listings", "stale listings"),
            ("/admin/feedback", "Problems reported by the public", "problems reported"),
            (f"/admin/feedback/{reported}", f"Problem reported: {SERVICE_NAME}", "a problem reported"),
            ("/admin/audit-log", "Audit log", "audit log"),
            ("/admin/outbox", "Emails that have not gone", "outbox")):
        visit(page, findings, path, heading, f"admin: {what}")
    for path, heading in OVERSIGHT.items():
        visit(page, findings, path, heading, f"admin: oversight, {heading}")

    page.goto(BAD_PERIOD)
    expect(page.locator("h1")).to_have_text("Oversight")
    expect(page).to_have_title(re.compile("^Error: Oversight – "))  # GOV.UK's error pattern
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the first day as a date")
    expect(summary).to_be_focused()
    findings.check("admin: oversight, a custom period with errors")
    assert not findings.problems, str(findings)

