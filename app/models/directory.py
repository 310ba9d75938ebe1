"""The directory: areas, categories, organisations and the services they offer.

Aligned with Open Referral UK / HSDS 3.0: every organisation, service and location has a
stable UUID for the open-data API besides the slug that services.yml and URLs use.
"""

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import JSON, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dates import today_in_england
from app.extensions import db

SLUG = String(100)


# UUIDs derived from slugs stay the same when a directory is rebuilt from services.yml,
# so consumers of the open data keep their references.
DIRECTORY_NAMESPACE = uuid.UUID("6f1c4b0e-1d2a-5c3b-9e4f-5a6b7c8d9e0f")


def stable_uuid(kind: str, key: str) -> str:
    return str(uuid.uuid5(DIRECTORY_NAMESPACE, f"{kind}:{key}"))


def new_uuid() -> str:
    return str(uuid.uuid4())


_uuid = new_uuid


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class ServiceKind:
    COUNCIL = "council"
    COMMISSIONED = "commissioned"
    COMMUNITY = "community"
    SCHOOL = "school"
    ALL = (COUNCIL, COMMISSIONED, COMMUNITY, SCHOOL)


class AccessRoute:
    DROP_IN = "drop-in"
    SELF_REFERRAL = "self-referral"
    PROFESSIONAL_REFERRAL = "professional-referral"
    ALL = (DROP_IN, SELF_REFERRAL, PROFESSIONAL_REFERRAL)


class DeliveryMode:
    ALL = ("in-person", "online", "phone", "home-visit")


class ListingStatus:
    """Only published listings are public; the others keep their history."""

    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    ALL = (PUBLISHED, WITHDRAWN)


class WaitingStatus:
    OPEN = "open"
    WAITLIST = "waitlist"
    CLOSED = "closed"
    ALL = (OPEN, WAITLIST, CLOSED)


class DirectorySettings(db.Model):
    """The `directory:` block of services.yml: one row."""

    __tablename__ = "directory_settings"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    area: Mapped[str] = mapped_column(String(100))
    safeguarding: Mapped[str] = mapped_column(db.Text)


class Area(db.Model):
    """A district or borough, joined to postcodes by its ONS code."""

    __tablename__ = "area"
    id: Mapped[str] = mapped_column(SLUG, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    lad_code: Mapped[str] = mapped_column(String(9), unique=True)
    # Towns, villages and neighbourhoods in the area, as families write them.
    places: Mapped[list[str]] = mapped_column(JSON, default=list)


class SearchWord(db.Model):
    """The partnership's own search vocabulary: when a phrase in `words` is in a search,
    search also looks for the English words in `means` (services.yml `search_words`)."""

    __tablename__ = "search_word"
    id: Mapped[str] = mapped_column(SLUG, primary_key=True)
    lang: Mapped[str] = mapped_column(String(2), default="en")
    words: Mapped[list[str]] = mapped_column(JSON, default=list)
    means: Mapped[list[str]] = mapped_column(JSON, default=list)
    # When an admin last changed it in the site, and when an import last wrote it: an
    # import does not undo a change made in the site after it.
    changed_in_site_at: Mapped[datetime | None] = mapped_column()
    imported_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Category(db.Model):
    """A need in the two-level taxonomy (DfE Family Hubs service categories)."""

    __tablename__ = "category"
    id: Mapped[str] = mapped_column(SLUG, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=_uuid)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(db.Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("category.id"))
    position: Mapped[int] = mapped_column(default=0)

    parent: Mapped["Category | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Category"]] = relationship(
        back_populates="parent", order_by="Category.position"
    )


class Organisation(db.Model):
    __tablename__ = "organisation"
    id: Mapped[str] = mapped_column(SLUG, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=_uuid)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(db.Text)
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    services: Mapped[list["Service"]] = relationship(back_populates="organisation")


service_category = Table(
    "service_category",
    db.metadata,
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("category.id"), primary_key=True),
)

service_area = Table(
    "service_area",
    db.metadata,
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("area.id"), primary_key=True),
)


class Service(db.Model):
    __tablename__ = "service"
    id: Mapped[str] = mapped_column(SLUG, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=_uuid)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(db.Text)
    kind: Mapped[str] = mapped_column(String(20))
    access: Mapped[str] = mapped_column(String(30))
    # Eligibility
    age_min: Mapped[int | None]
    age_max: Mapped[int | None]
    eligibility_description: Mapped[str | None] = mapped_column(db.Text)
    # Cost
    free: Mapped[bool] = mapped_column(default=True)
    cost_note: Mapped[str] = mapped_column(db.Text, default="")
    delivery: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Contact for the public, and where new self-referrals are announced
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_website: Mapped[str | None] = mapped_column(String(500))
    referral_email: Mapped[str | None] = mapped_column(String(254))
    # `areas: [all]`: covers the whole county, whatever areas exist
    covers_all_areas: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=ListingStatus.PUBLISHED, index=True)
    last_reviewed: Mapped[date] = mapped_column(default=today_in_england)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="services")
    categories: Mapped[list[Category]] = relationship(
        secondary=service_category, order_by=Category.position
    )
    areas: Mapped[list[Area]] = relationship(secondary=service_area, order_by=Area.name)
    locations: Mapped[list["Location"]] = relationship(
        back_populates="service", order_by="Location.position", cascade="all, delete-orphan"
    )
    schedules: Mapped[list["Schedule"]] = relationship(
        back_populates="service", order_by="Schedule.position", cascade="all, delete-orphan"
    )
    waiting_times: Mapped[list["WaitingTime"]] = relationship(
        back_populates="service",
        order_by=lambda: [WaitingTime.confirmed_on, WaitingTime.id],
        cascade="all, delete-orphan",
    )

    @property
    def is_published(self) -> bool:
        return self.status == ListingStatus.PUBLISHED

    @property
    def current_waiting_time(self) -> "WaitingTime | None":
        """The latest confirmed estimate; the history is kept in `waiting_times`."""
        return self.waiting_times[-1] if self.waiting_times else None


class Location(db.Model):
    __tablename__ = "location"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=_uuid)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    postcode: Mapped[str] = mapped_column(String(8))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    # True when the coordinates were given in services.yml, not taken from the postcode,
    # so that export writes back exactly what the file said.
    coordinates_given: Mapped[bool] = mapped_column(default=False)

    service: Mapped[Service] = relationship(back_populates="locations")


class Schedule(db.Model):
    """Regular opening times: a set of days with one opening and closing time."""

    __tablename__ = "schedule"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=_uuid)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    days: Mapped[list[str]] = mapped_column(JSON)
    opens: Mapped[str] = mapped_column(String(5))
    closes: Mapped[str] = mapped_column(String(5))
    note: Mapped[str | None] = mapped_column(db.Text)

    service: Mapped[Service] = relationship(back_populates="schedules")


class WaitingTime(db.Model):
    """One confirmation of a service's wait. Rows are only added, never changed."""

    __tablename__ = "waiting_time"
    __table_args__ = (UniqueConstraint("service_id", "confirmed_on", "recorded_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    weeks: Mapped[int | None]
    confirmed_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(db.Text)
    source: Mapped[str] = mapped_column(String(20), default="import")  # import | provider
    recorded_by: Mapped[str | None] = mapped_column(String(254))  # who, for a provider update
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    service: Mapped[Service] = relationship(back_populates="waiting_times")

    def age_in_days(self, today: date) -> int:
        return (today - self.confirmed_on).days
