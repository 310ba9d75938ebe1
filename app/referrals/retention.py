"""What is kept and for how long: old referrals anonymised (`flask referrals purge`), and
everything held about one person found for a subject access request."""


from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import selectinload

from app.accounts.audit import record_event
from app.extensions import db
from app.models.audit import AuditEvent
from app.models.directory import utcnow
from app.models.notifications import Notification
from app.models.referrals import Referral, ReferralStatus
from app.referrals.contact import normalise_email, normalise_phone
from app.referrals.lifecycle import record_export


@dataclass
class PurgeReport:
    anonymised: list[str] = field(default_factory=list)  # references
    notifications_deleted: int = 0


# -- retention and subject access ------------------------------------------------------------

def purge(now: datetime | None = None, *, dry_run: bool = False) -> PurgeReport:
    """Anonymises declined and closed referrals whose last change (the decline or close) is
    older than REFERRAL_RETENTION_DAYS, and open ones unchanged for REFERRAL_OPEN_RETENTION_DAYS
    (longer: a family can wait on a list for two years), and deletes their emails from the
    outbox, sent or not. Keeps the status history's dates and codes, for the partnership's
    statistics."""
    now = now or utcnow()
    config = current_app.config
    closed_cutoff = now - timedelta(days=config["REFERRAL_RETENTION_DAYS"])
    open_cutoff = now - timedelta(days=config["REFERRAL_OPEN_RETENTION_DAYS"])
    report = PurgeReport()
    due = list(db.session.scalars(
        select(Referral).where(Referral.anonymised_at.is_(None), or_(
            and_(Referral.status.in_(ReferralStatus.FINAL), Referral.updated_at < closed_cutoff),
            and_(Referral.status.not_in(ReferralStatus.FINAL), Referral.updated_at < open_cutoff)))
        .options(selectinload(Referral.events))))
    for referral in due:
        report.anonymised.append(referral.reference)
        if dry_run:
            continue
        referral.answers = {}
        referral.contact_email = referral.referrer_email = None
        referral.family_token_hash = referral.referrer_token_hash = None
        referral.submission_key = None
        referral.anonymised_at = now
        for event in referral.events:
            event.details = {key: value for key, value in (event.details or {}).items()
                             if key in ("reason", "outcome", "estimate_weeks", "expected_start")}
        report.notifications_deleted += db.session.execute(
            delete(Notification).where(Notification.referral_id == referral.id)).rowcount
        # The family's and referrer's network addresses go too; staff actions keep theirs.
        db.session.execute(update(AuditEvent).where(
            AuditEvent.subject_type == "referral", AuditEvent.subject_id == str(referral.id),
            AuditEvent.actor.in_(("family", "referrer"))).values(address=None)
            .execution_options(synchronize_session=False))
        record_event("referral.anonymised", subject_type="referral", subject_id=referral.id,
                     actor="system", detail={"reference": referral.reference})
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return report


def subject_access(email: str = "", *, phone: str = "", user: Any = "system") -> dict[str, Any]:
    """Everything held about one person, found by their email address or (for a family
    that gave only a phone number) their phone: the referrals that name them as the
    contact (answers, consent, history), those they made as a professional (their own
    details, and the progress the family let them follow), and the emails sent to them.
    The export is audited."""
    wanted = normalise_email(email) or ""
    number = _phone(phone)
    found = list(db.session.scalars(
        select(Referral).where(or_(Referral.contact_email == wanted, Referral.referrer_email == wanted))
        .order_by(Referral.submitted_at))) if wanted else []
    if number:
        # Phone numbers are inside the answers (JSON): a scan, fine for a rare admin task.
        by_phone = [referral for referral in db.session.scalars(
            select(Referral).where(Referral.anonymised_at.is_(None)).order_by(Referral.submitted_at))
            if ((referral.answers or {}).get("contact") or {}).get("phone_normalised") == number]
        found += [referral for referral in by_phone if referral not in found]
    notifications = list(db.session.scalars(
        select(Notification).where(db.func.lower(Notification.to) == wanted)
        .order_by(Notification.created_at, Notification.id))) if wanted else []
    result = {
        "email": wanted,
        "phone": number or "",
        "generated_at": _iso(utcnow()),
        "referrals": [_export(referral, wanted, number) for referral in found],
        "emails": [{
            "to": n.to, "subject": n.subject, "body": n.body, "kind": n.kind,
            "reference": n.referral.reference if n.referral else None,
            "created_at": _iso(n.created_at), "sent_at": _iso(n.sent_at), "state": n.state,
        } for n in notifications],
    }
    record_export(found, user=user, what="subject-access")
    return result


class NotAPhoneNumber(ValueError):
    """A phone number to search by that cannot be one."""


def _phone(value: str) -> str | None:
    if not value or not value.strip():
        return None
    number = normalise_phone(value)
    if number is None:  # searching for nothing would report that nothing is held
        raise NotAPhoneNumber(value)
    return number


def _export(referral: Referral, email: str, phone: str | None) -> dict[str, Any]:
    contact = ((referral.answers or {}).get("contact") or {}).get("phone_normalised")
    as_contact = bool(email and referral.contact_email == email) or bool(phone and contact == phone)
    answers = referral.answers or {}
    events = referral.events
    if not as_contact:
        # A professional's own details are theirs; the child's and family's are not, and
        # the progress only as far as the family let them follow it.
        answers = {key: answers[key] for key in ("referrer_type", "referrer", "referrer_may_follow")
                   if key in answers}
        events = events if referral.referrer_may_follow else events[:1]
    return {
        "reference": referral.reference,
        "held_as": "contact" if as_contact else "referrer",
        "service": {"id": referral.service_id, "name": referral.service.name,
                    "organisation": referral.service.organisation.name},
        "referrer_type": referral.referrer_type,
        "answers": answers,
        "consent": {"given": referral.consent_given, "notice_version": referral.privacy_notice_version,
                    "at": _iso(referral.consent_at)},
        "referrer_may_follow": referral.referrer_may_follow,
        "status": referral.status if as_contact or referral.referrer_may_follow else None,
        "submitted_at": _iso(referral.submitted_at),
        **({"opened_at": _iso(referral.opened_at), "decided_at": _iso(referral.decided_at),
            "closed_at": _iso(referral.closed_at)} if as_contact or referral.referrer_may_follow else {}),
        "history": [{"at": _iso(e.at), "status": e.status, "by": _public_actor(e.actor),
                     "details": e.details if as_contact else _as_tracked(e.status, e.details)}
                    for e in events],
    }


# What the tracker shows of each step's details (app/web/referrals/tracker.py): notes with a
# decision are written for the family; the provider's other notes are its own records.
TRACKED_DETAILS = {
    ReferralStatus.ACCEPTED: ("expected_start", "note"),
    ReferralStatus.WAITING_LIST: ("estimate_weeks", "note"),
    ReferralStatus.DECLINED: ("reason", "reason_text", "suggestion"),
    ReferralStatus.CLOSED: ("outcome",),
}


def _as_tracked(status: str, details: dict | None) -> dict:
    keep = TRACKED_DETAILS.get(status, ())
    return {key: value for key, value in (details or {}).items() if key in keep}


def _public_actor(actor: str) -> str:
    """Staff are named by their organisation's service, not their own address."""
    return actor if actor in ("family", "referrer", "system") else "service"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None
