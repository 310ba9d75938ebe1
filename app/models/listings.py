"""Keeping listings right: changes proposed by providers and decided by the partnership,
every version of every listing, reminders to confirm a listing, and reports of problems
from the public."""

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.directory import Organisation, Service, new_uuid, utcnow


class ChangeStatus:
    PENDING = "pending"
    APPROVED = "approved"
    PARTLY_APPROVED = "partly-approved"  # some fields published, the others refused
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # the provider proposed again before a decision
    ALL = (PENDING, APPROVED, PARTLY_APPROVED, REJECTED, SUPERSEDED)
    DECIDED = (APPROVED, PARTLY_APPROVED, REJECTED)


class ListingChange(db.Model):
    """A provider's proposed edit of a listing (or a new listing, when service_id is None).

    `base` is the listing as it was when the change was proposed and `proposed` the whole
    listing as the provider wants it, both as field -> value (see services/listing_changes),
    so the diff is what the provider changed even if the listing moves on meanwhile.
    """

    __tablename__ = "listing_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    # The id in staff URLs: opaque, so neither counts nor neighbours can be read from it.
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True)
    # Whose it is: decides who may see it, also for a new service that has no id yet.
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    proposed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    proposed_by: Mapped[str] = mapped_column(String(254))  # readable after the user is gone
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    reason: Mapped[str] = mapped_column(db.Text)  # why, in the provider's words
    status: Mapped[str] = mapped_column(String(20), default=ChangeStatus.PENDING, index=True)
    base: Mapped[dict | None] = mapped_column(JSON)  # None for a new service
    proposed: Mapped[dict] = mapped_column(JSON)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)  # the fields that differ
    decisions: Mapped[dict] = mapped_column(JSON, default=dict)  # field -> approved | rejected
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    reviewed_by: Mapped[str | None] = mapped_column(String(254))
    reviewed_at: Mapped[datetime | None]
    review_reason: Mapped[str | None] = mapped_column(db.Text)  # required for anything refused

    service: Mapped[Service | None] = relationship()
    organisation: Mapped[Organisation] = relationship()

    @property
    def is_new_service(self) -> bool:
        return self.base is None

    @property
    def title(self) -> str:
        return self.service.name if self.service is not None else self.proposed.get("name", "")


class ListingVersion(db.Model):
    """One version of a listing: the whole listing in the services.yml shape (as export
    writes it), so that restoring it goes through the import's checks and writing."""

    __tablename__ = "listing_version"
    __table_args__ = (UniqueConstraint("service_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # initial | outside (an import) | edit | new | restore | confirmed
    source: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(254))  # who changed it
    approved_by: Mapped[str | None] = mapped_column(String(254))  # who published an edit
    reason: Mapped[str] = mapped_column(db.Text, default="")  # why
    change_id: Mapped[int | None] = mapped_column(ForeignKey("listing_change.id", ondelete="SET NULL"))
    restored_from: Mapped[int | None]  # the version number a restore put back


class ReminderKind:
    REVIEW = "review"
    WAITING_TIME = "waiting-time"


class ReviewReminder(db.Model):
    """A reminder emailed about one listing's review (or its waiting time): one per
    review date, so the reminder goes once, and the grace period runs from when it went."""

    __tablename__ = "review_reminder"
    __table_args__ = (UniqueConstraint("service_id", "kind", "subject_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # The last_reviewed date (or the waiting time's confirmed_on) the reminder was about.
    subject_date: Mapped[date]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_to: Mapped[list[str]] = mapped_column(JSON, default=list)


class FeedbackKind:
    CLOSED = "closed"
    PHONE = "phone"
    WAIT = "wait"
    OTHER = "other"
    ALL = (CLOSED, PHONE, WAIT, OTHER)


class FeedbackStatus:
    OPEN = "open"
    RESOLVED = "resolved"
    ALL = (OPEN, RESOLVED)


class Feedback(db.Model):
    """"Report a problem with this page", from a member of the public. No personal data is
    asked for; the text is shown only to the provider and the partnership."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    # The id in staff URLs: opaque, so neither counts nor neighbours can be read from it.
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(db.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(20), default=FeedbackStatus.OPEN, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    resolved_by: Mapped[str | None] = mapped_column(String(254))
    resolved_at: Mapped[datetime | None]
    resolution_note: Mapped[str | None] = mapped_column(db.Text)

    service: Mapped[Service] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status == FeedbackStatus.OPEN
