"""Listing edits with approval, and every listing's history.

A provider proposes a listing as a whole; what the partnership reviews is the difference,
field by field (a "field" is a unit a person would decide on: the phone number, the
opening times, the ages). Approved fields are written through the same checks and
writing code as an import of services.yml, so a listing edited in the site always
exports and imports again. The search index follows the commit (app/search).

Every change made in the site records a version: the whole listing in the services.yml
shape. The first change also keeps the listing as it was before, so the history always
has the "before"; a listing changed by an import meanwhile gets a version for that too.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Area,
    Category,
    ChangeStatus,
    DeliveryMode,
    ListingChange,
    ListingVersion,
    Organisation,
    Service,
    User,
    WaitingTime,
)
from app.models.directory import utcnow
from app.services import directory_sync
from app.services.audit import record_event
from app.services.directory_file import Problem, check_service_entry
from app.services.working_days import today_in_england

IMPORT_ACTOR = "Directory file import"
MAX_REASON = 2000


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


class ListingInvalid(Exception):
    """The listing would break the directory's rules (the same as the import's)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


class NothingChanged(Exception):
    pass


class AlreadyDecided(Exception):
    pass


class OwnChange(Exception):
    """Nobody approves their own change: a second pair of eyes is the point of the queue."""


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
    return listing_fields(directory_sync.export_service(service))


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
        if before is None or old != new:
            changes.append(FieldChange(item.key, item.label, old, new))
    return changes


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
        if now is not None and change.status == ChangeStatus.PENDING and now.get(item.key) != item.before:
            item.changed_since = True
    return changes


# -- proposing --------------------------------------------------------------------------

def pending_change_for(service: Service) -> ListingChange | None:
    return db.session.scalar(select(ListingChange).where(
        ListingChange.service_id == service.id, ListingChange.status == ChangeStatus.PENDING))


def propose_edit(service: Service, user: User, entry: dict[str, Any], reason: str) -> ListingChange:
    """A checked entry (check_entry) as a proposal for the partnership. A newer proposal
    for the same listing replaces one still waiting. Commits."""
    base = current_fields(service)
    proposed = listing_fields(entry)
    changed = [item.key for item in diff(base, proposed)]
    if not changed:
        raise NothingChanged()
    earlier = pending_change_for(service)
    if earlier is not None:
        earlier.status = ChangeStatus.SUPERSEDED
    change = ListingChange(
        service_id=service.id, organisation_id=service.organisation_id, proposed_by_id=user.id,
        proposed_by=user.email, proposed_at=utcnow(), reason=reason.strip()[:MAX_REASON],
        status=ChangeStatus.PENDING, base=base, proposed=proposed, fields=changed, decisions={})
    db.session.add(change)
    db.session.flush()
    record_event("listing.change_proposed", subject_type="service", subject_id=service.id,
                 detail={"change": change.id, "fields": changed,
                         "replaces": earlier.id if earlier is not None else None})
    db.session.commit()
    return change


def propose_new(organisation: Organisation, user: User, entry: dict[str, Any],
                reason: str) -> ListingChange:
    """A new listing, public only once approved. Commits."""
    proposed = listing_fields(entry)
    proposed["id"] = _free_service_id(entry.get("name") or "")
    change = ListingChange(
        service_id=None, organisation_id=organisation.id, proposed_by_id=user.id,
        proposed_by=user.email, proposed_at=utcnow(), reason=reason.strip()[:MAX_REASON],
        status=ChangeStatus.PENDING, base=None, proposed=proposed,
        fields=[item.key for item in diff(None, proposed)], decisions={})
    db.session.add(change)
    db.session.flush()
    record_event("listing.new_proposed", subject_type="listing_change", subject_id=change.id,
                 detail={"organisation": organisation.id, "name": proposed["name"]})
    db.session.commit()
    return change


def slug_for(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80].strip("-")
    return slug or "service"


def _free_service_id(name: str) -> str:
    """An id no listing and no waiting proposal uses yet."""
    base = slug_for(name)
    taken = set(db.session.scalars(select(Service.id).where(Service.id.like(f"{base}%"))))
    for change in db.session.scalars(select(ListingChange).where(
            ListingChange.service_id.is_(None), ListingChange.status == ChangeStatus.PENDING)):
        taken.add(change.proposed.get("id"))
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


# -- deciding ---------------------------------------------------------------------------

def pending_changes() -> list[ListingChange]:
    """The approval queue, oldest first."""
    return list(db.session.scalars(
        select(ListingChange).where(ListingChange.status == ChangeStatus.PENDING)
        .options(selectinload(ListingChange.service), selectinload(ListingChange.organisation))
        .order_by(ListingChange.proposed_at, ListingChange.id)))


def recent_decisions(limit: int = 20) -> list[ListingChange]:
    return list(db.session.scalars(
        select(ListingChange).where(ListingChange.status.in_(ChangeStatus.DECIDED))
        .options(selectinload(ListingChange.service), selectinload(ListingChange.organisation))
        .order_by(ListingChange.reviewed_at.desc(), ListingChange.id.desc()).limit(limit)))


def changes_for_organisations(organisation_ids: Iterable[str], limit: int = 50) -> list[ListingChange]:
    """A provider's proposals, newest first (superseded ones are left out)."""
    ids = list(organisation_ids)
    if not ids:
        return []
    return list(db.session.scalars(
        select(ListingChange).where(ListingChange.organisation_id.in_(ids),
                                    ListingChange.status != ChangeStatus.SUPERSEDED)
        .options(selectinload(ListingChange.service))
        .order_by(ListingChange.proposed_at.desc(), ListingChange.id.desc()).limit(limit)))


def _claim(change: ListingChange, status: str) -> None:
    """Decide a change once only, even with two admins on it at the same moment: the
    second UPDATE finds it no longer pending."""
    claimed = db.session.execute(
        update(ListingChange)
        .where(ListingChange.id == change.id, ListingChange.status == ChangeStatus.PENDING)
        .values(status=status).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise AlreadyDecided()
    change.status = status


def _check_reviewer(change: ListingChange, reviewer: User) -> None:
    if change.status != ChangeStatus.PENDING:
        raise AlreadyDecided()
    if change.proposed_by_id is not None and change.proposed_by_id == reviewer.id:
        raise OwnChange()


def approve(change: ListingChange, reviewer: User, publish: Iterable[str] | None = None,
            reason: str = "", today: date | None = None) -> Service:
    """Publish the chosen fields of a change (all of them by default); the others are
    refused with the reason. Records a version, tells the proposer, commits; the search
    index follows the commit. Raises ListingInvalid when the chosen fields do not make a
    valid listing together (e.g. self-referral without the email for referrals)."""
    _check_reviewer(change, reviewer)
    today = today or today_in_england()
    chosen = set(change.fields) if publish is None else set(publish) & set(change.fields)
    if not chosen:
        raise ValueError("approve at least one field, or reject the change")
    if change.service is None:
        service = _create_service(change)
        chosen = set(change.fields)  # a new listing is published whole or not at all
    else:
        service = change.service
        now = current_fields(service)
        merged = {**now, **{key: change.proposed[key] for key in chosen}}
        canonical, problems = check_entry(
            entry_from_fields(merged, service.id, service.organisation_id), today)
        if canonical is None:
            raise ListingInvalid(problems)
        ensure_history_start(service)
        directory_sync.write_service(service, canonical)
    status = ChangeStatus.APPROVED if chosen == set(change.fields) else ChangeStatus.PARTLY_APPROVED
    _claim(change, status)
    change.decisions = {key: "approved" if key in chosen else "rejected" for key in change.fields}
    _stamp_review(change, reviewer, reason)
    service.last_reviewed = today  # the provider has just been through the listing
    _record_version(service, source="new" if change.base is None else "edit",
                    created_by=change.proposed_by, approved_by=reviewer.email,
                    reason=change.reason, change=change)
    record_event("listing.change_approved", subject_type="service", subject_id=service.id,
                 detail={"change": change.id, "published": sorted(chosen),
                         "refused": sorted(set(change.fields) - chosen), "reason": change.review_reason})
    _tell_proposer(change, service)
    db.session.commit()
    return service


def _create_service(change: ListingChange) -> Service:
    service_id = change.proposed.get("id") or slug_for(change.proposed.get("name") or "")
    if db.session.get(Service, service_id) is not None:
        service_id = _free_service_id(service_id)
    canonical, problems = check_entry(entry_from_fields(change.proposed, service_id,
                                                        change.organisation_id))
    if canonical is None:
        raise ListingInvalid(problems)
    service = directory_sync.new_service(service_id)
    directory_sync.write_service(service, canonical)
    db.session.add(service)
    change.service = service
    return service


def reject(change: ListingChange, reviewer: User, reason: str) -> None:
    """Refuse the whole change; the reason goes back to the provider. Commits."""
    _check_reviewer(change, reviewer)
    if not reason.strip():
        raise ValueError("a rejection needs a reason")
    _claim(change, ChangeStatus.REJECTED)
    change.decisions = {key: "rejected" for key in change.fields}
    _stamp_review(change, reviewer, reason)
    record_event("listing.change_rejected", subject_type="service" if change.service_id else "listing_change",
                 subject_id=change.service_id or change.id,
                 detail={"change": change.id, "reason": change.review_reason})
    _tell_proposer(change, change.service)
    db.session.commit()


def _stamp_review(change: ListingChange, reviewer: User, reason: str) -> None:
    change.reviewed_by_id = reviewer.id
    change.reviewed_by = reviewer.email
    change.reviewed_at = utcnow()
    change.review_reason = reason.strip()[:MAX_REASON] or None


def _tell_proposer(change: ListingChange, service: Service | None) -> None:
    from app.services import links, outbox  # the outbox is the referral journey's module

    if "@" not in change.proposed_by:
        return
    name = service.name if service is not None else change.proposed.get("name", "")
    outcome = {ChangeStatus.APPROVED: "has been published",
               ChangeStatus.PARTLY_APPROVED: "has been partly published",
               ChangeStatus.REJECTED: "has not been published"}[change.status]
    lines = [f"Your change to the listing \"{name}\" {outcome}."]
    if change.review_reason:
        lines += ["", "The partnership said:", change.review_reason]
    lines += ["", "See the details:", links.public_url("provider.listing_change", change_id=change.id)]
    outbox.queue_email(change.proposed_by, f"Your listing change: {name}", "\n".join(lines),
                       kind="listing.decision", key=f"listing-change:{change.id}:decision")


# -- versions and history ---------------------------------------------------------------

def versions(service: Service) -> list[ListingVersion]:
    """Oldest first."""
    return list(db.session.scalars(select(ListingVersion).where(
        ListingVersion.service_id == service.id).order_by(ListingVersion.number)))


def get_version(service: Service, number: int) -> ListingVersion | None:
    return db.session.scalar(select(ListingVersion).where(
        ListingVersion.service_id == service.id, ListingVersion.number == number))


def ensure_history_start(service: Service) -> None:
    """Before a change: keep the listing as it is now, if the history does not already
    end with it (the first change in the site, or after an import changed it)."""
    latest = db.session.scalar(select(ListingVersion).where(ListingVersion.service_id == service.id)
                               .order_by(ListingVersion.number.desc()).limit(1))
    if latest is not None and listing_fields(latest.data) == current_fields(service):
        return
    _record_version(service, source="initial" if latest is None else "outside",
                    created_by=IMPORT_ACTOR, created_at=service.updated_at,
                    reason="As loaded from the directory file" if latest is None
                    else "Changed by an import of the directory file")


def record_import(service: Service) -> None:
    """A version for what an import of the directory file just wrote over the listing."""
    _record_version(service, source="outside", created_by=IMPORT_ACTOR,
                    reason="Changed by an import of the directory file")


def _record_version(service: Service, *, source: str, created_by: str, reason: str = "",
                    approved_by: str | None = None, change: ListingChange | None = None,
                    restored_from: int | None = None, created_at: datetime | None = None) -> ListingVersion:
    db.session.flush()  # the listing as written, and any version just added
    number = (db.session.scalar(select(func.max(ListingVersion.number)).where(
        ListingVersion.service_id == service.id)) or 0) + 1
    version = ListingVersion(
        service_id=service.id, number=number, data=directory_sync.export_service(service),
        created_at=created_at or utcnow(), source=source, created_by=created_by,
        approved_by=approved_by, reason=reason, change_id=change.id if change else None,
        restored_from=restored_from)
    db.session.add(version)
    return version


@dataclass
class HistoryEntry:
    at: datetime
    kind: str  # version | waiting-time
    who: str
    why: str = ""
    source: str = ""
    changed: list[Any] = field(default_factory=list)  # labels of the fields that changed
    version: ListingVersion | None = None
    waiting: WaitingTime | None = None
    approved_by: str | None = None
    restored_from: int | None = None
    is_current: bool = False


def history(service: Service) -> list[HistoryEntry]:
    """Every version and every waiting-time confirmation, newest first. The listing as it
    is now is shown even before any change has been made in the site."""
    entries: list[HistoryEntry] = []
    previous: dict[str, Any] | None = None
    stored = versions(service)
    for version in stored:
        fields = listing_fields(version.data)
        changed = [] if previous is None else [LABELS[c.key] for c in diff(previous, fields)]
        entries.append(HistoryEntry(
            at=version.created_at, kind="version", who=version.created_by, why=version.reason,
            source=version.source, changed=changed, version=version,
            approved_by=version.approved_by, restored_from=version.restored_from))
        previous = fields
    now = current_fields(service)
    if previous != now:  # not yet in the stored history: no change in the site, or an import
        entries.append(HistoryEntry(
            at=service.updated_at, kind="version", who=IMPORT_ACTOR,
            source="initial" if previous is None else "outside",
            changed=[] if previous is None else [LABELS[c.key] for c in diff(previous, now)]))
    if entries:
        entries[-1].is_current = True  # the last version, stored or not
    for waiting in service.waiting_times:
        entries.append(HistoryEntry(
            at=waiting.recorded_at, kind="waiting-time", source=waiting.source,
            who=waiting.recorded_by or (IMPORT_ACTOR if waiting.source == "import" else ""),
            waiting=waiting))
    return sorted(entries, key=lambda e: e.at, reverse=True)


def restore(service: Service, number: int, admin: User, reason: str) -> ListingVersion:
    """Put an earlier version back, as a new version (so a restore can itself be undone).
    The waiting time is not restored: it is a dated fact, with its own history. The
    listing stays with its current organisation. Commits."""
    version = get_version(service, number)
    if version is None:
        raise LookupError(number)
    if not reason.strip():
        raise ValueError("a restore needs a reason")
    data = {key: value for key, value in version.data.items() if key != "waiting_time"}
    data["organisation"] = service.organisation_id
    if listing_fields(data) == current_fields(service):
        raise NothingChanged()
    canonical, problems = check_entry(data)
    if canonical is None:
        raise ListingInvalid(problems)
    ensure_history_start(service)
    directory_sync.write_service(service, canonical)
    restored = _record_version(service, source="restore", created_by=admin.email,
                               reason=reason.strip()[:MAX_REASON], restored_from=number)
    record_event("listing.restored", subject_type="service", subject_id=service.id,
                 detail={"version": number, "new_version": restored.number, "reason": reason.strip()})
    db.session.commit()
    return restored
