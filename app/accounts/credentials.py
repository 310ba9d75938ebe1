"""Accounts: passwords (argon2id), the second factor (TOTP and recovery codes), lockout,
sign-in rate limits, invitations and password resets.

Nothing here says whether an email address has an account: unknown address, wrong
password and locked account all fail the same way.
"""

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select

from app.accounts.audit import record_event
from app.extensions import db
from app.models.accounts import AccountToken, RecoveryCode, Role, TokenPurpose, User
from app.models.audit import AuditEvent
from app.models.directory import Organisation, utcnow

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256  # long passphrases are welcome; this only stops abuse
RECOVERY_CODE_COUNT = 10

_hasher = PasswordHasher()  # argon2id with the library's recommended costs
# Verifying against this when there is no such user takes as long as a real check, so
# timing does not tell whether an address has an account.
_DUMMY_HASH = _hasher.hash("not a real password")


# -- passwords ------------------------------------------------------------------------

def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn carries the 30,000 most common passwords from real breaches.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, email: str = "") -> str | None:
    """What is wrong with a new password, in words for the person choosing it."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 3:
        return "That password is too common. Try three random words together"
    if email and lowered == email.lower():
        return "Password must not be your email address"
    if _guessable(password, email):
        return ("That password would be easy to guess: a common word with numbers or symbols "
                "added is still common. Try three or four random words together")
    return None


# zxcvbn refuses longer input; its estimate for the first 72 characters is a lower bound.
_ZXCVBN_MAX = 72
MIN_ZXCVBN_SCORE = 3  # "safely unguessable": about 10^8 guesses or more


def _guessable(password: str, email: str) -> bool:
    """zxcvbn's estimate, beyond the exact word list: it sees "Password123!" and
    "Qwerty123!" for the common passwords they are."""
    from zxcvbn import zxcvbn

    hints = [part for part in re.split(r"[@.\-_+]", email.lower()) if part]
    return zxcvbn(password[:_ZXCVBN_MAX], user_inputs=hints)["score"] < MIN_ZXCVBN_SCORE


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.failed_signins = 0
    user.locked_until = None
    user.session_version += 1  # other sessions end


# -- signing in -------------------------------------------------------------------------

@dataclass
class SignInResult:
    user: User | None = None
    rate_limited: bool = False


def _recent_failures_from(address: str | None, now: datetime) -> int:
    window = now - timedelta(minutes=current_app.config["SIGNIN_RATE_WINDOW_MINUTES"])
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "signin.failed",
            # Matches a missing address too, or the limit would never apply to one.
            AuditEvent.address.is_not_distinct_from(address),
            AuditEvent.at >= window)
    ) or 0


def check_password_sign_in(email: str, password: str, address: str | None,
                           now: datetime | None = None) -> SignInResult:
    """The first factor. Commits the outcome (failure counts and the audit log)."""
    now = now or utcnow()
    if _recent_failures_from(address, now) >= current_app.config["SIGNIN_RATE_LIMIT"]:
        record_event("signin.refused", actor=email[:254], detail={"reason": "rate limit"})
        db.session.commit()
        return SignInResult(rate_limited=True)
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    password_ok = _verify(user.password_hash if user else None, password)
    locked = user is not None and is_locked(user, now)
    if user is None or not user.active or locked or not password_ok:
        if user is not None and not locked:
            _count_failure(user, now)
        record_event("signin.failed", actor=email.strip().lower()[:254],
                     detail={"reason": "locked" if locked else "credentials"})
        db.session.commit()
        return SignInResult()
    # The failure count is cleared only once the second factor is done too (complete_sign_in):
    # otherwise the password alone would reset the count of wrong codes.
    db.session.commit()
    return SignInResult(user=user)


def _count_failure(user: User, now: datetime) -> None:
    """Too many failures in a row lock the account for a while, whatever the address."""
    config = current_app.config
    user.failed_signins += 1
    if user.failed_signins >= config["SIGNIN_LOCKOUT_FAILURES"]:
        user.locked_until = now + timedelta(minutes=config["SIGNIN_LOCKOUT_MINUTES"])
        user.failed_signins = 0
        record_event("account.locked", actor=user.email, subject_type="user", subject_id=user.id)


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def complete_sign_in(user: User) -> None:
    user.last_signin_at = utcnow()
    user.failed_signins = 0
    user.locked_until = None
    record_event("signin.succeeded", actor=user.email, subject_type="user", subject_id=user.id)
    db.session.commit()


def sign_out(user: User) -> None:
    user.session_version += 1
    record_event("signout", actor=user.email, subject_type="user", subject_id=user.id)
    db.session.commit()


# -- the second factor ------------------------------------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["TOTP_ISSUER"])


def _digits(code: str) -> str:
    """The code's letters and digits, as ASCII (NFKC turns full-width digits into 0-9);
    anything else is dropped, so a stray "é" makes a wrong code, not an error."""
    code = unicodedata.normalize("NFKC", code)
    return "".join(character for character in code if character.isascii() and character.isalnum()).upper()


def check_totp(secret: str, code: str, last_step: int | None,
               at: datetime | None = None) -> int | None:
    """The time step a code belongs to (this one or either neighbour, for clock drift),
    or None. A step at or before `last_step` was used already."""
    totp = pyotp.TOTP(secret)
    code = _digits(code)
    when = at or datetime.now()
    for offset in (0, -1, 1):
        step = totp.timecode(when) + offset
        if last_step is not None and step <= last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def confirm_totp(user: User, secret: str, code: str) -> list[str] | None:
    """Turns the second factor on once the user proves their app has the secret.
    Returns the new recovery codes (shown once), or None when the code is wrong."""
    step = check_totp(secret, code, None)
    if step is None:
        return None
    user.totp_secret = secret
    user.totp_enabled = True
    user.totp_last_step = step
    codes = new_recovery_codes(user)
    record_event("account.2fa-enabled", actor=user.email, subject_type="user", subject_id=user.id)
    db.session.commit()
    return codes


def _code_hash(code: str) -> str:
    return hashlib.sha256(_digits(code).encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    codes = ["-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(2))
             for _ in range(RECOVERY_CODE_COUNT)]
    user.recovery_codes = [RecoveryCode(code_hash=_code_hash(code)) for code in codes]
    return codes


def check_second_factor(user: User, code: str) -> bool:
    """An authenticator code or an unused recovery code; either works once. Commits.
    Refused while the account is locked (too many wrong codes lock it, as wrong passwords do)."""
    if is_locked(user):
        record_event("signin.failed", actor=user.email, detail={"reason": "locked"})
        db.session.commit()
        return False
    step = check_totp(user.totp_secret or "", code, user.totp_last_step) if user.totp_secret else None
    if step is not None:
        user.totp_last_step = step
        db.session.commit()
        return True
    wanted = _code_hash(code)
    for recovery in user.recovery_codes:
        if recovery.used_at is None and secrets.compare_digest(recovery.code_hash, wanted):
            recovery.used_at = utcnow()
            record_event("account.recovery-code-used", actor=user.email, subject_type="user",
                         subject_id=user.id)
            db.session.commit()
            return True
    _count_failure(user, utcnow())
    record_event("signin.failed", actor=user.email, detail={"reason": "second factor"})
    db.session.commit()
    return False


def unused_recovery_codes(user: User) -> int:
    return sum(1 for code in user.recovery_codes if code.used_at is None)


# -- emailed links: invitations and resets ----------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, purpose: str, lifetime: timedelta) -> str:
    """A new link token; earlier unused tokens for the same purpose stop working."""
    now = utcnow()
    for old in db.session.scalars(select(AccountToken).where(
            AccountToken.user_id == user.id, AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None))):
        old.used_at = now
    token = secrets.token_urlsafe(32)
    db.session.add(AccountToken(purpose=purpose, token_hash=_token_hash(token), user=user,
                                expires_at=now + lifetime))
    return token


def find_token(token: str, purpose: str, now: datetime | None = None) -> AccountToken | None:
    """A token that exists, is for this purpose, is unused and has not expired."""
    found = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == _token_hash(token)))
    if (found is None or found.purpose != purpose or found.used_at is not None
            or found.expires_at <= (now or utcnow()) or not found.user.active):
        return None
    return found


def use_token(found: AccountToken) -> None:
    found.used_at = utcnow()


def invite_user(email: str, *, role: str, organisation_ids: list[str], invited_by: User | None,
                name: str = "") -> tuple[User, str]:
    """Creates the account (no password yet) and its invitation link token. The caller
    queues the email and commits."""
    if role not in Role.ALL:
        raise ValueError(f"unknown role {role!r}")
    user = User(email=email.strip().lower(), name=name.strip(), role=role)
    user.organisations = [db.session.get(Organisation, slug) for slug in organisation_ids]
    db.session.add(user)
    db.session.flush()
    token = issue_token(user, TokenPurpose.INVITATION,
                        timedelta(days=current_app.config["INVITATION_DAYS"]))
    record_event("user.invited", subject_type="user", subject_id=user.id,
                 detail={"email": user.email, "role": role, "organisations": organisation_ids},
                 actor=invited_by.email if invited_by else "command line")
    return user, token


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))
