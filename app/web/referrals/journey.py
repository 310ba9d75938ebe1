"""Where a family is in the referral journey. The answers live in the (signed) session
cookie until they agree and submit: nothing is written to the database before that.

The submission key and the submitter's own tracker token are drawn when the journey
starts, so that every request of the same journey (a double click, a refresh, a resend)
submits with the same key, and any of them can show the confirmation with the tracker
link. The session cookie is signed, not encrypted: it holds only what the person filling
in the form may read. A professional's family gets its own token at submit, sent only to
the family's email, so the professional cannot open the family's view.
"""

import json
import secrets
import time
from typing import Any

from flask import current_app, session

from app.models.referrals import ReferrerType
from app.referrals.lifecycle import new_token

JOURNEY = "referral_journey"
DONE = "referral_done"
CLEARED = "referral_cleared"

# Each step, and the answer that says it has been done.
FAMILY_STEPS = ("who", "child", "need", "details", "contact", "privacy")
PROFESSIONAL_STEPS = ("who", "family-agreed", "professional", "updates", "child", "need", "details",
                      "contact", "privacy")
ANSWER_OF_STEP = {
    "who": "referrer_type", "family-agreed": "family_agreed", "professional": "referrer",
    "updates": "referrer_may_follow", "child": "child", "need": "need", "details": "details",
    "contact": "contact", "privacy": "consent",
}


def start(service_id: str) -> dict[str, Any]:
    journey = {"service_id": service_id, "key": secrets.token_hex(16),
               "token": new_token(), "answers": {}, "seen": time.time()}
    session[JOURNEY] = journey
    session.pop(CLEARED, None)
    return journey


def idle(kept: dict[str, Any]) -> bool:
    """On a shared phone or computer the next person must not find a family's answers (or
    its tracker link, or the referral it looked up): each goes after REFERRAL_IDLE_MINUTES
    without a page that uses it. `kept` holds when it was last "seen"."""
    limit = current_app.config["REFERRAL_IDLE_MINUTES"] * 60
    seen = kept.get("seen")
    return not isinstance(seen, int | float) or time.time() - seen > limit


def current(service_id: str) -> dict[str, Any] | None:
    journey = session.get(JOURNEY)
    if not isinstance(journey, dict) or "token" not in journey:
        return None
    if idle(journey):
        session.pop(JOURNEY, None)
        if journey.get("answers"):  # only say so when there was something to lose
            session[CLEARED] = True
        return None
    if journey.get("service_id") != service_id:
        return None
    journey["seen"] = time.time()
    session.modified = True
    return journey


def unfinished_elsewhere(service_id: str) -> str | None:
    """The service of an unfinished referral to another service in this browser: starting
    this one would replace it (the session holds one journey at a time)."""
    journey = session.get(JOURNEY)
    if not isinstance(journey, dict) or idle(journey) or journey.get("service_id") == service_id:
        return None
    return journey.get("service_id") if journey.get("answers") else None


def cleared() -> bool:
    """Whether answers were just cleared for being left too long (said once)."""
    return bool(session.pop(CLEARED, False))


def answers(journey: dict[str, Any]) -> dict[str, Any]:
    return journey["answers"]


# Browsers drop cookies over 4,093 bytes (name and attributes included): keep room.
COOKIE_VALUE_LIMIT = 3900


def save(journey: dict[str, Any], **values: Any) -> bool:
    """Adds answers to the journey; False (and nothing changed) when they would make the
    session cookie too large for browsers to keep. Ordinary answers at their longest fit
    in about half the room; 1,000 characters that barely compress (random CJK) do not."""
    before = json.loads(json.dumps(journey["answers"]))
    journey["answers"].update(values)
    if "referrer_type" in values and values["referrer_type"] != ReferrerType.PROFESSIONAL:
        for key in ("family_agreed", "referrer", "referrer_may_follow"):
            journey["answers"].pop(key, None)
    # The notice says who will see the details: agree again when that changes.
    if set(values) & {"referrer_type", "referrer_may_follow"}:
        journey["answers"].pop("consent", None)
    session[JOURNEY] = journey
    session.modified = True
    if _cookie_size() > COOKIE_VALUE_LIMIT:
        journey["answers"] = before
        session[JOURNEY] = journey
        return False
    return True


def _cookie_size() -> int:
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    return len(serializer.dumps(dict(session))) if serializer else 0


def steps(journey: dict[str, Any]) -> tuple[str, ...]:
    if journey["answers"].get("referrer_type") == ReferrerType.PROFESSIONAL:
        return PROFESSIONAL_STEPS
    return FAMILY_STEPS


def first_missing(journey: dict[str, Any]) -> str | None:
    done = journey["answers"]
    for step in steps(journey):
        if ANSWER_OF_STEP[step] not in done:
            return step
    return None


def reachable(journey: dict[str, Any], step: str) -> bool:
    """A step can be shown when every step before it has been answered."""
    order = steps(journey)
    if step == "check":
        return first_missing(journey) is None
    if step not in order:
        return False
    missing = first_missing(journey)
    return missing is None or order.index(step) <= order.index(missing)


def next_step(journey: dict[str, Any], step: str, *, changing: bool) -> str:
    """After answering `step`: the next question, or back to check your answers when
    changing one answer (unless the change opened new questions)."""
    missing = first_missing(journey)
    if changing:
        return missing or "check"
    order = steps(journey)
    following = order[order.index(step) + 1:] if step in order else ()
    return following[0] if following else (missing or "check")


def previous_step(journey: dict[str, Any], step: str) -> str | None:
    order = steps(journey)
    if step == "check":
        return order[-1]
    if step in order and order.index(step) > 0:
        return order[order.index(step) - 1]
    return None


def finish(journey: dict[str, Any], referral_id: int, reference: str, role: str) -> None:
    """Forgets the answers; keeps what the confirmation page needs."""
    token = journey["token"]
    session.pop(JOURNEY, None)
    session[DONE] = {"service_id": journey["service_id"], "key": journey["key"],
                     "referral_id": referral_id, "reference": reference, "token": token,
                     "role": role, "seen": time.time()}


def done(service_id: str) -> dict[str, Any] | None:
    finished = session.get(DONE)
    if not isinstance(finished, dict):
        return None
    if idle(finished):
        session.pop(DONE, None)
        return None
    if finished.get("service_id") != service_id:
        return None
    return finished
