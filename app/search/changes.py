"""Writing the search change log: a row for every change that affects search, added to
the same flush (so the same transaction) as the change itself.

A session event sees every path that changes the directory (a provider's update, an
approval, an import, the CLI) without each having to remember the index.
"""

from itertools import chain

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from app.models import (
    Area,
    Category,
    Location,
    Organisation,
    Schedule,
    SearchChange,
    Service,
    WaitingTime,
)

# A change to one of these is a change to one service's document.
_OF_ONE_SERVICE = (Location, Schedule, WaitingTime)
# Names and keywords of these appear in many documents (and area names are place names).
_OF_EVERY_SERVICE = (Area, Category, Organisation)
# Service columns no document is built from: a bulk update of only these changes nothing.
_NOT_SEARCHED = frozenset({"last_reviewed", "updated_at"})
_LOGGED = "search_changes_logged"  # service ids (None: every one) logged in this transaction
EVERY_SERVICE = None


def listen() -> None:
    """Write change rows from every ORM session (the app's, and any a command or thread
    makes for itself)."""
    if event.contains(Session, "before_flush", _log_flushed_changes):
        return
    event.listen(Session, "before_flush", _log_flushed_changes)
    event.listen(Session, "do_orm_execute", _log_bulk_changes)
    event.listen(Session, "after_commit", _forget)
    event.listen(Session, "after_soft_rollback", _forget_after_rollback)


def _changed_services(session: Session) -> set[str | None]:
    changed: set[str | None] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if obj in session.dirty and not session.is_modified(obj):
            continue
        if isinstance(obj, Service):
            changed.add(obj.id)
        elif isinstance(obj, _OF_ONE_SERVICE):
            service_id = obj.service_id or getattr(obj.service, "id", None)
            if service_id:
                changed.add(service_id)
        elif isinstance(obj, _OF_EVERY_SERVICE):
            changed.add(EVERY_SERVICE)
    return changed


def _log(session: Session, changed: set[str | None]) -> None:
    logged: set[str | None] = session.info.setdefault(_LOGGED, set())
    for service_id in sorted(changed - logged, key=lambda value: value or ""):
        session.add(SearchChange(service_id=service_id))
    logged |= changed


def _log_flushed_changes(session: Session, _context, _instances) -> None:
    _log(session, _changed_services(session))


def _log_bulk_changes(state: ORMExecuteState) -> None:
    """An ORM update or delete statement skips the flush: log it as a change to every
    service, unless it only touches columns no document is built from."""
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    entity = state.bind_mapper.class_
    if not issubclass(entity, (Service, *_OF_ONE_SERVICE, *_OF_EVERY_SERVICE)):
        return
    values = getattr(state.statement, "_values", None) or {}
    columns = {getattr(column, "key", str(column)) for column in values}
    if entity is Service and state.is_update and columns and columns <= _NOT_SEARCHED:
        return
    _log(state.session, {EVERY_SERVICE})


def _forget(session: Session) -> None:
    session.info.pop(_LOGGED, None)


def _forget_after_rollback(session: Session, _previous_transaction) -> None:
    session.info.pop(_LOGGED, None)
