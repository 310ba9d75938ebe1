"""The SQL the sections share: England's day of a moment, a service's district, and
working days counted by the database (see the package docstring for why)."""


from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Date, Integer, and_, case, func, literal_column, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app import dates
from app.extensions import db
from app.models import (
    Area,
    Category,
    Referral,
    ReferralStatus,
    Service,
)
from app.models.directory import service_area
from app.oversight.scope import ALL, COUNTY_WIDE, Scope
from app.referrals.lifecycle import (
    DECIDE_WITHIN_WORKING_DAYS,
    OPEN_WITHIN_WORKING_DAYS,
)

# -- SQL helpers -----------------------------------------------------------------------------

class LondonDate(FunctionElement):
    """The day in England of a naive UTC timestamp column, worked out by the database
    (deadlines count days in England, as dates.local_date does)."""

    type = Date()
    name = "london_date"
    inherit_cache = True


@compiles(LondonDate)
def _london_date(element, compiler, **kw) -> str:  # other databases: the UTC day
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(LondonDate, "postgresql")
def _london_date_postgresql(element, compiler, **kw) -> str:
    moment = compiler.process(element.clauses, **kw)
    return f"CAST(timezone('Europe/London', timezone('UTC', {moment})) AS DATE)"


@compiles(LondonDate, "sqlite")
def _london_date_sqlite(element, compiler, **kw) -> str:
    # SQLite has no time zones. The day in England differs from the UTC day only from 23:00
    # UTC in British Summer Time, which runs from 01:00 UTC on the last Sunday of March to
    # 01:00 UTC on the last Sunday of October (the first Sunday on or after the 25th). The
    # argument is always a column (it is repeated); SQLAlchemy stores times as
    # 'YYYY-MM-DD HH:MM:SS.ffffff'.
    moment = compiler.process(element.clauses, **kw)
    year = f"substr({moment}, 1, 4)"
    begins = f"date({year} || '-03-25', 'weekday 0') || ' 01:00:00'"
    ends = f"date({year} || '-10-25', 'weekday 0') || ' 01:00:00'"
    return (f"CASE WHEN substr({moment}, 12, 2) = '23' AND {moment} >= {begins} AND {moment} < {ends} "
            f"THEN date({moment}, '+1 hours') ELSE substr({moment}, 1, 10) END")


ONE, ZERO = literal_column("1"), literal_column("0")  # not bound: safe to GROUP BY on PostgreSQL


def _services_in(district: str):
    """The ids of the services counted under a district (not the county-wide ones)."""
    if district == COUNTY_WIDE:
        return select(Service.id).where(Service.covers_all_areas.is_(True))
    return (select(service_area.c.service_id)
            .join(Service, Service.id == service_area.c.service_id)
            .where(service_area.c.area_id == district, Service.covers_all_areas.is_(False)))


def in_scope(service_column, scope: Scope) -> list:
    return [] if scope.district == ALL else [service_column.in_(_services_in(scope.district))]


def service_district():
    """(service_id, district) for every service: each of its areas, or "county-wide"."""
    local = (select(service_area.c.service_id.label("service_id"),
                    service_area.c.area_id.label("district"))
             .join(Service, Service.id == service_area.c.service_id)
             .where(Service.covers_all_areas.is_(False)))
    county = (select(Service.id.label("service_id"), literal_column(f"'{COUNTY_WIDE}'").label("district"))
              .where(Service.covers_all_areas.is_(True)))
    return union_all(local, county).subquery("service_district")


def area_names() -> dict[str, str]:
    names = dict(db.session.execute(select(Area.id, Area.name)).all())
    names[COUNTY_WIDE] = "County-wide"
    return names


def district_keys(scope: Scope, *, county_wide_beside_district: bool) -> list[str]:
    """The districts a table has rows or columns for, in name order, county-wide last."""
    if scope.district == ALL:
        return [*db.session.scalars(select(Area.id).order_by(Area.name)), COUNTY_WIDE]
    if scope.district == COUNTY_WIDE or not county_wide_beside_district:
        return [scope.district]
    return [scope.district, COUNTY_WIDE]


def places_of(service_ids: Iterable[str]) -> dict[str, str]:
    """Each service's districts as words, for the lists of services."""
    ids = list(service_ids)
    if not ids:
        return {}
    sd = service_district()
    names = area_names()
    found: dict[str, list[str]] = defaultdict(list)
    for service_id, district in db.session.execute(
            select(sd.c.service_id, sd.c.district).where(sd.c.service_id.in_(ids))):
        found[service_id].append(names.get(district, district))
    return {service_id: ", ".join(sorted(found.get(service_id, []))) or "No district" for service_id in ids}


def _leaf_categories() -> tuple[list[Category], dict[str, list[Category]]]:
    """Top-level categories in order, and each one's children in order."""
    categories = list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))
    children: dict[str, list[Category]] = defaultdict(list)
    for category in categories:
        if category.parent_id:
            children[category.parent_id].append(category)
    return [c for c in categories if c.parent_id is None], children


def in_taxonomy_order() -> list[tuple[Category, bool]]:
    """(category, has children) with each parent followed by its children."""
    parents, children = _leaf_categories()
    ordered = []
    for parent in parents:
        ordered.append((parent, bool(children.get(parent.id))))
        ordered.extend((child, False) for child in children.get(parent.id, []))
    return ordered


def percentile(histogram: Mapping[int, int], percent: int) -> int | None:
    """Nearest rank: the smallest value with at least `percent`% of the counts at or below."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = (percent * total + 99) // 100  # ceil(percent × total / 100), in integers
    running = 0
    for value in sorted(histogram):
        running += histogram[value]
        if running >= rank:
            return value
    return None  # not reached


def median_of(values: Iterable[int]) -> int | None:
    return percentile(Counter(values), 50)


# -- working days, in the database ------------------------------------------------------------

EPOCH = date(2000, 1, 3)  # a Monday: day numbers count from it


def day_number(day: date) -> int:
    return (day - EPOCH).days


class DayNumber(FunctionElement):
    """Days from EPOCH to a date, as an integer, worked out by the database."""

    type = Integer()
    name = "day_number"
    inherit_cache = True


@compiles(DayNumber)
def _day_number(element, compiler, **kw) -> str:  # PostgreSQL: date minus date is days
    return f"({compiler.process(element.clauses, **kw)} - DATE '{EPOCH.isoformat()}')"


@compiles(DayNumber, "sqlite")
def _day_number_sqlite(element, compiler, **kw) -> str:
    epoch = EPOCH.toordinal() + 1721424.5  # its Julian day number, at midnight
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - {epoch} AS INTEGER)"


def working_days_through(day_sql: str, holidays: list[int]) -> str:
    """SQL for the working days from EPOCH to the day numbered `day_sql`, inclusive: Monday
    to Friday by arithmetic (5 a full week, then 1 to 5), less the bank holidays given as
    day numbers. Only differences are used, so holidays before every day compared can be
    left out: they cancel. Integer division and % are the same in SQLite and PostgreSQL
    for the positive numbers here."""
    weekdays = f"(5 * (({day_sql}) / 7) + CASE WHEN ({day_sql}) % 7 > 4 THEN 4 ELSE ({day_sql}) % 7 END + 1)"
    if not holidays:
        return weekdays
    counted = " + ".join(f"CASE WHEN ({day_sql}) >= {holiday} THEN 1 ELSE 0 END" for holiday in holidays)
    return f"({weekdays} - ({counted}))"


def _holidays_between(first: date, last: date) -> list[int]:
    return [day_number(day) for day in dates.bank_holidays(first, last)]


def last_day_sent_past(today: date, within: int) -> date:
    """The latest day a referral can have been sent and have had `within` full working
    days by today (app.services.referrals.overdue's rule)."""
    day = today
    while dates.full_working_days_between(day, today) < within:
        day -= timedelta(days=1)
    return day


@dataclass
class Deadline:
    """How the referrals sent in a period met one deadline."""

    within: int  # full working days allowed
    in_time: int = 0
    late: int = 0
    waiting_past: int = 0  # not answered yet, past the deadline
    waiting_within: int = 0  # not answered yet, still within it
    closed_undecided: int = 0  # closed without a decision (decisions only)
    days: Counter = field(default_factory=Counter)  # working days taken -> referrals

    @property
    def answered(self) -> int:
        return self.in_time + self.late

    @property
    def due(self) -> int:
        """Referrals whose deadline has come: answered, or waiting past it."""
        return self.in_time + self.late + self.waiting_past


def deadlines_for(scope: Scope, cohort: list, by_district: bool = False
               ) -> dict[str, tuple[Deadline, Deadline]]:
    """(opening, decision) deadlines for the referrals matching `cohort`, by district or
    all under ALL. The database counts referrals by (district, state, working days taken):
    a few hundred rows at most, whatever the volume."""
    sd = service_district()
    days = select(
        (sd.c.district if by_district else literal_column(f"'{ALL}'")).label("district"),
        DayNumber(LondonDate(Referral.submitted_at)).label("s"),
        DayNumber(LondonDate(Referral.opened_at)).label("o"),
        DayNumber(LondonDate(Referral.decided_at)).label("d"),
        case((and_(Referral.decided_at.is_(None), Referral.status == ReferralStatus.CLOSED), ONE),
             else_=ZERO).label("c"),
    ).where(*cohort)
    if by_district:
        days = days.join(sd, sd.c.service_id == Referral.service_id)
    # Materialised: the working-day sums below use each day number many times.
    days = days.cte("referral_days").prefix_with("MATERIALIZED")
    holidays = _holidays_between(scope.start - timedelta(days=1), scope.today)

    def through(day_sql: str) -> str:
        return working_days_through(day_sql, holidays)

    counts = []
    for index, column in enumerate(("o", "d")):
        within = (OPEN_WITHIN_WORKING_DAYS, DECIDE_WITHIN_WORKING_DAYS)[index]
        answered = f"referral_days.{column}"
        taken = literal_column(f"{through(answered)} - {through('referral_days.s')}")
        # Late: `within` full working days passed after the day sent, before the day answered.
        late = literal_column(f"{through(answered + ' - 1')} - {through('referral_days.s')} >= {within}")
        states = [(days.c[column].is_not(None), case((late, literal_column("'late'")),
                                                      else_=literal_column("'in-time'")))]
        if column == "d":
            states.append((days.c.c == 1, literal_column("'closed'")))
        states.append((days.c.s <= day_number(last_day_sent_past(scope.today, within)),
                       literal_column("'waiting-past'")))
        inner = select(literal_column(str(index)).label("deadline"), days.c.district.label("district"),
                       case(*states, else_=literal_column("'waiting-within'")).label("state"),
                       case((days.c[column].is_not(None), taken)).label("taken")).subquery()
        counts.append(select(inner.c.deadline, inner.c.district, inner.c.state, inner.c.taken, func.count())
                      .group_by(inner.c.deadline, inner.c.district, inner.c.state, inner.c.taken))
    result: dict[str, tuple[Deadline, Deadline]] = defaultdict(
        lambda: (Deadline(OPEN_WITHIN_WORKING_DAYS), Deadline(DECIDE_WITHIN_WORKING_DAYS)))
    # One statement, so the day numbers are worked out once for both deadlines.
    for index, district, state, taken_days, count in db.session.execute(union_all(*counts)):
        deadline = result[district][int(index)]
        if state in ("in-time", "late"):
            deadline.days[int(taken_days)] += count
        attribute = {"in-time": "in_time", "late": "late", "closed": "closed_undecided",
                     "waiting-past": "waiting_past", "waiting-within": "waiting_within"}[state]
        setattr(deadline, attribute, getattr(deadline, attribute) + count)
    return result
