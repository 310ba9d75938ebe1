"""People who sign in: provider staff, who act for their organisations' services, and
partnership admins. Accounts are made by invitation; nobody signs up."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.directory import Organisation, Service, new_uuid, utcnow


class Role:
    PROVIDER = "provider"
    ADMIN = "admin"
    ALL = (PROVIDER, ADMIN)


membership = Table(
    "membership",
    db.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
)


class User(db.Model):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    # The id in staff URLs: opaque, so neither counts nor neighbours can be read from it.
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default=Role.PROVIDER)
    # None until the invitation is accepted.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # The second factor: an authenticator app's shared secret, once confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    totp_last_step: Mapped[int | None]  # a code is accepted once only
    failed_signins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    # Bumped at sign-out, password change and disabling: every older session ends.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_signin_at: Mapped[datetime | None]

    organisations: Mapped[list[Organisation]] = relationship(
        secondary=membership, order_by=Organisation.name
    )
    recovery_codes: Mapped[list["RecoveryCode"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def organisation_ids(self) -> set[str]:
        return {organisation.id for organisation in self.organisations}

    def can_act_for(self, service: Service) -> bool:
        """Providers act only for their own organisations' services. Admins approve and
        oversee, but the inbox and listings belong to providers, so they are not special
        here."""
        return service.organisation_id in self.organisation_ids


class RecoveryCode(db.Model):
    """Single-use codes for a lost phone, shown once and stored hashed."""

    __tablename__ = "recovery_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class TokenPurpose:
    INVITATION = "invitation"
    PASSWORD_RESET = "password-reset"
    ALL = (INVITATION, PASSWORD_RESET)


class AccountToken(db.Model):
    """An emailed link that expires and works once. Only its hash is stored."""

    __tablename__ = "account_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
