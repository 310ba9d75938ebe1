"""The email outbox.

`queue_email` adds a message to the caller's transaction, so an email exists exactly when
the change it announces was committed. `send_due` sends what is due over SMTP: each
message is first claimed with a lease (a conditional UPDATE, committed), then sent, then
marked sent in its own commit. Two senders (cron and the app's background thread) never
send the same message at once, and a crash between sending and marking can send a message
at most once more, after the lease ends. Failures are retried with exponential back-off:
permanent refusals (5xx) until MAIL_MAX_ATTEMPTS, temporary ones (4xx, the server down)
for MAIL_RETRY_WINDOW_HOURS; then the message stays as failed for an admin to see.
"""

import contextlib
import re
import smtplib
import sys
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import Flask, current_app
from sqlalchemy import or_, select, update

from app.extensions import db
from app.models.directory import utcnow
from app.models.notifications import Notification

# How long a claimed message is held by one sender before another may try it.
LEASE = timedelta(minutes=5)
# The longest wait between two tries.
MAX_BACKOFF = timedelta(hours=6)
# A queued message older than this (or that has failed once) needs an admin's eye.
STUCK_AFTER = timedelta(hours=1)


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0  # tried and failed this time (will be retried unless given up)
    given_up: int = 0
    errors: list[str] = field(default_factory=list)


def queue_email(to: str, subject: str, body: str, *, kind: str, referral=None,
                key: str | None = None) -> Notification:
    """Adds an email to the session (the caller commits). The same `key` twice is one email:
    the existing one is returned."""
    key = key or f"{kind}:{uuid.uuid4().hex}"
    for pending in db.session.new:
        if isinstance(pending, Notification) and pending.dedupe_key == key:
            return pending
    with db.session.no_autoflush:
        existing = db.session.scalar(select(Notification).where(Notification.dedupe_key == key))
    if existing is not None:
        return existing
    notification = Notification(
        to=to.strip(), subject=subject[:200], body=body, kind=kind, dedupe_key=key[:200],
        referral=referral, created_at=utcnow(), next_attempt_at=utcnow(), attempts=0)
    db.session.add(notification)
    return notification


def send_due(now: datetime | None = None, *, only: Iterable[int] | None = None,
             limit: int = 500) -> SendReport:
    """Sends every due message (or only those ids), one SMTP connection for the run."""
    now = now or utcnow()
    report = SendReport()
    config = current_app.config
    ids = _due_ids(now, only, limit)
    connection: smtplib.SMTP | ConsoleConnection | None = None
    try:
        for notification_id in ids:
            notification = _claim(notification_id, now)
            if notification is None:
                continue  # another sender has it, or it was sent meanwhile
            try:
                if connection is None:
                    connection = _connect(config)
                connection.send_message(_message(notification, config))
            except (smtplib.SMTPException, OSError) as error:
                gave_up = _record_failure(notification, error, now)
                report.failed += 1
                report.given_up += int(gave_up)
                report.errors.append(f"{notification.id}: {_describe(error)}")
                if _server_problem(error):
                    break  # the others would fail the same way: leave them untouched
                continue
            _mark_sent(notification)
            report.sent += 1
    finally:
        if connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.quit()
    return report


def _due_ids(now: datetime, only: Iterable[int] | None, limit: int) -> list[int]:
    query = (select(Notification.id)
             .where(Notification.sent_at.is_(None), Notification.failed_at.is_(None),
                    Notification.next_attempt_at <= now)
             .order_by(Notification.next_attempt_at, Notification.id).limit(limit))
    if only is not None:
        query = query.where(Notification.id.in_(list(only)))
    ids = list(db.session.scalars(query))
    db.session.commit()  # end the read: each claim below is its own transaction
    return ids


def _claim(notification_id: int, now: datetime) -> Notification | None:
    """Takes the lease on one message; None when another sender already holds it."""
    claimed = db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.sent_at.is_(None),
               Notification.failed_at.is_(None), Notification.next_attempt_at <= now)
        # The lease runs from the clock, not the run's start: a long run's later claims
        # must not be born expired, or a second sender could take them too.
        .values(attempts=Notification.attempts + 1, next_attempt_at=max(now, utcnow()) + LEASE)
        .execution_options(synchronize_session=False))
    db.session.commit()
    if claimed.rowcount != 1:
        return None
    notification = db.session.get(Notification, notification_id, populate_existing=True)
    return notification


class ConsoleConnection:
    """MAIL_BACKEND=console (development without a mail server): each email is printed to
    the console instead, so a newcomer trying a referral sees what would arrive."""

    def send_message(self, message: EmailMessage) -> None:
        print(f"\n----- email (MAIL_BACKEND=console) -----\n{message.as_string()}"
              "----- end of email -----", file=sys.stderr, flush=True)

    def quit(self) -> None:
        pass


def _connect(config) -> smtplib.SMTP | ConsoleConnection:
    if config.get("MAIL_BACKEND") == "console":
        return ConsoleConnection()
    connection = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"],
                              timeout=config["MAIL_TIMEOUT"])
    if config["MAIL_USE_TLS"]:
        connection.starttls()
    if config["MAIL_USERNAME"]:
        connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return connection


def _message(notification: Notification, config) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = notification.to
    message["Subject"] = notification.subject
    # The same id on a resend after a crash, so mail clients can spot the duplicate.
    message["Message-ID"] = (f"<notification-{notification.id}-{notification.created_at:%Y%m%d%H%M%S}"
                             f"@{_mail_domain(config['MAIL_FROM'])}>")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(notification.body)
    return message


def _mail_domain(sender: str) -> str:
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return address.rsplit("@", 1)[-1] or "localhost"


# A path segment this long in a link is a secret (a tracker, invitation, reset or review
# token): the person it was sent to has it now; the database need not keep it.
_SECRET_IN_LINK = re.compile(r"(?<=/)[A-Za-z0-9_.~-]{24,}")
REDACTED = "(link removed once sent)"


def _mark_sent(notification: Notification) -> None:
    notification.sent_at = utcnow()
    notification.last_error = None
    notification.body = redact_links(notification.body)
    db.session.commit()


# Emails to families and referrers: the partnership sees that one is stuck, not whose.
TO_FAMILIES = ("referral.receipt", "referral.update", "referral.link")


def shown_recipient(notification: Notification) -> str:
    """The address as the admin's outbox page shows it: with a family's or referrer's
    name part hidden, since with the reference it would open their tracker."""
    if notification.kind not in TO_FAMILIES:
        return notification.to
    return _masked(notification.to)


def _masked(address: str) -> str:
    name, _, domain = address.partition("@")
    return f"{name[:1]}•••@{domain}"


_ADDRESS = re.compile(r"[^\s'\"<>(){}\[\],:;]+@[^\s'\"<>(){}\[\],:;]+")


def shown_error(notification: Notification) -> str:
    """The last error as the admin sees it: SMTP servers quote the address they refused,
    so a family's is masked there too."""
    error = notification.last_error or ""
    if notification.kind not in TO_FAMILIES:
        return error
    return _ADDRESS.sub(lambda match: _masked(match.group(0)), error)


def redact_links(body: str) -> str:
    return _SECRET_IN_LINK.sub(REDACTED, body)


def _record_failure(notification: Notification, error: Exception, now: datetime) -> bool:
    """Schedules the next try (doubling each time, up to the cap); True when it gives up.

    A permanent refusal (a 5xx answer: no such mailbox, say) gives up after MAIL_MAX_ATTEMPTS.
    A temporary failure (a 4xx answer such as 451 from a busy server, a refused or timed-out
    connection) never counts towards that: it is retried for MAIL_RETRY_WINDOW_HOURS after the
    message was queued (days), as mail servers themselves do."""
    permanent = is_permanent(error)
    config = current_app.config
    label = PERMANENT if permanent else TEMPORARY
    notification.last_error = f"{label}: {_describe(error)}"[:2000]
    if permanent:
        gave_up = notification.attempts >= config["MAIL_MAX_ATTEMPTS"]
    else:
        gave_up = now >= retry_until(notification)
    if gave_up:
        notification.failed_at = now
    else:
        notification.next_attempt_at = now + backoff(notification.attempts)
    db.session.commit()
    return gave_up


PERMANENT, TEMPORARY = "permanent", "temporary"


def retry_until(notification: Notification) -> datetime:
    """When temporary failures stop being retried."""
    return notification.created_at + timedelta(hours=current_app.config["MAIL_RETRY_WINDOW_HOURS"])


def failure_kind(notification: Notification) -> str | None:
    """"permanent" or "temporary" for the admin's page, from the last error (None: no error)."""
    error = notification.last_error or ""
    return next((kind for kind in (PERMANENT, TEMPORARY) if error.startswith(kind + ":")), None)


def backoff(attempts: int) -> timedelta:
    """The wait after the given number of failed tries: base, 2×base, 4×base…, capped."""
    base = current_app.config["MAIL_RETRY_SECONDS"]
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def is_permanent(error: Exception) -> bool:
    """SMTP says which: 5xx is permanent, 4xx temporary (RFC 5321, 4.2.1). A server that
    cannot take this address at all (non-ASCII without SMTPUTF8) is permanent too; a
    connection refused, reset or timed out is temporary."""
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return False


def _server_problem(error: Exception) -> bool:
    """Connection and server-wide errors, as opposed to this message being refused: its
    recipient or content, an address the server cannot take (non-ASCII without SMTPUTF8),
    or the message refused from this sender (too large, say)."""
    return not isinstance(error, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError
                          | smtplib.SMTPNotSupportedError | smtplib.SMTPSenderRefused)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def needs_attention(now: datetime | None = None) -> list[Notification]:
    """For the admin page: failed messages, and queued ones that failed at least once or
    have waited longer than an hour. Oldest first."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(Notification)
        .where(Notification.sent_at.is_(None),
               or_(Notification.failed_at.is_not(None), Notification.attempts > 0,
                   Notification.created_at <= now - STUCK_AFTER))
        .order_by(Notification.created_at, Notification.id)))


def unsent() -> list[Notification]:
    """Everything not yet sent (queued and failed), oldest first."""
    return list(db.session.scalars(
        select(Notification).where(Notification.sent_at.is_(None))
        .order_by(Notification.created_at, Notification.id)))


def unsent_for_referral(referral_id: int) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.referral_id == referral_id,
                                   Notification.sent_at.is_(None))))


def retry(notification: Notification) -> None:
    """An admin asks for another go at a failed message: due now, with a fresh count."""
    notification.failed_at = None
    notification.attempts = 0
    notification.next_attempt_at = utcnow()
    db.session.commit()


def send_in_background(app: Flask, notification_ids: list[int]) -> threading.Thread | None:
    """Best effort, straight after a request committed: the outbox and `flask notify send`
    from cron are the guarantee."""
    if not notification_ids or not app.config.get("MAIL_SEND_AFTER_SUBMIT"):
        return None

    def run() -> None:
        with app.app_context():
            try:
                send_due(only=notification_ids)
            except Exception:  # never let a mail problem surface in a family's request
                app.logger.exception("Sending just-queued notifications failed")
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name="notify-send", daemon=True)
    thread.start()
    return thread


def start_sending_in_development(app: Flask) -> None:
    """MAIL_SEND_EVERY_SECONDS > 0 (development's default): the app sends the outbox itself
    every so often, started by its first request (not by CLI commands), so emails arrive
    without cron and `flask notify send`. Production leaves it 0: cron sends."""
    every = app.config.get("MAIL_SEND_EVERY_SECONDS") or 0
    if every <= 0:
        return
    started, stop = threading.Event(), threading.Event()
    app.extensions["outbox_sender_stop"] = stop

    def loop() -> None:
        while not stop.is_set():
            with app.app_context():
                try:
                    send_due()
                except Exception:  # a mail or database problem: try again next time
                    app.logger.exception("Sending the outbox failed")
                finally:
                    db.session.remove()
            stop.wait(every)

    @app.before_request
    def start_sender() -> None:
        if not started.is_set():
            started.set()
            threading.Thread(target=loop, name="outbox-sender", daemon=True).start()
