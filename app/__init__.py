"""The Surrey Family Support Directory: a Flask application factory."""

import contextlib
import os
from pathlib import Path

from flask import Flask, abort, request
from flask_babel import gettext as _
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app import assets, i18n, search
from app.config import Config, ProductionConfig, config_for
from app.extensions import DATABASE_UNAVAILABLE, babel, compress, csrf, db, migrate
from app.security import headers as security_headers
from app.security import logs as security_logs
from app.security import opaque_ids
from app.security.startup import check_production
from app.web import exit_this_page
from app.web.auth import access as auth_access


def create_app(config_class: type[Config] | None = None) -> Flask:
    config_class = config_class or config_for(os.environ.get("APP_ENV"))
    app = Flask(__name__, template_folder="../templates", static_folder="../static",
                instance_relative_config=True)
    app.config.from_object(config_class)
    _refuse_insecure_production(app, config_class)
    _default_database(app)
    _bound_database_connects(app)

    db.init_app(app)
    _end_sessions_quietly(app)
    _enforce_sqlite_foreign_keys(app)
    _refuse_null_characters(app)  # before the CSRF check, which reads the form
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"),
                     render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    exit_this_page.init_app(app)
    compress.init_app(app)
    assets.init_app(app)
    search.init_app(app)
    auth_access.init_app(app)
    security_headers.init_app(app)
    _setup_templates(app)
    _bound_integer_ids(app)  # before the routes that use it are added
    opaque_ids.init_app(app)
    _register_blueprints(app)
    _register_cli(app)
    _trust_proxies(app)
    from app.notifications import outbox

    outbox.start_sending_in_development(app)
    security_logs.install()
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXY_HOPS proxies, take the client's address and scheme from their
    X-Forwarded-* headers: otherwise every visitor shares the proxy's address, and one
    person's failed sign-ins or referrals would use up everyone's allowance. Never set it
    without a proxy that overwrites those headers: a client could choose its own address."""
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _refuse_null_characters(app: Flask) -> None:
    """A null character anywhere in a request is a 400 with a message: PostgreSQL cannot
    store one in text, and no person types one."""
    @app.before_request
    def refuse_null_characters():
        # The search page explains bad search text beside its own search box.
        args = [] if request.endpoint in ("search.results",) else request.args.lists()
        sent = [request.path, *(name for name, _ in request.form.lists()),
                *(value for _, values in [*args, *request.form.lists()] for value in values)]
        if any("\x00" in value for value in sent):
            abort(400, description=_("What was sent contains a character that cannot be used "
                                     "(a null character). Remove it and try again."))


def _bound_integer_ids(app: Flask) -> None:
    """An <int:...> id too large for the database is not found, not a 500. Every id column is
    an Integer, which PostgreSQL holds in 32 bits (SQLite raises past 64)."""
    class DatabaseInteger(IntegerConverter):
        def __init__(self, url_map, *args, **kwargs):
            kwargs.setdefault("max", 2**31 - 1)
            super().__init__(url_map, *args, **kwargs)

    app.url_map.converters["int"] = DatabaseInteger


def _refuse_insecure_production(app: Flask, config_class: type[Config]) -> None:
    if issubclass(config_class, ProductionConfig):
        check_production(app.config)


def _default_database(app: Flask) -> None:
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'directory.sqlite'}"
        )


def _end_sessions_quietly(app: Flask) -> None:
    """A connection cut after a request's last query makes the end-of-request rollback
    fail; the page is already made, so log it rather than turn it into a bare 500.
    (Registered after Flask-SQLAlchemy's teardown, so it runs first.)"""
    @app.teardown_appcontext
    def end_session(_error: BaseException | None = None) -> None:
        try:
            db.session.remove()
        except DATABASE_UNAVAILABLE as error:
            app.logger.warning("Database connection lost at the end of a request: %s", error)
            with contextlib.suppress(Exception):
                db.session.remove()


def _bound_database_connects(app: Flask) -> None:
    """A database that does not answer (a dropped network path, not a refusal) fails a
    connection within DATABASE_CONNECT_TIMEOUT seconds, so the page is a 503, not a hang."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("connect_timeout", app.config["DATABASE_CONNECT_TIMEOUT"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect_args}


def _enforce_sqlite_foreign_keys(app: Flask) -> None:
    """SQLite ignores foreign keys unless asked; PostgreSQL always enforces them."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _on_connect(connection, _record) -> None:
            connection.execute("PRAGMA foreign_keys=ON")
            # Readers do not wait for writers, and commits need not wait for the disk:
            # several gunicorn workers share one file.
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA busy_timeout=5000")


def _setup_templates(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(str(Path(app.root_path).parent / "templates")),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    WTFormsHelpers(app)  # wtforms_errors() for error summaries
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    from app.web.templating import register_templating

    register_templating(app)


def _register_blueprints(app: Flask) -> None:
    from app.web.admin import bp as admin_bp
    from app.web.api import bp as api_bp
    from app.web.auth.views import bp as auth_bp
    from app.web.provider import bp as provider_bp
    from app.web.public import bp as public_bp
    from app.web.public.errors import register_error_handlers
    from app.web.public.feedback_views import bp as feedback_bp
    from app.web.public.health import bp as health_bp
    from app.web.public.search_views import bp as search_bp
    from app.web.public.shortlist_views import bp as shortlist_bp
    from app.web.referrals import bp as referrals_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(shortlist_bp)
    app.register_blueprint(feedback_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(provider_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(referrals_bp)
    register_error_handlers(app)


def _register_cli(app: Flask) -> None:
    from app.cli import register_commands

    register_commands(app)
