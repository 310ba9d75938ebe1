"""GET /search as a family uses it: postcodes, filters with counts, paging, no dead ends,
and every search recorded without anything personal."""

import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import SearchRecord, Service
from tests.conftest import check_page


def result_ids(html: str) -> list[str]:
    return re.findall(r'<h2 class="govuk-heading-s govuk-!-margin-bottom-1"><a class="govuk-link" '
                      r'href="/services/([a-z0-9-]+)(?:\?back=[^"]*)?"', html)


def test_results_link_to_services_in_rank_order(surrey, client):
    response = client.get("/search?q=breastfeeding")
    check_page(response)
    ids = result_ids(response.get_data(as_text=True))
    assert ids and "epsom-breastfeeding-cafe" in ids[:5]


def test_postcode_results_say_which_are_near_and_which_cover_the_district(surrey, client):
    html = client.get("/search?postcode=gu21+6aa&sort=distance").get_data(as_text=True)
    assert re.search(r"\d+\.\d miles? away|Less than 0.1 miles away", html)
    assert "Covers all of Surrey" in html or "Covers all of Woking" in html
    distances = [float(d) for d in re.findall(r"(\d+\.\d) miles? away", html)]
    assert distances == sorted(distances)


def test_an_outcode_alone_is_enough(surrey, client):
    response = client.get("/search?postcode=GU21")
    check_page(response)
    assert "miles away" in response.get_data(as_text=True)


def test_an_invalid_postcode_is_an_error_on_the_form(surrey, client):
    response = client.get("/search?q=parenting&postcode=NOTAPOSTCODE")
    parser = check_page(response, status=400)
    html = response.get_data(as_text=True)
    assert parser.title.startswith("Error:")
    assert 'href="#postcode"' in html  # the error summary links to the field
    assert "Enter a real postcode" in html


def test_a_postcode_outside_surrey_says_so_and_shows_county_wide_services(surrey, client):
    html = client.get("/search?postcode=SW1A+1AA").get_data(as_text=True)
    assert "is outside Surrey" in html
    for service_id in result_ids(html):
        service = db.session.get(Service, service_id)
        assert service.covers_all_areas


def test_filters_combine_and_show_counts(surrey, client):
    html = client.get("/search?q=parenting").get_data(as_text=True)
    match = re.search(r'<option value="woking"\s*>Woking \((\d+)\)</option>', html)
    assert match, "district filter shows a count"
    woking_count = int(match.group(1))
    narrowed = client.get("/search?q=parenting&area=woking").get_data(as_text=True)
    assert f"{woking_count} services found" in narrowed or f"{woking_count} service found" in narrowed
    both = client.get("/search?q=parenting&area=woking&access=drop-in").get_data(as_text=True)
    for service_id in result_ids(both):
        service = db.session.get(Service, service_id)
        assert service.access == "drop-in"
        assert service.covers_all_areas or "woking" in {a.id for a in service.areas}


def test_each_filter_can_be_removed_on_its_own(surrey, client):
    html = client.get("/search?q=parenting&area=woking&free=yes").get_data(as_text=True)
    assert 'href="/search?q=parenting&amp;free=yes"' in html  # remove the district
    assert 'href="/search?q=parenting&amp;area=woking"' in html  # remove "free only"


def test_max_wait_and_age_filters(surrey, client):
    html = client.get("/search?max_wait=4&age=14").get_data(as_text=True)
    ids = result_ids(html)
    assert ids
    for service_id in ids:
        service = db.session.get(Service, service_id)
        waiting = service.current_waiting_time
        assert waiting and waiting.status != "closed"
        assert waiting.status == "open" or waiting.weeks <= 4
        assert service.age_min is None or service.age_min <= 14
        assert service.age_max is None or service.age_max >= 14


def test_pagination(surrey, client):
    first = client.get("/search").get_data(as_text=True)
    assert "169 services found" in first
    assert 'href="/search?page=2"' in first
    second = client.get("/search?page=2").get_data(as_text=True)
    assert set(result_ids(first)).isdisjoint(result_ids(second))
    assert len(result_ids(second)) == 20


def test_bad_parameters_get_a_clear_400(surrey, client):
    for query in ("area=atlantis", "age=old", "page=0", "radius=9999", "sort=random",
                  "max_wait=-1", "category=nothing", "language=klingon"):
        response = client.get(f"/search?{query}")
        check_page(response, status=400)
        assert "There is a problem" in response.get_data(as_text=True)


def test_no_results_offers_a_way_on(surrey, client):
    html = client.get("/search?q=submarine+periscope&area=woking").get_data(as_text=True)
    assert "No services matched" in html
    assert "remove the filter: Woking" in html
    assert "Services that cover all of Surrey" in html


def test_a_word_naming_a_town_narrows_to_its_district(surrey, client):
    html = client.get("/search?q=youth+club+camberley").get_data(as_text=True)
    assert "Showing services in Surrey Heath." in html
    assert 'href="/search?q=youth+club"' in html


def test_searches_are_recorded_with_the_outcode_only(surrey, client):
    before = db.session.scalar(select(func.count()).select_from(SearchRecord))
    client.get("/search?q=parenting+course&postcode=GU21+6AA&free=yes")
    client.get("/search?q=parenting+course&postcode=GU21+6AA&free=yes&page=2")
    records = db.session.scalars(select(SearchRecord).order_by(SearchRecord.id)).all()
    assert len(records) == before + 1
    record = records[-1]
    assert record.terms == "parenting course"
    assert record.outcode == "GU21" and record.district == "woking"
    assert record.filters == {"free": "yes"}
    assert record.result_count > 0
    assert "6AA" not in repr(record.__dict__)


def test_a_search_that_finds_nothing_is_recorded_as_such(surrey, client):
    client.get("/search?q=submarine+periscope")
    record = db.session.scalars(select(SearchRecord).order_by(SearchRecord.id.desc())).first()
    assert (record.terms, record.result_count) == ("submarine periscope", 0)


def test_a_result_leads_to_its_page_and_back_to_the_same_search(surrey, client):
    html = client.get("/search?q=breastfeeding&area=epsom-and-ewell").get_data(as_text=True)
    link = re.search(r'href="(/services/epsom-breastfeeding-cafe\?back=[^"]+)"', html).group(1)
    service_page = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert '<a href="/search?q=breastfeeding&amp;area=epsom-and-ewell" class="govuk-back-link">' \
        in service_page


def test_the_back_link_only_ever_leads_to_a_search(surrey, client):
    html = client.get("/services/epsom-breastfeeding-cafe?back=https://evil.example/&x=1").get_data(
        as_text=True)
    assert "evil.example" not in html
