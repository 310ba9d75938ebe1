"""A listing as fields: the units a person decides on when a listing changes (the phone
number, the opening times, the ages), their labels, and the difference between two
versions of a listing field by field."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.directory import listing_entries
from app.directory.directory_file import Problem, check_service_entry
from app.extensions import db
from app.models import (
    Area,
    Category,
    ChangeStatus,
    DeliveryMode,
    ListingChange,
    Organisation,
    Service,
)
from app.text import same_text

MAX_REASON = 2000  # the reason given with a change or a restore


class ListingInvalid(Exception):
    """The listing would break the directory's rules (the same as the import's)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


class NothingChanged(Exception):
    pass


@dataclass(frozen=True)
class ListingField:
    key: str
    label: Any  # lazy text


# The units a change is reviewed in, in the order of the edit form.
FIELDS: tuple[ListingField, ...] = (
    ListingField("name", _l("Name")),
    ListingField("summary", _l("Summary")),
    ListingField("description", _l("Description")),
    ListingField("kind", _l("Kind of provider")),
    ListingField("access", _l("How families get this help")),
    ListingField("categories", _l("Kinds of help")),
    ListingField("areas", _l("Areas covered")),
    ListingField("ages", _l("Ages")),
    ListingField("eligibility", _l("Who it is for")),
    ListingField("cost", _l("Cost")),
    ListingField("delivery", _l("How it is offered")),
    ListingField("languages", _l("Languages")),
    ListingField("contact_phone", _l("Phone")),
    ListingField("contact_email", _l("Email")),
    ListingField("contact_website", _l("Website")),
    ListingField("referral_email", _l("Email for new self-referrals")),
    ListingField("locations", _l("Locations")),
    ListingField("schedule", _l("Opening times")),
    ListingField("keywords", _l("Extra search words")),
)
FIELD_KEYS = tuple(f.key for f in FIELDS)
LABELS = {f.key: f.label for f in FIELDS}


# -- a listing as fields ---------------------------------------------------------------

def listing_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """A listing in the services.yml shape (export's, or the import's canonical form) as
    field -> value, with defaults filled in and sets in a fixed order, so that two forms
    of the same listing compare equal."""
    eligibility = entry.get("eligibility") or {}
    contact = entry.get("contact") or {}
    delivery = entry.get("delivery") or []
    return {
        "name": entry.get("name"),
        "summary": entry.get("summary"),
        "description": entry.get("description"),
        "kind": entry.get("kind"),
        "access": entry.get("access"),
        "categories": sorted(entry.get("categories") or []),
        "areas": sorted(entry.get("areas") or []),
        "ages": {"age_min": eligibility.get("age_min"), "age_max": eligibility.get("age_max")},
        "eligibility": eligibility.get("description"),
        "cost": {"free": entry.get("free", True), "cost_note": entry.get("cost_note") or ""},
        "delivery": [mode for mode in DeliveryMode.ALL if mode in delivery],
        "languages": list(entry.get("languages") or ["en"]),
        "contact_phone": contact.get("phone"),
        "contact_email": contact.get("email"),
        "contact_website": contact.get("website"),
        "referral_email": entry.get("referral_email"),
        "locations": [dict(location) for location in entry.get("locations") or []],
        "schedule": [dict(slot) for slot in entry.get("schedule") or []],
        "keywords": list(entry.get("keywords") or []),
    }


def entry_from_fields(fields: dict[str, Any], service_id: str, organisation_id: str) -> dict[str, Any]:
    """The services.yml entry for these fields (to check and write)."""
    eligibility = {"age_min": fields["ages"]["age_min"], "age_max": fields["ages"]["age_max"],
                   "description": fields["eligibility"]}
    contact = {"phone": fields["contact_phone"], "email": fields["contact_email"],
               "website": fields["contact_website"]}
    return {
        "id": service_id,
        "organisation": organisation_id,
        "name": fields["name"],
        "summary": fields["summary"],
        "description": fields["description"],
        "kind": fields["kind"],
        "categories": list(fields["categories"]),
        "areas": list(fields["areas"]),
        "access": fields["access"],
        "eligibility": {key: value for key, value in eligibility.items() if value is not None},
        "free": fields["cost"]["free"],
        "cost_note": fields["cost"]["cost_note"],
        "delivery": list(fields["delivery"]),
        "languages": list(fields["languages"]),
        "contact": {key: value for key, value in contact.items() if value is not None},
        "referral_email": fields["referral_email"],
        "locations": [dict(location) for location in fields["locations"]],
        "schedule": [dict(slot) for slot in fields["schedule"]],
        "keywords": list(fields["keywords"]),
    }


def current_fields(service: Service) -> dict[str, Any]:
    return listing_fields(listing_entries.export_service(service))


def check_entry(item: dict[str, Any], today: date | None = None) -> tuple[dict | None, list[Problem]]:
    """The import's checks for one listing, against the areas, categories and
    organisations in the database now."""
    return check_service_entry(
        item,
        area_ids=set(db.session.scalars(select(Area.id))),
        category_ids=set(db.session.scalars(select(Category.id))),
        organisation_ids=set(db.session.scalars(select(Organisation.id))),
        today=today)


@dataclass
class FieldChange:
    key: str
    label: Any
    before: Any  # None for a new service
    after: Any
    # The listing has moved on since the proposal: publishing replaces a newer value.
    changed_since: bool = False
    decision: str | None = None  # approved | rejected, once decided


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[FieldChange]:
    """The fields that differ, in form order. For a new service, every field given."""
    changes = []
    for item in FIELDS:
        old = before.get(item.key) if before is not None else None
        new = after.get(item.key)
        if before is None and _is_empty(new):
            continue
        if before is None or not _same(old, new):
            changes.append(FieldChange(item.key, item.label, old, new))
    return changes


def _same(old: Any, new: Any) -> bool:
    """Equal, where text differing only in its line breaks' style (CR LF, LF, CR) or in
    space at its ends is the same text: nobody changed it."""
    if isinstance(old, str) and isinstance(new, str):
        return same_text(old, new)
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    return old == new


def _is_empty(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_is_empty(v) for v in value.values())
    return value in (None, "", [], {})


def change_diff(change: ListingChange) -> list[FieldChange]:
    """A proposal's changes, with what the listing says now where it has moved on."""
    changes = diff(change.base, change.proposed)
    now = current_fields(change.service) if change.service is not None else None
    for item in changes:
        item.decision = (change.decisions or {}).get(item.key)
        if (now is not None and change.status == ChangeStatus.PENDING
                and not _same(now.get(item.key), item.before)):
            item.changed_since = True
    return changes
