"""A shortlist kept without an account: add and remove with plain forms, print, share."""

import re
from datetime import date
from html import unescape

import pytest
from sqlalchemy import delete, select

from app import create_app, dates
from app.config import TestConfig
from app.extensions import db
from app.models.activity import ActivityCount
from app.models.directory import utcnow
from tests.conftest import check_page


def add(client, service_id):
    return client.post("/shortlist/add", data={"service_id": service_id})


def listed(html: str) -> list[str]:
    return re.findall(r'<h2 class="govuk-heading-m govuk-!-margin-bottom-1"><a class="govuk-link" '
                      r'href="/services/([a-z0-9-]+)"', html)


def test_add_view_and_remove_without_javascript(surrey, client):
    response = add(client, "woking-youth-centre")
    # The fragment takes the family back to the shortlist button, not the top of the page.
    assert response.status_code == 302
    assert response.location.split("#")[0].endswith("/services/woking-youth-centre")
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


# -- from search results, and back to them ----------------------------------------------

RESULTS = "/search?q=parenting&area=woking&page=2"


def result_cards(html: str) -> dict[str, str]:
    """Each result's service id and its card's HTML, in order."""
    cards = re.findall(r'<li class="app-service-card"[^>]*>(.*?)</li>\s*'
                       r'(?=<li class="app-service-card"|</ol>)', html, re.S)
    return {re.search(r'name="service_id" value="([^"]+)"', card).group(1): card for card in cards}


def card_form(card: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', card))
    fields = {name: unescape(value) for name, value in fields.items()}
    fields["action"] = re.search(r'<form method="post" action="([^"]+)"', card).group(1)
    return fields


def submit(client, fields: dict[str, str]):
    return client.post(fields["action"], data={k: v for k, v in fields.items() if k != "action"})


def test_a_result_is_added_and_removed_from_the_same_results_page(surrey, client):
    page = client.get(RESULTS)
    check_page(page)
    cards = result_cards(page.get_data(as_text=True))
    assert len(cards) == 10
    service_id, card = next(iter(cards.items()))
    assert "Add to shortlist" in card and "Added to your shortlist" not in card
    form = card_form(card)
    assert form["action"] == "/shortlist/add"
    assert form["back"] == RESULTS and form["return_to"] == "results"

    added = submit(client, form)
    assert added.status_code == 302 and added.location.split("#")[0] == RESULTS
    again = client.get(added.location)
    check_page(again)
    html = again.get_data(as_text=True)
    assert "Added to your shortlist – " in html  # the confirmation, with a link to the list
    card = result_cards(html)[service_id]
    assert "Added to your shortlist" in card and "Remove from shortlist" in card
    assert card_form(card)["action"] == "/shortlist/remove"
    assert listed(client.get("/shortlist").get_data(as_text=True)) == [service_id]
    others = [c for i, c in result_cards(html).items() if i != service_id]
    assert all("Add to shortlist" in c for c in others)

    removed = submit(client, card_form(card))
    assert removed.status_code == 302 and removed.location.split("#")[0] == RESULTS
    html = client.get(removed.location).get_data(as_text=True)
    assert "Removed from your shortlist" in html
    assert "Add to shortlist" in result_cards(html)[service_id]
    assert listed(client.get("/shortlist").get_data(as_text=True)) == []


def test_the_first_results_page_and_an_empty_search_are_returned_to_as_well(surrey, client):
    for results in ("/search?q=breastfeeding", "/search"):
        form = card_form(next(iter(result_cards(client.get(results).get_data(as_text=True)).values())))
        assert form["back"] == results
        assert submit(client, form).location.split("#")[0] == results


def test_only_the_search_parameters_of_back_are_kept(surrey, client):
    response = client.post("/shortlist/add", data={
        "service_id": "woking-youth-centre", "return_to": "results",
        "back": "/search?q=youth&next=https://evil.example&page=2&area=woking"})
    assert response.location.split("#")[0] == "/search?q=youth&page=2&area=woking"


@pytest.mark.parametrize("back", [
    "https://evil.example", "https://evil.example/search?q=youth", "//evil.example",
    "//evil.example/search?q=youth", "/\\evil.example", "/\\evil.example/search?q=youth",
    "\\\\evil.example/search", "javascript:alert(1)//search", "http://[evil.example/search",
    "/shortlist", "/services/woking-youth-centre?back=q%3Dyouth",
])
def test_a_back_that_is_not_a_results_page_here_is_ignored(surrey, client, back):
    added = client.post("/shortlist/add", data={
        "service_id": "woking-youth-centre", "back": back, "return_to": "results"})
    assert added.status_code == 302 and added.location.split("#")[0] == "/services/woking-youth-centre"
    removed = client.post("/shortlist/remove", data={
        "service_id": "woking-youth-centre", "back": back, "return_to": "results"})
    assert removed.status_code == 302 and removed.location.split("#")[0] == "/shortlist"


# -- from a service page reached from a search --------------------------------------------

def back_to_results(html: str) -> str | None:
    match = re.search(r'<a href="([^"]+)" class="govuk-back-link">Back to results</a>', html)
    return unescape(match.group(1)) if match else None


def test_adding_on_a_service_page_keeps_the_way_back_to_the_results(surrey, client):
    results = "/search?q=youth&area=woking&page=2"
    service = "/services/woking-youth-centre?back=q%3Dyouth%26area%3Dwoking%26page%3D2"
    html = client.get(service).get_data(as_text=True)
    assert back_to_results(html) == results
    form = re.search(r'<form method="post" action="/shortlist/add".*?</form>', html, re.S).group(0)
    assert f'<input type="hidden" name="back" value="{results.replace("&", "&amp;")}">' in form

    added = client.post("/shortlist/add", data={"service_id": "woking-youth-centre", "back": results})
    assert added.status_code == 302
    assert added.location.startswith("/services/woking-youth-centre?back=")
    html = client.get(added.location).get_data(as_text=True)
    assert "Added to your shortlist" in html and "This service is on your shortlist" in html
    assert back_to_results(html) == results


def test_a_service_page_not_reached_from_a_search_has_no_back_to_send(surrey, client):
    html = client.get("/services/woking-youth-centre").get_data(as_text=True)
    assert 'name="back"' not in html
    assert add(client, "woking-youth-centre").location.split("#")[0] == "/services/woking-youth-centre"


def page_views(service_id: str) -> int:
    today = dates.local_date(utcnow())
    return db.session.scalar(select(ActivityCount.count).where(
        ActivityCount.day == today, ActivityCount.kind == "service-view",
        ActivityCount.service_id == service_id)) or 0


@pytest.fixture
def no_page_views_today(surrey):
    def clear() -> None:
        db.session.execute(delete(ActivityCount).where(ActivityCount.day >= date(2000, 1, 1)))
        db.session.commit()
    clear()
    yield
    clear()


def test_opening_a_service_and_adding_it_is_one_page_view(no_page_views_today, client):
    service = "/services/woking-youth-centre?back=q%3Dyouth"
    client.get(service)
    assert page_views("woking-youth-centre") == 1
    added = client.post("/shortlist/add", data={"service_id": "woking-youth-centre",
                                                "back": "/search?q=youth"})
    assert client.get(added.location).status_code == 200
    assert page_views("woking-youth-centre") == 1
    client.get(service)  # opened again later: a page view again
    assert page_views("woking-youth-centre") == 2
