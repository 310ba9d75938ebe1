"""Providers' listings: propose edits and new services (published after approval), see
what the partnership decided, a listing's history, "still right", and problems reported
by the public. Anything not the user's own organisations' is a 404."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.directory import (
    feedback,
    freshness,
    listing_changes,
    listing_fields,
    listing_versions,
    waiting_times,
)
from app.extensions import db
from app.models import ChangeStatus, Feedback, FeedbackStatus, ListingChange, Organisation
from app.security import opaque_ids, refusals
from app.web import listing_display
from app.web.auth import current_user, provider_required
from app.web.auth.access import own_service_or_404
from app.web.provider import LINKS, bp
from app.web.provider.listing_forms import EntryFromForm, ListingForm, NewListingForm, error_list, form_data

LINKS.extend([("provider.listing_index", "Your listings and changes"),
              ("provider.feedback_list", "Problems reported by the public")])
bp.record_once(lambda state: listing_display.register(state.app))


@bp.route("/listings")
@provider_required
def listing_index():
    user = current_user()
    services = waiting_times.services_for(user)
    changes = listing_changes.changes_for_organisations(user.organisation_ids)
    pending = {change.service_id: change for change in changes if change.status == ChangeStatus.PENDING}
    return render_template(
        "provider/listing_index.html", services=services, changes=changes, pending=pending,
        freshness={service.id: freshness.freshness(service) for service in services},
        open_feedback=len(feedback.for_organisations(user.organisation_ids, FeedbackStatus.OPEN)))


def _form_page(form: ListingForm, *, title: str, errors: list[dict], service=None, pending=None,
               status: int = 200):
    if errors:
        status = 400
    return render_template("provider/listing_form.html", form=form, title=title, errors=errors,
                           service=service, pending=pending), status


@bp.route("/services/<service_id>/edit", methods=["GET", "POST"])
@provider_required
def listing_edit(service_id: str):
    service = own_service_or_404(service_id)
    pending = listing_changes.pending_change_for(service)
    current = listing_fields.current_fields(service)
    title = _("Change the listing: %(name)s", name=service.name)
    if request.method == "GET":
        # Carry on from a change still waiting, rather than losing it.
        form = ListingForm(data=form_data(pending.proposed if pending else current))
        form.add_blank_entries()
        return _form_page(form, title=title, errors=[], service=service, pending=pending)
    form = ListingForm()
    if form.wants_another():
        form.add_blank_entries()
        return _form_page(form, title=title, errors=[], service=service, pending=pending)
    form.validate()
    built = EntryFromForm(form, service.id, service.organisation_id, current["locations"])
    canonical, problems = listing_fields.check_entry(built.entry)
    built.put_problems(form, problems)
    errors = error_list(form)
    if not errors and canonical is not None:
        try:
            change = listing_changes.propose_edit(service, current_user(), canonical, form.reason.data)
        except listing_changes.NothingChanged:
            errors = [{"text": _("You have not changed anything in the listing"), "href": "#name"}]
        else:
            flash(_("Your change is with the partnership for approval. The public page will show it "
                    "once it is approved."))
            return redirect(url_for("provider.listing_change", change_id=change.uuid))
    form.add_blank_entries()
    return _form_page(form, title=title, errors=errors, service=service, pending=pending)


@bp.route("/services/new", methods=["GET", "POST"])
@provider_required
def listing_new():
    user = current_user()
    if not user.organisations:
        abort(404)
    title = _("Propose a new service")
    if request.method == "GET":
        form = NewListingForm(data={"languages": ["en"], "free": "yes"})
    else:
        form = NewListingForm()
    form.organisation.choices = [(org.id, org.name) for org in user.organisations]
    if request.method == "GET" or form.wants_another():
        form.add_blank_entries()
        return _form_page(form, title=title, errors=[])
    form.validate()
    organisation = db.session.get(Organisation, form.organisation.data or "")
    if organisation is None or organisation.id not in user.organisation_ids:
        form.organisation.errors = [_("Select one of your organisations")]
        organisation = user.organisations[0]
    built = EntryFromForm(form, listing_changes.slug_for(form.name.data or ""), organisation.id)
    canonical, problems = listing_fields.check_entry(built.entry)
    built.put_problems(form, problems)
    errors = error_list(form)
    if not errors and canonical is not None:
        change = listing_changes.propose_new(organisation, user, canonical, form.reason.data or "")
        flash(_("Your new service is with the partnership for approval. It will be public once it "
                "is approved."))
        return redirect(url_for("provider.listing_change", change_id=change.uuid))
    form.add_blank_entries()
    return _form_page(form, title=title, errors=errors)


def _own_change_or_404(change_id: str) -> ListingChange:
    change, legacy = opaque_ids.find(ListingChange, change_id)
    if change is None or change.organisation_id not in current_user().organisation_ids:
        refusals.not_found("listing-change", change_id, exists=change is not None)
    if legacy:
        opaque_ids.follow_legacy(change, "change_id")
    return change


@bp.route("/changes/<key:change_id>")
@provider_required
def listing_change(change_id: str):
    change = _own_change_or_404(change_id)
    return render_template("provider/listing_change.html", change=change,
                           changes=listing_fields.change_diff(change))


@bp.route("/services/<service_id>/history")
@provider_required
def listing_history(service_id: str):
    service = own_service_or_404(service_id)
    return render_template("provider/history_listing.html", service=service,
                           entries=listing_versions.history(service))


@bp.route("/services/<service_id>/still-right", methods=["POST"])
@provider_required
def listing_confirm(service_id: str):
    service = own_service_or_404(service_id)
    freshness.confirm_listing(service, current_user().email)
    flash(_("Thank you: %(name)s is confirmed as still right today.", name=service.name))
    return redirect(url_for("provider.listing_index"))


# -- problems reported by the public ---------------------------------------------------

def _own_feedback_or_404(feedback_id: str) -> Feedback:
    item, legacy = opaque_ids.find(Feedback, feedback_id)
    if item is None or item.service.organisation_id not in current_user().organisation_ids:
        refusals.not_found("feedback", feedback_id, exists=item is not None)
    if legacy:
        opaque_ids.follow_legacy(item, "feedback_id")
    return item


@bp.route("/feedback")
@provider_required
def feedback_list():
    show = request.args.get("show", FeedbackStatus.OPEN)
    status = show if show in FeedbackStatus.ALL else None
    return render_template("provider/feedback_list.html", show=show,
                           items=feedback.for_organisations(current_user().organisation_ids, status),
                           kinds=feedback.KIND_LABELS)


@bp.route("/feedback/<key:feedback_id>")
@provider_required
def feedback_detail(feedback_id: str):
    item = _own_feedback_or_404(feedback_id)
    return render_template("provider/feedback_detail.html", item=item, kinds=feedback.KIND_LABELS,
                           errors=[])


@bp.route("/feedback/<key:feedback_id>/resolve", methods=["POST"])
@provider_required
def feedback_resolve(feedback_id: str):
    item = _own_feedback_or_404(feedback_id)
    note = request.form.get("note", "")
    if len(note) > feedback.MAX_DETAIL:
        errors = [{"text": _("Keep the note to 1200 characters or fewer"), "href": "#note"}]
        return render_template("provider/feedback_detail.html", item=item, kinds=feedback.KIND_LABELS,
                               errors=errors, note=note), 400
    feedback.resolve(item, current_user(), note)
    flash(_("The report is marked resolved."))
    return redirect(url_for("provider.feedback_list"))
