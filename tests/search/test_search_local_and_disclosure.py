"""Local first with a postcode, and the safeguarding message first for a disclosure."""

import re

from app import search
from app.directory import listings
from tests.conftest import check_page

DISCLOSURES = ["my kids saw their dad hit me", "my 15 year old has been cutting herself",
               "my daughter told me her uncle touched her", "he says he wants to die"]
NOT_DISCLOSURES = ["parenting course", "stay and play", "speech delay 2 year old"]


def _first(client, query: str, postcode: str) -> str:
    body = client.get("/search", query_string={"q": query, "postcode": postcode}).get_data(as_text=True)
    return re.findall(r'href="/services/([a-z0-9-]+)[?"]', body)[0]


def test_parenting_near_rh1_puts_the_local_family_centre_first(surrey, client):
    assert _first(client, "parenting", "RH1 6NN") == "redhill-family-centre"


def test_a_local_service_ranks_above_a_county_wide_one_within_the_margin(surrey):
    choices = listings.filter_choices()
    from werkzeug.datastructures import MultiDict
    form = search.parse_request(MultiDict({"q": "parenting", "postcode": "RH1 6NN"}),
                                set(choices.areas), set(choices.categories), set(choices.languages))
    outcome, _ = search.search(form.criteria)
    seen_county_wide = False
    for hit in outcome.hits:
        local = hit.distance_miles is not None
        if not local and hit.covers_district:
            seen_county_wide = True
        elif local and seen_county_wide:  # a local one below a county-wide one...
            county = [h for h in outcome.hits if h.distance_miles is None]
            assert county[0].score > hit.score  # ...only when that one scored more overall


def test_a_disclosure_shows_the_safeguarding_message_above_the_results(surrey, client):
    for query in DISCLOSURES:
        page = client.get("/search", query_string={"q": query})
        check_page(page)
        body = page.get_data(as_text=True)
        assert 'id="disclosure"' in body, query
        assert body.index('id="disclosure"') < body.index('id="result-count"')
        assert "If you or a child are in danger now, call 999." in body
        assert "Single Point of Access" in body[body.index('id="disclosure"'):][:2000]
        assert re.search(r'href="/services/[a-z0-9-]+[?"]', body), f"{query}: no services shown"


def test_an_ordinary_search_has_no_disclosure_message(surrey, client):
    for query in NOT_DISCLOSURES:
        body = client.get("/search", query_string={"q": query}).get_data(as_text=True)
        assert 'id="disclosure"' not in body, query
