"""After submitting: statuses and who is told, the tracker, late referrals in working days,
anonymising after the retention period, and subject access."""

import json
import re
import time
from datetime import date, datetime, timedelta
from html import unescape
from types import SimpleNamespace
from unittest.mock import patch

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select, update

from app import dates, referrals
from app.extensions import db
from app.models import AuditEvent, Notification, Referral, ReferralEvent, Service
from app.models.directory import utcnow
from app.referrals.lifecycle import InvalidDetails, InvalidTransition
from tests.conftest import check_page
from tests.referrals import referral_support
from tests.referrals.referral_support import (
    count,
    make_referral,
    self_referral_service,
)

# Fixtures shared by the referral tests.
referrals_db = referral_support.referrals_db

WORKER = SimpleNamespace(id=7, email="worker@provider.example.org")


@pytest.fixture
def service(referrals_db) -> Service:
    return self_referral_service()


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _updates() -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.kind == "referral.update")))


def _html(response) -> str:
    return unescape(response.get_data(as_text=True))


# -- statuses ---------------------------------------------------------------------------

def test_statuses_move_only_along_the_allowed_paths(service):
    referral, *_ = make_referral(service)
    with pytest.raises(InvalidTransition):
        referrals.change_status(referral, "new", user=WORKER)
    referrals.change_status(referral, "opened", user=WORKER)
    with pytest.raises(InvalidTransition):
        referrals.change_status(referral, "opened", user=WORKER)
    referrals.change_status(referral, "waiting-list", user=WORKER, estimate_weeks=6)
    referrals.change_status(referral, "waiting-list", user=WORKER, estimate_weeks=4)  # a new estimate
    referrals.change_status(referral, "declined", user=WORKER, reason="not-taking-referrals",
                            suggestion="Try the family centre in Woking")
    for status in ("opened", "accepted", "closed", "new"):
        with pytest.raises(InvalidTransition):
            referrals.change_status(referral, status, user=WORKER, outcome="other")
    assert referrals.allowed_next(referral) == ()
    assert [e.status for e in referral.events] == ["new", "opened", "waiting-list", "waiting-list",
                                                   "declined"]


@pytest.mark.parametrize("status, details", [
    ("accepted", {}),
    ("accepted", {"expected_start": "next week"}),
    ("waiting-list", {}),
    ("waiting-list", {"estimate_weeks": 0}),
    ("waiting-list", {"estimate_weeks": "6"}),
    ("declined", {"reason": "not-eligible"}),
    ("declined", {"reason": "because", "suggestion": "Elsewhere"}),
    ("declined", {"reason": "other", "suggestion": "Elsewhere"}),
    ("closed", {"outcome": "finished"}),
    ("contacted", {"expected_start": "2027-01-04"}),
    ("contacted", {"note": "x" * 1001}),
])
def test_each_step_needs_its_details(service, status, details):
    referral, *_ = make_referral(service)
    referrals.change_status(referral, "opened", user=WORKER)
    with pytest.raises(InvalidDetails):
        referrals.change_status(referral, status, user=WORKER, **details)
    assert referral.status == "opened" and len(referral.events) == 2


def test_a_change_is_recorded_audited_and_told_to_the_family_and_referrer(service):
    referral, *_ = make_referral(service, "professional", may_follow=True)
    event = referrals.change_status(referral, "opened", user=WORKER)
    assert (event.actor, event.user_id, event.status) == (WORKER.email, 7, "opened")
    assert referral.opened_at is not None and referral.decided_at is None
    accepted = referrals.change_status(referral, "accepted", user=WORKER,
                                       expected_start=date(2027, 1, 4), note="Bring a drink")
    assert accepted.details == {"expected_start": "2027-01-04", "note": "Bring a drink"}
    assert referral.decided_at is not None
    referrals.change_status(referral, "closed", user="system", outcome="support-completed")
    assert referral.closed_at is not None and referral.events[-1].actor == "system"
    assert [a.detail["to"] for a in _audit("referral.status_changed")] == ["opened", "accepted", "closed"]
    updates = _updates()
    assert sorted(n.to for n in updates) == sorted(["jo@example.org", "pat@school.example.org"] * 3)
    for notification in updates:
        assert referral.reference in notification.body and "/referrals/track" in notification.body
        for private in ("Sam", "anxious", "Bring a drink", "Accepted", "accepted"):
            assert private not in notification.subject + notification.body


def test_the_referrer_is_not_told_without_the_familys_agreement(service):
    referral, *_ = make_referral(service, "professional", may_follow=False)
    referrals.change_status(referral, "opened", user=WORKER)
    assert [n.to for n in _updates()] == ["jo@example.org"]


def test_two_people_changing_a_referral_at_once_cannot_both_win(service):
    referral, *_ = make_referral(service)
    assert referral.status == "new"
    # Someone else opens it after this referral was loaded.
    db.session.execute(update(Referral).where(Referral.id == referral.id).values(status="opened")
                       .execution_options(synchronize_session=False))
    with pytest.raises(InvalidTransition, match="changed meanwhile"):
        referrals.change_status(referral, "opened", user=WORKER)
    db.session.rollback()
    assert count(ReferralEvent) == 1


def test_a_provider_reading_a_referral_dates_the_reading_and_is_audited(service):
    referral, *_ = make_referral(service)
    referrals.open_for_provider(referral, user=WORKER)
    first = referral.opened_at
    referrals.open_for_provider(referral, user=WORKER)
    assert first is not None and referral.opened_at == first
    assert referral.status == "new" and len(referral.events) == 1, "the family is told nothing yet"
    viewed = _audit("referral.viewed")
    assert [a.actor for a in viewed] == [WORKER.email, WORKER.email]
    referrals.record_export([referral], user=WORKER, what="print")
    assert _audit("referral.exported")[0].detail == {"reference": referral.reference, "what": "print"}


# -- the tracker ----------------------------------------------------------------------------

@pytest.mark.parametrize("email", ["sám@family.example.org", "олена@родина.example.org"])
def test_a_family_whose_email_has_accents_finds_its_referral_by_reference(service, client, email):
    referral, _, _ = make_referral(service, email=email)
    found = client.post("/referrals/track", data={"reference": referral.reference.lower(), "email": email})
    assert found.status_code == 302
    assert f"Sent to {service.name}" in _html(client.get(found.headers["Location"]))
    wrong = client.post("/referrals/track",
                        data={"reference": referral.reference, "email": "sam@family.example.org"})
    assert wrong.status_code == 400


def test_the_family_follows_the_referral_through_its_link(service, client):
    referral, family_token, _ = make_referral(service)
    response = client.get(f"/referrals/track/{family_token}")
    check_page(response)
    html = _html(response)
    assert f"Sent to {service.name}" in html and referral.reference in html
    for private in ("Sam", "anxious", "07700", "Jo Parent", "jo@example.org"):
        assert private not in html
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert f"Only {service.organisation.name}, which runs {service.name}, receives the details" in html
    assert 'href="/privacy"' in html
    assert [(a.actor, a.subject_id) for a in _audit("referral.viewed")] == [("family", str(referral.id))]

    referrals.change_status(referral, "opened", user=WORKER)
    referrals.change_status(referral, "waiting-list", user=WORKER, estimate_weeks=6,
                            note="We will phone you first")
    html = _html(client.get(f"/referrals/track/{family_token}"))
    assert "On the waiting list" in html and "in about 6 weeks" in html
    assert "We will phone you first" in html and "Read by the service" in html
    referrals.change_status(referral, "declined", user=WORKER, reason="other-service",
                            reason_text="Your child's needs are medical.",
                            suggestion="Ask your GP about the children's mental health service")
    html = _html(client.get(f"/referrals/track/{family_token}"))
    for text in ("The service cannot help", "Another service is better placed to help",
                 "Your child's needs are medical.",
                 "Where to go instead: Ask your GP about the children's mental health service"):
        assert text in html


def test_a_referrer_without_the_familys_agreement_sees_only_that_it_was_received(service, client):
    referral, _, referrer_token = make_referral(service, "professional", may_follow=False)
    referrals.change_status(referral, "opened", user=WORKER)
    referrals.change_status(referral, "accepted", user=WORKER, expected_start=date(2027, 1, 4))
    html = _html(client.get(f"/referrals/track/{referrer_token}"))
    assert f"Sent to {service.name}" in html
    assert "Accepted" not in html and "4 January 2027" not in html
    assert "The family has not agreed that you can be told how the referral goes" in html
    assert _audit("referral.viewed")[0].actor == "referrer"


def test_a_referrer_with_agreement_sees_the_outcome(service, client):
    referral, _, referrer_token = make_referral(service, "professional", may_follow=True)
    referrals.change_status(referral, "opened", user=WORKER)
    referrals.change_status(referral, "accepted", user=WORKER, expected_start=date(2027, 1, 4))
    html = _html(client.get(f"/referrals/track/{referrer_token}"))
    assert "Accepted" in html and "4 January 2027" in html


def test_an_unknown_tracker_link_is_not_found(service, client):
    make_referral(service)
    assert client.get("/referrals/track/not-a-real-token").status_code == 404
    assert client.get("/referrals/track/" + "x" * 300).status_code == 404


def test_the_reference_and_email_are_a_second_way_in(service, client):
    referral, *_ = make_referral(service)
    check_page(client.get("/referrals/track"))
    wrong = client.post("/referrals/track", data={"reference": referral.reference,
                                                  "email": "someone@example.org"})
    assert wrong.status_code == 400
    assert "We could not find a referral with that reference and email address" in _html(wrong)
    typed = referral.reference.lower().replace("-", " ")  # as someone might type it
    found = client.post("/referrals/track", data={"reference": typed, "email": " JO@example.org "})
    assert found.headers["Location"].endswith("/referrals/track/found")
    page = client.get("/referrals/track/found")
    check_page(page)
    assert referral.reference in _html(page)
    assert [a.actor for a in _audit("referral.viewed")] == ["family"]
    # Left for an hour on a shared device, the looked-up referral is not shown to the next person.
    with client.session_transaction() as session:
        tracking = session["referral_tracking"]
        tracking["seen"] -= 61 * 60
        session["referral_tracking"] = tracking
    gone = client.get("/referrals/track/found")
    assert gone.status_code == 302 and gone.headers["Location"].endswith("/referrals/track")


def test_a_professional_typing_the_familys_address_gets_no_view_the_family_emailed_a_link(
        service, client):
    """The professional knows the reference and the family's address (they typed both), so
    those two open nothing here: the family's view goes to the family's own inbox."""
    referral, *_ = make_referral(service, "professional", may_follow=False)
    referrals.change_status(referral, "opened", user=WORKER)
    referrals.change_status(referral, "accepted", user=WORKER, expected_start=date(2027, 1, 4),
                            note="We will phone you on Monday")
    before = count(Notification)
    response = client.post("/referrals/track", data={"reference": referral.reference,
                                                     "email": "jo@example.org"})
    assert response.headers["Location"].endswith("/referrals/track/link-sent")
    page = client.get(response.headers["Location"])
    check_page(page)
    html = _html(page)
    assert "Check your email" in html and "works for 7 days" in html
    for private in ("Accepted", "4 January 2027", "We will phone you"):
        assert private not in html and private not in _html(client.get("/referrals/track/found"))
    assert _audit("referral.viewed") == []

    (link_email,) = db.session.scalars(select(Notification).where(Notification.kind == "referral.link"))
    assert count(Notification) == before + 1
    assert link_email.to == "jo@example.org" and referral.reference in link_email.subject
    link = re.search(r"https?://\S+(/referrals/track/link/\S+)", link_email.body).group(1)
    family_view = client.get(link)
    check_page(family_view)
    assert "Accepted" in _html(family_view) and "We will phone you on Monday" in _html(family_view)
    assert family_view.headers["Cache-Control"] == "no-store"
    assert [a.actor for a in _audit("referral.viewed")] == ["family"]

    # The referrer's own address gives the referrer's view, which the family limited.
    own = client.post("/referrals/track", data={"reference": referral.reference,
                                                "email": "pat@school.example.org"})
    assert own.headers["Location"].endswith("/referrals/track/found")
    assert "Accepted" not in _html(client.get("/referrals/track/found"))
    # A link altered, or older than 7 days, opens nothing.
    assert client.get(link[:-3] + "abc").status_code == 404
    signed_at = int(time.time()) - 8 * 86400
    with patch.object(TimestampSigner, "get_timestamp", lambda self: signed_at):
        stale = referrals.email_family_link(referral)
    db.session.commit()
    stale_link = re.search(r"https?://\S+(/referrals/track/link/\S+)", stale.body).group(1)
    assert client.get(stale_link).status_code == 404


@pytest.mark.parametrize("data, messages", [
    ({}, ["Enter your reference, like EH-7K4M-2Q", "Enter the email address you gave with the referral"]),
    ({"reference": "EH-0000-00", "email": "jo@"},
     ["Enter the reference as it was given to you, like EH-7K4M-2Q",
      "Enter an email address in the correct format, like name@example.org"]),
])
def test_finding_a_referral_explains_what_is_wrong(service, client, data, messages):
    response = client.post("/referrals/track", data=data)
    parser = check_page(response, 400)
    assert parser.title.startswith("Error: ")
    for message in messages:
        assert message in _html(response)


def test_guessing_references_is_rate_limited(app, service, client):
    app.config["REFERRAL_LOOKUP_RATE_LIMIT"] = 2
    try:
        for _ in range(2):
            client.post("/referrals/track", data={"reference": "EH-2345-67", "email": "a@example.org"})
        response = client.post("/referrals/track", data={"reference": "EH-2345-67", "email": "a@example.org"})
        assert response.status_code == 429
        assert "You have tried to find a referral too many times" in _html(response)
    finally:
        app.config["REFERRAL_LOOKUP_RATE_LIMIT"] = 20


def test_references_are_easy_to_read_out():
    for _ in range(200):
        reference = referrals.new_reference()
        assert referrals.REFERENCE_PATTERN.fullmatch(reference)
        assert not set(reference[3:].replace("-", "")) & set("01OILU")
    assert referrals.normalise_reference("eh 7k4m 2q") == "EH-7K4M-2Q"
    assert referrals.normalise_reference("7K4M2Q") == "EH-7K4M-2Q"
    assert referrals.normalise_reference("EH-7K4M-2O") is None


# -- late referrals, in working days ------------------------------------------------------------

def test_working_days_skip_weekends_and_bank_holidays():
    listed = dates.bank_holidays(date(2025, 1, 1), date(2028, 12, 31))
    assert all(day.weekday() < 5 for day in listed) and len(listed) == 32
    christmas_eve = date(2026, 12, 24)  # then 25 and 28 December and 1 January are holidays
    assert dates.add_working_days(christmas_eve, 5) == date(2027, 1, 5)
    assert dates.full_working_days_between(christmas_eve, date(2027, 1, 5)) == 4
    assert dates.full_working_days_between(christmas_eve, date(2027, 1, 6)) == 5
    assert dates.full_working_days_between(date(2026, 11, 2), date(2026, 11, 10)) == 5
    # 23:30 UTC on 30 June is already 1 July in England.
    assert dates.local_date(datetime(2026, 6, 30, 23, 30)) == date(2026, 7, 1)
    # Years past the hand-kept list's last (2028) come from the holidays package.
    assert dates.covered(date(2035, 12, 31)) and not dates.covered(date(2101, 1, 1))
    assert not dates.is_working_day(date(2031, 12, 25))
    assert dates.add_working_days(date(2032, 12, 24), 1) == date(2032, 12, 29)  # Sat 25: 27, 28
    # New Year's Day 2028 is a Saturday: Monday 3 January is the holiday.
    assert dates.add_working_days(date(2027, 12, 31), 1) == date(2028, 1, 4)


def test_flag_overdue_warns_when_the_bank_holidays_of_this_year_are_not_listed(service, cli, monkeypatch):
    monkeypatch.setattr(dates, "today_in_england", lambda: date(2101, 1, 10))
    result = cli.invoke(args=["referrals", "flag-overdue"])
    assert result.exit_code == 0
    assert "bank holidays of 2101 are not listed" in result.output
    monkeypatch.undo()
    assert "not listed" not in cli.invoke(args=["referrals", "flag-overdue"]).output


def test_a_referral_not_opened_in_5_working_days_is_flagged_once(app, service):
    app.config["PARTNERSHIP_EMAIL"] = "partnership@example.org"
    try:
        referral, *_ = make_referral(service, now=datetime(2026, 12, 24, 10, 0))
        assert referrals.overdue(datetime(2027, 1, 5, 17, 0)) == []
        late = referrals.overdue(datetime(2027, 1, 6, 9, 0))
        assert [(item.referral.id, item.kind, item.working_days) for item in late] == [
            (referral.id, "open", 5)]
        flagged = referrals.flag_overdue(datetime(2027, 1, 6, 9, 0))
        assert len(flagged) == 1 and referral.open_overdue_at is not None
        emails = db.session.scalars(select(Notification).where(Notification.kind == "referral.overdue")).all()
        assert sorted(n.to for n in emails) == sorted([service.referral_email, "partnership@example.org"])
        assert all("has not been opened in 5 working days" in n.body and "Sam" not in n.body
                   for n in emails)
        assert referrals.flag_overdue(datetime(2027, 1, 7, 9, 0)) == []
        assert len(_audit("referral.flagged_overdue")) == 1
    finally:
        app.config["PARTNERSHIP_EMAIL"] = ""


def test_a_referral_not_decided_in_20_working_days_is_flagged(service):
    referral, *_ = make_referral(service, now=datetime(2026, 11, 2, 10, 0))  # a Monday
    decided, *_ = make_referral(service, now=datetime(2026, 11, 2, 10, 0))
    for item in (referral, decided):
        db.session.execute(update(Referral).where(Referral.id == item.id).values(status="opened"))
    db.session.commit()
    db.session.execute(update(Referral).where(Referral.id == decided.id).values(status="accepted"))
    db.session.commit()
    assert referrals.overdue(datetime(2026, 11, 30, 9, 0)) == []  # 19 full working days
    late = referrals.overdue(datetime(2026, 12, 1, 9, 0))
    assert [(item.referral.id, item.kind) for item in late] == [(referral.id, "decision")]
    referrals.flag_overdue(datetime(2026, 12, 1, 9, 0))
    assert referral.decision_overdue_at is not None and decided.decision_overdue_at is None


def test_flask_referrals_flag_overdue(service, cli):
    referral, *_ = make_referral(service, now=utcnow() - timedelta(days=60))
    result = cli.invoke(args=["referrals", "flag-overdue"])
    assert result.exit_code == 0, result.output
    assert f"{referral.reference}\topen" in result.output
    assert f"{referral.reference}\tdecision" in result.output
    assert "2 newly flagged" in result.output
    assert "0 newly flagged" in cli.invoke(args=["referrals", "flag-overdue"]).output


# -- retention and subject access -----------------------------------------------------------------

def test_purge_anonymises_old_referrals_and_nothing_else(service, cli):
    now = utcnow()
    old, old_token, _ = make_referral(service, "professional", email="old@example.org",
                                      now=now - timedelta(days=400))
    referrals.change_status(old, "opened", user=WORKER)
    referrals.change_status(old, "declined", user=WORKER, reason="other",
                            reason_text="Sam's school already helps", suggestion="Talk to Jo's GP")
    db.session.execute(update(Referral).where(Referral.id == old.id)
                       .values(updated_at=now - timedelta(days=366)))
    recent, recent_token, _ = make_referral(service, email="recent@example.org",
                                            now=now - timedelta(days=30))
    # Still open after two years on a waiting list: kept, however long since it changed.
    waiting, *_ = make_referral(service, email="waiting@example.org", now=now - timedelta(days=800))
    referrals.change_status(waiting, "opened", user=WORKER)
    referrals.change_status(waiting, "waiting-list", user=WORKER, estimate_weeks=104)
    db.session.execute(update(Referral).where(Referral.id == waiting.id)
                       .values(updated_at=now - timedelta(days=700)))
    outbox_other = Notification(to="staff@example.org", subject="Invitation", body="Join us",
                                kind="account.invitation", dedupe_key="invite-1")
    db.session.add(outbox_other)
    db.session.commit()
    # The family's and the referrer's addresses, as their requests recorded them.
    db.session.execute(update(AuditEvent).where(AuditEvent.subject_id.in_((str(old.id), str(recent.id))))
                       .values(address="203.0.113.7"))
    db.session.commit()
    # old: new, 2 receipts, 2×2 updates; waiting: new, receipt, 2 updates
    old_id, recent_notifications = old.id, count(Notification) - 1 - 7 - 4
    assert recent_notifications == 2
    events_before, audit_before = count(ReferralEvent), count(AuditEvent)

    dry = referrals.purge(now, dry_run=True)
    assert dry.anonymised == [old.reference]
    assert db.session.get(Referral, old_id).anonymised_at is None

    report = cli.invoke(args=["referrals", "purge"])
    assert report.exit_code == 0, report.output
    assert "1 referral(s) anonymised; 7 email(s) deleted from the outbox" in report.output
    db.session.expire_all()
    old = db.session.get(Referral, old_id)
    assert old.anonymised_at is not None and old.answers == {}
    assert (old.contact_email, old.referrer_email, old.family_token_hash, old.referrer_token_hash,
            old.submission_key) == (None, None, None, None, None)
    assert old.status == "declined" and old.service_id == service.id and old.reference
    assert [e.details for e in old.events] == [{}, {}, {"reason": "other"}]
    assert count(ReferralEvent) == events_before
    assert count(AuditEvent) == audit_before + 1
    addresses = dict(db.session.execute(select(AuditEvent.actor, AuditEvent.address).where(
        AuditEvent.subject_id == str(old_id), AuditEvent.action != "referral.anonymised")).all())
    assert addresses["referrer"] is None, "the referrer's network address goes"
    assert addresses[WORKER.email] == "203.0.113.7", "staff actions keep theirs"
    assert set(db.session.scalars(select(AuditEvent.address).where(
        AuditEvent.subject_id == str(recent.id)))) == {"203.0.113.7"}, "the recent referral is untouched"
    assert db.session.scalars(select(Notification).where(Notification.referral_id == old_id)).all() == []
    # Nothing else: the recent referral, its emails, other emails and the service are untouched.
    recent = db.session.get(Referral, recent.id)
    assert recent.anonymised_at is None and recent.answers["child"]["first_name"] == "Sam"
    assert recent.contact_email == "recent@example.org"
    kept = db.session.scalars(select(Notification).where(Notification.referral_id == recent.id)).all()
    assert len(kept) == 2
    assert db.session.get(Notification, outbox_other.id) is not None
    assert db.session.get(Service, service.id) is not None
    waiting = db.session.get(Referral, waiting.id)
    assert waiting.anonymised_at is None and waiting.contact_email == "waiting@example.org"
    # Left open with nothing new for REFERRAL_OPEN_RETENTION_DAYS (1095), it goes too.
    assert referrals.purge(now + timedelta(days=1095 - 700 + 1)).anonymised == [waiting.reference]
    # Anonymised referrals cannot be found any more; a second purge does nothing.
    assert referrals.find_by_token(old_token) is None and referrals.find_by_token(recent_token)
    assert referrals.find_by_reference(old.reference, "old@example.org") is None
    assert referrals.subject_access("old@example.org")["referrals"] == []
    assert referrals.purge(now).anonymised == []


def test_subject_access_finds_everything_held_about_one_family(service, cli):
    mine, *_ = make_referral(service, email="jo@example.org")
    about_me, *_ = make_referral(service, "professional", email="JO@example.org")
    made_by_me, *_ = make_referral(service, "professional", email="other@example.org",
                                   referrer_email="jo@example.org")
    someone_else, *_ = make_referral(service, email="someone@example.org")
    referrals.change_status(mine, "opened", user=WORKER)
    result = referrals.subject_access(" Jo@Example.org ")
    found = {item["reference"]: item for item in result["referrals"]}
    assert set(found) == {mine.reference, about_me.reference, made_by_me.reference}
    assert found[mine.reference]["held_as"] == "contact"
    assert found[made_by_me.reference]["held_as"] == "referrer"
    assert found[mine.reference]["answers"]["need"] == "Sam is very anxious about school."
    assert found[mine.reference]["consent"]["notice_version"] == "2026-11"
    assert [h["status"] for h in found[mine.reference]["history"]] == ["new", "opened"]
    assert found[mine.reference]["history"][1]["by"] == "service"  # staff addresses stay private
    assert someone_else.reference not in json.dumps(result)
    assert {e["to"] for e in result["emails"]} == {"jo@example.org"}
    assert len(result["emails"]) == 4  # two receipts, one referrer receipt, one update
    exported = _audit("referral.exported")
    assert sorted(a.subject_id for a in exported) == sorted(
        str(r.id) for r in (mine, about_me, made_by_me))

    printed = cli.invoke(args=["referrals", "subject-access", "jo@example.org"])
    assert printed.exit_code == 0, printed.output
    assert {r["reference"] for r in json.loads(printed.output)["referrals"]} == set(found)


def test_subject_access_gives_a_referrer_only_their_own_details_and_what_they_may_follow(service):
    made, *_ = make_referral(service, "professional", may_follow=False)
    referrals.change_status(made, "opened", user=WORKER)
    referrals.change_status(made, "accepted", user=WORKER, expected_start=date(2027, 1, 4),
                            note="We will phone you on Monday")
    (item,) = referrals.subject_access("pat@school.example.org")["referrals"]
    assert item["held_as"] == "referrer" and item["answers"]["referrer"]["email"] == "pat@school.example.org"
    text = json.dumps(item)
    for private in ("Sam", "anxious", "Jo Parent", "jo@example.org", "accepted", "We will phone you",
                    "2027-01-04"):
        assert private not in text, private
    assert [h["status"] for h in item["history"]] == ["new"]
    # The family's own export has it all.
    (family,) = referrals.subject_access("jo@example.org")["referrals"]
    assert family["status"] == "accepted" and "We will phone you" in json.dumps(family)

    # Let to follow it, a referrer gets what the tracker shows them, not the provider's notes.
    followed, *_ = make_referral(service, "professional", email="kim@example.org",
                                 referrer_email="lee@school.example.org", may_follow=True)
    referrals.change_status(followed, "opened", user=WORKER)
    referrals.change_status(followed, "contacted", user=WORKER, note="Dad has left; mum struggling")
    referrals.change_status(followed, "waiting-list", user=WORKER, estimate_weeks=6,
                            note="We will phone in March")
    (item,) = referrals.subject_access("lee@school.example.org")["referrals"]
    assert [h["status"] for h in item["history"]] == ["new", "opened", "contacted", "waiting-list"]
    assert "Dad has left" not in json.dumps(item)
    assert item["history"][3]["details"] == {"estimate_weeks": 6, "note": "We will phone in March"}


def test_subject_access_finds_a_family_that_gave_only_a_phone_number(service, cli):
    by_phone, *_ = make_referral(service, email="")
    by_phone.answers = {**by_phone.answers, "contact": {
        **by_phone.answers["contact"], "email": "", "phone": "07700 900982",
        "phone_normalised": "07700900982"}}
    db.session.commit()
    make_referral(service, email="someone@example.org")
    printed = cli.invoke(args=["referrals", "subject-access", "--phone", "+44 7700 900 982"])
    assert printed.exit_code == 0, printed.output
    result = json.loads(printed.output)
    assert [r["reference"] for r in result["referrals"]] == [by_phone.reference]
    assert result["referrals"][0]["held_as"] == "contact"
    assert cli.invoke(args=["referrals", "subject-access"]).exit_code != 0
    wrong = cli.invoke(args=["referrals", "subject-access", "--phone", "not a number"])
    assert wrong.exit_code != 0 and "is not a phone number" in wrong.output
