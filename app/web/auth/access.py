"""Who is signed in, and the checks every non-public page carries.

The session cookie holds the user's id and their `session_version`; bumping the version
in the database ends every session at once (sign-out, password change, disabling).
Sessions also end after SESSION_IDLE_MINUTES without a request, and SESSION_ABSOLUTE_HOURS
after sign-in however active. Sensitive actions need the password given again within
REAUTHENTICATE_MINUTES (`reauthentication_required`).
"""

import time
from collections.abc import Callable
from functools import wraps

from flask import current_app, g, redirect, request, session, url_for

from app.extensions import db
from app.models.accounts import Role, User

# Session keys
USER_ID = "user_id"
VERSION = "session_version"
LAST_SEEN = "last_seen"
SIGNED_IN_AT = "signed_in_at"
AUTHENTICATED_AT = "authenticated_at"  # the last time the password was given


def clock() -> float:
    """Seconds since the epoch; tests replace it to move time on."""
    return time.time()


def current_user() -> User | None:
    """The fully signed-in user (password and second factor), or None."""
    return g.get("user")


def load_user() -> None:
    """Runs before every request: finds the signed-in user, ending a session that is
    idle, outdated or belongs to a disabled account."""
    g.user = None
    user_id = session.get(USER_ID)
    if user_id is None:
        return
    now = clock()
    config = current_app.config
    idle_limit = config["SESSION_IDLE_MINUTES"] * 60
    # A session from before this limit existed has no start: it ends too.
    too_old = now - session.get(SIGNED_IN_AT, 0) > config["SESSION_ABSOLUTE_HOURS"] * 3600
    user = db.session.get(User, user_id)
    if (user is None or not user.active or session.get(VERSION) != user.session_version
            or now - session.get(LAST_SEEN, 0) > idle_limit or too_old):
        session.clear()
        g.session_ended = True
        return
    session[LAST_SEEN] = now
    g.user = user


def start_session(user: User) -> None:
    """A fresh session for a user who has passed both factors."""
    session.clear()  # nothing from before sign-in carries over
    session[USER_ID] = user.id
    session[VERSION] = user.session_version
    now = clock()
    session[LAST_SEEN] = session[SIGNED_IN_AT] = session[AUTHENTICATED_AT] = now
    session.permanent = False
    g.user = user


def authenticated_recently() -> bool:
    limit = current_app.config["REAUTHENTICATE_MINUTES"] * 60
    return clock() - session.get(AUTHENTICATED_AT, 0) <= limit


def mark_reauthenticated() -> None:
    session[AUTHENTICATED_AT] = clock()


def reauthentication_required(view: Callable) -> Callable:
    """Adding or inviting people, changing roles, disabling and exports: the password again
    if it was last given more than REAUTHENTICATE_MINUTES ago. Goes inside admin_required or
    provider_required. A refused POST returns to the page its form is on."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not authenticated_recently():
            return ask_for_password()
        return view(*args, **kwargs)

    return wrapped


def ask_for_password():
    """To the password page, and from there back to this page (or, after a POST-only
    action, to the page the form was on)."""
    if request.method == "GET":
        back = request.full_path.rstrip("?")
    elif "GET" in (request.url_rule.methods or ()):
        back = request.path
    else:
        back = _same_site_path(request.referrer) or url_for("auth.sign_in")
    return redirect(url_for("auth.confirm_password", next=back))


def _same_site_path(url: str | None) -> str | None:
    from urllib.parse import urlsplit

    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _require(role: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            if role == Role.ADMIN and not user.is_admin:
                from app.security import refusals

                refusals.not_found("page", request.path[:100], reason=refusals.ADMINS_ONLY)
            return view(*args, **kwargs)

        wrapped.access = role  # read by the test that walks every route
        return wrapped

    return decorator


provider_required = _require(Role.PROVIDER)  # any signed-in user: providers and admins
admin_required = _require(Role.ADMIN)


def never_cache(response):
    """Pages with personal data or account details must not be kept by browsers or proxies."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def own_service_or_404(service_id: str):
    """A service the signed-in user acts for; anyone else's looks like a missing page."""
    from app.models.directory import Service
    from app.security import refusals

    user = current_user()
    service = db.session.get(Service, service_id)
    if service is None or user is None or not user.can_act_for(service):
        refusals.not_found("service", service_id, exists=service is not None)
    return service


def init_app(app) -> None:
    app.before_request(load_user)
    app.context_processor(lambda: {"current_user": current_user})
