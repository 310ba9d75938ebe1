"""The self-referral journey through the test client: each kind of referrer, consent
refused, every validation message, double submits, failures mid-submit, the limits."""

import contextlib
import json
import random
import re
import threading
import time
from html import unescape
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import select

from app import referrals as referral_service
from app.extensions import db
from app.models import AuditEvent, Notification, Referral, ReferralEvent, Service
from app.referrals import emails, lifecycle
from app.web.referrals import journey as journey_state
from tests.conftest import check_page
from tests.referrals import referral_support
from tests.referrals.referral_support import (
    CHILD,
    CONTACT,
    DETAILS,
    NEED,
    PROFESSIONAL,
    count,
    other_service,
    post,
    refer_url,
    self_referral_service,
    submit,
    walk_to_check,
)

# Fixtures shared by the referral tests.
referrals_db = referral_support.referrals_db

REFERENCE = re.compile(r"EH-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{2}")


@pytest.fixture
def service(referrals_db):
    return self_referral_service()


def _html(response) -> str:
    return unescape(response.get_data(as_text=True))


def _only_referral() -> Referral:
    rows = db.session.scalars(select(Referral)).all()
    assert len(rows) == 1
    return rows[0]


# -- where the journey starts ---------------------------------------------------------

def test_self_referral_services_offer_the_journey_and_others_do_not(service, client):
    page = client.get(f"/services/{service.id}").get_data(as_text=True)
    assert f'href="/services/{service.id}/refer"' in page
    assert "Refer yourself or a family" in page
    other = other_service()
    other_page = client.get(f"/services/{other.id}").get_data(as_text=True)
    assert f"/services/{other.id}/refer" not in other_page
    assert "Refer yourself or a family" not in other_page
    for url in (refer_url(other.id), refer_url(other.id, "who"), refer_url(other.id, "confirmation"),
                refer_url("no-such-service")):
        assert client.get(url).status_code == 404
    assert client.post(refer_url(other.id), data={}).status_code == 404


def test_start_page_says_it_is_not_for_emergencies(service, client):
    response = client.get(refer_url(service.id))
    check_page(response)
    html = _html(response)
    assert "This is not for emergencies, or for reporting a child at risk." in html
    assert "Children's Single Point of Access" in html
    assert response.headers["Cache-Control"] == "no-store"


def test_a_question_before_starting_goes_back_to_the_start(service, client):
    response = client.get(refer_url(service.id, "need"))
    assert response.headers["Location"].endswith(refer_url(service.id))


def test_questions_cannot_be_skipped(service, client):
    post(client, service.id, "", {}, expect="/who")
    post(client, service.id, "who", {"referrer_type": "parent"}, expect="/child")
    for step in ("need", "contact", "privacy", "check"):
        assert client.get(refer_url(service.id, step)).headers["Location"].endswith("/child")
    assert client.get(refer_url(service.id, "nonsense")).status_code == 404


# -- the whole journey, for each kind of referrer -------------------------------------

def test_a_parent_refers_their_child(service, client):
    walk_to_check(client, service.id, "parent")
    check = client.get(refer_url(service.id, "check"))
    check_page(check)
    html = _html(check)
    for text in ("Check your answers before sending the referral", "Sam", "9 years old",
                 NEED["need"], "Jo Parent", "07700 900982", "jo@example.org", "After 3pm"):
        assert text in html
    for step in ("who", "child", "need", "details", "contact", "privacy"):
        assert f'href="/services/{service.id}/refer/{step}?change=1"' in html
    assert count(Referral) == 0  # nothing is saved before the family sends it

    response, _ = submit(client, service.id)
    assert response.headers["Location"].endswith(refer_url(service.id, "confirmation"))
    confirmation = client.get(response.headers["Location"])
    check_page(confirmation)
    html = _html(confirmation)
    referral = _only_referral()
    assert REFERENCE.fullmatch(referral.reference)
    assert referral.reference in html
    assert "Waiting list of about" in html or "Taking referrals now" in html or "has not said" in html
    assert "/referrals/track/" in html
    assert referral.referrer_type == "parent"
    assert referral.status == "new" and referral.consent_given
    assert referral.privacy_notice_version == "2026-11-27" and referral.consent_at is not None
    assert referral.contact_email == "jo@example.org" and referral.referrer_email is None
    assert referral.answers["child"] == {"first_name": "Sam", "age": 9, "age_given": "9",
                                         "date_of_birth": None}
    assert referral.answers["contact"]["leave_message"] is True
    assert "consent" not in referral.answers
    assert [(e.status, e.actor) for e in referral.events] == [("new", "family")]
    assert referral.family_token_hash and referral.referrer_token_hash is None
    kinds = sorted((n.kind, n.to) for n in db.session.scalars(select(Notification)))
    assert kinds == sorted([("referral.new", service.referral_email),
                            ("referral.receipt", "jo@example.org")])
    assert [(a.action, a.actor) for a in db.session.scalars(select(AuditEvent))] == [
        ("referral.submitted", "family"), ("referral.viewed", "family")]
    # The answers leave the session once the referral is saved.
    with client.session_transaction() as session:
        assert "referral_journey" not in session


def test_no_email_carries_the_childs_details(service, client):
    walk_to_check(client, service.id, "professional")
    submit(client, service.id)
    for notification in db.session.scalars(select(Notification)):
        text = notification.subject + notification.body
        for detail in ("Sam", "anxious", "07700", "Jo Parent", "After 3pm"):
            assert detail not in text, (notification.kind, detail)
    provider = db.session.scalar(select(Notification).where(Notification.kind == "referral.new"))
    assert "You have a new referral" in provider.body and "Sign in to read it" in provider.body


def test_a_young_person_refers_themselves(service, client):
    walk_to_check(client, service.id, "young-person")
    assert "About you" in _html(client.get(refer_url(service.id, "check")))
    submit(client, service.id)
    referral = _only_referral()
    assert referral.referrer_type == "young-person"
    assert referral.answers["child"]["age"] == 15


def test_a_professional_refers_a_family_with_their_agreement(service, client):
    walk_to_check(client, service.id, "professional", may_follow="yes")
    html = _html(client.get(refer_url(service.id, "check")))
    assert "Pat Teacher" in html and "Example Primary School" in html
    response, _ = submit(client, service.id)
    confirmation = client.get(response.headers["Location"])
    check_page(confirmation)
    referral = _only_referral()
    assert referral.referrer_type == "professional"
    assert referral.referrer_email == "pat@school.example.org"
    assert referral.referrer_may_follow is True
    assert referral.answers["family_agreed"] is True
    assert referral.answers["referrer"]["kind"] == "school"
    assert referral.referrer_token_hash and referral.family_token_hash
    assert [(e.status, e.actor) for e in referral.events] == [("new", "referrer")]
    assert sorted(n.to for n in db.session.scalars(select(Notification))) == sorted(
        [service.referral_email, "jo@example.org", "pat@school.example.org"])
    # The professional at the browser gets the professional's tracker link.
    link = re.search(r"/referrals/track/([\w-]+)", _html(confirmation)).group(1)
    assert referral_service.find_by_token(link)[1] == "referrer"


def test_nothing_a_professional_holds_opens_the_familys_view(service, client):
    """The session cookie is signed, not encrypted: whoever fills in the form can read it.
    The family's own tracker link goes only to the family's email."""
    walk_to_check(client, service.id, "professional", may_follow="no")
    held: list[str] = []
    for cookie_moment in ("before", "after"):
        if cookie_moment == "after":
            submit(client, service.id)
        with client.session_transaction() as session:
            held += re.findall(r"[\w-]{20,}", json.dumps(dict(session)))
    assert _only_referral().referrer_may_follow is False
    family_email = db.session.scalars(select(Notification).where(
        Notification.to == "jo@example.org")).one()
    family_token = re.search(r"/referrals/track/([\w-]+)", family_email.body).group(1)
    assert referral_service.find_by_token(family_token)[1] == "family"
    assert family_token not in held
    assert all((referral_service.find_by_token(value) or (None, "referrer"))[1] == "referrer"
               for value in held)


def test_a_family_that_has_not_agreed_stops_the_referral(service, client):
    post(client, service.id, "", {})
    post(client, service.id, "who", {"referrer_type": "professional"})
    response = post(client, service.id, "family-agreed", {"agreed": "no"}, expect="/not-agreed")
    page = client.get(response.headers["Location"])
    check_page(page)
    assert "You need the family's agreement first" in _html(page)
    assert "What you can do instead" in _html(page)
    for step in ("professional", "child", "check"):
        assert client.get(refer_url(service.id, step)).headers["Location"].endswith("/family-agreed")
    assert count(Referral) == 0


def test_refusing_the_privacy_notice_sends_nothing(service, client):
    walk_to_check(client, service.id, "parent")
    with client.session_transaction() as session:
        journey = session["referral_journey"]
        journey["answers"].pop("consent")
        session["referral_journey"] = journey
    notice = client.get(refer_url(service.id, "privacy"))
    check_page(notice)
    html = _html(notice)
    organisation = service.organisation.name
    for text in (f"{organisation}, which runs {service.name}, receives the details",
                 "Nobody else, unless the family agrees",
                 "365 days after the service declines or closes the referral",
                 "If it stays open with nothing new for 1095 days, they are deleted then",
                 "Information Commissioner's Office", "Privacy notice version 2026-11"):
        assert text in html
    refused = client.post(refer_url(service.id, "privacy"), data={})
    assert refused.status_code == 400
    assert "Select that you agree to share these details" in _html(refused)
    assert client.get(refer_url(service.id, "check")).headers["Location"].endswith("/privacy")
    assert client.post(refer_url(service.id, "check"), data={}).status_code == 302
    assert count(Referral) == 0


def test_back_and_change_links_return_to_check_your_answers(service, client):
    walk_to_check(client, service.id, "parent")
    page = client.get(refer_url(service.id, "need") + "?change=1")
    assert f'href="/services/{service.id}/refer/check"' in page.get_data(as_text=True)
    post(client, service.id, "need?change=1", {"need": "Something else"}, expect="/check")
    assert "Something else" in _html(client.get(refer_url(service.id, "check")))
    # Without ?change=1 the back link is the previous question.
    assert f'href="/services/{service.id}/refer/child"' in client.get(
        refer_url(service.id, "need")).get_data(as_text=True)
    # Changing who is asking to a professional asks the new questions, then comes back.
    response = post(client, service.id, "who?change=1", {"referrer_type": "professional"})
    assert response.headers["Location"].endswith("/family-agreed")


def test_answers_are_kept_when_going_back(service, client):
    walk_to_check(client, service.id, "parent", child={**CHILD, "age": "", "dob_day": "3",
                                                       "dob_month": "4", "dob_year": "2016"})
    html = client.get(refer_url(service.id, "child")).get_data(as_text=True)
    assert 'value="Sam"' in html and 'value="3"' in html and 'value="2016"' in html
    assert 'value="07700 900982"' in client.get(refer_url(service.id, "contact")).get_data(as_text=True)


# -- every validation message -----------------------------------------------------------

LONG = "x" * 101
VALIDATION = {
    ("parent", "who"): [
        ({}, "referrer_type", "Select who is making this referral"),
        ({"referrer_type": "robot"}, "referrer_type", "Select who is making this referral"),
    ],
    ("professional", "family-agreed"): [
        ({}, "agreed", "Select yes if the family has agreed to this referral"),
    ],
    ("professional", "professional"): [
        ({}, "kind", "Select where you work"),
        ({}, "name", "Enter your full name"),
        ({}, "role", "Enter your job title"),
        ({}, "organisation", "Enter the name of your organisation"),
        ({}, "email", "Enter your work email address"),
        ({**PROFESSIONAL, "name": "   "}, "name", "Enter your full name"),
        ({**PROFESSIONAL, "email": "pat@school"}, "email",
         "Enter an email address in the correct format, like name@example.org"),
        ({**PROFESSIONAL, "name": LONG}, "name", "Full name must be 100 characters or fewer"),
        ({**PROFESSIONAL, "role": LONG}, "role", "Job title must be 100 characters or fewer"),
        ({**PROFESSIONAL, "organisation": "x" * 201}, "organisation",
         "Organisation must be 200 characters or fewer"),
    ],
    ("professional", "updates"): [
        ({}, "may_follow", "Select yes if the family has agreed that you can be told how the referral goes"),
    ],
    ("parent", "child"): [
        ({}, "first_name", "Enter their first name"),
        ({}, "age", "Enter their age or date of birth"),
        ({**CHILD, "first_name": "x" * 51}, "first_name", "First name must be 50 characters or fewer"),
        ({**CHILD, "age": "nine"}, "age", "Age must be a whole number, like 7"),
        ({**CHILD, "age": "-3"}, "age", "Age must be a whole number, like 7"),
        ({**CHILD, "age": "30"}, "age", "Age must be 25 or under"),
        ({**CHILD, "age": "", "dob_day": "3", "dob_year": "2016"}, "dob_day",
         "Date of birth must include a day, month and year"),
        ({**CHILD, "age": "", "dob_day": "31", "dob_month": "2", "dob_year": "2016"}, "dob_day",
         "Date of birth must be a real date, like 27 3 2014"),
        ({**CHILD, "age": "", "dob_day": "1", "dob_month": "1", "dob_year": "16"}, "dob_day",
         "Date of birth must be a real date, like 27 3 2014"),
        ({**CHILD, "age": "", "dob_day": "1", "dob_month": "1", "dob_year": "2099"}, "dob_day",
         "Date of birth must be in the past"),
        ({**CHILD, "age": "", "dob_day": "1", "dob_month": "1", "dob_year": "1980"}, "dob_day",
         "Date of birth must be for someone 25 or under"),
        ({**CHILD, "age": "9", "dob_day": "1", "dob_month": "1", "dob_year": "2024"}, "dob_day",
         "The date of birth does not match the age"),
    ],
    ("young-person", "child"): [
        ({}, "first_name", "Enter your first name"),
        ({}, "age", "Enter your age or date of birth"),
        ({**CHILD, "age": "12"}, "age",
         "You need to be 13 or over to refer yourself. Ask a parent, carer or someone at your "
         "school to refer you"),
    ],
    ("parent", "need"): [
        ({}, "need", "Enter what help is needed"),
        ({"need": " \r\n "}, "need", "Enter what help is needed"),
        ({"need": "x" * 1001}, "need", "What help is needed must be 1,000 characters or fewer"),
    ],
    ("parent", "details"): [
        ({**DETAILS, "language": LONG}, "language", "Language must be 100 characters or fewer"),
        ({**DETAILS, "adjustments": "x" * 501}, "adjustments",
         "Help needed to take part must be 500 characters or fewer"),
        ({**DETAILS, "other_support": "x" * 501}, "other_support",
         "Other help must be 500 characters or fewer"),
    ],
    ("parent", "contact"): [
        ({}, "name", "Enter your name"),
        ({}, "phone", "Enter a phone number or an email address, or both"),
        ({**CONTACT, "name": LONG}, "name", "Name must be 100 characters or fewer"),
        ({**CONTACT, "phone": "12345"}, "phone", "Enter a phone number, like 01632 960 001 or 07700 900 982"),
        ({**CONTACT, "email": "jo@"}, "email",
         "Enter an email address in the correct format, like name@example.org"),
        ({**CONTACT, "leave_message": ""}, "leave_message",
         "Select yes if it is safe to leave a voicemail or text message"),
        ({**CONTACT, "safe_times": "x" * 201}, "safe_times",
         "Safe times to call must be 200 characters or fewer"),
    ],
    ("professional", "contact"): [
        ({}, "name", "Enter the name of the parent or carer to contact"),
    ],
    ("parent", "privacy"): [
        ({}, "agree", "Select that you agree to share these details, or contact the service another way"),
    ],
}
BEFORE = {
    "who": {}, "family-agreed": {"who": {"referrer_type": "professional"}},
    "professional": {"family-agreed": {"agreed": "yes"}}, "updates": {"professional": PROFESSIONAL},
    "child": {"updates": {"may_follow": "no"}}, "need": {"child": CHILD}, "details": {"need": NEED},
    "contact": {"details": DETAILS}, "privacy": {"contact": CONTACT},
}


def _walk_until(client, service_id: str, who: str, until: str) -> None:
    post(client, service_id, "", {})
    post(client, service_id, "who", {"referrer_type": who})
    order = ["family-agreed", "professional", "updates"] if who == "professional" else []
    order += ["child", "need", "details", "contact", "privacy"]
    answers = {"family-agreed": {"agreed": "yes"}, "professional": PROFESSIONAL,
               "updates": {"may_follow": "no"},
               "child": {**CHILD, "age": "15"} if who == "young-person" else CHILD,
               "need": NEED, "details": DETAILS, "contact": CONTACT}
    for step in order:
        if step == until:
            return
        post(client, service_id, step, answers[step])


@pytest.mark.parametrize("who, step", list(VALIDATION), ids=lambda v: str(v))
def test_every_validation_message(service, client, who, step):
    if step != "who":
        _walk_until(client, service.id, who, step)
    else:
        post(client, service.id, "", {})
    for data, field, message in VALIDATION[(who, step)]:
        response = client.post(refer_url(service.id, step), data=data)
        assert response.status_code == 400, (data, response.status_code)
        parser = check_page(response, 400)
        html = _html(response)
        assert parser.title.startswith("Error: "), parser.title
        start = html.index("govuk-error-summary")
        summary = html[start:html.index("</ul>", start)]
        assert f'<a href="#{field}">{message}</a>' in summary, (field, message, summary)
        assert f'id="{field}"' in html  # the link has somewhere to go
        assert f'<span class="govuk-visually-hidden">Error:</span> {message}' in html
    assert count(Referral) == 0


def test_a_need_of_exactly_1000_characters_counts_new_lines_once(service, client):
    _walk_until(client, service.id, "parent", "need")
    text = ("a" * 99 + "\r\n") * 10  # 1,000 characters as the page counts them
    post(client, service.id, "need", {"need": text.rstrip("\r\n") + "b"}, expect="/details")


def test_phone_numbers_people_actually_type_are_accepted(service, client):
    _walk_until(client, service.id, "parent", "contact")
    for phone in ("01632 960001", "07700-900-982", "+44 (0)7700 900982", "+33 1 23 45 67 89"):
        post(client, service.id, "contact", {**CONTACT, "phone": phone}, expect="/privacy")
    post(client, service.id, "contact", {**CONTACT, "phone": "", "leave_message": ""}, expect="/privacy")


# -- nothing lost, nothing doubled --------------------------------------------------------

def test_a_double_click_refresh_or_resend_makes_one_referral(service, client):
    walk_to_check(client, service.id, "parent")
    first, key = submit(client, service.id)
    reference = _only_referral().reference
    # The journey is over: the same form sent again shows the same referral.
    again = client.post(refer_url(service.id, "check"), data={"submission_key": key})
    assert again.headers["Location"] == first.headers["Location"]
    assert reference in _html(client.get(again.headers["Location"]))
    assert count(Referral) == 1
    # Back at the start, the family is told it has gone already.
    start = _html(client.get(refer_url(service.id)))
    assert f"You have already sent a referral to this service, reference {reference}" in start
    # A request carrying the journey twice (the second click sent before the first returned).
    with client.session_transaction() as session:
        journey = dict(session["referral_done"])
    assert referral_service.submit(
        service, {}, submission_key=journey["key"], family_token="x").created is False
    assert count(Referral) == 1 and count(Notification) == 2


def test_two_submits_at_once_make_one_referral(app: Flask, service, client, monkeypatch):
    walk_to_check(client, service.id, "parent")
    check = client.get(refer_url(service.id, "check")).get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="(\w+)"', check).group(1)
    second = app.test_client()
    with client.session_transaction() as session:
        journey_session = dict(session)
    with second.session_transaction() as session:
        session.update(journey_session)

    # Both requests get past "has this key been used?" before either saves.
    barrier = threading.Barrier(2, timeout=10)
    looked_up = referral_service.find_by_submission_key
    calls = {"n": 0}

    def slow_lookup(key_):
        found = looked_up(key_)
        calls["n"] += 1
        if calls["n"] <= 4:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
        return found

    monkeypatch.setattr(lifecycle, "find_by_submission_key", slow_lookup)
    created = []
    real_create = lifecycle._create
    monkeypatch.setattr(lifecycle, "_create",
                        lambda *args: created.append(1) or real_create(*args))
    results = {}

    def send(name, test_client):
        with app.app_context():
            results[name] = test_client.post(refer_url(service.id, "check"),
                                             data={"submission_key": key})
            db.session.remove()

    threads = [threading.Thread(target=send, args=(name, c))
               for name, c in (("a", client), ("b", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert {r.status_code for r in results.values()} == {302}, {
        k: r.data[:300] for k, r in results.items()}
    assert all(r.headers["Location"].endswith("/confirmation") for r in results.values())
    db.session.rollback()
    assert len(created) == 2  # both really tried to save it: the database kept one
    assert count(Referral) == 1
    assert count(ReferralEvent) == 1
    assert count(Notification) == 2
    for test_client in (client, second):
        page = test_client.get(refer_url(service.id, "confirmation"))
        assert _only_referral().reference in _html(page)


def test_a_database_error_mid_submit_keeps_the_childs_details_out_of_the_log(service, client,
                                                                             monkeypatch, caplog):
    from sqlalchemy import text

    walk_to_check(client, service.id, "parent")

    def failing_write(*args, **kwargs):  # a real database error, carrying the answers
        db.session.execute(text("INSERT INTO no_such_table (need) VALUES (:need)"), {"need": NEED["need"]})

    monkeypatch.setattr(lifecycle, "record_event", failing_write)
    client.application.logger.disabled = False  # alembic's fileConfig disables loggers
    client.application.logger.addHandler(caplog.handler)  # other tests may stop it propagating
    response, _ = submit(client, service.id)
    assert response.status_code == 500
    assert "A referral could not be saved" in caplog.text  # the failure itself is logged
    assert "no_such_table" in caplog.text
    assert NEED["need"] not in caplog.text and "anxious" not in caplog.text


@pytest.mark.parametrize("fail_in", ["queue_email", "record_event"])
def test_a_failure_mid_submit_leaves_nothing_and_no_confirmation(service, client, monkeypatch, fail_in):
    walk_to_check(client, service.id, "parent")
    # The receipts are queued by the referral's emails module, the audit entry by its lifecycle.
    module = emails if fail_in == "queue_email" else lifecycle
    real = getattr(module, fail_in)
    calls = {"n": 0}

    def fail_second_time(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2 or fail_in == "record_event":
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, fail_in, fail_second_time)
    response, key = submit(client, service.id)
    assert response.status_code == 500
    html = _html(response)
    assert "Sorry, your referral has not been sent" in html and "EH-" not in html
    db.session.rollback()
    for model in (Referral, ReferralEvent, Notification, AuditEvent):
        assert count(model) == 0, model
    assert client.get(refer_url(service.id, "confirmation")).status_code == 302
    # The answers are still there: once the problem is gone, sending works.
    monkeypatch.undo()
    retried = client.post(refer_url(service.id, "check"), data={"submission_key": key})
    assert retried.headers["Location"].endswith("/confirmation")
    assert count(Referral) == 1


def test_the_form_is_rate_limited_per_address(app, service, client):
    app.config["REFERRAL_RATE_LIMIT"] = 1
    try:
        walk_to_check(client, service.id, "parent")
        submit(client, service.id)
        walk_to_check(client, service.id, "parent")
        response, _ = submit(client, service.id)
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) > 0
        check_page(response, 429)
        assert "Too many referrals have been sent from this connection" in _html(response)
        assert count(Referral) == 1
        # From another address it goes through.
        other = client.post(refer_url(service.id, "check"), data={},
                            environ_overrides={"REMOTE_ADDR": "192.0.2.7"})
        assert other.headers["Location"].endswith("/confirmation")
        assert count(Referral) == 2
    finally:
        app.config["REFERRAL_RATE_LIMIT"] = 10


def test_the_honeypot_turns_bots_away(service, client):
    post(client, service.id, "", {})
    response = client.post(refer_url(service.id, "who"),
                           data={"referrer_type": "parent", "website": "http://spam.example"})
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert "referrer_type" not in session["referral_journey"]["answers"]


def test_a_body_that_is_too_large_gets_a_clear_page(service, client):
    post(client, service.id, "", {})
    response = client.post(refer_url(service.id, "who"), data={"referrer_type": "parent",
                                                               "padding": "x" * 70_000})
    check_page(response, 413)
    assert "What you sent was too large" in _html(response)
    assert "nothing was saved or sent" in _html(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_referral_pages_are_never_cached(service, client):
    walk_to_check(client, service.id, "parent")
    urls = [refer_url(service.id), refer_url(service.id, "who"), refer_url(service.id, "check"),
            refer_url(service.id, "not-agreed"), "/referrals/track", "/referrals/track/nothing"]
    response, _ = submit(client, service.id)
    urls.append(response.headers["Location"])
    for url in urls:
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-store", url
        assert response.headers["Referrer-Policy"] == "no-referrer", url


def test_long_answers_fit_in_the_session_cookie_or_are_refused_clearly(service, client):
    rng = random.Random(7)
    words = ("дитина школа тривога допомога мама тато сон друзі вчитель плаче боїться не хоче "
             "йти вдома погано спить кричить сестра брат переїхали мова важко розуміє уроки "
             "самотній сумний злий втомлений лікар сказав чекати потрібна підтримка").split()

    def ukrainian(length: int) -> str:
        text = ""
        while len(text) < length:
            text += rng.choice(words) + " "
        return text[:length - 1] + "."

    walk_to_check(client, service.id, "professional")
    post(client, service.id, "need?change=1", {"need": ukrainian(1000)}, expect="/check")
    response = post(client, service.id, "details?change=1", {
        "language": ukrainian(100), "adjustments": ukrainian(500), "other_support": ukrainian(500)},
        expect="/check")
    assert len(response.headers["Set-Cookie"].split(";")[0]) < 3000
    # 1,000 characters that hardly compress would not fit in a cookie: said, not lost.
    need = "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(1000))
    refused = client.post(refer_url(service.id, "need"), data={"need": need})
    assert refused.status_code == 400
    assert "Your answers are too long for us to keep" in _html(refused)
    assert '<a href="#need">' in _html(refused)
    assert "Set-Cookie" not in refused.headers or len(refused.headers["Set-Cookie"]) < 4093
    submit(client, service.id)
    assert count(Referral) == 1


def test_answers_left_for_an_hour_are_cleared_for_the_next_person(service, client, monkeypatch):
    """On a shared phone or computer, the next person must not find the answers, nor the
    sent referral's confirmation with its tracker link."""
    walk_to_check(client, service.id, "parent")
    an_hour_later = SimpleNamespace(time=lambda: time.time() + 61 * 60)
    monkeypatch.setattr(journey_state, "time", an_hour_later)
    check = client.get(refer_url(service.id, "check"))
    assert check.headers["Location"].endswith(refer_url(service.id, ""))
    start = _html(client.get(check.headers["Location"]))
    assert "Your answers were cleared because nothing happened for 60 minutes" in start
    assert "Sam" not in start
    with client.session_transaction() as session:
        assert "referral_journey" not in session
    assert "were cleared" not in _html(client.get(refer_url(service.id, "")))  # said once
    monkeypatch.undo()
    # A start page left open for an hour, then "Start now": nothing to lose, nothing said.
    post(client, service.id, "", {})
    with client.session_transaction() as session:
        journey = session["referral_journey"]
        assert journey["answers"] == {}
        journey["seen"] -= 61 * 60
        session["referral_journey"] = journey
    post(client, service.id, "", {})
    assert "were cleared" not in _html(client.get(refer_url(service.id, "")))

    walk_to_check(client, service.id, "parent")
    response, _ = submit(client, service.id)
    assert response.headers["Location"].endswith("/confirmation")
    assert "You have already sent a referral" in _html(client.get(refer_url(service.id, "")))
    monkeypatch.setattr(journey_state, "time", an_hour_later)
    assert "You have already sent a referral" not in _html(client.get(refer_url(service.id, "")))
    assert client.get(refer_url(service.id, "confirmation")).status_code == 302
    assert count(Referral) == 1


def test_starting_a_second_referral_warns_that_it_replaces_an_unfinished_one(service, client):
    second = db.session.scalars(select(Service).where(
        Service.access == "self-referral", Service.id != service.id).order_by(Service.id)).first()
    post(client, service.id, "", {})
    post(client, service.id, "who", {"referrer_type": "parent"}, expect="/child")
    page = _html(client.get(refer_url(second.id, "")))
    assert f"You have not finished a referral to {service.name}" in page
    assert f'href="{refer_url(service.id, "check")}"' in page
    # Nothing to lose before the first answer, and no warning on the same service.
    assert "You have not finished" not in _html(client.get(refer_url(service.id, "")))
