"""Late referrals: not opened within 5 working days or not decided within 20, flagged
once each to the provider and the partnership (`flask referrals flag-overdue`, daily)."""


from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import dates
from app.accounts.audit import record_event
from app.extensions import db
from app.models.directory import utcnow
from app.models.referrals import Referral, ReferralStatus
from app.notifications.outbox import queue_email
from app.referrals.emails import page_link
from app.referrals.lifecycle import DECIDE_WITHIN_WORKING_DAYS, OPEN_WITHIN_WORKING_DAYS


@dataclass
class Overdue:
    referral: Referral
    kind: str  # "open" (not opened in 5 working days) or "decision" (not decided in 20)
    working_days: int


# -- late referrals ------------------------------------------------------------------------

def overdue(now: datetime | None = None) -> list[Overdue]:
    """Referrals not opened within 5 working days, or not decided within 20 (Monday to
    Friday, less bank holidays in England and Wales), counted in full days after the day
    they were sent."""
    now = now or utcnow()
    today = dates.local_date(now)
    found = []
    candidates = db.session.scalars(
        select(Referral).where(Referral.status.in_(ReferralStatus.UNDECIDED),
                               Referral.anonymised_at.is_(None),
                               Referral.submitted_at <= now - timedelta(days=6))
        .order_by(Referral.submitted_at).options(selectinload(Referral.service)))
    for referral in candidates:
        days = dates.full_working_days_between(
            dates.local_date(referral.submitted_at), today)
        # Read (a GET sets opened_at) is what counts, not what the family has been told.
        unread = referral.opened_at is None and referral.status == ReferralStatus.NEW
        if unread and days >= OPEN_WITHIN_WORKING_DAYS:
            found.append(Overdue(referral, "open", days))
        if days >= DECIDE_WITHIN_WORKING_DAYS:
            found.append(Overdue(referral, "decision", days))
    return found


def flag_overdue(now: datetime | None = None) -> list[Overdue]:
    """Tells the provider and the partnership about each late referral, once for each kind
    of lateness, and commits. Returns what was flagged this time."""
    now = now or utcnow()
    flagged = []
    for item in overdue(now):
        column = "open_overdue_at" if item.kind == "open" else "decision_overdue_at"
        if getattr(item.referral, column) is not None:
            continue
        setattr(item.referral, column, now)
        record_event("referral.flagged_overdue", subject_type="referral",
                     subject_id=item.referral.id, actor="system",
                     detail={"reference": item.referral.reference, "kind": item.kind,
                             "working_days": item.working_days})
        _queue_overdue_emails(item)
        flagged.append(item)
    db.session.commit()
    return flagged


def _queue_overdue_emails(item: Overdue) -> None:
    referral = item.referral
    with force_locale("en"):
        if item.kind == "open":
            subject = gettext("Referral %(ref)s has not been opened", ref=referral.reference)
            text = gettext("Referral %(ref)s to %(service)s was sent on %(date)s and has not been "
                           "opened in %(days)d working days.", ref=referral.reference,
                           service=referral.service.name, date=referral.submitted_at.date().isoformat(),
                           days=item.working_days)
        else:
            subject = gettext("Referral %(ref)s has no decision", ref=referral.reference)
            text = gettext("Referral %(ref)s to %(service)s was sent on %(date)s and has had no "
                           "decision in %(days)d working days.", ref=referral.reference,
                           service=referral.service.name, date=referral.submitted_at.date().isoformat(),
                           days=item.working_days)
        body = text + "\n\n" + gettext("Sign in to deal with it:") + "\n" + page_link("provider.home")
        recipients = [("provider", referral.service.referral_email),
                      ("partnership", current_app.config.get("PARTNERSHIP_EMAIL"))]
        for role, address in recipients:
            if address:
                queue_email(address, subject, body, kind="referral.overdue", referral=referral,
                            key=f"{referral.reference}:overdue-{item.kind}:{role}")
