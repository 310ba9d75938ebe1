"""Describing published listings as Open Referral UK (HSDS-UK 3.0) objects.

Read-only and public: only published services appear, with the organisations, locations and
taxonomy terms they bring. Referral addresses, waiting-time sources, search records and
anything about people are never part of what is described here.

Identifiers are the models' stable UUIDs. Objects the models keep no row for (addresses,
service areas, contacts, attributes, the two taxonomies and the directory's own terms) get
fixed UUIDs made with uuid5 from NAMESPACE, so they too stay the same between requests and
imports. Optional fields with no value are left out: the standard never sees null or "".
"""


from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from babel import Locale
from flask import url_for
from sqlalchemy import func, select

from app.directory import listings
from app.extensions import db
from app.models import (
    Area,
    Category,
    Location,
    Organisation,
    Postcode,
    Schedule,
    Service,
    WaitingTime,
)
from app.opendata.terms import (
    BYDAY,
    CATEGORIES,
    COUNTRY,
    DIRECTORY,
    ONS_AREA_URI,
    OWN_TERM_BY_CODE,
    OWN_TERMS,
    PROFILE,
    VERSION,
    OwnTerm,
    Taxonomy,
    stable_id,
)

# -- what every mapping needs, loaded once a request ------------------------------------

class Context:
    """Areas, categories and the county: small tables the mapping reads many times."""

    @cached_property
    def county(self) -> str:
        return listings.directory_settings().area

    @cached_property
    def areas(self) -> list[Area]:
        return listings.all_areas()

    @cached_property
    def categories(self) -> list[Category]:
        return list(db.session.scalars(select(Category).order_by(Category.position, Category.id)))

    @cached_property
    def _category_by_id(self) -> dict[str, Category]:
        return {category.id: category for category in self.categories}

    @cached_property
    def _language_names(self) -> dict[str, str]:
        return dict(Locale("en").languages)

    def language_name(self, code: str) -> str | None:
        return self._language_names.get(code)

    def district_of(self, postcode: str) -> str | None:
        return db.session.scalar(
            select(Area.name).join(Postcode, Postcode.lad_code == Area.lad_code)
            .where(Postcode.postcode == postcode))

    @cached_property
    def terms(self) -> list[dict]:
        """Every taxonomy term: the categories in their order, then the directory's own."""
        return [*(self.category_term(c) for c in self.categories),
                *(self.own_term(t) for t in OWN_TERMS)]

    @cached_property
    def _term_cache(self) -> dict[str, dict]:
        return {}

    def category_term(self, category: Category) -> dict:
        if category.uuid not in self._term_cache:
            self._term_cache[category.uuid] = self._describe_category(category)
        return self._term_cache[category.uuid]

    def _describe_category(self, category: Category) -> dict:
        parent = self._category_by_id.get(category.parent_id) if category.parent_id else None
        return _clean({
            "id": category.uuid,
            "code": category.id,
            "name": category.name,
            "description": category.description or category.name,
            "parent_id": parent.uuid if parent else None,
            "taxonomy": CATEGORIES.name,
            "taxonomy_id": CATEGORIES.id,
            "term_uri": url_for("public.category", category_id=category.id, _external=True),
        })

    def own_term(self, term: OwnTerm) -> dict:
        if term.id not in self._term_cache:
            self._term_cache[term.id] = self._describe_own_term(term)
        return self._term_cache[term.id]

    def _describe_own_term(self, term: OwnTerm) -> dict:
        parent = OWN_TERM_BY_CODE.get(term.parent_code) if term.parent_code else None
        return _clean({
            "id": term.id,
            "code": term.code,
            "name": term.name,
            "description": term.description,
            "parent_id": parent.id if parent else None,
            "taxonomy": DIRECTORY.name,
            "taxonomy_id": DIRECTORY.id,
            "term_uri": url_for("api.developers", _external=True) + "#" + term.anchor,
        })

    @cached_property
    def _children(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = {}
        for term in self.terms:
            if "parent_id" in term:
                children.setdefault(term["parent_id"], []).append(term["id"])
        return children

    def with_descendants(self, term_ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        pending = list(term_ids)
        while pending:
            term_id = pending.pop()
            if term_id not in found:
                found.add(term_id)
                pending.extend(self._children.get(term_id, ()))
        return found


# -- small helpers -----------------------------------------------------------------------

def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """The standard asks for empty optional fields to be left out, never null or ""."""
    return {key: value for key, value in values.items()
            if value is not None and not (isinstance(value, str | list | dict) and not value)}


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"


def _web_address(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _email(value: str | None) -> str | None:
    if not value or " " in value.strip() or value.count("@") != 1:
        return None
    return value.strip()


def _time_of_day(value: str) -> str:
    return value if value.count(":") == 2 else f"{value}:00"


def _split_address(address: str) -> tuple[str, str | None]:
    """"41 Hersham Road, Walton-on-Thames" -> ("41 Hersham Road", "Walton-on-Thames")."""
    parts = [part.strip() for part in (address or "").split(",") if part.strip()]
    if len(parts) < 2:
        return (parts[0] if parts else ""), None
    return ", ".join(parts[:-1]), parts[-1]


def service_modified(service: Service) -> datetime:
    """When anything the open data says about a service last changed, as far as is recorded."""
    moments = [service.updated_at, service.organisation.updated_at,
               *(waiting.recorded_at for waiting in service.waiting_times)]
    return max(moment for moment in moments if moment is not None)


def data_modified() -> datetime | None:
    """When any service, organisation or waiting time last changed (withdrawals included)."""
    moments = [
        db.session.scalar(select(func.max(Service.updated_at))),
        db.session.scalar(select(func.max(Organisation.updated_at))),
        db.session.scalar(select(func.max(WaitingTime.recorded_at))),
    ]
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


# -- describing objects ------------------------------------------------------------------

def api_details(openapi_url: str) -> dict:
    return {"version": VERSION, "profile": PROFILE, "openapi_url": openapi_url}


def organization_item(organisation: Organisation) -> dict:
    """An organisation's own one-to-one fields."""
    return _clean({
        "id": organisation.uuid,
        "name": organisation.name,
        "description": organisation.description or organisation.name,  # required by the schema
        "email": _email(organisation.email),
        "website": _web_address(organisation.website),
    })


def organization_document(organisation: Organisation, context: Context,
                          full_service: bool = False) -> dict:
    """The organisation with its published services: summaries, or fully nested."""
    services = sorted((s for s in organisation.services if s.is_published),
                      key=lambda s: (s.name, s.uuid))
    if full_service:
        nested = [_without_organization(service_document(s, context)) for s in services]
    else:
        nested = [service_item(s, with_organization=False) for s in services]
    phones = [{"id": stable_id(organisation.uuid, "phone"), "number": organisation.phone}] \
        if organisation.phone else []
    return {**organization_item(organisation), **_clean({"phones": phones, "services": nested})}


def _without_organization(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "organization"}


def service_item(service: Service, with_organization: bool = True) -> dict:
    """A service's own one-to-one fields, and its organisation: a list item."""
    return _clean({
        "id": service.uuid,
        "organization_id": service.organisation.uuid,
        "name": service.name,
        "description": service.description,
        "url": _web_address(service.contact_website),
        "email": _email(service.contact_email),
        "status": "active",  # only published services are ever described
        "minimum_age": service.age_min,
        "maximum_age": service.age_max,
        "assured_date": service.last_reviewed.isoformat() if service.last_reviewed else None,
        "last_modified": _timestamp(service_modified(service)),
        "organization": organization_item(service.organisation) if with_organization else None,
    })


def service_minimal(service: Service) -> dict:
    """Just enough to know what changed: `minimal=true`."""
    return {"id": service.uuid, "name": service.name, "status": "active",
            "last_modified": _timestamp(service_modified(service))}


def service_document(service: Service, context: Context) -> dict:
    """A service fully nested: what GET /services/{id} answers."""
    return {**service_item(service), **_clean({
        "schedules": [_schedule(service, schedule) for schedule in service.schedules],
        "service_areas": _service_areas(service, context),
        "service_at_locations": [
            service_at_location_of(location, location_document(location, context))
            for location in service.locations],
        "languages": _languages(service, context),
        "cost_options": _cost_options(service),
        "contacts": _contacts(service),
        "attributes": attributes_of(service, context),
    })}


def _schedule(service: Service, schedule: Schedule) -> dict:
    return _clean({
        "id": schedule.uuid,
        "service_id": service.uuid,
        "freq": "WEEKLY",
        "interval": 1,
        "byday": ",".join(BYDAY[day] for day in schedule.days if day in BYDAY),
        "opens_at": _time_of_day(schedule.opens),
        "closes_at": _time_of_day(schedule.closes),
        "description": schedule.note,
    })


def _service_areas(service: Service, context: Context) -> list[dict]:
    areas = context.areas if service.covers_all_areas else service.areas
    return [{
        "id": stable_id(service.uuid, "service-area", area.lad_code),
        "service_id": service.uuid,
        "name": area.name,
        "uri": ONS_AREA_URI.format(code=area.lad_code),
    } for area in areas]


def _languages(service: Service, context: Context) -> list[dict]:
    return [_clean({
        "id": stable_id(service.uuid, "language", code),
        "service_id": service.uuid,
        "code": code,
        "name": context.language_name(code),
    }) for code in service.languages]


def _cost_options(service: Service) -> list[dict]:
    option_id = stable_id(service.uuid, "cost-option")
    if service.free:
        return [_clean({"id": option_id, "service_id": service.uuid, "option": "Free",
                        "amount": 0, "amount_description": service.cost_note})]
    return [{"id": option_id, "service_id": service.uuid,
             "amount_description": service.cost_note or "There is a charge"}]


def _contacts(service: Service) -> list[dict]:
    phones = [{"id": stable_id(service.uuid, "phone"), "number": service.contact_phone}] \
        if service.contact_phone else []
    contact = _clean({"id": stable_id(service.uuid, "contact"), "service_id": service.uuid,
                      "email": _email(service.contact_email), "phones": phones})
    return [contact] if len(contact) > 2 else []


def own_term_values(service: Service) -> list[tuple[OwnTerm, str | None]]:
    """The directory's own terms that describe a service, with the value each carries."""
    found: list[tuple[OwnTerm, str | None]] = []

    def add(code: str, value: str | None = None) -> None:
        if code in OWN_TERM_BY_CODE:
            found.append((OWN_TERM_BY_CODE[code], value))

    add(f"access-route/{service.access}")
    for mode in service.delivery:
        add(f"delivery/{mode}")
    waiting = service.current_waiting_time
    if waiting is not None:
        add(f"waiting-time/{waiting.status}")
        if waiting.weeks is not None:
            add("waiting-time/weeks", str(waiting.weeks))
        add("waiting-time/confirmed-on", waiting.confirmed_on.isoformat())
        if waiting.note:
            add("waiting-time/note", waiting.note)
    return found


def attributes_of(service: Service, context: Context) -> list[dict]:
    def attribute(term: dict, value: str | None = None) -> dict:
        return _clean({
            "id": stable_id(service.uuid, "attribute", term["id"]),
            "link_id": service.uuid,
            "link_entity": "service",
            "taxonomy_term_id": term["id"],
            "taxonomy_term": term,
            "value": value,
        })

    return [*(attribute(context.category_term(category)) for category in service.categories),
            *(attribute(context.own_term(term), value) for term, value in own_term_values(service))]


def location_item(location: Location) -> dict:
    """A location's own one-to-one fields."""
    return _clean({
        "id": location.uuid,
        "location_type": "physical",
        "name": location.name,
        "latitude": location.latitude,
        "longitude": location.longitude,
    })


def location_document(location: Location, context: Context) -> dict:
    street, town = _split_address(location.address)
    address = {
        "id": stable_id(location.uuid, "address"),
        "location_id": location.uuid,
        "address_1": street or location.name,
        "city": town or context.district_of(location.postcode) or context.county,
        "state_province": context.county,
        "postal_code": location.postcode,
        "country": COUNTRY,
        "address_type": "physical",
    }
    return {**location_item(location), "addresses": [address]}


def service_at_location_id(location: Location) -> str:
    return stable_id("service-at-location", location.uuid)


def service_at_location_of(location: Location, nested_location: dict,
                         service: dict | None = None) -> dict:
    return _clean({
        "id": service_at_location_id(location),
        "service_id": location.service.uuid,
        "location_id": location.uuid,
        "location": nested_location,
        "service": service,
    })


def taxonomy_item(taxonomy: Taxonomy) -> dict:
    uri = url_for("api.developers", _external=True) + "#own-taxonomy" \
        if taxonomy is DIRECTORY else None
    return _clean({"id": taxonomy.id, "name": taxonomy.name, "description": taxonomy.description,
                   "uri": uri})
