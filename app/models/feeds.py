"""Other directories' Open Referral UK feeds, and the listings this directory took from them.

A listing with a FeedListing row is maintained by its feed: pulls rewrite it, nothing
else here does. A listing without one is this directory's own, and no pull ever touches it.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.directory import Service, utcnow


class Approval:
    AWAITING = "awaiting"
    APPROVED = "approved"
    REJECTED = "rejected"
    ALL = (AWAITING, APPROVED, REJECTED)


class Feed(db.Model):
    __tablename__ = "feed"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    # False: new services wait for an admin's approval before they are public.
    publish_at_once: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the last successful pull started: the next one asks for changes after it.
    pulled_at: Mapped[datetime | None]
    # When the full list of ids was last read (the only way to notice deletions).
    full_list_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(db.Text)
    last_error_at: Mapped[datetime | None]

    listings: Mapped[list["FeedListing"]] = relationship(back_populates="feed")


class FeedListing(db.Model):
    """Provenance: which feed a listing came from, its id there, and when it was pulled."""

    __tablename__ = "feed_listing"
    __table_args__ = (UniqueConstraint("feed_id", "remote_id"),)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id"), index=True)
    remote_id: Mapped[str] = mapped_column(String(100))
    # The feed's own status for it (active, inactive, defunct, temporarily closed), or
    # "vanished" when a full list of ids no longer has it.
    remote_status: Mapped[str] = mapped_column(String(30))
    remote_modified: Mapped[str | None] = mapped_column(String(40))
    approval: Mapped[str] = mapped_column(String(20), default=Approval.AWAITING)
    digest: Mapped[str] = mapped_column(String(64))
    pulled_at: Mapped[datetime] = mapped_column(default=utcnow)

    feed: Mapped[Feed] = relationship(back_populates="listings")
    service: Mapped[Service] = relationship()
