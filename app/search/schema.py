"""The search index's fields and how a service becomes a document.

Filters are stored as keyword tokens rather than numeric ranges: a term lookup is several
times faster in Whoosh than a NUMERIC range (measured: docs/architecture.md).
"""

import hashlib
import json
import math

from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.lang.porter2 import stem as porter2_stem

from app.models import Service, WaitingStatus

MAX_AGE_TOKEN = 25  # ages above this are "25 and over" in the index
WAIT_THRESHOLDS = (0, 2, 4, 8, 12, 26)  # the "wait at most N weeks" choices
CELL_DEGREES = 0.1  # grid cell size for the distance prefilter (about 11 km by 7 km)
ANY_AGE = "any"
NO_WAIT_KNOWN = 9999  # sorts after every real wait
ALL_AREAS = "all"


def stemming_analyzer():
    return StemmingAnalyzer(stemfn=porter2_stem)


def build_schema() -> Schema:
    stemmed = stemming_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        # Three text fields, not one per listing field: fewer postings to merge per query.
        name=TEXT(analyzer=stemmed, field_boost=4.0),
        about=TEXT(analyzer=stemmed, field_boost=2.0),  # summary, keywords, categories
        body=TEXT(analyzer=stemmed),  # description, organisation, places
        # An unstemmed copy of every word, for "did you mean" suggestions.
        spelling=TEXT(analyzer=StandardAnalyzer(stoplist=None, minsize=2)),
        area=KEYWORD(commas=True),
        category=KEYWORD(commas=True),
        age=KEYWORD(commas=True),
        access=ID(stored=True),
        kind=ID(stored=True),
        delivery=KEYWORD(commas=True),
        language=KEYWORD(commas=True),
        free=ID,
        waiting=ID(stored=True),
        wait=KEYWORD(commas=True),
        cell=KEYWORD(commas=True),
        # Columns for sorting without reading stored fields.
        name_sort=ID(sortable=True, stored=True),
        wait_sort=NUMERIC(int, sortable=True),
        # Stored for distance and display without going back to the database.
        points=STORED,
        area_ids=STORED,
        # A hash of the document's own content: `flask search check` finds stale ones.
        built_from=STORED,
    )


def cell_of(latitude: float, longitude: float) -> str:
    return f"{math.floor(latitude / CELL_DEGREES)}:{math.floor(longitude / CELL_DEGREES)}"


def age_tokens(age_min: int | None, age_max: int | None) -> list[str]:
    if age_min is None and age_max is None:
        return [ANY_AGE]
    low = min(age_min or 0, MAX_AGE_TOKEN)
    high = min(age_max if age_max is not None else MAX_AGE_TOKEN, MAX_AGE_TOKEN)
    return [str(age) for age in range(low, high + 1)]


def wait_weeks_of(service: Service) -> int | None:
    """Weeks to first contact: 0 when open now, None when closed or unknown."""
    waiting = service.current_waiting_time
    if waiting is None or waiting.status == WaitingStatus.CLOSED:
        return None
    return 0 if waiting.status == WaitingStatus.OPEN else (waiting.weeks or 0)


def document_for(service: Service) -> dict:
    """The service's document, carrying a hash of what it was built from."""
    document = _document_for(service)
    document["built_from"] = content_hash(document)
    return document


def content_hash(document: dict) -> str:
    content = {key: value for key, value in document.items() if key != "built_from"}
    encoded = json.dumps(content, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:32]


def _document_for(service: Service) -> dict:
    category_ids = {c.id for c in service.categories} | {
        c.parent_id for c in service.categories if c.parent_id}
    category_words = [c.name for c in service.categories] + [
        keyword for c in service.categories for keyword in (c.keywords or [])]
    area_ids = [ALL_AREAS] if service.covers_all_areas else [a.id for a in service.areas]
    area_names = ["all areas"] if service.covers_all_areas else [a.name for a in service.areas]
    places = area_names + [f"{loc.name} {loc.address} {loc.postcode}" for loc in service.locations]
    points = [(loc.latitude, loc.longitude) for loc in service.locations
              if loc.latitude is not None]
    weeks = wait_weeks_of(service)
    waiting = service.current_waiting_time
    text_fields = {
        "name": service.name,
        "about": " ".join([service.summary, *(service.keywords or []), *category_words]),
        "body": " ".join([service.description, service.organisation.name, *places]),
    }
    return {
        "id": service.id,
        **text_fields,
        # Names, summaries and keywords are the words worth suggesting; descriptions would
        # double the indexing time for little gain.
        "spelling": " ".join((text_fields["name"], text_fields["about"])),
        "area": ",".join(area_ids),
        "category": ",".join(sorted(category_ids)),
        "age": ",".join(age_tokens(service.age_min, service.age_max)),
        "access": service.access,
        "kind": service.kind,
        "delivery": ",".join(service.delivery),
        "language": ",".join(service.languages),
        "free": "yes" if service.free else "no",
        "waiting": waiting.status if waiting else "unknown",
        "wait": ",".join(f"le{t}" for t in WAIT_THRESHOLDS if weeks is not None and weeks <= t),
        "cell": ",".join(sorted({cell_of(lat, lon) for lat, lon in points})) or "none",
        "name_sort": service.name.lower(),
        "wait_sort": NO_WAIT_KNOWN if weeks is None else weeks,
        "points": points,
        "area_ids": area_ids,
    }
