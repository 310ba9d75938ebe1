"""A shortlist kept without an account: add and remove with plain forms, print, share."""

import re

import pytest

from app import create_app
from app.config import TestConfig
from tests.conftest import check_page


def add(client, service_id):
    return client.post("/shortlist/add", data={"service_id": service_id})


def listed(html: str) -> list[str]:
    return re.findall(r'<h2 class="govuk-heading-m govuk-!-margin-bottom-1"><a class="govuk-link" '
                      r'href="/services/([a-z0-9-]+)"', html)


def test_add_view_and_remove_without_javascript(surrey, client):
    response = add(client, "woking-youth-centre")
    assert response.status_code == 302 and response.location.endswith("/services/woking-youth-centre")
    add(client, "epsom-breastfeeding-cafe")
    add(client, "woking-youth-centre")  # twice is once
    page = client.get("/shortlist")
    check_page(page)
    html = page.get_data(as_text=True)
    assert listed(html) == ["woking-youth-centre", "epsom-breastfeeding-cafe"]
    assert "Shortlist (2)" in html
    client.post("/shortlist/remove", data={"service_id": "woking-youth-centre"})
    assert listed(client.get("/shortlist").get_data(as_text=True)) == ["epsom-breastfeeding-cafe"]


def test_a_service_page_offers_the_shortlist_and_confirms(surrey, client):
    html = client.get("/services/woking-youth-centre").get_data(as_text=True)
    assert "Add to shortlist" in html
    confirmation = add(client, "woking-youth-centre")
    html = client.get(confirmation.location).get_data(as_text=True)
    assert "Added to your shortlist" in html
    assert "This service is on your shortlist" in html


def test_unknown_or_withdrawn_services_cannot_be_added(surrey, client):
    response = add(client, "no-such-service")
    check_page(response, status=400)


def test_the_share_link_opens_the_same_list_elsewhere(surrey, client, app):
    add(client, "woking-youth-centre")
    add(client, "epsom-breastfeeding-cafe")
    html = client.get("/shortlist").get_data(as_text=True)
    share = re.search(r'id="share-link">([^<]+)<', html).group(1).replace("&amp;", "&")
    other_phone = app.test_client()
    shared = other_phone.get(share.replace("http://localhost", ""))
    check_page(shared)
    assert listed(shared.get_data(as_text=True)) == ["woking-youth-centre", "epsom-breastfeeding-cafe"]
    other_phone.post("/shortlist/keep",
                     data={"services": "woking-youth-centre,epsom-breastfeeding-cafe,nope"})
    assert listed(other_phone.get("/shortlist").get_data(as_text=True)) == [
        "woking-youth-centre", "epsom-breastfeeding-cafe"]


def test_the_printed_list_has_each_page_address(surrey, client):
    add(client, "woking-youth-centre")
    html = client.get("/shortlist").get_data(as_text=True)
    assert '<li class="app-print-only">http://localhost/services/woking-youth-centre</li>' in html


def test_an_empty_shortlist_says_so(surrey, client):
    check_page(client.get("/shortlist"))
    assert "Your shortlist is empty" in client.get("/shortlist").get_data(as_text=True)


@pytest.fixture
def csrf_client(app):
    class Config(TestConfig):
        WTF_CSRF_ENABLED = True
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        SEARCH_INDEX_DIR = app.config["SEARCH_INDEX_DIR"]

    return create_app(Config).test_client()


def test_forms_need_their_csrf_token(surrey, csrf_client):
    refused = csrf_client.post("/shortlist/add", data={"service_id": "woking-youth-centre"})
    assert refused.status_code == 400
    page = csrf_client.get("/services/woking-youth-centre").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    accepted = csrf_client.post("/shortlist/add",
                                data={"service_id": "woking-youth-centre", "csrf_token": token})
    assert accepted.status_code == 302
