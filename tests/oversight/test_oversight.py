"""Partnership oversight: every kind of figure against a count by hand on a small directory
built here, small numbers suppressed on pages and in CSV (and not to be worked out from the
totals beside them), exports audited, and the pages closed to everyone but partnership admins.

The directory is small, so many of its counts are 1 to 4 and the pages hide much of it; the
hand counts are checked both as the pages show them and, where hidden, as counted
(`counted`).

The directory (period: asked for as Monday 2 to Friday 27 March 2026, so Monday 2 to Sunday
29 March, custom periods being whole weeks; "today" Tuesday 31 March 2026; no bank holiday
in March, and London is on GMT until the 29th, so days are UTC days):

    service   district        category            access                 waits (history)
    s1        north           wellbeing           self-referral          6 wk (1 Feb), 10 wk (10 Mar)
    s2        north           parenting           professional           open (15 Jan)
    s3        south           parenting           self-referral          8 wk (20 Feb), 4 wk (20 Mar),
                                                                             20 wk (30 Mar)
    s4        county-wide     nursing             drop-in                closed (5 Mar)
    s5        north + south   parenting           drop-in                none
    s6        south           wellbeing           self-referral          withdrawn: never counted

Referrals sent in the period (letter × how many: service, what happened):

    A×5  s1  sent Mon 2   opened Tue 3 (1 wd)    accepted Thu 5 (3 wd)              parent
    B×1  s1  sent Mon 2   opened Tue 10 (6 wd, late)  declined Wed 11 not-eligible  young person
    C×1  s3  sent Wed 4   opened Wed 4 (0)       waiting list Fri 6 (2), accepted Mon 16   school
    D×1  s3  sent Thu 5   opened Fri 6 (1)       contacted, closed Mon 9 no-contact  health
    E×1  s3  sent Mon 9   still new                                                 other professional
    F×5  s5  sent Tue 10  opened Tue 10 (0)      declined Fri 13 outside-area (3)   school
    G×1  s5  sent Wed 11  opened Thu 12 (1)      waiting list Mon 16 (3)            parent
    H×1  s1  sent Mon 2   opened Wed 4 (2)       declined Mon 30 not-eligible (20 wd: in time)  parent
    I×1  s2  sent Fri 27  still new                                                 parent
    J×1  s3  sent Thu 12  opened Fri 13 (1)      accepted Mon 16 (2)     anonymised professional

and outside it: K (s2, sent Sun 1 March, still new), L (s4, sent 2 February, opened),
M (s2, sent Mon 30 March, still new).
"""

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import delete, func, insert, literal, literal_column, select, union_all

from app import dates, oversight
from app import referrals as referral_service
from app.activity.page_views import count_activity
from app.directory import directory_sync
from app.directory.directory_file import parse_directory_file
from app.extensions import db
from app.models import (
    Area,
    AuditEvent,
    Category,
    Feedback,
    Notification,
    Organisation,
    Referral,
    ReferralEvent,
    ReviewReminder,
    SearchRecord,
    Service,
    WaitingTime,
)
from app.models.activity import ActivityCount
from app.models.directory import utcnow
from app.oversight import queries
from app.oversight import referrals as referral_figures
from app.oversight.referrals import deadlines_for
from app.oversight.referrals import referral_cohort as cohort_of
from tests import conftest
from tests.conftest import check_page, empty_the_directory, make_user, sign_in

TODAY = date(2026, 3, 31)
PERIOD = {"period": "custom", "from": "2026-03-02", "to": "2026-03-27"}
A_FEW = {"period": "custom", "from": "2026-03-23", "to": "2026-03-29"}  # the shortest, a week: I alone
HIDDEN, FEW = oversight.HIDDEN, oversight.FEWER_THAN_5
PAGES = ["/admin/oversight/", *(f"/admin/oversight/{name}" for name in oversight.SECTIONS)]
CHILD_NAME = "Zebedee"
SECRET_WORDS = "my child john smith"


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day) + timedelta(hours=hour)


def scope(district: str = "all", **period) -> oversight.Scope:
    return oversight.parse_scope({"district": district, **(period or PERIOD)}, today=TODAY)


def rows(section: oversight.Section, table: str) -> list[list]:
    """A table's rows with cells reduced to their values."""
    return [[getattr(cell, "value", cell) for cell in row] for row in section.table(table).rows]


def row(section: oversight.Section, table: str, label: str) -> list:
    return next(r for r in rows(section, table) if r[0] == label)


def counted(the_scope: oversight.Scope) -> tuple[oversight.Deadline, oversight.Deadline]:
    """The (opening, decision) deadlines as counted, before anything is hidden."""
    return deadlines_for(the_scope, cohort_of(the_scope))[oversight.ALL]


# -- the directory ----------------------------------------------------------------------

_references = iter(range(1, 1000))


def _referral(service: str, sent: datetime, steps=(), *, who="parent", kind=None, anonymised=False) -> None:
    number = next(_references)
    referral = Referral(
        reference=f"EH-TEST-{number:02d}", service_id=service, referrer_type=who,
        answers={} if anonymised else {"referrer_type": who, "child": {"first_name": CHILD_NAME},
                                       "contact": {"email": f"family{number}@example.org"},
                                       **({"referrer": {"kind": kind}} if kind else {})},
        contact_email=None if anonymised else f"family{number}@example.org",
        privacy_notice_version="test", consent_given=True, consent_at=sent, submitted_at=sent,
        updated_at=sent, status="new", anonymised_at=at("2026-03-20") if anonymised else None)
    referral.events.append(ReferralEvent(status="new", actor="family", at=sent))
    for status, when, details in steps:
        referral.events.append(ReferralEvent(status=status, actor="provider@example.org", at=when,
                                             details=details))
        referral.opened_at = referral.opened_at or when
        if status in ("accepted", "waiting-list", "declined") and referral.decided_at is None:
            referral.decided_at = when
        if status == "closed":
            referral.closed_at = when
        referral.status = status
    db.session.add(referral)


def build_directory() -> None:
    north = Area(id="north", name="North District", lad_code="E07999991")
    south = Area(id="south", name="South District", lad_code="E07999992")
    health = Category(id="health", name="Health", position=1)
    family = Category(id="family", name="Family support", position=2)
    wellbeing = Category(id="wellbeing", name="Emotional wellbeing", parent=health, position=3)
    nursing = Category(id="nursing", name="School nursing", parent=health, position=4)
    parenting = Category(id="parenting", name="Parenting", parent=family, position=5)
    db.session.add_all([north, south, health, family, wellbeing, nursing, parenting,
                        Organisation(id="org-a", name="Org A"), Organisation(id="org-b", name="Org B")])

    def service(service_id, name, areas, category, access, reviewed, status="published", org="org-a"):
        db.session.add(Service(
            id=service_id, organisation_id=org, name=name, summary="S", description="D", kind="council",
            access=access, covers_all_areas=areas == "all", areas=[] if areas == "all" else areas,
            categories=[category], status=status, last_reviewed=date.fromisoformat(reviewed)))

    service("s1", "North wellbeing", [north], wellbeing, "self-referral", "2025-08-15")
    service("s2", "North parenting", [north], parenting, "professional-referral", "2025-09-20", org="org-b")
    service("s3", "South parenting", [south], parenting, "self-referral", "2026-01-10")
    service("s4", "County nursing", "all", nursing, "drop-in", "2025-10-01")
    service("s5", "Both parenting", [north, south], parenting, "drop-in", "2026-02-01")
    service("s6", "Withdrawn wellbeing", [south], wellbeing, "self-referral", "2024-01-01",
            status="withdrawn")
    db.session.flush()

    for service_id, confirmed, status, weeks in [
            ("s1", "2026-02-01", "waitlist", 6), ("s1", "2026-03-10", "waitlist", 10),
            ("s2", "2026-01-15", "open", None),
            ("s3", "2026-02-20", "waitlist", 8), ("s3", "2026-03-20", "waitlist", 4),
            ("s3", "2026-03-30", "waitlist", 20),  # after the period: not "as the period ended"
            ("s4", "2026-03-05", "closed", None), ("s6", "2026-03-01", "waitlist", 30)]:
        db.session.add(WaitingTime(service_id=service_id, status=status, weeks=weeks,
                                   confirmed_on=date.fromisoformat(confirmed)))

    for _ in range(5):  # A
        _referral("s1", at("2026-03-02"), [("opened", at("2026-03-03"), {}),
                                           ("accepted", at("2026-03-05"), {"expected_start": "2026-04-01"})])
    _referral("s1", at("2026-03-02"), [("opened", at("2026-03-10"), {}),  # B
                                       ("declined", at("2026-03-11"), {"reason": "not-eligible"})],
              who="young-person")
    _referral("s3", at("2026-03-04", 9), [("opened", at("2026-03-04", 11), {}),  # C
                                          ("waiting-list", at("2026-03-06"), {"estimate_weeks": 4}),
                                          ("accepted", at("2026-03-16"), {})],
              who="professional", kind="school")
    _referral("s3", at("2026-03-05"), [("opened", at("2026-03-06"), {}),  # D
                                       ("contacted", at("2026-03-06", 12), {}),
                                       ("closed", at("2026-03-09"), {"outcome": "no-contact"})],
              who="professional", kind="health")
    _referral("s3", at("2026-03-09"), who="professional", kind="other")  # E
    for _ in range(5):  # F
        _referral("s5", at("2026-03-10", 9), [("opened", at("2026-03-10", 15), {}),
                                              ("declined", at("2026-03-13"), {"reason": "outside-area"})],
                  who="professional", kind="school")
    _referral("s5", at("2026-03-11"), [("opened", at("2026-03-12"), {}),  # G
                                       ("waiting-list", at("2026-03-16"), {"estimate_weeks": 6})])
    _referral("s1", at("2026-03-02"), [("opened", at("2026-03-04"), {}),  # H
                                       ("declined", at("2026-03-30"), {"reason": "not-eligible"})])
    _referral("s2", at("2026-03-27", 12))  # I
    _referral("s3", at("2026-03-12"), [("opened", at("2026-03-13"), {}),  # J
                                       ("accepted", at("2026-03-16"), {})],
              who="professional", anonymised=True)
    _referral("s2", at("2026-03-01"))  # K
    _referral("s4", at("2026-02-02"), [("opened", at("2026-02-03"), {})])  # L
    _referral("s2", at("2026-03-30"))  # M

    db.session.execute(insert(ActivityCount), [
        {"day": date(2026, 3, 5), "kind": "service-view", "service_id": "s1", "count": 10},
        {"day": date(2026, 3, 10), "kind": "service-view", "service_id": "s3", "count": 25},
        {"day": date(2026, 3, 20), "kind": "service-view", "service_id": "s4", "count": 5},
        {"day": date(2026, 3, 1), "kind": "service-view", "service_id": "s2", "count": 100},  # before
        {"day": date(2026, 3, 2), "kind": "referral-started", "service_id": "s1", "count": 8},
        {"day": date(2026, 3, 4), "kind": "referral-started", "service_id": "s3", "count": 6},
    ])

    searches = (6 * [("anxiety", "north", "N1", 3)] + 5 * [("autism", "south", "S1", 0)]
                + 4 * [("eating disorder", "north", "N2", 0)] + 5 * [("", None, None, 10)]
                + [(SECRET_WORDS, "south", "S1", 0)])
    db.session.execute(insert(SearchRecord), [
        {"searched_at": at("2026-03-16", 12), "terms": terms, "district": district, "outcode": outcode,
         "result_count": results, "filters": {}} for terms, district, outcode, results in searches]
        + [{"searched_at": at("2026-03-30", 12), "terms": "anxiety", "district": "north", "outcode": "N1",
            "result_count": 3, "filters": {}}])

    db.session.add(ReviewReminder(service_id="s2", kind="review", subject_date=date(2025, 9, 20),
                                  sent_at=at("2026-03-21", 9), sent_to=["x@example.org"]))
    db.session.add_all([
        Feedback(service_id="s1", kind="phone", detail="Number rings out", created_at=at("2026-03-10")),
        Feedback(service_id="s1", kind="phone", detail="", created_at=at("2026-03-12")),
        Feedback(service_id="s1", kind="other", detail="", created_at=at("2026-03-01"), status="resolved"),
        Feedback(service_id="s3", kind="wait", detail="", created_at=at("2026-03-15")),
    ])
    for key, kind, created, extra in [
            ("failed", "referral.new", at("2026-03-20"), {"failed_at": at("2026-03-21"), "attempts": 8}),
            ("retrying", "referral.new", at("2026-03-31", 8), {"attempts": 1}),
            ("waiting", "listing.reminder", at("2026-03-31", 10), {}),
            ("fresh", "listing.reminder", at("2026-03-31", 22, ) + timedelta(minutes=30), {}),
            ("sent", "referral.new", at("2026-03-10"), {"sent_at": at("2026-03-10", 11)})]:
        db.session.add(Notification(to="someone@example.org", subject="S", body="B", kind=kind,
                                    dedupe_key=key, created_at=created, next_attempt_at=created,
                                    **{"attempts": 0, **extra}))
    db.session.commit()


@pytest.fixture(scope="module")
def directory(app) -> Iterator[dict]:
    """Built once for the module; tests only read it (or add what they clean up). Afterwards
    the real directory is loaded again, as the `surrey` fixture expects to find it (a module
    fixture cannot tell it otherwise: pytest's conftest is not the tests.conftest imported
    here)."""
    empty_the_directory()
    build_directory()
    people = {"admin": make_user("admin@partnership.example.org", role="admin"),
              "provider": make_user("provider@example.org", organisations=("org-a",))}
    yield people
    db.session.rollback()
    empty_the_directory()
    directory_sync.import_directory(parse_directory_file(
        (conftest.ROOT / "services.yml").read_text(encoding="utf-8")))


@pytest.fixture
def admin(client, directory):
    sign_in(client, directory["admin"])
    return directory["admin"]


# -- the rules -----------------------------------------------------------------------------

def test_one_suppression_rule():
    assert oversight.suppress(0) == 0
    assert [oversight.suppress(n) for n in (1, 2, 3, 4)] == ["fewer than 5"] * 4
    assert oversight.suppress(5) == 5
    assert oversight.suppress(17, 3) == "fewer than 5"  # a median over 3 referrals
    assert oversight.suppress(88, 15, 17) == 88
    assert oversight.suppress(None, 0) is None


def protected(total: int, parts: list[int]) -> list:
    """How parts that add up to a total shown (itself a count) read."""
    counts = {"total": total, **{index: value for index, value in enumerate(parts)}}
    shown = oversight.protect(counts, [("total", list(range(len(parts))))])
    return [shown[index] for index in range(len(parts))]


def test_a_small_count_cannot_be_worked_out_from_the_total_beside_it():
    # The reviewer's case: 5 accepted and 1 declined of 6 sent. Alone, the 1 is 6 - 5.
    assert protected(6, [5, 0, 1, 0, 0]) == [HIDDEN, 0, HIDDEN, 0, 0]
    # The smallest count shown goes with it, and both read alike.
    assert protected(30, [12, 3, 7, 8]) == [12, HIDDEN, HIDDEN, 8]
    assert protected(21, [7, 1, 7, 6]) == [7, HIDDEN, 7, HIDDEN]
    # Any count equal to the smallest goes too: which of them went would tell.
    assert protected(11, [0, 5, 5, 1]) == [0, HIDDEN, HIDDEN, HIDDEN]
    # Two or more small ones hide each other, unless they could only be all 1s or all 4s.
    assert protected(12, [6, 2, 4, 0]) == [6, FEW, FEW, 0]
    assert protected(8, [6, 1, 1]) == [HIDDEN, HIDDEN, HIDDEN]
    assert protected(18, [10, 4, 4]) == [HIDDEN, HIDDEN, HIDDEN]
    assert protected(9, [6, 2, 1]) == [6, FEW, FEW]
    # Nothing small, or nothing but zeros beside it: nothing hidden.
    assert protected(12, [7, 5, 0]) == [7, 5, 0]
    # Every count above 0 small and all 1s, with a total of 5 or more: the zeros go too; with
    # no zeros (one referral from each kind of referrer), only the total can hide them.
    assert protected(5, [1, 1, 1, 1, 1, 0]) == [HIDDEN] * 6
    ones = oversight.protect({"total": 5, **dict.fromkeys(range(5), 1)}, [("total", list(range(5)))])
    assert set(ones.values()) == {HIDDEN}
    # A hidden total hides every count that makes it up, zeros included, in its words.
    assert protected(3, [2, 0, 1]) == [FEW, FEW, FEW]
    shown = oversight.protect({"sent": 7, "decided": 6, "waiting": 1, "accepted": 6, "declined": 0},
                              [("sent", ["decided", "waiting"]), ("decided", ["accepted", "declined"])])
    assert shown == {"sent": 7, "decided": HIDDEN, "waiting": HIDDEN, "accepted": HIDDEN, "declined": HIDDEN}


def test_percentiles_are_nearest_rank():
    assert oversight.percentile({}, 50) is None
    assert oversight.percentile({0: 1, 4: 1}, 50) == 0  # the lower middle value, one that occurred
    assert oversight.percentile({1: 1, 2: 1, 3: 1}, 50) == 2
    assert oversight.percentile({1: 9, 7: 1}, 90) == 1
    assert oversight.percentile({1: 8, 7: 2}, 90) == 7


def test_the_day_in_england_is_worked_out_by_the_database(app):
    moments = [datetime(2026, 3, 28, 23, 30), datetime(2026, 3, 29, 0, 59), datetime(2026, 3, 29, 23, 30),
               datetime(2026, 6, 30, 22, 59), datetime(2026, 6, 30, 23, 0), datetime(2026, 10, 24, 23, 30),
               datetime(2026, 10, 25, 0, 30), datetime(2026, 10, 25, 23, 30), datetime(2025, 12, 31, 23, 59)]
    values = union_all(*(select(literal(moment).label("moment")) for moment in moments)).subquery()
    found = db.session.execute(select(values.c.moment, oversight.LondonDate(values.c.moment))).all()
    assert {moment: day for moment, day in found} == {m: dates.local_date(m) for m in moments}


def test_working_days_in_the_database_match_working_days_py(app):
    """Across Christmas, Easter and the May bank holidays, weekends, and the same day."""
    pairs = [(start, start + timedelta(days=gap)) for first in (date(2025, 12, 17), date(2026, 3, 27),
                                                                 date(2026, 4, 29))
             for start in (first + timedelta(days=n) for n in range(0, 12, 2)) for gap in (0, 1, 3, 6, 9, 20)]
    holidays = queries._holidays_between(date(2025, 12, 1), date(2026, 6, 30))
    values = union_all(*(select(literal(oversight.day_number(a)).label("a"), literal(oversight.day_number(b))
                                .label("b")) for a, b in pairs)).cte("pairs")
    through = oversight.working_days_through
    after = f"{through('pairs.b', holidays)} - {through('pairs.a', holidays)}"
    full = f"{through('pairs.b - 1', holidays)} - {through('pairs.a', holidays)}"
    found = db.session.execute(select(values.c.a, values.c.b, literal_column(after),
                                      literal_column(full))).all()
    epoch = oversight.EPOCH
    for a, b, days_after, days_between in found:
        start, end = epoch + timedelta(days=a), epoch + timedelta(days=b)
        expected = sum(dates.is_working_day(start + timedelta(days=n))
                       for n in range(1, (end - start).days + 1))
        assert days_after == expected, (start, end)
        assert max(days_between, 0) == dates.full_working_days_between(start, end), (start, end)


def test_the_last_day_sent_that_is_past_a_deadline():
    assert oversight.last_day_sent_past(TODAY, 5) == date(2026, 3, 23)
    assert dates.full_working_days_between(date(2026, 3, 24), TODAY) == 4


# -- the figures, counted by hand ---------------------------------------------------------------

def test_coverage_counts_services_by_category_and_district_with_the_gaps(directory):
    section = oversight.section("coverage", scope())
    matrix = section.table("coverage")
    assert matrix.columns == ["Category", "North District", "South District", "County-wide"]
    cells = {row[0].value if hasattr(row[0], "value") else row[0]: row[1:] for row in matrix.rows}
    # Emotional wellbeing: s1 in the north (self-referral); nothing in the south (s6 is withdrawn).
    assert [(c.value, c.flag, c.note) for c in cells["Emotional wellbeing"]] == [
        (1, "", "1 self-referral"), (0, "gap", ""), (0, "gap", "")]
    assert [(c.value, c.flag) for c in cells["School nursing"]] == [(0, "gap"), (0, "gap"), (1, "no-self")]
    assert [(c.value, c.flag) for c in cells["Parenting"]] == [(2, "no-self"), (2, ""), (0, "gap")]
    assert [c.value for c in cells["Health"]] == [1, 0, 1]  # the group: each service once
    assert matrix.rows[0][0].flag == "group"
    assert rows(section, "coverage-by-district") == [
        ["North District", 3, 1, 0, 1, 1], ["South District", 2, 1, 0, 2, 0],
        ["County-wide", 1, 0, 0, 2, 1]]
    assert section.facts == {"services": 5, "feed_services": 0, "county_wide_services": 1, "gaps": 3}
    columns, csv_rows = matrix.csv()
    assert columns[:4] == ["Category group", "Category", "North District: services",
                           "North District: self-referral"]
    assert ["Family support", "Parenting", 2, 0, 2, 1, 0, 0] in csv_rows

    south = oversight.section("coverage", scope("south"))
    assert south.table("coverage").columns == ["Category", "South District", "County-wide"]
    assert rows(south, "coverage-by-district") == [
        ["South District", 2, 1, 0, 2, 0], ["County-wide", 1, 0, 0, 2, 1]]
    assert south.facts["services"] == 2 and south.facts["gaps"] == 2


def test_waits_as_the_period_ended_how_they_moved_and_which_are_stale(directory):
    section = oversight.section("waiting", scope())
    # Category | services | open | waiting list | median | longest | not taking | no wait given
    assert rows(section, "waits-by-category") == [
        ["Emotional wellbeing", 1, 0, 1, 10, 10, 0, 0],
        ["School nursing", 1, 0, 0, None, None, 1, 0],
        ["Parenting", 3, 1, 1, 0, 4, 0, 1],  # s2 open (0), s3 4 weeks (not the later 20), s5 none
    ]
    assert rows(section, "waits-by-district") == [
        ["North District", 3, 1, 1, 0, 10, 0, 1], ["South District", 2, 0, 1, 4, 4, 0, 1],
        ["County-wide", 1, 0, 0, None, None, 1, 0]]
    assert rows(section, "wait-movement") == [
        ["Emotional wellbeing", 1, 6, 10, 1, 0, 0],  # s1: 6 -> 10 weeks
        ["Parenting", 2, 0, 0, 0, 1, 1],  # s2: open both days; s3: 8 -> 4 weeks
    ]
    trend = rows(section, "wait-trend")
    assert [r[0] for r in trend] == ["2 March 2026", "11 March 2026", "20 March 2026", "29 March 2026"]
    assert trend[-1] == ["29 March 2026", 3, 4, 2, 1]  # s1 10, s2 0, s3 4 weeks; s4 closed
    assert trend[0] == ["2 March 2026", 3, 6, 2, 0]  # s1 6, s2 0, s3 8
    assert rows(section, "stale-waits") == [
        ["Both parenting", "Org A", "North District, South District", "Never", None],
        ["North parenting", "Org B", "North District", date(2026, 1, 15), 75]]
    assert rows(oversight.section("waiting", scope("county-wide")), "waits-by-district") == [
        ["County-wide", 1, 0, 0, None, None, 1, 0]]


def test_the_funnel_from_searches_to_decisions(directory):
    section = oversight.section("referrals", scope())
    # Opened (16) is hidden: 18 sent less 16 opened leaves 2 not opened, shown as "fewer than
    # 5" past the deadline and "fewer than 5" within it, so 1 and 1.
    assert rows(section, "funnel") == [
        ["Searches", 21], ["Service pages viewed", 40], ["Referrals started", 14], ["Referrals sent", 18],
        ["Opened by the service", HIDDEN], ["Decided", 15], ["Closed", FEW]]
    opening, deciding = counted(scope())
    assert (opening.answered, deciding.answered) == (16, 15)
    south = oversight.section("referrals", scope("south"))
    # Searches by families in the south; everything else for the services there (s3, s5).
    # Opened (9) and decided (8) are hidden: 10 sent less 9 opened is E alone; 10 less 8
    # decided is D closed and E waiting, "fewer than 5" each, so 1 and 1.
    assert rows(south, "funnel") == [
        ["Searches", 6], ["Service pages viewed", 25], ["Referrals started", 6], ["Referrals sent", 10],
        ["Opened by the service", HIDDEN], ["Decided", HIDDEN], ["Closed", FEW]]
    opening, deciding = counted(scope("south"))
    assert (opening.answered, deciding.answered) == (9, 8)


def test_outcomes_and_the_reasons_for_declining(directory):
    section = oversight.section("referrals", scope())
    # Accepted and declined (7 each) are hidden with the waiting list (G): decided (15) =
    # accepted + waiting list + declined, so with both 7s shown the waiting list would be 1.
    # Both 7s go, being equal: hiding one would tell by which one it was.
    assert rows(section, "outcomes") == [
        ["Accepted", HIDDEN, HIDDEN],  # A×5, C (waiting list, then a place), J: 7
        ["Waiting list", HIDDEN, HIDDEN],  # G
        ["Declined", HIDDEN, HIDDEN],  # B, F×5, H: 7
        ["Closed without a decision", FEW, FEW],  # D
        ["No decision yet", FEW, FEW]]  # E, I: with D, 3 = 18 - 15, which could be 1 + 2 or 2 + 1
    cohort = cohort_of(scope())
    assert referral_figures._decisions(cohort) == {"accepted": 7, "waiting-list": 1, "declined": 7}
    # Declined is hidden, so is every reason (they would add up to it), zeros too.
    assert [r[1:] for r in rows(section, "decline-reasons")] == [[HIDDEN, HIDDEN]] * 6
    details = referral_figures._detail_counts(cohort)
    assert details["declined"] == {"not-eligible": 2, "outside-area": 5}
    assert details["closed"] == {"no-contact": 1}
    # Closed (the total) is fewer than 5, so every way of closing is hidden, 0 too: otherwise
    # the zeros would say how each of those few referrals ended.
    assert rows(section, "close-outcomes") == [
        [label, FEW] for label in map(str, referral_service.CLOSE_OUTCOMES.values())]


def test_response_times_and_deadlines(directory):
    section = oversight.section("referrals", scope())
    # Opened after 0 (×6), 1 (×8), 2 and 6 working days; decided after 2 (×2), 3 (×11), 7 and 20.
    opening, deciding = counted(scope())
    assert (opening.in_time, opening.late, opening.waiting_past, opening.waiting_within) == (15, 1, 1, 1)
    assert (deciding.in_time, deciding.late, deciding.waiting_past, deciding.waiting_within,
            deciding.closed_undecided) == (15, 0, 0, 2, 1)
    assert [oversight.percentile(opening.days, p) for p in (50, 90)] == [1, 2]
    assert [oversight.percentile(deciding.days, p) for p in (50, 90)] == [3, 7]
    # Opening: late, waiting past and waiting within read "fewer than 5" and make 18 with 15
    # in time, so each would be 1; and opened (16) is hidden (see the funnel). So the whole
    # row, and every figure worked out from the referrals opened, is hidden.
    assert rows(section, "response-times") == [
        ["From sending to being opened", HIDDEN, HIDDEN, HIDDEN], ["From sending to a decision", 15, 3, 7]]
    assert rows(section, "deadlines") == [
        # in time, late, waiting past, waiting within, closed undecided, % in time of those due
        ["Opened within 5 working days", HIDDEN, HIDDEN, HIDDEN, HIDDEN, None, HIDDEN],
        # Waiting past (0) and waiting within (2) make up "no decision yet", which is fewer than
        # 5: both hidden; and 100% of those due would say the 0.
        ["Decided within 20 working days", 15, 0, FEW, FEW, FEW, FEW]]
    # I alone in the shortest period allowed, a week: every figure rests on fewer than 5.
    few = oversight.section("referrals", scope(**A_FEW))
    assert rows(few, "response-times") == [
        ["From sending to being opened", FEW, FEW, FEW], ["From sending to a decision", FEW, FEW, FEW]]
    assert row(few, "deadlines", "Opened within 5 working days")[1:] == [FEW, FEW, FEW, FEW, None, FEW]


def test_who_referred_and_each_district(directory):
    section = oversight.section("referrals", scope())
    # 8 + 6 shown of 18 sent: the four "fewer than 5" could only be 1 each, so the school's 6
    # is hidden too and all five read alike.
    assert rows(section, "referrers") == [
        ["Family (a parent or carer)", 8, 44], ["Young person", HIDDEN, HIDDEN], ["School", HIDDEN, HIDDEN],
        ["Health", HIDDEN, HIDDEN], ["Other professional", HIDDEN, HIDDEN],
        ["Professional (kind no longer kept)", HIDDEN, HIDDEN]]
    assert list(referral_figures._referrer_counts(cohort_of(scope())).values()) == [8, 1, 6, 1, 1, 1]
    by_district = deadlines_for(scope(), cohort_of(scope()), by_district=True)
    assert {key: (opening.in_time, opening.due) for key, (opening, _) in by_district.items()} == {
        "north": (12, 13), "south": (9, 10)}
    # Opened in time is hidden for the county (see the deadlines), so in each district too.
    # Decided in time: the north (s1, s2, s5) sent 14 (A×5, B, H, F×5, G, I) and decided 13 in
    # time, all but I (not due yet): shown, 14 - 13 would be I alone. The south (s3, s5) sent
    # 10 (C, D, E, J, F×5, G) and decided 8 in time: 10 - 8 is D (closed) and E (waiting).
    # Both hidden, with their shares; neither can be worked out from the county's 15 (s5's
    # six count in both districts, and two counts hidden cannot be told apart).
    assert rows(section, "referrals-by-district") == [
        ["North District", 14, HIDDEN, HIDDEN, HIDDEN, HIDDEN],
        ["South District", 10, HIDDEN, HIDDEN, HIDDEN, HIDDEN],
        ["County-wide", 0, HIDDEN, HIDDEN, 0, None]]
    assert {key: (deciding.in_time, deciding.due) for key, (_, deciding) in by_district.items()} == {
        "north": (13, 13), "south": (8, 8)}
    # One district: its row is the totals, hidden as in its funnel and deadlines.
    assert rows(oversight.section("referrals", scope("south")), "referrals-by-district") == [
        ["South District", 10, HIDDEN, HIDDEN, HIDDEN, HIDDEN]]


def test_referrals_late_now_are_listed_by_service_as_the_reminders_count_them(directory):
    section = oversight.section("referrals", scope())
    # Each column adds up to 2, fewer than 5: its zeros are hidden too.
    assert rows(section, "overdue") == [
        ["County nursing", "Org A", "County-wide", FEW, FEW],  # L: opened, no decision
        ["North parenting", "Org B", "North District", FEW, FEW],  # K
        ["South parenting", "Org A", "South District", FEW, FEW],  # E
    ]
    late = referral_service.overdue(now=datetime(2026, 3, 31, 12))
    by_service = {}
    for item in late:
        by_service.setdefault(item.referral.service_id, []).append(item.kind)
    assert by_service == {"s4": ["decision"], "s2": ["open", "decision"], "s3": ["open"]}
    assert rows(oversight.section("referrals", scope("north")), "overdue") == [
        ["North parenting", "Org B", "North District", "fewer than 5", "fewer than 5"]]


def test_what_families_searched_for_and_did_not_find(directory):
    section = oversight.section("demand", scope())
    assert rows(section, "top-searches") == [
        ["anxiety", 6, 0], [oversight.NO_WORDS, 5, 0], ["autism", 5, 5]]
    assert rows(section, "zero-searches") == [["autism", 5, 5]]
    assert "Other searches: 5." in section.table("top-searches").note  # eating disorder ×4, one other
    assert "Other searches that found nothing: 5." in section.table("zero-searches").note
    assert rows(section, "searches-by-place") == [
        ["North District", 10, 4, 40], ["South District", 6, 6, 100], ["No place given", 5, 0, 0]]
    north = oversight.section("demand", scope("north"))
    assert rows(north, "top-searches") == [["anxiety", 6, 0]]  # eating disorder: only 4 times
    assert rows(north, "searches-by-place") == [["N1", 6, 0, 0], ["N2", 4, 4, 100]]
    county_wide = oversight.section("demand", scope("county-wide"))  # searches that gave no place
    assert rows(county_wide, "searches-by-place") == [["No postcode given", 5, 0, 0]]


def test_freshness_as_of_today(directory):
    section = oversight.section("freshness", scope())
    assert rows(section, "review-overdue") == [
        ["North wellbeing", "Org A", "North District", date(2025, 8, 15), date(2026, 2, 15),
         "Possibly out of date"],
        ["North parenting", "Org B", "North District", date(2025, 9, 20), date(2026, 3, 20),
         "Current, reminded"]]
    assert rows(section, "open-feedback") == [
        ["North wellbeing", "The phone number is wrong", 2, date(2026, 3, 10)],
        ["South parenting", "The wait is different", 1, date(2026, 3, 15)]]
    assert rows(section, "outbox") == [
        ["listing.reminder", 1, 0, date(2026, 3, 31)], ["referral.new", 2, 1, date(2026, 3, 20)]]
    assert rows(oversight.section("freshness", scope("south")), "review-overdue") == []


def test_the_overview_gathers_the_headlines(directory):
    figures = {r[0]: r[1] for r in rows(oversight.overview(scope()), "summary")}
    assert figures == {
        "Services on offer": 5, "Services listed by other directories' feeds": 0,
        "Gaps: a category with no service in a district": 3,
        "County-wide services": 1, "Median wait at the end of the period (weeks)": 4,
        "Services with no wait confirmed recently": 2, "Referrals sent": 18,
        # 88% and 100% as counted, hidden as on the referrals page (see its deadlines).
        "Opened within 5 working days (%)": HIDDEN, "Decided within 20 working days (%)": FEW,
        "Services with referrals waiting past a deadline now": 3, "Searches": 21,
        "Searches that found nothing (%)": 48, "Listings overdue for review": 2,
        "Problems reported by the public, open": 3, "Emails stuck in the outbox": 3}


def test_bad_choices_are_named(directory):
    with pytest.raises(oversight.ScopeError) as error:
        oversight.parse_scope({"district": "atlantis", "period": "forever"}, today=TODAY)
    assert [field for field, _message in error.value.errors] == ["district", "period"]
    for values, field in [({"from": "2026-02-30", "to": "2026-03-01"}, "from"),
                          ({"from": "2026-03-02", "to": "2026-04-01"}, "to"),
                          ({"from": "2026-03-05", "to": "2026-03-02"}, "from"),
                          ({"from": "2020-01-01", "to": "2026-03-02"}, "from"),
                          ({"to": "2026-03-02"}, "from"),
                          ({"from": "2026-03-04", "to": "2026-03-04"}, "from"),  # one day
                          ({"from": "2026-03-03", "to": "2026-03-08"}, "from")]:  # six
        with pytest.raises(oversight.ScopeError) as error:
            oversight.parse_scope({"period": "custom", **values}, today=TODAY)
        assert [f for f, _ in error.value.errors] == [field], values
    assert oversight.parse_scope({"period": "custom", "from": "2/3/2026", "to": "27/03/2026"},
                                 today=TODAY).start == date(2026, 3, 2)
    week = oversight.parse_scope({"period": "custom", **A_FEW}, today=TODAY)  # 7 days: allowed
    assert (week.end - week.start).days + 1 == oversight.MIN_CUSTOM_DAYS == 7
    quarter = oversight.parse_scope({"period": "quarter"}, today=TODAY)
    assert (quarter.start, quarter.end) == (date(2026, 1, 1), TODAY)
    four_weeks = oversight.parse_scope({}, today=TODAY)
    assert (four_weeks.district, four_weeks.start, four_weeks.end) == ("all", date(2026, 3, 4), TODAY)


def test_custom_periods_are_whole_weeks_so_two_never_differ_by_a_day(client, admin):
    """1 to 18 January and 2 to 18 January would differ by 1 January's referrals alone: both
    are 29 December (a Monday) to 18 January (a Sunday), and the page says so."""
    def custom(first: str, last: str) -> oversight.Scope:
        return oversight.parse_scope({"period": "custom", "from": first, "to": last}, today=TODAY)

    one, two = custom("2026-01-01", "2026-01-18"), custom("2026-01-02", "2026-01-18")
    assert (one.start, one.end) == (two.start, two.end) == (date(2025, 12, 29), date(2026, 1, 18))
    assert (custom("2026-01-02", "2026-01-14").start, custom("2026-01-02", "2026-01-14").end) == (
        date(2025, 12, 29), date(2026, 1, 18))  # the end goes forward to its Sunday
    # Not past today (Tuesday 31 March): this week so far.
    assert custom("2026-03-17", "2026-03-30").end == TODAY
    assert custom("2026-03-17", "2026-03-30").start == date(2026, 3, 16)
    assert one.args() == {"district": "all", "period": "custom", "from": "2025-12-29", "to": "2026-01-18"}
    # The page shows the weeks counted, in its heading and its form; so do the CSV's name and audit.
    asked = {"period": "custom", "from": "2026-01-01", "to": "2026-01-14"}
    html = client.get("/admin/oversight/referrals", query_string=asked).get_data(as_text=True)
    assert "Whole county, 29 December 2025 to 18 January 2026" in html
    assert 'name="from" type="text" inputmode="numeric" value="2025-12-29"' in html
    assert 'name="to" type="text" inputmode="numeric" value="2026-01-18"' in html
    assert "widened to whole weeks" in html
    csv = client.get("/admin/oversight/funnel.csv", query_string=asked)
    assert "2025-12-29-to-2026-01-18.csv" in csv.headers["Content-Disposition"]


@pytest.fixture
def more_referrals(directory) -> Iterator[Callable]:
    """Adds referrals (as `_referral` does) for one test, and takes them away after it."""
    before = set(db.session.scalars(select(Referral.id)))
    db.session.commit()
    yield _referral
    db.session.rollback()
    added = [number for number in db.session.scalars(select(Referral.id)) if number not in before]
    db.session.execute(delete(ReferralEvent).where(ReferralEvent.referral_id.in_(added)))
    db.session.execute(delete(Referral).where(Referral.id.in_(added)))
    db.session.commit()


def accepted(day: str) -> list:
    return [("opened", at(day, 11), {}), ("accepted", at(day, 12), {"expected_start": "2026-02-01"})]


def test_one_small_decline_reason_beside_the_declined_total(more_referrals):
    """In a week: 8 accepted, 6 declined as outside the area and 1 because another service is
    better placed. Declined (7) is shown, so the 1 would be 7 - 6: the 6 is hidden with it."""
    for _ in range(8):
        more_referrals("s1", at("2026-02-09"), accepted("2026-02-09"))
    for reason in 6 * ["outside-area"] + ["other-service"]:
        more_referrals("s1", at("2026-02-10"), [("opened", at("2026-02-10", 11), {}),
                                                ("declined", at("2026-02-10", 12), {"reason": reason})])
    db.session.commit()
    week = oversight.section("referrals",
                             scope(period="custom", **{"from": "2026-02-09", "to": "2026-02-15"}))
    assert rows(week, "outcomes")[:3] == [["Accepted", 8, 53], ["Waiting list", 0, 0], ["Declined", 7, 47]]
    assert rows(week, "decline-reasons") == [
        ["The service is not for the child or family's situation", 0, 0],
        ["The family lives outside the area the service covers", HIDDEN, HIDDEN],
        ["Another service is better placed to help", HIDDEN, HIDDEN],
        ["The service is not taking new referrals at the moment", 0, 0],
        ["The service could not get in touch with the family", 0, 0],
        ["Another reason", 0, 0]]


def test_a_district_with_few_referrals_beside_the_county_total(more_referrals):
    """Six referrals to a service in the north and one in the south, in a week: the south's 1
    would be the county's 7 less the north's 6, so the north's 6 is hidden too."""
    for _ in range(6):
        more_referrals("s1", at("2026-01-19"), accepted("2026-01-19"))
    more_referrals("s3", at("2026-01-20"), accepted("2026-01-20"))
    db.session.commit()
    week = oversight.section("referrals",
                             scope(period="custom", **{"from": "2026-01-19", "to": "2026-01-25"}))
    assert row(week, "funnel", "Referrals sent") == ["Referrals sent", 7]
    assert rows(week, "referrals-by-district") == [
        ["North District", HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN],
        ["South District", HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN],
        ["County-wide", 0, 0, None, 0, None]]
    # The deadlines themselves are all in time: 7 of 7.
    assert rows(week, "deadlines")[0][1:3] == [7, 0]


def test_a_district_row_does_not_give_away_the_few_not_in_time(client, admin, more_referrals):
    """In a week: 20 referrals to a service in the north, each opened the day it was sent, 19
    decided the next day and 1 after 27 working days; and 10 in the south, 5 decided in time and
    5 late. The county's 24 in time and 6 late are no small numbers, but the north's row would
    say 20 sent, 19 decided in time, 95% of those due: the 1 late, from the row alone."""
    def decided(day: str, on: str) -> list:
        return [("opened", at(day, 11), {}), ("accepted", at(on), {"expected_start": "2026-04-01"})]

    for number in range(20):
        more_referrals("s1", at("2026-02-16"), decided("2026-02-16", "2026-03-25" if number == 19
                                                        else "2026-02-17"))
    for number in range(10):
        more_referrals("s3", at("2026-02-17"), decided("2026-02-17", "2026-03-25" if number >= 5
                                                        else "2026-02-18"))
    db.session.commit()
    week = {"period": "custom", "from": "2026-02-16", "to": "2026-02-22"}
    section = oversight.section("referrals", scope(**week))
    assert rows(section, "deadlines")[1][1:3] == [24, 6]  # decided in time, late: shown
    by_district = deadlines_for(scope(**week), cohort_of(scope(**week)), by_district=True)
    assert sorted((deciding.in_time, deciding.due) for _, deciding in by_district.values()) == [
        (5, 10), (19, 20)]
    # The north's 19 goes with its share; the south's 5 goes too, or the county's 24 less it
    # would be the 19. Opened in time: 20 of 20 and 10 of 10, nothing short of those sent.
    expected = [["North District", 20, 20, 100, HIDDEN, HIDDEN],
                ["South District", 10, 10, 100, HIDDEN, HIDDEN],
                ["County-wide", 0, 0, None, 0, None]]
    assert rows(section, "referrals-by-district") == expected
    csv = client.get("/admin/oversight/referrals-by-district.csv",
                     query_string={"district": "all", **week}).get_data(as_text=True)
    assert csv.splitlines()[1:] == ["North District,20,20,100,hidden,hidden",
                                    "South District,10,10,100,hidden,hidden", "County-wide,0,0,,0,"]
    page = client.get("/admin/oversight/referrals", query_string={"district": "all", **week})
    north = next(r for r in page_rows(page.get_data(as_text=True), "referrals-by-district")
                 if r[0] == "North District")
    assert north == ["North District", "20", "20", "100", "hidden", "hidden"]
    assert not any(value in ("19", "95") for value in north)


def test_a_district_share_does_not_tell_the_few_not_due_yet():
    """A share in time beside its count in time tells the referrals due (18 of 100% is 18):
    hidden when those due are 1 to 4 short of the referrals sent, or (decisions) of those
    due to be opened."""
    figures = oversight.Figures({("district", "north", "sent"): 20, ("district", "north", "opened"): 18,
                                 ("district", "north", "decided"): 7}, [])
    # 18 opened in time of 18 due, 2 sent on the last day: 20 - 18 would be those 2.
    opening = oversight.Deadline(5, in_time=18, waiting_within=2)
    deciding = oversight.Deadline(20, in_time=7, waiting_within=13)
    assert referral_figures._district_shares(figures, "north", opening, deciding) == [HIDDEN, 100]
    # 25 sent, 18 due to be opened (shown: 7 not due is no small number) and 15 due a
    # decision: the 3 between, opened but not yet due a decision, would be 18 - 15.
    figures.counts[("district", "north", "sent")] = 25
    opening = oversight.Deadline(5, in_time=18, waiting_within=7)
    deciding = oversight.Deadline(20, in_time=15, waiting_within=10)
    assert referral_figures._district_shares(figures, "north", opening, deciding) == [100, HIDDEN]
    # 0 in time: 0% is 0 of any number due, and tells nothing.
    opening = oversight.Deadline(5, late=22, waiting_within=3)
    assert referral_figures._district_shares(figures, "north", opening, deciding)[0] == 0


# -- the pages ----------------------------------------------------------------------------

def page_rows(html: str, table: str) -> list[list[str]]:
    """A table's rows on a page, each cell's text."""
    body = html.split(f'id="table-{table}"', 1)[1].split("</table>", 1)[0].split("<tbody", 1)[1]
    return [[" ".join(re.sub(r"<[^>]+>", " ", cell).split())
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", found, re.S)]
            for found in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_the_reviewers_case_five_accepted_and_one_declined(client, admin, more_referrals):
    """Five referrals accepted on day A, one declined on day B, nothing else between them. The
    period A to B used to show accepted 5, declined "fewer than 5" of 6 sent: so 1."""
    for _ in range(5):
        more_referrals("s1", at("2026-01-05"), accepted("2026-01-05"))
    more_referrals("s1", at("2026-01-12"), [("opened", at("2026-01-12", 11), {}),
                                            ("declined", at("2026-01-13"), {"reason": "not-eligible"})])
    db.session.commit()
    a_to_b = {"district": "all", "period": "custom", "from": "2026-01-05", "to": "2026-01-12"}
    expected = [["Accepted", "hidden", "hidden"], ["Waiting list", "0", "0"],
                ["Declined", "hidden", "hidden"], ["Closed without a decision", "0", "0"],
                ["No decision yet", "0", "0"]]
    html = client.get("/admin/oversight/referrals", query_string=a_to_b).get_data(as_text=True)
    assert page_rows(html, "outcomes") == expected
    funnel = page_rows(html, "funnel")
    assert ["Referrals sent", "6"] in funnel and ["Decided", "6"] in funnel
    # Declined is hidden, so every reason is: shown, they would add up to it.
    assert {r[1] for r in page_rows(html, "decline-reasons")} == {"hidden"}
    csv = client.get("/admin/oversight/outcomes.csv", query_string=a_to_b).get_data(as_text=True)
    assert csv.splitlines()[1:] == [",".join(r) for r in expected]
    reasons = client.get("/admin/oversight/decline-reasons.csv", query_string=a_to_b).get_data(as_text=True)
    assert all(line.endswith(",hidden,hidden") for line in reasons.splitlines()[1:])
    # The chart shows words for both, not bars.
    assert html.count('font-style="italic">hidden</text>') >= 2
    # The overview reads the referral figures as the referrals page does.
    section = oversight.section("referrals",
                                scope(period="custom", **{"from": "2026-01-05", "to": "2026-01-12"}))
    summary = {r[0]: r[1] for r in rows(oversight.overview(
        scope(period="custom", **{"from": "2026-01-05", "to": "2026-01-12"})), "summary")}
    assert summary["Referrals sent"] == row(section, "funnel", "Referrals sent")[1] == 6
    assert summary["Decided within 20 working days (%)"] == rows(section, "deadlines")[1][-1] == 100
    # And the day B alone, which would give the one referral away, cannot be asked for.
    day_b = {**a_to_b, "from": "2026-01-12"}
    response = client.get("/admin/oversight/referrals", query_string=day_b)
    check_page(response, 400)
    assert "Choose at least 7 days" in response.get_data(as_text=True)
    assert client.get("/admin/oversight/outcomes.csv", query_string=day_b).status_code == 400


def test_the_overview_and_the_referrals_page_agree(directory):
    for the_scope in (scope(), scope("north"), scope("south"), scope(**A_FEW)):
        section = oversight.section("referrals", the_scope)
        summary = {r[0]: r[1] for r in rows(oversight.overview(the_scope), "summary")}
        assert summary["Referrals sent"] == row(section, "funnel", "Referrals sent")[1]
        shares = [summary["Opened within 5 working days (%)"], summary["Decided within 20 working days (%)"]]
        assert shares == [r[-1] for r in rows(section, "deadlines")]


def _csv_urls() -> list[str]:
    query = "&".join(f"{key}={value}" for key, value in PERIOD.items())
    return [f"/admin/oversight/{name}.csv?district=all&{query}" for name in oversight.TABLES]


def test_every_page_renders_with_charts_tables_and_csv_links(client, admin):
    for path in PAGES:
        response = client.get(path, query_string=PERIOD)
        check_page(response)
        assert response.headers["Cache-Control"] == "no-store"
    html = unescape(client.get("/admin/oversight/referrals", query_string=PERIOD).get_data(as_text=True))
    assert html.count('role="img"') == 4 and "<title id=\"chart-funnel-1-title\">" in html
    assert 'href="#table-funnel"' in html and 'id="table-funnel"' in html
    assert 'role="region" aria-labelledby="caption-funnel" tabindex="0"' in html
    assert "/admin/oversight/funnel.csv?" in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>")[0]
    home = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/oversight/"' in home
    coverage = client.get("/admin/oversight/coverage", query_string=PERIOD).get_data(as_text=True)
    assert 'class="govuk-table__cell govuk-table__cell--numeric ov-gap"' in coverage
    assert "no self-referral" in coverage


def test_every_table_downloads_as_csv_and_each_download_is_audited(client, admin):
    before = db.session.scalar(select(func.count()).select_from(AuditEvent)
                               .where(AuditEvent.action == "oversight.exported"))
    for url in _csv_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"].startswith('attachment; filename="oversight-')
        assert response.headers["Cache-Control"] == "no-store"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "oversight.exported")
                                .order_by(AuditEvent.id)).all()
    assert len(events) - before == len(oversight.TABLES)
    assert events[-1].actor == admin.email and events[-1].subject_id == list(oversight.TABLES)[-1]
    assert events[-1].detail["from"] == "2026-03-02" and events[-1].detail["district"] == "all"


def test_small_numbers_are_suppressed_on_the_pages_and_in_csv(client, admin):
    funnel = client.get(_csv_urls()[list(oversight.TABLES).index("funnel")]).get_data(as_text=True)
    assert "Referrals sent,18\r\n" in funnel and "Closed,fewer than 5\r\n" in funnel
    outcomes = client.get(_csv_urls()[list(oversight.TABLES).index("outcomes")]).get_data(as_text=True)
    assert "Waiting list,hidden,hidden" in outcomes
    assert "No decision yet,fewer than 5,fewer than 5" in outcomes
    page = client.get("/admin/oversight/referrals", query_string=PERIOD).get_data(as_text=True)
    assert page.count("fewer than 5") >= 20 and page.count(">hidden<") >= 20
    overview = client.get("/admin/oversight/", query_string=A_FEW).get_data(as_text=True)
    assert "fewer than 5" in overview
    times = client.get("/admin/oversight/response-times.csv", query_string=A_FEW).get_data(as_text=True)
    assert times.splitlines()[1] == "From sending to being opened,fewer than 5,fewer than 5,fewer than 5"
    summary = client.get("/admin/oversight/summary.csv", query_string=A_FEW).get_data(as_text=True)
    assert "Referrals sent,fewer than 5,referrals" in summary
    # A chart shows words, not a bar, for a suppressed figure.
    assert 'font-style="italic">fewer than 5</text>' in page


def test_no_personal_data_on_any_page_or_export(client, admin):
    references = db.session.scalars(select(Referral.reference)).all()
    query = "&".join(f"{key}={value}" for key, value in PERIOD.items())
    for url in [*(f"{path}?{query}" for path in PAGES), *_csv_urls()]:
        text = unescape(client.get(url).get_data(as_text=True))
        assert CHILD_NAME not in text and "@example.org" not in text.replace(admin.email, ""), url
        assert not any(reference in text for reference in references), url
        assert SECRET_WORDS not in text and "Number rings out" not in text, url


def test_bad_choices_are_a_400_with_a_message_never_a_500(client, admin):
    for query, message in [({"district": "atlantis"}, "Choose a district from the list"),
                           ({"period": "forever"}, "Choose a period from the list"),
                           ({"period": "custom", "from": "yesterday", "to": "2026-03-01"},
                            "Enter the first day as a date"),
                           ({"period": "custom", "from": "2026-03-05", "to": "2026-03-01"},
                            "The first day must be on or before the last day"),
                           ({"period": "custom", "from": "2026-03-05", "to": "2099-03-01"},
                            "The last day must be today or earlier"),
                           ({"period": "custom", "from": "2026-01-01", "to": "9999-12-31"},
                            "The last day must be today or earlier"),
                           ({"period": "custom", "from": "2026-03-04", "to": "2026-03-04"},
                            "Choose at least 7 days")]:
        for path in PAGES:
            response = client.get(path, query_string=query)
            page = check_page(response, 400)
            assert message in response.get_data(as_text=True), (path, query)
            assert page.title.startswith("Error: "), (path, page.title)
        csv = client.get("/admin/oversight/funnel.csv", query_string=query)
        assert csv.status_code == 400 and message in csv.get_data(as_text=True)
    assert client.get("/admin/oversight/nothing-here.csv").status_code == 404
    assert client.get("/admin/oversight/funnel.csv", query_string={"district": "x" * 5000}).status_code == 400


def test_only_partnership_admins_reach_oversight(app, client, directory):
    urls = [*PAGES, *(url.split("?")[0] for url in _csv_urls())]
    anonymous = app.test_client()
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/sign-in?next=" in response.headers["Location"], url
    sign_in(client, directory["provider"])
    for url in urls:
        assert client.get(url).status_code == 404, url
    oversight_rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin/oversight")]
    assert len(oversight_rules) == len(PAGES) + 1
    assert {getattr(app.view_functions[r.endpoint], "access", None) for r in oversight_rules} == {"admin"}


def test_page_views_and_referral_starts_are_counted_by_day(client, directory):
    today = dates.local_date(utcnow())

    def counted(kind: str) -> int | None:
        return db.session.scalar(select(ActivityCount.count).where(
            ActivityCount.day == today, ActivityCount.kind == kind, ActivityCount.service_id == "s1"))

    try:
        assert client.get("/services/s1").status_code == 200
        assert client.get("/services/s1").status_code == 200
        assert counted("service-view") == 2
        assert client.get("/services/s1/refer").status_code == 200
        assert counted("referral-started") is None  # the safeguarding page is not a start
        assert client.post("/services/s1/refer", data={}).status_code == 302
        assert client.post("/services/s1/refer", data={}).status_code == 302  # the same journey
        assert counted("referral-started") == 1
        with pytest.raises(ValueError):
            count_activity("clicked", "s1")
    finally:
        db.session.execute(delete(ActivityCount).where(ActivityCount.day == today))
        db.session.commit()


def test_generate_fills_a_database_with_a_year_of_synthetic_activity(app, cli, directory):
    """Last: it adds to this module's directory."""
    result = cli.invoke(args=["oversight", "generate", "--services", "6", "--referrals", "40",
                              "--searches", "300", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "referrals: 40" in result.output and "searches: 300" in result.output
    assert db.session.scalar(select(func.count()).select_from(Service)
                             .where(Service.id.startswith("synthetic-"))) == 6
    assert db.session.scalar(select(func.count()).select_from(Referral)
                             .where(Referral.privacy_notice_version == "synthetic")) == 40
    again = cli.invoke(args=["oversight", "generate", "--services", "1", "--referrals", "1",
                             "--searches", "1"])
    assert again.exit_code != 0 and "already has synthetic services" in again.output
    client = app.test_client()
    sign_in(client, directory["admin"])
    for path in PAGES:
        assert client.get(path, query_string={"period": "year"}).status_code == 200, path
