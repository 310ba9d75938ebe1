"""The tracker: a family or a referrer follows a referral without an account, through the
link in their receipt or with the reference and their email address. It shows the
referral's progress in plain words and nothing of what anyone wrote in it."""

import time
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext, ngettext

from app import rate_limits, referrals
from app.extensions import db
from app.models.referrals import Referral, ReferralStatus, ReferrerType
from app.notifications import outbox
from app.web.referrals import bp, journey
from app.web.referrals.forms import FindForm
from app.web.templating import long_date

TRACKING = "referral_tracking"


@dataclass
class Step:
    at: datetime
    title: str
    lines: list[str] = field(default_factory=list)


@bp.get("/referrals/track/<token>")
def track(token: str):
    found = referrals.find_by_token(token)
    if found is None:
        abort(404)
    referral, role = found
    referrals.record_view(referral, user=role)
    return _tracker_page(referral, role)


@bp.route("/referrals/track", methods=["GET", "POST"])
def find():
    form = FindForm()
    if request.method == "POST":
        # Counted whether or not it matches: guessing references is slow.
        limit = current_app.config["REFERRAL_LOOKUP_RATE_LIMIT"]
        wait = rate_limits.seconds_to_wait("referral-lookup", rate_limits.HOUR, limit, request.remote_addr)
        if wait:
            abort(429, description=gettext(
                "You have tried to find a referral too many times. Try again in an hour, or "
                "use the link in the email we sent you."))
        if form.validate():
            found = referrals.find_by_reference(form.reference.data, form.email.data)
            if found is not None and _made_for_the_family(*found):
                return _email_the_family(found[0])
            if found is not None:
                session[TRACKING] = {"id": found[0].id, "role": found[1], "seen": time.time()}
                return redirect(url_for("referrals.found"))
            form.reference.errors.append(gettext(
                "We could not find a referral with that reference and email address. Check "
                "them and try again"))
    return render_template("referrals/find.html", form=form), 400 if form.errors else 200


def _made_for_the_family(referral: Referral, role: str) -> bool:
    """The family's address typed in for a referral a professional made: the professional
    knows both the reference and that address, so the family's view goes to the family's
    inbox, not to whoever typed them."""
    return role == "family" and referral.referrer_type == ReferrerType.PROFESSIONAL


def _email_the_family(referral: Referral):
    notification = referrals.email_family_link(referral)
    db.session.commit()
    outbox.send_in_background(current_app._get_current_object(), [notification.id])
    return redirect(url_for("referrals.link_sent"))


@bp.get("/referrals/track/link-sent")
def link_sent():
    return render_template("referrals/link_sent.html", days=referrals.EMAILED_LINK_DAYS)


@bp.get("/referrals/track/link/<signed>")
def track_emailed(signed: str):
    referral = referrals.find_by_emailed_link(signed)
    if referral is None:
        abort(404)
    referrals.record_view(referral, user="family")
    return _tracker_page(referral, "family")


@bp.get("/referrals/track/found")
def found():
    tracking = session.get(TRACKING)
    fresh = isinstance(tracking, dict) and not journey.idle(tracking)
    referral = referrals.get(tracking["id"]) if fresh else None
    if referral is None or referral.anonymised_at is not None:
        session.pop(TRACKING, None)
        return redirect(url_for("referrals.find"))
    tracking["seen"] = time.time()
    session[TRACKING] = tracking
    referrals.record_view(referral, user=tracking["role"])
    return _tracker_page(referral, tracking["role"])


def _tracker_page(referral: Referral, role: str):
    may_follow = role == "family" or referral.referrer_may_follow
    history = progress(referral, may_follow=may_follow)
    return render_template("referrals/tracker.html", referral=referral, role=role,
                           may_follow=may_follow, current=history[0], history=history,
                           service=referral.service)


def progress(referral: Referral, *, may_follow: bool) -> list[Step]:
    """The referral's steps in plain words, newest first. A referrer the family did not let
    follow it sees only that it was sent."""
    events = referral.events if may_follow else referral.events[:1]
    return [_step(referral, event.status, event.at, event.details or {})
            for event in reversed(events)]


def _step(referral: Referral, status: str, at: datetime, details: dict) -> Step:
    service = referral.service.name
    if status == ReferralStatus.NEW:
        return Step(at, gettext("Sent to %(service)s", service=service),
                    [gettext("The service will read the referral and get in touch.")])
    if status == ReferralStatus.OPENED:
        return Step(at, gettext("Read by the service"),
                    [gettext("The service has read the referral and will get in touch.")])
    if status == ReferralStatus.CONTACTED:
        return Step(at, gettext("The service has been in touch"),
                    [gettext("The service has contacted the family to talk about the help.")])
    if status == ReferralStatus.ACCEPTED:
        lines = [gettext("The service can help.")]
        if details.get("expected_start"):
            lines.append(gettext("The help is expected to start on %(date)s.",
                                 date=long_date(date.fromisoformat(details["expected_start"]))))
        return Step(at, gettext("Accepted"), lines + _family_note(details))
    if status == ReferralStatus.WAITING_LIST:
        weeks = details.get("estimate_weeks") or 0
        return Step(at, gettext("On the waiting list"), [ngettext(
            "The service expects to be able to start in about %(num)d week.",
            "The service expects to be able to start in about %(num)d weeks.", weeks)]
            + _family_note(details))
    if status == ReferralStatus.DECLINED:
        lines = [str(referrals.DECLINE_REASONS.get(details.get("reason"), ""))]
        if details.get("reason_text"):
            lines.append(details["reason_text"])
        if details.get("suggestion"):
            lines.append(gettext("Where to go instead: %(suggestion)s", suggestion=details["suggestion"]))
        return Step(at, gettext("The service cannot help"), [line for line in lines if line])
    if status == ReferralStatus.CLOSED:
        outcome = referrals.CLOSE_OUTCOMES.get(details.get("outcome"))
        return Step(at, gettext("Closed"), [str(outcome)] if outcome else [])
    return Step(at, status)


def _family_note(details: dict) -> list[str]:
    """Notes with an acceptance or a waiting list are written for the family; notes on
    other steps are the provider's own records and stay off this page."""
    return [details["note"]] if details.get("note") else []
