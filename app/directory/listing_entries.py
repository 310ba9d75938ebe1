"""A listing as an entry of services.yml: the canonical form of what the database holds
(so "unchanged" means the database already says exactly what the file says), writing a
checked entry onto a listing, and a listing written out as an entry. Import and export of
the whole file (directory_sync), listing edits (listing_changes) and versions
(listing_versions) all go through here, so a listing edited in the site always exports and
imports again."""

from typing import Any

from sqlalchemy import select

from app.directory.directory_file import ALL_AREAS
from app.extensions import db
from app.models import (
    Area,
    Category,
    ListingStatus,
    Location,
    Organisation,
    Schedule,
    Service,
    WaitingTime,
)
from app.models.directory import stable_uuid, utcnow
from app.places import postcodes

# --- canonical form of what is in the database ---------------------------------------

def canonical_area(area: Area) -> dict[str, Any]:
    return {"id": area.id, "name": area.name, "lad_code": area.lad_code,
            "places": list(area.places or [])}


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


def comparable_service(service: dict[str, Any]) -> dict[str, Any]:
    """Categories and areas are sets: their order in the file carries no meaning."""
    result = {key: value for key, value in service.items() if key != "waiting_time"}
    result["categories"] = sorted(result["categories"])
    result["areas"] = sorted(result["areas"])
    return result


def set_service(service: Service, entry: dict, areas, categories, organisations,
                warnings: list[str]) -> None:
    """Write a checked entry onto a listing (its waiting time aside)."""
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
    _set_locations(service, entry["locations"], warnings)
    _set_schedules(service, entry["schedule"])


def _set_locations(service: Service, entries: list[dict], warnings: list[str]) -> None:
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
                warnings.append(
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


# --- one listing, edited in the site or exported ----------------------------------------

def write_service(service: Service, entry: dict[str, Any]) -> list[str]:
    """Write one checked entry (directory_file.check_service_entry) to a listing exactly
    as an import would; the waiting time is left alone. Returns warnings."""
    warnings: list[str] = []
    areas = {area.id: area for area in db.session.scalars(select(Area))}
    categories = {category.id: category for category in db.session.scalars(select(Category))}
    organisations = {org.id: org for org in db.session.scalars(select(Organisation))}
    with db.session.no_autoflush:  # a half-written service must not be flushed
        set_service(service, entry, areas, categories, organisations, warnings)
    service.updated_at = utcnow()
    return warnings


def new_service(service_id: str) -> Service:
    """An empty published listing with the ids an import would give it."""
    return Service(id=service_id, uuid=stable_uuid("service", service_id),
                   status=ListingStatus.PUBLISHED)


def export_service(service: Service) -> dict[str, Any]:
    """One listing as export writes it in services.yml (dates as ISO text, for JSON)."""
    result = service_for_export(service)
    if "waiting_time" in result:
        result["waiting_time"] = {**result["waiting_time"],
                                  "updated": result["waiting_time"]["updated"].isoformat()}
    return result


def service_for_export(service: Service) -> dict[str, Any]:
    result = canonical_service(service)
    result["waiting_time"] = canonical_waiting_time(service.current_waiting_time)
    if result["waiting_time"]:
        result["waiting_time"] = {k: v for k, v in result["waiting_time"].items() if v is not None}
    if result["free"]:
        del result["free"]
    if result["languages"] == ["en"]:
        del result["languages"]
    return without_empty(result, ("eligibility", "cost_note", "referral_email", "locations",
                                   "schedule", "waiting_time", "keywords"))


def without_empty(item: dict[str, Any], optional: tuple[str, ...]) -> dict[str, Any]:
    return {key: value for key, value in item.items()
            if key not in optional or value not in (None, "", [], {})}
