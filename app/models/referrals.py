"""Self-referrals: what a family (or a professional for them) sent to a service, and every
step the referral has been through since."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.directory import Service, new_uuid, utcnow


class ReferrerType:
    PARENT = "parent"  # a parent or carer
    YOUNG_PERSON = "young-person"  # a young person (13 or over) referring themselves
    PROFESSIONAL = "professional"  # a school, health or other professional, for a family
    ALL = (PARENT, YOUNG_PERSON, PROFESSIONAL)


class ProfessionalKind:
    ALL = ("school", "health", "other")


class ReferralStatus:
    NEW = "new"
    OPENED = "opened"
    CONTACTED = "contacted"
    ACCEPTED = "accepted"
    WAITING_LIST = "waiting-list"
    DECLINED = "declined"
    CLOSED = "closed"
    ALL = (NEW, OPENED, CONTACTED, ACCEPTED, WAITING_LIST, DECLINED, CLOSED)
    # A decision (accepted, waiting list or declined) ends the 20-working-day clock.
    DECISIONS = (ACCEPTED, WAITING_LIST, DECLINED)
    UNDECIDED = (NEW, OPENED, CONTACTED)
    FINAL = (DECLINED, CLOSED)
    # Where a referral may go from each status; declined and closed are final. Waiting list
    # to waiting list is a new estimate.
    TRANSITIONS: dict[str, tuple[str, ...]] = {
        # A provider may tell the family they have read it, or go straight to a step.
        NEW: (OPENED, CONTACTED, ACCEPTED, WAITING_LIST, DECLINED, CLOSED),
        OPENED: (CONTACTED, ACCEPTED, WAITING_LIST, DECLINED, CLOSED),
        CONTACTED: (ACCEPTED, WAITING_LIST, DECLINED, CLOSED),
        WAITING_LIST: (WAITING_LIST, ACCEPTED, DECLINED, CLOSED),
        ACCEPTED: (CLOSED,),
        DECLINED: (),
        CLOSED: (),
    }


class Referral(db.Model):
    __tablename__ = "referral"
    id: Mapped[int] = mapped_column(primary_key=True)
    # The id in staff URLs: opaque, so neither counts nor neighbours can be read from it.
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    # Easy to read out on the phone, e.g. EH-7K4M-2Q.
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    # The journey's own random key: a double click, a refresh or a resend finds this row.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # SHA-256 of the tracker tokens; the tokens themselves are only ever in the links.
    family_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    referrer_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    referrer_type: Mapped[str] = mapped_column(String(20))
    # Everything the journey asked (see app/referrals/ for the keys).
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    # Lower-cased copies for the tracker's second way in and for subject access.
    contact_email: Mapped[str | None] = mapped_column(String(254), index=True)
    referrer_email: Mapped[str | None] = mapped_column(String(254), index=True)
    # The family agreed that a professional referrer hears how it goes.
    referrer_may_follow: Mapped[bool] = mapped_column(default=False)
    # The privacy notice agreed to at the point of collection.
    consent_given: Mapped[bool] = mapped_column(default=False)
    privacy_notice_version: Mapped[str] = mapped_column(String(40))
    consent_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default=ReferralStatus.NEW, index=True)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    opened_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the provider and the partnership were told it was late (once each).
    open_overdue_at: Mapped[datetime | None]
    decision_overdue_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None] = mapped_column(index=True)

    service: Mapped[Service] = relationship()
    events: Mapped[list["ReferralEvent"]] = relationship(
        back_populates="referral", order_by="ReferralEvent.id", cascade="all, delete-orphan")

    @property
    def latest_event(self) -> "ReferralEvent | None":
        return self.events[-1] if self.events else None


class ReferralEvent(db.Model):
    """One step in a referral's history: rows are only added."""

    __tablename__ = "referral_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20))
    # "family", "referrer" or "system", or a signed-in user's email (user_id says which).
    actor: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None]
    # The step's details: expected_start, estimate_weeks, reason, reason_text, suggestion,
    # outcome, note.
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    referral: Mapped[Referral] = relationship(back_populates="events")
