"""Working days: Monday to Friday, except bank holidays in England.

The bank holidays come from the `holidays` package (its England calendar: the usual
rules, substitute days and one-off holidays such as a coronation), pinned in
pyproject.toml: upgrade it when GOV.UK announces a new one-off holiday. It works out any
year up to its `end_year`; `covered` says whether a date is within that, and
`flask referrals flag-overdue` warns when today is not.
"""

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
_CALENDAR = holidays.country_holidays("GB", subdiv="ENG")


@lru_cache(maxsize=64)
def _year(year: int) -> frozenset[date]:
    """One year's bank holidays that fall on a weekday (a Saturday Boxing Day is not
    itself a day off: its substitute Monday is)."""
    return frozenset(day for day in holidays.country_holidays("GB", subdiv="ENG", years=year)
                     if day.weekday() < 5)


def bank_holidays(first: date, last: date) -> list[date]:
    """The weekday bank holidays from `first` to `last` inclusive, in order."""
    days = (day for year in range(first.year, last.year + 1) for day in _year(year))
    return sorted(day for day in days if first <= day <= last)


def covered(day: date) -> bool:
    return _CALENDAR.start_year <= day.year <= _CALENDAR.end_year


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _year(day.year)


def local_date(moment: datetime) -> date:
    """The date in England of a naive UTC time (the database's times are naive UTC)."""
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(LONDON).date()


def today_in_england() -> date:
    """Today's date where the families and services are (the server may run on UTC)."""
    return datetime.now(LONDON).date()


def full_working_days_between(start: date, end: date) -> int:
    """Working days wholly after `start` and before `end`: a referral sent on a Monday has
    had 5 full working days by the Tuesday after next (none bank holidays)."""
    count = 0
    day = start + timedelta(days=1)
    while day < end:
        count += is_working_day(day)
        day += timedelta(days=1)
    return count


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start`."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        days -= is_working_day(day)
    return day
