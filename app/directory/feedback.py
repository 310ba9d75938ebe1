"""Problems reported by the public on a service's page: they go to the provider and the
partnership, and the provider marks them resolved."""

from collections.abc import Iterable
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.audit import record_event
from app.directory.freshness import listing_contacts
from app.extensions import db
from app.models import AuditEvent, Feedback, FeedbackKind, FeedbackStatus, Service, User
from app.models.directory import utcnow

MAX_DETAIL = 1200
KIND_LABELS = {
    FeedbackKind.CLOSED: _l("The service has closed or stopped"),
    FeedbackKind.PHONE: _l("The phone number is wrong"),
    FeedbackKind.WAIT: _l("The wait is different"),
    FeedbackKind.OTHER: _l("Something else"),
}
# In emails, which are read by provider staff in English.
_KIND_TEXT = {FeedbackKind.CLOSED: "the service has closed or stopped",
              FeedbackKind.PHONE: "the phone number is wrong",
              FeedbackKind.WAIT: "the wait is different", FeedbackKind.OTHER: "something else"}


def too_many_from(address: str | None) -> bool:
    """A light brake on floods: FEEDBACK_RATE_LIMIT reports an hour per address."""
    limit = current_app.config.get("FEEDBACK_RATE_LIMIT", 10)
    if not limit or not address:
        return False
    since = utcnow() - timedelta(hours=1)
    count = db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "feedback.received", AuditEvent.address == address,
        AuditEvent.at >= since)) or 0
    return count >= limit


def report_problem(service: Service, kind: str, detail: str) -> Feedback:
    """Store a report and email it to the provider and the partnership. Commits."""
    from app.notifications import links, outbox

    if kind not in FeedbackKind.ALL:
        raise ValueError(f"unknown kind of problem {kind!r}")
    item = Feedback(service_id=service.id, kind=kind, detail=detail.strip()[:MAX_DETAIL],
                    created_at=utcnow(), status=FeedbackStatus.OPEN)
    db.session.add(item)
    db.session.flush()
    record_event("feedback.received", subject_type="feedback", subject_id=item.id, actor="public",
                 detail={"service": service.id, "kind": kind})
    body = [f"Someone using the directory says there is a problem with the listing for "
            f"\"{service.name}\": {_KIND_TEXT[kind]}.", ""]
    if item.detail:
        body += ["They wrote (as typed, not checked):", item.detail, ""]
    provider_body = body + ["Please check the listing, update it if needed, and mark the report "
                            "resolved:", links.public_url("provider.feedback_detail", feedback_id=item.uuid)]
    for address in listing_contacts(service):
        outbox.queue_email(address, f"Problem reported: {service.name}", "\n".join(provider_body),
                           kind="feedback.provider", key=f"feedback:{item.id}:{address}")
    partnership = current_app.config.get("PARTNERSHIP_EMAIL")
    if partnership:
        outbox.queue_email(partnership, f"Problem reported: {service.name}", "\n".join(
            body + ["The provider has been told. See it here:",
                    links.public_url("admin.feedback_detail", feedback_id=item.uuid)]),
            kind="feedback.partnership", key=f"feedback:{item.id}:partnership")
    db.session.commit()
    return item


def for_organisations(organisation_ids: Iterable[str], status: str | None = None) -> list[Feedback]:
    """A provider's reports, open ones first, newest first."""
    ids = list(organisation_ids)
    if not ids:
        return []
    query = (select(Feedback).join(Service).where(Service.organisation_id.in_(ids))
             .options(selectinload(Feedback.service)))
    if status:
        query = query.where(Feedback.status == status)
    return list(db.session.scalars(query.order_by(Feedback.status, Feedback.created_at.desc())))


def all_feedback(status: str | None = None, limit: int = 200) -> list[Feedback]:
    query = select(Feedback).options(selectinload(Feedback.service).selectinload(Service.organisation))
    if status:
        query = query.where(Feedback.status == status)
    return list(db.session.scalars(query.order_by(Feedback.status, Feedback.created_at.desc()).limit(limit)))


def resolve(item: Feedback, user: User, note: str) -> None:
    """Commits."""
    if not item.is_open:
        return
    item.status = FeedbackStatus.RESOLVED
    item.resolved_by_id = user.id
    item.resolved_by = user.email
    item.resolved_at = utcnow()
    item.resolution_note = note.strip()[:MAX_DETAIL] or None
    record_event("feedback.resolved", subject_type="feedback", subject_id=item.id,
                 detail={"service": item.service_id, "note": item.resolution_note})
    db.session.commit()
