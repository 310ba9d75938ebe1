"""Feeds in: another directory's Open Referral UK feed, served by a real local HTTP server
(127.0.0.1), pulled with paging and modified_after, checked against the ORUK schemas in
../shared/spec, refused whole when a page or a service is bad, with deletions noticed."""

import copy
import json
import time
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app import oversight
from app.directory import directory_sync
from app.extensions import db
from app.models import Approval, Feed, FeedListing, Organisation, Service
from app.opendata import feeds
from app.opendata.feed_client import FeedError
from tests.conftest import check_page, shared_path
from tests.opendata.feed_server import FeedServer, serving, trickle

EXAMPLE_ID = "ac148810-d857-441c-9679-408f346de14b"


@pytest.fixture
def spec(app, monkeypatch):
    folder = shared_path("spec", "oruk-3.0")
    monkeypatch.setitem(app.config, "ORUK_SCHEMA_DIR", str(folder / "schema"))
    return folder


@pytest.fixture
def example(spec) -> dict:
    return json.loads((spec / "examples" / "service_full.json").read_text("utf-8"))


def a_service(example: dict, name: str, modified: str = "2026-12-01T10:00:00Z") -> dict:
    """A valid ORUK service made from the standard's own example, with its own id."""
    document = copy.deepcopy(example)
    document.update(id=str(uuid.uuid5(uuid.NAMESPACE_URL, name)), name=name,
                    last_modified=modified)
    return document


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def add_feed(server: FeedServer, name: str = "Hampshire", at_once: bool = False) -> Feed:
    return feeds.add_feed(name, server.url, publish_at_once=at_once)


# -- the standard's examples, field by field ---------------------------------------------

def test_every_field_of_the_examples_this_model_holds_survives_the_import(
        empty_directory, spec, example, client):
    listed = json.loads((spec / "examples" / "service_list.json").read_text("utf-8"))
    server = FeedServer()
    server.overrides["/services?page=1"] = (200, json.dumps(listed).encode())
    server.overrides["/services?page=2"] = (200, b'{"empty": true, "contents": []}')
    server.add(example)
    with serving(server):
        report = feeds.pull(add_feed(server, at_once=True))
    assert report.counts["created"] == 1

    listing = db.session.scalar(select(FeedListing))
    service = listing.service
    # Provenance: which feed, its id there, when it was modified there and pulled here.
    assert listing.feed.name == "Hampshire" and listing.remote_id == EXAMPLE_ID
    assert listing.remote_modified == "2023-03-15T10:30:45.123Z"
    assert listing.pulled_at is not None and listing.approval == Approval.APPROVED
    assert service.uuid == EXAMPLE_ID
    # The service's own fields.
    assert service.name == "Community Counselling"
    assert service.description == example["description"].strip()
    assert service.summary == "Counselling Services provided by trained professionals."
    assert service.contact_website == "http://example.com/counselling"
    assert service.contact_email == "email@example.com"
    assert service.status == "published"  # "active", and the feed publishes at once
    assert (service.age_min, service.age_max) == (12, 100)
    assert service.last_reviewed == date(2005, 1, 1)  # assured_date
    # Its cost: 35 for under 18s and over 60s, per hour.
    assert service.free is False
    assert service.cost_note == "Under 18s and Over 60s: £35 per 1 hour session"
    # Its schedule: Thursdays and Fridays, 10 to 6, with the description as the note.
    [schedule] = service.schedules
    assert (schedule.days, schedule.opens, schedule.closes) == (["thu", "fri"], "10:00", "18:00")
    assert schedule.note == example["schedules"][0]["description"]
    # Its location: name and address; the example's postcode is no UK postcode and its
    # coordinates (100, 101) are nowhere on Earth's map of the UK, so it has no position.
    [location] = service.locations
    assert location.name == "MyCity Civic Center"
    assert location.address == "1-30 Main Street, MyCity"
    assert location.postcode == "ABC 1234"
    assert location.latitude is None and location.longitude is None
    # The organisation.
    organisation = service.organisation
    assert organisation.name == "Example Organization Inc."
    assert organisation.description == example["organization"]["description"]
    assert organisation.email == "email@example.com"
    assert organisation.website == "http://example.com"
    assert organisation.uuid == example["organization"]["id"]
    # The example's only language has no code, its term belongs to no taxonomy here and
    # its service area is no district: nothing is guessed.
    assert service.languages == ["en"] and service.categories == [] and service.areas == []

    page = client.get(f"/services/{service.id}")
    check_page(page)
    assert "Listed by Hampshire" in page.get_data(as_text=True)


# -- paging, modified_after, deletions, approval -----------------------------------------

def test_a_paged_feed_is_read_whole_then_only_what_changed_and_deletions_are_noticed(
        empty_directory, example, client, app):
    server = FeedServer(page_size=2)
    for name in ("Family Hub Andover", "Family Hub Basingstoke", "Family Hub Fleet"):
        server.add(a_service(example, name))
    with serving(server):
        feed = add_feed(server)
        first = feeds.pull(feed)
        assert first.counts["created"] == 3 and first.full
        # Two pages of list items, then each service's own document.
        assert [r for r in server.requests if r.startswith("/services?")] == [
            "/services?page=1&per_page=100", "/services?page=2&per_page=100"]
        assert len([r for r in server.requests if r.startswith("/services/")]) == 3
        # Approval first: none is public yet.
        assert count(FeedListing) == 3
        assert db.session.scalar(select(func.count()).select_from(Service)
                                 .where(Service.status == "published")) == 0
        fleet = db.session.scalar(select(Service).where(Service.name == "Family Hub Fleet"))
        assert client.get(f"/services/{fleet.id}").status_code == 404
        feeds.decide(feeds.get_listing(fleet.id), approve=True)
        assert "Listed by Hampshire" in client.get(f"/services/{fleet.id}").get_data(as_text=True)
        # Public now, but no referral through this site: the other directory keeps it.
        assert client.get(f"/services/{fleet.id}/refer").status_code == 404
        # Oversight counts it apart from the directory's own; export leaves it out, and
        # this directory's API does not publish it again (its feed does).
        figures = {row[0]: row[1] for row in oversight.overview(
            oversight.parse_scope({"district": "all"})).table("summary").rows}
        assert figures["Services on offer"] == 0
        assert figures["Services listed by other directories' feeds"] == 1
        exported = directory_sync.export_directory()
        assert "Fleet" not in exported and "Example Organization" not in exported
        assert client.get("/api/v1/services").get_json()["total_items"] == 0
        assert client.get(f"/api/v1/services/{fleet.uuid}").status_code == 404

        # One service changes: the next pull asks only for changes since the last pull.
        server.requests.clear()
        changed = a_service(example, "Family Hub Fleet", modified="2999-01-01T00:00:00Z")
        changed["description"] = "Now open on Saturdays too."
        server.add(changed)
        second = feeds.pull(feed)
        assert not second.full and second.counts["updated"] == 1
        assert all("modified_after=" in r for r in server.requests if r.startswith("/services?"))
        assert [r for r in server.requests if r.startswith("/services/")] == [
            f"/services/{changed['id']}"]
        page = client.get(f"/services/{fleet.id}").get_data(as_text=True)
        assert "Now open on Saturdays too." in page

        # A service is deleted there: a modified_after pull cannot show it; the full list does.
        del server.services[changed["id"]]
        third = feeds.pull(feed, full=True)
    assert third.counts["vanished"] == 1
    assert client.get(f"/services/{fleet.id}").status_code == 404
    assert feeds.get_listing(fleet.id).remote_status == "vanished"


def test_the_full_list_is_read_again_once_a_day(empty_directory, example, app):
    server = FeedServer()
    server.add(a_service(example, "Family Hub Andover"))
    with serving(server):
        feed = add_feed(server)
        feeds.pull(feed)
        assert not feeds.pull(feed).full
        tomorrow = feed.full_list_at + timedelta(hours=24)
        assert feeds.pull(feed, now=tomorrow).full


# -- a bad feed is refused whole ---------------------------------------------------------

def _nothing_written() -> None:
    assert count(Service) == 0 and count(FeedListing) == 0 and count(Organisation) == 0


def test_a_malformed_page_is_refused_with_nothing_written(empty_directory, example, cli):
    server = FeedServer(page_size=1)
    for name in ("Family Hub Andover", "Family Hub Basingstoke"):
        server.add(a_service(example, name))
    server.overrides["/services?page=2"] = (200, b'{"contents": [{"id": "x"')
    with serving(server):
        add_feed(server)
        result = cli.invoke(args=["feeds", "pull"])
    assert result.exit_code == 1
    assert "Hampshire: refused, nothing written" in result.output
    assert "/services?page=2&per_page=100: the answer is not JSON" in result.output
    _nothing_written()
    assert "not JSON" in feeds.get_feed("Hampshire").last_error


def test_an_invalid_service_is_refused_with_nothing_written(empty_directory, example, spec):
    server = FeedServer()
    good, bad = a_service(example, "Family Hub Andover"), a_service(example, "Family Hub Fleet")
    server.add(good)
    server.add(bad)
    failing = json.loads((spec.parent / "validator" / "mocks" / "V3.0-UK-Fail.service_full.json")
                         .read_text("utf-8"))
    failing["id"] = bad["id"]
    server.overrides[f"/services/{bad['id']}"] = (200, json.dumps(failing).encode())
    with serving(server), pytest.raises(FeedError) as refused:
        feeds.pull(add_feed(server))
    message = str(refused.value)
    assert f"service {bad['id']} of Hampshire" in message
    assert "is not a valid Open Referral UK service" in message and "email" in message
    _nothing_written()


def test_a_list_page_that_breaks_the_standard_is_refused(empty_directory, example, spec):
    server = FeedServer()
    listed = json.loads((spec.parent / "validator" / "mocks" / "V3.0-UK-Fail.service_list.json")
                        .read_text("utf-8"))
    server.overrides["/services"] = (200, json.dumps(listed).encode())
    with serving(server), pytest.raises(FeedError, match="not a valid Open Referral UK service_list"):
        feeds.pull(add_feed(server))
    _nothing_written()


def test_a_feed_that_answers_too_slowly_is_given_up_on_by_a_total_deadline(
        empty_directory, example, app, monkeypatch):
    monkeypatch.setitem(app.config, "FEEDS_DEADLINE_SECONDS", 1)
    server = FeedServer()
    server.overrides["/services"] = trickle(0.05, b" " * 200 + b'{"contents": []}')
    began = time.monotonic()
    with serving(server), pytest.raises(FeedError, match="no complete answer within 1 seconds"):
        feeds.pull(add_feed(server))
    assert time.monotonic() - began < 5  # each byte came quickly; the whole never did


def test_a_bad_address_and_a_missing_feed_get_clear_errors(empty_directory, cli):
    result = cli.invoke(args=["feeds", "add", "Kent", "ftp://example.org/api"])
    assert result.exit_code == 1 and "is not an http or https address" in result.output
    result = cli.invoke(args=["feeds", "pull", "Nowhere"])
    assert result.exit_code == 1 and "there is no feed called 'Nowhere'" in result.output


# -- this directory's own listings are never overwritten ---------------------------------

def test_a_feed_never_overwrites_a_listing_this_directory_maintains(surrey_to_change, example):
    own = db.session.scalar(select(Service).order_by(Service.id))
    before = (own.name, own.description, own.organisation_id)
    server = FeedServer()
    server.add({**a_service(example, "Impostor"), "id": own.uuid})
    with serving(server):
        report = feeds.pull(add_feed(server, at_once=True))
    assert report.counts["kept"] == 1 and report.counts["created"] == 0
    db.session.refresh(own)
    assert (own.name, own.description, own.organisation_id) == before
    assert feeds.listed_by(own) is None


# -- the admin page ----------------------------------------------------------------------

def test_an_admin_chooses_how_a_feed_publishes_and_approves_its_services(
        empty_directory, example, client, app, monkeypatch):
    from tests.conftest import make_user, sign_in

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    server = FeedServer()
    server.add(a_service(example, "Family Hub Andover"))
    with serving(server):
        feed = add_feed(server)
        feeds.pull(feed)
    sign_in(client, make_user("admin@example.org", role="admin"))
    page = client.get("/admin/feeds")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Hampshire" in html and "Waiting for approval (1)" in html

    client.post(f"/admin/feeds/{feed.id}/publishing", data={"publishing": "at-once"})
    assert feeds.get_feed("Hampshire").publish_at_once is True
    assert client.post(f"/admin/feeds/{feed.id}/publishing", data={"publishing": "x"}).status_code == 400

    service = db.session.scalar(select(Service))
    assert client.get(f"/services/{service.id}").status_code == 404
    client.post(f"/admin/feeds/listings/{service.id}", data={"decision": "approve"})
    assert client.get(f"/services/{service.id}").status_code == 200
    assert "Waiting for approval (0)" in client.get("/admin/feeds").get_data(as_text=True)


def test_an_organisation_renamed_in_the_feed_leaves_no_orphan_behind(empty_directory, example):
    server = FeedServer()
    service = a_service(example, "Family Hub Andover")
    server.add(service)
    with serving(server):
        feed = add_feed(server, at_once=True)
        feeds.pull(feed)
        renamed = copy.deepcopy(service)
        renamed["organization"]["name"] = "Andover Family Trust"
        renamed["last_modified"] = "2999-01-01T00:00:00Z"
        server.add(renamed)
        assert feeds.pull(feed).counts["updated"] == 1
    assert db.session.scalars(select(Organisation.name)).all() == ["Andover Family Trust"]
    assert "Andover Family Trust" not in directory_sync.export_directory()
