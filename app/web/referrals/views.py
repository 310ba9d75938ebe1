"""The referral journey: one question per page, from a service's page to the confirmation.
Thin views: the answers wait in the session (app/web/referrals/journey.py) and are saved by
one call to the service layer when the family submits."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from app import opendata, rate_limits, referrals
from app.activity import page_views
from app.directory import listings
from app.extensions import database_unreachable
from app.models.directory import AccessRoute, Service
from app.models.referrals import ReferrerType
from app.notifications import outbox
from app.web.referrals import bp
from app.web.referrals import journey as state
from app.web.referrals.forms import (
    CheckForm,
    ChildForm,
    ContactForm,
    DetailsForm,
    FamilyAgreedForm,
    JourneyForm,
    NeedForm,
    PrivacyForm,
    ProfessionalForm,
    StartForm,
    UpdatesForm,
    WhoForm,
    normalise_phone,
)

PREFIX = "/services/<service_id>/refer"


def _service_or_404(service_id: str) -> Service:
    service = listings.get_published_service(service_id)
    # A listing another directory keeps has no inbox here: families contact the service.
    if service is None or service.access != AccessRoute.SELF_REFERRAL or opendata.listed_by(service):
        abort(404)
    return service


def _step_url(service: Service, step: str, **args: Any) -> str:
    return url_for("referrals.step", service_id=service.id, step=step, **args)


def _begin(service_id: str, step: str) -> tuple[Service, dict | None, Any]:
    """The service, the journey, and a redirect when this page cannot be shown yet."""
    service = _service_or_404(service_id)
    journey = state.current(service.id)
    if journey is None:
        return service, None, redirect(url_for("referrals.start", service_id=service.id))
    if not state.reachable(journey, step):
        return service, None, redirect(_step_url(service, state.first_missing(journey) or "check"))
    return service, journey, None


def _refuse_bots(form: JourneyForm) -> None:
    if form.is_bot:
        abort(400, description=gettext("Your answers could not be sent. Please try again."))


def _back_url(service: Service, journey: dict, step: str) -> str:
    if request.args.get("change") == "1":
        return _step_url(service, "check")
    previous = state.previous_step(journey, step)
    if previous is None:
        return url_for("referrals.start", service_id=service.id)
    return _step_url(service, previous)


def _page(template: str, service: Service, journey: dict, step: str, form, **context: Any):
    return render_template(
        f"referrals/{template}.html", form=form, service=service, answers=journey["answers"],
        back_url=_back_url(service, journey, step), **context,
    ), 400 if form.errors else 200


def _saved(service: Service, journey: dict, step: str, form, **values: Any):
    """Keeps the answers and goes on; None (with an error on the form) when they are too
    long to keep."""
    if not state.save(journey, **values):
        answers = [f for f in form if f.name not in ("website", "csrf_token")]
        field = max(answers, key=lambda f: len(f.data) if isinstance(f.data, str) else 0)
        field.errors = [*field.errors, gettext(
            "Your answers are too long for us to keep. Shorten this answer, or contact the "
            "service directly")]
        return None
    changing = request.args.get("change") == "1"
    return redirect(_step_url(service, state.next_step(journey, step, changing=changing)))


@bp.route(PREFIX, methods=["GET", "POST"])
def start(service_id: str):
    """The safeguarding page: this is not for emergencies or for reporting a child at risk."""
    service = _service_or_404(service_id)
    form = StartForm()
    if request.method == "POST":
        _refuse_bots(form)
        if form.validate():
            if state.current(service.id) is None:
                state.start(service.id)
                page_views.count_activity("referral-started", service.id)  # for the partnership's funnel
            return redirect(_step_url(service, "who"))
    elsewhere = state.unfinished_elsewhere(service.id)
    return render_template("referrals/start.html", service=service, form=form,
                           already_sent=state.done(service.id), cleared=state.cleared(),
                           unfinished=listings.get_published_service(elsewhere) if elsewhere else None)


@bp.route(PREFIX + "/<step>", methods=["GET", "POST"])
def step(service_id: str, step: str):
    view = QUESTIONS.get(step)
    if view is None:
        abort(404)
    resent = _already_sent(service_id, step)
    if resent is not None:
        return resent
    service, journey, detour = _begin(service_id, step)
    if detour is not None:
        return detour
    return view(service, journey, step)


def _already_sent(service_id: str, step: str):
    """The same form sent again after it went through (back, then send again): show the
    referral it made rather than start over."""
    finished = state.done(service_id)
    if (step == "check" and request.method == "POST" and finished and state.current(service_id) is None
            and request.form.get("submission_key") == finished["key"]):
        return redirect(url_for("referrals.confirmation", service_id=service_id))
    return None


def _ask(service: Service, journey: dict, step: str, form, answer: Callable[[Any], dict],
         template: str | None = None, **context: Any):
    """One question page: a valid answer is kept and the journey goes on; otherwise the page
    again, with its errors."""
    if request.method == "POST":
        _refuse_bots(form)
        if form.validate():
            saved = _saved(service, journey, step, form, **answer(form))
            if saved:
                return saved
    return _page(template or step, service, journey, step, form, **context)


def _shown(data: dict | None) -> dict | None:
    """The answers a page shows: those kept on a GET; on a POST, what was sent."""
    return data if request.method == "GET" else None


def _who(service: Service, journey: dict, step: str):
    form = WhoForm(data=_shown({"referrer_type": journey["answers"].get("referrer_type")}))
    return _ask(service, journey, step, form, lambda f: {"referrer_type": f.referrer_type.data})


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _family_agreed(service: Service, journey: dict, step: str):
    form = FamilyAgreedForm(data=_shown({"agreed": _yes_no(journey["answers"].get("family_agreed"))}))
    if request.method == "POST":
        _refuse_bots(form)
        if form.validate() and form.agreed.data != "yes":  # "no" stops here
            journey["answers"].pop("family_agreed", None)
            state.save(journey)
            return redirect(url_for("referrals.not_agreed", service_id=service.id))
    return _ask(service, journey, step, form, lambda f: {"family_agreed": True},
                template="family_agreed")


def _professional(service: Service, journey: dict, step: str):
    form = ProfessionalForm(data=_shown(journey["answers"].get("referrer") or {}))
    return _ask(service, journey, step, form, lambda f: {"referrer": {
        "kind": f.kind.data, "name": f.name.data, "role": f.role.data,
        "organisation": f.organisation.data, "email": f.email.data}})


def _updates(service: Service, journey: dict, step: str):
    form = UpdatesForm(data=_shown({"may_follow": _yes_no(journey["answers"].get("referrer_may_follow"))}))
    return _ask(service, journey, step, form,
                lambda f: {"referrer_may_follow": f.may_follow.data == "yes"})


def _child(service: Service, journey: dict, step: str):
    answers = journey["answers"]
    young_person = answers.get("referrer_type") == ReferrerType.YOUNG_PERSON
    child = answers.get("child") or {}
    born = (child.get("date_of_birth") or "").split("-")
    known = len(born) == 3
    form = ChildForm(data=_shown({
        "first_name": child.get("first_name"), "age": child.get("age_given"),
        "dob_day": born[2].lstrip("0") if known else "",
        "dob_month": born[1].lstrip("0") if known else "",
        "dob_year": born[0] if known else ""}), young_person=young_person)
    return _ask(service, journey, step, form, lambda f: {"child": {
        "first_name": f.first_name.data, "age": f.age_years, "age_given": f.age.data or "",
        "date_of_birth": f.date_of_birth.isoformat() if f.date_of_birth else None}},
        young_person=young_person)


def _need(service: Service, journey: dict, step: str):
    form = NeedForm(data=_shown({"need": journey["answers"].get("need")}))
    return _ask(service, journey, step, form, lambda f: {"need": f.need.data},
                max_length=referrals.NEED_MAX)


def _details(service: Service, journey: dict, step: str):
    form = DetailsForm(data=_shown(journey["answers"].get("details") or {}))
    return _ask(service, journey, step, form, lambda f: {"details": {
        "language": f.language.data or "", "adjustments": f.adjustments.data or "",
        "other_support": f.other_support.data or ""}})


def _contact(service: Service, journey: dict, step: str):
    answers = journey["answers"]
    for_self = answers.get("referrer_type") != ReferrerType.PROFESSIONAL
    kept = dict(answers.get("contact") or {})
    kept["leave_message"] = _yes_no(kept.get("leave_message"))
    form = ContactForm(data=_shown(kept), for_self=for_self)

    def answer(f) -> dict:
        phone = f.phone.data or ""
        return {"contact": {
            "name": f.name.data, "phone": phone,
            "phone_normalised": normalise_phone(phone) if phone else "",
            "email": f.email.data or "", "safe_times": f.safe_times.data or "",
            "leave_message": (f.leave_message.data == "yes") if phone else None}}
    return _ask(service, journey, step, form, answer, for_self=for_self)


def _privacy(service: Service, journey: dict, step: str):
    form = PrivacyForm(data=_shown({"agree": "consent" in journey["answers"]}))
    # Recorded with the notice's version and the moment of agreeing.
    return _ask(service, journey, step, form, lambda f: {"consent": {
        "agreed": True, "version": current_app.config["PRIVACY_NOTICE_VERSION"],
        "at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")}},
        retention_days=current_app.config["REFERRAL_RETENTION_DAYS"],
        partnership_email=current_app.config["PARTNERSHIP_EMAIL"],
        notice_version=current_app.config["PRIVACY_NOTICE_VERSION"])


def _check(service: Service, journey: dict, step: str):
    form = CheckForm(data={"submission_key": journey["key"]} if request.method == "GET" else None)
    if request.method == "POST":
        return _submit(service, journey, form)
    return _page("check", service, journey, step, form)


QUESTIONS = {
    "who": _who, "family-agreed": _family_agreed, "professional": _professional,
    "updates": _updates, "child": _child, "need": _need, "details": _details,
    "contact": _contact, "privacy": _privacy, "check": _check,
}


def _submit(service: Service, journey: dict, form: CheckForm):
    _refuse_bots(form)
    if form.submission_key.data and form.submission_key.data != journey["key"]:
        abort(400, description=gettext("These answers have changed since the page was shown. "
                                       "Check them and send the referral again."))
    professional = journey["answers"].get("referrer_type") == ReferrerType.PROFESSIONAL
    if referrals.find_by_submission_key(journey["key"]) is None:
        wait = rate_limits.seconds_to_wait("referral-submit", rate_limits.HOUR,
                                           current_app.config["REFERRAL_RATE_LIMIT"], request.remote_addr)
        if wait:
            return _too_many(service, wait)
    answers = dict(journey["answers"], language=str(get_locale() or "en"))
    try:
        # The submitter's token is theirs; a professional's family gets one drawn here.
        family_token = referrals.new_token() if professional else journey["token"]
        result = referrals.submit(service, answers, submission_key=journey["key"],
                                  family_token=family_token,
                                  referrer_token=journey["token"] if professional else None)
    except referrals.IncompleteAnswers:
        return redirect(_step_url(service, state.first_missing(journey) or "who"))
    except Exception as error:
        if database_unreachable(error):
            raise  # the site's 503 page, which needs no database, says it was not sent
        # Nothing was saved (the service layer rolled back): say so, keep the answers.
        current_app.logger.exception("A referral could not be saved")
        return render_template("referrals/not_sent.html", service=service), 500
    referral = result.referral
    if result.created:
        outbox.send_in_background(current_app._get_current_object(),
                                  [n.id for n in outbox.unsent_for_referral(referral.id)])
    state.finish(journey, referral.id, referral.reference,
                 "referrer" if professional else "family")
    return redirect(url_for("referrals.confirmation", service_id=service.id))


def _too_many(service: Service, wait_seconds: int):
    minutes = max(1, round(wait_seconds / 60))
    response = render_template("referrals/too_many.html", service=service, minutes=minutes)
    return response, 429, {"Retry-After": str(wait_seconds)}


@bp.get(PREFIX + "/not-agreed")
def not_agreed(service_id: str):
    service = _service_or_404(service_id)
    return render_template("referrals/not_agreed.html", service=service,
                           back_url=_step_url(service, "family-agreed"))


@bp.get(PREFIX + "/confirmation")
def confirmation(service_id: str):
    service = _service_or_404(service_id)
    finished = state.done(service.id)
    referral = referrals.get(finished["referral_id"]) if finished else None
    if referral is None or referral.reference != finished["reference"]:
        # Never a confirmation for a referral that is not in the database.
        return redirect(url_for("referrals.start", service_id=service.id))
    referrals.record_view(referral, user=finished.get("role", "family"))
    return render_template("referrals/confirmation.html", service=service, referral=referral,
                           tracker_url=url_for("referrals.track", token=finished["token"],
                                               _external=True))
