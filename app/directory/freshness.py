"""Keeping listings fresh.

A listing is due for review REVIEW_AFTER_MONTHS after its last review: its provider is
emailed a link to say "this is still right" in one click. A listing not confirmed within
REVIEW_GRACE_DAYS after that (counted from the reminder, when the reminder went late) is
shown to the public as possibly out of date and reported to the partnership. A waiting
time older than WAITING_TIME_STALE_DAYS is flagged on the public page already; it gets a
reminder and a place in the report too.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from app.accounts.audit import record_event
from app.dates import today_in_england
from app.extensions import db
from app.models import (
    FeedListing,
    ListingStatus,
    ReminderKind,
    ReviewReminder,
    Service,
    User,
    WaitingTime,
)
from app.models.accounts import membership
from app.models.directory import utcnow

TOKEN_SALT = "listing-still-right"


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), or the month's last day if it is shorter."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _config(name: str) -> int:
    return int(current_app.config[name])


def _today(today: date | None) -> date:
    return today or today_in_england()


# -- one listing -----------------------------------------------------------------------

@dataclass
class Freshness:
    due_on: date
    reminded_on: date | None
    out_of_date_from: date
    is_due: bool
    is_out_of_date: bool


def _reminder(service: Service, kind: str, subject_date: date) -> ReviewReminder | None:
    return db.session.scalar(select(ReviewReminder).where(
        ReviewReminder.service_id == service.id, ReviewReminder.kind == kind,
        ReviewReminder.subject_date == subject_date))


def freshness(service: Service, today: date | None = None,
              reminder: ReviewReminder | None | bool = False) -> Freshness:
    """Where a listing stands. `reminder` may be passed in when already loaded (None:
    there is none); otherwise it is looked up, only when it could matter."""
    today = _today(today)
    due_on = add_months(service.last_reviewed, _config("REVIEW_AFTER_MONTHS"))
    grace = timedelta(days=_config("REVIEW_GRACE_DAYS"))
    if reminder is False:
        reminder = _reminder(service, ReminderKind.REVIEW, service.last_reviewed) \
            if today >= due_on else None
    reminded_on = reminder.sent_at.date() if reminder else None
    # A reminder sent late still leaves the provider the whole grace period.
    out_of_date_from = max(due_on, reminded_on or due_on) + grace
    return Freshness(due_on, reminded_on, out_of_date_from, is_due=today >= due_on,
                     is_out_of_date=today >= out_of_date_from)


def may_be_out_of_date(service: Service, today: date | None = None) -> bool:
    """For the public page: the provider has not confirmed the listing in time."""
    return freshness(service, today).is_out_of_date


def waiting_is_stale(service: Service, today: date | None = None) -> bool:
    waiting = service.current_waiting_time
    return waiting is not None and \
        (_today(today) - waiting.confirmed_on).days > _config("WAITING_TIME_STALE_DAYS")


def listing_contacts(service: Service) -> list[str]:
    """Who hears about a listing: the service's own inbox (for referrals, else its public
    email, else the organisation's) and the organisation's people who sign in."""
    addresses = [service.referral_email or service.contact_email or service.organisation.email]
    addresses += db.session.scalars(
        select(User.email).join(membership, membership.c.user_id == User.id)
        .where(membership.c.organisation_id == service.organisation_id, User.active.is_(True))
        .order_by(User.email))
    seen: list[str] = []
    for address in addresses:
        if address and address.lower() not in seen:
            seen.append(address.lower())
    return seen


# -- the one-click link ------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def review_token(service: Service, to: str) -> str:
    """Signed, not stored: it names the listing, the review it is about and who it went
    to. Confirming moves the review date on, so the link works once."""
    return _serializer().dumps({"s": service.id, "r": service.last_reviewed.isoformat(), "to": to})


@dataclass
class LinkState:
    state: str  # ok | done (already confirmed) | expired | invalid
    service: Service | None = None
    to: str = ""


def read_review_token(token: str) -> LinkState:
    max_age = _config("REVIEW_LINK_DAYS") * 24 * 3600
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        return LinkState("expired")
    except BadSignature:
        return LinkState("invalid")
    service = db.session.get(Service, data.get("s", ""))
    if service is None or not service.is_published:
        return LinkState("invalid")
    to = data.get("to", "")
    if not _may_still_confirm(service, to):
        return LinkState("invalid")
    if service.last_reviewed.isoformat() != data.get("r"):
        return LinkState("done", service, to)
    return LinkState("ok", service, to)


def _may_still_confirm(service: Service, to: str) -> bool:
    """A link sent to a person with an account stops working when that account is disabled
    or leaves the organisation; one sent to the listing's own address keeps working."""
    if not to:
        return True
    user = db.session.scalar(select(User).where(func.lower(User.email) == to.strip().lower()))
    return user is None or (user.active and service.organisation_id in user.organisation_ids)


def confirm_listing(service: Service, who: str, today: date | None = None) -> None:
    """"Still right": the listing is reviewed today, and the waiting time shown with it is
    confirmed today (as a new entry in its history, as a provider's update would be).
    Commits."""
    today = _today(today)
    # Confirming changes nothing in the listing: its updated_at (when its content last
    # changed, which dates its first history version and the open data) stays.
    db.session.execute(update(Service).where(Service.id == service.id)
                       .values(last_reviewed=today, updated_at=Service.updated_at))
    db.session.refresh(service, ["last_reviewed"])
    waiting = service.current_waiting_time
    if waiting is not None and waiting.confirmed_on < today:
        db.session.add(WaitingTime(
            service=service, status=waiting.status, weeks=waiting.weeks, note=waiting.note,
            confirmed_on=today, source="provider", recorded_by=who[:254]))
    record_event("listing.confirmed", subject_type="service", subject_id=service.id,
                 actor=who[:254], detail={"waiting_time": waiting is not None})
    db.session.commit()


# -- reminders ---------------------------------------------------------------------------

def _due_or_stale(today: date) -> list[Service]:
    # A few days' slack, checked exactly by freshness() after: months differ in length, and
    # 31 March is due on 30 September, which add_months(30 September, -6) alone would miss.
    review_cutoff = add_months(today, -_config("REVIEW_AFTER_MONTHS")) + timedelta(days=3)
    wait_cutoff = today - timedelta(days=_config("WAITING_TIME_STALE_DAYS"))
    latest_wait = (select(WaitingTime.service_id).group_by(WaitingTime.service_id)
                   .having(func.max(WaitingTime.confirmed_on) < wait_cutoff))
    return list(db.session.scalars(
        select(Service).where(Service.status == ListingStatus.PUBLISHED,
                              # a feed's listings are reviewed by the directory that keeps them
                              Service.id.not_in(select(FeedListing.service_id)),
                              or_(Service.last_reviewed <= review_cutoff, Service.id.in_(latest_wait)))
        .options(selectinload(Service.organisation), selectinload(Service.waiting_times))
        .order_by(Service.id)))


@dataclass
class ReminderSent:
    service: Service
    kinds: list[str]
    to: list[str]


def send_reminders(today: date | None = None) -> list[ReminderSent]:
    """Email every listing that is due for review (or whose waiting time is stale) and
    has not been reminded about this review (or this waiting time) yet. Commits."""
    today = _today(today)
    sent = []
    for service in _due_or_stale(today):
        subjects = []
        if freshness(service, today, reminder=None).is_due:
            subjects.append((ReminderKind.REVIEW, service.last_reviewed))
        if waiting_is_stale(service, today):
            subjects.append((ReminderKind.WAITING_TIME, service.current_waiting_time.confirmed_on))
        subjects = [(kind, day) for kind, day in subjects if _reminder(service, kind, day) is None]
        if not subjects:
            continue
        to = listing_contacts(service)
        kinds = [kind for kind, _ in subjects]
        for address in to:
            _queue_reminder(service, address, kinds, today)
        for kind, day in subjects:
            db.session.add(ReviewReminder(service_id=service.id, kind=kind, subject_date=day,
                                          sent_at=utcnow(), sent_to=to))
        record_event("listing.reminder_sent", subject_type="service", subject_id=service.id,
                     actor="system", detail={"kinds": kinds, "to": to})
        sent.append(ReminderSent(service, kinds, to))
    db.session.commit()
    return sent


def _queue_reminder(service: Service, to: str, kinds: list[str], today: date) -> None:
    from app.notifications import links, outbox

    grace = _config("REVIEW_GRACE_DAYS")
    lines = ["Hello,", "",
             f"Please check the listing for \"{service.name}\" in the Surrey Family Support Directory:",
             links.public_url("public.service", service_id=service.id), ""]
    if ReminderKind.REVIEW in kinds:
        lines.append(f"It was last reviewed on {service.last_reviewed:%d %B %Y}.")
    if ReminderKind.WAITING_TIME in kinds:
        waiting = service.current_waiting_time
        lines.append(f"Its waiting time was last confirmed on {waiting.confirmed_on:%d %B %Y}; "
                     "families are told it may have changed.")
    lines += ["", "If everything on the page is still right, including the waiting time, confirm "
              "it here (one click):",
              links.public_url("feedback.listing_check", token=review_token(service, to)), "",
              "If something has changed, sign in to update the listing:",
              links.public_url("provider.listing_edit", service_id=service.id), "",
              f"If the listing is not confirmed within {grace} days, families will be told it may "
              "be out of date."]
    outbox.queue_email(
        to, f"Is this still right? {service.name}", "\n".join(lines), kind="listing.reminder",
        key=f"listing-reminder:{service.id}:{service.last_reviewed.isoformat()}:{','.join(kinds)}:{to}"[:200])


# -- the report for the partnership -----------------------------------------------------

@dataclass
class StaleRow:
    service: Service
    freshness: Freshness
    contacts: list[str]


@dataclass
class StaleReport:
    today: date
    out_of_date: list[StaleRow] = field(default_factory=list)  # shown as possibly out of date
    awaiting: list[StaleRow] = field(default_factory=list)  # due, still within the grace period
    stale_waits: list[Service] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.out_of_date or self.awaiting or self.stale_waits)


def stale_report(today: date | None = None) -> StaleReport:
    today = _today(today)
    report = StaleReport(today)
    services = _due_or_stale(today)
    reminders = {(r.service_id, r.subject_date): r for r in db.session.scalars(
        select(ReviewReminder).where(ReviewReminder.kind == ReminderKind.REVIEW,
                                     ReviewReminder.service_id.in_([s.id for s in services])))}
    for service in services:
        state = freshness(service, today, reminder=reminders.get((service.id, service.last_reviewed)))
        if state.is_out_of_date:
            report.out_of_date.append(StaleRow(service, state, listing_contacts(service)))
        elif state.is_due:
            report.awaiting.append(StaleRow(service, state, listing_contacts(service)))
        if waiting_is_stale(service, today):
            report.stale_waits.append(service)
    report.out_of_date.sort(key=lambda row: row.freshness.out_of_date_from)
    report.awaiting.sort(key=lambda row: row.freshness.due_on)
    report.stale_waits.sort(key=lambda s: s.current_waiting_time.confirmed_on)
    return report


def report_text(report: StaleReport) -> str:
    lines = [f"Stale listings on {report.today:%d %B %Y}", ""]
    lines.append(f"Shown to families as possibly out of date ({len(report.out_of_date)}):")
    lines += [f"- {row.service.name} ({row.service.id}), {row.service.organisation.name}: last reviewed "
              f"{row.service.last_reviewed:%d %B %Y}" for row in report.out_of_date] or ["- none"]
    lines += ["", f"Due for review, reminded, not yet confirmed ({len(report.awaiting)}):"]
    lines += [f"- {row.service.name} ({row.service.id}): out of date from "
              f"{row.freshness.out_of_date_from:%d %B %Y}" for row in report.awaiting] or ["- none"]
    lines += ["", f"Waiting times older than {_config('WAITING_TIME_STALE_DAYS')} days "
              f"({len(report.stale_waits)}):"]
    lines += [f"- {service.name} ({service.id}): confirmed "
              f"{service.current_waiting_time.confirmed_on:%d %B %Y}"
              for service in report.stale_waits] or ["- none"]
    return "\n".join(lines) + "\n"


def email_report(report: StaleReport) -> bool:
    """Send the report to PARTNERSHIP_EMAIL (once a day at most). Commits. False when no
    address is configured."""
    from app.notifications import outbox

    address = current_app.config.get("PARTNERSHIP_EMAIL")
    if not address:
        return False
    outbox.queue_email(address, f"Stale listings: {len(report.out_of_date)} out of date",
                       report_text(report), kind="listing.stale-report",
                       key=f"listing-stale-report:{report.today.isoformat()}")
    db.session.commit()
    return True
