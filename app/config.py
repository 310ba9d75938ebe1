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
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SERVICES_FILE = os.environ.get("SERVICES_FILE", str(PROJECT_ROOT / "services.yml"))
    POSTCODES_FILE = os.environ.get(
        "POSTCODES_FILE", str(PROJECT_ROOT / "data" / "postcodes-surrey.csv")
    )
    OUTCODES_FILE = os.environ.get("OUTCODES_FILE", str(PROJECT_ROOT / "data" / "outcodes-gb.csv"))
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", "")  # "": instance/search-index
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
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["br", "deflate"]  # static files are streamed (no gzip there)
    COMPRESS_MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript",
                          "application/json", "application/problem+json", "image/svg+xml"]
    COMPRESS_MIN_SIZE = 500
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Europe/London"
    LANGUAGES = ["en"]
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(64 * 1024)))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    WTF_CSRF_ENABLED = True
    TESTING = False


class DevelopmentConfig(Config):
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    GEOCODER = ""


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)


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
