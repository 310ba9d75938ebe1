"""A provider signs in (password, then the code from their authenticator app) and updates a
waiting time in real Chromium, on a phone and at desktop width, with JavaScript on and off;
families see the new wait on the service's public page straight away."""

import itertools
import re

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import press
from tests.conftest import make_user

pytestmark = pytest.mark.browser

SERVICE = "willow-path-bereavement-support"
PASSWORD = "a long enough passphrase"
_numbers = itertools.count(1)


@pytest.fixture
def provider(live_server):
    """A new provider account for Willow Path for each test (sign-in codes are single-use)."""
    with live_server.app.app_context():
        user = make_user(f"provider{next(_numbers)}@willow-path.example.org",
                         organisations=("willow-path",))
        return user.email, user.totp_secret


def test_a_provider_signs_in_and_updates_a_waiting_time(page: Page, provider):
    email, secret = provider
    page.goto("/provider/")
    expect(page).to_have_url(re.compile(r"/sign-in"))  # staff pages need signing in first

    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    press(page.get_by_role("button", name="Sign in"))
    page.get_by_label("Security code").fill(pyotp.TOTP(secret).now())
    press(page.get_by_role("button", name="Continue"))

    expect(page.locator("h1")).to_have_text("Your services")
    card = page.locator(".govuk-summary-card", has_text="Bereavement support for children")
    press(card.get_by_role("link", name=re.compile("^Change")))

    # A waiting list without a number of weeks is explained, not accepted.
    page.get_by_label("Yes, with a waiting list").check()
    page.get_by_label("About how many weeks is the wait?").fill("")  # it starts with the current wait
    press(page.get_by_role("button", name="Publish waiting time"))
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator(".govuk-error-summary")).to_contain_text("about how many weeks")

    page.get_by_label("About how many weeks is the wait?").fill("7")
    page.get_by_label("Note for families (optional)").fill("Sooner for children under 11")
    press(page.get_by_role("button", name="Publish waiting time"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is updated on the public page")

    page.goto(f"/services/{SERVICE}")
    waiting = page.locator("#waiting-time")
    expect(waiting).to_contain_text("Waiting list of about 7 weeks")
    expect(waiting).to_contain_text("Sooner for children under 11")

    # Signing out ends the session: the provider pages ask for sign-in again.
    page.goto("/provider/")
    press(page.get_by_role("button", name="Sign out"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")
    page.goto("/provider/")
    expect(page).to_have_url(re.compile(r"/sign-in"))
