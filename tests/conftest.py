"""Fixtures: one app and database for the run (SQLite file, or TEST_DATABASE_URL), the
real Surrey postcodes loaded once, and the directory emptied or loaded per test."""

import os
import re
import tempfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete

from app import create_app, search
from app.config import TestConfig
from app.directory import directory_sync
from app.directory.directory_file import parse_directory_file
from app.extensions import db
from app.places import postcodes
from tests.markup import markup_shown_as_text

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
# Children first. Tables that some work in progress has not created yet are skipped.
# The search change log is kept: its numbers go on, as in a real database.
DIRECTORY_TABLES_IN_DELETE_ORDER = (
    "notification", "referral_event", "referral", "audit_event",
    "listing_version", "listing_change", "review_reminder", "feedback", "account_token", "recovery_code",
    "signin_attempt", "membership", "user_account",
    "waiting_time", "schedule", "location", "service_category", "service_area",
    "activity_count", "feed_listing", "service", "feed",
    "organisation", "category", "area", "directory_settings", "search_record", "search_word",
)


class CatchingUpClient(FlaskClient):
    """A server's search applier follows the change log in the background; in the suite
    the log is applied after each request instead, so a test can search for its change
    at once (tests/test_search_servers.py runs the real background applier). It also
    fails any HTML page whose visible text shows markup as text ("<br>", "&lt;"): every
    page the tests render is checked, not only those they look at."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        with self.application.app_context():
            search.catch_up()
        if response.mimetype == "text/html" and not response.is_streamed:
            shown = markup_shown_as_text(response.get_data(as_text=True))
            assert not shown, f"markup shown as text on {response.request.path}: {shown}"
        return response


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Iterator[Flask]:
    work = tmp_path_factory.mktemp("app")

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = os.environ.get(
            "TEST_DATABASE_URL", f"sqlite:///{work / 'test.sqlite'}")
        SEARCH_INDEX_DIR = str(work / "search-index")

    app = create_app(Config)
    app.test_client_class = CatchingUpClient
    with app.app_context():
        db.drop_all()
        db.create_all()
        postcodes.load_file(ROOT / "data" / "outcodes-gb.csv")
        postcodes.load_file(ROOT / "data" / "postcodes-surrey.csv")
        yield app
        db.session.remove()
        db.drop_all()


_state = {"directory": None}


def empty_the_directory() -> None:
    db.session.rollback()
    for name in DIRECTORY_TABLES_IN_DELETE_ORDER:
        if name in db.metadata.tables:
            db.session.execute(delete(db.metadata.tables[name]))
    db.session.commit()
    search.rebuild()
    _state["directory"] = None


@pytest.fixture
def empty_directory(app) -> Iterator[None]:
    """An empty directory (postcodes stay loaded), for tests that change it."""
    empty_the_directory()
    yield
    db.session.rollback()
    _state["directory"] = "changed"


@pytest.fixture
def surrey(app) -> None:
    """The real services.yml, imported; re-imported only after a test changed the data."""
    if _state["directory"] != "surrey":
        empty_the_directory()
        content = parse_directory_file((ROOT / "services.yml").read_text(encoding="utf-8"))
        directory_sync.import_directory(content)
        search.catch_up()
        _state["directory"] = "surrey"


@pytest.fixture
def surrey_to_change(surrey) -> Iterator[None]:
    """The real directory, for a test that changes it: reloaded for the next test."""
    yield
    db.session.rollback()
    _state["directory"] = "changed"


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


def import_text(text: str):
    """Parse and import services.yml text (raises DirectoryFileInvalid when broken)."""
    return directory_sync.import_directory(parse_directory_file(text))


# -- what every page must satisfy -----------------------------------------------------

class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.h1_count = 0
        self.title = ""
        self._in_title = False
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "h1":
            self.h1_count += 1
        if tag == "title":
            self._in_title = True
        source = attributes.get("src") or (attributes.get("href") if tag == "link" else None)
        if source and re.match(r"^(https?:)?//", source):
            self.external.append(source)

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def check_page(response, status: int = 200) -> _PageParser:
    """Status, one h1, a title, unique ids, no asset from another host, and the
    safeguarding message: what every public page must have."""
    assert response.status_code == status, response.data[:500]
    html = response.get_data(as_text=True)
    parser = _PageParser()
    parser.feed(html)
    assert parser.h1_count == 1, f"{parser.h1_count} h1 elements"
    assert parser.title.strip(), "page has no title"
    duplicates = {i for i in parser.ids if parser.ids.count(i) > 1}
    assert not duplicates, f"duplicate ids: {duplicates}"
    assert not parser.external, f"assets from other hosts: {parser.external}"
    assert "If a child is in immediate danger, call 999" in html
    return parser


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("REQUIRE_SHARED"):
            pytest.fail(f"REQUIRE_SHARED is set but {path} is missing")
        pytest.skip(f"../shared is not beside the project ({path} missing)")
    return path


@pytest.fixture
def tmp_file():
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


# -- people who sign in ---------------------------------------------------------------

def make_user(email: str, *, role: str = "provider", organisations: tuple[str, ...] = (),
              password: str | None = "a long enough passphrase", totp: bool = True):
    """A user with a password and (by default) a confirmed second factor, committed."""
    from app.accounts import credentials
    from app.models import Organisation, User

    user = User(email=email.lower(), name=email.split("@")[0].title(), role=role)
    user.organisations = [db.session.get(Organisation, slug) for slug in organisations]
    assert None not in user.organisations, f"unknown organisation in {organisations}"
    if password:
        user.password_hash = credentials.hash_password(password)
    if totp:
        user.totp_secret = credentials.new_totp_secret()
        user.totp_enabled = True
    db.session.add(user)
    db.session.commit()
    return user


def sign_in(client, user) -> None:
    """Signs a test client in as `user` with both factors done, as the sign-in pages would."""
    import time

    from app.web.auth import access

    with client.session_transaction() as session:
        session.clear()
        session[access.USER_ID] = user.id
        session[access.VERSION] = user.session_version
        session[access.LAST_SEEN] = session[access.SIGNED_IN_AT] = time.time()
        session[access.AUTHENTICATED_AT] = time.time()
