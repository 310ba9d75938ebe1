"""Referrals: submitting one, following it, moving it through its statuses, flagging the
late ones, anonymising old ones, and finding everything held about one family.

Functions that change something commit: the referral, its history, its audit events and
its emails (the outbox) go in one transaction, so either all of it is kept or none.

The answers a referral keeps (what the journey in app/web/referrals/ collects):

    referrer_type      "parent" | "young-person" | "professional"
    language           the page language at submit; family emails are written in it
    family_agreed      professional only: the family agreed to the referral (always True)
    referrer           professional only: {kind, name, role, organisation, email}
    referrer_may_follow  professional only: the family agreed the referrer hears how it goes
    child              {first_name, age (int or None), date_of_birth (ISO date or None)}
    need               free text, at most 1,000 characters
    details            {language, adjustments, other_support}: optional
    contact            {name, phone, email, safe_times, leave_message (bool or None)}
    consent            {agreed: True, version, at (ISO time, UTC)}
"""

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext, lazy_gettext
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.audit import record_event
from app.extensions import db
from app.models.directory import Service, utcnow
from app.models.notifications import Notification
from app.models.referrals import Referral, ReferralEvent, ReferralStatus, ReferrerType
from app.notifications.outbox import queue_email
from app.referrals import emails
from app.referrals.contact import normalise_email

# No 0/O, 1/I/L, U: nothing that reads or sounds like something else on the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PATTERN = re.compile(rf"^EH-[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{2}}$")
NEED_MAX = 1000
TEXT_MAX = 1000
OPEN_WITHIN_WORKING_DAYS = 5
DECIDE_WITHIN_WORKING_DAYS = 20

# Why a service says no, and how a referral ended: short lists the tracker words plainly.
DECLINE_REASONS = {
    "not-eligible": lazy_gettext("The service is not for the child or family's situation"),
    "outside-area": lazy_gettext("The family lives outside the area the service covers"),
    "other-service": lazy_gettext("Another service is better placed to help"),
    "not-taking-referrals": lazy_gettext("The service is not taking new referrals at the moment"),
    "no-contact": lazy_gettext("The service could not get in touch with the family"),
    "other": lazy_gettext("Another reason"),
}
CLOSE_OUTCOMES = {
    "support-completed": lazy_gettext("The support has finished"),
    "family-withdrew": lazy_gettext("The family decided not to go ahead"),
    "no-contact": lazy_gettext("The service could not get in touch with the family"),
    "referred-elsewhere": lazy_gettext("The family was referred to another service"),
    "other": lazy_gettext("Closed for another reason"),
}


class ReferralError(Exception):
    pass


class InvalidTransition(ReferralError):
    """The referral cannot go to that status from where it is (or it changed meanwhile)."""


class InvalidDetails(ReferralError):
    """A status change lacks a detail it needs, or has one it should not."""


class IncompleteAnswers(ReferralError):
    pass


@dataclass
class Submitted:
    referral: Referral
    created: bool  # False: this submission key had already made it (a double submit)


# -- references and tokens ------------------------------------------------------------

def new_reference() -> str:
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
    return f"EH-{code[:4]}-{code[4:]}"


def normalise_reference(text: str) -> str | None:
    """'eh 7k4m 2q', 'EH7K4M2Q' or '7K4M-2Q' → 'EH-7K4M-2Q'; None when it cannot be one."""
    cleaned = re.sub(r"[^A-Z0-9]", "", (text or "").upper())
    if len(cleaned) == 8 and cleaned.startswith("EH"):
        cleaned = cleaned[2:]
    if len(cleaned) != 6 or any(ch not in REFERENCE_ALPHABET for ch in cleaned):
        return None
    return f"EH-{cleaned[:4]}-{cleaned[4:]}"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- submitting ------------------------------------------------------------------------

def find_by_submission_key(submission_key: str) -> Referral | None:
    return db.session.scalar(select(Referral).where(Referral.submission_key == submission_key))


def submit(service: Service, answers: dict[str, Any], *, submission_key: str, family_token: str,
           referrer_token: str | None = None, now: datetime | None = None) -> Submitted:
    """Saves a referral with its history, audit event and emails in one transaction.

    The same submission key twice (a double click, a refresh, a resend, two requests at
    once) gives the one referral it made. Anything that fails leaves nothing behind.
    """
    existing = find_by_submission_key(submission_key)
    if existing is not None:
        return Submitted(existing, created=False)
    _check_complete(answers)
    for _ in range(5):
        try:
            referral = _create(service, answers, submission_key, family_token, referrer_token,
                               now or utcnow())
            db.session.commit()
            return Submitted(referral, created=True)
        except IntegrityError:
            db.session.rollback()
            existing = find_by_submission_key(submission_key)
            if existing is not None:  # another request with the same key won the race
                return Submitted(existing, created=False)
            # Otherwise the reference was taken (about 1 in 10⁸): draw another.
        except BaseException:
            db.session.rollback()
            raise
    raise ReferralError("Could not find a free reference")


def _check_complete(answers: dict[str, Any]) -> None:
    referrer_type = answers.get("referrer_type")
    contact = answers.get("contact") or {}
    consent = answers.get("consent") or {}
    missing = [name for name, ok in (
        ("referrer_type", referrer_type in ReferrerType.ALL),
        ("child", bool((answers.get("child") or {}).get("first_name"))),
        ("need", bool(answers.get("need"))),
        ("contact", bool(contact.get("phone") or contact.get("email"))),
        ("consent", consent.get("agreed") is True and consent.get("version") and consent.get("at")),
        ("referrer", referrer_type != ReferrerType.PROFESSIONAL
         or (answers.get("family_agreed") is True and (answers.get("referrer") or {}).get("email"))),
    ) if not ok]
    if missing:
        raise IncompleteAnswers(", ".join(missing))


def _create(service: Service, answers: dict[str, Any], submission_key: str, family_token: str,
            referrer_token: str | None, now: datetime) -> Referral:
    referrer_type = answers["referrer_type"]
    professional = referrer_type == ReferrerType.PROFESSIONAL
    contact_email = normalise_email(answers["contact"].get("email"))
    referrer_email = normalise_email(answers["referrer"]["email"]) if professional else None
    consent = answers["consent"]
    kept = {key: value for key, value in answers.items() if key != "consent"}
    referral = Referral(
        reference=new_reference(), service=service, submission_key=submission_key,
        # A professional's family can follow only through the link emailed to them.
        family_token_hash=(token_hash(family_token)
                           if contact_email or not professional else None),
        referrer_token_hash=token_hash(referrer_token) if professional and referrer_token else None,
        referrer_type=referrer_type, answers=kept, contact_email=contact_email,
        referrer_email=referrer_email,
        referrer_may_follow=professional and answers.get("referrer_may_follow") is True,
        consent_given=True, privacy_notice_version=str(consent["version"])[:40],
        consent_at=datetime.fromisoformat(consent["at"]).replace(tzinfo=None),
        status=ReferralStatus.NEW, submitted_at=now, updated_at=now)
    db.session.add(referral)
    db.session.flush()  # the reference and submission key are checked here
    submitter = "referrer" if professional else "family"
    referral.events.append(ReferralEvent(status=ReferralStatus.NEW, actor=submitter, at=now))
    record_event("referral.submitted", subject_type="referral", subject_id=referral.id,
                 actor=submitter, detail={"reference": referral.reference, "service": service.id})
    emails.queue_submitted_emails(referral, family_token, referrer_token)
    return referral


# -- following a referral ---------------------------------------------------------------

def find_by_token(token: str) -> tuple[Referral, str] | None:
    """The referral a tracker link opens, and who holds it: "family" or "referrer"."""
    if not token or len(token) > 100:
        return None
    hashed = token_hash(token)
    referral = db.session.scalar(
        select(Referral).where(or_(Referral.family_token_hash == hashed,
                                   Referral.referrer_token_hash == hashed),
                               Referral.anonymised_at.is_(None)))
    if referral is None:
        return None
    return referral, "family" if referral.family_token_hash == hashed else "referrer"


# A link emailed on request to a family whose referral a professional made: it works for
# this many days. Signed, not stored: nothing to purge, and it stops with the referral.
EMAILED_LINK_DAYS = 7
_EMAILED_LINK_SALT = "referral-tracker-link"


def _link_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_EMAILED_LINK_SALT)


def email_family_link(referral: Referral) -> Notification:
    """Queues a fresh tracker link to the family's own address (committed by the caller).
    Used when the reference and the family's address are typed in for a referral a
    professional made: the professional knows both, and must not see the family's view."""
    signed = _link_signer().dumps({"referral": referral.id})
    return queue_email(
        referral.contact_email, gettext("A link to follow referral %(ref)s", ref=referral.reference),
        "\n".join([
            gettext("Someone asked to follow referral %(ref)s using this email address.",
                    ref=referral.reference), "",
            gettext("To see what is happening with it, open this link within %(days)d days "
                    "(keep it to yourself):", days=EMAILED_LINK_DAYS),
            emails.page_link("referrals.track_emailed", signed=signed), "",
            gettext("If you did not ask for it, you can ignore this email."),
        ]),
        kind="referral.link", referral=referral,
        key=f"{referral.reference}:link:{secrets.token_hex(6)}")


def find_by_emailed_link(signed: str) -> Referral | None:
    """The referral an emailed link opens (for the family), while it is fresh."""
    try:
        payload = _link_signer().loads(signed, max_age=EMAILED_LINK_DAYS * 86400)
    except BadData:
        return None
    referral = get(payload.get("referral")) if isinstance(payload, dict) and \
        isinstance(payload.get("referral"), int) else None
    if referral is None or referral.anonymised_at is not None or not referral.contact_email:
        return None
    return referral


def find_by_reference(reference: str, email: str) -> tuple[Referral, str] | None:
    """The second way in: the reference and the email address given with it."""
    normalised, wanted = normalise_reference(reference), normalise_email(email)
    if normalised is None or not wanted:
        return None
    referral = db.session.scalar(select(Referral).where(Referral.reference == normalised,
                                                        Referral.anonymised_at.is_(None)))
    if referral is None:
        return None
    # As bytes: compare_digest refuses str with non-ASCII characters (sám@…, Олена@…).
    if referral.contact_email and secrets.compare_digest(referral.contact_email.encode(), wanted.encode()):
        return referral, "family"
    if referral.referrer_email and secrets.compare_digest(referral.referrer_email.encode(), wanted.encode()):
        return referral, "referrer"
    return None


def get(referral_id: int) -> Referral | None:
    return db.session.scalar(select(Referral).where(Referral.id == referral_id)
                             .options(selectinload(Referral.events)))


def referrals_for_services(service_ids: Iterable[str], *, statuses: Iterable[str] | None = None
                           ) -> list[Referral]:
    """For the provider's inbox: newest first, anonymised ones left out."""
    query = (select(Referral).where(Referral.service_id.in_(list(service_ids)),
                                    Referral.anonymised_at.is_(None))
             .order_by(Referral.submitted_at.desc(), Referral.id.desc()))
    if statuses is not None:
        query = query.where(Referral.status.in_(list(statuses)))
    return list(db.session.scalars(query))


def _actor(user: Any) -> tuple[str, int | None]:
    """A signed-in user (anything with .id and .email) or a name: "family", "referrer",
    "system"."""
    if isinstance(user, str):
        return user, None
    return str(getattr(user, "email", "unknown")), getattr(user, "id", None)


def record_view(referral: Referral, *, user: Any) -> None:
    """Audit one view of a referral (the tracker's, or a provider's) and commit."""
    actor, _ = _actor(user)
    record_event("referral.viewed", subject_type="referral", subject_id=referral.id, actor=actor,
                 detail={"reference": referral.reference})
    db.session.commit()


def record_export(referrals: Iterable[Referral], *, user: Any, what: str) -> None:
    """Audit an export (a download, a print, a subject-access request) and commit."""
    actor, _ = _actor(user)
    for referral in referrals:
        record_event("referral.exported", subject_type="referral", subject_id=referral.id,
                     actor=actor, detail={"reference": referral.reference, "what": what})
    db.session.commit()


def open_for_provider(referral: Referral, *, user: Any) -> None:
    """A provider reads a referral (a GET): audited, and the first read sets opened_at, which
    oversight and the overdue reminders count. Nothing the family sees changes and no email
    is sent: that follows an explicit step (a POST), "opened" among them."""
    if referral.opened_at is None:
        # Only if still unset: a colleague's read at the same moment keeps its time.
        db.session.execute(update(Referral).where(Referral.id == referral.id,
                                                  Referral.opened_at.is_(None))
                           .values(opened_at=utcnow()).execution_options(synchronize_session=False))
        db.session.expire(referral, ["opened_at"])
    record_view(referral, user=user)


# -- statuses ----------------------------------------------------------------------------

def allowed_next(referral: Referral) -> tuple[str, ...]:
    if referral.anonymised_at is not None:
        return ()
    return ReferralStatus.TRANSITIONS.get(referral.status, ())


def change_status(referral: Referral, new_status: str, *, user: Any, **details: Any) -> ReferralEvent:
    """Moves a referral on, records who did it and why, tells the family (and the referrer,
    if the family agreed), and commits.

    Details by status: accepted: expected_start (date); waiting-list: estimate_weeks
    (1–104), note; declined: reason (a DECLINE_REASONS key), reason_text (needed for
    "other"), suggestion (where to go instead); closed: outcome (a CLOSE_OUTCOMES key),
    note; contacted: note. Raises InvalidTransition or InvalidDetails.
    """
    old_status = referral.status
    if new_status not in allowed_next(referral):
        raise InvalidTransition(f"{referral.reference}: {old_status} cannot become {new_status}")
    clean = _check_details(new_status, details)
    actor, user_id = _actor(user)
    now = utcnow()
    values: dict[str, Any] = {"status": new_status, "updated_at": now}
    if referral.opened_at is None:
        values["opened_at"] = now
    if new_status in ReferralStatus.DECISIONS and referral.decided_at is None:
        values["decided_at"] = now
    if new_status == ReferralStatus.CLOSED:
        values["closed_at"] = now
    # Only from the status the caller saw: two people acting at once cannot both win.
    changed = db.session.execute(
        update(Referral).where(Referral.id == referral.id, Referral.status == old_status,
                               Referral.anonymised_at.is_(None))
        .values(**values).execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        db.session.rollback()
        raise InvalidTransition(f"{referral.reference} changed meanwhile")
    db.session.expire(referral, list(values))  # read back from the row just updated
    event = ReferralEvent(referral_id=referral.id, status=new_status, actor=actor, user_id=user_id,
                          details=clean, at=now)
    db.session.add(event)
    db.session.flush()
    record_event("referral.status_changed", subject_type="referral", subject_id=referral.id,
                 actor=actor, detail={"reference": referral.reference, "from": old_status,
                                      "to": new_status})
    emails.queue_update_emails(referral, event)
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    db.session.expire(referral)
    return event


def _check_details(status: str, details: dict[str, Any]) -> dict[str, Any]:
    allowed = {
        ReferralStatus.OPENED: set(),
        ReferralStatus.CONTACTED: {"note"},
        ReferralStatus.ACCEPTED: {"expected_start", "note"},
        ReferralStatus.WAITING_LIST: {"estimate_weeks", "note"},
        ReferralStatus.DECLINED: {"reason", "reason_text", "suggestion"},
        ReferralStatus.CLOSED: {"outcome", "note"},
    }[status]
    unknown = set(details) - allowed
    if unknown:
        raise InvalidDetails(f"not for {status}: {', '.join(sorted(unknown))}")
    clean: dict[str, Any] = {}
    for name in ("note", "reason_text", "suggestion"):
        text = (details.get(name) or "").strip()
        if len(text) > TEXT_MAX:
            raise InvalidDetails(f"{name} is longer than {TEXT_MAX} characters")
        if text:
            clean[name] = text
    if status == ReferralStatus.ACCEPTED:
        start = details.get("expected_start")
        if isinstance(start, str):
            try:
                start = date.fromisoformat(start)
            except ValueError:
                start = None
        if not isinstance(start, date):
            raise InvalidDetails("expected_start: give the date the help is expected to start")
        clean["expected_start"] = start.isoformat()
    if status == ReferralStatus.WAITING_LIST:
        weeks = details.get("estimate_weeks")
        if not isinstance(weeks, int) or isinstance(weeks, bool) or not 1 <= weeks <= 104:
            raise InvalidDetails("estimate_weeks: a whole number of weeks from 1 to 104")
        clean["estimate_weeks"] = weeks
    if status == ReferralStatus.DECLINED:
        if details.get("reason") not in DECLINE_REASONS:
            raise InvalidDetails(f"reason: one of {', '.join(DECLINE_REASONS)}")
        clean["reason"] = details["reason"]
        if details["reason"] == "other" and not clean.get("reason_text"):
            raise InvalidDetails("reason_text: say why, when the reason is 'other'")
        if not clean.get("suggestion"):
            raise InvalidDetails("suggestion: say where the family could go instead")
    if status == ReferralStatus.CLOSED:
        if details.get("outcome") not in CLOSE_OUTCOMES:
            raise InvalidDetails(f"outcome: one of {', '.join(CLOSE_OUTCOMES)}")
        clean["outcome"] = details["outcome"]
    return clean
