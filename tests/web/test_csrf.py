"""Every form is protected against cross-site request forgery: a POST to any route without
the session's token is refused, and the same form with the token goes through.

The other tests run with CSRF off (TestConfig); here it is turned on for the test, as in
production."""

import re
import time
from collections.abc import Iterator

import pytest
from flask import Flask, g
from itsdangerous import TimestampSigner
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from app.extensions import db
from app.models import AuditEvent, Feedback, ListingChange
from app.security.opaque_ids import OpaqueIdConverter
from tests.accounts.test_accounts import clear_people
from tests.conftest import make_user, sign_in
from tests.directory.test_listing_changes import OUR_SERVICE, OURS, post_data

# Routes that take a POST without a token on purpose (none so far). Add an endpoint here
# only with a reason, e.g. a machine-to-machine callback authenticated another way.
# The open-data API is read-only and cookie-free: every method but GET answers a JSON 405.
EXEMPT_ENDPOINTS: set[str] = {"api.v1.elsewhere"}


@pytest.fixture
def csrf_on(app) -> Iterator[Flask]:
    fresh_token_cache()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield app
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def fresh_token_cache() -> None:
    """The tests share one app context, so what a request leaves on `g` (Flask-WTF's token
    cache, the signed-in user) would carry over to the next: start afresh, as a real request
    would. The CSRF check runs before the user is loaded, so its error page would otherwise
    see an earlier test's user, perhaps one since deleted."""
    g.pop("csrf_token", None)
    g.pop("user", None)


def _post_rules(app: Flask):
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or ()) and rule.endpoint not in EXEMPT_ENDPOINTS:
            yield rule


def _example_value(converter) -> object:
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, OpaqueIdConverter):
        return "00000000-0000-4000-8000-000000000000"
    if type(converter).__name__ == "AnyConverter":
        return sorted(converter.items)[0]
    return "x"


def _example_path(rule) -> str:
    return rule.build({name: _example_value(c) for name, c in rule._converters.items()})[1]


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'type="hidden" name="csrf_token" value="([^"]+)"|'
                     r'name="csrf_token" value="([^"]+)"', page).group(0).rsplit('"', 2)[-2]


def test_every_post_route_refuses_a_request_without_the_token(csrf_on, surrey):
    clear_people()
    rules = list(_post_rules(csrf_on))
    endpoints = {rule.endpoint for rule in rules}
    # The listing, feedback and approval forms are among them.
    assert {"provider.listing_edit", "provider.listing_new", "provider.listing_confirm",
            "provider.feedback_resolve", "admin.approval_review", "admin.listing_restore",
            "feedback.report", "feedback.listing_check"} <= endpoints
    # Signed in with every right, so that nothing but the missing token stands in the way.
    user = make_user("everything@partnership.example.org", role="admin", organisations=(OURS,))
    for signed_in in (False, True):
        client = csrf_on.test_client()
        if signed_in:
            sign_in(client, user)
        for rule in rules:
            response = client.post(_example_path(rule), data={"anything": "1"})
            assert response.status_code == 400, f"POST {rule} without a token: {response.status_code}"
            assert "This page had expired" in response.get_data(as_text=True), rule


def test_the_listing_and_feedback_forms_work_with_their_token(csrf_on, surrey_to_change):
    clear_people()
    client = csrf_on.test_client()
    page = client.get(f"/services/{OUR_SERVICE}/report-a-problem").get_data(as_text=True)
    response = client.post(f"/services/{OUR_SERVICE}/report-a-problem",
                           data={"kind": "wait", "csrf_token": _token(page)})
    assert response.status_code == 302
    assert db.session.scalar(select(Feedback)) is not None

    fresh_token_cache()
    provider = csrf_on.test_client()
    sign_in(provider, make_user("worker@rfl.example.org", organisations=(OURS,)))
    page = provider.get(f"/provider/services/{OUR_SERVICE}/edit").get_data(as_text=True)
    data = post_data(OUR_SERVICE, contact_phone="01632 960770")
    assert provider.post(f"/provider/services/{OUR_SERVICE}/edit", data=data).status_code == 400
    assert db.session.scalar(select(ListingChange)) is None
    response = provider.post(f"/provider/services/{OUR_SERVICE}/edit",
                             data={**data, "csrf_token": _token(page)})
    assert response.status_code == 302
    assert db.session.scalar(select(ListingChange)) is not None


def test_a_form_left_open_for_hours_still_goes_through(csrf_on, surrey_to_change, monkeypatch):
    """A parent may leave a page open a long time: the token lasts as long as the session."""
    clear_people()
    client = csrf_on.test_client()
    page = client.get(f"/services/{OUR_SERVICE}/report-a-problem").get_data(as_text=True)
    later = int(time.time()) + 6 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    response = client.post(f"/services/{OUR_SERVICE}/report-a-problem",
                           data={"kind": "wait", "csrf_token": _token(page)})
    assert response.status_code == 302


def test_the_api_answers_other_methods_with_a_json_405_not_the_csrf_page(csrf_on, surrey):
    fresh_token_cache()
    client = csrf_on.test_client()
    for method in ("POST", "PUT", "PATCH", "DELETE", "TRACE", "QUERY"):
        for path in ("/api/v1/services", "/api/v1/", "/api/v1/nothing-here"):
            response = client.open(path, method=method)
            assert response.status_code == 405, (method, path)
            assert response.mimetype == "application/problem+json", (method, path)
            assert response.get_json()["status"] == 405
            assert "GET" in response.headers["Allow"]


def test_a_refused_form_is_explained_in_the_pages_language(csrf_on, surrey_to_change):
    fresh_token_cache()
    client = csrf_on.test_client()
    client.get("/?lang=pl")
    response = client.post(f"/services/{OUR_SERVICE}/report-a-problem", data={"kind": "wait"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "CSRF" not in text and "This page had expired" not in text
    assert 'lang="pl"' in text


def test_a_refused_form_is_in_the_audit_log_with_who_what_and_when(csrf_on, surrey_to_change):
    clear_people()
    fresh_token_cache()
    worker = make_user("worker@rfl.example.org", organisations=(OURS,))
    provider = csrf_on.test_client()
    sign_in(provider, worker)
    assert provider.post(f"/provider/services/{OUR_SERVICE}/edit",
                         data=post_data(OUR_SERVICE)).status_code == 400
    fresh_token_cache()
    anonymous = csrf_on.test_client()
    assert anonymous.post(f"/services/{OUR_SERVICE}/report-a-problem",
                          data={"kind": "wait"}).status_code == 400
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "csrf.refused")
                                 .order_by(AuditEvent.id)).all()
    assert [(r.actor, r.detail["method"], r.detail["path"]) for r in refused] == [
        (worker.email, "POST", f"/provider/services/{OUR_SERVICE}/edit"),
        ("anonymous", "POST", f"/services/{OUR_SERVICE}/report-a-problem")]
    assert all(r.at and "CSRF" in r.detail["reason"] for r in refused)

    fresh_token_cache()
    admin = csrf_on.test_client()
    sign_in(admin, make_user("auditor@partnership.example.org", role="admin"))
    page = admin.get("/admin/audit-log?action=csrf").get_data(as_text=True)
    assert f"Refused: POST /provider/services/{OUR_SERVICE}/edit" in page and worker.email in page
