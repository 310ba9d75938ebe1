"""Public routes about keeping listings right.

"Report a problem with this page", on every service page: open to anyone, no account, no
personal data asked for. The report goes to the provider and the partnership.

"Is this still right?": the one-click link in the reminder emailed to providers. The link
is signed (app/directory/freshness) rather than behind sign-in, so that a busy provider can
confirm from the email. Opening it shows the listing and one button: a GET never
confirms, because mail scanners open links.
"""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovRadioInput, GovSubmitInput
from wtforms import RadioField, SubmitField
from wtforms.validators import InputRequired, Length, ValidationError

from app.directory import feedback, freshness, listings
from app.models import FeedbackKind
from app.web.auth import never_cache
from app.web.text_fields import TextAreaField

bp = Blueprint("feedback", __name__)
bp.after_request(never_cache)  # forms carry a CSRF token tied to the session


@bp.app_template_global()
def listing_may_be_out_of_date(service) -> bool:
    """For the public service page: the provider has not confirmed the listing in time."""
    return freshness.may_be_out_of_date(service)


class ReportForm(FlaskForm):
    kind = RadioField(_l("What is wrong with the page?"), widget=GovRadioInput(),
                      choices=[(kind, label) for kind, label in feedback.KIND_LABELS.items()],
                      validators=[InputRequired(_l("Select what is wrong with the page"))])
    detail = TextAreaField(
        _l("Tell us more (optional)"), widget=GovCharacterCount(),
        description=_l("For example, the right phone number. Do not include personal details, "
                       "like your name or your child's."),
        validators=[Length(max=feedback.MAX_DETAIL,
                           message=_l("Keep it to 1200 characters or fewer"))])
    submit = SubmitField(_l("Send"), widget=GovSubmitInput())

    def validate_detail(self, field) -> None:
        if self.kind.data == FeedbackKind.OTHER and not (field.data or "").strip():
            raise ValidationError(_l("Tell us what is wrong with the page"))


@bp.route("/services/<service_id>/report-a-problem", methods=["GET", "POST"])
def report(service_id: str):
    service = listings.get_published_service(service_id) or abort(404)
    form = ReportForm()
    if form.validate_on_submit():
        if feedback.too_many_from(request.remote_addr):
            abort(429, description=_("You have sent a lot of reports. Please try again later."))
        feedback.report_problem(service, form.kind.data, form.detail.data or "")
        return redirect(url_for("feedback.sent", service_id=service.id))
    return render_template("feedback/report.html", service=service, form=form), \
        400 if form.errors else 200


@bp.route("/services/<service_id>/report-a-problem/sent")
def sent(service_id: str):
    service = listings.get_published_service(service_id) or abort(404)
    return render_template("feedback/sent.html", service=service)


@bp.route("/listing-check/<token>", methods=["GET", "POST"])
def listing_check(token: str):
    link = freshness.read_review_token(token)
    if link.state == "invalid":
        abort(404)
    if link.state == "ok" and request.method == "POST":
        freshness.confirm_listing(link.service, link.to or "emailed link")
        return render_template("provider/listing_still_right.html", link=link, confirmed=True)
    return render_template("provider/listing_still_right.html", link=link, confirmed=False), \
        410 if link.state == "expired" else 200
