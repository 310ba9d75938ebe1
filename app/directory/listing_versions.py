"""Every listing's history: each change made in the site records a version (the whole
listing in the services.yml shape). The first change also keeps the listing as it was
before, so the history always has the "before"; a listing changed by an import meanwhile
gets a version for that too. Admins can restore an earlier version."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.accounts.audit import record_event
from app.directory import listing_entries
from app.directory.listing_fields import (
    LABELS,
    MAX_REASON,
    ListingInvalid,
    NothingChanged,
    check_entry,
    current_fields,
    diff,
    listing_fields,
)
from app.extensions import db
from app.models import (
    ListingChange,
    ListingVersion,
    Service,
    User,
    WaitingTime,
)
from app.models.directory import utcnow

IMPORT_ACTOR = "Directory file import"


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


# Versions made in the site (an approved edit or new listing, an admin's restore), as
# opposed to by an import ("initial", "outside").
SITE_SOURCES = ("edit", "new", "restore")


def changed_in_site(service: Service) -> bool:
    """Whether the listing was last written in the site, after the last import that wrote
    it: an import then leaves it alone (services-yml.md) unless told to overwrite."""
    with db.session.no_autoflush:
        latest = db.session.scalar(select(ListingVersion.source).where(
            ListingVersion.service_id == service.id).order_by(ListingVersion.number.desc()).limit(1))
    return latest in SITE_SOURCES


def record_repair(service: Service, *, created_by: str, reason: str) -> None:
    """A version for a repair of stored data (see listing_repair)."""
    _record_version(service, source="repair", created_by=created_by, reason=reason)


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
        service_id=service.id, number=number, data=listing_entries.export_service(service),
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
    listing_entries.write_service(service, canonical)
    restored = _record_version(service, source="restore", created_by=admin.email,
                               reason=reason.strip()[:MAX_REASON], restored_from=number)
    record_event("listing.restored", subject_type="service", subject_id=service.id,
                 detail={"version": number, "new_version": restored.number, "reason": reason.strip()})
    db.session.commit()
    return restored
