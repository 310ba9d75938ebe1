"""The provider's inbox: referrals to their own organisations' services only. Every
view of a referral is recorded in the audit log."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app import referrals
from app.directory.waiting_times import services_for
from app.models.referrals import Referral, ReferralStatus
from app.security import opaque_ids, refusals
from app.web.auth import current_user, provider_required
from app.web.provider import LINKS, bp
from app.web.provider.referral_forms import STEP_FORMS

LINKS.append(("provider.inbox", "Referrals"))

STEP_TITLES = {
    ReferralStatus.OPENED: "Tell the family you have read the referral",
    ReferralStatus.CONTACTED: "Record that you contacted the family",
    ReferralStatus.ACCEPTED: "Accept the referral",
    ReferralStatus.WAITING_LIST: "Put the referral on the waiting list",
    ReferralStatus.DECLINED: "Decline the referral",
    ReferralStatus.CLOSED: "Close the referral",
}


def _own_referral_or_404(referral_id: str) -> Referral:
    """A referral to one of the user's services. Anyone else's, or an anonymised one,
    looks like a missing page, so ids cannot be probed."""
    referral, legacy = opaque_ids.find(Referral, referral_id)
    if (referral is None or referral.anonymised_at is not None
            or referral.service.organisation_id not in current_user().organisation_ids):
        refusals.not_found("referral", referral_id, exists=referral is not None)
    if legacy:
        opaque_ids.follow_legacy(referral, "referral_id")
    return referral


@bp.route("/referrals")
@provider_required
def inbox():
    order = request.args.get("order", "newest")
    if order not in ("newest", "oldest-waiting"):
        abort(400, _("Choose newest or oldest waiting."))
    show = request.args.get("show", "open")
    if show not in ("open", "all"):
        abort(400, _("Choose open or all referrals."))
    service_ids = [service.id for service in services_for(current_user())]
    found = referrals.referrals_for_services(
        service_ids, statuses=None if show == "all" else ReferralStatus.UNDECIDED
        + (ReferralStatus.WAITING_LIST, ReferralStatus.ACCEPTED))
    if order == "oldest-waiting":
        found.sort(key=lambda referral: (referral.status not in ReferralStatus.UNDECIDED,
                                         referral.submitted_at))
    late = {(item.referral.id, item.kind) for item in referrals.overdue()
            if item.referral.service_id in service_ids}
    return render_template("provider/inbox.html", referrals=found, order=order, show=show, late=late)


@bp.route("/referrals/<key:referral_id>")
@provider_required
def referral(referral_id: str):
    found = _own_referral_or_404(referral_id)
    referrals.open_for_provider(found, user=current_user())
    found = referrals.get(found.id)
    return render_template("provider/referral.html", referral=found, next_steps=[
        (status, _(STEP_TITLES[status])) for status in referrals.allowed_next(found)
        if status in STEP_FORMS])


@bp.route("/referrals/<key:referral_id>/<step>", methods=["GET", "POST"])
@provider_required
def referral_step(referral_id: str, step: str):
    found = _own_referral_or_404(referral_id)
    if step not in STEP_FORMS or step not in referrals.allowed_next(found):
        abort(404)
    form = STEP_FORMS[step]()
    if form.validate_on_submit():
        try:
            referrals.change_status(found, step, user=current_user(), **form.details())
        except referrals.InvalidTransition:
            flash(_("Someone else updated this referral meanwhile. Check its history before you try again."))
            return redirect(url_for("provider.referral", referral_id=found.uuid))
        except referrals.InvalidDetails as error:  # something the form let through: say so on it
            form.refused(error)
        else:
            if found.contact_email:
                flash(_("Referral %(reference)s updated. The family has been told by email.",
                        reference=found.reference))
            else:
                flash(_("Referral %(reference)s updated. The family gave no email address: "
                        "phone them to tell them.", reference=found.reference))
            return redirect(url_for("provider.referral", referral_id=found.uuid))
    return render_template("provider/referral_step.html", form=form, referral=found,
                           title=_(STEP_TITLES[step])), 400 if form.errors else 200
