"""What people look for, kept for the partnership to see where help is missing.

Nothing personal: the words searched, the filters, and only the outcode of a postcode.
"""

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.directory import utcnow


class SearchRecord(db.Model):
    __tablename__ = "search_record"
    # For the partnership's oversight pages: each district's searches over a period, and the
    # words searched over a period, each with how many found nothing, read from an index
    # alone (the second lets the database group by words without sorting a year of rows).
    __table_args__ = (
        Index("ix_search_record_district_searched_at", "district", "searched_at", "result_count"),
        Index("ix_search_record_terms_searched_at", "terms", "searched_at", "result_count"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    searched_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    terms: Mapped[str] = mapped_column(String(200), default="")
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    outcode: Mapped[str | None] = mapped_column(String(4), index=True)
    district: Mapped[str | None] = mapped_column(String(100), index=True)  # the outcode's district
    result_count: Mapped[int]


class ActivityKind:
    SERVICE_VIEW = "service-view"  # a service's public page was shown
    REFERRAL_STARTED = "referral-started"  # a referral journey began (past the safeguarding page)
    ALL = (SERVICE_VIEW, REFERRAL_STARTED)


class ActivityCount(db.Model):
    """How often something happened for one service on one day (in England): the steps
    before a referral that leave no other trace. Only a number, never who or when in the day."""

    __tablename__ = "activity_count"
    __table_args__ = (UniqueConstraint("day", "kind", "service_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(20))
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    count: Mapped[int] = mapped_column(default=0)
