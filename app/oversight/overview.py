"""Today's overview: one line from each section, and the registry of sections."""



from sqlalchemy import case, func, select

from app.extensions import db
from app.models import (
    SearchRecord,
)
from app.oversight.coverage import coverage
from app.oversight.demand import demand, search_filters
from app.oversight.freshness import freshness_section
from app.oversight.queries import ONE
from app.oversight.referrals import deadline_share, overdue_table, referral_cohort, referral_counts, referrals
from app.oversight.scope import Scope
from app.oversight.suppression import share_of
from app.oversight.tables import Section, Table
from app.oversight.waiting import stale_waits, waiting, waits_snapshot
from app.referrals.lifecycle import (
    DECIDE_WITHIN_WORKING_DAYS,
    OPEN_WITHIN_WORKING_DAYS,
)

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
    found = referral_counts(scope, referral_cohort(scope))
    opening, deciding = found.opening, found.deciding
    referral_figures = found.figures()  # as the referrals page reads them
    searches, nothing = db.session.execute(
        select(func.count(), func.count(case((SearchRecord.result_count == 0, ONE))))
        .where(*search_filters(scope))).one()
    f = freshness_section(scope).facts
    rows = [
        ["Services on offer", c["services"], "coverage"],
        ["Services listed by other directories' feeds", c["feed_services"], "coverage"],
        ["Gaps: a category with no service in a district", c["gaps"], "coverage"],
        ["County-wide services", c["county_wide_services"], "coverage"],
        ["Median wait at the end of the period (weeks)", waits_snapshot(scope, scope.end)[2], "waiting"],
        ["Services with no wait confirmed recently", len(stale_waits(scope).rows), "waiting"],
        ["Referrals sent", referral_figures["sent"], "referrals"],
        [f"Opened within {OPEN_WITHIN_WORKING_DAYS} working days (%)",
         deadline_share(referral_figures, "open", opening), "referrals"],
        [f"Decided within {DECIDE_WITHIN_WORKING_DAYS} working days (%)",
         deadline_share(referral_figures, "decide", deciding), "referrals"],
        ["Services with referrals waiting past a deadline now", len(overdue_table(scope).rows), "referrals"],
        ["Searches", searches, "demand"],
        ["Searches that found nothing (%)", share_of(nothing, searches), "demand"],
        ["Listings overdue for review", f["review_overdue"], "freshness"],
        ["Problems reported by the public, open", f["open_feedback"], "freshness"],
        ["Emails stuck in the outbox", f["stuck_emails"], "freshness"],
    ]
    table = Table("summary", "The period at a glance", ["Figure", "Value", "Section"], rows, numeric=(1,))
    return Section("overview", "Overview", [table])
