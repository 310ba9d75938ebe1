"""The Whoosh index on disk: searches read the folder's current generation, and only the
holder of the folder's lock writes (app/search/applier.py).

Opening a searcher copies the index into memory, so each process keeps one and reopens
it only when the pointer moved to another generation or the applier committed
(whoosh-reloaded's refresh() keeps old segments and would show an updated service twice).
"""

import logging
import threading
from collections.abc import Iterable
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from app.search.folder import IndexFolder
from app.search.schema import build_schema
from app.search.state import SearcherState

log = logging.getLogger(__name__)

WRITER_TIMEOUT_SECONDS = 10.0  # only the folder lock's holder writes: this is a safety net
WRITER_RETRY_DELAY = 0.05
REBUILD_MEMORY_MB = 256  # Whoosh's buffer before it spills a segment to disk


class IndexUnavailable(RuntimeError):
    """No complete index yet, or it is unreadable; callers answer from the database."""


class SearchIndex:
    def __init__(self, folder: IndexFolder):
        self.folder = folder
        self._generation: Path | None = None
        self._searcher: Searcher | None = None
        self._lock = threading.Lock()
        self._state: SearcherState | None = None

    # -- reading ---------------------------------------------------------------------
    def state(self) -> SearcherState:
        """The open searcher with its caches, reopened when the index has changed."""
        self.searcher()
        assert self._state is not None
        return self._state

    def searcher(self) -> Searcher:
        with self._lock:
            generation = self.folder.current()
            try:
                if generation is None:
                    raise IndexUnavailable(f"no complete search index in {self.folder.root}")
                if (self._searcher is None or generation != self._generation
                        or not self._searcher.up_to_date()):
                    self._close()
                    self._searcher = whoosh_index.open_dir(str(generation)).searcher()
                    self._generation = generation
                    self._state = SearcherState(self._searcher)
            except IndexUnavailable:
                self._close()
                raise
            except Exception as error:  # a damaged index raises many kinds of error
                self._close()
                raise IndexUnavailable(f"search index unreadable: {error}") from error
            return self._searcher

    def doc_count(self) -> int:
        return self.searcher().doc_count()

    def built_from(self) -> dict[str, str]:
        """Each indexed service's id -> the hash of what its document was built from."""
        return {fields["id"]: fields.get("built_from", "")
                for fields in self.searcher().all_stored_fields()}

    def _close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        self._searcher = self._state = self._generation = None

    def close(self) -> None:
        with self._lock:
            self._close()


# -- writing: only while holding the folder's lock -------------------------------------

def write(generation: Path, documents: Iterable[dict], removed_ids: Iterable[str] = ()) -> None:
    """Add or replace documents and delete removed ones in one generation, in one commit."""
    writer = whoosh_index.open_dir(str(generation)).writer(
        timeout=WRITER_TIMEOUT_SECONDS, delay=WRITER_RETRY_DELAY)
    try:
        for service_id in removed_ids:
            writer.delete_by_term("id", service_id)
        for document in documents:
            writer.update_document(**document)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def build(generation: Path, documents: Iterable[dict]) -> int:
    """Write a complete index into an empty generation folder. Returns how many."""
    ix = whoosh_index.create_in(str(generation), build_schema())
    writer = ix.writer(limitmb=REBUILD_MEMORY_MB)
    count = 0
    try:
        for document in documents:
            writer.add_document(**document)
            count += 1
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    indexed = ix.doc_count()
    if indexed != count:
        raise RuntimeError(f"built index holds {indexed} documents, expected {count}")
    return count
