"""Who is signed in, and the checks every non-public page carries.

The session cookie holds the user's id and their `session_version`; bumping the version
in the database ends every session at once (sign-out, password change, disabling).
Sessions also end after SESSION_IDLE_MINUTES without a request.
"""

import time
from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, g, redirect, request, session, url_for

from app.extensions import db
from app.models.accounts import Role, User

# Session keys
USER_ID = "user_id"
VERSION = "session_version"
LAST_SEEN = "last_seen"


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
    now = time.time()
    idle_limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    user = db.session.get(User, user_id)
    if (user is None or not user.active or session.get(VERSION) != user.session_version
            or now - session.get(LAST_SEEN, 0) > idle_limit):
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
    session[LAST_SEEN] = time.time()
    session.permanent = False
    g.user = user


def _require(role: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            if role == Role.ADMIN and not user.is_admin:
                abort(404)  # does not say the page exists
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

    user = current_user()
    service = db.session.get(Service, service_id)
    if service is None or user is None or not user.can_act_for(service):
        abort(404)
    return service


def init_app(app) -> None:
    app.before_request(load_user)
    app.context_processor(lambda: {"current_user": current_user})
