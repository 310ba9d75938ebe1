"""The provider's inbox: only their own referrals, every view audited, each step tells
the family (and the referrer, when the family agreed)."""

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app import referrals
from app.extensions import db
from app.models import AuditEvent, Notification, Service
from app.models.referrals import Referral, ReferralEvent
from tests.accounts.test_accounts import clear_people
from tests.conftest import check_page, make_user, sign_in

OURS = "surrey-childrens-health"
THEIRS = "surrey-family-services"
OUR_SERVICE = "childrens-wellbeing-line"
THEIR_SERVICE = "reducing-parental-conflict-programme"


def _referral(service_id: str, *, professional: bool = False, may_follow: bool = True,
              days_ago: int = 0, email: str = "sam@family.example.org") -> Referral:
    answers = {
        "referrer_type": "professional" if professional else "parent",
        "language": "en",
        "child": {"first_name": "Amelia", "age": 9, "date_of_birth": None},
        "need": "Struggling with worries at bedtime.",
        "details": {"language": "", "adjustments": "", "other_support": ""},
        "contact": {"name": "Sam", "phone": "07700 900982", "email": email,
                    "safe_times": "After 6pm", "leave_message": False},
        "consent": {"agreed": True, "version": "2026-11",
                    "at": datetime.now(UTC).replace(tzinfo=None).isoformat()},
    }
    if professional:
        answers |= {"family_agreed": True, "referrer_may_follow": may_follow,
                    "referrer": {"kind": "school", "name": "Ms Jones", "role": "SENCo",
                                 "organisation": "Oak Primary", "email": "senco@school.example.org"}}
    now = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days_ago)
    submitted = referrals.submit(db.session.get(Service, service_id), answers,
                                 submission_key=secrets.token_hex(16), family_token=secrets.token_hex(16),
                                 referrer_token=secrets.token_hex(16) if professional else None, now=now)
    return submitted.referral


@pytest.fixture
def inbox(client, surrey):
    clear_people()
    for table in ("notification", "referral_event", "referral"):
        db.session.execute(db.metadata.tables[table].delete())
    db.session.commit()
    user = make_user("inbox@health.example.org", organisations=(OURS,))
    sign_in(client, user)
    return user


def test_the_inbox_lists_only_our_organisations_referrals(client, inbox):
    ours = _referral(OUR_SERVICE)
    theirs = _referral(THEIR_SERVICE)
    page = check_page(client.get("/provider/referrals"))
    html = client.get("/provider/referrals").get_data(as_text=True)
    assert page.title and ours.reference in html and theirs.reference not in html
    assert "Amelia" not in html  # the list shows no child's details


def test_oldest_waiting_first_puts_the_longest_wait_on_top(client, inbox):
    old = _referral(OUR_SERVICE, days_ago=9)
    new = _referral(OUR_SERVICE)
    newest = client.get("/provider/referrals").get_data(as_text=True)
    assert newest.index(new.reference) < newest.index(old.reference)
    oldest = client.get("/provider/referrals?order=oldest-waiting").get_data(as_text=True)
    assert oldest.index(old.reference) < oldest.index(new.reference)
    assert "Not opened in 5 working days" in oldest
    assert client.get("/provider/referrals?order=sideways").status_code == 400


def test_opening_a_referral_shows_it_dates_the_reading_and_audits_the_view(client, inbox):
    referral = _referral(OUR_SERVICE)
    emails = db.session.scalar(select(func.count(Notification.id)))
    page = client.get(f"/provider/referrals/{referral.uuid}")
    html = page.get_data(as_text=True)
    check_page(page)
    assert page.headers["Cache-Control"] == "no-store"
    assert "Amelia" in html and "Struggling with worries at bedtime." in html
    assert "No, do not leave a message" in html
    db.session.expire_all()
    read = db.session.get(Referral, referral.id)
    assert read.status == "new" and read.opened_at is not None, "the family sees no change yet"
    assert db.session.scalar(select(func.count(Notification.id))) == emails, "and gets no email"
    views = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "referral.viewed",
                                                        AuditEvent.subject_id == str(referral.id))).all()
    assert [view.actor for view in views] == ["inbox@health.example.org"]


def test_two_people_opening_a_new_referral_at_once_both_read_it(client, inbox):
    referral = _referral(OUR_SERVICE)
    assert referral.opened_at is None  # as this request loaded it
    # A colleague's request opens it in the meantime (straight to the row, as another worker would).
    first = datetime(2026, 1, 5, 9, 30)
    with db.engine.begin() as other_request:
        other_request.execute(update(Referral).where(Referral.id == referral.id).values(opened_at=first))
    referrals.open_for_provider(referral, user=inbox)  # this request still saw it unread
    assert referral.opened_at == first, "the first reading's time stands"
    views = db.session.scalars(select(AuditEvent.actor).where(
        AuditEvent.action == "referral.viewed", AuditEvent.subject_id == str(referral.id))).all()
    assert views == [inbox.email], "the view is recorded all the same"


def test_another_providers_referral_is_not_found_and_not_touched(client, inbox):
    theirs = _referral(THEIR_SERVICE)
    for path in (f"/provider/referrals/{theirs.uuid}", f"/provider/referrals/{theirs.uuid}/contacted",
                 f"/provider/referrals/{theirs.id + 1000}"):
        assert client.get(path).status_code == 404
    assert client.post(f"/provider/referrals/{theirs.uuid}/closed",
                       data={"outcome": "other"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Referral, theirs.id).status == "new"
    assert not db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "referral.viewed")).all()


def _emails_to(address: str) -> list[str]:
    return list(db.session.scalars(select(Notification.subject).where(Notification.to == address)
                                   .order_by(Notification.id)))


def test_a_school_referral_goes_through_to_a_decision_and_both_are_told(client, inbox):
    referral = _referral(OUR_SERVICE, professional=True, may_follow=True)
    before_family = len(_emails_to("sam@family.example.org"))
    before_school = len(_emails_to("senco@school.example.org"))
    client.get(f"/provider/referrals/{referral.uuid}")
    assert client.post(f"/provider/referrals/{referral.uuid}/contacted", data={"note": "Called mum"}
                       ).status_code == 302
    response = client.post(f"/provider/referrals/{referral.uuid}/accepted", data={
        "expected_start": ["3", "2", "2027"], "note": "Tuesdays after school"})
    assert response.status_code == 302
    db.session.expire_all()
    done = db.session.get(Referral, referral.id)
    assert done.status == "accepted" and done.decided_at is not None
    steps = [event.status for event in db.session.scalars(
        select(ReferralEvent).where(ReferralEvent.referral_id == referral.id).order_by(ReferralEvent.id))]
    assert steps == ["new", "contacted", "accepted"]
    assert len(_emails_to("sam@family.example.org")) > before_family
    assert len(_emails_to("senco@school.example.org")) > before_school
    history = client.get(f"/provider/referrals/{referral.uuid}").get_data(as_text=True)
    assert "3 February 2027" in history and "inbox@health.example.org" in history


def test_a_referrer_the_family_did_not_allow_hears_nothing_more(client, inbox):
    referral = _referral(OUR_SERVICE, professional=True, may_follow=False)
    before = len(_emails_to("senco@school.example.org"))
    client.get(f"/provider/referrals/{referral.uuid}")
    client.post(f"/provider/referrals/{referral.uuid}/closed", data={"outcome": "family-withdrew"})
    assert len(_emails_to("senco@school.example.org")) == before


def test_a_family_without_email_is_not_said_to_have_been_told(client, inbox):
    referral = _referral(OUR_SERVICE, email="")
    client.get(f"/provider/referrals/{referral.uuid}")
    page = client.get(f"/provider/referrals/{referral.uuid}/waiting-list").get_data(as_text=True)
    assert "The family gave no email address, so phone them to tell them" in page
    response = client.post(f"/provider/referrals/{referral.uuid}/waiting-list", data={"estimate_weeks": "6"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "The family gave no email address: phone them to tell them." in html
    assert "has been told" not in html
    with_email = _referral(OUR_SERVICE)
    client.get(f"/provider/referrals/{with_email.uuid}")
    assert "will be told by email" in client.get(
        f"/provider/referrals/{with_email.uuid}/waiting-list").get_data(as_text=True)
    told = client.post(f"/provider/referrals/{with_email.uuid}/waiting-list", data={"estimate_weeks": "6"},
                       follow_redirects=True)
    assert "The family has been told by email." in told.get_data(as_text=True)


@pytest.mark.parametrize(("step", "data", "message"), [
    ("accepted", {}, "Enter the date the help is expected to start"),
    ("accepted", {"expected_start": ["31", "2", "2027"]},
     "The expected start date must be a real date, like 27 3 2027"),
    ("accepted", {"expected_start": ["3", "2", "2020"]}, "The expected start date must be today or later"),
    ("accepted", {"expected_start": ["3", "2", "2099"]}, "The expected start date must be within 2 years"),
    ("waiting-list", {}, "Enter about how many weeks the family will wait, like 6"),
    ("waiting-list", {"estimate_weeks": "200"}, "Enter a whole number of weeks from 1 to 104"),
    ("declined", {}, "Select why the service can't help"),
    ("declined", {"reason": "other", "suggestion": "Their GP"}, "Say why the service can't help"),
    ("declined", {"reason": "not-eligible"}, "Say where the family could go instead"),
    ("closed", {}, "Select how the referral ended"),
])
def test_each_step_explains_what_is_missing(client, inbox, step, data, message):
    referral = _referral(OUR_SERVICE)
    client.get(f"/provider/referrals/{referral.uuid}")
    response = client.post(f"/provider/referrals/{referral.uuid}/{step}", data=data)
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 400, html[:300]
    assert message in html and "<title>Error:" in html
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == "new"


def test_a_step_that_is_not_allowed_from_here_is_not_offered(client, inbox):
    referral = _referral(OUR_SERVICE)
    client.get(f"/provider/referrals/{referral.uuid}")
    client.post(f"/provider/referrals/{referral.uuid}/declined",
                data={"reason": "outside-area", "suggestion": "Hampshire family services"})
    assert client.get(f"/provider/referrals/{referral.uuid}/accepted").status_code == 404
    assert client.get(f"/provider/referrals/{referral.uuid}/sideways").status_code == 404


def test_the_inbox_gives_a_referrals_age_in_days(client, inbox):
    _referral(OUR_SERVICE, days_ago=6)
    _referral(OUR_SERVICE, days_ago=13)
    html = client.get("/provider/referrals").get_data(as_text=True)
    assert "6 days ago" in html and "13 days ago" in html and "week" not in html
