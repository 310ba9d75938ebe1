"""The district and the period a page is about, read from the query string."""


from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from app import dates
from app.directory.freshness import add_months
from app.extensions import db
from app.models import (
    Area,
)
from app.models.directory import utcnow

ALL = "all"  # the whole county: every service, every search
COUNTY_WIDE = "county-wide"  # services that cover the whole county (and searches with no place)
PERIODS = {"4w": "Last 4 weeks", "quarter": "Last 3 months", "year": "Last 12 months",
           "custom": "Dates you choose"}
MAX_YEARS_BACK = 5
MIN_CUSTOM_DAYS = 7


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
