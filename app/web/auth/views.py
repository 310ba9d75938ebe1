"""Signing in (password, then an authenticator code), setting up the second factor,
signing out, accepting an invitation and resetting a password."""

import time
from datetime import timedelta
from urllib.parse import urlsplit

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup

from app import rate_limits
from app.accounts import credentials
from app.accounts.audit import record_event
from app.extensions import db
from app.models.accounts import TokenPurpose, User
from app.notifications.links import public_url
from app.notifications.outbox import queue_email
from app.web.auth import access, current_user, never_cache
from app.web.auth.forms import (
    CodeForm,
    ConfirmPasswordForm,
    NewPasswordForm,
    ResetRequestForm,
    SignInForm,
)

bp = Blueprint("auth", __name__)
bp.after_request(never_cache)

# Between the password and the second factor the session holds only these.
PENDING_USER = "pending_user"
PENDING_SINCE = "pending_since"
PENDING_SECRET = "pending_totp_secret"
PENDING_NEXT = "pending_next"
PENDING_MINUTES = 10


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site, so a sign-in link cannot send anyone elsewhere."""
    # Browsers read a backslash as a slash ("/\\evil.example" is another site) and drop
    # tabs and newlines, so a path with any of them is refused outright.
    if not target or not target.startswith("/") or any(c == "\\" or ord(c) < 32 for c in target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:  # "//[x": not a URL at all
        return None
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


def _home_for(user: User) -> str:
    return url_for("admin.home") if user.is_admin else url_for("provider.home")


def _pending_user() -> User:
    """The user who has given a correct password in this session, within 10 minutes."""
    user_id = session.get(PENDING_USER)
    if user_id is None or time.time() - session.get(PENDING_SINCE, 0) > PENDING_MINUTES * 60:
        abort(redirect(url_for("auth.sign_in")))
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        session.clear()
        abort(redirect(url_for("auth.sign_in")))
    return user


def _finish(user: User):
    target = session.get(PENDING_NEXT)
    access.start_session(user)
    credentials.complete_sign_in(user)
    return redirect(_safe_next(target) or _home_for(user))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user():
        return redirect(_home_for(current_user()))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        result = credentials.check_password_sign_in(form.email.data, form.password.data,
                                                 request.remote_addr)
        if result.rate_limited:
            form.email.errors = [_("Too many attempts to sign in from this connection. "
                                   "Wait 15 minutes, then try again.")]
            status = 429
        elif result.user is None:
            form.email.errors = [_("Enter a correct email address and password. If you have "
                                   "tried several times, wait 30 minutes or reset your password.")]
            status = 401
        else:
            session.clear()  # a new session from here on
            session[PENDING_USER] = result.user.id
            session[PENDING_SINCE] = time.time()
            session[PENDING_NEXT] = _safe_next(request.args.get("next"))
            if result.user.totp_enabled:
                return redirect(url_for("auth.second_factor"))
            return redirect(url_for("auth.set_up_second_factor"))
    elif form.errors:
        status = 400
    return render_template("auth/sign_in.html", form=form,
                           ended=g.get("session_ended")), status


@bp.route("/sign-in/code", methods=["GET", "POST"])
def second_factor():
    user = _pending_user()
    if not user.totp_enabled:
        return redirect(url_for("auth.set_up_second_factor"))
    form = CodeForm()
    if form.validate_on_submit():
        if credentials.check_second_factor(user, form.code.data):
            return _finish(user)
        form.code.errors = [_("The security code is not right. Check your app and try again.")]
    return render_template("auth/form.html", form=form, title=_("Enter your security code"),
                           intro=_("Open the authenticator app on your phone.")), 400 if form.errors else 200


@bp.route("/sign-in/set-up", methods=["GET", "POST"])
def set_up_second_factor():
    """Everyone who can sign in can read children's details, so everyone needs a second
    factor before their first session starts."""
    user = _pending_user()
    if user.totp_enabled:
        return redirect(url_for("auth.second_factor"))
    secret = session.get(PENDING_SECRET) or credentials.new_totp_secret()
    session[PENDING_SECRET] = secret
    form = CodeForm()
    if form.validate_on_submit():
        codes = credentials.confirm_totp(user, secret, form.code.data)
        if codes is not None:
            access.start_session(user)
            credentials.complete_sign_in(user)
            return render_template("auth/recovery_codes.html", codes=codes, next_url=_home_for(user))
        form.code.errors = [_("The security code is not right. Check the app shows "
                              "this account and try again.")]
    uri = credentials.totp_uri(user, secret)
    qr = Markup(segno.make(uri, error="m").svg_inline(scale=4, title=_("QR code for your authenticator app")))
    return (render_template("auth/set_up.html", form=form, qr=qr, secret=secret, uri=uri),
            400 if form.errors else 200)


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    user = current_user()
    if user:
        credentials.sign_out(user)
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account/confirm-password", methods=["GET", "POST"])
def confirm_password():
    """The password again before a sensitive action (access.reauthentication_required).
    The session has already passed the second factor, so the password alone is asked for;
    wrong ones count towards the lockout like any sign-in."""
    user = current_user()
    if user is None:
        return redirect(url_for("auth.sign_in", next=request.args.get("next")))
    form = ConfirmPasswordForm()
    target = _safe_next(request.args.get("next")) or _home_for(user)
    status = 200
    if form.validate_on_submit():
        result = credentials.check_password_sign_in(user.email, form.password.data, request.remote_addr)
        if result.user is not None and result.user.id == user.id:
            access.mark_reauthenticated()
            record_event("account.reauthenticated", actor=user.email, subject_type="user",
                         subject_id=user.id)
            db.session.commit()
            return redirect(target)
        form.password.errors = [_("The password is not right. After several wrong tries "
                                  "the account is locked for 30 minutes.")]
        status = 429 if result.rate_limited else 401
    elif form.errors:
        status = 400
    return render_template("auth/form.html", form=form, title=_("Confirm your password"),
                           intro=_("You are about to change who can see children's details, or "
                                   "to download them. Enter your password to go on.")), status


@bp.route("/account/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    return _choose_password(token, TokenPurpose.INVITATION, _("Create your password"))


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _choose_password(token, TokenPurpose.PASSWORD_RESET, _("Choose a new password"))


def _choose_password(token: str, purpose: str, title: str):
    found = credentials.find_token(token, purpose)
    if found is None:
        return render_template("auth/link_expired.html"), 404
    form = NewPasswordForm(email=found.user.email)
    if form.validate_on_submit():
        credentials.set_password(found.user, form.password.data)
        credentials.use_token(found)
        record_event(f"account.{purpose}-used", actor=found.user.email, subject_type="user",
                     subject_id=found.user.id)
        db.session.commit()
        session.clear()
        flash(_("Your password is saved. Sign in with it now."), "info")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/form.html", form=form, title=title,
                           intro=_("For %(email)s", email=found.user.email)), 400 if form.errors else 200


@bp.route("/password-reset", methods=["GET", "POST"])
def request_password_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        config = current_app.config
        if rate_limits.seconds_to_wait("password-reset", rate_limits.HOUR,
                                       config["PASSWORD_RESET_RATE_LIMIT"], request.remote_addr):
            form.email.errors = [_("Too many password resets asked for from this connection. "
                                   "Wait an hour, then try again.")]
            return render_template("auth/form.html", form=form, title=_("Reset your password")), 429
        # A few links an hour to any one inbox: asking again and again cannot flood it.
        flooding = rate_limits.seconds_to_wait("password-reset-inbox", rate_limits.HOUR,
                                               config["PASSWORD_RESET_EMAILS_PER_HOUR"],
                                               form.email.data.strip().lower())
        user = credentials.find_user_by_email(form.email.data)
        if not flooding and user is not None and user.active and user.password_hash:
            send_password_reset(user)
            db.session.commit()
        # The same answer whether or not the address has an account.
        return render_template("auth/check_email.html", email=form.email.data)
    return render_template("auth/form.html", form=form, title=_("Reset your password"),
                           intro=_("We will email you a link to choose a new password.")), \
        400 if form.errors else 200


def send_password_reset(user: User) -> None:
    lifetime = timedelta(minutes=current_app.config["PASSWORD_RESET_MINUTES"])
    token = credentials.issue_token(user, TokenPurpose.PASSWORD_RESET, lifetime)
    link = public_url("auth.reset_password", token=token)
    queue_email(user.email, "Reset your password",
                f"Someone asked to reset the password for this account.\n\nTo choose a new "
                f"password, open this link within {lifetime.seconds // 60} minutes:\n{link}\n\n"
                "If it wasn't you, you can ignore this email.", kind="account.password-reset")


def send_invitation(user: User, token: str) -> None:
    link = public_url("auth.accept_invitation", token=token)
    days = current_app.config["INVITATION_DAYS"]
    queue_email(user.email, "You're invited to the Surrey Family Support Directory",
                f"You have been given an account to keep your services' listings and waiting "
                f"times up to date and answer referrals.\n\nCreate your password within {days} "
                f"days with this link (it works once):\n{link}\n\nYou will then set up an "
                "authenticator app on your phone, because referrals include children's details.",
                kind="account.invitation")
