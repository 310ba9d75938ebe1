"""The place names and search words search reads from the database, cached.

Places change with areas, which rebuild the index, so they are read once per searcher.
The partnership's search words change without touching the index: the cache is checked
against the table (its row count and latest change) at most every few seconds, so an
admin's new word is used within that time by every process.
"""

import threading
import time

from sqlalchemy import func, select

from app.extensions import db
from app.models import Area, SearchWord
from app.search.state import SearcherState
from app.search.vocabulary import Places, Vocabulary, built_in, vocabulary_with

RECHECK_SECONDS = 5.0
_lock = threading.Lock()
_cached: dict[str, object] = {"version": None, "checked": 0.0, "vocabulary": None}


def places(state: SearcherState) -> Places:
    if state.places is None:
        areas = [(area.id, area.name, list(area.places or []))
                 for area in db.session.scalars(select(Area).order_by(Area.id))]
        state.places = Places(areas, everyday_words())
    return state.places


def everyday_words() -> set[str]:
    _, everyday = built_in()
    return set(everyday) | vocabulary().single_words


def vocabulary() -> Vocabulary:
    now = time.monotonic()
    with _lock:
        if _cached["vocabulary"] is not None and now - _cached["checked"] < RECHECK_SECONDS:
            return _cached["vocabulary"]  # type: ignore[return-value]
    version = tuple(db.session.execute(
        select(func.count(), func.max(SearchWord.updated_at))).one())
    with _lock:
        if _cached["vocabulary"] is None or version != _cached["version"]:
            rows = db.session.execute(select(SearchWord.words, SearchWord.means)).all()
            _cached["vocabulary"] = vocabulary_with([(list(w), list(m)) for w, m in rows])
            _cached["version"] = version
        _cached["checked"] = now
        return _cached["vocabulary"]  # type: ignore[return-value]


def forget() -> None:
    """Read the search words again on the next search (after a change in this process)."""
    with _lock:
        _cached["vocabulary"], _cached["checked"] = None, 0.0
