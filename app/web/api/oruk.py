"""The directory in Open Referral UK terms (HSDS-UK 3.0): finding published listings and
describing them as the standard's objects.

Read-only and public: only published services appear, with the organisations, locations and
taxonomy terms they bring. Referral addresses, waiting-time sources, search records and
anything about people are never part of what is described here.

Identifiers are the models' stable UUIDs. Objects the models keep no row for (addresses,
service areas, contacts, attributes, the two taxonomies and the directory's own terms) get
fixed UUIDs made with uuid5 from NAMESPACE, so they too stay the same between requests and
imports. Optional fields with no value are left out: the standard never sees null or "".
"""

import json
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from babel import Locale
from flask import url_for
from geopy.distance import great_circle
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from app import search
from app.directory import listings
from app.extensions import db
from app.models import (
    AccessRoute,
    Area,
    Category,
    DeliveryMode,
    ListingStatus,
    Location,
    Organisation,
    Postcode,
    Schedule,
    Service,
    WaitingStatus,
    WaitingTime,
)
from app.places import postcodes

VERSION = "HSDS-UK-3.0"
# The value the ORUK validator's own example of a valid `/` response gives.
PROFILE = "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"
# uuid5(NAMESPACE_URL, "urn:surrey-family-support-directory:open-referral-uk"). Never change it:
# every derived identifier in the open data would change with it.
NAMESPACE = uuid.UUID("0abac27d-8b0d-579e-9c6d-a9ae180d040f")
ONS_AREA_URI = "http://statistics.data.gov.uk/id/statistical-geography/{code}"
COUNTRY = "GB"
SEARCH_PAGE_SIZE = 200
BYDAY = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU"}


def stable_id(*parts: str) -> str:
    """A UUID that is the same every time for the same parts."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


class BadFilter(ValueError):
    """A request parameter that is well formed but cannot be used, such as an unknown postcode."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


# -- taxonomies --------------------------------------------------------------------------

@dataclass(frozen=True)
class Taxonomy:
    key: str
    name: str
    description: str

    @property
    def id(self) -> str:
        return stable_id("taxonomy", self.key)


@dataclass(frozen=True)
class OwnTerm:
    """A term of the directory's own taxonomy. `code` is "group" or "group/value"."""

    code: str
    name: str
    description: str

    @property
    def id(self) -> str:
        return stable_id("taxonomy-term", self.code)

    @property
    def parent_code(self) -> str | None:
        return self.code.rpartition("/")[0] or None

    @property
    def anchor(self) -> str:
        return "term-" + self.code.replace("/", "-")


CATEGORIES = Taxonomy(
    "dfe-family-hubs-service-categories", "DfE Family Hubs service categories",
    "The Department for Education's Family Hubs service categories, as this directory uses "
    "them: top-level categories of help and the subcategories within them.")
DIRECTORY = Taxonomy(
    "directory-service-details", "Family support directory service details",
    "How families get help from a service, how the help is given and how long the wait is: "
    "what the Open Referral UK standard has no field for. Terms with a value (the wait in "
    "weeks, the date it was confirmed, a note) carry it in the attribute's `value`.")

OWN_TERMS: tuple[OwnTerm, ...] = (
    OwnTerm("access-route", "How to get help", "How a family gets help from the service."),
    OwnTerm(f"access-route/{AccessRoute.DROP_IN}", "Drop-in",
            "Families can go along without a referral or an appointment."),
    OwnTerm(f"access-route/{AccessRoute.SELF_REFERRAL}", "Self-referral",
            "Families can ask the service for help themselves."),
    OwnTerm(f"access-route/{AccessRoute.PROFESSIONAL_REFERRAL}", "Professional referral",
            "A professional such as a teacher, GP or health visitor asks for help on the "
            "family's behalf."),
    OwnTerm("delivery", "How help is given", "The ways the service gives its help."),
    OwnTerm("delivery/in-person", "In person", "Help is given face to face, at a venue."),
    OwnTerm("delivery/online", "Online", "Help is given online, for example by video call."),
    OwnTerm("delivery/phone", "By phone", "Help is given by phone."),
    OwnTerm("delivery/home-visit", "Home visits", "Help is given at the family's home."),
    OwnTerm("waiting-time", "Waiting time",
            "How long families wait for help, as the service last confirmed it."),
    OwnTerm(f"waiting-time/{WaitingStatus.OPEN}", "Taking referrals now",
            "The service is taking new referrals and has no waiting list."),
    OwnTerm(f"waiting-time/{WaitingStatus.WAITLIST}", "Waiting list",
            "The service is taking new referrals, with a waiting list."),
    OwnTerm(f"waiting-time/{WaitingStatus.CLOSED}", "Not taking new referrals",
            "The service is not taking new referrals at the moment."),
    OwnTerm("waiting-time/weeks", "Wait in weeks",
            "The usual wait, in whole weeks; the attribute's value is the number of weeks."),
    OwnTerm("waiting-time/confirmed-on", "Waiting time confirmed on",
            "When the service last confirmed its waiting time; the attribute's value is the "
            "date (YYYY-MM-DD)."),
    OwnTerm("waiting-time/note", "Waiting time note",
            "What the service says about its wait; the attribute's value is the note."),
)
OWN_TERM_BY_CODE = {term.code: term for term in OWN_TERMS}
TAXONOMIES = (CATEGORIES, DIRECTORY)
assert all(f"access-route/{route}" in OWN_TERM_BY_CODE for route in AccessRoute.ALL)
assert all(f"delivery/{mode}" in OWN_TERM_BY_CODE for mode in DeliveryMode.ALL)
assert all(f"waiting-time/{status}" in OWN_TERM_BY_CODE for status in WaitingStatus.ALL)


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
            _service_at_location(location, location_document(location, context))
            for location in service.locations],
        "languages": _languages(service, context),
        "cost_options": _cost_options(service),
        "contacts": _contacts(service),
        "attributes": _attributes(service, context),
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


def _attributes(service: Service, context: Context) -> list[dict]:
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


def _service_at_location(location: Location, nested_location: dict,
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


# -- finding -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Paging:
    page: int = 1
    per_page: int = 20
    everything: bool = False  # one unpaginated answer (format=ndjson)

    def cut(self, items: Sequence) -> list:
        if self.everything:
            return list(items)
        start = (self.page - 1) * self.per_page
        return list(items[start:start + self.per_page])


@dataclass
class Listing:
    """One page of a list endpoint."""

    contents: list[dict]
    total: int
    paging: Paging

    def envelope(self) -> dict:
        per_page = self.paging.per_page if not self.paging.everything else max(self.total, 1)
        number = self.paging.page if not self.paging.everything else 1
        total_pages = math.ceil(self.total / per_page)
        return {
            "total_items": self.total,
            "total_pages": total_pages,
            "page_number": number,
            "size": len(self.contents),
            "first_page": number == 1,
            "last_page": number >= total_pages,
            "empty": not self.contents,
            "contents": self.contents,
        }


@dataclass
class ServiceFilters:
    """The filters /services and /service_at_locations share. They combine with AND."""

    search: str = ""
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: datetime | None = None
    minimum_age: float | None = None
    maximum_age: float | None = None


@dataclass
class TermFilters:
    search: str = ""
    taxonomy_id: str | None = None
    parent_id: str | None = None
    top_only: bool = False


_SUMMARY_LOADERS = (selectinload(Service.organisation), selectinload(Service.waiting_times))
_FULL_LOADERS = (*_SUMMARY_LOADERS, selectinload(Service.categories), selectinload(Service.areas),
                 selectinload(Service.locations), selectinload(Service.schedules))


def _published_ids() -> Select:
    return select(Service.id).where(Service.status == ListingStatus.PUBLISHED)


def matching_service_ids(filters: ServiceFilters, context: Context) -> list[str]:
    """Published services that pass every filter, ranked by the site's search when there is
    search text, otherwise by name."""
    query = _published_ids()
    if filters.organization_id:
        query = query.where(Service.organisation.has(Organisation.uuid == filters.organization_id))
    if filters.modified_after is not None:
        since = filters.modified_after
        query = query.where(or_(
            Service.updated_at >= since,
            Service.organisation.has(Organisation.updated_at >= since),
            Service.waiting_times.any(WaitingTime.recorded_at >= since)))
    if filters.minimum_age is not None:  # the UK profile: a minimum age of at least this
        query = query.where(func.coalesce(Service.age_min, 0) >= filters.minimum_age)
    if filters.maximum_age is not None:  # and a maximum age of at most this
        query = query.where(Service.age_max.is_not(None), Service.age_max <= filters.maximum_age)
    ids = list(db.session.scalars(query.order_by(Service.name, Service.uuid)))

    if filters.taxonomy_term_id:
        allowed = _services_with_terms(context.with_descendants([filters.taxonomy_term_id]),
                                       context)
        ids = [service_id for service_id in ids if service_id in allowed]
    if filters.taxonomy_id:
        allowed = _services_with_terms(_taxonomy_term_ids(filters.taxonomy_id, context), context)
        ids = [service_id for service_id in ids if service_id in allowed]
    if filters.search.strip():
        rank = {service_id: n for n, service_id in enumerate(_ranked_by_search(filters.search))}
        ids = sorted((service_id for service_id in ids if service_id in rank), key=rank.__getitem__)
    return ids


def _ranked_by_search(text: str) -> list[str]:
    """Every service the site's search finds for this text, best first."""
    criteria = search.Criteria(text=text)
    ranked: list[str] = []
    page = 1
    while True:
        outcome, _degraded = search.search(criteria, page, SEARCH_PAGE_SIZE)
        ranked.extend(hit.service_id for hit in outcome.hits)
        if not outcome.hits or len(ranked) >= outcome.total or page * SEARCH_PAGE_SIZE >= outcome.total:
            return ranked
        page += 1


def _taxonomy_term_ids(taxonomy_id: str, context: Context) -> set[str]:
    return {term["id"] for term in context.terms if term["taxonomy_id"] == taxonomy_id}


def _services_with_terms(term_ids: set[str], context: Context) -> set[str]:
    """Published services that carry any of these terms."""
    category_ids = [category.id for category in context.categories if category.uuid in term_ids]
    own_terms = {term for term in OWN_TERMS if term.id in term_ids}
    found: set[str] = set()
    if category_ids:
        found.update(db.session.scalars(
            _published_ids().where(Service.categories.any(Category.id.in_(category_ids)))))
    if own_terms:
        services = db.session.scalars(
            select(Service).where(Service.status == ListingStatus.PUBLISHED)
            .options(selectinload(Service.waiting_times)))
        found.update(service.id for service in services
                     if own_terms & {term for term, _ in own_term_values(service)})
    return found


def _load_services(ids: Sequence[str], loaders: Sequence) -> list[Service]:
    if not ids:
        return []
    found = {service.id: service for service in db.session.scalars(
        select(Service).where(Service.id.in_(list(ids))).options(*loaders))}
    return [found[service_id] for service_id in ids if service_id in found]


def services(filters: ServiceFilters, paging: Paging, detail: str, context: Context) -> Listing:
    """detail: "item" (one-to-one fields), "full" (fully nested) or "minimal"."""
    ids = matching_service_ids(filters, context)
    page = _load_services(paging.cut(ids), _FULL_LOADERS if detail == "full" else _SUMMARY_LOADERS)
    describe = {"full": lambda s: service_document(s, context), "minimal": service_minimal}.get(
        detail, service_item)
    return Listing([describe(service) for service in page], len(ids), paging)


def service(service_uuid: str, context: Context) -> tuple[dict, datetime] | None:
    found = db.session.scalar(
        select(Service).where(Service.uuid == service_uuid,
                              Service.status == ListingStatus.PUBLISHED).options(*_FULL_LOADERS))
    if found is None:
        return None
    return service_document(found, context), service_modified(found)


def _published_organisations(text: str = "") -> Select:
    query = select(Organisation).where(
        Organisation.services.any(Service.status == ListingStatus.PUBLISHED))
    words = text.strip().lower()
    if words:
        query = query.where(or_(func.lower(Organisation.name).contains(words, autoescape=True),
                                func.lower(Organisation.description).contains(words, autoescape=True)))
    return query


def organizations(text: str, paging: Paging, nested: str, context: Context) -> Listing:
    """nested: "none" (one-to-one fields), "services" (service summaries) or "full_service"."""
    ids = list(db.session.scalars(_published_organisations(text).with_only_columns(Organisation.id)
                                  .order_by(Organisation.name, Organisation.uuid)))
    page_ids = paging.cut(ids)
    loaders = [selectinload(Organisation.services).selectinload(Service.waiting_times)]
    if nested == "full_service":
        loaders = [selectinload(Organisation.services).options(*(
            selectinload(getattr(Service, name)) for name in
            ("waiting_times", "categories", "areas", "locations", "schedules")))]
    found = {o.id: o for o in db.session.scalars(
        select(Organisation).where(Organisation.id.in_(page_ids)).options(*loaders))} if page_ids else {}
    page = [found[organisation_id] for organisation_id in page_ids if organisation_id in found]
    if nested == "none":
        contents = [organization_item(o) for o in page]
    else:
        contents = [organization_document(o, context, nested == "full_service") for o in page]
    return Listing(contents, len(ids), paging)


def organization(organisation_uuid: str, full_service: bool, context: Context) -> dict | None:
    found = db.session.scalar(_published_organisations().where(
        Organisation.uuid == organisation_uuid))
    return organization_document(found, context, full_service) if found else None


def _matches_text(document: dict, text: str) -> bool:
    words = text.strip().casefold()
    return not words or any(words in str(document.get(key, "")).casefold()
                            for key in ("name", "description", "code"))


def taxonomies(text: str, paging: Paging) -> Listing:
    found = [taxonomy_item(t) for t in TAXONOMIES]
    found = [document for document in found if _matches_text(document, text)]
    return Listing(paging.cut(found), len(found), paging)


def taxonomy(taxonomy_id: str, context: Context) -> dict | None:
    for candidate in TAXONOMIES:
        if candidate.id == taxonomy_id:
            terms = [term for term in context.terms if term["taxonomy_id"] == candidate.id]
            return {**taxonomy_item(candidate), "taxonomy_terms": terms}
    return None


def taxonomy_terms(filters: TermFilters, paging: Paging, context: Context) -> Listing:
    found = [term for term in context.terms
             if _matches_text(term, filters.search)
             and (not filters.taxonomy_id or term["taxonomy_id"] == filters.taxonomy_id)
             and (not filters.parent_id or term.get("parent_id") == filters.parent_id)
             and (not filters.top_only or "parent_id" not in term)]
    return Listing(paging.cut(found), len(found), paging)


def taxonomy_term(term_id: str, context: Context) -> dict | None:
    return next((term for term in context.terms if term["id"] == term_id), None)


@dataclass(frozen=True)
class Near:
    """Where to measure from, for /service_at_locations."""

    place: postcodes.Place
    district: Area | None  # the postcode's district, when it is one of ours
    proximity: float | None = None  # metres

    def distance(self, location: Location) -> float | None:
        if location.latitude is None or location.longitude is None:
            return None
        return great_circle((self.place.latitude, self.place.longitude),
                            (location.latitude, location.longitude)).meters


def near(postcode: str, proximity: float | None) -> Near | None:
    """Raises BadFilter when the postcode is not a postcode, is unknown, or is missing."""
    if not postcode.strip():
        if proximity is not None:
            raise BadFilter("proximity", "proximity needs a postcode to measure from")
        return None
    try:
        place = postcodes.lookup(postcode)
    except postcodes.InvalidPostcode:
        raise BadFilter("postcode", "postcode must be a UK postcode or outcode, "
                                    f"such as GU21 6XX: '{postcode.strip()[:20]}' is not") from None
    if place is None:
        raise BadFilter("postcode", f"postcode {postcode.strip()[:20]} was not found")
    district = postcodes.area_for(place) if place.lad_code else postcodes.area_for_outcode(place.outcode)
    return Near(place, district, proximity)


def service_at_locations(filters: ServiceFilters, where: Near | None, paging: Paging, full: bool,
                         context: Context) -> Listing:
    """Locations of the matching services; near a postcode, the nearest first.

    With a postcode alone, only services that cover the postcode's district; with a proximity
    too, only locations within that many metres of the postcode's centre."""
    ids = matching_service_ids(filters, context)
    rank = {service_id: n for n, service_id in enumerate(ids)}
    locations = [location for location in db.session.scalars(
        select(Location).join(Service).where(Service.status == ListingStatus.PUBLISHED))
        if location.service_id in rank]
    placed: list[tuple[tuple, Location]] = []
    if where is not None and where.proximity is None:
        covering = _services_covering(where.district)
        locations = [loc for loc in locations if loc.service_id in covering]
    for loc in locations:
        order: tuple = (rank[loc.service_id], loc.position, loc.uuid)
        if where is not None:
            distance = where.distance(loc)
            if where.proximity is not None and (distance is None or distance > where.proximity):
                continue
            order = (distance is None, distance or 0.0, *order)
        placed.append((order, loc))
    placed.sort(key=lambda pair: pair[0])
    page = paging.cut([loc for _, loc in placed])
    services_by_id = {s.id: s for s in _load_services(list({loc.service_id for loc in page}),
                                                      _SUMMARY_LOADERS)}
    contents = []
    for location in page:
        nested = location_document(location, context) if full else location_item(location)
        contents.append(_service_at_location(location, nested,
                                             service_item(services_by_id[location.service_id])))
    return Listing(contents, len(placed), paging)


def _services_covering(district: Area | None) -> set[str]:
    if district is None:
        return set()
    return set(db.session.scalars(_published_ids().where(or_(
        Service.covers_all_areas.is_(True), Service.areas.any(Area.id == district.id)))))


def service_at_location(sal_id: str, context: Context) -> tuple[dict, datetime] | None:
    locations = db.session.scalars(
        select(Location).join(Service).where(Service.status == ListingStatus.PUBLISHED))
    found = next((loc for loc in locations if service_at_location_id(loc) == sal_id), None)
    if found is None:
        return None
    owner = _load_services([found.service_id], _SUMMARY_LOADERS)[0]
    document = _service_at_location(found, location_document(found, context), service_item(owner))
    return document, service_modified(owner)


def developer_examples(context: Context) -> dict | None:
    """Real ids and answers for the examples on the page for developers: None before any import."""
    query = select(Service).where(Service.status == ListingStatus.PUBLISHED).options(*_FULL_LOADERS)
    example = db.session.scalar(query.where(Service.locations.any(), Service.categories.any(),
                                            Service.waiting_times.any())
                                .order_by(Service.name, Service.uuid).limit(1)) \
        or db.session.scalar(query.order_by(Service.name, Service.uuid).limit(1))
    if example is None:
        return None
    page = services(ServiceFilters(), Paging(1, 1), "item", context).envelope()
    for item in page["contents"]:
        if len(item.get("description", "")) > 80:
            item["description"] = item["description"][:80].rsplit(" ", 1)[0] + " …"
    attributes = [attribute for attribute in _attributes(example, context)
                  if attribute["taxonomy_term"]["taxonomy_id"] == DIRECTORY.id]
    category = example.categories[0] if example.categories else None
    location = example.locations[0] if example.locations else None
    return {
        "service_name": example.name,
        "service_id": example.uuid,
        "organization_id": example.organisation.uuid,
        "category": context.category_term(category) if category else None,
        "postcode": location.postcode if location else None,
        "page_json": json.dumps(page, indent=2, ensure_ascii=False),
        "attributes_json": json.dumps(attributes[:3], indent=2, ensure_ascii=False),
    }
