"""`flask doctor`: checks a running configuration against the README's production
checklist and says what is wrong. Each finding is ok, warn (worth a look) or fail (fix
before serving the public); the command exits 1 when anything fails."""

import contextlib
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from app import search
from app.config import DEFAULT_SECRET_KEY
from app.extensions import database_unreachable, db
from app.models.directory import utcnow
from app.models.notifications import Notification

LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}


@dataclass
class Finding:
    level: str  # ok | warn | fail
    topic: str
    message: str


def examine(app: Flask) -> list[Finding]:
    findings: list[Finding] = []
    for check in (_environment, _secrets, _database, _migrations, _search_index, _mail, _outbox,
                  _proxies, _rate_limits, _geocoder):
        topic = check.__name__.strip("_").replace("_", " ")
        try:
            findings.extend(check(app))
        except Exception as error:  # one failed check must not hide the others
            with contextlib.suppress(Exception):
                db.session.rollback()
            cause = getattr(error, "orig", None) or error
            if database_unreachable(error):
                message = f"needs the database, which did not answer ({type(cause).__name__})"
            else:
                message = f"could not be checked: {type(cause).__name__}: {str(cause).splitlines()[0][:200]}"
            findings.append(Finding("fail", topic, message))
    return findings


def _environment(app: Flask) -> list[Finding]:
    from app.config import ProductionConfig

    secure = app.config.get("SESSION_COOKIE_SECURE") and not app.config.get("TESTING")
    level = "ok" if secure else "fail"
    message = ("APP_ENV=production (secure cookies, SMTP only)" if level == "ok" else
               "not a production configuration: set APP_ENV=production (it makes session cookies "
               "Secure; SESSION_COOKIE_SECURE is off)")
    found = [Finding(level, "environment", message)]
    if app.config.get("MAIL_BACKEND") != ProductionConfig.MAIL_BACKEND:
        found.append(Finding("fail", "environment", "MAIL_BACKEND is not smtp: emails are printed, not sent"))
    if app.config.get("MAIL_SEND_EVERY_SECONDS"):
        found.append(Finding("warn", "environment", "the app sends its own outbox "
                                                    "(MAIL_SEND_EVERY_SECONDS): in production cron does"))
    return found


def _secrets(app: Flask) -> list[Finding]:
    key = app.config.get("SECRET_KEY") or ""
    if key in ("", DEFAULT_SECRET_KEY):
        return [Finding("fail", "secrets", "SECRET_KEY is the default: set a long random one "
                                           "(python -c 'import secrets; print(secrets.token_urlsafe(48))')")]
    if len(key) < 32:
        return [Finding("fail", "secrets",
                        f"SECRET_KEY is {len(key)} characters: use at least 32 random ones")]
    found = [Finding("ok", "secrets", "SECRET_KEY is set and long")]
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.password and url.password in ("postgres", "password", "secret"):
        found.append(Finding("fail", "secrets", "the database password is a well-known one"))
    return found


def _database(app: Flask) -> list[Finding]:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.execute(text("SELECT 1"))
    if url.get_backend_name() == "sqlite":
        return [Finding("ok", "database", "SQLite answers"),
                Finding("warn", "database", "SQLite: fine for one machine; back it up with its online "
                                            "backup API (README), not by copying the file")]
    found = [Finding("ok", "database", "PostgreSQL answers")]
    encrypted = db.session.scalar(text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
    host = url.host or ""
    if encrypted:
        found.append(Finding("ok", "database", "the connection to the database is encrypted (TLS)"))
    elif host in LOCAL_HOSTS or host.startswith("/"):
        found.append(Finding("ok", "database", "the database is on this machine (no TLS needed)"))
    else:
        found.append(Finding("fail", "database", f"the connection to {host} is not encrypted: add "
                                                 "?sslmode=verify-full to DATABASE_URL"))
    return found


def _migrations(app: Flask) -> list[Finding]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate

    migrate: Migrate = app.extensions["migrate"].migrate
    config = migrate.get_config()
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current == heads:
        return [Finding("ok", "migrations", "the database schema is at the latest migration")]
    return [Finding("fail", "migrations", f"the database is at {sorted(current) or 'no migration'}, "
                                          f"the code at {sorted(heads)}: run flask db upgrade")]


def _search_index(app: Flask) -> list[Finding]:
    # As `flask search check`: every document must be built from what the database holds now
    # (after a database restore the index still holds what the old database had).
    try:
        report = search.check()
    except search.IndexUnavailable as error:
        return [Finding("fail", "search index", f"not usable: {error}: run flask search rebuild")]
    if report.agrees:
        return [Finding("ok", "search index", "the index holds exactly the published services")]
    problems = [f"{len(ids)} {what}" for ids, what in (
        (report.missing, "published service(s) missing from the index"),
        (report.extra, "indexed service(s) not published"),
        (report.stale, "indexed service(s) built from an older version")) if ids]
    return [Finding("fail", "search index", "does not match the database: "
                    + "; ".join(problems) + "; run flask search rebuild")]


def _mail(app: Flask) -> list[Finding]:
    config = app.config
    found = []
    sender = config.get("MAIL_FROM", "")
    if sender.rstrip(">").endswith("@localhost"):
        found.append(Finding("fail", "mail", "MAIL_FROM is @localhost: replies and SPF need a real domain"))
    base = urlsplit(config.get("PUBLIC_BASE_URL", ""))
    if base.scheme != "https" or base.hostname in LOCAL_HOSTS:
        found.append(Finding("fail", "mail", f"PUBLIC_BASE_URL ({config.get('PUBLIC_BASE_URL')}) is not the "
                                             "site's public https address: links in emails would not work"))
    if config.get("MAIL_BACKEND") == "smtp":
        server = f"the mail server {config['MAIL_SERVER']}:{config['MAIL_PORT']}"
        try:
            connection = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"],
                                      timeout=config["MAIL_TIMEOUT"])
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.quit()
            found.append(Finding("ok", "mail", f"{server} answers"))
        except (smtplib.SMTPException, OSError) as error:
            found.append(Finding("fail", "mail", f"{server} does not answer ({type(error).__name__})"))
    return found


def _outbox(app: Flask) -> list[Finding]:
    queued = select(Notification.created_at).where(
        Notification.sent_at.is_(None), Notification.failed_at.is_(None)).order_by(Notification.created_at)
    oldest = db.session.scalar(queued.limit(1))
    failed = len(db.session.scalars(select(Notification.id).where(
        Notification.sent_at.is_(None), Notification.failed_at.is_not(None))).all())
    found = []
    if oldest is not None and oldest < utcnow() - timedelta(hours=1):
        found.append(Finding("fail", "outbox", f"an email has waited since {oldest:%Y-%m-%d %H:%M} UTC: is "
                                               "cron running `flask notify send`?"))
    else:
        found.append(Finding("ok", "outbox", "nothing has waited more than an hour"))
    if failed:
        found.append(Finding("warn", "outbox", f"{failed} email(s) given up: see /admin/outbox"))
    return found


def _proxies(app: Flask) -> list[Finding]:
    if int(app.config.get("TRUSTED_PROXY_HOPS") or 0) == 0:
        return [Finding("warn", "proxies", "TRUSTED_PROXY_HOPS is 0: behind a TLS proxy set it to 1, or "
                                           "every visitor shares the proxy's rate limits")]
    return [Finding("ok", "proxies", f"trusting {app.config['TRUSTED_PROXY_HOPS']} proxy hop(s)")]


def _rate_limits(app: Flask) -> list[Finding]:
    url = app.config.get("RATE_LIMIT_REDIS_URL")
    if not url:
        return [Finding("warn", "rate limits", "RATE_LIMIT_REDIS_URL is not set: each worker counts alone")]
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=3).ping()
    except redis.RedisError as error:
        return [Finding("fail", "rate limits", f"Redis does not answer ({type(error).__name__})")]
    return [Finding("ok", "rate limits", "Redis answers")]


def _geocoder(app: Flask) -> list[Finding]:
    if not app.config.get("GEOCODER"):
        return []
    timeout = float(app.config.get("GEOCODER_TIMEOUT") or 0)
    if not 0 < timeout <= 5:
        return [Finding("fail", "geocoder", f"GEOCODER_TIMEOUT is {timeout:g} s: a searcher waits that "
                                            "long; keep it at 5 s or less")]
    return [Finding("ok", "geocoder", f"lookups give up after {timeout:g} s in all")]
