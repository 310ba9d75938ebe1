"""Partnership oversight: is the right help reaching children in time, district by district?

Five sections, each a set of tables for one district (or the whole county, or the
county-wide services) and one period: coverage, waiting, referrals, demand and freshness.
The pages draw charts from the tables and offer each table as CSV; both show exactly what
is computed here, so suppression (`suppress`, `protect`) is applied once, here.

Small numbers: a count of 1 to 4 referrals reads "fewer than 5". Where counts add up to a
total that is shown (on the page, in another table or as a difference of two shown
figures), hidden counts must not be worked out from it: if only one of them is hidden, or
they could only be all 1s or all 4s, the smallest count shown above 0 (and any equal to
it) is hidden too, and every hidden count of that group reads "hidden" (so the words do not
tell the small one from the other). 0 is shown beside a total that is shown; when the total
is hidden, so is every count that makes it up, zeros included. A figure worked out from a
hidden count (a share, a median) is hidden with it. The groups (`_deadline_counts`,
`_referral_counts`, `referrals`, `_overdue`):

- referrals sent = opened + not opened past the 5-day deadline + not opened within it;
  opened = opened in time + late;
- referrals sent = decided + closed without a decision + no decision yet; decided =
  accepted + waiting list + declined = decided in time + late; no decision yet = waiting
  past the 20-day deadline + within it;
- declined = the decline reasons; closed (the funnel) = the closing outcomes; sent = who
  referred; and for the whole county, sent, opened in time and decided in time = the
  districts' rows (a service in two districts counts in both: a check, not an exact sum);
- each column of the referrals late now (their total is nearly what a custom period of five
  years shows as not yet answered past the deadline).

A district's row (whole county) shows its referrals sent, opened (decided) in time and the
share in time of those due, but not the rest: still, sent less in time, or due (which the
share tells) less in time, would be a difference of figures shown. When either is 1 to 4 the
count in time is hidden from the start, whatever its size (`protect`'s `hide`), with its share,
and the districts' group hides what would tell it. The share alone is hidden when those due
are 1 to 4 short of those sent (not due yet), or, for decisions, of those due to be opened.

If nothing above 0 is left to hide beside a group that could still be worked out, its zeros
are hidden too, and if it has none (every count is 1), its total. Searches, page views and
services are not about a family and are not suppressed (a search's words are shown only when
SMALL searches used them, and a browser's repeat of the same search is not recorded again:
app/activity/searches.py).

Periods: a custom period is whole weeks, Monday to Sunday (the dates given are widened to
them, and the last week ends today at the latest) and at least MIN_CUSTOM_DAYS days long, so
no page is about one day's referrals and two custom periods never differ by a single day.
Not covered: comparing views can still narrow down a count one page hides, for example two
custom periods a week apart, a district's page with the county's, or a period that ends
today ("Last 4 weeks" and the others, or a custom one) seen on two days: the two differ by a
day at each end.

Where things are counted:

- Everything that grows with activity (referrals, their events, searches, page views) is
  counted by the database: GROUP BY and COUNT, a window function for a referral's latest
  decision. Nothing loops over referrals or searches in Python.
- Times to answer a referral are in working days (Monday to Friday less the bank holidays
  of app/dates.py). Fetching a year's 20,000 referrals, or even their
  (day sent, day answered) pairs, to count working days in Python took most of a second,
  so the database counts them too: each day (in England's time, `LondonDate`) becomes a
  day number (`DayNumber`), and working days between two day numbers are weekdays by
  arithmetic less the listed bank holidays in between (`working_days_through`, generated
  from dates.BANK_HOLIDAYS; a test checks it against dates.py). The database
  then returns how many referrals took each number of days, and the median and 90th
  percentile are read off that histogram: a few dozen rows, whatever the volume.
- Service-level figures (waits, reviews) have one row per service at most: the medians of
  weeks are taken from those values in Python.

Medians and percentiles use the nearest-rank method: the value at position ceil(p × n) in
order, so every figure is a time some referral (or service) actually had.

District of a referral, a page view or a wait: its service's district(s); a service that
covers the whole county counts under "county-wide", not under each district. District of
a search: the searcher's (SearchRecord.district, from the outcode or the area chosen).
"""

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Date, Integer, and_, case, func, literal_column, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.functions import FunctionElement

from app import dates
from app.directory.feedback import KIND_LABELS
from app.directory.freshness import add_months, freshness
from app.extensions import db
from app.models import (
    AccessRoute,
    Area,
    Category,
    Feedback,
    FeedbackStatus,
    ListingStatus,
    Notification,
    Organisation,
    Referral,
    ReferralEvent,
    ReferralStatus,
    ReferrerType,
    ReminderKind,
    ReviewReminder,
    SearchRecord,
    Service,
    WaitingStatus,
    WaitingTime,
)
from app.models.activity import ActivityCount, ActivityKind
from app.models.directory import service_area, service_category, utcnow
from app.notifications.outbox import STUCK_AFTER
from app.referrals.lifecycle import (
    CLOSE_OUTCOMES,
    DECIDE_WITHIN_WORKING_DAYS,
    DECLINE_REASONS,
    OPEN_WITHIN_WORKING_DAYS,
)

ALL = "all"  # the whole county: every service, every search
COUNTY_WIDE = "county-wide"  # services that cover the whole county (and searches with no place)
PERIODS = {"4w": "Last 4 weeks", "quarter": "Last 3 months", "year": "Last 12 months",
           "custom": "Dates you choose"}
MAX_YEARS_BACK = 5
SMALL = 5
FEWER_THAN_5 = "fewer than 5"
HIDDEN = "hidden"  # a count hidden so that a small one beside it cannot be worked out
MIN_CUSTOM_DAYS = 7
TOP = 20  # rows in the most-searched lists


# -- small numbers ---------------------------------------------------------------------

def suppress(value: Any, *counts: int) -> Any:
    """The one rule, for pages and CSV alike: a count of referrals from 1 to 4, or any
    figure worked out from 1 to 4 referrals (a median, a share), reads "fewer than 5".
    `counts` are the referral counts the figure rests on; by default the value itself.
    0 stays 0: "none" identifies nobody."""
    for count in counts or (value,):
        if isinstance(count, int) and 0 < count < SMALL:
            return FEWER_THAN_5
    return value


Group = tuple[Hashable, Sequence[Hashable]]  # (total, the counts that add up to it)


def protect(counts: Mapping[Hashable, int], groups: Sequence[Group],
            hide: Iterable[Hashable] = ()) -> dict[Hashable, Any]:
    """What each count reads: the number, "fewer than 5" or "hidden" (the rule in the module
    docstring). `groups` are (total, parts), every key one of `counts`; a count is a part in
    one group at most. Hiding goes from a total to its parts and between parts; from parts to
    their total only when every part is 1 (then only the total can hide them). `hide`: counts
    hidden from the start whatever their size, because a small count that is not shown would
    be their difference with one that is (a district's referrals sent less those opened in
    time); the groups then hide what would tell them."""
    hidden = {key for key, value in counts.items() if 0 < value < SMALL} | set(hide)
    whole: set[int] = set()  # groups with every part hidden
    forced: set[int] = set()  # ... because nothing less would do: every part reads "hidden"
    while True:
        words = _words(counts, groups, hidden, forced)
        for index, (total, parts) in enumerate(groups):
            if index in whole:
                continue
            if total in hidden:
                hidden.update(parts)
                whole.add(index)
                break
            concealed = [part for part in parts if part in hidden]
            if concealed and _worked_out([counts[part] for part in concealed],
                                         [words[part] for part in concealed]):
                shown = [part for part in parts if part not in hidden and counts[part] > 0]
                if shown:  # the smallest, and any equal to it: which one went would tell
                    smallest = min(counts[part] for part in shown)
                    hidden.update(part for part in shown if counts[part] == smallest)
                else:  # every count above 0 is hidden already: hide the zeros too
                    hidden.update(parts)
                    whole.add(index)
                    forced.add(index)
                    if all(counts[part] == 1 for part in parts):  # no zeros, all 1s: the total
                        hidden.add(total)
                break
        else:
            return {key: words.get(key, value) for key, value in counts.items()}


def _words(counts: Mapping[Hashable, int], groups: Sequence[Group], hidden: set,
           forced: set[int]) -> dict[Hashable, str]:
    """ "fewer than 5" for a hidden count, unless it is 5 or more, or in a group where one
    is (or whose hidden total reads "hidden"): then "hidden", for all of that group alike."""
    loud = {key for key in hidden if counts[key] >= SMALL}
    changed = True
    while changed:
        changed = False
        for index, (total, parts) in enumerate(groups):
            concealed = {part for part in parts if part in hidden}
            if concealed - loud and (index in forced or total in loud or concealed & loud):
                loud |= concealed
                changed = True
    return {key: HIDDEN if key in loud else FEWER_THAN_5 for key in hidden}


def _worked_out(values: list[int], words: list[str]) -> bool:
    """Whether any of the counts hidden in a group whose total is shown can be worked out:
    their sum is known (the total less the counts shown), each is at least 1 (a 0 would be
    shown), and one that reads "fewer than 5" at most 4."""
    if len(values) == 1:
        return True
    rest = sum(values)
    for index, word in enumerate(words):
        others = words[:index] + words[index + 1:]
        highest = rest - len(others)
        if word == FEWER_THAN_5:
            highest = min(highest, SMALL - 1)
        lowest = 1 if HIDDEN in others else max(1, rest - (SMALL - 1) * len(others))
        if lowest >= highest:
            return True
    return False


class Figures:
    """Referral counts as the pages show them, protected together (`protect`)."""

    def __init__(self, counts: Mapping[Hashable, int], groups: Sequence[Group],
                 hide: Iterable[Hashable] = ()):
        self.counts = dict(counts)
        self.shown = protect(self.counts, groups, hide)

    def __getitem__(self, key: Hashable) -> Any:
        return self.shown[key]

    def resting_on(self, value: Any, *keys: Hashable) -> Any:
        """A figure worked out from these counts: hidden, in the same words, if any of them is."""
        words = {self.shown[key] for key in keys if isinstance(self.shown[key], str)}
        return (HIDDEN if HIDDEN in words else FEWER_THAN_5) if words else value

    def share(self, part: Hashable, whole: Hashable) -> Any:
        return self.resting_on(_share(self.counts[part], self.counts[whole]), part, whole)


def _share(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def _suppressed_share(part: int, whole: int) -> Any:
    return suppress(_share(part, whole), part, whole)


# -- the district and period asked for ----------------------------------------------------

class ScopeError(ValueError):
    """A district or period that cannot be shown: (field, message) pairs for the page."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(message for _field, message in errors))


@dataclass(frozen=True)
class Scope:
    district: str  # ALL, COUNTY_WIDE or an area id
    district_name: str
    period: str  # a key of PERIODS
    start: date  # first day, in England
    end: date  # last day, inclusive
    today: date

    @property
    def start_utc(self) -> datetime:
        return _utc_midnight(self.start)

    @property
    def end_utc(self) -> datetime:
        """The end as an exclusive bound: midnight after the last day."""
        return _utc_midnight(self.end + timedelta(days=1))

    @property
    def now(self) -> datetime:
        """The moment "now" figures are counted at: the clock, or for a `today` given (tests,
        a report about another day) the end of that day."""
        if self.today == today_in_england():
            return utcnow()
        return _utc_midnight(self.today + timedelta(days=1))

    def args(self) -> dict[str, str]:
        """The query string that asks for this scope again (links, CSV)."""
        values = {"district": self.district, "period": self.period}
        if self.period == "custom":
            values.update({"from": self.start.isoformat(), "to": self.end.isoformat()})
        return values

    @property
    def description(self) -> str:
        return f"{self.district_name}, {long_date(self.start)} to {long_date(self.end)}"


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def today_in_england() -> date:
    return dates.local_date(utcnow())


def _utc_midnight(day: date) -> datetime:
    """Midnight at the start of a day in England, as the naive UTC the database keeps."""
    return (datetime.combine(day, time(), tzinfo=dates.LONDON).astimezone(UTC)
            .replace(tzinfo=None))


def district_choices() -> list[tuple[str, str]]:
    areas = db.session.execute(select(Area.id, Area.name).order_by(Area.name)).all()
    return [(ALL, "Whole county"), *[(row.id, row.name) for row in areas],
            (COUNTY_WIDE, "County-wide services")]


def _parse_date(text: str) -> date | None:
    text = (text or "").strip()[:20]
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def parse_scope(args: Mapping[str, str], today: date | None = None) -> Scope:
    """The scope a page was asked for; ScopeError names each bad value."""
    today = today or today_in_england()
    errors: list[tuple[str, str]] = []
    names = dict(district_choices())
    district = (args.get("district") or ALL).strip()
    if district not in names:
        errors.append(("district", "Choose a district from the list"))
    period = (args.get("period") or "4w").strip()
    start = end = today
    if period == "4w":
        start = today - timedelta(days=27)
    elif period == "quarter":
        start = add_months(today, -3) + timedelta(days=1)
    elif period == "year":
        start = add_months(today, -12) + timedelta(days=1)
    elif period == "custom":
        start, end = _custom_dates(args, today, errors)
    else:
        errors.append(("period", "Choose a period from the list"))
    if errors:
        raise ScopeError(errors)
    return Scope(district, names[district], period, start, end, today)


def _custom_dates(args: Mapping[str, str], today: date,
                  errors: list[tuple[str, str]]) -> tuple[date, date]:
    start, end = _parse_date(args.get("from", "")), _parse_date(args.get("to", ""))
    if start is None:
        errors.append(("from", "Enter the first day as a date, for example 2026-04-01"))
    if end is None:
        errors.append(("to", "Enter the last day as a date, for example 2026-06-30"))
    if start is None or end is None:
        return today, today
    earliest = add_months(today, -12 * MAX_YEARS_BACK)
    if end > today:
        errors.append(("to", "The last day must be today or earlier"))
    if start > end:
        errors.append(("from", "The first day must be on or before the last day"))
    if start < earliest:
        errors.append(("from", f"The first day must be within the last {MAX_YEARS_BACK} years"))
    if start <= end and (end - start).days + 1 < MIN_CUSTOM_DAYS:
        errors.append(("from", f"Choose at least {MIN_CUSTOM_DAYS} days, so that the figures "
                               f"cannot single out a family's referral"))
    return (start, end) if errors else whole_weeks(start, end, today)


def whole_weeks(start: date, end: date, today: date) -> tuple[date, date]:
    """A custom period widened to whole weeks, Monday to Sunday (but not past today): periods
    a day apart (1 to 8 January, 2 to 8 January) would differ by that day's referrals alone."""
    return start - timedelta(days=start.weekday()), min(end + timedelta(days=6 - end.weekday()), today)


# -- tables --------------------------------------------------------------------------------

@dataclass
class Cell:
    """A value with a second line and a flag the page shows in words and colour."""

    value: Any
    note: str = ""
    flag: str = ""  # "gap", "no-self" or "group"

    def __str__(self) -> str:
        return str(self.value)


@dataclass
class Table:
    name: str  # in the CSV's address: /admin/oversight/<name>.csv
    caption: str
    columns: list[str]
    rows: list[list[Any]]
    numeric: tuple[int, ...] = ()  # column indexes to align right
    note: str = ""
    # When the CSV is laid out differently from the page (a cell holding two numbers).
    csv_columns: list[str] | None = None
    csv_rows: list[list[Any]] | None = None

    def csv(self) -> tuple[list[str], list[list[Any]]]:
        if self.csv_columns is not None:
            return self.csv_columns, self.csv_rows or []
        return self.columns, [[cell.value if isinstance(cell, Cell) else cell for cell in row]
                              for row in self.rows]

    def column(self, index: int) -> list[tuple[str, Any]]:
        """(row label, value) pairs, for a chart."""
        return [(str(row[0]), row[index].value if isinstance(row[index], Cell) else row[index])
                for row in self.rows]


@dataclass
class Section:
    name: str
    title: str
    tables: list[Table]
    facts: dict[str, Any] = field(default_factory=dict)  # headline figures for the overview

    def table(self, name: str) -> Table:
        return next(table for table in self.tables if table.name == name)


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


def _in_scope(service_column, scope: Scope) -> list:
    return [] if scope.district == ALL else [service_column.in_(_services_in(scope.district))]


def _service_district():
    """(service_id, district) for every service: each of its areas, or "county-wide"."""
    local = (select(service_area.c.service_id.label("service_id"),
                    service_area.c.area_id.label("district"))
             .join(Service, Service.id == service_area.c.service_id)
             .where(Service.covers_all_areas.is_(False)))
    county = (select(Service.id.label("service_id"), literal_column(f"'{COUNTY_WIDE}'").label("district"))
              .where(Service.covers_all_areas.is_(True)))
    return union_all(local, county).subquery("service_district")


def _area_names() -> dict[str, str]:
    names = dict(db.session.execute(select(Area.id, Area.name)).all())
    names[COUNTY_WIDE] = "County-wide"
    return names


def _district_keys(scope: Scope, *, county_wide_beside_district: bool) -> list[str]:
    """The districts a table has rows or columns for, in name order, county-wide last."""
    if scope.district == ALL:
        return [*db.session.scalars(select(Area.id).order_by(Area.name)), COUNTY_WIDE]
    if scope.district == COUNTY_WIDE or not county_wide_beside_district:
        return [scope.district]
    return [scope.district, COUNTY_WIDE]


def _places(service_ids: Iterable[str]) -> dict[str, str]:
    """Each service's districts as words, for the lists of services."""
    ids = list(service_ids)
    if not ids:
        return {}
    sd = _service_district()
    names = _area_names()
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


def _in_taxonomy_order() -> list[tuple[Category, bool]]:
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


def _median(values: Iterable[int]) -> int | None:
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
    # Every listed holiday is a weekday (substitute days replace weekend ones).
    return [day_number(day) for day in sorted(dates.BANK_HOLIDAYS)
            if first <= day <= last and day.weekday() < 5]


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


def _deadlines(scope: Scope, cohort: list, by_district: bool = False
               ) -> dict[str, tuple[Deadline, Deadline]]:
    """(opening, decision) deadlines for the referrals matching `cohort`, by district or
    all under ALL. The database counts referrals by (district, state, working days taken):
    a few hundred rows at most, whatever the volume."""
    sd = _service_district()
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


# -- coverage ---------------------------------------------------------------------------------

def coverage(scope: Scope) -> Section:
    """What is on offer now: published services per category and district, with the
    self-referral ones (a family can ask without a professional) counted apart."""
    keys = _district_keys(scope, county_wide_beside_district=True)
    names = _area_names()
    sd = _service_district()
    published = Service.status == ListingStatus.PUBLISHED
    is_self = Service.access == AccessRoute.SELF_REFERRAL
    base = (select().select_from(Service)
            .join(service_category, service_category.c.service_id == Service.id)
            .join(sd, sd.c.service_id == Service.id)
            .where(published, sd.c.district.in_(keys)))
    own = {(row[0], row[1]): (row[2], row[3] or 0) for row in db.session.execute(
        base.add_columns(service_category.c.category_id, sd.c.district, func.count(),
                         func.sum(case((is_self, ONE), else_=ZERO)))
        .group_by(service_category.c.category_id, sd.c.district))}
    # A category with children counts each service in any of them once.
    group = func.coalesce(Category.parent_id, Category.id)
    inner = (base.add_columns(group.label("category_id"), sd.c.district.label("district"),
                              Service.id.label("service_id"),
                              case((is_self, Service.id)).label("self_id"))
             .join(Category, Category.id == service_category.c.category_id).subquery())
    grouped = {(row[0], row[1]): (row[2], row[3]) for row in db.session.execute(
        select(inner.c.category_id, inner.c.district, func.count(func.distinct(inner.c.service_id)),
               func.count(func.distinct(inner.c.self_id)))
        .group_by(inner.c.category_id, inner.c.district))}

    rows, csv_rows = [], []
    gaps, no_self = Counter(), Counter()
    for category, has_children in _in_taxonomy_order():
        counts = grouped if has_children else own
        row: list[Any] = [Cell(category.name, flag="group") if has_children else category.name]
        csv_row: list[Any] = [category.name if has_children else _parent_name(category),
                              "" if has_children else category.name]
        for key in keys:
            services, self_referral = counts.get((category.id, key), (0, 0))
            row.append(_coverage_cell(services, self_referral))
            csv_row += [services, self_referral]
            if not has_children:
                gaps[key] += services == 0
                no_self[key] += services > 0 and self_referral == 0
        rows.append(row)
        csv_rows.append(csv_row)
    matrix = Table(
        "coverage", "Published services by category and district", ["Category", *(names[k] for k in keys)],
        rows, numeric=tuple(range(1, len(keys) + 1)),
        note="Each cell: services in the category, and how many of them a family can refer "
             "itself to. County-wide services are counted only in their own column.",
        csv_columns=["Category group", "Category", *(f"{names[k]}: {what}" for k in keys
                                                      for what in ("services", "self-referral"))],
        csv_rows=csv_rows)

    totals = {row[0]: (row[1], row[2]) for row in db.session.execute(
        select(sd.c.district, func.count(func.distinct(Service.id)),
               func.count(func.distinct(case((is_self, Service.id)))))
        .select_from(Service).join(sd, sd.c.service_id == Service.id)
        .where(published, sd.c.district.in_(keys)).group_by(sd.c.district))}
    by_district = Table(
        "coverage-by-district", "Services and gaps by district",
        ["District", "Services", "Self-referral services", "Categories with no service",
         "Categories with no self-referral service"],
        [[names[k], *totals.get(k, (0, 0)), gaps[k], no_self[k]] for k in keys], numeric=(1, 2, 3, 4))
    offered = db.session.scalar(select(func.count()).select_from(Service)
                                .where(published, *_in_scope(Service.id, scope)))
    # Gaps are counted in the districts asked for; county-wide ones only when asked for.
    counted = [k for k in keys if k != COUNTY_WIDE] or keys
    facts = {"services": offered, "county_wide_services": totals.get(COUNTY_WIDE, (0, 0))[0],
             "gaps": sum(gaps[k] for k in counted)}
    return Section("coverage", "Coverage", [by_district, matrix], facts)


def _parent_name(category: Category) -> str:
    return category.parent.name if category.parent else ""


def _coverage_cell(services: int, self_referral: int) -> Cell:
    if services == 0:
        return Cell(0, flag="gap")
    if self_referral == 0:
        return Cell(services, note="no self-referral", flag="no-self")
    return Cell(services, note=f"{self_referral} self-referral")


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
                  .where(Service.status == ListingStatus.PUBLISHED, *_in_scope(Service.id, scope))).subquery()
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
                     found[WaitingStatus.WAITLIST], _median(weeks[key]), longest.get(key),
                     found[WaitingStatus.CLOSED], found[None]])
    return rows


def waiting(scope: Scope) -> Section:
    names = _area_names()
    leaves = [category for category, has_children in _in_taxonomy_order() if not has_children]
    by_category = Table(
        "waits-by-category", f"Waits by category on {long_date(scope.end)}", ["Category", *WAIT_COLUMNS],
        _wait_rows(scope, service_category.c.category_id, [c.id for c in leaves],
                   {c.id: c.name for c in leaves},
                   lambda q: q.join(service_category, service_category.c.service_id == Service.id)),
        numeric=tuple(range(1, 8)),
        note="Median over services taking referrals (no waiting list counts as 0 weeks).")
    sd = _service_district()
    keys = _district_keys(scope, county_wide_beside_district=False)
    by_district = Table(
        "waits-by-district", f"Waits by district on {long_date(scope.end)}", ["District", *WAIT_COLUMNS],
        _wait_rows(scope, sd.c.district, keys, names,
                   lambda q: q.join(sd, sd.c.service_id == Service.id).where(sd.c.district.in_(keys))),
        numeric=tuple(range(1, 8)))
    return Section("waiting", "Waiting", [by_category, by_district, _trend(scope), _movement(scope, leaves),
                                          _stale_waits(scope)])


def _movement(scope: Scope, leaves: list[Category]) -> Table:
    before, after = _waits_on(scope.start), _waits_on(scope.end)
    inner = (select(service_category.c.category_id.label("category_id"),
                    _weeks(before).label("before"), _weeks(after).label("after"))
             .select_from(Service)
             .join(service_category, service_category.c.service_id == Service.id)
             .join(before, before.c.service_id == Service.id)
             .join(after, after.c.service_id == Service.id)
             .where(Service.status == ListingStatus.PUBLISHED, *_in_scope(Service.id, scope))
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
    rows = [[c.name, counts[c.id][0], _median(values[c.id][0]), _median(values[c.id][1]),
             *counts[c.id][1:]] for c in leaves if c.id in counts]
    return Table(
        "wait-movement", f"How waits moved from {long_date(scope.start)} to {long_date(scope.end)}",
        ["Category", "Services compared", "Median wait at the start (weeks)",
         "Median wait at the end (weeks)", "Longer", "Shorter", "Unchanged"], rows,
        numeric=tuple(range(1, 7)),
        note="Services taking referrals on both days, from the waiting-time history.")


def _waits_snapshot(scope: Scope, day: date) -> list:
    """[day, services taking referrals, median weeks, on a waiting list, not taking]."""
    wait = _waits_on(day)
    inner = (select(wait.c.status.label("status"), _weeks(wait).label("wait_weeks"))
             .select_from(Service).join(wait, wait.c.service_id == Service.id)
             .where(Service.status == ListingStatus.PUBLISHED, *_in_scope(Service.id, scope))
             .subquery())
    statuses = dict(db.session.execute(select(inner.c.status, func.count()).group_by(inner.c.status)).all())
    weeks = db.session.scalars(select(inner.c.wait_weeks).where(inner.c.wait_weeks.is_not(None))).all()
    waitlist = statuses.get(WaitingStatus.WAITLIST, 0)
    return [long_date(day), statuses.get(WaitingStatus.OPEN, 0) + waitlist, _median(weeks), waitlist,
            statuses.get(WaitingStatus.CLOSED, 0)]


def _trend(scope: Scope) -> Table:
    span = (scope.end - scope.start).days
    points = max(2, min(7, span // 7 + 1))
    days = sorted({scope.start + timedelta(days=round(i * span / (points - 1))) for i in range(points)})
    return Table("wait-trend", "Median wait across the period",
                 ["Day", "Services taking referrals", "Median wait (weeks)", "Waiting list",
                  "Not taking referrals"], [_waits_snapshot(scope, day) for day in days],
                 numeric=(1, 2, 3, 4))


def _stale_waits(scope: Scope) -> Table:
    stale_days = int(current_app.config["WAITING_TIME_STALE_DAYS"])
    latest = (select(WaitingTime.service_id, func.max(WaitingTime.confirmed_on).label("confirmed"))
              .group_by(WaitingTime.service_id).subquery())
    found = db.session.execute(
        select(Service.id, Service.name, Organisation.name, latest.c.confirmed)
        .join(Organisation, Organisation.id == Service.organisation_id)
        .outerjoin(latest, latest.c.service_id == Service.id)
        .where(Service.status == ListingStatus.PUBLISHED, *_in_scope(Service.id, scope),
               or_(latest.c.confirmed.is_(None),
                   latest.c.confirmed < scope.today - timedelta(days=stale_days)))).all()
    found.sort(key=lambda row: (row[3] or date.min, row[1]))
    places = _places(row[0] for row in found)
    return Table(
        "stale-waits", f"Services with no wait confirmed in {stale_days} days",
        ["Service", "Organisation", "District", "Wait last confirmed", "Days since"],
        [[name, organisation, places[service_id], confirmed or "Never",
          (scope.today - confirmed).days if confirmed else None]
         for service_id, name, organisation, confirmed in found], numeric=(4,),
        note="As of today, whatever the period.")


# -- referrals ---------------------------------------------------------------------------------

def _cohort(scope: Scope) -> list:
    """The referrals sent in the period to services in the district."""
    return [Referral.submitted_at >= scope.start_utc, Referral.submitted_at < scope.end_utc,
            *_in_scope(Referral.service_id, scope)]


REFERRER_LABELS = {
    (ReferrerType.PARENT, None): "Family (a parent or carer)",
    (ReferrerType.YOUNG_PERSON, None): "Young person",
    (ReferrerType.PROFESSIONAL, "school"): "School",
    (ReferrerType.PROFESSIONAL, "health"): "Health",
    (ReferrerType.PROFESSIONAL, "other"): "Other professional",
}


def _deadline_counts(opening: Deadline, deciding: Deadline) -> tuple[dict[Hashable, int], list[Group]]:
    """The counts every referral figure hangs from, with their groups: sent, opened, decided,
    and each deadline's states."""
    counts: dict[Hashable, int] = {
        "sent": opening.in_time + opening.late + opening.waiting_past + opening.waiting_within,
        "opened": opening.answered, "decided": deciding.answered,
        "closed-undecided": deciding.closed_undecided,
        "undecided": deciding.waiting_past + deciding.waiting_within,
    }
    for name, deadline in (("open", opening), ("decide", deciding)):
        counts.update({(name, "in-time"): deadline.in_time, (name, "late"): deadline.late,
                       (name, "waiting-past"): deadline.waiting_past,
                       (name, "waiting-within"): deadline.waiting_within})
    groups: list[Group] = [
        ("sent", ["opened", ("open", "waiting-past"), ("open", "waiting-within")]),
        ("opened", [("open", "in-time"), ("open", "late")]),
        ("sent", ["decided", "closed-undecided", "undecided"]),
        ("decided", [("decide", "in-time"), ("decide", "late")]),
        ("undecided", [("decide", "waiting-past"), ("decide", "waiting-within")]),
    ]
    return counts, groups


@dataclass
class ReferralCounts:
    opening: Deadline
    deciding: Deadline
    counts: dict[Hashable, int]
    groups: list[Group]
    referrers: list[Hashable]
    districts: dict[str, tuple[Deadline, Deadline]]
    hide: set[Hashable]  # district counts in time hidden whatever their size (`_district_counts`)

    def figures(self) -> Figures:
        return Figures(self.counts, self.groups, self.hide)


def _referral_counts(scope: Scope, cohort: list) -> ReferralCounts:
    """The counts the overview shows referral figures from (sent, the deadlines), and the
    groups that can hide one of them: who referred and the districts (when each of their
    counts is 1). The referrals page adds groups that cannot (outcomes, reasons, closing:
    their totals are not on the overview, and decided would hide itself first, at 3), so
    both pages read the same."""
    opening, deciding = _deadlines(scope, cohort)[ALL]
    counts, groups = _deadline_counts(opening, deciding)
    referrers = _add_group(counts, groups, "sent", _referrer_counts(cohort))
    districts, hide = _district_counts(scope, cohort, counts, groups)
    return ReferralCounts(opening, deciding, counts, groups, referrers, districts, hide)


def _deadline_share(figures: Figures, name: str, deadline: Deadline) -> Any:
    """In time, as a % of the referrals whose deadline has come."""
    return figures.resting_on(_share(deadline.in_time, deadline.due), (name, "in-time"), (name, "late"),
                              (name, "waiting-past"))


def _add_group(counts: dict[Hashable, int], groups: list[Group], total: Hashable,
               parts: Mapping[Hashable, int]) -> list[Hashable]:
    counts.update(parts)
    groups.append((total, list(parts)))
    return list(parts)


def referrals(scope: Scope) -> Section:
    cohort = _cohort(scope)
    closed = db.session.scalar(select(func.count(Referral.closed_at)).where(*cohort))
    activity = dict(db.session.execute(
        select(ActivityCount.kind, func.sum(ActivityCount.count))
        .where(ActivityCount.day >= scope.start, ActivityCount.day <= scope.end,
               *_in_scope(ActivityCount.service_id, scope))
        .group_by(ActivityCount.kind)).all())
    searches = db.session.scalar(
        select(func.count()).select_from(SearchRecord).where(*_search_filters(scope)))
    started = activity.get(ActivityKind.REFERRAL_STARTED) or 0

    # Every referral count of the page, protected together: see the module docstring.
    found = _referral_counts(scope, cohort)
    open_deadline, decide_deadline = found.opening, found.deciding
    counts, groups = found.counts, found.groups
    counts["closed"] = closed
    decisions = _decisions(cohort)
    _add_group(counts, groups, "decided", {("outcome", status): decisions.get(status, 0)
                                           for status in ReferralStatus.DECISIONS})
    details = _detail_counts(cohort)
    reasons = _add_group(counts, groups, ("outcome", ReferralStatus.DECLINED),
                         _labelled("reason", details[ReferralStatus.DECLINED], DECLINE_REASONS))
    endings = _add_group(counts, groups, "closed",
                         _labelled("close", details[ReferralStatus.CLOSED], CLOSE_OUTCOMES))
    figures = Figures(counts, groups, found.hide)

    funnel = Table("funnel", "From searching to a decision", ["Step", "Number"], [
        ["Searches", searches],
        ["Service pages viewed", activity.get(ActivityKind.SERVICE_VIEW) or 0],
        ["Referrals started", suppress(started)],
        ["Referrals sent", figures["sent"]],
        ["Opened by the service", figures["opened"]],
        ["Decided", figures["decided"]],
        ["Closed", figures["closed"]],
    ], numeric=(1,), note="Searches are by families in the district; page views, referrals started "
                          "and sent are for its services. Opened, decided and closed: of the referrals "
                          "sent in the period, so far.")
    outcomes = Table("outcomes", "Where the referrals stand",
                     ["Outcome", "Referrals", "Share of referrals sent (%)"],
                     [[label, figures[key], figures.share(key, "sent")] for label, key in OUTCOMES],
                     numeric=(1, 2), note="A referral's latest decision: one put on a waiting list and "
                                          "then accepted counts as accepted.")
    declined = ("outcome", ReferralStatus.DECLINED)
    why = Table("decline-reasons", "Why referrals were declined",
                ["Reason", "Referrals", "Share of declined (%)"],
                [[_label(key, DECLINE_REASONS), figures[key], figures.share(key, declined)]
                 for key in reasons], numeric=(1, 2))
    ended = Table("close-outcomes", "How closed referrals ended", ["Outcome", "Referrals"],
                  [[_label(key, CLOSE_OUTCOMES), figures[key]] for key in endings], numeric=(1,))
    times = Table("response-times", "Working days to answer a referral",
                  ["Measure", "Referrals", "Median (working days)", "90th percentile (working days)"], [
                      _times_row("From sending to being opened", open_deadline, figures, "opened"),
                      _times_row("From sending to a decision", decide_deadline, figures, "decided"),
                  ], numeric=(1, 2, 3),
                  note="Working days after the day a referral was sent, up to the day it was opened "
                       "or decided (0: the same day). Only referrals answered so far.")
    deadlines = Table("deadlines", "Referrals answered in time",
                      ["Deadline", "In time", "Late", "Not yet answered, past the deadline",
                       "Not yet answered, within the deadline", "Closed without a decision",
                       "In time (% of those due)"], [
                          _deadline_row(f"Opened within {OPEN_WITHIN_WORKING_DAYS} working days",
                                        "open", open_deadline, figures),
                          _deadline_row(f"Decided within {DECIDE_WITHIN_WORKING_DAYS} working days",
                                        "decide", decide_deadline, figures),
                      ], numeric=(1, 2, 3, 4, 5, 6),
                      note="A deadline is met when the referral is opened (or decided) before that many "
                           "full working days have passed since the day it was sent, as in the "
                           "reminders providers get.")
    who = Table("referrers", "Who made the referrals", ["Referred by", "Referrals", "Share (%)"],
                [[key[1], figures[key], figures.share(key, "sent")] for key in found.referrers],
                numeric=(1, 2))
    return Section("referrals", "Referrals", [
        funnel, outcomes, why, ended, times, deadlines, who,
        _by_district(scope, figures, found.districts, (open_deadline, decide_deadline)), _overdue(scope)])


def _times_row(label: str, deadline: Deadline, figures: Figures, key: str) -> list:
    return [label, figures[key], figures.resting_on(percentile(deadline.days, 50), key),
            figures.resting_on(percentile(deadline.days, 90), key)]


def _deadline_row(label: str, name: str, deadline: Deadline, figures: Figures) -> list:
    states = ("in-time", "late", "waiting-past", "waiting-within")
    return [label, *(figures[(name, state)] for state in states),
            figures["closed-undecided"] if name == "decide" else None,
            _deadline_share(figures, name, deadline)]


OUTCOMES = [("Accepted", ("outcome", ReferralStatus.ACCEPTED)),
            ("Waiting list", ("outcome", ReferralStatus.WAITING_LIST)),
            ("Declined", ("outcome", ReferralStatus.DECLINED)),
            ("Closed without a decision", "closed-undecided"), ("No decision yet", "undecided")]
NOT_RECORDED = "Not recorded"


def _decisions(cohort: list) -> dict[str, int]:
    """Referrals by their latest decision (a waiting list can become a place). Closed without
    one, or none yet, are counted with the deadlines."""
    ranked = (select(ReferralEvent.status.label("status"),
                     func.row_number().over(partition_by=ReferralEvent.referral_id,
                                            order_by=ReferralEvent.id.desc()).label("position"))
              .join(Referral, Referral.id == ReferralEvent.referral_id)
              .where(ReferralEvent.status.in_(ReferralStatus.DECISIONS), *cohort).subquery())
    return dict(db.session.execute(
        select(ranked.c.status, func.count()).where(ranked.c.position == 1)
        .group_by(ranked.c.status)).all())


def _detail_counts(cohort: list) -> dict[str, dict[str | None, int]]:
    """Declined referrals by reason and closed ones by outcome, in one pass over the events."""
    declined = ReferralEvent.status == ReferralStatus.DECLINED
    inner = (select(ReferralEvent.status.label("status"),
                    case((declined, ReferralEvent.details["reason"].as_string()),
                         else_=ReferralEvent.details["outcome"].as_string()).label("value"))
             .join(Referral, Referral.id == ReferralEvent.referral_id)
             .where(ReferralEvent.status.in_((ReferralStatus.DECLINED, ReferralStatus.CLOSED)), *cohort)
             .subquery())
    counts: dict[str, dict[str | None, int]] = {ReferralStatus.DECLINED: {}, ReferralStatus.CLOSED: {}}
    for status, value, count in db.session.execute(
            select(inner.c.status, inner.c.value, func.count()).group_by(inner.c.status, inner.c.value)):
        counts[status][value] = count
    return counts


def _labelled(kind: str, counts: dict[str | None, int], labels: Mapping[str, Any]) -> dict[Hashable, int]:
    """A count for each listed code, in order, and one for the rest if there are any."""
    found = {(kind, code): counts.pop(code, 0) for code in labels}
    if sum(counts.values()):
        found[(kind, None)] = sum(counts.values())
    return found


def _label(key: tuple[str, str | None], labels: Mapping[str, Any]) -> str:
    return str(labels[key[1]]) if key[1] is not None else NOT_RECORDED


def _referrer_counts(cohort: list) -> dict[Hashable, int]:
    kind = Referral.answers[("referrer", "kind")].as_string()
    inner = (select(Referral.referrer_type.label("type"),
                    case((Referral.referrer_type == ReferrerType.PROFESSIONAL, kind)).label("kind"))
             .where(*cohort).subquery())
    counts: Counter = Counter()
    for referrer_type, professional_kind, count in db.session.execute(
            select(inner.c.type, inner.c.kind, func.count()).group_by(inner.c.type, inner.c.kind)):
        key = (referrer_type, professional_kind)
        # Anonymised referrals keep who made them but not which kind of professional.
        counts[key if key in REFERRER_LABELS else (referrer_type, "unknown")] += count
    found: dict[Hashable, int] = {("referrer", label): counts.pop(key, 0)
                                  for key, label in REFERRER_LABELS.items()}
    if counts:
        found[("referrer", "Professional (kind no longer kept)")] = sum(counts.values())
    return found


def _district_counts(scope: Scope, cohort: list, counts: dict[Hashable, int], groups: list[Group]
                     ) -> tuple[dict[str, tuple[Deadline, Deadline]], set[Hashable]]:
    """For the whole county: each district's referrals sent, opened in time and decided in time,
    as groups of the county's (added to `counts` and `groups`), its deadlines, and the counts
    in time its row must hide (`_complement_is_small`). For one district, nothing: its row is
    the totals already counted, whose every part is shown and protected."""
    if scope.district != ALL:
        return {}, set()
    keys = _district_keys(scope, county_wide_beside_district=False)
    sd = _service_district()
    sent = dict(db.session.execute(
        select(sd.c.district, func.count()).select_from(Referral)
        .join(sd, sd.c.service_id == Referral.service_id).where(*cohort).group_by(sd.c.district)).all())
    deadlines = _deadlines(scope, cohort, by_district=True)
    empty = (Deadline(OPEN_WITHIN_WORKING_DAYS), Deadline(DECIDE_WITHIN_WORKING_DAYS))
    found = {key: deadlines.get(key) or empty for key in keys}
    _add_group(counts, groups, "sent", {("district", key, "sent"): sent.get(key, 0) for key in keys})
    _add_group(counts, groups, ("open", "in-time"),
               {("district", key, "opened"): found[key][0].in_time for key in keys})
    _add_group(counts, groups, ("decide", "in-time"),
               {("district", key, "decided"): found[key][1].in_time for key in keys})
    hide = {("district", key, name) for key in keys
            for name, deadline in (("opened", found[key][0]), ("decided", found[key][1]))
            if _complement_is_small(sent.get(key, 0), deadline)}
    return found, hide


def _complement_is_small(sent: int, deadline: Deadline) -> bool:
    """Whether a district row's count in time must be hidden: the row shows it beside the
    referrals sent, and its share beside it tells those due, so the referrals not in time (of
    those sent, or of those due) would be a difference of two figures shown. Hidden when that
    is 1 to 4, as the county's deadlines hide their few late or waiting; 0 in time hides
    nothing (the rest is then the whole, itself hidden when it is 1 to 4)."""
    return deadline.in_time > 0 and any(0 < rest < SMALL for rest in (sent - deadline.in_time,
                                                                      deadline.due - deadline.in_time))


def _by_district(scope: Scope, figures: Figures, districts: dict[str, tuple[Deadline, Deadline]],
                 totals: tuple[Deadline, Deadline]) -> Table:
    names = _area_names()
    if districts:
        rows = []
        for key, (opening, deciding) in districts.items():
            opened_share, decided_share = _district_shares(figures, key, opening, deciding)
            rows.append([names[key], figures[("district", key, "sent")], figures[("district", key, "opened")],
                         opened_share, figures[("district", key, "decided")], decided_share])
    else:  # one district asked for: its row is the totals
        rows = [[names[scope.district], figures["sent"], figures[("open", "in-time")],
                 _deadline_share(figures, "open", totals[0]), figures[("decide", "in-time")],
                 _deadline_share(figures, "decide", totals[1])]]
    return Table("referrals-by-district", "Referrals by district",
                 ["District", "Referrals sent", "Opened in time", "Opened in time (% of those due)",
                  "Decided in time", "Decided in time (% of those due)"], rows, numeric=(1, 2, 3, 4, 5),
                 note="A service in two districts counts in both.")


def _district_shares(figures: Figures, key: str, opening: Deadline, deciding: Deadline) -> list[Any]:
    """A district row's two shares in time. A share beside its count in time tells the
    referrals due (in time / share), so it is hidden too when those due are 1 to 4 short of
    the referrals sent (the ones not due yet), or, for decisions, of those due to be opened
    (every referral due a decision is due to be opened: the rest are still being worked on)."""
    sent = figures.counts[("district", key, "sent")]
    shares = [figures.resting_on(_suppressed_share(deadline.in_time, deadline.due), ("district", key, name))
              for name, deadline in (("opened", opening), ("decided", deciding))]
    # Only a number beside a count above 0 tells anything: 0% is 0 of any number due.
    tells = [isinstance(share, int) and deadline.in_time > 0
             for share, deadline in zip(shares, (opening, deciding), strict=True)]
    if tells[0] and 0 < sent - opening.due < SMALL:
        shares[0], tells[0] = HIDDEN, False
    undecided_of_opened = opening.due - deciding.due if tells[0] else 0
    if tells[1] and (0 < sent - deciding.due < SMALL or 0 < undecided_of_opened < SMALL):
        shares[1] = HIDDEN
    return shares


def _overdue(scope: Scope) -> Table:
    """Referrals waiting now past a deadline, by service, for the partnership to follow up
    (the rules of app.services.referrals.overdue). Counts, not references: the provider
    finds them flagged in its inbox. Each column is a group: its total is nearly what a
    custom period of five years shows as not yet answered, past the deadline."""
    sent = LondonDate(Referral.submitted_at)
    past_open = last_day_sent_past(scope.today, OPEN_WITHIN_WORKING_DAYS)
    past_decision = last_day_sent_past(scope.today, DECIDE_WITHIN_WORKING_DAYS)
    found = db.session.execute(
        select(Referral.service_id,
               func.count(case((and_(Referral.status == ReferralStatus.NEW, sent <= past_open), ONE))),
               func.count(case((sent <= past_decision, ONE))))
        .where(Referral.status.in_(ReferralStatus.UNDECIDED), Referral.anonymised_at.is_(None),
               Referral.submitted_at <= scope.now - timedelta(days=6), sent <= past_open,
               *_in_scope(Referral.service_id, scope))
        .group_by(Referral.service_id)).all()
    late = {service_id: (unopened, undecided) for service_id, unopened, undecided in found
            if unopened or undecided}
    services = db.session.execute(
        select(Service.id, Service.name, Organisation.name)
        .join(Organisation, Organisation.id == Service.organisation_id)
        .where(Service.id.in_(list(late))).order_by(Service.name)).all() if late else []
    counts: dict[Hashable, int] = {}
    groups: list[Group] = []
    for column in (0, 1):
        counts[("all", column)] = sum(pair[column] for pair in late.values())
        _add_group(counts, groups, ("all", column),
                   {("service", row[0], column): late[row[0]][column] for row in services})
    figures = Figures(counts, groups)
    places = _places(row[0] for row in services)
    return Table(
        "overdue", "Referrals waiting past a deadline now, by service",
        ["Service", "Organisation", "District",
         f"Not opened after {OPEN_WITHIN_WORKING_DAYS} working days",
         f"No decision after {DECIDE_WITHIN_WORKING_DAYS} working days"],
        [[name, organisation, places[service_id], figures[("service", service_id, 0)],
          figures[("service", service_id, 1)]]
         for service_id, name, organisation in services], numeric=(3, 4),
        note="As of today, whatever the period: every referral still waiting. Each one's reference "
             "goes to the provider and the partnership when it becomes late (flask referrals "
             "flag-overdue).")


# -- demand --------------------------------------------------------------------------------------

def _search_filters(scope: Scope) -> list:
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
    filters = _search_filters(scope)
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
    names = _area_names()
    if scope.district == ALL:
        label, empty = "District", "No place given"
        places = sorted(by_place, key=lambda row: (row[0] is None, names.get(row[0] or "", row[0] or "")))
    else:
        label, empty = "Outcode", "No postcode given"
        places = sorted(by_place, key=lambda row: (row[0] is None, row[0] or ""))
    where = Table("searches-by-place", "Searches by where the family was",
                  [label, "Searches", "Found nothing", "Found nothing (%)"],
                  [[names.get(row[0], row[0]) if row[0] else empty, row[1], row[2] or 0,
                    _share(row[2] or 0, row[1])] for row in places], numeric=(1, 2, 3),
                  note="Only the outcode of a postcode is kept.")
    return Section("demand", "Demand", [top, zero, where])


# -- freshness ------------------------------------------------------------------------------------

def freshness_section(scope: Scope) -> Section:
    """Listings overdue for review, open reports from the public, stuck emails: as of today."""
    today = scope.today
    months = int(current_app.config["REVIEW_AFTER_MONTHS"])
    # A few days' slack, then the exact rule (month ends) from app.services.freshness.
    candidates = list(db.session.scalars(
        select(Service).options(selectinload(Service.organisation))
        .where(Service.status == ListingStatus.PUBLISHED, *_in_scope(Service.id, scope),
               Service.last_reviewed <= add_months(today, -months) + timedelta(days=3))
        .order_by(Service.last_reviewed, Service.name)))
    reminders = {(r.service_id, r.subject_date): r for r in db.session.scalars(
        select(ReviewReminder).where(ReviewReminder.kind == ReminderKind.REVIEW,
                                     ReviewReminder.service_id.in_([s.id for s in candidates])))}
    due = []
    for service in candidates:
        state = freshness(service, today, reminder=reminders.get((service.id, service.last_reviewed)))
        if state.is_due:
            due.append((service, state))
    places = _places(service.id for service, _ in due)
    review = Table("review-overdue", "Listings overdue for review",
                   ["Service", "Organisation", "District", "Last reviewed", "Due", "Shown to families as"],
                   [[service.name, service.organisation.name, places[service.id], service.last_reviewed,
                     state.due_on, "Possibly out of date" if state.is_out_of_date
                     else "Current, reminded" if state.reminded_on else "Current, not reminded yet"]
                    for service, state in due])

    feedback = db.session.execute(
        select(Service.name, Feedback.kind, func.count(), func.min(Feedback.created_at))
        .join(Service, Service.id == Feedback.service_id)
        .where(Feedback.status == FeedbackStatus.OPEN, *_in_scope(Feedback.service_id, scope))
        .group_by(Service.id, Service.name, Feedback.kind)).all()
    feedback.sort(key=lambda row: (row[3], row[0]))
    reports = Table("open-feedback", "Problems reported by the public, not yet resolved",
                    ["Service", "Problem", "Open reports", "Oldest"],
                    [[name, str(KIND_LABELS.get(kind, kind)), count, oldest.date()]
                     for name, kind, count, oldest in feedback], numeric=(2,))

    now = scope.now
    stuck = db.session.execute(
        select(Notification.kind, func.count(),
               func.count(case((Notification.failed_at.is_not(None), ONE))),
               func.min(Notification.created_at))
        .where(Notification.sent_at.is_(None),
               or_(Notification.failed_at.is_not(None), Notification.attempts > 0,
                   Notification.created_at <= now - STUCK_AFTER))
        .group_by(Notification.kind).order_by(Notification.kind)).all()
    outbox = Table("outbox", "Emails stuck in the outbox", ["Kind of email", "Stuck", "Given up", "Oldest"],
                   [[kind, count, failed, oldest.date()] for kind, count, failed, oldest in stuck],
                   numeric=(1, 2), note="For the whole county, whichever district is chosen: emails that "
                                        "failed or have waited more than an hour.")
    facts = {"review_overdue": len(due), "open_feedback": sum(row[2] for row in feedback),
             "stuck_emails": sum(row[1] for row in stuck)}
    return Section("freshness", "Freshness", [review, reports, outbox], facts)


# -- everything, and the overview ------------------------------------------------------------------

SECTIONS = {"coverage": coverage, "waiting": waiting, "referrals": referrals, "demand": demand,
            "freshness": freshness_section}
TABLES = {
    "summary": "overview",
    "coverage-by-district": "coverage", "coverage": "coverage",
    "waits-by-category": "waiting", "waits-by-district": "waiting", "wait-trend": "waiting",
    "wait-movement": "waiting", "stale-waits": "waiting",
    "funnel": "referrals", "outcomes": "referrals", "decline-reasons": "referrals",
    "close-outcomes": "referrals", "response-times": "referrals", "deadlines": "referrals",
    "referrers": "referrals", "referrals-by-district": "referrals", "overdue": "referrals",
    "top-searches": "demand", "zero-searches": "demand", "searches-by-place": "demand",
    "review-overdue": "freshness", "open-feedback": "freshness", "outbox": "freshness",
}


def section(name: str, scope: Scope) -> Section:
    return overview(scope) if name == "overview" else SECTIONS[name](scope)


def overview(scope: Scope) -> Section:
    """The headline figures of every section, each with the section that explains it.
    Only the queries those figures need: a section's tables are not all built here."""
    c = coverage(scope).facts
    found = _referral_counts(scope, _cohort(scope))
    opening, deciding = found.opening, found.deciding
    referral_figures = found.figures()  # as the referrals page reads them
    searches, nothing = db.session.execute(
        select(func.count(), func.count(case((SearchRecord.result_count == 0, ONE))))
        .where(*_search_filters(scope))).one()
    f = freshness_section(scope).facts
    rows = [
        ["Services on offer", c["services"], "coverage"],
        ["Gaps: a category with no service in a district", c["gaps"], "coverage"],
        ["County-wide services", c["county_wide_services"], "coverage"],
        ["Median wait at the end of the period (weeks)", _waits_snapshot(scope, scope.end)[2], "waiting"],
        ["Services with no wait confirmed recently", len(_stale_waits(scope).rows), "waiting"],
        ["Referrals sent", referral_figures["sent"], "referrals"],
        [f"Opened within {OPEN_WITHIN_WORKING_DAYS} working days (%)",
         _deadline_share(referral_figures, "open", opening), "referrals"],
        [f"Decided within {DECIDE_WITHIN_WORKING_DAYS} working days (%)",
         _deadline_share(referral_figures, "decide", deciding), "referrals"],
        ["Services with referrals waiting past a deadline now", len(_overdue(scope).rows), "referrals"],
        ["Searches", searches, "demand"],
        ["Searches that found nothing (%)", _share(nothing, searches), "demand"],
        ["Listings overdue for review", f["review_overdue"], "freshness"],
        ["Problems reported by the public, open", f["open_feedback"], "freshness"],
        ["Emails stuck in the outbox", f["stuck_emails"], "freshness"],
    ]
    table = Table("summary", "The period at a glance", ["Figure", "Value", "Section"], rows, numeric=(1,))
    return Section("overview", "Overview", [table])
