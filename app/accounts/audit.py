"""Recording to the audit log. The caller's transaction carries the event, so an event is
kept exactly when the change it describes is."""

from flask import g, has_request_context, request

from app.extensions import db
from app.models.audit import AuditEvent


def record_event(action: str, *, subject_type: str | None = None, subject_id: object = None,
                 detail: dict | None = None, actor: str | None = None) -> AuditEvent:
    """Adds an event to the session (the caller commits). The actor is the signed-in user
    unless given (e.g. "family" or "system")."""
    user = g.get("user") if has_request_context() else None
    event = AuditEvent(
        user_id=user.id if user else None,
        actor=actor or (user.email if user else "anonymous"),
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        address=request.remote_addr if has_request_context() else None,
        detail=detail or {},
    )
    db.session.add(event)
    return event
