"""Working days: Monday to Friday, except bank holidays in England and Wales.

The holidays are a fixed list: 2025–2027 from GOV.UK's published dates (including the
substitute days); 2028 worked out from the usual rules (Easter from the calendar, the
Monday holidays, a substitute Monday for New Year's Day on a Saturday): check it against
GOV.UK when it is published. Extend BANK_HOLIDAYS before 2029; a year missing from the list
counts only weekends, `covered` says whether a date is in a listed year, and
`flask referrals flag-overdue` warns when today is not.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

BANK_HOLIDAYS: frozenset[date] = frozenset({
    # 2025
    date(2025, 1, 1), date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 5),
    date(2025, 5, 26), date(2025, 8, 25), date(2025, 12, 25), date(2025, 12, 26),
    # 2026 (Boxing Day is a Saturday: substitute Monday 28 December)
    date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4),
    date(2026, 5, 25), date(2026, 8, 31), date(2026, 12, 25), date(2026, 12, 28),
    # 2027 (Christmas Day and Boxing Day fall at a weekend: 27 and 28 December)
    date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 3),
    date(2027, 5, 31), date(2027, 8, 30), date(2027, 12, 27), date(2027, 12, 28),
    # 2028 (New Year's Day is a Saturday: substitute Monday 3 January; Easter Sunday 16 April)
    date(2028, 1, 3), date(2028, 4, 14), date(2028, 4, 17), date(2028, 5, 1),
    date(2028, 5, 29), date(2028, 8, 28), date(2028, 12, 25), date(2028, 12, 26),
})
YEARS_COVERED = range(2025, 2029)


def covered(day: date) -> bool:
    return day.year in YEARS_COVERED


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in BANK_HOLIDAYS


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
