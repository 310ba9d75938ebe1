"""The partnership's side of listings: the approval queue (field by field), every
listing's history with restore, problems reported by the public, and stale listings."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSubmitInput, GovTextArea
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from wtforms import SelectMultipleField, SubmitField
from wtforms.validators import Length

from app.directory import feedback, freshness, listing_changes, listing_fields, listing_versions
from app.directory.listing_fields import MAX_REASON
from app.extensions import db
from app.models import Feedback, FeedbackStatus, ListingChange, Service
from app.security import opaque_ids
from app.web import listing_display
from app.web.admin import bp
from app.web.admin.views import LINKS
from app.web.auth import admin_required, current_user
from app.web.text_fields import TextAreaField

LINKS.extend([("admin.approval_queue", "Approval queue"),
              ("admin.listing_index", "Listings and their history"),
              ("admin.feedback_list", "Problems reported by the public"),
              ("admin.stale_listings", "Stale listings")])
bp.record_once(lambda state: listing_display.register(state.app))


class ReviewForm(FlaskForm):
    publish = SelectMultipleField(_l("Changes to publish"), widget=GovCheckboxesInput(),
                                  validate_choice=False,
                                  description=_l("Untick anything that should not be published"))
    reason = TextAreaField(_l("Reason for the provider"), widget=GovTextArea(),
                           description=_l("Needed for anything not published. The provider sees this."),
                           validators=[Length(max=MAX_REASON)])
    approve = SubmitField(_l("Publish the ticked changes"), widget=GovSubmitInput())
    reject = SubmitField(_l("Reject the whole change"), widget=GovSubmitInput())


class RestoreForm(FlaskForm):
    reason = TextAreaField(_l("Why restore this version?"), widget=GovTextArea(),
                           validators=[Length(max=MAX_REASON)])
    submit = SubmitField(_l("Restore this version"), widget=GovSubmitInput())


# -- the approval queue ------------------------------------------------------------------

@bp.route("/approvals")
@admin_required
def approval_queue():
    return render_template("admin/approval_queue.html", pending=listing_changes.pending_changes(),
                           decided=listing_changes.recent_decisions())


@bp.route("/approvals/<key:change_id>", methods=["GET", "POST"])
@admin_required
def approval_review(change_id: str):
    change = opaque_ids.get_or_404(ListingChange, change_id, "change_id")
    changes = listing_fields.change_diff(change)
    form = ReviewForm(data={"publish": list(change.fields)} if request.method == "GET" else None)
    form.publish.choices = [(item.key, str(item.label)) for item in changes]
    errors: list[dict] = []
    if request.method == "POST" and change.status == "pending" and form.validate():
        errors = _decide(change, form)
        if not errors:
            return redirect(url_for("admin.approval_queue"))
    return render_template("admin/approval_review.html", change=change, changes=changes, form=form,
                           errors=errors), 400 if errors else 200


def _decide(change: ListingChange, form: ReviewForm) -> list[dict]:
    """Apply the decision; the problems for the error summary if it cannot be."""
    reason = form.reason.data or ""
    chosen = set(form.publish.data or []) & set(change.fields)
    rejecting = bool(form.reject.data)
    if rejecting and not reason.strip():
        return [_error(form.reason, _("Say why the change is not published"))]
    if not rejecting and not change.is_new_service:
        if not chosen:
            return [_error(form.publish, _("Tick at least one change to publish, or reject the change"))]
        if chosen != set(change.fields) and not reason.strip():
            return [_error(form.reason, _("Say why the unticked changes are not published"))]
    try:
        if rejecting:
            listing_changes.reject(change, current_user(), reason)
        else:
            listing_changes.approve(change, current_user(), chosen or None, reason)
    except listing_changes.OwnChange:
        return [{"text": _("You proposed this change, so another admin must decide it"), "href": "#publish"}]
    except listing_changes.AlreadyDecided:
        db.session.rollback()
        return [{"text": _("Someone else has already decided this change"), "href": "#publish"}]
    except listing_changes.ListingInvalid as invalid:
        db.session.rollback()
        return [{"text": _("These changes cannot be published together: %(problem)s",
                           problem=problem.message), "href": "#publish"} for problem in invalid.problems]
    flash(_("The change to %(name)s is rejected; the provider has been told.", name=change.title)
          if rejecting else _("The change to %(name)s is published.", name=change.title))
    return []


def _error(field, message: str) -> dict:
    field.errors = [message]
    return {"text": message, "href": f"#{field.id}"}


# -- listings and their history ---------------------------------------------------------

@bp.route("/listings")
@admin_required
def listing_index():
    text = request.args.get("q", "").strip()[:100]
    query = select(Service).options(selectinload(Service.organisation)).order_by(Service.name)
    if text:
        query = query.where(or_(Service.name.ilike(f"%{text}%"), Service.id.ilike(f"%{text}%")))
    services = list(db.session.scalars(query.limit(101)))
    return render_template("admin/listing_index.html", services=services[:100], more=len(services) > 100,
                           q=text)


@bp.route("/services/<service_id>/history")
@admin_required
def listing_history(service_id: str):
    service = db.get_or_404(Service, service_id)
    return render_template(
        "admin/history_listing.html", service=service, entries=listing_versions.history(service),
        version_url=lambda number: url_for("admin.listing_version", service_id=service.id, number=number))


@bp.route("/services/<service_id>/versions/<int:number>")
@admin_required
def listing_version(service_id: str, number: int):
    service = db.get_or_404(Service, service_id)
    version = listing_versions.get_version(service, number) or abort(404)
    return render_template("admin/history_version.html", service=service, version=version,
                           form=RestoreForm(), errors=[],
                           is_current=_is_current(service, version))


def _is_current(service: Service, version) -> bool:
    return listing_fields.listing_fields(version.data) == listing_fields.current_fields(service)


@bp.route("/services/<service_id>/versions/<int:number>/restore", methods=["POST"])
@admin_required
def listing_restore(service_id: str, number: int):
    service = db.get_or_404(Service, service_id)
    version = listing_versions.get_version(service, number) or abort(404)
    form = RestoreForm()
    errors = []
    if form.validate():
        if not (form.reason.data or "").strip():
            errors = [_error(form.reason, _("Say why this version is restored"))]
        else:
            try:
                restored = listing_versions.restore(service, number, current_user(), form.reason.data)
            except listing_changes.NothingChanged:
                errors = [_error(form.reason, _("This version is the same as the listing now"))]
            except listing_changes.ListingInvalid as invalid:
                db.session.rollback()
                errors = [_error(form.reason, _("This version cannot be restored: %(problem)s",
                                                problem=invalid.problems[0].message))]
            else:
                flash(_("Version %(old)d is restored as version %(new)d and is public now.",
                        old=number, new=restored.number))
                return redirect(url_for("admin.listing_history", service_id=service.id))
    else:
        errors = [{"text": message, "href": f"#{form[name].id}"}
                  for name, messages in form.errors.items() for message in messages[:1]]
    return render_template("admin/history_version.html", service=service, version=version, form=form,
                           errors=errors, is_current=_is_current(service, version)), 400


# -- problems reported by the public ---------------------------------------------------

@bp.route("/feedback")
@admin_required
def feedback_list():
    show = request.args.get("show", FeedbackStatus.OPEN)
    status = show if show in FeedbackStatus.ALL else None
    return render_template("admin/feedback_list.html", show=show, items=feedback.all_feedback(status),
                           kinds=feedback.KIND_LABELS)


@bp.route("/feedback/<key:feedback_id>")
@admin_required
def feedback_detail(feedback_id: str):
    item = opaque_ids.get_or_404(Feedback, feedback_id, "feedback_id")
    return render_template("admin/feedback_detail.html", item=item, kinds=feedback.KIND_LABELS)


# -- stale listings ------------------------------------------------------------------------

@bp.route("/stale")
@admin_required
def stale_listings():
    return render_template("admin/stale_listings.html", report=freshness.stale_report())
