"""Applying the change log to this server's index: one applier per index folder.

Modelled on Hibernate Search's outbox polling, except that every server keeps its own
whole index, so every server reads every change (rows are pruned by age, not on use). A
thread in each app process polls; the folder's lock lets one of them apply at a time.
Each changed service is read again from the database when applied, after its change row
was read, so the index always gets the newest committed version, whatever the order.
"""

import logging
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, selectinload
from whoosh import index as whoosh_index
from whoosh.index import LockError

from app.extensions import db
from app.models import SearchChange, Service
from app.models.directory import utcnow
from app.search.folder import IndexFolder, Position
from app.search.index import build, write
from app.search.schema import document_for

log = logging.getLogger(__name__)

BATCH = 2000  # change rows read per poll
MAX_GAPS = 1000
IDLE_SAVE_SECONDS = 10.0  # how often an idle applier records that it polled
PRUNE_EVERY_SECONDS = 300.0


class LogReset(RuntimeError):
    """The log's numbers went backwards (a restored or recreated database): rebuild."""


@dataclass
class Settings:
    poll_seconds: float = 1.0
    gap_seconds: float = 600.0  # longer than any transaction that changes the directory
    retention_seconds: float = 7 * 86400.0

    @classmethod
    def of(cls, app: Flask) -> "Settings":
        config = app.config
        return cls(float(config.get("SEARCH_POLL_SECONDS", 1.0)),
                   float(config.get("SEARCH_GAP_SECONDS", 600.0)),
                   float(config.get("SEARCH_LOG_RETENTION_HOURS", 168.0)) * 3600.0)


def published_services(session: Session, ids: set[str] | None = None):
    query = select(Service).where(Service.status == "published").options(
        selectinload(Service.organisation), selectinload(Service.categories),
        selectinload(Service.areas), selectinload(Service.locations),
        selectinload(Service.waiting_times))
    if ids is not None:
        query = query.where(Service.id.in_(ids))
    return session.scalars(query.execution_options(yield_per=500))


def pending_condition(position: Position):
    """Change rows this position has not applied yet."""
    condition = SearchChange.id > position.mark
    if position.gaps:
        condition = or_(condition, SearchChange.id.in_(sorted(position.gaps)))
    return condition


def _log_position(session: Session, settings: Settings) -> Position:
    """Where the log stands now, recorded before a build reads the directory: numbers
    below the newest that are not visible yet may be transactions still under way."""
    now = time.time()
    mark = session.scalar(select(func.max(SearchChange.id))) or 0
    since = utcnow() - timedelta(seconds=settings.gap_seconds)
    recent = set(session.scalars(select(SearchChange.id).where(SearchChange.changed_at >= since)))
    gaps = {number: now for number in range(min(recent, default=mark), mark)
            if number not in recent}
    return Position(mark, gaps, now)


def build_generation(folder: IndexFolder, settings: Settings) -> int:
    """Build a complete new generation from the database and make it current. Call while
    holding the folder's lock. Returns how many services were indexed."""
    generation = folder.new_generation()
    try:
        with Session(db.engine) as session:
            position = _log_position(session, settings)
            count = build(generation, (document_for(s) for s in published_services(session)))
        position.polled_at = time.time()
        folder.save_position(generation, position)
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    folder.swap_to(generation)
    folder.remove_old_generations()
    log.info("search index built: %s services, log position %s", count, position.mark)
    return count


def _indexed_ids(generation: Path) -> set[str]:
    with whoosh_index.open_dir(str(generation)).searcher() as searcher:
        return {fields["id"] for fields in searcher.all_stored_fields()}


def apply_changes(generation: Path, service_ids: set[str] | None) -> None:
    """Bring these services' documents (None: every one) in line with the database."""
    with Session(db.engine) as session:
        services = list(published_services(session, service_ids))
        documents = [document_for(service) for service in services]
    published = {document["id"] for document in documents}
    wanted = _indexed_ids(generation) if service_ids is None else service_ids
    write(generation, documents, removed_ids=wanted - published)


def _advance(position: Position, seen: set[int], settings: Settings) -> Position:
    now = time.time()
    mark = max(position.mark, *seen) if seen else position.mark
    gaps = {number: first for number, first in position.gaps.items()
            if number not in seen and now - first < settings.gap_seconds}
    # Numbers skipped below the newest seen may still commit. After a long jump (an index
    # built on an empty log starts at 0) only the last MAX_GAPS numbers are awaited.
    start = max(position.mark + 1, mark - MAX_GAPS)
    gaps.update({number: now for number in range(start, mark) if number not in seen})
    return Position(mark, gaps, now)


def follow(folder: IndexFolder, generation: Path, settings: Settings) -> int:
    """Apply one batch of the log to the generation. Returns how many rows were applied."""
    position = folder.position(generation)
    with Session(db.engine) as session:
        rows = session.execute(select(SearchChange.id, SearchChange.service_id)
                               .where(pending_condition(position))
                               .order_by(SearchChange.id).limit(BATCH)).all()
        if not rows:
            newest = session.scalar(select(func.max(SearchChange.id)))
            if newest is not None and newest < position.mark:
                raise LogReset(f"the newest change is {newest}, this index has {position.mark}")
    if rows:
        changed = {service_id for _, service_id in rows}
        apply_changes(generation, None if None in changed else changed)  # type: ignore[arg-type]
    advanced = _advance(position, {number for number, _ in rows}, settings)
    if (rows or advanced.gaps.keys() != position.gaps.keys()
            or advanced.polled_at - position.polled_at > IDLE_SAVE_SECONDS):
        folder.save_position(generation, advanced)
    return len(rows)


_last_pruned: dict[Path, float] = {}


def prune_log(settings: Settings) -> int:
    """Delete change rows older than the retention window. Returns how many."""
    with Session(db.engine) as session:
        cutoff = utcnow() - timedelta(seconds=settings.retention_seconds)
        old = SearchChange.changed_at < cutoff
        if session.scalar(select(SearchChange.id).where(old).limit(1)) is None:
            return 0  # nothing to delete: no write (it would wait behind a writer in SQLite)
        deleted = session.execute(delete(SearchChange).where(old))
        session.commit()
        return deleted.rowcount or 0


def cycle(folder: IndexFolder, settings: Settings, lock_timeout: float = 0.0) -> int | None:
    """One poll: build when there is no usable index (or this server is further behind
    than the log keeps), else apply the next batch. None: another process holds the lock."""
    with folder.lock(lock_timeout) as held:
        if not held:
            return None
        generation = folder.current()
        if generation is None:
            build_generation(folder, settings)
            return 0
        position = folder.position(generation)
        if time.time() - position.polled_at > settings.retention_seconds:
            log.warning("search index is older than the change log's retention: rebuilding")
            build_generation(folder, settings)
            return 0
        try:
            applied = follow(folder, generation, settings)
        except LockError:
            raise
        except LogReset as reset:
            log.warning("search change log was reset (%s): rebuilding", reset)
            build_generation(folder, settings)
            return 0
        except Exception as error:
            if _readable(generation):
                raise  # the database, not the index: try again at the next poll
            log.warning("search index unreadable (%s): rebuilding", error)
            build_generation(folder, settings)
            return 0
        now = time.time()
        if now - _last_pruned.get(folder.root, 0.0) > PRUNE_EVERY_SECONDS:
            _last_pruned[folder.root] = now
            prune_log(settings)
            folder.remove_old_generations()
        return applied


def _readable(generation: Path) -> bool:
    try:
        with whoosh_index.open_dir(str(generation)).searcher() as searcher:
            searcher.doc_count()
        return True
    except Exception:
        return False


class Applier:
    """The background thread of one app process. Requests never wait for it."""

    def __init__(self, app: Flask, folder: IndexFolder):
        self.app = app
        self.folder = folder
        self.settings = Settings.of(app)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._starting = threading.Lock()

    def start(self) -> None:
        """Start the thread if this process has none (a forked worker starts its own)."""
        if self._thread is not None and self._thread.is_alive():
            return
        with self._starting:
            if self._thread is None or not self._thread.is_alive():
                self.settings = Settings.of(self.app)
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="search-applier",
                                                daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                with self.app.app_context():
                    applied = cycle(self.folder, self.settings)
                failures = 0
                if applied and applied >= BATCH:
                    continue  # more waiting: no pause
            except Exception:
                failures += 1
                log.exception("search applier failed (attempt %s); trying again", failures)
            self._stop.wait(self.settings.poll_seconds * min(2 ** failures, 30))
