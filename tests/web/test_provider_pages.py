"""Providers on their dashboard: waiting times in one step, public at once; nobody
reaches another organisation's services; and every private route carries a check."""

import re

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from app.extensions import db
from app.models import Service, WaitingTime
from app.security.opaque_ids import OpaqueIdConverter
from tests.accounts.test_accounts import clear_people
from tests.conftest import make_user, sign_in

OURS = "surrey-childrens-health"
THEIRS = "surrey-family-services"
OUR_SERVICE = "childrens-wellbeing-line"
THEIR_SERVICE = "family-support-programme"


@pytest.fixture
def provider(client, surrey):
    clear_people()
    user = make_user("nurse@health.example.org", organisations=(OURS,))
    sign_in(client, user)
    return user


@pytest.fixture
def changing(surrey_to_change, provider):
    return provider


def test_dashboard_lists_only_our_services(client, provider):
    page = client.get("/provider/").get_data(as_text=True)
    ours = db.session.scalars(select(Service.name).where(Service.organisation_id == OURS)).all()
    assert all(name.replace("'", "&#39;") in page for name in ours)
    assert "Family Support Programme" not in page


def test_a_waiting_time_update_is_public_and_searchable_at_once(client, changing):
    response = client.post(f"/provider/services/{OUR_SERVICE}/waiting-time",
                           data={"status": "waitlist", "weeks": "7", "note": "Evenings are quicker"})
    assert response.status_code == 302
    public = client.get(f"/services/{OUR_SERVICE}").get_data(as_text=True)
    assert "Waiting list of about 7 weeks" in public and "Evenings are quicker" in public
    results = client.get("/search", query_string={"q": "wellbeing line", "max_wait": "4"})
    assert "Children&#39;s Wellbeing Line" not in results.get_data(as_text=True)  # 7 weeks > 4
    results = client.get("/search", query_string={"q": "wellbeing line"}).get_data(as_text=True)
    assert "Waiting list of about 7 weeks" in results
    latest = db.session.get(Service, OUR_SERVICE).current_waiting_time
    assert latest.source == "provider" and latest.recorded_by == "nurse@health.example.org"
    history = client.get(f"/provider/services/{OUR_SERVICE}/waiting-time").get_data(as_text=True)
    assert history.index("nurse@health.example.org") < history.index("Directory file")


def test_still_correct_confirms_the_same_wait_today(client, changing):
    service = db.session.get(Service, OUR_SERVICE)
    before = service.current_waiting_time
    status, weeks, count = before.status, before.weeks, len(service.waiting_times)
    assert client.post(f"/provider/services/{OUR_SERVICE}/waiting-time/confirm").status_code == 302
    db.session.expire_all()
    service = db.session.get(Service, OUR_SERVICE)
    after = service.current_waiting_time
    assert len(service.waiting_times) == count + 1
    assert (after.status, after.weeks) == (status, weeks)
    assert after.confirmed_on >= before.confirmed_on and after.recorded_by == "nurse@health.example.org"


@pytest.mark.parametrize(("data", "message"), [
    ({}, "Select whether the service is taking new referrals"),
    ({"status": "waitlist"}, "Enter about how many weeks the wait is, as a number, like 6"),
    ({"status": "waitlist", "weeks": "105"}, "Enter a number of weeks from 0 to 104"),
    ({"status": "waitlist", "weeks": "six"}, "Enter the number of weeks as a whole number, like 6"),
    ({"status": "open", "note": "x" * 301}, "The note must be 300 characters or fewer"),
    ({"status": "sometimes"}, "Not a valid choice."),
])
def test_waiting_time_form_explains_mistakes(client, provider, data, message):
    response = client.post(f"/provider/services/{OUR_SERVICE}/waiting-time", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page and "<title>Error:" in page
    count = db.session.scalar(select(WaitingTime.id).where(WaitingTime.source == "provider"))
    assert count is None


def test_another_organisations_service_is_not_found(client, provider):
    assert client.get(f"/provider/services/{THEIR_SERVICE}/waiting-time").status_code == 404
    assert client.post(f"/provider/services/{THEIR_SERVICE}/waiting-time",
                       data={"status": "closed"}).status_code == 404
    assert client.post(f"/provider/services/{THEIR_SERVICE}/waiting-time/confirm").status_code == 404
    assert client.get("/provider/services/no-such-service/waiting-time").status_code == 404
    assert db.session.scalar(select(WaitingTime).where(WaitingTime.source == "provider")) is None


def test_private_pages_are_never_cached(client, provider):
    for path in ("/provider/", f"/provider/services/{OUR_SERVICE}/waiting-time", "/sign-in"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


# -- every route --------------------------------------------------------------------

# Blueprints whose pages anyone may open. A route anywhere else must carry
# provider_required or admin_required.
PUBLIC_BLUEPRINTS = {None, "public", "search", "shortlist", "api", "api.v1", "auth", "referrals",
                     "feedback", "health"}


def _private_rules(app: Flask):
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0] or None
        if blueprint not in PUBLIC_BLUEPRINTS:
            yield rule


def _example_path(rule, number: int = 1) -> str:
    # An opaque id takes an old integer id too (a link already sent by email).
    values = {name: number if isinstance(converter, IntegerConverter | OpaqueIdConverter) else "x"
              for name, converter in rule._converters.items()}
    return rule.build(values)[1]


def test_every_private_route_carries_an_access_check(app):
    rules = list(_private_rules(app))
    assert len(rules) >= 8, "the provider and admin pages should be found"
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "access", None) in ("provider", "admin"), f"{rule} has no access check"


def test_anonymous_visitors_are_sent_to_sign_in_from_every_private_route(app, surrey):
    client = app.test_client()
    for rule in _private_rules(app):
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(_example_path(rule), method=method)
            assert response.status_code == 302, f"{method} {rule}"
            assert re.search(r"/sign-in\?next=", response.headers["Location"]), rule


def test_providers_cannot_reach_any_admin_route(app, client, provider):
    admin_rules = [rule for rule in _private_rules(app)
                   if app.view_functions[rule.endpoint].access == "admin"]
    assert admin_rules
    for rule in admin_rules:
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert client.open(_example_path(rule), method=method).status_code == 404, f"{method} {rule}"


def test_an_id_too_large_for_the_database_is_not_found_on_every_route(app, client, surrey):
    clear_people()
    sign_in(client, make_user("admin@partnership.example.org", role="admin"))
    numbered = [rule for rule in app.url_map.iter_rules()
                if any(isinstance(c, IntegerConverter | OpaqueIdConverter)
                       for c in rule._converters.values())]
    assert len(numbered) >= 5
    for rule in numbered:
        path = _example_path(rule, 2**31)  # one past the largest id PostgreSQL holds
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert client.open(path, method=method).status_code == 404, f"{method} {path}"
