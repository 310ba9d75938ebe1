"""The Whoosh index on disk: one writer at a time, one searcher per process.

Opening a searcher copies the index into memory, so each process keeps one and reopens
it only when another process has committed (whoosh-reloaded's refresh() keeps old
segments and would show an updated service twice).
"""

import logging
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import LockError
from whoosh.searching import Searcher
from whoosh.writing import CLEAR

from app.search.schema import build_schema
from app.search.state import SearcherState

log = logging.getLogger(__name__)

WRITER_TIMEOUT_SECONDS = 30.0
WRITER_RETRY_DELAY = 0.05
REBUILD_MEMORY_MB = 256  # Whoosh's buffer before it spills a segment to disk


class IndexUnavailable(RuntimeError):
    """The index is missing or unreadable; callers answer from the database instead."""


class SearchIndex:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._searcher: Searcher | None = None
        self._lock = threading.Lock()
        self._state: SearcherState | None = None

    # -- reading ---------------------------------------------------------------------
    def state(self) -> SearcherState:
        """The open searcher with its caches, reopened when another commit has landed."""
        self.searcher()
        assert self._state is not None
        return self._state

    def searcher(self) -> Searcher:
        with self._lock:
            try:
                if self._searcher is None or not self._searcher.up_to_date():
                    if self._searcher is not None:
                        self._searcher.close()
                    self._searcher = self._open().searcher()
                    self._state = SearcherState(self._searcher)
            except IndexUnavailable:
                self._searcher = self._state = None
                raise
            except Exception as error:  # a damaged index raises many kinds of error
                self._searcher = self._state = None
                raise IndexUnavailable(f"search index unreadable: {error}") from error
            return self._searcher

    def _open(self):
        if not whoosh_index.exists_in(str(self.path)):
            raise IndexUnavailable(f"no search index at {self.path}")
        return whoosh_index.open_dir(str(self.path))

    def doc_count(self) -> int:
        return self.searcher().doc_count()

    def indexed_ids(self) -> set[str]:
        searcher = self.searcher()
        return {fields["id"] for fields in searcher.all_stored_fields()}

    # -- writing ---------------------------------------------------------------------
    def _open_or_create(self):
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            return self._open()
        except (IndexUnavailable, Exception):
            return self._recreate()

    def _recreate(self):
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True, exist_ok=True)
        return whoosh_index.create_in(str(self.path), build_schema())

    def update(self, documents: Iterable[dict], removed_ids: Iterable[str] = ()) -> None:
        """Add or replace documents and delete removed ones, in one commit."""
        ix = self._open_or_create()
        writer = ix.writer(timeout=WRITER_TIMEOUT_SECONDS, delay=WRITER_RETRY_DELAY)
        try:
            for service_id in removed_ids:
                writer.delete_by_term("id", service_id)
            for document in documents:
                writer.update_document(**document)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def rebuild(self, documents: Iterable[dict]) -> int:
        """Replace the whole index; the old one answers searches until the commit."""
        try:
            ix = self._open_or_create()
            writer = ix.writer(timeout=WRITER_TIMEOUT_SECONDS, delay=WRITER_RETRY_DELAY,
                               limitmb=REBUILD_MEMORY_MB)
        except LockError:
            raise
        except Exception:  # damaged beyond opening a writer: start again
            ix = self._recreate()
            writer = ix.writer()
        count = 0
        try:
            for document in documents:
                writer.add_document(**document)
                count += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=CLEAR)
        return count

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = self._state = None
