"""Error pages in the site's own style, and JSON-free plain 4xx for bad requests."""

import contextlib

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest, Conflict, HTTPException

from app.extensions import DATABASE_UNAVAILABLE, database_unreachable, db


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        template = {404: "errors/404.html", 405: "errors/404.html", 413: "errors/413.html"}.get(
            error.code or 500, "errors/4xx.html")
        if (error.code or 500) >= 500:
            template = "errors/500.html"
        return render_template(template, error=error), error.code

    @app.errorhandler(CSRFError)
    def form_not_trusted(error: CSRFError):
        # Flask-WTF's reasons are English and technical: log them, tell people what to do.
        app.logger.info("Form refused: %s", error.description)
        _record_csrf_refusal(error)
        refused = BadRequest(_("This page had expired, or your browser did not send back what "
                               "it needs to (it may be blocking cookies from this site). Go back, "
                               "reload the page and try again: anything you already saved is kept."))
        return render_template("errors/4xx.html", error=refused), 400

    @app.errorhandler(IntegrityError)
    def conflicting_change(error: IntegrityError):
        # Two people changing the same thing at the same moment (two admins approving
        # changes to one listing, say): the database keeps one; the other is told, not shown a 500.
        db.session.rollback()
        app.logger.warning("Conflicting change refused: %s", error.orig)
        conflict = Conflict(_("Someone else changed this at the same moment, so your change was "
                              "not saved. Go back, reload the page to see the latest, and try again."))
        return render_template("errors/4xx.html", error=conflict), 409

    def database_unavailable(error: Exception):
        if not database_unreachable(error):
            return unexpected_error(error)
        app.logger.error("Database unavailable: %s", error)
        g.database_unavailable = True
        g.user = None  # the staff bar would read the account from the database
        with contextlib.suppress(Exception):  # the connection may be gone
            db.session.rollback()
        # A referral's answers stay in the session: the send button can simply be pressed again.
        sending = request.method == "POST" and request.endpoint == "referrals.step" and (
            (request.view_args or {}).get("step") == "check")
        return render_template("errors/503.html", sending=sending), 503, {"Retry-After": "60"}

    for kind in DATABASE_UNAVAILABLE:
        app.register_error_handler(kind, database_unavailable)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("Unhandled error")
        # A failed statement leaves PostgreSQL's transaction aborted; the error page
        # itself reads the database, so start afresh.
        db.session.rollback()
        try:
            return render_template("errors/500.html"), 500
        except Exception:  # the page's own reads failed too: show it without the database
            g.database_unavailable, g.user = True, None
            return render_template("errors/500.html"), 500


def _record_csrf_refusal(error: CSRFError) -> None:
    """Who (if signed in), what and when: the token check runs before the user is loaded."""
    from app.security import refusals
    from app.web.auth import access

    access.load_user()
    refusals.record_refusal(refusals.CSRF_REFUSED, str(error.description))
