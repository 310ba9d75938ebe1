"""Referrals: sent, opened and decided in time, outcomes, who referred, and the late ones."""


from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, func, select

from app.extensions import db
from app.models import (
    Organisation,
    Referral,
    ReferralEvent,
    ReferralStatus,
    ReferrerType,
    SearchRecord,
    Service,
)
from app.models.activity import ActivityCount, ActivityKind
from app.oversight.demand import search_filters
from app.oversight.queries import (
    ONE,
    Deadline,
    LondonDate,
    area_names,
    deadlines_for,
    district_keys,
    in_scope,
    last_day_sent_past,
    percentile,
    places_of,
    service_district,
)
from app.oversight.scope import ALL, Scope
from app.oversight.suppression import HIDDEN, SMALL, Figures, Group, share_of, suppress, suppressed_share
from app.oversight.tables import Section, Table
from app.referrals.lifecycle import (
    CLOSE_OUTCOMES,
    DECIDE_WITHIN_WORKING_DAYS,
    DECLINE_REASONS,
    OPEN_WITHIN_WORKING_DAYS,
)

# -- referrals ---------------------------------------------------------------------------------

def referral_cohort(scope: Scope) -> list:
    """The referrals sent in the period to services in the district."""
    return [Referral.submitted_at >= scope.start_utc, Referral.submitted_at < scope.end_utc,
            *in_scope(Referral.service_id, scope)]


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


def referral_counts(scope: Scope, cohort: list) -> ReferralCounts:
    """The counts the overview shows referral figures from (sent, the deadlines), and the
    groups that can hide one of them: who referred and the districts (when each of their
    counts is 1). The referrals page adds groups that cannot (outcomes, reasons, closing:
    their totals are not on the overview, and decided would hide itself first, at 3), so
    both pages read the same."""
    opening, deciding = deadlines_for(scope, cohort)[ALL]
    counts, groups = _deadline_counts(opening, deciding)
    referrers = _add_group(counts, groups, "sent", _referrer_counts(cohort))
    districts, hide = _district_counts(scope, cohort, counts, groups)
    return ReferralCounts(opening, deciding, counts, groups, referrers, districts, hide)


def deadline_share(figures: Figures, name: str, deadline: Deadline) -> Any:
    """In time, as a % of the referrals whose deadline has come."""
    return figures.resting_on(share_of(deadline.in_time, deadline.due), (name, "in-time"), (name, "late"),
                              (name, "waiting-past"))


def _add_group(counts: dict[Hashable, int], groups: list[Group], total: Hashable,
               parts: Mapping[Hashable, int]) -> list[Hashable]:
    counts.update(parts)
    groups.append((total, list(parts)))
    return list(parts)


def referrals(scope: Scope) -> Section:
    cohort = referral_cohort(scope)
    closed = db.session.scalar(select(func.count(Referral.closed_at)).where(*cohort))
    activity = dict(db.session.execute(
        select(ActivityCount.kind, func.sum(ActivityCount.count))
        .where(ActivityCount.day >= scope.start, ActivityCount.day <= scope.end,
               *in_scope(ActivityCount.service_id, scope))
        .group_by(ActivityCount.kind)).all())
    searches = db.session.scalar(
        select(func.count()).select_from(SearchRecord).where(*search_filters(scope)))
    started = activity.get(ActivityKind.REFERRAL_STARTED) or 0

    # Every referral count of the page, protected together: see the module docstring.
    found = referral_counts(scope, cohort)
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
        _by_district(scope, figures, found.districts, (open_deadline, decide_deadline)),
        overdue_table(scope)])


def _times_row(label: str, deadline: Deadline, figures: Figures, key: str) -> list:
    return [label, figures[key], figures.resting_on(percentile(deadline.days, 50), key),
            figures.resting_on(percentile(deadline.days, 90), key)]


def _deadline_row(label: str, name: str, deadline: Deadline, figures: Figures) -> list:
    states = ("in-time", "late", "waiting-past", "waiting-within")
    return [label, *(figures[(name, state)] for state in states),
            figures["closed-undecided"] if name == "decide" else None,
            deadline_share(figures, name, deadline)]


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
    keys = district_keys(scope, county_wide_beside_district=False)
    sd = service_district()
    sent = dict(db.session.execute(
        select(sd.c.district, func.count()).select_from(Referral)
        .join(sd, sd.c.service_id == Referral.service_id).where(*cohort).group_by(sd.c.district)).all())
    deadlines = deadlines_for(scope, cohort, by_district=True)
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
    names = area_names()
    if districts:
        rows = []
        for key, (opening, deciding) in districts.items():
            opened_share, decided_share = _district_shares(figures, key, opening, deciding)
            rows.append([names[key], figures[("district", key, "sent")], figures[("district", key, "opened")],
                         opened_share, figures[("district", key, "decided")], decided_share])
    else:  # one district asked for: its row is the totals
        rows = [[names[scope.district], figures["sent"], figures[("open", "in-time")],
                 deadline_share(figures, "open", totals[0]), figures[("decide", "in-time")],
                 deadline_share(figures, "decide", totals[1])]]
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
    shares = [figures.resting_on(suppressed_share(deadline.in_time, deadline.due), ("district", key, name))
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


def overdue_table(scope: Scope) -> Table:
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
               *in_scope(Referral.service_id, scope))
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
    places = places_of(row[0] for row in services)
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
