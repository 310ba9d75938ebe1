"""The audit trail of refused requests: another organisation's object (answered as a 404,
so ids cannot be probed) and forms refused for a missing or wrong CSRF token. Who, what
and when, shown on the admin's audit log."""

from typing import NoReturn

from flask import abort, request

from app.accounts.audit import record_event
from app.extensions import db

ACCESS_REFUSED = "access.refused"
CSRF_REFUSED = "csrf.refused"


def record_refusal(action: str, reason: str, subject_type: str | None = None,
                   subject_id: object = None) -> None:
    """Commits at once: the request is about to end in an error, which keeps nothing else."""
    record_event(action, subject_type=subject_type, subject_id=subject_id,
                 detail={"method": request.method, "path": request.path[:300],
                         "reason": reason[:200]})
    db.session.commit()


NOT_THEIRS = "another organisation's"
MISSING = "no such record"
ADMINS_ONLY = "admins only"


def not_found(subject_type: str, subject_id: object, *, exists: bool = True,
              reason: str = NOT_THEIRS) -> NoReturn:
    """A 404 for something the signed-in user may not reach, recorded: probing other
    organisations' ids leaves a trace even though the answer says nothing."""
    record_refusal(ACCESS_REFUSED, reason if exists else MISSING, subject_type, subject_id)
    abort(404)
