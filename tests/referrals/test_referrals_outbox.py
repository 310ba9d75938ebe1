"""The outbox over a real SMTP server (aiosmtpd on a free port): transactions, retries with
back-off, giving up, two senders at once, SMTP down then up, and the CLI."""

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Notification
from app.models.directory import utcnow
from app.notifications import outbox
from tests.referrals import referral_support
from tests.referrals.referral_support import (
    count,
    refer_url,
    self_referral_service,
    submit,
    walk_to_check,
)

# Fixtures shared by the referral tests.
referrals_db = referral_support.referrals_db
smtp = referral_support.smtp
smtp_up = referral_support.smtp_up


def _queue(n: int, prefix: str = "m") -> list[Notification]:
    queued = [outbox.queue_email(f"{prefix}{i}@example.org", f"Subject {prefix}{i}", f"Body {i}",
                                 kind="test", key=f"{prefix}{i}") for i in range(n)]
    db.session.commit()
    return queued


def test_an_email_is_queued_in_the_callers_transaction(referrals_db):
    outbox.queue_email("a@example.org", "Hello", "Body", kind="test")
    db.session.rollback()
    assert count(Notification) == 0
    first = outbox.queue_email("a@example.org", "Hello", "Body", kind="test", key="once")
    again = outbox.queue_email("a@example.org", "Hello", "Body", kind="test", key="once")
    assert first is again
    db.session.commit()
    assert outbox.queue_email("a@example.org", "Hello", "Body", kind="test", key="once").id == first.id
    db.session.commit()
    assert count(Notification) == 1
    assert first.state == "queued" and first.attempts == 0


def test_due_emails_are_sent_over_smtp_once(referrals_db, smtp_up):
    _queue(2)
    report = outbox.send_due()
    assert (report.sent, report.failed) == (2, 0)
    assert sorted(m["To"] for m in smtp_up.inbox.messages) == ["m0@example.org", "m1@example.org"]
    message = smtp_up.inbox.to("m0@example.org")[0]
    assert message["Subject"] == "Subject m0"
    assert message["From"] == "Surrey Family Support <no-reply@localhost>"
    assert message["Message-ID"].startswith("<notification-")
    assert message.get_payload(decode=True).decode().strip() == "Body 0"
    assert all(n.sent_at is not None for n in db.session.scalars(select(Notification)))
    assert outbox.send_due().sent == 0
    assert len(smtp_up.inbox.messages) == 2


def test_smtp_down_then_up_sends_each_email_exactly_once(referrals_db, smtp):
    _queue(3)
    now = utcnow()
    down = outbox.send_due(now)
    assert (down.sent, down.failed) == (0, 1)  # stops at the first: the server is down
    tried = db.session.scalars(select(Notification).where(Notification.attempts > 0)).all()
    assert len(tried) == 1 and "ConnectionRefusedError" in tried[0].last_error
    assert tried[0].next_attempt_at == now + timedelta(seconds=60)

    smtp.start()
    assert outbox.send_due(now).sent == 2  # the one that failed waits for its back-off
    assert outbox.send_due(now + timedelta(seconds=61)).sent == 1
    assert outbox.send_due(now + timedelta(hours=1)).sent == 0
    received = sorted(m["To"] for m in smtp.inbox.messages)
    assert received == ["m0@example.org", "m1@example.org", "m2@example.org"]


def test_while_the_server_is_down_emails_stay_queued_however_long_it_lasts(app, referrals_db, smtp):
    (notification,) = _queue(1)
    now = utcnow()
    waits = []
    for _ in range(12):  # well past MAIL_MAX_ATTEMPTS (8): a weekend's outage
        now = max(now, db.session.get(Notification, notification.id).next_attempt_at)
        assert outbox.send_due(now).given_up == 0
        db.session.refresh(notification)
        waits.append(notification.next_attempt_at - now)
    assert waits[:3] == [timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240)]
    assert waits[-1] == timedelta(hours=6)  # capped
    assert notification.state == "queued" and notification.attempts == 12
    assert [n.id for n in outbox.needs_attention(now)] == [notification.id]

    smtp.start()
    assert outbox.send_due(now + timedelta(hours=6)).sent == 1
    assert outbox.send_due(now + timedelta(days=2)).sent == 0
    assert [m["To"] for m in smtp.inbox.messages] == ["m0@example.org"]


def test_a_message_refused_again_and_again_is_given_up_and_shows_for_an_admin(app, referrals_db,
                                                                               smtp_up, cli):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    try:
        notification = outbox.queue_email("refused@example.org", "No", "Body", kind="test")
        db.session.commit()
        now = utcnow()
        for _ in range(3):
            now = max(now, db.session.get(Notification, notification.id).next_attempt_at)
            outbox.send_due(now)
        db.session.refresh(notification)
        assert notification.attempts == 3 and notification.failed_at is not None
        assert notification.state == "failed"
        assert outbox.send_due(now + timedelta(days=1)).sent == 0  # given up: not retried
        assert [n.id for n in outbox.needs_attention()] == [notification.id]
        listing = cli.invoke(args=["notify", "list"])
        assert "failed" in listing.output and "refused@example.org" in listing.output

        # An admin asks for another go (the address fixed at the other end, say).
        outbox.retry(notification)
        assert db.session.get(Notification, notification.id).state == "queued"
        assert outbox.send_due().failed == 1
    finally:
        app.config["MAIL_MAX_ATTEMPTS"] = 3


@pytest.fixture
def admin_outbox(app, referrals_db):
    """The admin's outbox page, as a function (signing in clears the outbox: do it first)."""
    from tests.accounts.test_accounts import clear_people
    from tests.conftest import make_user, sign_in

    clear_people()
    client = app.test_client()
    sign_in(client, make_user("admin@partnership.example.org", role="admin"))
    return lambda: client.get("/admin/outbox").get_data(as_text=True)


def _try_until(notification: Notification, tries: int, now):
    for _ in range(tries):
        now = max(now, db.session.get(Notification, notification.id).next_attempt_at)
        outbox.send_due(now)
    db.session.refresh(notification)
    return now


def test_a_busy_server_451_is_retried_for_days_not_given_up_after_a_few_tries(app, admin_outbox, smtp_up,
                                                                          monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    monkeypatch.setitem(app.config, "MAIL_RETRY_WINDOW_HOURS", 120)
    notification = outbox.queue_email("busy@example.org", "Your referral", "Body", kind="test")
    db.session.commit()
    now = _try_until(notification, 10, utcnow())  # far past 3 tries: about a day of 451s
    assert notification.state == "queued" and notification.attempts == 10
    assert "451" in notification.last_error and outbox.failure_kind(notification) == "temporary"
    page = admin_outbox()
    assert "Temporary failure" in page and "Retried until" in page

    smtp_up.inbox.busy = set()  # the server has caught up
    now = _try_until(notification, 1, now)
    assert notification.state == "sent"
    assert [m["To"] for m in smtp_up.inbox.messages] == ["busy@example.org"]


def test_temporary_failures_are_given_up_when_the_window_ends(app, admin_outbox, smtp_up, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RETRY_WINDOW_HOURS", 48)
    notification = outbox.queue_email("busy@example.org", "Your referral", "Body", kind="test")
    db.session.commit()
    _try_until(notification, 12, utcnow())
    assert notification.state == "queued"
    outbox.send_due(notification.created_at + timedelta(hours=48, minutes=1))
    db.session.refresh(notification)
    assert notification.state == "failed"
    page = admin_outbox()
    assert "Given up" in page and "Failed temporarily until its retry period ended" in page


def test_a_permanent_550_is_given_up_after_max_attempts_and_shown_as_refused(app, admin_outbox, smtp_up,
                                                                          monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    notification = outbox.queue_email("refused@example.org", "Your referral", "Body", kind="test")
    db.session.commit()
    now = _try_until(notification, 1, utcnow())
    assert notification.state == "queued" and outbox.failure_kind(notification) == "permanent"
    assert "Refused" in admin_outbox()
    _try_until(notification, 1, now)
    assert notification.state == "failed" and notification.attempts == 2
    assert "Refused by the mail server" in admin_outbox()


def test_an_address_the_server_cannot_take_fails_alone_and_is_given_up(app, referrals_db, smtp):
    """A server without SMTPUTF8 cannot take a non-ASCII address: that is this message's
    problem, not the server's, so the others still go, and it does not stay queued for ever."""
    smtp.start(smtputf8=False)
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    try:
        unusual = outbox.queue_email("sám@example.org", "One", "Body", kind="test")
        outbox.queue_email("fine@example.org", "Two", "Body", kind="test")
        db.session.commit()
        report = outbox.send_due()
        assert (report.sent, report.failed) == (1, 1)
        outbox.send_due(utcnow() + timedelta(minutes=2))
        db.session.refresh(unusual)
        assert unusual.state == "failed" and "SMTPNotSupportedError" in unusual.last_error
    finally:
        app.config["MAIL_MAX_ATTEMPTS"] = 3


def test_a_long_run_claims_with_a_lease_from_the_clock_not_from_its_start(referrals_db):
    (notification,) = _queue(1)
    run_started = utcnow() - timedelta(minutes=30)  # a run busy with a backlog since then
    notification.next_attempt_at = run_started
    db.session.commit()
    assert outbox._claim(notification.id, run_started) is not None
    assert outbox._claim(notification.id, utcnow()) is None  # a second sender finds it taken


def test_the_back_off_is_capped(app):
    with app.app_context():
        assert outbox.backoff(1) == timedelta(seconds=60)
        assert outbox.backoff(4) == timedelta(seconds=480)
        assert outbox.backoff(30) == timedelta(hours=6)


def test_a_refused_recipient_fails_alone(referrals_db, smtp_up):
    outbox.queue_email("refused@example.org", "No", "Body", kind="test")
    outbox.queue_email("fine@example.org", "Yes", "Body", kind="test")
    db.session.commit()
    report = outbox.send_due()
    assert (report.sent, report.failed) == (1, 1)
    assert [m["To"] for m in smtp_up.inbox.messages] == ["fine@example.org"]
    refused = db.session.scalar(select(Notification).where(Notification.to == "refused@example.org"))
    assert refused.state == "queued" and "550" in refused.last_error


def test_a_queued_email_that_waits_too_long_shows_for_an_admin(referrals_db):
    (notification,) = _queue(1)
    assert outbox.needs_attention() == []
    assert [n.id for n in outbox.needs_attention(utcnow() + timedelta(hours=2))] == [notification.id]


def test_two_senders_at_once_send_each_email_once(app, referrals_db, smtp_up):
    _queue(12)
    reports = []

    def run():
        with app.app_context():
            reports.append(outbox.send_due())
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(r.sent for r in reports) == 12
    assert len(smtp_up.inbox.messages) == 12
    assert len({m["To"] for m in smtp_up.inbox.messages}) == 12


def test_a_sender_that_died_mid_send_holds_the_email_only_for_its_lease(referrals_db, smtp_up):
    (notification,) = _queue(1)
    now = utcnow()
    assert outbox._claim(notification.id, now) is not None  # then the process dies
    assert outbox.send_due(now).sent == 0
    assert outbox.send_due(now + outbox.LEASE + timedelta(seconds=1)).sent == 1
    assert len(smtp_up.inbox.messages) == 1


def test_flask_notify_send_and_list(referrals_db, smtp_up, cli):
    _queue(2)
    listing = cli.invoke(args=["notify", "list"])
    assert listing.exit_code == 0 and listing.output.count("queued") == 2
    sent = cli.invoke(args=["notify", "send"])
    assert sent.exit_code == 0, sent.output
    assert "sent 2, failed 0" in sent.output
    assert "0 not sent" in cli.invoke(args=["notify", "list"]).output
    assert len(smtp_up.inbox.messages) == 2


def test_the_app_sends_straight_after_a_referral_is_submitted(app, referrals_db, smtp_up, client):
    service = self_referral_service()
    app.config["MAIL_SEND_AFTER_SUBMIT"] = True
    try:
        walk_to_check(client, service.id, "parent")
        response, _ = submit(client, service.id)
        assert response.headers["Location"].endswith(refer_url(service.id, "confirmation"))
        smtp_up.inbox.wait_for(2)
    finally:
        app.config["MAIL_SEND_AFTER_SUBMIT"] = False
    assert sorted(m["To"] for m in smtp_up.inbox.messages) == sorted(
        [service.referral_email, "jo@example.org"])
    receipt = smtp_up.inbox.to("jo@example.org")[0].get_payload(decode=True).decode()
    assert "/referrals/track/" in receipt and "Sam" not in receipt
    db.session.rollback()
    assert outbox.unsent() == []
    # The family has the tracker link now; the copy kept in the outbox no longer holds it.
    token = re.search(r"/referrals/track/([\w-]+)", receipt).group(1)
    kept = db.session.scalars(select(Notification).where(Notification.to == "jo@example.org")).one()
    assert token not in kept.body and "/referrals/track/(link removed once sent)" in kept.body
    assert client.get(f"/referrals/track/{token}").status_code == 200
