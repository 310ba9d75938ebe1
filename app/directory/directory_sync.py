"""Importing services.yml into the database and exporting it back.

Both directions go through one canonical form per entity (see directory_file), so
"unchanged" means the database already says exactly what the file says, and an export
imported again is a no-op.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml
from sqlalchemy import select

from app.dates import today_in_england
from app.directory import listing_versions, search_words
from app.directory.directory_file import FORMAT_VERSION, DirectoryFile
from app.directory.listing_entries import (
    canonical_area,
    canonical_category,
    canonical_organisation,
    canonical_service,
    canonical_waiting_time,
    comparable_service,
    service_for_export,
    set_service,
    without_empty,
)
from app.extensions import db
from app.models import (
    Area,
    Category,
    DirectorySettings,
    FeedListing,
    ListingStatus,
    Organisation,
    Service,
    WaitingTime,
)
from app.models.directory import stable_uuid, utcnow

LISTS = ("areas", "categories", "organisations", "services", "search_words")
OUTCOMES = ("created", "updated", "unchanged", "kept", "pruned")
# A listing changed in the site since the last import that wrote it (services-yml.md).
SITE_KEPT = "kept (changed in the site)"


@dataclass
class ImportReport:
    counts: dict[str, Counter] = field(default_factory=lambda: {name: Counter() for name in LISTS})
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    site_changes_kept: list[str] = field(default_factory=list)  # service ids

    def count(self, list_name: str, outcome: str) -> None:
        self.counts[list_name][outcome] += 1

    def lines(self) -> list[str]:
        result = []
        for name in LISTS:
            counts = self.counts[name]
            parts = [f"{counts[outcome]} {outcome}" for outcome in OUTCOMES]
            if name == "services":
                parts.append(f"{counts[SITE_KEPT]} {SITE_KEPT}")
            result.append(f"{name}: {', '.join(parts)}")
        if self.site_changes_kept:
            result.append(f"{SITE_KEPT}: {', '.join(self.site_changes_kept)} "
                          "(the file would undo a change made in the site since the last import; "
                          "import with --overwrite-site-changes to write the file's version)")
        return result


# --- import ----------------------------------------------------------------------------

def import_directory(
    content: DirectoryFile,
    *,
    prune: bool = False,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    today: date | None = None,
    overwrite_site_changes: bool = False,
) -> ImportReport:
    """Apply a checked file in one transaction; roll back on dry run or any error. A listing
    changed in the site since the last import that wrote it is left as the site has it
    unless `overwrite_site_changes`."""
    report = ImportReport(dry_run=dry_run)
    today = today or today_in_england()
    try:
        _apply_settings(content.directory)
        areas = _apply_list(content.areas, Area, canonical_area, _set_area, "areas", report)
        categories = _apply_categories(content.categories, report)
        organisations = _apply_list(content.organisations, Organisation, canonical_organisation,
                                    _set_organisation, "organisations", report)
        _apply_services(content.services, areas, categories, organisations, report, today,
                        progress, overwrite_site_changes)
        for outcome in search_words.apply_search_words(content.search_words,
                                                       overwrite_site_changes):
            report.count("search_words", outcome)
        if prune:
            _prune(content, report)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return report


def _apply_settings(directory: dict[str, str]) -> None:
    settings = db.session.scalar(select(DirectorySettings)) or DirectorySettings()
    settings.name, settings.area = directory["name"], directory["area"]
    settings.safeguarding = directory["safeguarding"]
    db.session.add(settings)


def _apply_list(entries, model, canonical, setter, list_name, report) -> dict[str, Any]:
    existing = {row.id: row for row in db.session.scalars(select(model))}
    for entry in entries:
        row = existing.get(entry["id"])
        if row is None:
            row = model(id=entry["id"])
            if hasattr(model, "uuid"):
                row.uuid = stable_uuid(model.__tablename__, entry["id"])
            setter(row, entry)
            db.session.add(row)
            existing[row.id] = row
            report.count(list_name, "created")
        elif canonical(row) != entry:
            setter(row, entry)
            report.count(list_name, "updated")
        else:
            report.count(list_name, "unchanged")
    return existing


def _set_area(area: Area, entry: dict) -> None:
    area.name, area.lad_code, area.places = entry["name"], entry["lad_code"], entry["places"]


def _set_organisation(organisation: Organisation, entry: dict) -> None:
    for key in ("name", "description", "website", "email", "phone"):
        setattr(organisation, key, entry[key])


def _apply_categories(entries: list[dict], report: ImportReport) -> dict[str, Category]:
    def set_category(category: Category, entry: dict) -> None:
        category.name, category.description = entry["name"], entry["description"]
        category.keywords, category.parent_id = entry["keywords"], entry["parent"]

    categories = _apply_list(entries, Category, canonical_category, set_category,
                             "categories", report)
    for position, entry in enumerate(entries):
        categories[entry["id"]].position = position
    db.session.flush()  # parents resolve by id once every category exists
    return categories


def _apply_services(entries, areas, categories, organisations, report, today, progress,
                    overwrite_site_changes: bool = False) -> None:

    existing = {service.id: service for service in db.session.scalars(select(Service))}
    for entry in entries:
        service = existing.get(entry["id"])
        if service is None:
            service = Service(id=entry["id"], uuid=stable_uuid("service", entry["id"]),
                              status=ListingStatus.PUBLISHED)
            with db.session.no_autoflush:  # a half-built service must not be flushed
                set_service(service, entry, areas, categories, organisations, report.warnings)
            db.session.add(service)
            outcome = "created"
        else:
            changed = comparable_service(canonical_service(service)) != comparable_service(entry)
            kept_site = (changed and not overwrite_site_changes
                         and listing_versions.changed_in_site(service))
            if kept_site:  # the site's version stands (the waiting time is still compared below)
                changed = False
                report.site_changes_kept.append(service.id)
            if changed:
                # The listing's history keeps what the import replaced, and what it wrote.
                listing_versions.ensure_history_start(service)
                with db.session.no_autoflush:
                    set_service(service, entry, areas, categories, organisations, report.warnings)
                listing_versions.record_import(service)
            if not service.is_published:  # in the file again after being pruned
                service.status, changed = ListingStatus.PUBLISHED, True
            outcome = "updated" if changed else SITE_KEPT if kept_site else "unchanged"
        waiting = _apply_waiting_time(service, entry["waiting_time"])
        if waiting == "kept":
            report.count("services", "kept")
        elif waiting == "added" and outcome == "unchanged":
            outcome = "updated"
        if outcome == SITE_KEPT and waiting == "added":
            service.updated_at = utcnow()
        elif outcome != "unchanged" and outcome != SITE_KEPT:
            service.last_reviewed = today
            service.updated_at = utcnow()  # also when only a location or schedule changed
        report.count("services", outcome)
        if progress:
            progress(1)


def _apply_waiting_time(service: Service, entry: dict | None) -> str:
    """Add the file's waiting time to the history unless the site's is newer.

    Returns "none" (the file gives none), "same", "kept" (the site is newer) or "added".
    """
    if entry is None:
        return "none"
    current = service.current_waiting_time
    if current is not None:
        if current.confirmed_on > entry["updated"]:
            return "kept"
        if canonical_waiting_time(current) == entry:
            return "same"
    service.waiting_times.append(WaitingTime(
        status=entry["status"], weeks=entry["weeks"], confirmed_on=entry["updated"],
        note=entry["note"], source="import", recorded_at=utcnow()))
    return "added"


def _prune(content: DirectoryFile, report: ImportReport) -> None:
    """Withdraw services the file no longer lists (their history stays); delete other
    entries the file no longer lists once nothing refers to them."""
    in_file = {entry["id"] for entry in content.services}
    for service in db.session.scalars(select(Service).where(_own_listing())):
        if service.id not in in_file and service.is_published:
            service.status = ListingStatus.WITHDRAWN
            report.count("services", "pruned")
    db.session.flush()
    referenced_orgs = set(db.session.scalars(select(Service.organisation_id)))
    used_categories = {category.id for service in db.session.scalars(select(Service))
                       for category in service.categories}
    used_areas = {area.id for service in db.session.scalars(select(Service))
                  for area in service.areas}
    for model, entries, used, list_name in (
        (Organisation, content.organisations, referenced_orgs, "organisations"),
        (Category, content.categories, used_categories, "categories"),
        (Area, content.areas, used_areas, "areas"),
    ):
        keep = {entry["id"] for entry in entries}
        if model is Organisation:  # other directories' organisations come from their feeds
            keep |= set(db.session.scalars(_feed_organisation_ids()))
        for row in db.session.scalars(select(model)):
            if row.id in keep:
                continue
            if row.id in used or (model is Category and row.children):
                report.warnings.append(
                    f"{list_name} '{row.id}' is not in the file but still in use: kept")
                continue
            db.session.delete(row)
            report.count(list_name, "pruned")


# Listings taken from other directories' feeds (app/opendata/feeds.py) come from their
# feeds: the file neither writes them nor withdraws them.
def _own_listing():
    return Service.id.not_in(select(FeedListing.service_id))


def _feed_organisation_ids():
    return (select(Service.organisation_id).join(FeedListing, FeedListing.service_id == Service.id)
            .except_(select(Service.organisation_id).where(_own_listing())))


# --- export ----------------------------------------------------------------------------

def export_directory() -> str:
    """The published directory in the services.yml format."""
    settings = db.session.scalar(select(DirectorySettings))
    document: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "directory": {
            "name": settings.name if settings else "",
            "area": settings.area if settings else "",
            "safeguarding": settings.safeguarding if settings else "",
        },
        "areas": [without_empty(canonical_area(area), ("places",))
                  for area in db.session.scalars(select(Area).order_by(Area.name))],
        "categories": [
            without_empty(canonical_category(category), ("description", "keywords", "parent"))
            for category in db.session.scalars(select(Category).order_by(Category.position))
        ],
        "organisations": [
            without_empty(canonical_organisation(org), ("description", "website", "email", "phone"))
            for org in db.session.scalars(select(Organisation).where(
                Organisation.id.not_in(_feed_organisation_ids())).order_by(Organisation.id))
        ],
        "services": [
            service_for_export(service)
            for service in db.session.scalars(
                select(Service).where(Service.status == ListingStatus.PUBLISHED, _own_listing())
                .order_by(Service.id)
            )
        ],
    }
    words = search_words.exported()
    if words:
        document["search_words"] = words
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


class _Dumper(yaml.SafeDumper):
    """Multi-line text as `|` blocks, as a person would write it."""


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
