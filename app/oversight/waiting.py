"""Waiting: how long the waits are, how they moved, and which are out of date."""


from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, case, func, or_, select

from app.extensions import db
from app.models import (
    Category,
    ListingStatus,
    Organisation,
    Service,
    WaitingStatus,
    WaitingTime,
)
from app.models.directory import service_category
from app.oversight.queries import (
    ONE,
    ZERO,
    area_names,
    district_keys,
    in_scope,
    in_taxonomy_order,
    median_of,
    places_of,
    service_district,
)
from app.oversight.scope import Scope, long_date
from app.oversight.tables import Section, Table

# -- waiting ------------------------------------------------------------------------------------

def _waits_on(day: date):
    """Each service's wait as it stood on `day`: its latest confirmation by then."""
    ranked = select(
        WaitingTime.service_id, WaitingTime.status, WaitingTime.weeks,
        func.row_number().over(partition_by=WaitingTime.service_id,
                               order_by=(WaitingTime.confirmed_on.desc(), WaitingTime.id.desc()))
        .label("position"),
    ).where(WaitingTime.confirmed_on <= day).subquery()
    return (select(ranked.c.service_id, ranked.c.status, ranked.c.weeks)
            .where(ranked.c.position == 1).subquery())


def _weeks(wait) -> Any:
    """Weeks a family would wait: 0 when taking referrals with no list; None when not
    taking referrals or not said (left out of medians)."""
    return case((wait.c.status == WaitingStatus.OPEN, ZERO),
                (wait.c.status == WaitingStatus.WAITLIST, wait.c.weeks), else_=None)


WAIT_COLUMNS = ["Services", "Taking referrals, no wait", "Waiting list", "Median wait (weeks)",
                "Longest wait (weeks)", "Not taking referrals", "No wait given"]


def _wait_rows(scope: Scope, key_column, keys: list[str], labels: dict[str, str], joins) -> list[list]:
    """One row per key: counts by status, median and longest weeks, as the period ended."""
    wait = _waits_on(scope.end)
    inner = joins(select(key_column.label("key"), Service.id.label("service_id"),
                         wait.c.status.label("status"), wait.c.weeks.label("weeks"),
                         _weeks(wait).label("wait_weeks"))
                  .select_from(Service).outerjoin(wait, wait.c.service_id == Service.id)
                  .where(Service.status == ListingStatus.PUBLISHED, *in_scope(Service.id, scope))).subquery()
    counts: dict[str, Counter] = defaultdict(Counter)
    longest: dict[str, int] = {}
    for key, status, count, most in db.session.execute(
            select(inner.c.key, inner.c.status, func.count(), func.max(inner.c.weeks))
            .group_by(inner.c.key, inner.c.status)):
        counts[key][status] += count
        if status == WaitingStatus.WAITLIST and most is not None:
            longest[key] = most
    weeks: dict[str, list[int]] = defaultdict(list)
    for key, value in db.session.execute(
            select(inner.c.key, inner.c.wait_weeks).where(inner.c.wait_weeks.is_not(None))):
        weeks[key].append(value)
    rows = []
    for key in keys:
        found = counts.get(key)
        if not found:
            continue
        rows.append([labels[key], sum(found.values()), found[WaitingStatus.OPEN],
                     found[WaitingStatus.WAITLIST], median_of(weeks[key]), longest.get(key),
                     found[WaitingStatus.CLOSED], found[None]])
    return rows


def waiting(scope: Scope) -> Section:
    names = area_names()
    leaves = [category for category, has_children in in_taxonomy_order() if not has_children]
    by_category = Table(
        "waits-by-category", f"Waits by category on {long_date(scope.end)}", ["Category", *WAIT_COLUMNS],
        _wait_rows(scope, service_category.c.category_id, [c.id for c in leaves],
                   {c.id: c.name for c in leaves},
                   lambda q: q.join(service_category, service_category.c.service_id == Service.id)),
        numeric=tuple(range(1, 8)),
        note="Median over services taking referrals (no waiting list counts as 0 weeks).")
    sd = service_district()
    keys = district_keys(scope, county_wide_beside_district=False)
    by_district = Table(
        "waits-by-district", f"Waits by district on {long_date(scope.end)}", ["District", *WAIT_COLUMNS],
        _wait_rows(scope, sd.c.district, keys, names,
                   lambda q: q.join(sd, sd.c.service_id == Service.id).where(sd.c.district.in_(keys))),
        numeric=tuple(range(1, 8)))
    return Section("waiting", "Waiting", [by_category, by_district, _trend(scope), _movement(scope, leaves),
                                          stale_waits(scope)])


def _movement(scope: Scope, leaves: list[Category]) -> Table:
    before, after = _waits_on(scope.start), _waits_on(scope.end)
    inner = (select(service_category.c.category_id.label("category_id"),
                    _weeks(before).label("before"), _weeks(after).label("after"))
             .select_from(Service)
             .join(service_category, service_category.c.service_id == Service.id)
             .join(before, before.c.service_id == Service.id)
             .join(after, after.c.service_id == Service.id)
             .where(Service.status == ListingStatus.PUBLISHED, *in_scope(Service.id, scope))
             .subquery())
    compared = and_(inner.c.before.is_not(None), inner.c.after.is_not(None))
    counts = {row[0]: row[1:] for row in db.session.execute(
        select(inner.c.category_id, func.count(),
               func.sum(case((inner.c.after > inner.c.before, ONE), else_=ZERO)),
               func.sum(case((inner.c.after < inner.c.before, ONE), else_=ZERO)),
               func.sum(case((inner.c.after == inner.c.before, ONE), else_=ZERO)))
        .where(compared).group_by(inner.c.category_id))}
    values: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for category_id, was, now in db.session.execute(
            select(inner.c.category_id, inner.c.before, inner.c.after).where(compared)):
        values[category_id][0].append(was)
        values[category_id][1].append(now)
    rows = [[c.name, counts[c.id][0], median_of(values[c.id][0]), median_of(values[c.id][1]),
             *counts[c.id][1:]] for c in leaves if c.id in counts]
    return Table(
        "wait-movement", f"How waits moved from {long_date(scope.start)} to {long_date(scope.end)}",
        ["Category", "Services compared", "Median wait at the start (weeks)",
         "Median wait at the end (weeks)", "Longer", "Shorter", "Unchanged"], rows,
        numeric=tuple(range(1, 7)),
        note="Services taking referrals on both days, from the waiting-time history.")


def waits_snapshot(scope: Scope, day: date) -> list:
    """[day, services taking referrals, median weeks, on a waiting list, not taking]."""
    wait = _waits_on(day)
    inner = (select(wait.c.status.label("status"), _weeks(wait).label("wait_weeks"))
             .select_from(Service).join(wait, wait.c.service_id == Service.id)
             .where(Service.status == ListingStatus.PUBLISHED, *in_scope(Service.id, scope))
             .subquery())
    statuses = dict(db.session.execute(select(inner.c.status, func.count()).group_by(inner.c.status)).all())
    weeks = db.session.scalars(select(inner.c.wait_weeks).where(inner.c.wait_weeks.is_not(None))).all()
    waitlist = statuses.get(WaitingStatus.WAITLIST, 0)
    return [long_date(day), statuses.get(WaitingStatus.OPEN, 0) + waitlist, median_of(weeks), waitlist,
            statuses.get(WaitingStatus.CLOSED, 0)]


def _trend(scope: Scope) -> Table:
    span = (scope.end - scope.start).days
    points = max(2, min(7, span // 7 + 1))
    days = sorted({scope.start + timedelta(days=round(i * span / (points - 1))) for i in range(points)})
    return Table("wait-trend", "Median wait across the period",
                 ["Day", "Services taking referrals", "Median wait (weeks)", "Waiting list",
                  "Not taking referrals"], [waits_snapshot(scope, day) for day in days],
                 numeric=(1, 2, 3, 4))


def stale_waits(scope: Scope) -> Table:
    stale_days = int(current_app.config["WAITING_TIME_STALE_DAYS"])
    latest = (select(WaitingTime.service_id, func.max(WaitingTime.confirmed_on).label("confirmed"))
              .group_by(WaitingTime.service_id).subquery())
    found = db.session.execute(
        select(Service.id, Service.name, Organisation.name, latest.c.confirmed)
        .join(Organisation, Organisation.id == Service.organisation_id)
        .outerjoin(latest, latest.c.service_id == Service.id)
        .where(Service.status == ListingStatus.PUBLISHED, *in_scope(Service.id, scope),
               or_(latest.c.confirmed.is_(None),
                   latest.c.confirmed < scope.today - timedelta(days=stale_days)))).all()
    found.sort(key=lambda row: (row[3] or date.min, row[1]))
    places = places_of(row[0] for row in found)
    return Table(
        "stale-waits", f"Services with no wait confirmed in {stale_days} days",
        ["Service", "Organisation", "District", "Wait last confirmed", "Days since"],
        [[name, organisation, places[service_id], confirmed or "Never",
          (scope.today - confirmed).days if confirmed else None]
         for service_id, name, organisation, confirmed in found], numeric=(4,),
        note="As of today, whatever the period.")
