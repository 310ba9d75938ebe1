"""Report a problem with this page: from the public to the provider and the partnership;
the provider resolves it; nobody else's reports can be seen."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Feedback, FeedbackStatus, Notification
from tests.accounts.test_accounts import clear_people
from tests.conftest import check_page, make_user, sign_in

OURS = "runnymede-family-link"
OUR_SERVICE = "egham-hythe-family-centre"
THEIRS = "surrey-childrens-health"


@pytest.fixture
def reporting(app, surrey_to_change):
    clear_people()
    app.config["PARTNERSHIP_EMAIL"] = "partnership@example.org"
    yield app
    app.config["PARTNERSHIP_EMAIL"] = ""


def _report(client, kind="phone", detail="The number rings a fax machine. <script>x</script>"):
    return client.post(f"/services/{OUR_SERVICE}/report-a-problem", data={"kind": kind, "detail": detail})


def test_every_service_page_links_to_the_report_form(client, surrey):
    page = client.get(f"/services/{OUR_SERVICE}").get_data(as_text=True)
    assert f'href="/services/{OUR_SERVICE}/report-a-problem">Report a problem with this page</a>' in page
    form = client.get(f"/services/{OUR_SERVICE}/report-a-problem")
    check_page(form)
    html = form.get_data(as_text=True)
    for label in ("The service has closed or stopped", "The phone number is wrong", "The wait is different",
                  "Something else"):
        assert label in html
    assert form.headers["Cache-Control"] == "no-store"
    assert client.get("/services/no-such-service/report-a-problem").status_code == 404


@pytest.mark.parametrize(("data", "message", "anchor"), [
    ({}, "Select what is wrong with the page", "#kind"),
    ({"kind": "other"}, "Tell us what is wrong with the page", "#detail"),
    ({"kind": "phone", "detail": "x" * 1201}, "Keep it to 1200 characters or fewer", "#detail"),
    ({"kind": "rude"}, "Not a valid choice", "#kind"),
])
def test_the_form_explains_mistakes(client, surrey, data, message, anchor):
    response = client.post(f"/services/{OUR_SERVICE}/report-a-problem", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "<title>Error:" in html
    assert message in html and f'href="{anchor}"' in html
    assert db.session.scalar(select(Feedback)) is None


def test_a_report_reaches_the_provider_and_the_partnership_and_is_resolved(reporting, app, client):
    worker = make_user("worker@rfl.example.org", organisations=(OURS,))
    response = _report(client)
    assert response.status_code == 302
    sent = client.get(response.headers["Location"])
    check_page(sent)
    assert "Thank you for telling us" in sent.get_data(as_text=True)

    item = db.session.scalars(select(Feedback)).one()
    assert (item.service_id, item.kind, item.status) == (OUR_SERVICE, "phone", FeedbackStatus.OPEN)
    emails = {n.to: n for n in db.session.scalars(
        select(Notification).where(Notification.kind.like("feedback.%")))}
    assert set(emails) == {"egham.familycentre@example.org", "worker@rfl.example.org",
                           "partnership@example.org"}
    assert "the phone number is wrong" in emails["worker@rfl.example.org"].body
    assert f"/provider/feedback/{item.uuid}" in emails["worker@rfl.example.org"].body
    assert f"/admin/feedback/{item.uuid}" in emails["partnership@example.org"].body
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "feedback.received"))
    assert event.actor == "public"

    provider = app.test_client()
    sign_in(provider, worker)
    listing = provider.get("/provider/feedback")
    check_page(listing)
    assert "Egham Hythe Family Centre: The phone number is wrong" in listing.get_data(as_text=True)
    detail = provider.get(f"/provider/feedback/{item.uuid}")
    check_page(detail)
    html = detail.get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert detail.headers["Cache-Control"] == "no-store"

    assert provider.post(f"/provider/feedback/{item.uuid}/resolve",
                         data={"note": "Number corrected"}).status_code == 302
    db.session.expire_all()
    item = db.session.get(Feedback, item.id)
    assert item.status == FeedbackStatus.RESOLVED and item.resolved_by == "worker@rfl.example.org"
    assert item.resolution_note == "Number corrected"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "feedback.resolved"))
    assert "No reports here." in provider.get("/provider/feedback").get_data(as_text=True)
    assert "Egham Hythe" in provider.get("/provider/feedback?show=resolved").get_data(as_text=True)
    assert "Number corrected" in provider.get(f"/provider/feedback/{item.uuid}").get_data(as_text=True)

    admin = app.test_client()
    sign_in(admin, make_user("admin@partnership.example.org", role="admin"))
    for path in ("/admin/feedback?show=all", f"/admin/feedback/{item.uuid}"):
        page = admin.get(path)
        check_page(page)
        assert "Egham Hythe Family Centre" in page.get_data(as_text=True)


def test_another_provider_cannot_see_or_resolve_the_report(reporting, app, client):
    _report(client)
    item = db.session.scalars(select(Feedback)).one()
    other = app.test_client()
    sign_in(other, make_user("nurse@health.example.org", organisations=(THEIRS,)))
    assert other.get(f"/provider/feedback/{item.uuid}").status_code == 404
    assert other.post(f"/provider/feedback/{item.uuid}/resolve", data={"note": "mine"}).status_code == 404
    assert other.get("/provider/feedback/999999").status_code == 404
    assert "Egham Hythe" not in other.get("/provider/feedback?show=all").get_data(as_text=True)
    assert db.session.get(Feedback, item.id).status == FeedbackStatus.OPEN
    assert other.get("/admin/feedback").status_code == 404


def test_reports_from_one_address_are_limited(reporting, client):
    reporting.config["FEEDBACK_RATE_LIMIT"] = 2
    try:
        assert _report(client).status_code == 302
        assert _report(client).status_code == 302
        assert _report(client).status_code == 429
    finally:
        reporting.config["FEEDBACK_RATE_LIMIT"] = 10
    assert len(db.session.scalars(select(Feedback)).all()) == 2
