"""Partnership oversight: is the right help reaching children in time, district by district?

The package: one module per section (coverage, waiting, referrals, demand, freshness, and
overview, which also keeps the registry of sections), on shared parts: suppression (small
numbers), scope (district and period), tables, queries (SQL and working days counted by the
database); generate makes synthetic data and cli its command. It reads the models, the
directory, referrals and the outbox; pages use this face (`from app import oversight`).

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
  from dates.bank_holidays; a test checks it against dates.py). The database
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

from app.oversight.demand import NO_WORDS
from app.oversight.overview import SECTIONS, TABLES, overview, section
from app.oversight.queries import (
    EPOCH,
    Deadline,
    LondonDate,
    day_number,
    last_day_sent_past,
    percentile,
    working_days_through,
)
from app.oversight.scope import (
    ALL,
    COUNTY_WIDE,
    MIN_CUSTOM_DAYS,
    PERIODS,
    Scope,
    ScopeError,
    district_choices,
    parse_scope,
)
from app.oversight.suppression import FEWER_THAN_5, HIDDEN, SMALL, Figures, protect, suppress
from app.oversight.tables import Cell, Section, Table

__all__ = [
    "ALL", "COUNTY_WIDE", "EPOCH", "FEWER_THAN_5", "HIDDEN", "MIN_CUSTOM_DAYS", "NO_WORDS", "PERIODS",
    "SECTIONS", "SMALL", "TABLES", "Cell", "Deadline", "Figures", "LondonDate", "Scope", "ScopeError",
    "Section", "Table",
    "day_number", "district_choices", "last_day_sent_past", "overview", "parse_scope", "percentile",
    "protect", "section", "suppress", "working_days_through",
]
