"""Search: a small interface over this server's own Whoosh index of published services.

Every change that affects search writes a row to the search change log in the same
transaction (app/search/changes.py); a background applier in each server reads the log
into that server's index (app/search/applier.py), so every server follows the database
and requests never write to the index or wait for it. Until a server has a complete
index, searches are answered from the database.
"""

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Area, Category, SearchChange, Service
from app.models.directory import utcnow
from app.search import changes, words
from app.search.applier import (
    Applier,
    Settings,
    build_generation,
    cycle,
    pending_condition,
    published_services,
)
from app.search.folder import IndexFolder
from app.search.index import IndexUnavailable, SearchIndex, write
from app.search.query import FACET_FIELDS, Criteria, Hit, Outcome, clean_text, run
from app.search.request import PARAMETERS, SearchForm
from app.search.request import parse as parse_request
from app.search.schema import document_for

# The face: pages and the domain import only what is listed here (import-linter checks it).
__all__ = ["PARAMETERS", "CheckReport", "Criteria", "Hit", "IndexBusy", "IndexUnavailable", "Outcome",
           "SearchForm", "catch_up", "check", "clean_text", "forget_search_words",
           "index_health", "init_app",
           "languages_offered", "parse_request", "pending_changes", "rebuild", "search",
           "start_applier", "stop_applier", "wait_until_applied"]

log = logging.getLogger(__name__)
LOCK_WAIT_SECONDS = 60.0  # how long a command waits for the applier's current batch
_BUSY = "another process has held the search index lock for a minute"


class IndexBusy(RuntimeError):
    """A command could not have the index folder's lock."""


@contextmanager
def _locked() -> Iterator[None]:
    with _folder().lock(LOCK_WAIT_SECONDS) as held:
        if not held:
            raise IndexBusy(_BUSY)
        yield


def init_app(app: Flask) -> None:
    path = app.config.get("SEARCH_INDEX_DIR") or str(Path(app.instance_path) / "search-index")
    folder = IndexFolder(Path(path))
    app.extensions["search_index"] = SearchIndex(folder)
    app.extensions["search_applier"] = applier = Applier(app, folder)
    changes.listen()
    if app.config.get("SEARCH_APPLIER", True):
        # Started by the first request of each process, so each gunicorn worker (forked
        # after the app was made) has one; starting it costs the request nothing.
        app.before_request(applier.start)


def _index() -> SearchIndex:
    return current_app.extensions["search_index"]


def _folder() -> IndexFolder:
    return _index().folder


def _settings() -> Settings:
    return Settings.of(current_app)


def start_applier() -> None:
    current_app.extensions["search_applier"].start()


def stop_applier() -> None:
    current_app.extensions["search_applier"].stop()


# -- keeping the index in step with the database ---------------------------------------

def rebuild() -> int:
    """Build a whole new index from the database and swap it in; searches use the old one
    until then. Returns how many services were indexed."""
    with _locked():
        return build_generation(_folder(), _settings())


def catch_up() -> int:
    """Apply the whole change log now, in this process (waiting for the lock). Returns how
    many change rows were applied. For commands and tests: servers have their applier."""
    total = 0
    while True:
        applied = cycle(_folder(), _settings(), LOCK_WAIT_SECONDS)
        if applied is None:
            raise IndexBusy(_BUSY)
        total += applied
        if not applied:
            return total


@dataclass
class CheckReport:
    missing: set[str] = field(default_factory=set)  # published, not in the index
    extra: set[str] = field(default_factory=set)  # in the index, not published
    stale: set[str] = field(default_factory=set)  # indexed from an older version
    pending: int = 0  # change rows this server has not applied yet
    fingerprint: str = ""  # the same on every server whose index agrees with the database
    documents: int = 0

    @property
    def agrees(self) -> bool:
        return not (self.missing or self.extra or self.stale)


def check(repair: bool = False) -> CheckReport:
    """Compare every document's content hash with what the database would build now.
    With repair, rewrite the documents that differ (under the index lock)."""
    generation = _folder().current()
    if generation is None:
        raise IndexUnavailable("no complete search index yet")
    pending = pending_changes() or 0
    with Session(db.engine) as session:
        expected = {doc["id"]: doc for doc in map(document_for, published_services(session))}
    indexed = _index().built_from()
    report = CheckReport(
        missing=expected.keys() - indexed.keys(), extra=indexed.keys() - expected.keys(),
        stale={i for i in expected.keys() & indexed.keys()
               if indexed[i] != expected[i]["built_from"]},
        pending=pending, documents=len(indexed))
    report.fingerprint = _fingerprint(indexed)
    if repair and not report.agrees:
        with _locked():
            write(_folder().current() or generation,
                  [expected[i] for i in report.missing | report.stale], report.extra)
        report.fingerprint = _fingerprint({i: doc["built_from"] for i, doc in expected.items()})
    return report


def _fingerprint(built_from: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for service_id in sorted(built_from):
        digest.update(f"{service_id}={built_from[service_id]};".encode())
    return digest.hexdigest()[:16]


def index_health() -> dict:
    """This server's index: usable (searches can use it), lag_seconds (how long the oldest
    change not yet applied has waited; None when unknown) and problem (None, or what is
    wrong, in words). For /healthz."""
    generation = _folder().current()
    if generation is None:
        return {"usable": False, "lag_seconds": None,
                "problem": "no complete search index yet (it is being built)"}
    try:
        _index().searcher()
    except IndexUnavailable as error:
        return {"usable": False, "lag_seconds": None, "problem": str(error)}
    try:
        position = _folder().position(generation)
        with Session(db.engine) as session:
            oldest = session.scalar(select(func.min(SearchChange.changed_at))
                                    .where(pending_condition(position)))
    except Exception as error:  # the database is down: the index still answers
        return {"usable": True, "lag_seconds": None,
                "problem": f"cannot read the search change log: {type(error).__name__}"}
    lag = 0.0 if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())
    limit = float(current_app.config.get("SEARCH_LAG_WARN_SECONDS", 60.0))
    problem = f"the search index is {lag:.0f} s behind the database" if lag > limit else None
    return {"usable": True, "lag_seconds": round(lag, 3), "problem": problem}


def pending_changes() -> int | None:
    """How many committed change rows this server's index has not applied (None: no index)."""
    generation = _folder().current()
    if generation is None:
        return None
    with Session(db.engine) as session:
        return session.scalar(select(func.count()).select_from(SearchChange).where(
            pending_condition(_folder().position(generation))))


def wait_until_applied(seconds: float = 15.0) -> bool:
    """True once this server's applier has applied every committed change."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pending_changes() == 0:
            return True
        time.sleep(0.05)
    return False


# -- searching -------------------------------------------------------------------------

def search(criteria: Criteria, page: int = 1, page_size: int = 20) -> tuple[Outcome, bool]:
    """One page of a search. The flag is True when the index was unavailable and the
    database answered instead (with fewer features), while the index rebuilds."""
    try:
        state = _index().state()
        return run(state, criteria, words.places(state), page, page_size,
                   words.vocabulary()), False
    except IndexUnavailable as error:
        log.warning("%s: answering from the database until the applier has built it", error)
        return _database_search(criteria, page, page_size), True


def forget_search_words() -> None:
    """The partnership's search words changed here: read them again on the next search."""
    words.forget()


def languages_offered() -> list[str]:
    """Language codes of published services, from the index (the database if it is down)."""
    try:
        return sorted(_index().state().facet_bitmaps("language"))
    except IndexUnavailable:
        codes = db.session.scalars(select(Service.languages).where(Service.status == "published"))
        return sorted({code for languages in codes for code in languages})


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
