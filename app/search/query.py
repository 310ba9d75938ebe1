"""Turning what a family typed into a search, and running it.

What a user types is always text, never query syntax: words are analysed and the query is
built from terms here, so `title:x`, `*` or `a AND (` are just words.
"""

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from geopy.distance import great_circle
from whoosh import query as wq
from whoosh.analysis import StandardAnalyzer
from whoosh.query.spans import SpanNear2
from whoosh.searching import Searcher

from app.search.places import find_place
from app.search.schema import ALL_AREAS, ANY_AGE, CELL_DEGREES, cell_of, stemming_analyzer

MAX_QUERY_CHARACTERS = 200
TEXT_FIELDS = ("name", "summary", "description", "organisation", "categories", "keywords",
               "places")
FACET_FIELDS = ("area", "category", "access", "kind", "delivery", "language", "free")
_AGE_RE = re.compile(
    r"\b(?:(\d{1,2})\s*(?:-|\s)?\s*(?:years?|yrs?|yo)(?:\s*-?\s*old)?|aged?\s+(\d{1,2}))\b",
    re.IGNORECASE)
# Words that say little about the help wanted; dropped from the query (not the index).
FILLER_WORDS = frozenset("""
    i im i'm me my mine we our ours us he him his she her hers they them their you your
    about really very so just what who how why where when which there here
    need needs needed want wants get got getting some any
    child children childs kid kids son sons daughter daughters boy boys girl girls baby's
    year years old yr yrs please thanks think feel feels feeling going go goes does do doing
    been being has have had would could should can't cant wont won't don't dont isn't
    all time times lot lots much more most
""".split())
# Word forms the Porter2 stemmer does not join, which families use interchangeably.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "anxious": ("anxiety",), "anxiety": ("anxious",), "worried": ("worry",),
    "depressed": ("depression",), "depression": ("depressed",), "autistic": ("autism",),
    "autism": ("autistic",), "bereaved": ("bereavement",), "bereavement": ("bereaved",),
    "lonely": ("loneliness",), "abusive": ("abuse",), "deaf": ("hearing",),
    "teen": ("teenager",), "teenage": ("teenager",), "mum": ("mother", "parent"),
    "dad": ("father", "parent"), "talking": ("speech",), "evicted": ("eviction", "housing"),
    "weed": ("cannabis",), "drinking": ("alcohol",), "vape": ("vaping",), "vaping": ("vape",),
}
PHRASE_BOOST = 2.0  # words next to each other as in a listing's own keywords
COUNTY_WIDE_BOOST = 2.0  # with no place given, help open to every family in the county ranks higher
_words = StandardAnalyzer(stoplist=None, minsize=2)
_stem = stemming_analyzer()


@dataclass
class Criteria:
    """Everything a search asks for, already checked (see app.search.forms)."""

    text: str = ""
    latitude: float | None = None
    longitude: float | None = None
    district: str | None = None  # the postcode's district, when known
    radius_miles: float = 5.0
    area: str | None = None
    category: str | None = None
    age: int | None = None
    access: str | None = None
    kind: str | None = None
    delivery: str | None = None
    language: str | None = None
    free: bool = False
    max_wait: int | None = None
    sort: str = "relevance"  # relevance | distance | wait


@dataclass
class Hit:
    service_id: str
    score: float
    distance_miles: float | None  # nearest location within the radius
    covers_district: bool  # the service covers the postcode's district (or the county)


@dataclass
class Outcome:
    hits: list[Hit]
    facets: dict[str, Counter]
    suggestion: str | None = None  # the corrected text, for "Did you mean"
    understood_area: str | None = None  # a place named in the text
    understood_age: int | None = None
    text_cut: bool = False
    text_without_place: str = ""
    notices: list[str] = field(default_factory=list)


def clean_text(raw: str) -> tuple[str, bool]:
    """Printable text of a sane length; control characters and symbols become spaces."""
    text = "".join(ch if unicodedata.category(ch)[0] in "LNZ" or ch in "'-" else " "
                   for ch in raw or "")
    text = re.sub(r"\s+", " ", text).strip()
    cut = len(text) > MAX_QUERY_CHARACTERS
    if cut:
        text = text[:MAX_QUERY_CHARACTERS].rsplit(" ", 1)[0]
    return text, cut


def understand(text: str, places: dict[str, str]) -> tuple[str, str | None, int | None]:
    """Take a place and an age out of the text when they are clear."""
    area, text = find_place(text, places)
    age = None
    match = _AGE_RE.search(text)
    if match:
        value = int(match.group(1) or match.group(2))
        if value <= 25:
            age = value
            text = (text[: match.start()] + " " + text[match.end():]).strip()
    return text, area, age


def spelling_suggestion(searcher: Searcher, text: str) -> str | None:
    """The text with unknown words replaced by the nearest indexed word, if any changed."""
    corrector = searcher.corrector("spelling")
    changed = False
    words = []
    for token in _words(text):
        word = token.text
        if (len(word) >= 4 and not word.isdigit()
                and searcher.doc_frequency("spelling", word) == 0):
            found = corrector.suggest(word, limit=1, maxdist=2 if len(word) >= 6 else 1)
            if found:
                word, changed = found[0], True
        words.append(word)
    return " ".join(words) if changed else None


def text_query(text: str) -> wq.Query | None:
    meaningful = [w for w in text.split() if w.lower().strip("'-,.") not in FILLER_WORDS]
    words = meaningful or text.split()
    expanded = words + [synonym for w in words for synonym in SYNONYMS.get(w.lower(), ())]
    terms = []
    for token in _stem(" ".join(expanded)):
        terms.append(wq.Or([wq.Term(name, token.text) for name in TEXT_FIELDS]))
    if not terms:
        return None
    # Any word may match; services matching more of the words rank higher.
    clauses: list[wq.Query] = [wq.Or(terms, scale=0.9)]
    # Pairs of words as typed ("won't go to school", "someone to talk to") that a listing
    # names together in its keywords, in either order.
    stems = [token.text for token in _stem(text)]
    for first, second in zip(stems, stems[1:], strict=False):
        for name in ("keywords", "categories", "name"):
            pair = [wq.Term(name, first), wq.Term(name, second)]
            near = SpanNear2(pair, slop=1, ordered=False)
            near.boost = PHRASE_BOOST
            clauses.append(near)
    return wq.Or(clauses) if len(clauses) > 1 else clauses[0]


def filter_query(criteria: Criteria) -> list[wq.Query]:
    filters: list[wq.Query] = []
    if criteria.area:
        filters.append(wq.Or([wq.Term("area", criteria.area), wq.Term("area", ALL_AREAS)]))
    for name in ("category", "access", "kind", "delivery", "language"):
        value = getattr(criteria, name)
        if value:
            filters.append(wq.Term(name, value))
    if criteria.age is not None:
        filters.append(wq.Or([wq.Term("age", str(min(criteria.age, 25))),
                              wq.Term("age", ANY_AGE)]))
    if criteria.free:
        filters.append(wq.Term("free", "yes"))
    if criteria.max_wait is not None:
        filters.append(wq.Term("wait", f"le{criteria.max_wait}"))
    if criteria.latitude is not None:
        near = [wq.Term("cell", cell) for cell in cells_within(
            criteria.latitude, criteria.longitude, criteria.radius_miles)]
        near.append(wq.Term("area", ALL_AREAS))
        if criteria.district:
            near.append(wq.Term("area", criteria.district))
        filters.append(wq.Or(near))
    return filters


def cells_within(latitude: float, longitude: float, radius_miles: float) -> list[str]:
    """Grid cells that a circle of this radius could touch."""
    lat_span = radius_miles / 69.0
    lon_span = radius_miles / (69.0 * max(0.2, abs(_cos_degrees(latitude))))
    cells = set()
    lat = latitude - lat_span
    while lat <= latitude + lat_span + CELL_DEGREES:
        lon = longitude - lon_span
        while lon <= longitude + lon_span + CELL_DEGREES:
            cells.add(cell_of(min(lat, latitude + lat_span), min(lon, longitude + lon_span)))
            lon += CELL_DEGREES
        lat += CELL_DEGREES
    return sorted(cells)


def _cos_degrees(value: float) -> float:
    return math.cos(math.radians(value))


def run(searcher: Searcher, criteria: Criteria, places: dict[str, str]) -> Outcome:
    text, cut = clean_text(criteria.text)
    understood_area = understood_age = None
    without_place = text
    if text:
        text, understood_area, understood_age = understand(text, places)
        without_place = find_place(without_place, places)[1]
        if understood_area and (criteria.area or criteria.latitude is not None):
            understood_area = None  # an explicit area or postcode wins
        if understood_age is not None and criteria.age is not None:
            understood_age = None
    effective = Criteria(**{**criteria.__dict__,
                            "area": criteria.area or understood_area,
                            "age": criteria.age if criteria.age is not None else understood_age})
    suggestion = spelling_suggestion(searcher, text) if text else None
    searched_text = f"{text} {suggestion}" if suggestion else text
    words = text_query(searched_text)
    filters = filter_query(effective)
    if words is None:
        main: wq.Query = wq.Every()
    else:
        main = words
    if filters:
        main = wq.And([main, wq.ConstantScoreQuery(wq.And(filters), score=0.0)])
    results = searcher.search(main, limit=None)
    hits = []
    facets: dict[str, Counter] = {name: Counter() for name in FACET_FIELDS}
    for result in results:
        stored = result.fields()
        hit = _place_hit(stored, result.score, effective)
        if hit is None:
            continue
        hits.append((hit, stored))
        for name in FACET_FIELDS:
            facets[name].update(stored["facets"][name])
    # Choosing a district also shows county-wide services, so its count includes them.
    county_wide = facets["area"].pop(ALL_AREAS, 0)
    for area in set(places.values()):
        facets["area"][area] += county_wide
    ordered = _sort([(h, s) for h, s in hits], effective, has_text=words is not None)
    return Outcome(ordered, facets, suggestion=suggestion, understood_area=understood_area,
                   understood_age=understood_age, text_cut=cut,
                   text_without_place=without_place)


def _place_hit(stored: dict, score: float, criteria: Criteria) -> Hit | None:
    if criteria.latitude is None:
        county_wide = ALL_AREAS in stored["area_ids"]
        if county_wide and not criteria.area:
            score *= COUNTY_WIDE_BOOST
        return Hit(stored["id"], score, None, county_wide)
    origin = (criteria.latitude, criteria.longitude)
    distances = [great_circle(origin, point).miles for point in stored["points"]]
    nearest = min(distances) if distances else None
    within = nearest is not None and nearest <= criteria.radius_miles
    covers = ALL_AREAS in stored["area_ids"] or (
        criteria.district is not None and criteria.district in stored["area_ids"])
    if not (within or covers):
        return None
    return Hit(stored["id"], score, nearest if within else None, covers)


def _sort(hits: list[tuple[Hit, dict]], criteria: Criteria, has_text: bool) -> list[Hit]:
    def by_distance(item):
        hit, stored = item
        return (hit.distance_miles is None, hit.distance_miles or 0.0,
                ALL_AREAS in stored["area_ids"], stored["name_sort"])

    def by_wait(item):
        hit, stored = item
        weeks = stored["wait_weeks"]
        return (weeks is None, weeks or 0, -hit.score, stored["name_sort"])

    def by_relevance(item):
        hit, stored = item
        return (-round(hit.score, 6), stored["name_sort"])

    if criteria.sort == "distance" or (criteria.sort == "relevance" and not has_text
                                       and criteria.latitude is not None):
        key = by_distance
    elif criteria.sort == "wait":
        key = by_wait
    elif has_text:
        key = by_relevance
    else:
        key = lambda item: item[1]["name_sort"]  # noqa: E731
    return [hit for hit, _ in sorted(hits, key=key)]
