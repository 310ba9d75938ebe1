"""How a referral's history reads to provider staff: each step's details in words (not
the codes stored), and times in England's time (they are stored in UTC)."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from app import referrals
from app.models.referrals import ReferralEvent, ReferralStatus
from app.referrals import CLOSE_OUTCOMES, DECLINE_REASONS
from app.web.provider import bp
from app.web.templating import long_date

DETAIL_LABELS = {
    "note": _l("Note"), "expected_start": _l("Expected start"), "estimate_weeks": _l("About how many weeks"),
    "reason": _l("Reason"), "reason_text": _l("More about the reason"),
    "suggestion": _l("Where the family could go instead"), "outcome": _l("How it ended"),
}
CODED = {"reason": DECLINE_REASONS, "outcome": CLOSE_OUTCOMES}


def event_details(event: ReferralEvent) -> list[tuple[str, Any]]:
    """(label, value) for each detail of a step, with coded answers in words."""
    rows = []
    for key, value in (event.details or {}).items():
        if key in CODED:
            value = str(CODED[key].get(value, value))
        elif key == "expected_start":
            value = long_date(date.fromisoformat(value))
        rows.append((str(DETAIL_LABELS.get(key, key.replace("_", " ").capitalize())), value))
    return rows


ACTORS = {"family": _l("the family"), "referrer": _l("the person who referred"),
          "system": _l("the directory")}


@bp.app_template_filter("actor_name")
def actor_name(actor: str) -> str:
    """Who took a step: a person's email, or the family, the referrer or the directory."""
    return str(ACTORS.get(actor, actor))


@dataclass
class Waiting:
    """What the provider's home page says is waiting for them."""
    new: int  # not read yet
    undecided: int  # read, but not yet accepted, put on the list or declined
    late: int  # past the 5 or 20 working days


def waiting_referrals(service_ids: list[str]) -> Waiting:
    undecided = referrals.referrals_for_services(service_ids, statuses=ReferralStatus.UNDECIDED)
    late = {item.referral.id for item in referrals.overdue() if item.referral.service_id in service_ids}
    return Waiting(new=sum(r.status == ReferralStatus.NEW for r in undecided),
                   undecided=len(undecided), late=len(late))


@bp.app_template_filter("event_details")
def _event_details(event: ReferralEvent) -> list[tuple[str, Any]]:
    return event_details(event)
