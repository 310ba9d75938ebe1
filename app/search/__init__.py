"""Search: a small interface over a Whoosh index of published services.

The index is fed only after the database commits (never before, so a rollback leaves no
phantom documents), can be rebuilt from the CLI, and when it is missing or damaged
searches are answered from the database while it rebuilds.
"""

import logging
import threading
import time
from collections import Counter
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session, selectinload

from app.extensions import db
from app.models import Area, Category, Location, Organisation, Schedule, Service, WaitingTime
from app.search.index import IndexUnavailable, SearchIndex
from app.search.places import place_table
from app.search.query import FACET_FIELDS, Criteria, Hit, Outcome, clean_text, run
from app.search.request import PARAMETERS, SearchForm
from app.search.request import parse as parse_request
from app.search.schema import document_for

# The face: pages and the domain import only what is listed here (import-linter checks it).
__all__ = ["PARAMETERS", "Criteria", "Hit", "Outcome", "SearchForm", "clean_text", "consistency",
           "index_health", "init_app", "parse_request", "rebuild", "search"]

log = logging.getLogger(__name__)
_PENDING = "search_pending_ids"
_REBUILD_ALL = "*"


def init_app(app: Flask) -> None:
    path = app.config.get("SEARCH_INDEX_DIR") or str(Path(app.instance_path) / "search-index")
    app.extensions["search_index"] = SearchIndex(Path(path))
    if not getattr(db.session, "_search_listeners", False):
        event.listen(db.session, "after_flush", _collect_changes)
        event.listen(db.session, "after_commit", _index_after_commit)
        event.listen(db.session, "after_soft_rollback", _forget_changes)
        db.session._search_listeners = True  # type: ignore[attr-defined]


def _index() -> SearchIndex:
    return current_app.extensions["search_index"]


# -- keeping the index in step with the database ---------------------------------------

def _collect_changes(session: Session, _context) -> None:
    pending: set[str] = session.info.setdefault(_PENDING, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Service):
            pending.add(obj.id)
        elif isinstance(obj, Location | Schedule | WaitingTime):
            if obj.service_id:
                pending.add(obj.service_id)
        elif isinstance(obj, Category | Organisation | Area):
            pending.add(_REBUILD_ALL)  # names and keywords appear in many documents


def _forget_changes(session: Session, _previous_transaction) -> None:
    session.info.pop(_PENDING, None)


def _index_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending or not current_app:
        return
    try:
        _apply(pending)
    except Exception:  # the commit stands: try again in the background, never fail the request
        log.exception("search index update failed after commit; retrying in the background")
        _retry_in_background(pending)


def _apply(pending: set[str]) -> None:
    if _REBUILD_ALL in pending:
        rebuild()
    else:
        reindex(pending)


RETRY_DELAYS_SECONDS = (1, 5, 30, 120)


def _retry_in_background(pending: set[str]) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def work() -> None:
        for delay in RETRY_DELAYS_SECONDS:
            time.sleep(delay)
            try:
                with app.app_context():
                    _apply(pending)
                return
            except Exception:
                log.exception("search index retry failed")
        log.error("search index still behind for %s: run flask search rebuild", sorted(pending))

    threading.Thread(target=work, name="search-retry", daemon=True).start()


def _published_services(session: Session, ids: set[str] | None = None):
    query = select(Service).where(Service.status == "published").options(
        selectinload(Service.organisation), selectinload(Service.categories),
        selectinload(Service.areas), selectinload(Service.locations),
        selectinload(Service.waiting_times))
    if ids is not None:
        query = query.where(Service.id.in_(ids))
    return session.scalars(query.execution_options(yield_per=500))


def reindex(service_ids: set[str]) -> None:
    """Bring these services' documents up to date (withdrawn ones are removed)."""
    with Session(db.engine) as session:
        services = list(_published_services(session, set(service_ids)))
        documents = [document_for(service) for service in services]
        published = {service.id for service in services}
    _index().update(documents, removed_ids=set(service_ids) - published)


def rebuild() -> int:
    """Index every published service afresh. Returns how many were indexed."""
    with Session(db.engine) as session:
        count = _index().rebuild(document_for(s) for s in _published_services(session))
    indexed = _index().doc_count()
    if indexed != count:
        raise RuntimeError(f"rebuilt index holds {indexed} documents, expected {count}")
    return count


def consistency() -> tuple[set[str], set[str]]:
    """(published services missing from the index, indexed ids that should not be there)."""
    published = set(db.session.scalars(select(Service.id).where(Service.status == "published")))
    indexed = _index().indexed_ids()
    return published - indexed, indexed - published


def index_health() -> dict:
    """For /healthz and `flask doctor`: {"usable", "lag_seconds", "problem"}. Usable when the
    index opens and holds exactly the published services. (A minimal version: lag is not
    measured here, so it is None.) Reads the database: call it once the database answers."""
    try:
        missing, extra = consistency()
    except IndexUnavailable as error:
        return {"usable": False, "lag_seconds": None, "problem": str(error)}
    problems = []
    if missing:
        problems.append(f"{len(missing)} published service(s) missing from the index")
    if extra:
        problems.append(f"{len(extra)} indexed service(s) not published")
    if problems:
        problems.append("run flask search rebuild")
    return {"usable": not problems, "lag_seconds": None, "problem": "; ".join(problems) or None}


# -- searching -------------------------------------------------------------------------

_rebuilding = threading.Lock()


def search(criteria: Criteria, page: int = 1, page_size: int = 20) -> tuple[Outcome, bool]:
    """One page of a search. The flag is True when the index was unavailable and the
    database answered instead (with fewer features), while the index rebuilds."""
    try:
        state = _index().state()
        return run(state, criteria, _places(state), page, page_size), False
    except IndexUnavailable as error:
        log.warning("%s: answering from the database and rebuilding", error)
        _rebuild_in_background()
        return _database_search(criteria, page, page_size), True


def languages_offered() -> list[str]:
    """Language codes of published services, from the index (the database if it is down)."""
    try:
        return sorted(_index().state().facet_bitmaps("language"))
    except IndexUnavailable:
        codes = db.session.scalars(select(Service.languages).where(Service.status == "published"))
        return sorted({code for languages in codes for code in languages})


def _places(state) -> dict[str, str]:
    """Place names by area, read once per searcher: a change to an area rebuilds the index,
    which opens a new searcher."""
    if state.places is None:
        names = {area.id: area.name for area in db.session.scalars(select(Area))}
        state.places = place_table(names)
    return state.places


def _rebuild_in_background() -> None:
    if not _rebuilding.acquire(blocking=False):
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def work() -> None:
        try:
            with app.app_context():
                rebuild()
        except Exception:
            log.exception("background search index rebuild failed")
        finally:
            _rebuilding.release()

    threading.Thread(target=work, name="search-rebuild", daemon=True).start()


def _database_search(criteria: Criteria, page: int, page_size: int) -> Outcome:
    """A plain word match in the database: used only while the index is unavailable."""
    text, _ = clean_text(criteria.text)
    query = select(Service.id).where(Service.status == "published")
    for word in text.split()[:10]:
        pattern = f"%{word}%"
        query = query.where(or_(Service.name.ilike(pattern), Service.summary.ilike(pattern),
                                Service.description.ilike(pattern)))
    if criteria.area:
        query = query.where(or_(Service.covers_all_areas.is_(True),
                                Service.areas.any(Area.id == criteria.area)))
    if criteria.category:
        query = query.where(Service.categories.any(
            or_(Category.id == criteria.category, Category.parent_id == criteria.category)))
    ids = list(db.session.scalars(query.order_by(Service.name)))
    page_ids = ids[(page - 1) * page_size: page * page_size]
    return Outcome([Hit(service_id, 0.0, None, False) for service_id in page_ids],
                   {name: Counter() for name in FACET_FIELDS}, total=len(ids))
