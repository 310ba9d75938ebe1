"""One organisation's provider never reaches another's services, listing changes, reports
or referrals: every provider route with an id in its URL, walked from app.url_map, is a 404
when the ids are organisation B's and changes nothing, while the same routes work on A's own
objects. Also the admin pages and the referral tracker, with real ids."""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import Rule

from app import oversight, referrals
from app.directory import feedback, listing_changes, listing_fields, listing_versions
from app.extensions import db
from app.models import (
    ChangeStatus,
    Feed,
    Feedback,
    FeedbackStatus,
    ListingChange,
    Notification,
    SearchWord,
)
from app.models.accounts import User
from app.models.audit import AuditEvent
from app.models.directory import Organisation, Service
from app.models.referrals import Referral, ReferralEvent, ReferralStatus
from app.web.provider.referral_forms import STEP_FORMS
from tests.accounts.test_accounts import clear_people
from tests.conftest import make_user, sign_in
from tests.directory.test_listing_changes import post_data
from tests.referrals.referral_support import make_referral

A_ORG, A_SERVICE = "surrey-childrens-health", "childrens-wellbeing-line"
B_ORG, B_SERVICE = "surrey-family-services", "family-support-programme"
# Reference data that no request changes; too large to compare row by row.
STATIC_TABLES = {"postcode", "outcode"}
METHODS = ("GET", "POST")


@dataclass
class Side:
    """One organisation's user and the objects the URLs point at."""

    organisation: str
    service: str
    user: User
    changes: list[int]  # an edit of the listing, and a proposed new service
    feedback: int
    referral: int  # opened, so that every step is allowed: only ownership can refuse it
    reference: str
    family_token: str
    notification: int
    version: int


def _proposed(service: Service, **fields: Any) -> dict[str, Any]:
    """The service's listing with these fields changed, checked as the edit form would."""
    values = listing_fields.current_fields(service) | fields
    service_id = listing_changes.slug_for(values["name"]) if "name" in fields else service.id
    entry = listing_fields.entry_from_fields(values, service_id, service.organisation_id)
    canonical, problems = listing_fields.check_entry(entry)
    assert canonical is not None, problems
    return canonical


def _opened_referral(service: Service, user: User) -> tuple[Referral, str]:
    referral, family_token, _ = make_referral(service)
    referrals.change_status(referral, ReferralStatus.OPENED, user=user)
    assert referral.status == ReferralStatus.OPENED
    return referral, family_token


def _side(organisation: str, service_id: str, email: str) -> Side:
    """A provider of `organisation` and, through the service layer, one of each object."""
    user = make_user(email, organisations=(organisation,))
    service = db.session.get(Service, service_id)
    listing_versions.ensure_history_start(service)
    db.session.commit()
    edit = listing_changes.propose_edit(service, user, _proposed(service, contact_phone="01632 960777"),
                                        "New number")
    new = listing_changes.propose_new(db.session.get(Organisation, organisation), user,
                                      _proposed(service, name=f"Cross Check Group {organisation}"),
                                      "A new group")
    item = feedback.report_problem(service, "phone", "The number rings a fax machine.")
    referral, family_token = _opened_referral(service, user)
    notification = db.session.scalars(select(Notification.id).where(
        Notification.dedupe_key.like(f"feedback:{item.id}:%"))).first()
    assert notification is not None
    return Side(organisation, service_id, user, [edit.id, new.id], item.id, referral.id, referral.reference,
                family_token, notification, listing_versions.versions(service)[0].number)


@pytest.fixture
def sides(app: Flask, surrey_to_change: None) -> dict[str, Side]:
    clear_people()
    # The partnership's search words belong to no organisation: one real one to walk to.
    db.session.add(SearchWord(id="walked-words", words=["tiny tots"], means=["stay and play"]))
    # Nor do other directories' feeds.
    db.session.add(Feed(name="Walked feed", url="http://127.0.0.1:9/api"))
    db.session.commit()
    return {"A": _side(A_ORG, A_SERVICE, "worker@health.example.org"),
            "B": _side(B_ORG, B_SERVICE, "worker@family.example.org")}


@pytest.fixture
def a_client(app: Flask, sides: dict[str, Side]) -> FlaskClient:
    client = app.test_client()
    sign_in(client, sides["A"].user)
    return client


# -- URLs from the url_map -------------------------------------------------------------

def _ids(side: Side) -> dict[str, list[Any]]:
    """Every URL argument on a provider or admin route, as this side's objects. A route
    with an argument not named here fails the walk, so it gets an object too."""
    def key(model, row_id: int) -> str:  # staff URLs carry the opaque uuid
        return db.session.get(model, row_id).uuid

    return {
        "service_id": [side.service],
        "change_id": [key(ListingChange, change) for change in side.changes],
        "feedback_id": [key(Feedback, side.feedback)],
        "referral_id": [key(Referral, side.referral)],
        "step": list(STEP_FORMS),  # not an id: every step, so each one's own check is reached
        # Admin pages only.
        "number": [side.version],
        "notification_id": [key(Notification, side.notification)],
        "user_id": [side.user.uuid],
        "name": [next(iter(oversight.TABLES))],
        "organisation_id": [side.organisation],
        "word_id": ["walked-words"],
        "feed_id": [db.session.scalar(select(Feed.id).where(Feed.name == "Walked feed"))],
    }


def _rules(app: Flask, blueprint: str) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith(f"{blueprint}.")]


def _in_path(rule: Rule) -> set[str]:
    """The arguments the URL carries (not the fixed ones a rule gives in its defaults)."""
    return set(rule.arguments) - set(rule.defaults or {})


def _urls(rule: Rule, ids: dict[str, list[Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    names = sorted(_in_path(rule))
    missing = [name for name in names if name not in ids]
    if missing:
        pytest.fail(f"{rule.endpoint} ({rule.rule}) takes {missing}: map them to the other "
                    "organisation's objects in _ids()")
    for combination in itertools.product(*(ids[name] for name in names)):
        values = dict(zip(names, combination, strict=True))
        yield rule.build(values)[1], values


def _expected_start() -> list[str]:
    start = date.today() + timedelta(days=30)
    return [str(start.day), str(start.month), str(start.year)]


# What each POST sends: valid, so that were the ownership check missing it would change
# something (test_the_posts_are_real proves that on A's own objects).
STEP_DATA: dict[str, dict[str, Any]] = {
    ReferralStatus.OPENED: {},
    ReferralStatus.CONTACTED: {"note": "Called the family"},
    ReferralStatus.ACCEPTED: {"note": "Tuesdays"},  # expected_start added when sent
    ReferralStatus.WAITING_LIST: {"estimate_weeks": "6"},
    ReferralStatus.DECLINED: {"reason": "outside-area", "suggestion": "Hampshire family services"},
    ReferralStatus.CLOSED: {"outcome": "family-withdrew"},
}
POST_DATA: dict[str, dict[str, Any]] = {
    "provider.waiting_time": {"status": "waitlist", "weeks": "7", "note": "Taken over"},
    "provider.feedback_resolve": {"note": "Resolved by the wrong organisation"},
    "admin.approval_review": {"approve": "y", "publish": ["contact_phone"]},
    "admin.user": {"role": "admin", "organisations": [A_ORG, B_ORG]},
    "admin.set_active": {"active": ""},
    "admin.listing_restore": {"reason": "Taken over"},
    "admin.organisation_edit": {"name": "Taken over", "email": "taken@example.org"},
}


def _payload(rule: Rule, values: dict[str, Any]) -> dict[str, Any]:
    if rule.endpoint == "provider.referral_step":
        data = dict(STEP_DATA[values["step"]])
        if values["step"] == ReferralStatus.ACCEPTED:
            data["expected_start"] = _expected_start()
        return data
    if rule.endpoint == "provider.listing_edit":
        return post_data(values["service_id"], contact_phone="01632 960999")
    return POST_DATA.get(rule.endpoint, {})


def _database() -> dict[str, list[str]]:
    """Every row of every table that requests can change, to compare before and after."""
    db.session.expire_all()
    return {table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
            for table in db.metadata.sorted_tables if table.name not in STATIC_TABLES}


def _b_state(side: Side) -> dict[str, Any]:
    """B's objects one by one (wait, listing, changes, referral, report, user), so a failure
    says which one moved."""
    db.session.expire_all()
    service = db.session.get(Service, side.service)
    waiting = service.current_waiting_time
    referral = db.session.get(Referral, side.referral)
    return {
        "waiting times": [(w.id, w.status, w.weeks, w.confirmed_on) for w in service.waiting_times],
        "current wait": waiting and (waiting.status, waiting.weeks, waiting.note, waiting.source),
        "listing": listing_fields.current_fields(service),
        "last reviewed": service.last_reviewed,
        "versions": [v.number for v in listing_versions.versions(service)],
        "changes": [(c.id, c.status) for c in db.session.scalars(select(ListingChange).where(
            ListingChange.organisation_id == side.organisation).order_by(ListingChange.id))],
        "referral": (referral.status, referral.decided_at),
        "referral events": [e.status for e in db.session.scalars(select(ReferralEvent).where(
            ReferralEvent.referral_id == side.referral).order_by(ReferralEvent.id))],
        "feedback": db.session.get(Feedback, side.feedback).status,
        "user": (side.user.role, side.user.active),
    }


# -- provider routes ---------------------------------------------------------------------

def test_a_provider_gets_404_on_every_provider_route_for_another_organisations_ids(
        app: Flask, sides: dict[str, Side], a_client: FlaskClient) -> None:
    """Generated from the url_map, so a new provider route with an id is covered (or fails
    the walk) without anyone remembering to add it here."""
    with_ids = {rule.rule for rule in _rules(app, "provider") if _in_path(rule)}
    assert len(with_ids) >= 10, "the provider routes with ids should be found"
    before, b_before = _database(), _b_state(sides["B"])
    assert b_before["referral"][0] == ReferralStatus.OPENED
    assert b_before["feedback"] == FeedbackStatus.OPEN
    assert {status for _, status in b_before["changes"]} == {ChangeStatus.PENDING}

    covered, reached, probes = set(), [], []
    for rule in _rules(app, "provider"):
        if not _in_path(rule):
            continue  # lists only the user's own things
        covered.add(rule.rule)
        for path, values in _urls(rule, _ids(sides["B"])):
            for method in sorted(set(METHODS) & rule.methods):
                data = _payload(rule, values) if method == "POST" else None
                response = a_client.open(path, method=method, data=data)
                probes.append((method, path))
                if response.status_code != 404:
                    reached.append(f"{method} {path} ({rule.endpoint}): {response.status_code} "
                                   f"{response.get_data(as_text=True)[:200]!r}")
    assert not reached, "A reached B's objects:\n" + "\n".join(reached)
    assert covered == with_ids and len(covered) >= len(with_ids)

    assert _b_state(sides["B"]) == b_before
    after = _database()
    assert [name for name in before if before[name] != after[name]] == ["audit_event"]
    # Every probe left a trace: who, what and when, as another organisation's object.
    refused = _refusals(sides["A"].user.email)
    assert sorted((r.detail["method"], r.detail["path"]) for r in refused) == sorted(probes)
    assert {r.detail["reason"] for r in refused} == {"another organisation's"}
    assert {r.user_id for r in refused} == {sides["A"].user.id} and all(r.at for r in refused)
    assert {r.subject_type for r in refused} >= {"referral", "service", "listing-change", "feedback"}
    admin = app.test_client()
    sign_in(admin, make_user("auditor@partnership.example.org", role="admin"))
    page = admin.get("/admin/audit-log?action=access").get_data(as_text=True)
    theirs = db.session.get(Referral, sides["B"].referral).uuid
    assert f"Refused: GET /provider/referrals/{theirs} (another organisation" in page
    assert sides["A"].user.email in page


def test_the_same_routes_work_for_a_on_its_own_objects(
        app: Flask, sides: dict[str, Side], a_client: FlaskClient) -> None:
    """The 404s above are the ownership check, not pages that are always missing."""
    opened = 0
    # An unread referral, from which every step is offered (reading it changes no status).
    unread = make_referral(db.session.get(Service, A_SERVICE))[0].uuid
    for rule in _rules(app, "provider"):
        if not _in_path(rule) or "GET" not in rule.methods:
            continue
        for path, _ in _urls(rule, _ids(sides["A"]) | {"referral_id": [unread]}):
            response = a_client.get(path)
            assert response.status_code < 400, f"GET {path}: {response.status_code}"
            opened += 1
    assert opened >= 10


def test_the_posts_are_real(app: Flask, sides: dict[str, Side], a_client: FlaskClient) -> None:
    """Each POST the walk sends to B's ids does its work on A's own: so "nothing of B's
    changed" means refused, not a form that was never valid."""
    posted = 0
    for rule in _rules(app, "provider"):
        if not _in_path(rule) or "POST" not in rule.methods:
            continue
        for _, values in _urls(rule, _ids(sides["A"])):
            if "referral_id" in values:  # a fresh referral per step: steps move it on
                values["referral_id"] = make_referral(db.session.get(Service, A_SERVICE))[0].uuid
            path = rule.build(values)[1]
            response = a_client.post(path, data=_payload(rule, values))
            assert response.status_code == 302, (path, response.get_data(as_text=True)[:500])
            posted += 1
    assert posted >= 9  # waiting time, confirm, edit, still right, resolve, five referral steps


def _refusals(actor: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "access.refused", AuditEvent.actor == actor)))


# -- admin pages and the tracker ---------------------------------------------------------

def test_admin_routes_are_404_for_a_provider_even_with_real_ids(
        app: Flask, sides: dict[str, Side], a_client: FlaskClient) -> None:
    """tests/web/test_provider_pages.py walks the admin routes with made-up ids, where a 404
    could be a missing row; here every id is a real object (B's, and A's own user for the
    user pages), an admin opens the same pages, and nothing changes."""
    rules = [rule for rule in _rules(app, "admin") if _in_path(rule)]
    assert len(rules) >= 8
    before = _database()
    reached = []
    for rule in rules:
        ids = _ids(sides["B"]) | {"user_id": [sides["B"].user.uuid, sides["A"].user.uuid]}
        for path, values in _urls(rule, ids):
            for method in sorted(set(METHODS) & rule.methods):
                data = _payload(rule, values) if method == "POST" else None
                response = a_client.open(path, method=method, data=data)
                if response.status_code != 404:
                    reached.append(f"{method} {path}: {response.status_code}")
    assert not reached, "a provider reached admin pages:\n" + "\n".join(reached)
    after = _database()
    assert [name for name in before if before[name] != after[name]] == ["audit_event"]
    assert {r.detail["reason"] for r in _refusals(sides["A"].user.email)} == {"admins only"}

    admin = app.test_client()
    sign_in(admin, make_user("admin@partnership.example.org", role="admin"))
    for rule in rules:
        if "GET" in rule.methods:
            for path, _ in _urls(rule, _ids(sides["B"])):
                assert admin.get(path).status_code == 200, path


def test_a_provider_session_does_not_open_another_organisations_referral_in_the_tracker(
        app: Flask, sides: dict[str, Side], a_client: FlaskClient) -> None:
    """The tracker opens a referral only with the family's or referrer's token or email:
    being signed in as a provider is no way in, by id, reference or session."""
    theirs = sides["B"]
    before = _database()
    for path in (f"/referrals/track/{theirs.referral}", f"/referrals/track/{theirs.reference}",
                 f"/referrals/track/link/{theirs.referral}"):
        assert a_client.get(path).status_code == 404, path
    found = a_client.get("/referrals/track/found")
    assert found.status_code == 302 and found.headers["Location"].endswith("/referrals/track")
    wrong = a_client.post("/referrals/track", data={"reference": theirs.reference,
                                                    "email": sides["A"].user.email})
    assert wrong.status_code == 400 and "could not find a referral" in wrong.get_data(as_text=True)
    after = _database()
    assert [name for name in before if before[name] != after[name]] == []
    assert a_client.get(f"/referrals/track/{theirs.family_token}").status_code == 200  # the token works


# -- a GET never acts --------------------------------------------------------------------
# Every GET route a provider can reach, with the provider's own ids (a new referral among
# them), changes no status the family sees and queues no email. Reading a referral sets
# opened_at and is audited; telling the family is an explicit POST.

def _family_visible() -> tuple:
    db.session.expire_all()
    return (db.session.scalar(select(func.count(Notification.id))),
            sorted(db.session.execute(select(Referral.id, Referral.status, Referral.updated_at))),
            db.session.scalar(select(func.count(ReferralEvent.id))))


def test_no_get_route_changes_a_status_or_queues_an_email(
        app: Flask, sides: dict[str, Side], a_client: FlaskClient) -> None:
    new, _, _ = make_referral(db.session.get(Service, A_SERVICE))
    assert new.status == ReferralStatus.NEW and new.opened_at is None
    ids = _ids(sides["A"]) | {"referral_id": [new.uuid, *_ids(sides["A"])["referral_id"]]}
    ids |= {"path": ["x"], "filename": ["js/app.mjs"], "token": ["x"], "table": ["x"],
            "area_id": ["woking"], "category_id": ["x"], "sal_id": ["x"], "lang": ["en"]}
    before = _family_visible()
    walked = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        values = {name: ids.get(name, ["x"]) for name in _in_path(rule)}
        for path, _ in _urls(rule, values):
            response = a_client.get(path)
            assert response.status_code < 500, path
            walked.append(path)
    assert f"/provider/referrals/{new.uuid}" in walked
    assert _family_visible() == before, "a GET changed a status or queued an email"

    db.session.expire_all()
    read = db.session.get(Referral, new.id)
    assert read.status == ReferralStatus.NEW and read.opened_at is not None
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "referral.viewed", AuditEvent.subject_id == str(new.id))) >= 1


def test_telling_the_family_is_an_explicit_post(app: Flask, sides: dict[str, Side],
                                                a_client: FlaskClient) -> None:
    new, _, _ = make_referral(db.session.get(Service, A_SERVICE))
    page = a_client.get(f"/provider/referrals/{new.uuid}").get_data(as_text=True)
    assert "Tell the family you have read the referral" in page
    emails = db.session.scalar(select(func.count(Notification.id)))
    step = a_client.get(f"/provider/referrals/{new.uuid}/opened")
    assert step.status_code == 200 and "will be told by email" in step.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Notification.id))) == emails
    assert a_client.post(f"/provider/referrals/{new.uuid}/opened").status_code == 302
    db.session.expire_all()
    assert db.session.get(Referral, new.id).status == ReferralStatus.OPENED
    assert db.session.scalar(select(func.count(Notification.id))) > emails
