"""The provider's dashboard and waiting-time updates."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.directory import waiting_times
from app.web.auth import current_user, provider_required
from app.web.auth.access import own_service_or_404
from app.web.provider import bp, referral_display
from app.web.provider.forms import WaitingTimeForm


@bp.route("/")
@provider_required
def home():
    user = current_user()
    services = waiting_times.services_for(user)
    return render_template("provider/home.html", user=user, services=services,
                           waiting=referral_display.waiting_referrals([s.id for s in services]))


@bp.route("/services/<service_id>/waiting-time", methods=["GET", "POST"])
@provider_required
def waiting_time(service_id: str):
    service = own_service_or_404(service_id)
    current = service.current_waiting_time
    form = WaitingTimeForm(data={"status": current.status, "weeks": str(current.weeks or ""),
                                 "note": current.note} if current else None)
    if form.validate_on_submit():
        waiting_times.record_waiting_time(service, current_user(),
                                          status=form.status.data, weeks=form.weeks_number,
                                          note=form.note.data)
        flash(_("The waiting time for %(name)s is updated on the public page.", name=service.name))
        return redirect(url_for("provider.home"))
    return render_template("provider/waiting_time.html", form=form, service=service,
                           history=waiting_times.trend(service)), 400 if form.errors else 200


@bp.route("/services/<service_id>/waiting-time/confirm", methods=["POST"])
@provider_required
def confirm_waiting_time(service_id: str):
    service = own_service_or_404(service_id)
    if service.current_waiting_time is None:
        return redirect(url_for("provider.waiting_time", service_id=service.id))
    waiting_times.confirm_still_correct(service, current_user())
    flash(_("Confirmed: the waiting time for %(name)s is still correct.", name=service.name))
    return redirect(url_for("provider.home"))
