"""A family's searches are recorded once each: "Back to results", the language switcher and a
reload show the same search again, and must not count it again, or one family's words (which
can name a child) would reach the 5 searches the demand page needs to list them."""

import re
from html import unescape

from sqlalchemy import func, select

from app.activity import searches
from app.extensions import db
from app.models import SearchRecord
from tests.conftest import make_user, sign_in

WORDS = "parenting help for zebedee quartermain"


def records(terms: str) -> int:
    return db.session.scalar(select(func.count()).select_from(SearchRecord)
                             .where(SearchRecord.terms == terms))


def link(html: str, pattern: str) -> str:
    found = re.search(pattern, html)
    assert found, pattern
    return unescape(found.group(1))


def demand_page(admin) -> str:
    page = admin.get("/admin/oversight/demand", query_string={"period": "4w"})
    return unescape(page.get_data(as_text=True))


def test_one_family_seeing_its_search_again_is_one_search(app, surrey, client):
    admin = app.test_client()
    sign_in(admin, make_user("search-records-admin@partnership.example.org", role="admin"))
    url = f"/search?q={WORDS.replace(' ', '+')}&postcode=GU21+6AA"
    html = client.get(url).get_data(as_text=True)
    assert records(WORDS) == 1
    # Back to results, from a service page the results link to.
    service_page = client.get(link(html, r'href="(/services/[a-z0-9-]+\?back=[^"]+)"')).get_data(as_text=True)
    back = link(service_page, r'<a href="(/search\?[^"]+)" class="govuk-back-link">')
    assert WORDS.split()[-1] in back
    client.get(back)
    # The language switcher, there and back: the same search in Polish, then in English.
    polish = client.get(link(html, r'href="(/search\?[^"]*lang=pl)"')).get_data(as_text=True)
    client.get(link(polish, r'href="(/search\?[^"]*lang=en)"'))
    client.get(url)  # a reload
    assert records(WORDS) == 1
    # The session keeps a short hash of the search, not the words or the postcode.
    with client.session_transaction() as session:
        (kept,) = session[searches.SESSION_KEY]
        assert re.fullmatch(r"[0-9a-f]{16}", kept)
        assert "zebedee" not in repr(dict(session)) and "GU21" not in repr(dict(session)).upper()
    # Sorted differently it is the same services: still the same search.
    client.get(url + "&sort=distance")
    assert records(WORDS) == 1
    assert WORDS not in demand_page(admin)

    # Filters switched on and off, and another search in between, do not count the words
    # again: the demand page counts words.
    client.get(url + "&free=yes")
    client.get("/search?q=breastfeeding")
    assert records("breastfeeding") >= 1
    client.get(url)
    client.get(url + "&age=7")
    assert records(WORDS) == 1

    # Searches from other families count as ever: 5 and the words are listed.
    before = records(WORDS)
    for _ in range(5 - before):
        app.test_client().get(url)
    assert records(WORDS) == 5
    assert WORDS in demand_page(admin)


def test_case_and_spaces_do_not_make_another_search(app, surrey, client):
    client.get("/search?q=Speech+and+Language&postcode=gu21+6aa")
    client.get("/search?q=speech++and+language+&postcode=GU216AA")
    assert records("Speech and Language") + records("speech and language") == 1
