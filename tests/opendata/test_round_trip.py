"""Two instances of this directory: one serves its Open Referral UK API over a real local
server (127.0.0.1), the other pulls it as a feed. What the standard carries arrives whole;
a change and a withdrawal travel too, and the Atom feed of changes announces both."""

import dataclasses
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.config import TestConfig
from app.directory import directory_sync
from app.directory.directory_file import parse_directory_file
from app.extensions import db
from app.models import ListingStatus, Service
from app.opendata import changes, feeds
from tests.conftest import ROOT, shared_path

ATOM = "{http://www.w3.org/2005/Atom}"
TOMBSTONE = "{http://purl.org/atompub/tombstones/1.0}deleted-entry"


@pytest.fixture
def served(app, surrey_to_change, monkeypatch) -> Iterator[str]:
    """This app (the Surrey directory) behind a real HTTP server."""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT_PER_MINUTE", 0)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v1"
    server.shutdown()


@pytest.fixture
def other(tmp_path):
    """A second directory with the same districts and categories and none of the services."""
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'other.sqlite'}"
        SEARCH_INDEX_DIR = str(tmp_path / "search-index")
        ORUK_SCHEMA_DIR = str(shared_path("spec", "oruk-3.0", "schema"))

    other = create_app(Config)
    with other.app_context():
        db.create_all()
        content = parse_directory_file((ROOT / "services.yml").read_text("utf-8"))
        directory_sync.import_directory(dataclasses.replace(content, services=[], organisations=[]))
    return other


def what_travels(service: Service) -> dict:
    """Everything Open Referral UK carries that this model holds."""
    waiting = service.current_waiting_time
    return {
        "name": service.name, "description": service.description.strip(),
        "ages": (service.age_min, service.age_max), "free": service.free,
        "cost_note": service.cost_note or ("" if service.free else "There is a charge"),
        "access": service.access, "delivery": sorted(service.delivery),
        "languages": service.languages,
        "contact": (service.contact_phone, service.contact_email, service.contact_website),
        "categories": sorted(category.id for category in service.categories),
        "areas": "all" if service.covers_all_areas else sorted(area.id for area in service.areas),
        "locations": [(loc.name, loc.postcode, loc.latitude, loc.longitude)
                      for loc in service.locations],
        "addresses": [loc.address for loc in service.locations if "," in loc.address],
        "schedules": [(s.days, s.opens, s.closes, s.note) for s in service.schedules],
        "waiting": waiting and (waiting.status, waiting.weeks, waiting.confirmed_on, waiting.note),
        "last_reviewed": service.last_reviewed,
        "organisation": (service.organisation.name, service.organisation.email,
                         service.organisation.website),
    }


def published() -> dict[str, dict]:
    return {service.uuid: what_travels(service) for service in db.session.scalars(
        select(Service).where(Service.status == ListingStatus.PUBLISHED))}


def test_a_directory_pulls_another_through_its_api_and_changes_travel(app, served, other):
    expected = published()
    assert len(expected) > 20

    with other.app_context():
        feed = feeds.add_feed("Surrey Family Support", served, publish_at_once=True)
        report = feeds.pull(feed)
        assert report.counts["created"] == len(expected), report.line()
        received = published()
        for remote_id, fields in expected.items():
            assert received[remote_id] == fields, remote_id
        again = feeds.pull(feeds.get_feed("Surrey Family Support"))
        assert again.counts["unchanged"] == len(expected) and again.counts["updated"] == 0

    # The first directory renames one listing and withdraws another.
    renamed, withdrawn = db.session.scalars(
        select(Service).where(Service.status == ListingStatus.PUBLISHED).order_by(Service.id).limit(2))
    renamed.name = "Renamed family centre"
    withdrawn.status = ListingStatus.WITHDRAWN
    db.session.commit()
    feed_page = ET.fromstring(app.test_client().get("/api/v1/changes.atom").data)
    assert feed_page.find(f"{ATOM}entry/{ATOM}id").text == f"urn:uuid:{renamed.uuid}"
    assert feed_page.find(TOMBSTONE).get("ref") == f"urn:uuid:{withdrawn.uuid}"

    with other.app_context():
        report = feeds.pull(feeds.get_feed("Surrey Family Support"), full=True)
        assert report.counts["updated"] == 1 and report.counts["vanished"] == 1, report.line()
        assert db.session.scalar(select(Service.name).where(Service.uuid == renamed.uuid)) \
            == "Renamed family centre"
        assert db.session.scalar(select(Service.status).where(Service.uuid == withdrawn.uuid)) \
            == ListingStatus.WITHDRAWN


def test_the_changes_feed_is_paged_newest_first(app, surrey_to_change, client, monkeypatch):
    monkeypatch.setattr(changes, "PER_PAGE", 10)
    first = client.get("/api/v1/changes.atom")
    assert first.status_code == 200 and first.mimetype == "application/atom+xml"
    assert first.headers["Cache-Control"] == "public, max-age=60"
    page = ET.fromstring(first.data)
    links = {link.get("rel"): link.get("href") for link in page.findall(f"{ATOM}link")}
    assert links["next"].endswith("/api/v1/changes.atom?page=2") and "previous" not in links
    entries = page.findall(f"{ATOM}entry")
    assert len(entries) == 10
    moments = [entry.find(f"{ATOM}updated").text for entry in entries]
    assert moments == sorted(moments, reverse=True)
    last = int(links["last"].rsplit("=", 1)[1])
    final = ET.fromstring(client.get(f"/api/v1/changes.atom?page={last}").data)
    assert {link.get("rel") for link in final.findall(f"{ATOM}link")} >= {"previous", "first"}
    assert client.get("/api/v1/changes.atom", headers={"If-None-Match": first.headers["ETag"]}
                      ).status_code == 304
    bad = client.get("/api/v1/changes.atom?page=0")
    assert bad.status_code == 400 and "page" in bad.get_json()["detail"]
    assert client.get(f"/api/v1/changes.atom?page={last + 1}").status_code == 400
