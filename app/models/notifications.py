"""The outbox: emails written in the same transaction as the change they announce, and sent
afterwards (app/notifications/outbox.py), so a message is never lost nor sent for a change that
was rolled back."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.directory import new_uuid, utcnow

if TYPE_CHECKING:
    from app.models.referrals import Referral


class Notification(db.Model):
    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    # The id in staff URLs: opaque, so neither counts nor neighbours can be read from it.
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(db.Text)
    kind: Mapped[str] = mapped_column(String(40), index=True)  # e.g. "referral.receipt"
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    # The same key twice is one message (e.g. "EH-7K4M-2Q:receipt:family").
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    # Due from then; while a sender holds it, this is the end of its lease.
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(db.Text)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    # Given up (MAIL_MAX_ATTEMPTS refusals, or temporary failures for MAIL_RETRY_WINDOW_HOURS):
    # stays here for an admin to see and retry.
    failed_at: Mapped[datetime | None]

    referral: Mapped["Referral | None"] = relationship()

    @property
    def state(self) -> str:
        if self.sent_at:
            return "sent"
        return "failed" if self.failed_at else "queued"
