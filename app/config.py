"""Settings per environment, chosen by APP_ENV and read from environment variables.

Defaults are safe for development; production refuses to start with a default secret.
"""

import os
from pathlib import Path

DEFAULT_SECRET_KEY = "dev-only-not-secret"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # None: SQLite in instance/
    # hide_parameters: a database error's message would otherwise carry the values it was
    # writing (a child's details) into the logs.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    DATABASE_CONNECT_TIMEOUT = int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))  # PostgreSQL
    SERVICES_FILE = os.environ.get("SERVICES_FILE", str(PROJECT_ROOT / "services.yml"))
    POSTCODES_FILE = os.environ.get(
        "POSTCODES_FILE", str(PROJECT_ROOT / "data" / "postcodes-surrey.csv")
    )
    OUTCODES_FILE = os.environ.get("OUTCODES_FILE", str(PROJECT_ROOT / "data" / "outcodes-gb.csv"))
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", "")  # "": instance/search-index
    # The search change log (app/search/applier.py): how often each server's applier polls
    # it, how long a missing change number is awaited (longer than any transaction that
    # changes the directory), how long rows are kept (a server idle for longer rebuilds),
    # and the lag past which /healthz names a problem.
    SEARCH_APPLIER = _bool("SEARCH_APPLIER", True)
    SEARCH_POLL_SECONDS = float(os.environ.get("SEARCH_POLL_SECONDS", "1"))
    SEARCH_GAP_SECONDS = float(os.environ.get("SEARCH_GAP_SECONDS", "600"))
    SEARCH_LOG_RETENTION_HOURS = float(os.environ.get("SEARCH_LOG_RETENTION_HOURS", "168"))
    SEARCH_LAG_WARN_SECONDS = float(os.environ.get("SEARCH_LAG_WARN_SECONDS", "60"))
    # Online geocoding is a last resort behind the postcode table; off unless configured.
    GEOCODER = os.environ.get("GEOCODER", "")  # "" (off) or "nominatim"
    GEOCODER_USER_AGENT = os.environ.get("GEOCODER_USER_AGENT", "surrey-family-support")
    GEOCODER_TIMEOUT = float(os.environ.get("GEOCODER_TIMEOUT", "2"))
    # For a self-hosted geocoder, e.g. GEOCODER_DOMAIN=nominatim.example.org
    GEOCODER_DOMAIN = os.environ.get("GEOCODER_DOMAIN", "")
    GEOCODER_SCHEME = os.environ.get("GEOCODER_SCHEME", "https")
    # A waiting time older than this is shown with a warning.
    WAITING_TIME_STALE_DAYS = int(os.environ.get("WAITING_TIME_STALE_DAYS", "60"))
    # The open-data API: requests a minute per address (0 turns the limit off), and how
    # long responses may be cached.
    API_RATE_LIMIT_PER_MINUTE = int(os.environ.get("API_RATE_LIMIT_PER_MINUTE", "120"))
    API_CACHE_SECONDS = int(os.environ.get("API_CACHE_SECONDS", "300"))
    # Where the API's and the referral forms' per-address counts are kept, so that every
    # worker shares them (redis://127.0.0.1:6379/0, say). Unset: each worker counts alone.
    RATE_LIMIT_REDIS_URL = os.environ.get("RATE_LIMIT_REDIS_URL") or None
    # How many proxies in front set X-Forwarded-For/-Proto/-Host (0: none; the client's
    # address is then the connection's). Behind one TLS proxy: 1.
    TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", "0"))
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["br", "deflate"]  # static files are streamed (no gzip there)
    COMPRESS_MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript",
                          "application/json", "application/problem+json", "image/svg+xml"]
    COMPRESS_MIN_SIZE = 500
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Europe/London"
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")
    # The languages the public pages and the referral journey are in (app/i18n.py).
    LANGUAGES = ["en", "pl", "uk"]
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(64 * 1024)))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    WTF_CSRF_ENABLED = True
    # The token lives as long as the session it is tied to: a parent who takes over an
    # hour on one referral page can still send it (staff sessions end when idle anyway).
    WTF_CSRF_TIME_LIMIT = None
    TESTING = False
    # Security headers (app/security/headers.py). Extra sources for images and fetches,
    # space-separated (a map tile server, say: https://tiles.example.org).
    CSP_IMG_SRC = os.environ.get("CSP_IMG_SRC", "").split()
    CSP_CONNECT_SRC = os.environ.get("CSP_CONNECT_SRC", "").split()
    REFERRER_POLICY = os.environ.get("REFERRER_POLICY", "no-referrer")
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", "0"))  # production: a year
    # A signed-in session ends this long after sign-in, however active (and sooner when idle).
    SESSION_ABSOLUTE_HOURS = float(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))
    # Adding or inviting people, changing roles, disabling and exports need the password
    # given again within this many minutes.
    REAUTHENTICATE_MINUTES = int(os.environ.get("REAUTHENTICATE_MINUTES", "15"))
    # Signing in (provider staff and partnership admins)
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    SIGNIN_RATE_LIMIT = int(os.environ.get("SIGNIN_RATE_LIMIT", "20"))  # failures per address
    SIGNIN_RATE_WINDOW_MINUTES = int(os.environ.get("SIGNIN_RATE_WINDOW_MINUTES", "15"))
    SIGNIN_LOCKOUT_FAILURES = int(os.environ.get("SIGNIN_LOCKOUT_FAILURES", "10"))
    SIGNIN_LOCKOUT_MINUTES = int(os.environ.get("SIGNIN_LOCKOUT_MINUTES", "30"))
    INVITATION_DAYS = int(os.environ.get("INVITATION_DAYS", "7"))
    PASSWORD_RESET_MINUTES = int(os.environ.get("PASSWORD_RESET_MINUTES", "60"))
    # Reset requests an hour from one address, and reset emails an hour to one inbox.
    PASSWORD_RESET_RATE_LIMIT = int(os.environ.get("PASSWORD_RESET_RATE_LIMIT", "10"))
    PASSWORD_RESET_EMAILS_PER_HOUR = int(os.environ.get("PASSWORD_RESET_EMAILS_PER_HOUR", "3"))
    TOTP_ISSUER = os.environ.get("TOTP_ISSUER", "Surrey Family Support")

    # Email, sent from the outbox (app/notifications/outbox.py) by `flask notify send` and, best
    # effort, straight after a referral is submitted.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)  # STARTTLS
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Surrey Family Support <no-reply@localhost>")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    # Permanent refusals (5xx) are tried this many times; temporary failures (4xx, the
    # server down or unreachable) are retried for this many hours after queueing (5 days).
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "3"))
    MAIL_RETRY_WINDOW_HOURS = int(os.environ.get("MAIL_RETRY_WINDOW_HOURS", "120"))
    MAIL_RETRY_SECONDS = int(os.environ.get("MAIL_RETRY_SECONDS", "60"))  # doubles each try
    MAIL_SEND_AFTER_SUBMIT = _bool("MAIL_SEND_AFTER_SUBMIT", True)
    # smtp (MAIL_SERVER) or console (printed, for development without a mail server).
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    # The app sends the outbox itself this often (0: only cron's `flask notify send`).
    MAIL_SEND_EVERY_SECONDS = int(os.environ.get("MAIL_SEND_EVERY_SECONDS", "0"))
    # Links in emails point here.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # Referrals: anonymised this many days after they end (or after their last change).
    REFERRAL_RETENTION_DAYS = int(os.environ.get("REFERRAL_RETENTION_DAYS", "365"))
    # A referral left open (accepted, on a waiting list or unanswered) with no change for
    # this long is anonymised too: longer than the longest waiting list (104 weeks).
    REFERRAL_OPEN_RETENTION_DAYS = int(os.environ.get("REFERRAL_OPEN_RETENTION_DAYS", "1095"))
    # A referral's answers (and, once sent, its confirmation) are cleared from the browser
    # after this long without a page of the journey: phones and computers are shared.
    REFERRAL_IDLE_MINUTES = int(os.environ.get("REFERRAL_IDLE_MINUTES", "60"))
    # Told about late referrals, with the provider; named in the privacy notice for rights.
    PARTNERSHIP_EMAIL = os.environ.get("PARTNERSHIP_EMAIL", "")
    PRIVACY_NOTICE_VERSION = os.environ.get("PRIVACY_NOTICE_VERSION", "2026-11-27")
    # New referrals an hour per address (per worker; 0: off), and tracker look-ups by
    # reference and email an hour per address.
    REFERRAL_RATE_LIMIT = int(os.environ.get("REFERRAL_RATE_LIMIT", "10"))
    REFERRAL_LOOKUP_RATE_LIMIT = int(os.environ.get("REFERRAL_LOOKUP_RATE_LIMIT", "20"))

    # Listings stay fresh: providers are asked "is this still right?" this long after the
    # last review, and a listing not confirmed within the grace days after that is shown
    # as possibly out of date. The emailed one-click link works for REVIEW_LINK_DAYS.
    REVIEW_AFTER_MONTHS = int(os.environ.get("REVIEW_AFTER_MONTHS", "6"))
    REVIEW_GRACE_DAYS = int(os.environ.get("REVIEW_GRACE_DAYS", "30"))
    REVIEW_LINK_DAYS = int(os.environ.get("REVIEW_LINK_DAYS", "60"))
    # "Report a problem with this page": reports an hour per address (0: off).
    FEEDBACK_RATE_LIMIT = int(os.environ.get("FEEDBACK_RATE_LIMIT", "10"))


class DevelopmentConfig(Config):
    DEBUG = False
    # A newcomer sees emails arrive: sent every few seconds, to MAIL_SERVER when one is
    # configured, otherwise printed to the console.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND") or ("smtp" if os.environ.get("MAIL_SERVER") else "console")
    MAIL_SEND_EVERY_SECONDS = int(os.environ.get("MAIL_SEND_EVERY_SECONDS", "5"))


class TestConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    GEOCODER = ""
    MAIL_SEND_AFTER_SUBMIT = False  # tests send from the outbox themselves
    MAIL_BACKEND = "smtp"
    MAIL_SEND_EVERY_SECONDS = 0
    RATE_LIMIT_REDIS_URL = None  # tests/web/test_rate_limits.py sets its own
    # The suite applies the search change log itself (tests/conftest.py); the tests of the
    # applier start its thread, polling quickly.
    SEARCH_APPLIER = False
    SEARCH_POLL_SECONDS = 0.05


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    MAIL_BACKEND = "smtp"
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_for(env_name: str | None) -> type[Config]:
    name = (env_name or "development").lower()
    if name not in CONFIGS:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {env_name!r}")
    return CONFIGS[name]
