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

from app.extensions import db
from app.models import (
    Area,
    Category,
    DirectorySettings,
    ListingStatus,
    Location,
    Organisation,
    Schedule,
    Service,
    WaitingTime,
)
from app.models.directory import stable_uuid, utcnow
from app.services import postcodes
from app.services.directory_file import ALL_AREAS, FORMAT_VERSION, DirectoryFile
from app.services.working_days import today_in_england

LISTS = ("areas", "categories", "organisations", "services")
OUTCOMES = ("created", "updated", "unchanged", "kept", "pruned")


@dataclass
class ImportReport:
    counts: dict[str, Counter] = field(default_factory=lambda: {name: Counter() for name in LISTS})
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    def count(self, list_name: str, outcome: str) -> None:
        self.counts[list_name][outcome] += 1

    def lines(self) -> list[str]:
        result = []
        for name in LISTS:
            counts = self.counts[name]
            parts = [f"{counts[outcome]} {outcome}" for outcome in OUTCOMES]
            result.append(f"{name}: {', '.join(parts)}")
        return result


# --- canonical form of what is in the database ---------------------------------------

def canonical_area(area: Area) -> dict[str, Any]:
    return {"id": area.id, "name": area.name, "lad_code": area.lad_code}


def canonical_category(category: Category) -> dict[str, Any]:
    return {"id": category.id, "name": category.name, "description": category.description,
            "keywords": list(category.keywords or []), "parent": category.parent_id}


def canonical_organisation(organisation: Organisation) -> dict[str, Any]:
    return {"id": organisation.id, "name": organisation.name,
            "description": organisation.description, "website": organisation.website,
            "email": organisation.email, "phone": organisation.phone}


def canonical_service(service: Service) -> dict[str, Any]:
    """Everything services.yml says about a service, except its waiting time."""
    eligibility = {"age_min": service.age_min, "age_max": service.age_max,
                   "description": service.eligibility_description}
    contact = {"phone": service.contact_phone, "email": service.contact_email,
               "website": service.contact_website}
    return {
        "id": service.id,
        "organisation": service.organisation_id,
        "name": service.name,
        "summary": service.summary,
        "description": service.description,
        "kind": service.kind,
        "categories": [category.id for category in service.categories],
        "areas": [ALL_AREAS] if service.covers_all_areas else [area.id for area in service.areas],
        "access": service.access,
        "eligibility": {key: value for key, value in eligibility.items() if value is not None},
        "free": service.free,
        "cost_note": service.cost_note or "",
        "delivery": list(service.delivery),
        "languages": list(service.languages),
        "contact": {key: value for key, value in contact.items() if value is not None},
        "referral_email": service.referral_email,
        "locations": [_canonical_location(location) for location in service.locations],
        "schedule": [_canonical_schedule(schedule) for schedule in service.schedules],
        "keywords": list(service.keywords or []),
    }


def _canonical_location(location: Location) -> dict[str, Any]:
    result = {"name": location.name, "address": location.address, "postcode": location.postcode}
    if location.coordinates_given:
        result["latitude"], result["longitude"] = location.latitude, location.longitude
    return result


def _canonical_schedule(schedule: Schedule) -> dict[str, Any]:
    result = {"days": list(schedule.days), "opens": schedule.opens, "closes": schedule.closes}
    if schedule.note:
        result["note"] = schedule.note
    return result


def canonical_waiting_time(waiting: WaitingTime | None) -> dict[str, Any] | None:
    if waiting is None:
        return None
    return {"status": waiting.status, "weeks": waiting.weeks, "updated": waiting.confirmed_on,
            "note": waiting.note}


def _comparable_service(service: dict[str, Any]) -> dict[str, Any]:
    """Categories and areas are sets: their order in the file carries no meaning."""
    result = {key: value for key, value in service.items() if key != "waiting_time"}
    result["categories"] = sorted(result["categories"])
    result["areas"] = sorted(result["areas"])
    return result


# --- import ----------------------------------------------------------------------------

def import_directory(
    content: DirectoryFile,
    *,
    prune: bool = False,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    today: date | None = None,
) -> ImportReport:
    """Apply a checked file in one transaction; roll back on dry run or any error."""
    report = ImportReport(dry_run=dry_run)
    today = today or today_in_england()
    try:
        _apply_settings(content.directory)
        areas = _apply_list(content.areas, Area, canonical_area, _set_area, "areas", report)
        categories = _apply_categories(content.categories, report)
        organisations = _apply_list(content.organisations, Organisation, canonical_organisation,
                                    _set_organisation, "organisations", report)
        _apply_services(content.services, areas, categories, organisations, report, today,
                        progress)
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
    area.name, area.lad_code = entry["name"], entry["lad_code"]


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


def _apply_services(entries, areas, categories, organisations, report, today, progress) -> None:
    from app.services import listing_changes  # it exports listings with this module's help

    existing = {service.id: service for service in db.session.scalars(select(Service))}
    for entry in entries:
        service = existing.get(entry["id"])
        if service is None:
            service = Service(id=entry["id"], uuid=stable_uuid("service", entry["id"]),
                              status=ListingStatus.PUBLISHED)
            with db.session.no_autoflush:  # a half-built service must not be flushed
                _set_service(service, entry, areas, categories, organisations, report)
            db.session.add(service)
            outcome = "created"
        else:
            changed = _comparable_service(canonical_service(service)) != _comparable_service(entry)
            if changed:
                # The listing's history keeps what the import replaced, and what it wrote.
                listing_changes.ensure_history_start(service)
                with db.session.no_autoflush:
                    _set_service(service, entry, areas, categories, organisations, report)
                listing_changes.record_import(service)
            if not service.is_published:  # in the file again after being pruned
                service.status, changed = ListingStatus.PUBLISHED, True
            outcome = "updated" if changed else "unchanged"
        waiting = _apply_waiting_time(service, entry["waiting_time"])
        if waiting == "kept":
            report.count("services", "kept")
        elif waiting == "added" and outcome == "unchanged":
            outcome = "updated"
        if outcome != "unchanged":
            service.last_reviewed = today
            service.updated_at = utcnow()  # also when only a location or schedule changed
        report.count("services", outcome)
        if progress:
            progress(1)


def _set_service(service: Service, entry: dict, areas, categories, organisations,
                 report: ImportReport) -> None:
    service.organisation = organisations[entry["organisation"]]
    for key in ("name", "summary", "description", "kind", "access", "free", "cost_note",
                "delivery", "languages", "keywords", "referral_email"):
        setattr(service, key, entry[key])
    eligibility, contact = entry["eligibility"], entry["contact"]
    service.age_min, service.age_max = eligibility.get("age_min"), eligibility.get("age_max")
    service.eligibility_description = eligibility.get("description")
    service.contact_phone = contact.get("phone")
    service.contact_email = contact.get("email")
    service.contact_website = contact.get("website")
    service.categories = [categories[category_id] for category_id in entry["categories"]]
    service.covers_all_areas = entry["areas"] == [ALL_AREAS]
    service.areas = [] if service.covers_all_areas else [areas[a] for a in entry["areas"]]
    _set_locations(service, entry["locations"], report)
    _set_schedules(service, entry["schedule"])


def _set_locations(service: Service, entries: list[dict], report: ImportReport) -> None:
    # Updated in place by position, so each location keeps its UUID in the open data.
    locations = list(service.locations)
    for position, entry in enumerate(entries):
        if position < len(locations):
            location = locations[position]
        else:
            location = Location(position=position,
                                uuid=stable_uuid("location", f"{service.id}:{position}"))
            service.locations.append(location)
        location.name, location.address = entry["name"], entry["address"]
        location.postcode = entry["postcode"]
        location.coordinates_given = "latitude" in entry
        if location.coordinates_given:
            location.latitude, location.longitude = entry["latitude"], entry["longitude"]
        else:
            found = postcodes.coordinates_for(entry["postcode"])
            if found is None:
                report.warnings.append(
                    f"services '{service.id}': postcode {entry['postcode']} is not in the "
                    "postcode table; the location has no map position")
            location.latitude, location.longitude = found or (None, None)
    for location in locations[len(entries):]:
        service.locations.remove(location)


def _set_schedules(service: Service, entries: list[dict]) -> None:
    schedules = list(service.schedules)
    for position, entry in enumerate(entries):
        if position < len(schedules):
            schedule = schedules[position]
        else:
            schedule = Schedule(position=position,
                                uuid=stable_uuid("schedule", f"{service.id}:{position}"))
            service.schedules.append(schedule)
        schedule.days, schedule.opens, schedule.closes = entry["days"], entry["opens"], entry["closes"]
        schedule.note = entry.get("note")
    for schedule in schedules[len(entries):]:
        service.schedules.remove(schedule)


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
    for service in db.session.scalars(select(Service)):
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
        for row in db.session.scalars(select(model)):
            if row.id in keep:
                continue
            if row.id in used or (model is Category and row.children):
                report.warnings.append(
                    f"{list_name} '{row.id}' is not in the file but still in use: kept")
                continue
            db.session.delete(row)
            report.count(list_name, "pruned")


# --- one listing, edited in the site ---------------------------------------------------

def write_service(service: Service, entry: dict[str, Any]) -> list[str]:
    """Write one checked entry (directory_file.check_service_entry) to a listing exactly
    as an import would; the waiting time is left alone. Returns warnings."""
    report = ImportReport()
    areas = {area.id: area for area in db.session.scalars(select(Area))}
    categories = {category.id: category for category in db.session.scalars(select(Category))}
    organisations = {org.id: org for org in db.session.scalars(select(Organisation))}
    with db.session.no_autoflush:  # a half-written service must not be flushed
        _set_service(service, entry, areas, categories, organisations, report)
    service.updated_at = utcnow()
    return report.warnings


def new_service(service_id: str) -> Service:
    """An empty published listing with the ids an import would give it."""
    return Service(id=service_id, uuid=stable_uuid("service", service_id),
                   status=ListingStatus.PUBLISHED)


def export_service(service: Service) -> dict[str, Any]:
    """One listing as export writes it in services.yml (dates as ISO text, for JSON)."""
    result = _service_for_export(service)
    if "waiting_time" in result:
        result["waiting_time"] = {**result["waiting_time"],
                                  "updated": result["waiting_time"]["updated"].isoformat()}
    return result


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
        "areas": [canonical_area(area) for area in db.session.scalars(select(Area).order_by(Area.name))],
        "categories": [
            _without_empty(canonical_category(category), ("description", "keywords", "parent"))
            for category in db.session.scalars(select(Category).order_by(Category.position))
        ],
        "organisations": [
            _without_empty(canonical_organisation(org), ("description", "website", "email", "phone"))
            for org in db.session.scalars(select(Organisation).order_by(Organisation.id))
        ],
        "services": [
            _service_for_export(service)
            for service in db.session.scalars(
                select(Service).where(Service.status == ListingStatus.PUBLISHED).order_by(Service.id)
            )
        ],
    }
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _service_for_export(service: Service) -> dict[str, Any]:
    result = canonical_service(service)
    result["waiting_time"] = canonical_waiting_time(service.current_waiting_time)
    if result["waiting_time"]:
        result["waiting_time"] = {k: v for k, v in result["waiting_time"].items() if v is not None}
    if result["free"]:
        del result["free"]
    if result["languages"] == ["en"]:
        del result["languages"]
    return _without_empty(result, ("eligibility", "cost_note", "referral_email", "locations",
                                   "schedule", "waiting_time", "keywords"))


def _without_empty(item: dict[str, Any], optional: tuple[str, ...]) -> dict[str, Any]:
    return {key: value for key, value in item.items()
            if key not in optional or value not in (None, "", [], {})}


class _Dumper(yaml.SafeDumper):
    """Multi-line text as `|` blocks, as a person would write it."""


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
