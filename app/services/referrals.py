"""Referrals: submitting one, following it, moving it through its statuses, flagging the
late ones, anonymising old ones, and finding everything held about one family.

Functions that change something commit: the referral, its history, its audit events and
its emails (the outbox) go in one transaction, so either all of it is kept or none.

The answers a referral keeps (what the journey in app/referrals/ collects):

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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext, lazy_gettext
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from app.extensions import db
from app.models.audit import AuditEvent
from app.models.directory import Service, utcnow
from app.models.notifications import Notification
from app.models.referrals import Referral, ReferralEvent, ReferralStatus, ReferrerType
from app.services import working_days
from app.services.audit import record_event
from app.services.links import public_url
from app.services.outbox import queue_email

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


@dataclass
class Overdue:
    referral: Referral
    kind: str  # "open" (not opened in 5 working days) or "decision" (not decided in 20)
    working_days: int


@dataclass
class PurgeReport:
    anonymised: list[str] = field(default_factory=list)  # references
    notifications_deleted: int = 0


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
    contact_email = _email(answers["contact"].get("email"))
    referrer_email = _email(answers["referrer"]["email"]) if professional else None
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
    _queue_submitted_emails(referral, family_token, referrer_token)
    return referral


def _email(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value or None


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
            _link("referrals.track_emailed", signed=signed), "",
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
    normalised, wanted = normalise_reference(reference), _email(email)
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
    """A provider reads a referral: audited, and the first read moves it to "opened"."""
    if referral.status == ReferralStatus.NEW:
        try:
            change_status(referral, ReferralStatus.OPENED, user=user)
        except InvalidTransition:  # a colleague opened it at the same moment: theirs stands
            db.session.refresh(referral)
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
    _queue_update_emails(referral, event)
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


# -- late referrals ------------------------------------------------------------------------

def overdue(now: datetime | None = None) -> list[Overdue]:
    """Referrals not opened within 5 working days, or not decided within 20 (Monday to
    Friday, less bank holidays in England and Wales), counted in full days after the day
    they were sent."""
    now = now or utcnow()
    today = working_days.local_date(now)
    found = []
    candidates = db.session.scalars(
        select(Referral).where(Referral.status.in_(ReferralStatus.UNDECIDED),
                               Referral.anonymised_at.is_(None),
                               Referral.submitted_at <= now - timedelta(days=6))
        .order_by(Referral.submitted_at).options(selectinload(Referral.service)))
    for referral in candidates:
        days = working_days.full_working_days_between(
            working_days.local_date(referral.submitted_at), today)
        if referral.status == ReferralStatus.NEW and days >= OPEN_WITHIN_WORKING_DAYS:
            found.append(Overdue(referral, "open", days))
        if days >= DECIDE_WITHIN_WORKING_DAYS:
            found.append(Overdue(referral, "decision", days))
    return found


def flag_overdue(now: datetime | None = None) -> list[Overdue]:
    """Tells the provider and the partnership about each late referral, once for each kind
    of lateness, and commits. Returns what was flagged this time."""
    now = now or utcnow()
    flagged = []
    for item in overdue(now):
        column = "open_overdue_at" if item.kind == "open" else "decision_overdue_at"
        if getattr(item.referral, column) is not None:
            continue
        setattr(item.referral, column, now)
        record_event("referral.flagged_overdue", subject_type="referral",
                     subject_id=item.referral.id, actor="system",
                     detail={"reference": item.referral.reference, "kind": item.kind,
                             "working_days": item.working_days})
        _queue_overdue_emails(item)
        flagged.append(item)
    db.session.commit()
    return flagged


# -- retention and subject access ------------------------------------------------------------

def purge(now: datetime | None = None, *, dry_run: bool = False) -> PurgeReport:
    """Anonymises declined and closed referrals whose last change (the decline or close) is
    older than REFERRAL_RETENTION_DAYS, and open ones unchanged for REFERRAL_OPEN_RETENTION_DAYS
    (longer: a family can wait on a list for two years), and deletes their emails from the
    outbox, sent or not. Keeps the status history's dates and codes, for the partnership's
    statistics."""
    now = now or utcnow()
    config = current_app.config
    closed_cutoff = now - timedelta(days=config["REFERRAL_RETENTION_DAYS"])
    open_cutoff = now - timedelta(days=config["REFERRAL_OPEN_RETENTION_DAYS"])
    report = PurgeReport()
    due = list(db.session.scalars(
        select(Referral).where(Referral.anonymised_at.is_(None), or_(
            and_(Referral.status.in_(ReferralStatus.FINAL), Referral.updated_at < closed_cutoff),
            and_(Referral.status.not_in(ReferralStatus.FINAL), Referral.updated_at < open_cutoff)))
        .options(selectinload(Referral.events))))
    for referral in due:
        report.anonymised.append(referral.reference)
        if dry_run:
            continue
        referral.answers = {}
        referral.contact_email = referral.referrer_email = None
        referral.family_token_hash = referral.referrer_token_hash = None
        referral.submission_key = None
        referral.anonymised_at = now
        for event in referral.events:
            event.details = {key: value for key, value in (event.details or {}).items()
                             if key in ("reason", "outcome", "estimate_weeks", "expected_start")}
        report.notifications_deleted += db.session.execute(
            delete(Notification).where(Notification.referral_id == referral.id)).rowcount
        # The family's and referrer's network addresses go too; staff actions keep theirs.
        db.session.execute(update(AuditEvent).where(
            AuditEvent.subject_type == "referral", AuditEvent.subject_id == str(referral.id),
            AuditEvent.actor.in_(("family", "referrer"))).values(address=None)
            .execution_options(synchronize_session=False))
        record_event("referral.anonymised", subject_type="referral", subject_id=referral.id,
                     actor="system", detail={"reference": referral.reference})
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return report


def subject_access(email: str = "", *, phone: str = "", user: Any = "system") -> dict[str, Any]:
    """Everything held about one person, found by their email address or (for a family
    that gave only a phone number) their phone: the referrals that name them as the
    contact (answers, consent, history), those they made as a professional (their own
    details, and the progress the family let them follow), and the emails sent to them.
    The export is audited."""
    wanted = _email(email) or ""
    number = _phone(phone)
    found = list(db.session.scalars(
        select(Referral).where(or_(Referral.contact_email == wanted, Referral.referrer_email == wanted))
        .order_by(Referral.submitted_at))) if wanted else []
    if number:
        # Phone numbers are inside the answers (JSON): a scan, fine for a rare admin task.
        by_phone = [referral for referral in db.session.scalars(
            select(Referral).where(Referral.anonymised_at.is_(None)).order_by(Referral.submitted_at))
            if ((referral.answers or {}).get("contact") or {}).get("phone_normalised") == number]
        found += [referral for referral in by_phone if referral not in found]
    notifications = list(db.session.scalars(
        select(Notification).where(db.func.lower(Notification.to) == wanted)
        .order_by(Notification.created_at, Notification.id))) if wanted else []
    result = {
        "email": wanted,
        "phone": number or "",
        "generated_at": _iso(utcnow()),
        "referrals": [_export(referral, wanted, number) for referral in found],
        "emails": [{
            "to": n.to, "subject": n.subject, "body": n.body, "kind": n.kind,
            "reference": n.referral.reference if n.referral else None,
            "created_at": _iso(n.created_at), "sent_at": _iso(n.sent_at), "state": n.state,
        } for n in notifications],
    }
    record_export(found, user=user, what="subject-access")
    return result


class NotAPhoneNumber(ValueError):
    """A phone number to search by that cannot be one."""


def _phone(value: str) -> str | None:
    from app.referrals.forms import normalise_phone  # the journey's own reading of a number

    if not value or not value.strip():
        return None
    number = normalise_phone(value)
    if number is None:  # searching for nothing would report that nothing is held
        raise NotAPhoneNumber(value)
    return number


def _export(referral: Referral, email: str, phone: str | None) -> dict[str, Any]:
    contact = ((referral.answers or {}).get("contact") or {}).get("phone_normalised")
    as_contact = bool(email and referral.contact_email == email) or bool(phone and contact == phone)
    answers = referral.answers or {}
    events = referral.events
    if not as_contact:
        # A professional's own details are theirs; the child's and family's are not, and
        # the progress only as far as the family let them follow it.
        answers = {key: answers[key] for key in ("referrer_type", "referrer", "referrer_may_follow")
                   if key in answers}
        events = events if referral.referrer_may_follow else events[:1]
    return {
        "reference": referral.reference,
        "held_as": "contact" if as_contact else "referrer",
        "service": {"id": referral.service_id, "name": referral.service.name,
                    "organisation": referral.service.organisation.name},
        "referrer_type": referral.referrer_type,
        "answers": answers,
        "consent": {"given": referral.consent_given, "notice_version": referral.privacy_notice_version,
                    "at": _iso(referral.consent_at)},
        "referrer_may_follow": referral.referrer_may_follow,
        "status": referral.status if as_contact or referral.referrer_may_follow else None,
        "submitted_at": _iso(referral.submitted_at),
        **({"opened_at": _iso(referral.opened_at), "decided_at": _iso(referral.decided_at),
            "closed_at": _iso(referral.closed_at)} if as_contact or referral.referrer_may_follow else {}),
        "history": [{"at": _iso(e.at), "status": e.status, "by": _public_actor(e.actor),
                     "details": e.details if as_contact else _as_tracked(e.status, e.details)}
                    for e in events],
    }


# What the tracker shows of each step's details (app/referrals/tracker.py): notes with a
# decision are written for the family; the provider's other notes are its own records.
TRACKED_DETAILS = {
    ReferralStatus.ACCEPTED: ("expected_start", "note"),
    ReferralStatus.WAITING_LIST: ("estimate_weeks", "note"),
    ReferralStatus.DECLINED: ("reason", "reason_text", "suggestion"),
    ReferralStatus.CLOSED: ("outcome",),
}


def _as_tracked(status: str, details: dict | None) -> dict:
    keep = TRACKED_DETAILS.get(status, ())
    return {key: value for key, value in (details or {}).items() if key in keep}


def _public_actor(actor: str) -> str:
    """Staff are named by their organisation's service, not their own address."""
    return actor if actor in ("family", "referrer", "system") else "service"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


# -- the emails (never a child's details) ----------------------------------------------------

def _link(endpoint: str, **values: Any) -> str:
    try:
        return public_url(endpoint, **values)
    except BuildError:  # a blueprint not registered in this app
        return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/"


def _family_locale(referral: Referral) -> str:
    language = (referral.answers or {}).get("language") or "en"
    return language if language in current_app.config["LANGUAGES"] else "en"


def _queue_submitted_emails(referral: Referral, family_token: str,
                            referrer_token: str | None) -> None:
    service = referral.service
    if service.referral_email:
        with force_locale("en"):
            queue_email(
                service.referral_email, gettext("New referral %(ref)s", ref=referral.reference),
                gettext("You have a new referral for %(service)s, reference %(ref)s.\n\n"
                        "Sign in to read it:\n%(link)s\n\n"
                        "For the family's privacy, this email does not contain their details.",
                        service=service.name, ref=referral.reference, link=_link("provider.home")),
                kind="referral.new", referral=referral, key=f"{referral.reference}:new:provider")
    receipts = [("family", referral.contact_email, family_token)]
    if referrer_token:
        receipts.append(("referrer", referral.referrer_email, referrer_token))
    for role, address, token in receipts:
        if address:
            with force_locale(_family_locale(referral)):
                queue_email(address, gettext("Your referral %(ref)s has been sent", ref=referral.reference),
                            _receipt_body(referral, token, to_family=role == "family"),
                            kind="referral.receipt", referral=referral,
                            key=f"{referral.reference}:receipt:{role}")


def _receipt_body(referral: Referral, token: str, *, to_family: bool) -> str:
    if not to_family:
        # The professional is told which service it went to. The family's emails do not
        # name it: a family's inbox can be shared.
        opening = gettext("Your referral to %(service)s has been sent. The reference is %(ref)s.",
                          service=referral.service.name, ref=referral.reference)
    elif referral.referrer_type == ReferrerType.PROFESSIONAL:
        opening = gettext("A professional has sent a referral for your family, with your agreement. "
                          "The reference is %(ref)s.", ref=referral.reference)
    else:
        opening = gettext("Your referral has been sent. Your reference is %(ref)s.",
                          ref=referral.reference)
    return "\n".join([
        opening, "",
        gettext("The service will read it and get in touch. You can see what is happening "
                "with it here (keep this link to yourself):"),
        _link("referrals.track", token=token), "",
        gettext("If you are worried about a child's safety, do not wait: if a child is in "
                "immediate danger, call 999."),
    ])


def _queue_update_emails(referral: Referral, event: ReferralEvent) -> None:
    recipients = []
    if referral.contact_email:
        recipients.append(("family", referral.contact_email))
    if referral.referrer_may_follow and referral.referrer_email:
        recipients.append(("referrer", referral.referrer_email))
    for role, address in recipients:
        with force_locale(_family_locale(referral)):
            queue_email(address, gettext("Update on referral %(ref)s", ref=referral.reference),
                        _update_body(referral), kind="referral.update", referral=referral,
                        key=f"{referral.reference}:event-{event.id}:{role}")


def _update_body(referral: Referral) -> str:
    return "\n".join([
        gettext("There is an update on referral %(ref)s.", ref=referral.reference), "",
        gettext("To see it, open the link in the first email we sent you, or enter the "
                "reference and this email address here:"),
        _link("referrals.find"),
    ])


def _queue_overdue_emails(item: Overdue) -> None:
    referral = item.referral
    with force_locale("en"):
        if item.kind == "open":
            subject = gettext("Referral %(ref)s has not been opened", ref=referral.reference)
            text = gettext("Referral %(ref)s to %(service)s was sent on %(date)s and has not been "
                           "opened in %(days)d working days.", ref=referral.reference,
                           service=referral.service.name, date=referral.submitted_at.date().isoformat(),
                           days=item.working_days)
        else:
            subject = gettext("Referral %(ref)s has no decision", ref=referral.reference)
            text = gettext("Referral %(ref)s to %(service)s was sent on %(date)s and has had no "
                           "decision in %(days)d working days.", ref=referral.reference,
                           service=referral.service.name, date=referral.submitted_at.date().isoformat(),
                           days=item.working_days)
        body = text + "\n\n" + gettext("Sign in to deal with it:") + "\n" + _link("provider.home")
        recipients = [("provider", referral.service.referral_email),
                      ("partnership", current_app.config.get("PARTNERSHIP_EMAIL"))]
        for role, address in recipients:
            if address:
                queue_email(address, subject, body, kind="referral.overdue", referral=referral,
                            key=f"{referral.reference}:overdue-{item.kind}:{role}")
