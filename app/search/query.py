"""Turning what a family typed into a search, and running it.

What a user types is always text, never query syntax: words are analysed and the query is
built from terms here, so `title:x`, `*` or `a AND (` are just words.
"""

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from geopy.distance import great_circle
from whoosh import query as wq
from whoosh.analysis import StandardAnalyzer
from whoosh.query.spans import SpanNear2
from whoosh.searching import Searcher

from app.search.schema import ALL_AREAS, ANY_AGE, CELL_DEGREES, cell_of, stemming_analyzer
from app.search.state import SearcherState, from_bitmap, to_bitmap
from app.search.vocabulary import Places, Vocabulary

MAX_QUERY_CHARACTERS = 200
TEXT_FIELDS = ("name", "about", "body")
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
    "breastfeeding": ("feeding",), "weed": ("cannabis",), "drinking": ("alcohol",),
    "vape": ("vaping",), "vaping": ("vape",),
}
PHRASE_BOOST = 2.0  # words next to each other as in a listing's own keywords
COMMON_TERM_FRACTION = 0.25  # a word in more listings than this decides nothing alone
COUNTY_WIDE_BOOST = 2.0  # with no place given, help open to every family in the county ranks higher
MEANS_BOOST = 1.5  # a one-word meaning of a family's phrase counts more than words typed
MEANS_PAIRS = 4  # word pairs from the meanings of a search's phrases, at most
MEANS_PHRASE_WORD_WEIGHT = 0.5  # a word of a meaning that is a phrase counts mostly as a pair
# With a postcode or place, a local service (a venue within the radius, or serving only that
# district) ranks above a county-wide one unless the county-wide text score is more than
# this many times higher: see README, "Local first".
LOCAL_MARGIN = 1.5
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
    hits: list[Hit]  # the requested page, in order
    facets: dict[str, Counter]
    total: int = 0
    suggestion: str | None = None  # the corrected text, for "Did you mean"
    understood_area: str | None = None  # a place named in the text
    understood_age: int | None = None
    text_cut: bool = False
    text_without_place: str = ""
    text_without_age: str = ""  # the words typed less the age understood, to undo it
    disclosure: bool = False  # the text reads like someone telling of harm


def clean_text(raw: str) -> tuple[str, bool]:
    """Printable text of a sane length; control characters and symbols become spaces."""
    text = "".join(ch if unicodedata.category(ch)[0] in "LNZ" or ch in "'-" else " "
                   for ch in raw or "")
    text = re.sub(r"\s+", " ", text).strip()
    cut = len(text) > MAX_QUERY_CHARACTERS
    if cut:
        text = text[:MAX_QUERY_CHARACTERS].rsplit(" ", 1)[0]
    return text, cut


def understand(text: str, places: Places) -> tuple[str, str | None, int | None]:
    """Take a place and an age out of the text when they are clear."""
    area, text = places.find(text)
    age = None
    match = _AGE_RE.search(text)
    if match:
        value = int(match.group(1) or match.group(2))
        if value <= 25:
            age = value
            text = (text[: match.start()] + " " + text[match.end():]).strip()
    return text, area, age


def spelling_suggestion(searcher: Searcher, text: str, known: frozenset[str] = frozenset()
                        ) -> str | None:
    """The text with misspelt words replaced by the nearest listed word, if any changed.

    A word no name, summary or keyword uses is corrected unless a description uses it;
    a variant spelling of the same stem ("counseling") is offered the listed spelling.
    A word of a phrase the vocabulary knows ("cutting herself") is never a typo."""
    corrector = searcher.corrector("spelling")
    changed = False
    words = []
    for token in _words(text):
        word = token.text
        if (len(word) >= 4 and not word.isdigit() and word not in FILLER_WORDS
                and word not in known and searcher.doc_frequency("spelling", word) == 0):
            found = corrector.suggest(word, limit=1, maxdist=2 if len(word) >= 6 else 1)
            if found and (_stem_of(found[0]) == _stem_of(word)
                          or not _in_any_text(searcher, word)):
                word, changed = found[0], True
        words.append(word)
    return " ".join(words) if changed else None


def _stem_of(word: str) -> str:
    return " ".join(token.text for token in _stem(word))


def _in_any_text(searcher: Searcher, word: str) -> bool:
    """A real word of some listing (maybe only in a description) is not a typo."""
    stems = [token.text for token in _stem(word)]
    return any(searcher.doc_frequency(name, stem) for name in TEXT_FIELDS for stem in stems)


def query_terms(text: str, means: list[str] = ()
                ) -> tuple[list[str], list[str], set[str], set[str]]:
    """(the stemmed terms to look for, the stems of the text as typed, for word pairs,
    the terms that came only from what the family's phrases mean, and those of them that
    are one-word meanings)."""
    meaningful = [w for w in text.split() if w.lower().strip("'-,.") not in FILLER_WORDS]
    words = meaningful or text.split()
    expanded = words + [synonym for w in words for synonym in SYNONYMS.get(w.lower(), ())]
    own = [token.text for token in _stem(" ".join(expanded))]
    meant = [token.text for token in _stem(" ".join(means)) if token.text not in own]
    # A one-word meaning ("cannabis") weighs more; a phrase ("parenting advice") counts as
    # a phrase (see phrase_pairs), not as its separate, often common, words.
    single = {token.text for phrase in means if len(phrase.split()) == 1
              for token in _stem(phrase)} - set(own)
    terms = list(dict.fromkeys([*own, *meant]))
    return terms, [token.text for token in _stem(text)], set(meant), single


def meant_phrases(means: list[str]) -> list[tuple[str, ...]]:
    """The stems of each meaning that is more than one word."""
    stemmed = (tuple(token.text for token in _stem(phrase)) for phrase in means)
    return [stems for stems in stemmed if len(stems) > 1]


def phrase_pairs(state: SearcherState, typed: list[str], means: list[str]
                 ) -> list[tuple[str, str]]:
    """Neighbouring words as typed, and in the phrases the search words mean. A meaning's
    pair counts only when one of its words is rare in summaries and keywords, at most
    MEANS_PAIRS of them: a pair of common words ("baby group") costs a span search over
    many listings and says little."""
    pairs = list(zip(typed, typed[1:], strict=False))
    limit = COMMON_TERM_FRACTION * max(1, state.live_count)
    meant: list[tuple[str, str]] = []
    for stems in meant_phrases(means):
        for pair in zip(stems, stems[1:], strict=False):
            counts = [state.term("about", word).bit_count() for word in pair]
            if min(counts) and (min(counts) <= limit or state.live_count < 20):
                meant.append(pair)
    return list(dict.fromkeys([*pairs, *meant[:MEANS_PAIRS]]))


def scored_query(terms: list[str], common: list[str], pairs: list[tuple[str, str]],
                 single: set[str] = frozenset(), meant: set[str] = frozenset()) -> wq.Query:
    """Any term may match; services matching more of them, or a pair of the words as
    typed ("won't go to school", "someone to talk to") in their summary or keywords, in
    either order, rank higher. Common words only add to the score of what matched. Words
    the family's phrases mean ("cutting herself": self-harm) weigh more than the rest."""
    def any_field(term: str) -> wq.Query:
        weight = (MEANS_BOOST if term in single else
                  MEANS_PHRASE_WORD_WEIGHT if term in meant else 1.0)
        return wq.Or([wq.Term(name, term) for name in TEXT_FIELDS], boost=weight)

    clauses: list[wq.Query] = [wq.Or([any_field(term) for term in terms], scale=0.9)]
    wanted = set(terms) | set(common)
    for first, second in pairs:
        if first in wanted or second in wanted:
            near = SpanNear2([wq.Term("about", first), wq.Term("about", second)], slop=1,
                             ordered=False)
            near.boost = PHRASE_BOOST
            clauses.append(near)
    required = wq.Or(clauses) if len(clauses) > 1 else clauses[0]
    if not common:
        return required
    return wq.AndMaybe(required, wq.Or([any_field(term) for term in common]))


def text_bits(state: SearcherState, terms: list[str], meant: set[str] = frozenset(),
              phrases: list[tuple[str, ...]] = ()) -> tuple[int, list[str], list[str]]:
    """Documents matching the text, the terms that decided it, and the common ones left to
    add to the score. Words found in many listings ("support", "help") only decide what
    matches when the text has nothing rarer. What the family's phrases mean widens what
    matches but never narrows it ("family centre" still finds every family centre when it
    also means the rarer "family hub"); a meaning that is a phrase ("parenting advice")
    matches listings with all its words, not any one of them."""
    per_term = {term: 0 for term in terms}
    for term in terms:
        for name in TEXT_FIELDS:
            per_term[term] |= state.term(name, term)
    limit = COMMON_TERM_FRACTION * max(1, state.live_count)
    in_phrases = {word for phrase in phrases for word in phrase}
    deciding = [t for t in terms if per_term[t] and (t not in meant or t not in in_phrases)]
    rare = [term for term in deciding if per_term[term].bit_count() <= limit]
    typed = [term for term in deciding if term not in meant]
    if typed and not any(term in rare for term in typed):
        rare = list(dict.fromkeys([*typed, *rare]))
    used = rare or deciding or [t for t in terms if t not in meant] or terms
    bits = 0
    for term in used:
        bits |= per_term[term]
    for phrase in phrases:
        both = state.everything
        for word in phrase:
            both &= per_term.get(word, 0)
        bits |= both
    present = [term for term in terms if per_term[term]]
    return bits, used, [term for term in present if term not in used]


def filter_bits(state: SearcherState, criteria: Criteria) -> int:
    bits = state.everything
    if criteria.area:
        bits &= state.any_of("area", (criteria.area, ALL_AREAS))
    for name in ("category", "access", "kind", "delivery", "language"):
        value = getattr(criteria, name)
        if value:
            bits &= state.term(name, value)
    if criteria.age is not None:
        bits &= state.any_of("age", (str(min(criteria.age, 25)), ANY_AGE))
    if criteria.free:
        bits &= state.term("free", "yes")
    if criteria.max_wait is not None:
        bits &= state.term("wait", f"le{criteria.max_wait}")
    return bits


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


def run(state: SearcherState, criteria: Criteria, places: Places, page: int = 1,
        page_size: int = 20, vocabulary: Vocabulary | None = None) -> Outcome:
    """One page of results, the total, and facet counts over every match."""
    searcher = state.searcher
    text, cut = clean_text(criteria.text)
    understood_area = understood_age = None
    without_place = text
    understood = vocabulary.understand(text) if vocabulary and text else None
    if text:
        text, understood_area, understood_age = understand(text, places)
        without_place = places.find(without_place)[1]
        if understood_area and (criteria.area or criteria.latitude is not None):
            understood_area = None  # an explicit area or postcode wins
        if understood_age is not None and criteria.age is not None:
            understood_age = None
    effective = Criteria(**{**criteria.__dict__,
                            "area": criteria.area or understood_area,
                            "age": criteria.age if criteria.age is not None else understood_age})
    means = understood.means if understood else []
    known = vocabulary.known_words if vocabulary else frozenset()
    suggestion = spelling_suggestion(searcher, text, known) if text else None
    if suggestion and vocabulary:  # the corrected words may be phrases the vocabulary knows
        corrected = vocabulary.understand(suggestion)
        means = [*means, *(m for m in corrected.means if m not in means)]
    terms, typed, meant, single = query_terms(f"{text} {suggestion}" if suggestion else text, means)

    # Every match, as a bitmap: the count and the facets need all of them, not a page.
    matched_bits = filter_bits(state, effective)
    words: wq.Query | None = None
    if terms:
        found, used, common = text_bits(state, terms, meant, meant_phrases(means))
        matched_bits &= found
        words = scored_query(used, common, phrase_pairs(state, typed, means), single, meant)
    near: dict[int, float] = {}
    if effective.latitude is not None:
        near = _within_radius(state, matched_bits, effective)
        covering = state.any_of("area", [ALL_AREAS] + (
            [effective.district] if effective.district else []))
        matched_bits = (matched_bits & covering) | to_bitmap(near, state.size)
    matched = set(from_bitmap(matched_bits))

    facets = _facet_counts(state, matched_bits, places.area_ids)
    start, end = (page - 1) * page_size, page * page_size
    ordered = _order(state, matched, near, effective, words, end)
    hits = [_hit(state, docnum, score, near, effective) for docnum, score in ordered[start:end]]
    return Outcome(hits, facets, total=len(matched), suggestion=suggestion,
                   understood_area=understood_area, understood_age=understood_age,
                   text_cut=cut, text_without_place=without_place,
                   text_without_age=" ".join(_AGE_RE.sub(" ", criteria.text or "").split()),
                   disclosure=bool(understood and understood.disclosure))


def _within_radius(state: SearcherState, matched_bits: int, criteria: Criteria
                   ) -> dict[int, float]:
    """Matched documents with a location inside the radius, and its distance in miles.
    A grid-cell term lookup narrows the candidates before any distance is computed."""
    cells = state.any_of("cell", cells_within(
        criteria.latitude, criteria.longitude, criteria.radius_miles))
    origin = (criteria.latitude, criteria.longitude)
    near = {}
    for docnum in from_bitmap(matched_bits & cells):
        points = state.stored(docnum)["points"]
        nearest = min(great_circle(origin, point).miles for point in points)
        if nearest <= criteria.radius_miles:
            near[docnum] = nearest
    return near


def _facet_counts(state: SearcherState, matched_bits: int, area_ids: list[str]
                  ) -> dict[str, Counter]:
    facets: dict[str, Counter] = {}
    for name in FACET_FIELDS:
        counts = Counter()
        for value, bits in state.facet_bitmaps(name).items():
            count = (matched_bits & bits).bit_count()
            if count:
                counts[value] = count
        facets[name] = counts
    # Choosing a district also shows county-wide services, so its count includes them.
    county_wide = facets["area"].pop(ALL_AREAS, 0)
    for area in area_ids:
        facets["area"][area] += county_wide
    return facets


def _order(state: SearcherState, matched: set[int], near: dict[int, float],
           criteria: Criteria, words: wq.Query | None, needed: int) -> list[tuple[int, float]]:
    """(docnum, score) pairs in display order, at least `needed` of them when there are."""
    by_distance = criteria.sort == "distance" or (
        criteria.sort == "relevance" and words is None and criteria.latitude is not None)
    if by_distance and criteria.latitude is not None:
        nearest = sorted(near, key=lambda d: (near[d], d))
        rest = [d for d in state.order("name_sort") if d in matched and d not in near]
        return [(d, 0.0) for d in nearest + rest]
    if criteria.sort == "wait" or words is None:
        columns = ("wait_sort", "name_sort") if criteria.sort == "wait" else ("name_sort",)
        return [(d, 0.0) for d in state.order(*columns) if d in matched]
    # Scored top-k; then county-wide services boosted when no place was given, and local
    # ones when a place or postcode was.
    pool = max(needed * 2, 60)
    results = state.searcher.search(words, limit=pool, filter=matched)
    district = criteria.district if criteria.latitude is not None else criteria.area
    placed = criteria.area is not None or criteria.latitude is not None
    scored = []
    for docnum, score in results.items():
        stored = state.stored(docnum)
        if not placed and ALL_AREAS in stored["area_ids"]:
            score *= COUNTY_WIDE_BOOST
        elif placed and (docnum in near or stored["area_ids"] == [district]):
            score *= LOCAL_MARGIN
        scored.append((docnum, score, stored["name_sort"]))
    scored.sort(key=lambda item: (-round(item[1], 6), item[2]))
    return [(docnum, score) for docnum, score, _ in scored]


def _hit(state: SearcherState, docnum: int, score: float, near: dict[int, float],
         criteria: Criteria) -> Hit:
    area_ids = state.stored(docnum)["area_ids"]
    covers = ALL_AREAS in area_ids or (
        criteria.district is not None and criteria.district in area_ids)
    return Hit(state.stored(docnum)["id"], score, near.get(docnum), covers)
