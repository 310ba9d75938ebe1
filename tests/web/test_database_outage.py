"""The database unreachable: every page is the site's own 503 page (made without the
database, with the safeguarding message), a referral's send says it was not sent and
keeps the answers, and /healthz says what is wrong. On PostgreSQL the connection is cut
by a TCP proxy between the app and the server; on SQLite, which has no connection, the
database file's folder goes away (as a lost volume would) and open handles are dropped."""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.models import Referral
from bench.tcp_proxy import DatabaseProxy
from tests.referrals.referral_support import (
    _submission_key,
    count,
    refer_url,
    referrals_db,  # noqa: F401 (a fixture)
    self_referral_service,
    walk_to_check,
)

SAFEGUARDING = "Single Point of Access (CSPA)"


@dataclass
class Cuttable:
    app: Flask
    cut: Callable[[], None]
    restore: Callable[[], None]


def _app_at(app: Flask, url: str) -> Flask:
    class Through(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        SEARCH_INDEX_DIR = app.config["SEARCH_INDEX_DIR"]

    return create_app(Through)


@pytest.fixture
def cuttable(app, tmp_path) -> Iterator[Cuttable]:
    """A second app on the same database, through something the test can cut."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        proxy = DatabaseProxy(url.host or "127.0.0.1", url.port or 5432)
        through = _app_at(app, url.set(host="127.0.0.1", port=proxy.port).render_as_string(False))
        yield Cuttable(through, proxy.cut, proxy.restore)
        proxy.close()
    else:
        volume, away = tmp_path / "volume", tmp_path / "volume-away"
        volume.mkdir()
        (volume / "test.sqlite").symlink_to(os.path.realpath(url.database))
        through = _app_at(app, f"sqlite:///{volume / 'test.sqlite'}")

        def cut() -> None:
            volume.rename(away)
            with through.app_context():
                db.engine.dispose()

        yield Cuttable(through, cut, lambda: away.rename(volume))
        if away.exists():
            away.rename(volume)
    with through.app_context():
        db.engine.dispose()


def test_pages_are_the_sites_own_503_with_the_safeguarding_message(cuttable, surrey):
    client = cuttable.app.test_client()
    assert client.get("/").status_code == 200
    cuttable.cut()
    for path in ("/", "/search?q=parenting", "/services/anything"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 503, (path, page[:500])
        assert "Sorry, the service is unavailable" in page
        assert SAFEGUARDING in page
        assert "govuk-header" in page  # the site's own page, not a bare server error
        assert response.headers["Retry-After"]
    # A page that needs no data of its own (a 404) is still the site's page, not a 500.
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and SAFEGUARDING in missing.get_data(as_text=True)
    cuttable.restore()
    assert client.get("/").status_code == 200


def test_a_cut_after_a_pages_last_query_still_delivers_the_page(cuttable, surrey):
    from app.models import Service

    @cuttable.app.get("/test/cut-after-reading")
    def cut_after_reading():
        names = db.session.scalars(select(Service.name).limit(3)).all()
        cuttable.cut()  # the connection goes while the page is being finished
        return ", ".join(names)

    response = cuttable.app.test_client().get("/test/cut-after-reading")
    assert response.status_code == 200 and response.get_data(as_text=True)
    cuttable.restore()
    assert cuttable.app.test_client().get("/").status_code == 200


def test_a_referral_sent_while_the_database_is_down_is_kept_and_sent_once_later(cuttable, referrals_db):  # noqa: F811
    client = cuttable.app.test_client()
    service = self_referral_service()
    walk_to_check(client, service.id)
    key = _submission_key(client.get(refer_url(service.id, "check")).get_data(as_text=True))

    cuttable.cut()
    response = client.post(refer_url(service.id, "check"), data={"submission_key": key})
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Sorry, your referral has not been sent" in page
    assert "Your answers are kept" in page and SAFEGUARDING in page
    assert count(Referral) == 0

    cuttable.restore()
    check = client.get(refer_url(service.id, "check"))
    assert check.status_code == 200 and "Sam is very anxious" in check.get_data(as_text=True)
    for _ in range(2):  # pressed again, and once more
        sent = client.post(refer_url(service.id, "check"), data={"submission_key": key})
        assert sent.status_code == 302 and sent.headers["Location"].endswith("/confirmation")
    db.session.rollback()
    assert count(Referral) == 1
    assert db.session.scalar(select(Referral.submission_key)) == key


def test_healthz_says_what_is_wrong(cuttable, surrey):
    client = cuttable.app.test_client()
    healthy = client.get("/healthz")
    assert healthy.status_code == 200, healthy.get_json()
    assert healthy.get_json()["status"] == "ok"
    assert healthy.get_json()["search_index"]["usable"] is True
    cuttable.cut()
    down = client.get("/healthz")
    assert down.status_code == 503
    body = down.get_json()
    assert body["database"]["ok"] is False and "not answering" in body["database"]["problem"]
    assert body["search_index"]["lag_seconds"] is None
    cuttable.restore()
    assert client.get("/healthz").status_code == 200


def test_healthz_is_503_while_there_is_no_usable_search_index(app, client, surrey):
    import shutil

    from app import search

    search._index().close()
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])  # a new server before its first build
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["database"]["ok"] is True and body["search_index"]["usable"] is False
        assert body["search_index"]["problem"]
    finally:
        search.rebuild()
    assert client.get("/healthz").status_code == 200


def test_healthz_sets_no_cookie_names_no_one_and_is_not_limited(app, surrey):
    client = app.test_client()
    for _ in range(300):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert set(response.get_json()) == {"status", "database", "search_index"}
