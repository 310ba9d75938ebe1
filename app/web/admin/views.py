"""Partnership admins: people and their access, organisations, the audit log."""

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts import credentials, people
from app.accounts.audit import record_event
from app.directory.directory_file import check_organisation_entry
from app.extensions import db
from app.models.accounts import TokenPurpose, User
from app.models.directory import Organisation
from app.models.notifications import Notification
from app.notifications import outbox
from app.security import opaque_ids
from app.web.admin import bp
from app.web.admin.forms import AccessForm, InviteForm, OrganisationForm
from app.web.auth import admin_required, current_user
from app.web.auth.access import ask_for_password, authenticated_recently, reauthentication_required
from app.web.auth.views import send_invitation
from app.web.provider.listing_forms import friendly_message

# (endpoint, label) for the admin home page; each module adds its own pages.
LINKS: list[tuple[str, str]] = [
    ("admin.users", "People and access"),
    ("admin.organisations", "Organisations"),
    ("admin.audit_log", "Audit log"),
    ("admin.emails_not_sent", "Emails that have not gone"),
    ("admin.oversight", "Oversight"),
    ("admin.search_words_list", "Search words"),
]


@bp.route("/")
@admin_required
def home():
    return render_template("admin/home.html", links=[(endpoint, _(label)) for endpoint, label in LINKS])


@bp.route("/users")
@admin_required
def users():
    return render_template("admin/users.html", users=people.all_users())


@bp.route("/users/invite", methods=["GET", "POST"])
@admin_required
@reauthentication_required
def invite():
    form = InviteForm(organisation_choices=people.organisation_choices())
    if form.validate_on_submit():
        if credentials.find_user_by_email(form.email.data):
            form.email.errors = [_("There is already an account for this email address")]
        else:
            user, token = credentials.invite_user(
                form.email.data, role=form.role.data, organisation_ids=form.organisations.data or [],
                invited_by=current_user(), name=form.name.data)
            send_invitation(user, token)
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=user.email))
            return redirect(url_for("admin.users"))
    return render_template("auth/form.html", form=form, title=_("Invite someone"),
                           field_params=_access_field_params()), 400 if form.errors else 200


def _access_field_params() -> dict:
    return {"role": {"fieldset": {"legend": {"text": _("Role"), "classes": "govuk-fieldset__legend--m"}}},
            "organisations": {"fieldset": {"legend": {"text": _("Organisations"),
                                                      "classes": "govuk-fieldset__legend--m"}},
                              "classes": "govuk-checkboxes--small"}}


@bp.route("/users/<key:user_id>", methods=["GET", "POST"])
@admin_required
def user(user_id: str):
    if request.method == "POST" and not authenticated_recently():
        return ask_for_password()  # changing a role or organisations: the password again
    person = opaque_ids.get_or_404(User, user_id, "user_id")
    form = AccessForm(organisation_choices=people.organisation_choices(),
                      data={"role": person.role, "organisations": sorted(person.organisation_ids)})
    if form.validate_on_submit():
        if person.id == current_user().id and form.role.data != person.role:
            form.role.errors = [_("You cannot change your own role. Ask another admin.")]
        else:
            people.change_access(person, role=form.role.data,
                                 organisation_ids=form.organisations.data or [], by=current_user())
            flash(_("Access for %(email)s saved.", email=person.email))
            return redirect(url_for("admin.user", user_id=person.uuid))
    return render_template("admin/user.html", person=person, form=form,
                           field_params=_access_field_params(),
                           recovery_codes_left=credentials.unused_recovery_codes(person)), \
        400 if form.errors else 200


@bp.route("/users/<key:user_id>/active", methods=["POST"])
@admin_required
@reauthentication_required
def set_active(user_id: str):
    person = opaque_ids.get_or_404(User, user_id, "user_id")
    if person.id == current_user().id:
        abort(400, _("You cannot disable your own account."))
    make_active = request.form.get("active") == "1"
    people.set_active(person, make_active, by=current_user())
    flash(_("%(email)s can sign in again.", email=person.email) if make_active
          else _("%(email)s is disabled and signed out everywhere.", email=person.email))
    return redirect(url_for("admin.user", user_id=person.uuid))


@bp.route("/users/<key:user_id>/invitation", methods=["POST"])
@admin_required
@reauthentication_required
def resend_invitation(user_id: str):
    person = opaque_ids.get_or_404(User, user_id, "user_id")
    if person.password_hash:
        abort(400, _("This person has already accepted their invitation."))
    token = credentials.issue_token(person, TokenPurpose.INVITATION,
                                 timedelta(days=current_app.config["INVITATION_DAYS"]))
    send_invitation(person, token)
    record_event("user.reinvited", subject_type="user", subject_id=person.id)
    db.session.commit()
    flash(_("A new invitation is on its way to %(email)s.", email=person.email))
    return redirect(url_for("admin.user", user_id=person.uuid))


@bp.route("/organisations")
@admin_required
def organisations():
    return render_template("admin/organisations.html", rows=people.organisations_with_counts())


@bp.route("/organisations/new", methods=["GET", "POST"])
@admin_required
def organisation_new():
    form = OrganisationForm()
    if _valid(form, form.entry()):
        try:
            organisation = people.save_organisation(form.entry(), by=current_user())
        except people.OrganisationExists:
            form.id.errors = [_("There is already an organisation with this short name")]
        else:
            flash(_("%(name)s added. Invite the people who keep its listings.", name=organisation.name))
            return redirect(url_for("admin.organisations"))
    return render_template("auth/form.html", form=form, title=_("Add an organisation"),
                           intro=_("For a provider that is not in the directory file yet. Its people "
                                   "can then propose its services.")), 400 if form.errors else 200


@bp.route("/organisations/<organisation_id>/edit", methods=["GET", "POST"])
@admin_required
def organisation_edit(organisation_id: str):
    organisation = db.get_or_404(Organisation, organisation_id)
    form = OrganisationForm(obj=organisation)
    del form.id  # the id is in every web address and export: it stays
    entry = {"id": organisation.id, **form.entry()}
    if _valid(form, entry):
        people.save_organisation(entry, by=current_user(), organisation=organisation)
        flash(_("%(name)s saved.", name=organisation.name))
        return redirect(url_for("admin.organisations"))
    return render_template("auth/form.html", form=form, title=organisation.name,
                           intro=_("An import of the directory file that lists this organisation "
                                   "writes over these details.")), 400 if form.errors else 200


def _valid(form: OrganisationForm, entry: dict) -> bool:
    """Sent, and passes the form's checks and the directory file's own (every problem shown
    on its field at once)."""
    if not form.is_submitted():
        return False
    valid = form.validate()
    _, problems = check_organisation_entry(entry)
    for problem in problems:
        field = form._fields.get(problem.path.rsplit(".", 1)[-1]) or form.name
        if not field.errors:
            field.errors = [*field.errors, friendly_message(field, problem)]
    return valid and not problems


@bp.route("/audit-log")
@admin_required
def audit_log():
    page = request.args.get("page", 1, type=int)
    if page < 1 or page > 10_000:
        abort(400, _("That page number is out of range."))
    action = request.args.get("action", "")[:60]
    events, more = people.audit_page(page, action_prefix=action)
    return render_template("admin/audit_log.html", events=events, page=page, more=more, action=action)


@bp.route("/outbox")
@admin_required
def emails_not_sent():
    return render_template("admin/outbox.html", notifications=outbox.needs_attention(),
                           shown_recipient=outbox.shown_recipient, shown_error=outbox.shown_error,
                           failure_kind=outbox.failure_kind, retry_until=outbox.retry_until,
                           max_attempts=current_app.config["MAIL_MAX_ATTEMPTS"])


@bp.route("/outbox/<key:notification_id>/retry", methods=["POST"])
@admin_required
def retry_notification(notification_id: str):
    notification, legacy = opaque_ids.find(Notification, notification_id)
    if notification is None or legacy or notification.sent_at is not None:
        abort(404)
    outbox.retry(notification)
    record_event("notification.retried", subject_type="notification", subject_id=notification.id)
    db.session.commit()
    flash(_("The email to %(to)s will be tried again on the next send.",
            to=outbox.shown_recipient(notification)))
    return redirect(url_for("admin.emails_not_sent"))
