"""Demand: what families searched for, where, and what found nothing."""


from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select

from app import search
from app.extensions import db
from app.models import (
    Area,
    SearchRecord,
)
from app.models.directory import utcnow
from app.oversight.queries import ONE, ZERO, area_names
from app.oversight.scope import ALL, COUNTY_WIDE, Scope
from app.oversight.suppression import SMALL, share_of
from app.oversight.tables import Section, Table
from app.search import Criteria

TOP = 20  # rows in the most-searched lists


# -- demand --------------------------------------------------------------------------------------

def search_filters(scope: Scope) -> list:
    filters = [SearchRecord.searched_at >= scope.start_utc, SearchRecord.searched_at < scope.end_utc]
    if scope.district == COUNTY_WIDE:
        filters.append(SearchRecord.district.is_(None))  # searches that gave no place
    elif scope.district != ALL:
        filters.append(SearchRecord.district == scope.district)
    return filters


NO_WORDS = "(no words: a place or filters only)"


def _searches_by_district(filters: list) -> list[tuple[str | None, int, int]]:
    """(district, searches, found nothing) for each district and for no district. Counted
    district by district along the (district, searched_at, result_count) index: SQLite
    groups by sorting, which for a year of a county's searches costs more than this."""

    def count(*conditions) -> Any:
        return select(func.count()).select_from(SearchRecord).where(*filters, *conditions).scalar_subquery()

    nothing = SearchRecord.result_count == 0
    rows = db.session.execute(select(Area.id, count(SearchRecord.district == Area.id),
                                     count(SearchRecord.district == Area.id, nothing))).all()
    unplaced = db.session.execute(select(count(SearchRecord.district.is_(None)),
                                         count(SearchRecord.district.is_(None), nothing))).one()
    return [*(tuple(row) for row in rows if row[1]), *([(None, *unplaced)] if unplaced[0] else [])]


def demand(scope: Scope) -> Section:
    """What families searched for and did not find. Words are shown only when at least
    SMALL searches used exactly them: free text can name a child."""
    filters = search_filters(scope)
    found_nothing = func.sum(case((SearchRecord.result_count == 0, ONE), else_=ZERO))
    by_words = db.session.execute(
        select(SearchRecord.terms, func.count(), found_nothing).where(*filters)
        .group_by(SearchRecord.terms).having(func.count() >= SMALL)).all()
    if scope.district == ALL:
        by_place = _searches_by_district(filters)
    else:
        by_place = db.session.execute(select(SearchRecord.outcode, func.count(), found_nothing)
                                      .where(*filters).group_by(SearchRecord.outcode)).all()
    total = sum(row[1] for row in by_place)
    total_nothing = sum(row[2] or 0 for row in by_place)

    frequent = sorted(by_words, key=lambda row: (-row[1], row[0]))[:TOP]
    shown = sum(row[1] for row in frequent)
    top = Table("top-searches", "Most frequent searches", ["Words searched", "Searches", "Found nothing"],
                [[row[0] or NO_WORDS, row[1], row[2] or 0] for row in frequent], numeric=(1, 2),
                note=f"Words searched at least {SMALL} times in the period, exactly as cleaned up for "
                     f"searching. Other searches: {total - shown:,}.")
    nothing = sorted((row for row in by_words if row[2]), key=lambda row: (-row[2], row[0]))[:TOP]
    zero = Table("zero-searches", "Searches that found nothing",
                 ["Words searched", "Searches that found nothing", "All searches for these words"],
                 [[row[0] or NO_WORDS, row[2], row[1]] for row in nothing], numeric=(1, 2),
                 note=f"Words searched at least {SMALL} times. Other searches that found nothing: "
                      f"{total_nothing - sum(row[2] for row in nothing):,}.")
    names = area_names()
    if scope.district == ALL:
        label, empty = "District", "No place given"
        places = sorted(by_place, key=lambda row: (row[0] is None, names.get(row[0] or "", row[0] or "")))
    else:
        label, empty = "Outcode", "No postcode given"
        places = sorted(by_place, key=lambda row: (row[0] is None, row[0] or ""))
    where = Table("searches-by-place", "Searches by where the family was",
                  [label, "Searches", "Found nothing", "Found nothing (%)"],
                  [[names.get(row[0], row[0]) if row[0] else empty, row[1], row[2] or 0,
                    share_of(row[2] or 0, row[1])] for row in places], numeric=(1, 2, 3),
                  note="Only the outcode of a postcode is kept.")
    return Section("demand", "Demand", [top, zero, where])


# -- from unmet demand to better search ----------------------------------------------------------

NOW_ANSWERED_DAYS = 30
NOW_ANSWERED_LIMIT = 5000  # the most recent no-result searches re-run; enough for a county


def no_result_searches_now_answered(days: int = NOW_ANSWERED_DAYS) -> tuple[int, int]:
    """(how many of the last `days` days' searches that found nothing would find something
    now, how many found nothing). Each is searched again with its words, filters and district
    (the district stands for the postcode, which is not kept); the same search once only."""
    since = utcnow() - timedelta(days=days)
    rows = db.session.execute(
        select(SearchRecord.terms, SearchRecord.filters, SearchRecord.district)
        .where(SearchRecord.searched_at >= since, SearchRecord.result_count == 0)
        .order_by(SearchRecord.searched_at.desc()).limit(NOW_ANSWERED_LIMIT)).all()
    found: dict[tuple, bool] = {}
    answered = 0
    for terms, filters, district in rows:
        key = (terms, tuple(sorted((filters or {}).items())), district)
        if key not in found:
            found[key] = _finds_something(terms, filters or {}, district)
        answered += found[key]
    return answered, len(rows)


def _finds_something(terms: str, filters: dict, district: str | None) -> bool:
    criteria = Criteria(text=terms, area=filters.get("area") or district,
                        category=filters.get("category"), access=filters.get("access"),
                        kind=filters.get("kind"), delivery=filters.get("delivery"),
                        language=filters.get("language"))
    outcome, _ = search.search(criteria, 1, 1)
    return outcome.total > 0
