"""At phone size: a disclosure search shows the safeguarding message first; an admin
teaches search the words of searches that found nothing, from the demand page."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import SearchRecord
from app.models.directory import utcnow
from tests.browser.helpers import axe_violations, format_violations, press
from tests.browser.test_browser_referrals import sign_in
from tests.browser.test_browser_staff_pages import login

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SCREENSHOTS_DIR", "/tmp/screenshots"))


def _shot(page: Page, name: str, scroll_to: str = "") -> None:
    """What the screen shows (for looking at), after checking the page in axe."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if scroll_to:
        page.locator(scroll_to).scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    violations = axe_violations(page)
    assert not violations, format_violations(violations)


def test_a_disclosure_shows_the_safeguarding_message_before_the_results(js_page, live_server):
    page = js_page
    page.goto("/search?q=my+kids+saw+their+dad+hit+me")
    banner = page.locator("#disclosure")
    expect(banner).to_contain_text("If you or a child are in danger now, call 999.")
    box = banner.bounding_box()
    assert box is not None and box["y"] < page.locator("#q").bounding_box()["y"]
    expect(page.locator('a[href^="/services/"]').first).to_be_visible()
    _shot(page, "search-disclosure")


def test_an_admin_adds_search_words_from_the_demand_page(js_page, live_server):
    page = js_page
    # Its own words and admin per screen size: the live server keeps its data between runs.
    width = page.viewport_size["width"]
    made_up = "wiggle" if width < 600 else "jiggle"
    with live_server.app.app_context():
        for when in (2, 4, 6):
            db.session.add(SearchRecord(terms=f"{made_up} club", filters={}, result_count=0,
                                        searched_at=utcnow() - timedelta(days=when)))
        db.session.commit()
    email, secret = login(live_server, f"words-admin-{width}@example.org", role="admin")
    page.goto("/admin/oversight/demand")
    sign_in(page, email, secret)
    expect(page).to_have_url(re.compile(r"/admin/oversight/demand"))
    expect(page.get_by_role("heading", name="Teach search the words families used")).to_be_visible()
    _shot(page, "oversight-demand", "#teach-search")
    page.get_by_label("Words families used").fill(f"{made_up} club")
    page.get_by_label("What they mean, in the words listings use").fill("stay and play")
    page.get_by_label("Short name").fill(f"{made_up}-words")
    press(page.get_by_role("button", name="Save search words"))
    expect(page).to_have_url(re.compile(r"/admin/oversight/demand"))
    # The three searches made above now find something (other tests' may still not).
    said = re.compile(r"Of the (\d+) searches in the last 30 days that found nothing, (\d+) would now "
                      r"find something")
    expect(page.locator("body")).to_contain_text(said)
    found_nothing, now_found = map(int, said.search(page.locator("body").inner_text()).groups())
    assert 3 <= now_found <= found_nothing
    page.goto("/admin/search-words")
    expect(page.locator("table")).to_contain_text(f"{made_up} club")
    _shot(page, "admin-search-words")
