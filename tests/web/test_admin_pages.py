"""Partnership admins: people and access, organisations, the audit log, stuck emails."""

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import AuditEvent, Notification, Organisation, User
from app.models.directory import utcnow
from app.notifications.outbox import queue_email
from tests.accounts.test_accounts import clear_people
from tests.conftest import check_page, make_user, sign_in


@pytest.fixture
def admin(client, surrey):
    clear_people()
    user = make_user("admin@partnership.example.org", role="admin")
    sign_in(client, user)
    return user


def test_every_admin_page_renders_for_an_admin(client, admin):
    make_user("someone@example.org", organisations=("surrey-family-services",))
    home = client.get("/admin/").get_data(as_text=True)
    for path in ("/admin/", "/admin/users", "/admin/users/invite", f"/admin/users/{admin.uuid}",
                 "/admin/organisations", "/admin/audit-log", "/admin/audit-log?action=signin",
                 "/admin/outbox"):
        response = client.get(path)
        check_page(response)
        assert response.headers["Cache-Control"] == "no-store"
    assert 'href="/admin/users"' in home


def test_changing_someones_access_applies_at_once_and_is_audited(client, app, admin):
    person = make_user("mover@example.org", organisations=("surrey-family-services",))
    their_client = app.test_client()
    sign_in(their_client, person)
    assert their_client.get("/provider/services/family-support-programme/waiting-time").status_code == 200
    response = client.post(f"/admin/users/{person.uuid}", data={
        "role": "provider", "organisations": ["surrey-childrens-health"]})
    assert response.status_code == 302
    assert their_client.get("/provider/services/family-support-programme/waiting-time").status_code == 404
    assert their_client.get("/provider/services/childrens-wellbeing-line/waiting-time").status_code == 200
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.access-changed"))
    assert event.actor == admin.email
    assert event.detail["after"]["organisations"] == ["surrey-childrens-health"]


def test_admins_cannot_lock_themselves_out(client, admin):
    assert client.post(f"/admin/users/{admin.uuid}/active", data={"active": "0"}).status_code == 400
    page = client.post(f"/admin/users/{admin.uuid}", data={"role": "provider"})
    assert page.status_code == 400 and "cannot change your own role" in page.get_data(as_text=True)
    assert db.session.get(User, admin.id).is_admin


def test_the_organisations_page_shows_who_has_nobody(client, admin):
    make_user("one@example.org", organisations=("surrey-family-services",))
    html = client.get("/admin/organisations").get_data(as_text=True)
    row = html[html.index("Surrey Family Services"):][:400]
    assert "Nobody" not in row
    assert "Nobody" in html  # most organisations have nobody yet


def test_the_audit_log_lists_events_newest_first_and_filters(client, app, admin):
    stranger = app.test_client()
    stranger.post("/sign-in", data={"email": "first@example.org", "password": "wrong password"})
    stranger.post("/sign-in", data={"email": "second@example.org", "password": "wrong password"})
    client.post(f"/admin/users/{admin.uuid}", data={"role": "admin"})
    html = client.get("/admin/audit-log?action=signin").get_data(as_text=True)
    assert "signin.failed" in html
    assert html.index("second@example.org") < html.index("first@example.org")
    assert "user.access-changed" not in html
    assert "user.access-changed" in client.get("/admin/audit-log").get_data(as_text=True)
    assert client.get("/admin/audit-log?page=0").status_code == 400


def test_failed_emails_show_up_and_can_be_tried_again(client, admin):
    queue_email("late@example.org", "Stuck", "Body", kind="test", key="stuck-1")
    db.session.commit()
    notification = db.session.scalar(select(Notification).where(Notification.dedupe_key == "stuck-1"))
    notification.attempts, notification.failed_at, notification.last_error = 8, utcnow(), "Connection refused"
    db.session.commit()
    html = client.get("/admin/outbox").get_data(as_text=True)
    assert "late@example.org" in html and "Connection refused" in html and "Given up" in html
    assert client.post(f"/admin/outbox/{notification.uuid}/retry").status_code == 302
    db.session.expire_all()
    again = db.session.get(Notification, notification.id)
    assert again.failed_at is None and again.attempts == 0


def test_a_familys_stuck_email_shows_without_the_address_that_would_open_its_tracker(client, admin):
    queue_email("jo.parent@family.example.org", "Your referral EH-7K4M-2Q has been sent", "Body",
                kind="referral.receipt", key="stuck-family")
    queue_email("referrals@service.example.org", "New referral EH-7K4M-2Q", "Body",
                kind="referral.new", key="stuck-service")
    # SMTP servers quote the address they refused.
    db.session.execute(update(Notification).values(attempts=8, failed_at=utcnow()))
    db.session.execute(update(Notification).where(Notification.dedupe_key == "stuck-family").values(
        last_error="SMTPRecipientsRefused: {'jo.parent@family.example.org': (550, b'No such user')}"))
    db.session.commit()
    html = client.get("/admin/outbox").get_data(as_text=True)
    assert "j•••@family.example.org" in html and "jo.parent@" not in html
    assert "550" in html  # the reason is still there to read
    assert "referrals@service.example.org" in html
    family = db.session.scalar(select(Notification).where(Notification.dedupe_key == "stuck-family"))
    client.post(f"/admin/outbox/{family.uuid}/retry")
    assert "jo.parent@" not in client.get("/admin/outbox").get_data(as_text=True)


# -- organisations ---------------------------------------------------------------------------

@pytest.fixture
def admin_changing(surrey_to_change, admin):
    """An admin, for a test that changes the directory (reloaded for the next test)."""
    return admin


def test_an_admin_adds_an_organisation_its_people_can_then_be_invited_to(client, admin_changing):
    check_page(client.get("/admin/organisations/new"))
    bad = client.post("/admin/organisations/new", data={
        "id": "Not A Slug!", "name": "", "website": "ftp://x", "email": "nobody", "phone": "12"})
    page = check_page(bad, 400)
    assert page.title.startswith("Error: ")
    html = bad.get_data(as_text=True).replace("&#39;", "'")
    for anchor in ("#id", "#name", "#website", "#email", "#phone"):
        assert f'href="{anchor}"' in html, anchor
    taken = client.post("/admin/organisations/new", data={"id": "surrey-family-services", "name": "Again"})
    assert taken.status_code == 400 and "already an organisation with this short name" in taken.get_data(
        as_text=True)

    added = client.post("/admin/organisations/new", data={
        "id": " Woking-Family-Trust ", "name": "Woking Family Trust", "email": "hello@wft.example.org",
        "website": "https://wft.example.org"})
    assert added.status_code == 302
    organisation = db.session.get(Organisation, "woking-family-trust")
    assert organisation.name == "Woking Family Trust" and organisation.phone is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.created"))
    assert event.actor == admin_changing.email and event.subject_id == "woking-family-trust"
    assert "Woking Family Trust" in client.get("/admin/organisations").get_data(as_text=True)
    assert 'value="woking-family-trust"' in client.get("/admin/users/invite").get_data(as_text=True)


def test_an_admin_corrects_an_organisations_details_but_not_its_id(client, admin_changing):
    form = client.get("/admin/organisations/surrey-family-services/edit")
    check_page(form)
    assert 'name="id"' not in form.get_data(as_text=True)
    changed = client.post("/admin/organisations/surrey-family-services/edit", data={
        "id": "hijacked", "name": "Surrey Family Services (new name)", "phone": "01483 517898"})
    assert changed.status_code == 302
    organisation = db.session.get(Organisation, "surrey-family-services")
    assert organisation.name == "Surrey Family Services (new name)" and organisation.phone == "01483 517898"
    assert db.session.get(Organisation, "hijacked") is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.updated"))
    assert event.detail["name"] == "Surrey Family Services (new name)"
    assert client.get("/admin/organisations/no-such-organisation/edit").status_code == 404
    # Any short name can be edited, even one that reads like a page of its own.
    assert client.post("/admin/organisations/new", data={"id": "new", "name": "New Leaf"}).status_code == 302
    assert "New Leaf" in client.get("/admin/organisations/new/edit").get_data(as_text=True)
