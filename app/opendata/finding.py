"""Finding published listings for the Open Referral UK API: paging, filters, search and distance."""


import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from geopy.distance import great_circle
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import ServiceUnavailable

from app import search
from app.extensions import db
from app.models import (
    Area,
    Category,
    FeedListing,
    ListingStatus,
    Location,
    Organisation,
    Service,
    WaitingTime,
)
from app.opendata.mapping import (
    Context,
    attributes_of,
    location_document,
    location_item,
    organization_document,
    organization_item,
    own_term_values,
    service_at_location_id,
    service_at_location_of,
    service_document,
    service_item,
    service_minimal,
    service_modified,
    taxonomy_item,
)
from app.opendata.terms import DIRECTORY, OWN_TERMS, SEARCH_PAGE_SIZE, TAXONOMIES, BadFilter
from app.places import postcodes

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


def _ours_published() -> ColumnElement[bool]:
    """Published and this directory's own: a listing taken from another directory's feed
    is that directory's to publish (and two directories pulling each other must not loop)."""
    return and_(Service.status == ListingStatus.PUBLISHED,
                Service.id.not_in(select(FeedListing.service_id)))


def _published_ids() -> Select:
    return select(Service.id).where(_ours_published())


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
            select(Service).where(_ours_published())
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
                              _ours_published()).options(*_FULL_LOADERS))
    if found is None:
        return None
    return service_document(found, context), service_modified(found)


def _published_organisations(text: str = "") -> Select:
    query = select(Organisation).where(
        Organisation.services.any(_ours_published()))
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
    except postcodes.PlaceLookupUnavailable:
        raise ServiceUnavailable("The geocoder that places this postcode did not answer in time: "
                                 "try again in a few minutes, or give the postcode's district") from None
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
        select(Location).join(Service).where(_ours_published()))
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
        contents.append(service_at_location_of(location, nested,
                                             service_item(services_by_id[location.service_id])))
    return Listing(contents, len(placed), paging)


def _services_covering(district: Area | None) -> set[str]:
    if district is None:
        return set()
    return set(db.session.scalars(_published_ids().where(or_(
        Service.covers_all_areas.is_(True), Service.areas.any(Area.id == district.id)))))


def service_at_location(sal_id: str, context: Context) -> tuple[dict, datetime] | None:
    locations = db.session.scalars(
        select(Location).join(Service).where(_ours_published()))
    found = next((loc for loc in locations if service_at_location_id(loc) == sal_id), None)
    if found is None:
        return None
    owner = _load_services([found.service_id], _SUMMARY_LOADERS)[0]
    document = service_at_location_of(found, location_document(found, context), service_item(owner))
    return document, service_modified(owner)


def developer_examples(context: Context) -> dict | None:
    """Real ids and answers for the examples on the page for developers: None before any import."""
    query = select(Service).where(_ours_published()).options(*_FULL_LOADERS)
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
    attributes = [attribute for attribute in attributes_of(example, context)
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
