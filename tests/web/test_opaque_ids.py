"""Staff URLs carry opaque uuids, not sequential integer ids; integer links already sent by
email redirect for the signed-in person who may see the object, and are a 404 otherwise."""

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Feedback, ListingChange, Notification, Service, User
from app.models.referrals import Referral
from tests.conftest import make_user, sign_in
from tests.referrals.referral_support import make_referral
from tests.web.test_cross_organisation import A_SERVICE, B_SERVICE

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def test_staff_pages_link_to_referrals_and_people_by_uuid(app, surrey_to_change):
    from tests.accounts.test_accounts import clear_people

    clear_people()
    service = db.session.get(Service, A_SERVICE)
    referral, _, _ = make_referral(service)
    worker = make_user("worker@health.example.org", organisations=(service.organisation_id,))
    client = app.test_client()
    sign_in(client, worker)
    inbox = client.get("/provider/referrals").get_data(as_text=True)
    assert f'href="/provider/referrals/{referral.uuid}"' in inbox
    assert not re.search(r'href="/provider/referrals/\d+"', inbox)
    admin = app.test_client()
    sign_in(admin, make_user("admin@partnership.example.org", role="admin"))
    people = admin.get("/admin/users").get_data(as_text=True)
    assert f'href="/admin/users/{worker.uuid}"' in people
    assert not re.search(r'href="/admin/users/\d+"', people)


def test_old_integer_links_redirect_for_their_owner_and_are_404_otherwise(app, surrey_to_change):
    from tests.accounts.test_accounts import clear_people

    clear_people()
    ours, theirs = db.session.get(Service, A_SERVICE), db.session.get(Service, B_SERVICE)
    referral, _, _ = make_referral(ours)
    other, _, _ = make_referral(theirs)
    worker = make_user("worker@health.example.org", organisations=(ours.organisation_id,))
    client = app.test_client()
    sign_in(client, worker)
    old = client.get(f"/provider/referrals/{referral.id}?from=email")
    assert old.status_code == 302
    assert old.headers["Location"] == f"/provider/referrals/{referral.uuid}?from=email"
    assert client.get(old.headers["Location"]).status_code == 200
    assert client.get(f"/provider/referrals/{referral.id}/closed").headers["Location"] == \
        f"/provider/referrals/{referral.uuid}/closed"
    assert client.get(f"/provider/referrals/{other.id}").status_code == 404  # not theirs
    assert client.post(f"/provider/referrals/{referral.id}/closed",
                       data={"outcome": "other"}).status_code == 404  # no form posts by integer
    assert client.get("/provider/referrals/99999999").status_code == 404
    assert db.session.get(Referral, referral.id).status == "new"

    signed_out = app.test_client().get(f"/provider/referrals/{referral.id}")
    assert signed_out.status_code == 302 and "/sign-in" in signed_out.headers["Location"]

    admin = app.test_client()
    sign_in(admin, make_user("admin@partnership.example.org", role="admin"))
    assert admin.get(f"/admin/users/{worker.id}").headers["Location"] == f"/admin/users/{worker.uuid}"
    for model in (ListingChange, Feedback):
        row = db.session.scalar(select(model))
        if row is not None:
            path = "approvals" if model is ListingChange else "feedback"
            assert admin.get(f"/admin/{path}/{row.id}").headers["Location"].endswith(row.uuid)
    email = db.session.scalar(select(Notification))
    assert admin.post(f"/admin/outbox/{email.id}/retry").status_code == 404
    assert db.session.get(User, worker.id).uuid != str(worker.id)
