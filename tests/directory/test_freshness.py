"""Staying fresh: reminders after REVIEW_AFTER_MONTHS, sent once; the one-click link;
"may be out of date" after the grace period; stale waiting times; the partnership's
report, on the admin page and from the command line."""

import re
import time
from datetime import date, timedelta

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select

from app.dates import today_in_england
from app.directory import freshness, listing_versions
from app.extensions import db
from app.models import Notification, ReviewReminder, Service, WaitingTime
from app.models.directory import utcnow
from tests.accounts.test_accounts import clear_people
from tests.conftest import check_page, make_user, sign_in

OURS = "runnymede-family-link"
OUR_SERVICE = "egham-hythe-family-centre"  # no waiting time in services.yml
WAITING_SERVICE = "childrens-wellbeing-line"  # has one
TODAY = today_in_england()


@pytest.fixture
def changing(app, surrey_to_change):
    clear_people()
    yield app
    app.config["PARTNERSHIP_EMAIL"] = ""


def _reviewed(service_id: str, on: date) -> Service:
    service = db.session.get(Service, service_id)
    service.last_reviewed = on
    db.session.commit()
    return service


def _link_in(body: str) -> str:
    return re.search(r"http://127\.0\.0\.1:5000(/listing-check/\S+)", body).group(1)


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2024, 8, 31), 6, date(2025, 2, 28)),
    (date(2026, 5, 15), 6, date(2026, 11, 15)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
    (date(2026, 11, 30), 2, date(2027, 1, 30)),
])
def test_months_are_calendar_months(start, months, expected):
    assert freshness.add_months(start, months) == expected


def test_a_due_listing_is_reminded_once_with_a_one_click_link(changing, client):
    make_user("worker@rfl.example.org", organisations=(OURS,))
    _reviewed(OUR_SERVICE, freshness.add_months(TODAY, -6) - timedelta(days=1))
    sent = [r for r in freshness.send_reminders() if r.service.id == OUR_SERVICE]
    assert [r.kinds for r in sent] == [["review"]]  # (the real data has old waits too)
    assert sent[0].to == ["egham.familycentre@example.org", "worker@rfl.example.org"]
    emails = db.session.scalars(select(Notification).where(
        Notification.kind == "listing.reminder", Notification.subject.contains("Egham Hythe"))).all()
    assert sorted(e.to for e in emails) == sent[0].to
    assert all("Is this still right?" in e.subject and "/listing-check/" in e.body for e in emails)
    assert freshness.send_reminders() == []  # once only
    assert db.session.scalar(select(ReviewReminder).where(ReviewReminder.service_id == OUR_SERVICE))

    link = _link_in(emails[0].body)
    page = client.get(link)  # opening the link (or a mail scanner opening it) confirms nothing
    check_page(page)
    assert "Is this listing still right?" in page.get_data(as_text=True)
    assert db.session.get(Service, OUR_SERVICE).last_reviewed < TODAY
    confirmed = client.post(link)
    assert confirmed.status_code == 200 and "the listing is confirmed" in confirmed.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Service, OUR_SERVICE).last_reviewed == TODAY
    again = client.get(link).get_data(as_text=True)
    assert "This listing is already confirmed" in again
    assert client.get(link[:-3] + "abc").status_code == 404  # tampered
    assert freshness.send_reminders() == []  # reviewed today: nothing due


def test_a_listing_reviewed_on_the_31st_is_reminded_on_the_last_day_six_months_on(changing):
    _reviewed(OUR_SERVICE, date(2026, 3, 31))
    sent = [r for r in freshness.send_reminders(today=date(2026, 9, 30)) if r.service.id == OUR_SERVICE]
    assert [r.kinds for r in sent] == [["review"]]


def test_a_link_sent_to_someone_disabled_or_moved_on_no_longer_confirms(changing, client):
    from app.accounts import people

    admin = make_user("boss@partnership.example.org", role="admin")
    worker = make_user("leaver@rfl.example.org", organisations=(OURS,))
    service = _reviewed(OUR_SERVICE, freshness.add_months(TODAY, -7))
    token = freshness.review_token(service, worker.email)
    listing_inbox = freshness.review_token(service, "egham.familycentre@example.org")
    people.set_active(worker, False, by=admin)
    assert client.post(f"/listing-check/{token}").status_code == 404
    assert db.session.get(Service, OUR_SERVICE).last_reviewed < TODAY
    assert client.post(f"/listing-check/{listing_inbox}").status_code == 200  # no account: still works


def test_the_link_confirms_the_waiting_time_too(changing, client):
    service = _reviewed(WAITING_SERVICE, freshness.add_months(TODAY, -7))
    before = len(service.waiting_times)
    token = freshness.review_token(service, "nurse@example.org")
    client.post(f"/listing-check/{token}")
    db.session.expire_all()
    service = db.session.get(Service, WAITING_SERVICE)
    assert len(service.waiting_times) == before + 1
    latest = service.current_waiting_time
    assert latest.confirmed_on == TODAY and latest.recorded_by == "nurse@example.org"
    assert latest.source == "provider"


def test_an_old_link_has_expired(changing, client, monkeypatch):
    service = _reviewed(OUR_SERVICE, freshness.add_months(TODAY, -7))
    days = changing.config["REVIEW_LINK_DAYS"]
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - (days + 1) * 86400)
    token = freshness.review_token(service, "someone@example.org")
    monkeypatch.undo()
    response = client.post(f"/listing-check/{token}")
    assert response.status_code == 410 and "This link has expired" in response.get_data(as_text=True)
    assert db.session.get(Service, OUR_SERVICE).last_reviewed < TODAY


def test_may_be_out_of_date_is_shown_after_the_grace_period(changing, client):
    grace = changing.config["REVIEW_GRACE_DAYS"]
    warning = "This listing may be out of date"
    due = freshness.add_months(TODAY, -6)
    _reviewed(OUR_SERVICE, due)  # due today
    assert warning not in client.get(f"/services/{OUR_SERVICE}").get_data(as_text=True)
    _reviewed(OUR_SERVICE, freshness.add_months(TODAY - timedelta(days=grace), -6))  # due a month ago
    page = client.get(f"/services/{OUR_SERVICE}")
    check_page(page)
    assert warning in page.get_data(as_text=True)

    # A reminder that went late still leaves the provider the whole grace period.
    service = db.session.get(Service, OUR_SERVICE)
    db.session.add(ReviewReminder(service_id=OUR_SERVICE, kind="review", subject_date=service.last_reviewed,
                                  sent_at=utcnow() - timedelta(days=3), sent_to=[]))
    db.session.commit()
    assert warning not in client.get(f"/services/{OUR_SERVICE}").get_data(as_text=True)
    state = freshness.freshness(service)
    assert state.is_due and not state.is_out_of_date
    assert state.out_of_date_from == TODAY - timedelta(days=3) + timedelta(days=grace)
    assert freshness.may_be_out_of_date(service, state.out_of_date_from)


def test_stale_listings_and_waits_are_reported_to_the_partnership(changing, client, cli):
    grace = changing.config["REVIEW_GRACE_DAYS"]
    _reviewed(OUR_SERVICE, freshness.add_months(TODAY - timedelta(days=grace + 1), -6))
    wait = db.session.get(Service, WAITING_SERVICE).current_waiting_time
    wait.confirmed_on = TODAY - timedelta(days=changing.config["WAITING_TIME_STALE_DAYS"] + 1)
    db.session.commit()

    report = freshness.stale_report()
    assert [row.service.id for row in report.out_of_date] == [OUR_SERVICE]
    assert WAITING_SERVICE in [service.id for service in report.stale_waits]
    assert OUR_SERVICE not in [service.id for service in report.stale_waits]

    result = cli.invoke(args=["listings", "stale"])
    assert result.exit_code == 0, result.output
    assert "Shown to families as possibly out of date (1):" in result.output
    assert f"({OUR_SERVICE})" in result.output and f"({WAITING_SERVICE})" in result.output
    assert cli.invoke(args=["listings", "stale", "--email"]).exit_code != 0  # no address set
    changing.config["PARTNERSHIP_EMAIL"] = "partnership@example.org"
    assert cli.invoke(args=["listings", "stale", "--email"]).exit_code == 0
    emailed = db.session.scalar(select(Notification).where(Notification.kind == "listing.stale-report"))
    assert emailed.to == "partnership@example.org" and OUR_SERVICE in emailed.body

    admin = make_user("stale@partnership.example.org", role="admin")
    sign_in(client, admin)
    page = client.get("/admin/stale")
    check_page(page)
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "Shown as possibly out of date (1)" in html and "Egham Hythe Family Centre" in html
    assert "Children&#39;s Wellbeing Line" in html

    result = cli.invoke(args=["listings", "remind"])
    assert result.exit_code == 0, result.output
    assert f"{OUR_SERVICE}: review reminder" in result.output
    assert f"{WAITING_SERVICE}: waiting-time reminder" in result.output
    assert f"{len(report.stale_waits) + 1} reminder(s) queued" in result.output
    assert "0 reminder(s) queued" in cli.invoke(args=["listings", "remind"]).output
    # The reminder went late, so the provider has the whole grace period from today.
    report = freshness.stale_report()
    assert [row.service.id for row in report.awaiting] == [OUR_SERVICE] and not report.out_of_date
    # The public page flags the old wait as before.
    assert "so it may have changed" in client.get(f"/services/{WAITING_SERVICE}").get_data(as_text=True)


def test_a_provider_confirms_from_their_listings(changing, client):
    user = make_user("worker@rfl.example.org", organisations=(OURS,))
    sign_in(client, user)
    _reviewed(OUR_SERVICE, freshness.add_months(TODAY, -6) - timedelta(days=2))
    page = client.get("/provider/listings").get_data(as_text=True)
    assert "Due for review" in page
    assert client.post(f"/provider/services/{OUR_SERVICE}/still-right").status_code == 302
    db.session.expire_all()
    assert db.session.get(Service, OUR_SERVICE).last_reviewed == TODAY
    assert client.post("/provider/services/childrens-wellbeing-line/still-right").status_code == 404
    assert db.session.scalar(select(WaitingTime).where(WaitingTime.recorded_by == user.email)) is None


def test_still_right_says_it_confirms_the_waiting_time_shown(changing, client):
    service = db.session.get(Service, WAITING_SERVICE)
    sign_in(client, make_user("nurse@wellbeing.example.org", organisations=(service.organisation_id,)))
    page = client.get("/provider/listings").get_data(as_text=True).replace("&#39;", "'")
    assert "This confirms the waiting time too: " in page
    assert "update it from your services page first" in page


def test_confirming_a_listing_does_not_move_when_its_content_last_changed(changing, client):

    service = _reviewed(OUR_SERVICE, freshness.add_months(TODAY, -7))
    changed_at = service.updated_at
    freshness.confirm_listing(service, "worker@rfl.example.org")
    db.session.expire_all()
    service = db.session.get(Service, OUR_SERVICE)
    assert service.last_reviewed == TODAY and service.updated_at == changed_at
    listing_versions.ensure_history_start(service)
    db.session.commit()
    (first,) = listing_versions.versions(service)
    assert first.created_at == changed_at  # the history dates the listing by its content
