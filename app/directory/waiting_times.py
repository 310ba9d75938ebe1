"""Providers' waiting-time updates: public at once, no approval, kept as a history."""

from datetime import date

from sqlalchemy import select

from app.accounts.audit import record_event
from app.dates import today_in_england
from app.extensions import db
from app.models.accounts import User
from app.models.directory import Service, WaitingStatus, WaitingTime

MAX_WEEKS = 104


def services_for(user: User) -> list[Service]:
    """The user's organisations' services, published first, by name."""
    if not user.organisation_ids:
        return []
    return list(db.session.scalars(
        select(Service).where(Service.organisation_id.in_(user.organisation_ids))
        .order_by(Service.status.desc(), Service.name)))


def record_waiting_time(service: Service, user: User, *, status: str, weeks: int | None,
                        note: str | None, today: date | None = None) -> WaitingTime:
    """A new confirmation in the history, stamped with who and when. Commits, so the
    search index and the public page change at once."""
    if status not in WaitingStatus.ALL:
        raise ValueError(f"unknown waiting status {status!r}")
    if status == WaitingStatus.WAITLIST and (weeks is None or not 0 <= weeks <= MAX_WEEKS):
        raise ValueError("a waiting list needs a number of weeks")
    entry = WaitingTime(
        service=service, status=status, weeks=weeks if status == WaitingStatus.WAITLIST else None,
        confirmed_on=today or today_in_england(), note=(note or "").strip() or None, source="provider",
        recorded_by=user.email)
    db.session.add(entry)
    record_event("waiting-time.updated", subject_type="service", subject_id=service.id,
                 detail={"status": entry.status, "weeks": entry.weeks, "note": entry.note})
    db.session.commit()
    return entry


def confirm_still_correct(service: Service, user: User, today: date | None = None) -> WaitingTime:
    """One tap: the same wait, confirmed today."""
    current = service.current_waiting_time
    if current is None:
        raise ValueError("there is no waiting time to confirm")
    return record_waiting_time(service, user, status=current.status, weeks=current.weeks,
                               note=current.note, today=today)


def trend(service: Service, limit: int = 12) -> list[WaitingTime]:
    """The latest confirmations, newest first, for the history table."""
    return list(reversed(service.waiting_times[-limit:]))
