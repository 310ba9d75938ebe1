"""Extensions created unbound here and bound to the app in create_app()."""

from flask_babel import Babel
from flask_compress import Compress
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, exc
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()  # gzip or brotli for pages, CSS, JS and JSON

# The database cannot be reached (down, refusing, a cut connection, the pool exhausted, a
# statement timeout): the site answers 503 with a page that needs no database.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    exc.OperationalError, exc.InterfaceError, exc.DisconnectionError, exc.TimeoutError)
# SQLite raises OperationalError for mistakes in a statement too ("no such table"): those
# are bugs (a 500), not an outage. Its outages read like these.
_SQLITE_OUTAGES = ("unable to open", "database is locked", "disk i/o", "readonly database",
                   "database table is locked")


def database_unreachable(error: BaseException) -> bool:
    if not isinstance(error, DATABASE_UNAVAILABLE):
        return False
    orig = getattr(error, "orig", None)
    if orig is not None and type(orig).__module__ == "sqlite3":
        return any(words in str(orig).lower() for words in _SQLITE_OUTAGES)
    return True
