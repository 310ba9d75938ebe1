"""Places and search words as data: from services.yml (any partnership's area ids), edited
by admins in the site (audited, exported back), and what search makes of them."""

import textwrap
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import search
from app.directory import directory_sync, search_words
from app.directory.directory_file import DirectoryFileInvalid, parse_directory_file
from app.extensions import db
from app.models import AuditEvent, SearchRecord, SearchWord
from app.models.directory import utcnow
from app.search import Criteria
from tests.conftest import check_page, import_text, make_user, sign_in

# A partnership that is not Surrey: its own area ids, places and words.
NORTHDALE = textwrap.dedent("""\
    version: 1
    directory:
      name: Northdale Family Directory
      area: Northdale
      safeguarding: If a child is in immediate danger, call 999.
    areas:
      - id: nd-east
        name: East Northdale
        lad_code: E07000217
        places: [Knaphill, Send, Byfleet]
      - id: nd-west
        name: West Northdale
        lad_code: E07000214
        places: [Lightwater, Bagshot]
    categories:
      - id: play
        name: Play
    search_words:
      - id: playgroup-words
        words: [little ones club]
        means: [stay and play]
      - id: anxiety-pl
        lang: pl
        words: [lęk]
        means: [anxiety]
    organisations:
      - id: nd-council
        name: Northdale Council
    services:
      - id: east-stay-and-play
        organisation: nd-council
        name: East stay and play
        summary: Stay and play for under fives.
        description: Toys and songs.
        kind: council
        categories: [play]
        areas: [nd-east]
        access: drop-in
        delivery: [in-person]
        contact: {phone: 01632 960001}
      - id: west-stay-and-play
        organisation: nd-council
        name: West stay and play
        summary: Stay and play for under fives.
        description: Toys and songs.
        kind: council
        categories: [play]
        areas: [nd-west]
        access: drop-in
        delivery: [in-person]
        contact: {phone: 01632 960002}
      - id: worry-group
        organisation: nd-council
        name: Worry group
        summary: A group for children with anxiety.
        description: Six weeks.
        kind: council
        categories: [play]
        areas: [all]
        access: drop-in
        delivery: [in-person]
        contact: {phone: 01632 960003}
""")


@pytest.fixture
def northdale(empty_directory):
    import_text(NORTHDALE)
    search.catch_up()
    search.forget_search_words()


def _top(text: str) -> tuple[list[str], str | None]:
    outcome, degraded = search.search(Criteria(text=text))
    assert not degraded
    return [hit.service_id for hit in outcome.hits], outcome.understood_area


def test_places_come_from_the_file_whatever_the_area_ids(northdale):
    found, area = _top("stay and play knaphill")
    assert area == "nd-east" and found[0] == "east-stay-and-play"
    assert "west-stay-and-play" not in found
    found, area = _top("stay and play bagshot")
    assert area == "nd-west" and found[0] == "west-stay-and-play"
    assert "east-stay-and-play" not in found


def test_a_place_that_is_an_everyday_word_counts_only_after_in_near_or_around(northdale):
    assert _top("stay and play near send")[1] == "nd-east"
    assert _top("send stay and play")[1] is None  # SEND, the needs, not the village


def test_surrey_places_are_not_known_to_another_partnership(northdale):
    assert _top("stay and play woking")[1] is None


def test_the_partnerships_words_widen_search_in_any_language(northdale):
    assert set(_top("little ones club")[0][:2]) == {"east-stay-and-play", "west-stay-and-play"}
    assert _top("LĘK")[0] == ["worry-group"]  # case and accents ignored


def test_a_place_in_two_areas_is_refused_with_its_line():
    text = NORTHDALE.replace("places: [Lightwater, Bagshot]", "places: [Lightwater, Byfleet]")
    with pytest.raises(DirectoryFileInvalid) as refused:
        parse_directory_file(text)
    messages = [str(problem) for problem in refused.value.problems]
    assert any("areas[1].places[1]" in m and "one area only" in m and "line 14" in m
               for m in messages), messages


def test_export_writes_places_and_search_words_back_and_import_is_then_a_no_op(northdale):
    exported = directory_sync.export_directory()
    assert "- Knaphill" in exported
    assert "search_words:" in exported and "lang: pl" in exported
    report = directory_sync.import_directory(parse_directory_file(exported))
    assert report.counts["search_words"]["unchanged"] == 2
    assert report.counts["areas"]["unchanged"] == 2


def test_a_word_changed_in_the_site_is_kept_by_an_older_file(northdale):
    search_words.save("playgroup-words", ["little ones club", "tots club"], ["stay and play"],
                      new=False)
    db.session.commit()
    report = import_text(NORTHDALE)
    assert report.counts["search_words"]["kept"] == 1
    assert db.session.get(SearchWord, "playgroup-words").words == ["little ones club", "tots club"]
    report = directory_sync.import_directory(parse_directory_file(NORTHDALE),
                                             overwrite_site_changes=True)
    assert report.counts["search_words"]["updated"] == 1


def test_an_admin_adds_search_words_audited_and_search_uses_them_at_once(northdale, client):
    admin = make_user("admin@example.org", role="admin")
    sign_in(client, admin)
    assert _top("tiny tots")[0] == []
    page = client.get("/admin/search-words/new")
    check_page(page)
    response = client.post("/admin/search-words/new", data={
        "id": "tots-words", "words": "tiny tots\nwee ones", "means": "stay and play", "lang": "en"},
        follow_redirects=True)
    check_page(response)
    assert "tiny tots, wee ones" in response.get_data(as_text=True)
    assert set(_top("tiny tots")[0]) == {"east-stay-and-play", "west-stay-and-play"}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "search_word.added"))
    assert event.subject_id == "tots-words" and event.actor == "admin@example.org"
    assert "tots-words" in directory_sync.export_directory()


def test_bad_search_words_get_a_clear_message_not_a_500(northdale, client):
    sign_in(client, make_user("admin@example.org", role="admin"))
    response = client.post("/admin/search-words/new", data={
        "id": "Not A Slug", "words": "x", "means": "", "lang": "english"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "govuk-error-summary" in body and "Enter what the words mean" in body
    response = client.post("/admin/search-words/new", data={
        "id": "playgroup-words", "words": "x", "means": "y", "lang": "en"})
    assert response.status_code == 400 and "already a search word" in response.get_data(as_text=True)


def test_the_demand_page_adds_words_and_says_how_many_no_result_searches_they_answer(
        northdale, client):
    for terms, when in (("tiny tots", 3), ("tiny tots", 10), ("wee ones club", 5),
                        ("zzqx", 2), ("tiny tots", 45)):
        db.session.add(SearchRecord(terms=terms, filters={}, result_count=0,
                                    searched_at=utcnow() - timedelta(days=when)))
    db.session.commit()
    sign_in(client, make_user("admin@example.org", role="admin"))
    page = client.get("/admin/oversight/demand")
    check_page(page)
    assert "Teach search the words families used" in page.get_data(as_text=True)
    response = client.post("/admin/search-words/new?back=demand", data={
        "id": "tots-words", "words": "tiny tots, wee ones", "means": "stay and play",
        "lang": "en"}, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.request.path == "/admin/oversight/demand"
    # Four in the last 30 days found nothing; the three with the new words now find help.
    assert "Of the 4 searches in the last 30 days that found nothing, 3 would now find something" in body
