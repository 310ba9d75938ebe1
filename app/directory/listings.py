"""What the public pages show: published listings by area, category and id."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import yaml
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import search
from app.extensions import db
from app.models import Area, Category, DirectorySettings, ListingStatus, Service

_LISTING_LOADERS = (
    selectinload(Service.organisation),
    selectinload(Service.categories),
    selectinload(Service.areas),
    selectinload(Service.locations),
    selectinload(Service.waiting_times),
)


PLACEHOLDER_SETTINGS = {"name": "Family Support Directory", "area": "your area",
                        "safeguarding": "If a child is in immediate danger, call 999."}
# The settings this process last read, for pages shown while the database is unreachable.
_last_known: dict[str, str] = {}


def directory_settings() -> DirectorySettings:
    """The directory's name and safeguarding message; a placeholder before any import."""
    settings = db.session.scalar(select(DirectorySettings))
    if settings is None:
        return DirectorySettings(**PLACEHOLDER_SETTINGS)
    _last_known.update(name=settings.name, area=settings.area, safeguarding=settings.safeguarding)
    return settings


def offline_directory_settings() -> SimpleNamespace:
    """The name and safeguarding message without the database: as this process last read
    them, else from the services file, else the placeholder."""
    if _last_known:
        return SimpleNamespace(**_last_known)
    try:
        text = Path(current_app.config["SERVICES_FILE"]).read_text(encoding="utf-8")
        block = (yaml.safe_load(text) or {}).get("directory") or {}
        found = {key: " ".join(str(block[key]).split()) for key in PLACEHOLDER_SETTINGS if block.get(key)}
    except (OSError, yaml.YAMLError, AttributeError):
        found = {}
    return SimpleNamespace(**{**PLACEHOLDER_SETTINGS, **found})


def published() -> select:
    return select(Service).where(Service.status == ListingStatus.PUBLISHED)


def get_published_service(service_id: str) -> Service | None:
    return db.session.scalar(
        published().where(Service.id == service_id).options(
            *_LISTING_LOADERS, selectinload(Service.schedules)))


def published_with_details(service_ids: list[str]) -> list[Service]:
    return list(db.session.scalars(
        published().where(Service.id.in_(service_ids))
        .options(*_LISTING_LOADERS, selectinload(Service.schedules))))


def all_areas() -> list[Area]:
    return list(db.session.scalars(select(Area).order_by(Area.name)))


def get_area(area_id: str) -> Area | None:
    return db.session.get(Area, area_id)


def top_level_categories() -> list[Category]:
    return list(db.session.scalars(
        select(Category).where(Category.parent_id.is_(None)).order_by(Category.position)
        .options(selectinload(Category.children))))


def get_category(category_id: str) -> Category | None:
    return db.session.get(Category, category_id)


@dataclass
class AreaListings:
    local: list[Service]  # services that name this area
    county_wide: list[Service]  # services covering every area


def services_in_area(area: Area) -> AreaListings:
    local = db.session.scalars(
        published().where(Service.areas.any(Area.id == area.id))
        .options(*_LISTING_LOADERS).order_by(Service.name))
    county_wide = db.session.scalars(
        published().where(Service.covers_all_areas.is_(True))
        .options(*_LISTING_LOADERS).order_by(Service.name))
    return AreaListings(list(local), list(county_wide))


def services_in_category(category: Category) -> list[Service]:
    """A top-level category lists the services of all its subcategories too."""
    ids = [category.id, *(child.id for child in category.children)]
    return list(db.session.scalars(
        published().where(Service.categories.any(Category.id.in_(ids)))
        .options(*_LISTING_LOADERS).order_by(Service.name)))


def is_stale(confirmed_on: date, today: date, stale_days: int) -> bool:
    return (today - confirmed_on).days > stale_days


@dataclass
class FilterChoices:
    """The values each search filter can take, with their display names."""

    areas: dict[str, str]
    categories: dict[str, str]
    languages: list[str]


def filter_choices() -> FilterChoices:
    areas = {area.id: area.name for area in all_areas()}
    categories = {c.id: c.name for c in db.session.scalars(select(Category).order_by(Category.position))}
    return FilterChoices(areas, categories, search.languages_offered())


@dataclass
class ResultRow:
    service: Service
    distance_miles: float | None
    covers_district: bool


@dataclass
class ResultsPage:
    rows: list[ResultRow]
    total: int
    number: int
    page_count: int


def results_page(outcome, number: int, size: int) -> ResultsPage:
    """The page of search hits the search returned, with their services loaded in order."""
    total = outcome.total
    page_count = max(1, -(-total // size))
    hits = outcome.hits
    services = {s.id: s for s in db.session.scalars(
        published().where(Service.id.in_([hit.service_id for hit in hits]))
        .options(*_LISTING_LOADERS))}
    rows = [ResultRow(services[hit.service_id], hit.distance_miles, hit.covers_district)
            for hit in hits if hit.service_id in services]
    return ResultsPage(rows, total, number, page_count)


def county_wide_services(limit: int) -> list[Service]:
    return list(db.session.scalars(
        published().where(Service.covers_all_areas.is_(True))
        .options(*_LISTING_LOADERS).order_by(Service.name).limit(limit)))
