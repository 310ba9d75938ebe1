"""Input people (or scripts) can send that once broke pages with a 500: numbers
str.isdigit() accepts but int() refuses ("²") or reads as something else ("１２"),
numbers too long for int(), text that is only spaces, and a date that is not in three
parts. Each is a 400 with a message next to the field and in the error summary."""

from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from app.dates import today_in_england
from app.extensions import db
from app.models import WaitingTime
from app.models.referrals import Referral
from tests.conftest import check_page
from tests.referrals import referral_support
from tests.referrals.referral_support import CHILD, count, post, refer_url, self_referral_service
from tests.web import test_provider_inbox, test_provider_pages
from tests.web.test_provider_inbox import OUR_SERVICE, _referral

# Fixtures shared with the referral, provider and inbox tests.
referrals_db = referral_support.referrals_db
provider = test_provider_pages.provider
inbox = test_provider_inbox.inbox

# Numbers that are not plain ASCII digits, or far too long: str.isdigit() is true for all
# but the last two, and int() raises for "²" and for thousands of digits.
NOT_WHOLE_NUMBERS = ["²", "1²", "１２", "٣", "9" * 5000, "12a", " 1 2 "]
SPACES = ["   ", "\t", "\r\n  \r\n"]


def _id(value) -> str:
    """A short test id, for values thousands of characters long."""
    text = ascii(value)
    return text if len(text) <= 24 else f"{text[:8]}...({len(value)} chars)"


def _html(response) -> str:
    return unescape(response.get_data(as_text=True))


def _assert_field_error(response, field: str, message: str) -> None:
    """A 400 page saying `message` in the error summary (linked to the field) and by the field."""
    assert response.status_code == 400, (response.status_code, response.data[:500])
    html = _html(response)
    assert "<title>Error:" in html
    start = html.index("govuk-error-summary")
    summary = html[start:html.index("</ul>", start)]
    assert f'href="#{field}' in summary and message in summary, (field, message, summary)
    assert f'<span class="govuk-visually-hidden">Error:</span> {message}' in html


# -- the public referral journey: the child's age and date of birth ------------------------

@pytest.fixture
def at_child_step(referrals_db, client):
    service = self_referral_service()
    post(client, service.id, "", {})
    post(client, service.id, "who", {"referrer_type": "parent"}, expect="/child")
    return service


def _post_child(client, service, **answers):
    return client.post(refer_url(service.id, "child"), data={**CHILD, **answers})


@pytest.mark.parametrize("age", NOT_WHOLE_NUMBERS, ids=_id)
def test_an_age_that_is_not_a_plain_whole_number_is_explained(client, at_child_step, age):
    response = _post_child(client, at_child_step, age=age)
    message = ("Age must be 25 or under" if age == "9" * 5000
               else "Age must be a whole number, like 7")
    check_page(response, 400)
    _assert_field_error(response, "age", message)
    assert count(Referral) == 0


@pytest.mark.parametrize(("age", "accepted"), [("0009", True), ("0" * 5000 + "9", True),
                                               ("1000", False), ("1" + "0" * 20, False)], ids=_id)
def test_plain_numbers_of_any_length_are_read_as_numbers(client, at_child_step, age, accepted):
    response = _post_child(client, at_child_step, age=age)
    if accepted:
        assert response.status_code == 302 and response.headers["Location"].endswith("/need")
    else:
        _assert_field_error(response, "age", "Age must be 25 or under")


@pytest.mark.parametrize("age", ["²", "１２", "9" * 5000], ids=_id)
def test_a_bad_age_beside_a_date_of_birth_is_explained(client, at_child_step, age):
    response = _post_child(client, at_child_step, age=age, dob_day="3", dob_month="2",
                           dob_year="2016")
    message = ("Age must be 25 or under" if age == "9" * 5000
               else "Age must be a whole number, like 7")
    _assert_field_error(response, "age", message)


@pytest.mark.parametrize("part", ["dob_day", "dob_month", "dob_year"])
@pytest.mark.parametrize("value", ["²", "１", "٣", "9" * 5000, "+1"], ids=_id)
def test_a_date_of_birth_in_other_digits_is_not_a_real_date(client, at_child_step, part, value):
    dob = {"dob_day": "3", "dob_month": "2", "dob_year": "2016", part: value}
    response = _post_child(client, at_child_step, age="", **dob)
    _assert_field_error(response, "dob_day", "Date of birth must be a real date, like 27 3 2014")


def test_a_date_of_birth_that_makes_someone_26_is_over_the_age_limit(client, at_child_step):
    today = today_in_england()
    born_26_today = today.replace(year=today.year - 26) if (today.month, today.day) != (2, 29) \
        else date(today.year - 26, 3, 1)
    dob = {"dob_day": str(born_26_today.day), "dob_month": str(born_26_today.month),
           "dob_year": str(born_26_today.year)}
    _assert_field_error(_post_child(client, at_child_step, age="", **dob), "dob_day",
                        "Date of birth must be for someone 25 or under")
    turns_26_tomorrow = born_26_today + timedelta(days=1)
    response = _post_child(client, at_child_step, age="", dob_day=str(turns_26_tomorrow.day),
                           dob_month=str(turns_26_tomorrow.month), dob_year=str(turns_26_tomorrow.year))
    assert response.status_code == 302


def test_a_date_of_birth_in_ascii_digits_still_works(client, at_child_step):
    response = _post_child(client, at_child_step, age="", dob_day="03", dob_month="2",
                           dob_year="2016")
    assert response.status_code == 302 and response.headers["Location"].endswith("/need")


# -- the public search page ----------------------------------------------------------------

@pytest.mark.parametrize("name", ["age", "max_wait", "radius", "page"])
@pytest.mark.parametrize("value", ["²", "１２", "9" * 499], ids=_id)
def test_search_numbers_in_other_digits_get_a_clear_400(surrey, client, name, value):
    response = client.get("/search", query_string={name: value})
    check_page(response, status=400)
    assert "There is a problem" in response.get_data(as_text=True)


# -- the open-data API ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["page", "per_page"])
@pytest.mark.parametrize("value", ["²", "１２"], ids=_id)
def test_api_paging_in_other_digits_is_a_400(surrey, client, name, value):
    response = client.get("/api/v1/services", query_string={name: value})
    assert response.status_code == 400, response.data[:500]
    assert name in response.get_data(as_text=True)


# -- the provider's waiting time -----------------------------------------------------------

@pytest.mark.parametrize("weeks", NOT_WHOLE_NUMBERS, ids=_id)
def test_waiting_time_weeks_that_are_not_a_plain_whole_number_are_explained(client, provider, weeks):
    response = client.post(f"/provider/services/{OUR_SERVICE}/waiting-time",
                           data={"status": "waitlist", "weeks": weeks})
    message = ("Enter a number of weeks from 0 to 104" if weeks == "9" * 5000
               else "Enter the number of weeks as a whole number, like 6")
    _assert_field_error(response, "weeks", message)
    assert db.session.scalar(select(WaitingTime.id).where(WaitingTime.source == "provider")) is None


# -- the provider's referral steps ---------------------------------------------------------

@pytest.fixture
def opened(client, inbox) -> Referral:
    referral = _referral(OUR_SERVICE)
    client.get(f"/provider/referrals/{referral.uuid}")
    assert client.post(f"/provider/referrals/{referral.uuid}/opened").status_code == 302
    return referral


def _step(client, referral: Referral, step: str, data: dict):
    return client.post(f"/provider/referrals/{referral.uuid}/{step}", data=data)


def _still_opened(referral: Referral) -> None:
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == "opened"


@pytest.mark.parametrize("weeks", NOT_WHOLE_NUMBERS, ids=_id)
def test_waiting_list_weeks_that_are_not_a_plain_whole_number_are_explained(client, opened, weeks):
    response = _step(client, opened, "waiting-list", {"estimate_weeks": weeks})
    _assert_field_error(response, "estimate_weeks", "Enter a whole number of weeks from 1 to 104")
    _still_opened(opened)


def test_waiting_list_weeks_with_spaces_around_are_accepted(client, opened):
    response = _step(client, opened, "waiting-list", {"estimate_weeks": " 6 "})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Referral, opened.id).status == "waiting-list"


@pytest.mark.parametrize("suggestion", SPACES, ids=_id)
def test_a_suggestion_of_only_spaces_is_missing(client, opened, suggestion):
    response = _step(client, opened, "declined", {"reason": "not-eligible", "suggestion": suggestion})
    _assert_field_error(response, "suggestion", "Say where the family could go instead")
    _still_opened(opened)


@pytest.mark.parametrize("reason_text", SPACES, ids=_id)
def test_another_reason_of_only_spaces_is_missing(client, opened, reason_text):
    response = _step(client, opened, "declined",
                     {"reason": "other", "reason_text": reason_text, "suggestion": "Their GP"})
    _assert_field_error(response, "reason_text", "Say why the service can't help")
    _still_opened(opened)


@pytest.mark.parametrize(("step", "data", "refusal", "field", "message"), [
    ("declined", {"reason": "not-eligible", "suggestion": "Their GP"},
     "suggestion: say where the family could go instead", "suggestion",
     "Say where the family could go instead"),
    ("declined", {"reason": "not-eligible", "suggestion": "Their GP"},
     "suggestion is longer than 1000 characters", "suggestion", "Keep it to 1,000 characters or fewer"),
    ("waiting-list", {"estimate_weeks": "6"}, "estimate_weeks: a whole number of weeks from 1 to 104",
     "estimate_weeks", "Enter a whole number of weeks from 1 to 104"),
    ("closed", {"outcome": "other"}, "not for closed: colour", "outcome", "Not for closed: colour"),
])
def test_a_service_refusal_the_form_did_not_foresee_is_shown_on_the_form(client, opened, monkeypatch,
                                                                         step, data, refusal, field,
                                                                         message):
    from app import referrals

    def refuse(*args, **kwargs):
        raise referrals.InvalidDetails(refusal)

    monkeypatch.setattr(referrals, "change_status", refuse)
    _assert_field_error(_step(client, opened, step, data), field, message)
    _still_opened(opened)


@pytest.mark.parametrize("parts", [["2027-02-03"], ["3", "2"], ["3", "2", "2027", "1"]], ids=_id)
def test_a_start_date_not_in_three_parts_is_not_a_valid_date(client, opened, parts):
    response = _step(client, opened, "accepted", {"expected_start": parts})
    _assert_field_error(response, "expected_start",
                        "The expected start date must be a real date, like 27 3 2027")
    _still_opened(opened)


def test_a_start_date_left_out_beside_other_answers_is_missing(client, opened):
    response = _step(client, opened, "accepted", {"note": "Tuesdays after school"})
    _assert_field_error(response, "expected_start", "Enter the date the help is expected to start")
    assert "must be a real date" not in _html(response)
    _still_opened(opened)


def test_empty_start_date_boxes_say_only_that_the_date_is_missing(client, opened):
    response = _step(client, opened, "accepted", {"expected_start": ["", " ", ""]})
    _assert_field_error(response, "expected_start", "Enter the date the help is expected to start")
    assert "must be a real date" not in _html(response)
    _still_opened(opened)


# -- null characters, which PostgreSQL cannot store in text ---------------------------------
# (The search page explains them beside its own box: tests/search/test_search_relevance.py.)

@pytest.mark.parametrize("method,path,data", [
    ("post", "/sign-in", {"email": "a\x00@example.org", "password": "x"}),
    ("post", "/services/{service}/report-a-problem", {"kind": "other", "detail": "wrong\x00"}),
    ("get", "/api/v1/services", {"text": "parenting\x00"}),
    ("get", "/admin/oversight/", {"district": "\x00"}),
    ("get", "/services/nothing%00here", {}),
    ("post", "/referrals/track", {"reference": "EH-7K4M-2Q", "email": "a\x00@example.org"}),
    ("post", "/services/{service}/report-a-problem", {"kind": ["other", "other\x00"]}),
], ids=["sign-in", "report-a-problem", "api", "oversight", "path", "tracker", "a second value"])
def test_a_null_character_anywhere_is_a_400_with_a_message(referrals_db, client, method, path, data):
    service = self_referral_service()
    path = path.format(service=service.id)
    response = client.get(path, query_string=data) if method == "get" else client.post(path, data=data)
    if path.startswith("/api/"):
        assert response.status_code == 400 and "null character" in response.get_json()["detail"]
    else:
        check_page(response, status=400)
        assert "null character" in _html(response)
