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
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from app.accounts.audit import record_event
from app.dates import today_in_england
from app.directory import listing_entries
from app.directory.listing_fields import (
    MAX_REASON,
    ListingInvalid,
    NothingChanged,
    check_entry,
    current_fields,
    diff,
    entry_from_fields,
    listing_fields,
)
from app.directory.listing_versions import _record_version, ensure_history_start
from app.extensions import db
from app.models import (
    ChangeStatus,
    ListingChange,
    Organisation,
    Service,
    User,
)
from app.models.directory import utcnow


class AlreadyDecided(Exception):
    pass


class OwnChange(Exception):
    """Nobody approves their own change: a second pair of eyes is the point of the queue."""


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
        listing_entries.write_service(service, canonical)
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
    service = listing_entries.new_service(service_id)
    listing_entries.write_service(service, canonical)
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
    from app.notifications import (
        links,  # the outbox is the referral journey's module
        outbox,
    )

    if "@" not in change.proposed_by:
        return
    name = service.name if service is not None else change.proposed.get("name", "")
    outcome = {ChangeStatus.APPROVED: "has been published",
               ChangeStatus.PARTLY_APPROVED: "has been partly published",
               ChangeStatus.REJECTED: "has not been published"}[change.status]
    lines = [f"Your change to the listing \"{name}\" {outcome}."]
    if change.review_reason:
        lines += ["", "The partnership said:", change.review_reason]
    lines += ["", "See the details:", links.public_url("provider.listing_change", change_id=change.uuid)]
    outbox.queue_email(change.proposed_by, f"Your listing change: {name}", "\n".join(lines),
                       kind="listing.decision", key=f"listing-change:{change.id}:decision")
