"""Listing edits with approval, field by field; new services; history and restore; and
nobody reaching another organisation's listings."""

import re

import pytest
from sqlalchemy import select

from app.directory import directory_sync, listing_changes, listing_fields, listing_versions
from app.directory.directory_file import parse_directory_file
from app.extensions import db
from app.models import ChangeStatus, ListingChange, ListingVersion, Notification, Service
from app.web.provider.listing_forms import form_data
from tests.accounts.test_accounts import clear_people
from tests.conftest import ROOT, check_page, make_user, sign_in

OURS = "runnymede-family-link"
OUR_SERVICE = "egham-hythe-family-centre"
THEIRS = "surrey-childrens-health"
THEIR_SERVICE = "childrens-wellbeing-line"


def post_data(service_id: str, reason: str = "Our details changed", **changes) -> dict:
    """The edit form as a browser would send it, with these fields changed."""
    data = form_data(listing_fields.current_fields(db.session.get(Service, service_id)))
    data.update(changes)
    flat: dict = {"reason": reason}
    for key, value in data.items():
        if key in ("locations", "schedule"):
            for row, entry in enumerate(value):
                for name, item in entry.items():
                    flat[f"{key}-{row}-{name}"] = item
        else:
            flat[key] = value
    return flat


@pytest.fixture
def people(app, surrey_to_change):
    """A provider for Runnymede Family Link, one for Surrey Children's Health, and an admin,
    each with their own browser."""
    clear_people()
    ours = make_user("worker@rfl.example.org", organisations=(OURS,))
    theirs = make_user("nurse@health.example.org", organisations=(THEIRS,))
    admin = make_user("approver@partnership.example.org", role="admin")
    clients = {}
    for name, user in (("ours", ours), ("theirs", theirs), ("admin", admin)):
        clients[name] = app.test_client()
        sign_in(clients[name], user)
    return clients


def propose(client, service_id: str = OUR_SERVICE, **changes) -> ListingChange:
    response = client.post(f"/provider/services/{service_id}/edit", data=post_data(service_id, **changes))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    change_key = response.headers["Location"].rsplit("/", 1)[1]
    return db.session.scalar(select(ListingChange).where(ListingChange.uuid == change_key))


def search_ids(client, text: str) -> str:
    return client.get("/search", query_string={"q": text}).get_data(as_text=True)


# -- the round trip ----------------------------------------------------------------------

def test_an_edit_is_public_only_after_approval_and_then_searchable(people, client):
    ours, admin = people["ours"], people["admin"]
    change = propose(ours, summary="Stay and play for under-fives with the zebrafinch puppet club.")
    assert change.status == ChangeStatus.PENDING and change.fields == ["summary"]

    # Not public, not searchable, and the provider sees it waiting.
    assert "zebrafinch" not in client.get(f"/services/{OUR_SERVICE}").get_data(as_text=True)
    assert "Egham Hythe" not in search_ids(client, "zebrafinch")
    page = ours.get(f"/provider/changes/{change.uuid}")
    check_page(page)
    assert "Waiting for approval" in page.get_data(as_text=True)
    assert "Waiting for approval" in ours.get("/provider/listings").get_data(as_text=True)

    queue = admin.get("/admin/approvals")
    check_page(queue)
    assert "Egham Hythe Family Centre" in queue.get_data(as_text=True)
    review = admin.get(f"/admin/approvals/{change.uuid}")
    check_page(review)
    assert "zebrafinch" in review.get_data(as_text=True)

    response = admin.post(f"/admin/approvals/{change.uuid}", data={"publish": ["summary"], "approve": "y"})
    assert response.status_code == 302
    public = client.get(f"/services/{OUR_SERVICE}").get_data(as_text=True)
    assert "zebrafinch puppet club" in public
    assert "Egham Hythe Family Centre" in search_ids(client, "zebrafinch")

    db.session.expire_all()
    change = db.session.get(ListingChange, change.id)
    assert change.status == ChangeStatus.APPROVED and change.reviewed_by == "approver@partnership.example.org"
    told = db.session.scalar(select(Notification).where(Notification.kind == "listing.decision"))
    assert told.to == "worker@rfl.example.org" and "has been published" in told.body
    assert "Published" in ours.get(f"/provider/changes/{change.uuid}").get_data(as_text=True)


def test_a_rejected_change_goes_back_with_the_reason(people, client):
    change = propose(people["ours"], contact_phone="01632 960999")
    response = people["admin"].post(f"/admin/approvals/{change.uuid}", data={"reject": "y", "reason": ""})
    assert response.status_code == 400
    assert "Say why the change is not published" in response.get_data(as_text=True)
    response = people["admin"].post(f"/admin/approvals/{change.uuid}", data={
        "reject": "y", "reason": "That number is the <b>head office</b>, not the centre."})
    assert response.status_code == 302
    page = people["ours"].get(f"/provider/changes/{change.uuid}").get_data(as_text=True)
    assert "Not published" in page
    assert "That number is the &lt;b&gt;head office&lt;/b&gt;, not the centre." in page
    assert "01632 960999" not in client.get(f"/services/{OUR_SERVICE}").get_data(as_text=True)
    assert db.session.get(ListingChange, change.id).status == ChangeStatus.REJECTED


def test_the_diff_shows_only_the_fields_that_change(people):
    change = propose(people["ours"], contact_phone="01632 960777",
                     schedule=[{"days": ["tue", "thu"], "opens": "09:00", "closes": "12:00",
                                "note": "Under fives, term time only"}])
    assert change.fields == ["contact_phone", "schedule"]
    page = people["admin"].get(f"/admin/approvals/{change.uuid}").get_data(as_text=True)
    cards = re.findall(r'id="field-([a-z_]+)"', page)
    assert cards == ["contact_phone", "schedule"]
    assert "01632 960601" in page and "01632 960777" in page  # was and proposed
    assert "Tuesday and Thursday, 09:00 to 12:00" in page


def test_fields_can_be_published_one_by_one(people, client):
    change = propose(people["ours"], contact_phone="01632 960778", summary="A different summary.")
    response = people["admin"].post(f"/admin/approvals/{change.uuid}", data={
        "publish": ["contact_phone"], "approve": "y"})
    assert response.status_code == 400  # refusing the summary needs a reason
    response = people["admin"].post(f"/admin/approvals/{change.uuid}", data={
        "publish": ["contact_phone"], "approve": "y", "reason": "Keep the summary about toddlers."})
    assert response.status_code == 302
    public = client.get(f"/services/{OUR_SERVICE}").get_data(as_text=True)
    assert "01632 960778" in public and "A different summary." not in public
    db.session.expire_all()
    change = db.session.get(ListingChange, change.id)
    assert change.status == ChangeStatus.PARTLY_APPROVED
    assert change.decisions == {"summary": "rejected", "contact_phone": "approved"}
    page = people["ours"].get(f"/provider/changes/{change.uuid}").get_data(as_text=True)
    assert "Partly published" in page and "Keep the summary about toddlers." in page


def test_markup_is_shown_as_text(people, client):
    text = "Come along <script>alert('x')</script> and <b>play</b>.\n\nSecond paragraph."
    change = propose(people["ours"], description=text, summary="<i>Stay</i> & play")
    review = people["admin"].get(f"/admin/approvals/{change.uuid}").get_data(as_text=True)
    assert "<script>alert" not in review and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in review
    people["admin"].post(f"/admin/approvals/{change.uuid}", data={
        "publish": ["description", "summary"], "approve": "y"})
    public = client.get(f"/services/{OUR_SERVICE}").get_data(as_text=True)
    assert "<script>alert" not in public and "<b>play</b>" not in public
    assert "&lt;b&gt;play&lt;/b&gt;" in public and "&lt;i&gt;Stay&lt;/i&gt; &amp; play" in public
    assert db.session.get(Service, OUR_SERVICE).description.startswith("Come along <script>")


def test_the_form_explains_mistakes_and_keeps_nothing(people):
    data = post_data(OUR_SERVICE, reason="", contact_phone="12", contact_website="javascript:alert(1)",
                     age_min="ten", locations=[{"name": "Egham Hythe Family Centre",
                                               "address": "4 Pooley Green Road, Egham",
                                               "postcode": "NOT A POSTCODE"}])
    response = people["ours"].post(f"/provider/services/{OUR_SERVICE}/edit", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "<title>Error:" in page
    for message, anchor in (("Say why you are making this change", "#reason"),
                            ("Enter a phone number with 10 to 13 digits", "#contact_phone"),
                            ("Enter a website address starting https://", "#contact_website"),
                            ("Enter the age as a whole number from 0 to 120", "#age_min"),
                            ("Enter a full UK postcode, like GU21 6XX", "#locations-0-postcode")):
        assert message in page and f'href="{anchor}"' in page, message
    assert db.session.scalar(select(ListingChange)) is None
    response = people["ours"].post(f"/provider/services/{OUR_SERVICE}/edit", data=post_data(OUR_SERVICE))
    assert response.status_code == 400 and "You have not changed anything" in response.get_data(as_text=True)


def test_self_referral_needs_the_referral_email(people):
    data = post_data(OUR_SERVICE, access="self-referral")
    response = people["ours"].post(f"/provider/services/{OUR_SERVICE}/edit", data=data)
    assert response.status_code == 400
    assert "Enter the email address for new self-referrals" in response.get_data(as_text=True)


def test_add_another_location_without_scripts(people):
    data = post_data(OUR_SERVICE, add_location="y")
    page = people["ours"].post(f"/provider/services/{OUR_SERVICE}/edit", data=data).get_data(as_text=True)
    assert 'id="locations-1-name"' in page and 'id="locations-2-name"' not in page


def test_locations_and_opening_times_can_be_added_and_removed(people, client):
    data = post_data(OUR_SERVICE, locations=[
        {"name": "Egham Hythe Family Centre", "address": "4 Pooley Green Road, Egham",
         "postcode": "TW20 8EL"},
        {"name": "Englefield Green Library", "address": "Church Road, Englefield Green",
         "postcode": "tw20 0su"}],
        schedule=[{"days": ["sat"], "opens": "10:00", "closes": "12:00", "note": ""},
                  {"days": [], "opens": "", "closes": "", "note": ""}])
    response = people["ours"].post(f"/provider/services/{OUR_SERVICE}/edit", data=data)
    assert response.status_code == 302
    change = db.session.scalars(select(ListingChange)).one()
    assert change.fields == ["locations", "schedule"]
    assert change.proposed["locations"][1]["postcode"] == "TW20 0SU"
    people["admin"].post(f"/admin/approvals/{change.uuid}", data={
        "publish": ["locations", "schedule"], "approve": "y"})
    public = client.get(f"/services/{OUR_SERVICE}").get_data(as_text=True)
    assert "Englefield Green Library" in public and "Saturday: 10:00 to 12:00" in public
    assert "Tuesday and Thursday: 09:30 to 12:00" not in public
    service = db.session.get(Service, OUR_SERVICE)
    assert service.locations[1].latitude is not None  # taken from the postcode table


def test_a_new_service_is_public_only_once_approved(people, client):
    data = {
        "organisation": OURS, "name": "Thorpe Baby Bounce", "summary": "Songs and rhymes for babies.",
        "description": "A friendly half hour of songs for babies and their grown-ups.",
        "kind": "community", "categories": ["parent-toddler-groups"], "areas": ["runnymede"],
        "access": "drop-in", "age_min": "0", "age_max": "2", "free": "yes", "delivery": ["in-person"],
        "languages": "en", "contact_phone": "01632 960602",
        "locations-0-name": "Thorpe Village Hall", "locations-0-address": "Village Road, Thorpe",
        "locations-0-postcode": "TW20 8UE",
        "schedule-0-days": ["wed"], "schedule-0-opens": "10:00", "schedule-0-closes": "10:30",
        "reason": "A new group from January."}
    response = people["ours"].post("/provider/services/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    change = db.session.scalars(select(ListingChange)).one()
    assert change.service_id is None and change.proposed["id"] == "thorpe-baby-bounce"
    assert client.get("/services/thorpe-baby-bounce").status_code == 404
    page = people["admin"].get(f"/admin/approvals/{change.uuid}").get_data(as_text=True)
    assert "New service: Thorpe Baby Bounce" in page
    assert people["admin"].post(f"/admin/approvals/{change.uuid}", data={"approve": "y"}).status_code == 302
    assert "Songs and rhymes for babies." in client.get("/services/thorpe-baby-bounce").get_data(as_text=True)
    assert "Thorpe Baby Bounce" in search_ids(client, "baby bounce")
    service = db.session.get(Service, "thorpe-baby-bounce")
    assert service.organisation_id == OURS and service.is_published
    assert [v.source for v in listing_versions.versions(service)] == ["new"]
    # Only a provider's own organisations.
    response = people["ours"].post("/provider/services/new", data={**data, "organisation": THEIRS})
    assert response.status_code == 400
    assert "Select one of your organisations" in response.get_data(as_text=True)


def test_a_newer_proposal_replaces_one_still_waiting(people):
    first = propose(people["ours"], contact_phone="01632 960771")
    page = people["ours"].get(f"/provider/services/{OUR_SERVICE}/edit").get_data(as_text=True)
    assert "01632 960771" in page and "still waiting for approval" in page
    second = propose(people["ours"], contact_phone="01632 960772")
    db.session.expire_all()
    assert db.session.get(ListingChange, first.id).status == ChangeStatus.SUPERSEDED
    assert [c.id for c in listing_changes.pending_changes()] == [second.id]


def test_a_change_is_decided_once_and_not_by_its_author(app, people):
    change = propose(people["ours"], contact_phone="01632 960773")
    assert people["admin"].post(f"/admin/approvals/{change.uuid}", data={"approve": "y",
                                "publish": ["contact_phone"]}).status_code == 302
    page = people["admin"].post(f"/admin/approvals/{change.uuid}", data={"reject": "y", "reason": "No"})
    assert db.session.get(ListingChange, change.id).status == ChangeStatus.APPROVED
    assert "Decision" not in page.get_data(as_text=True)  # no form once decided
    # An admin who is also in the organisation cannot approve their own change.
    both = make_user("both@partnership.example.org", role="admin", organisations=(OURS,))
    client = app.test_client()
    sign_in(client, both)
    own = propose(client, contact_phone="01632 960774")
    response = client.post(f"/admin/approvals/{own.uuid}",
                           data={"approve": "y", "publish": ["contact_phone"]})
    assert response.status_code == 400 and "another admin must decide it" in response.get_data(as_text=True)


# -- history and restore -----------------------------------------------------------------

def test_history_shows_the_waiting_time_update_and_the_edit_and_restores(people, client):
    ours, admin = people["ours"], people["admin"]
    original = db.session.get(Service, OUR_SERVICE).summary
    assert ours.post(f"/provider/services/{OUR_SERVICE}/waiting-time",
                     data={"status": "waitlist", "weeks": "3"}).status_code == 302
    change = propose(ours, summary="Toddler mornings and a dads' Saturday in Egham Hythe.",
                     reason="Clearer summary")
    admin.post(f"/admin/approvals/{change.uuid}", data={"publish": ["summary"], "approve": "y"})

    for page in (ours.get(f"/provider/services/{OUR_SERVICE}/history"),
                 admin.get(f"/admin/services/{OUR_SERVICE}/history")):
        check_page(page)
        html = page.get_data(as_text=True)
        assert "Waiting time: Waiting list of about 3 weeks" in html
        assert "Version 2: Edit approved" in html and "Clearer summary" in html
        assert "Version 1: First kept version" in html
        assert html.index("Version 2") < html.index("Waiting time: Waiting list")  # newest first
        assert "worker@rfl.example.org" in html and "approver@partnership.example.org" in html
    service = db.session.get(Service, OUR_SERVICE)
    assert [(v.number, v.source) for v in listing_versions.versions(service)] == [(1, "initial"), (2, "edit")]

    version_page = admin.get(f"/admin/services/{OUR_SERVICE}/versions/1")
    check_page(version_page)
    assert original.replace("'", "&#39;") in version_page.get_data(as_text=True)
    response = admin.post(f"/admin/services/{OUR_SERVICE}/versions/1/restore", data={"reason": ""})
    assert response.status_code == 400
    assert "Say why this version is restored" in response.get_data(as_text=True)
    response = admin.post(f"/admin/services/{OUR_SERVICE}/versions/1/restore",
                          data={"reason": "The old summary was better"})
    assert response.status_code == 302
    public = client.get(f"/services/{OUR_SERVICE}").get_data(as_text=True)
    assert original.replace("'", "&#39;") in public and "Waiting list of about 3 weeks" in public
    assert "Egham Hythe Family Centre" in search_ids(client, "dads saturday")
    db.session.expire_all()
    versions = listing_versions.versions(db.session.get(Service, OUR_SERVICE))
    assert [(v.number, v.source, v.restored_from) for v in versions][-1] == (3, "restore", 1)
    html = admin.get(f"/admin/services/{OUR_SERVICE}/history").get_data(as_text=True)
    assert "Version 3: Earlier version restored" in html and "The old summary was better" in html
    # Restoring what is already there says so.
    response = admin.post(f"/admin/services/{OUR_SERVICE}/versions/3/restore", data={"reason": "Again"})
    assert response.status_code == 400


def test_a_change_made_by_an_import_is_kept_in_the_history(people):
    service = db.session.get(Service, OUR_SERVICE)
    listing_versions.ensure_history_start(service)
    service.summary = "Changed by the directory file."
    db.session.commit()
    listing_versions.ensure_history_start(service)
    db.session.commit()
    assert [v.source for v in listing_versions.versions(service)] == ["initial", "outside"]


def test_each_import_that_changes_a_listing_adds_a_version(people):
    """Two imports in a row: both states are kept, not just the last."""
    original = db.session.get(Service, OUR_SERVICE).summary
    text = (ROOT / "services.yml").read_text(encoding="utf-8")
    for summary in ("First summary from the file.", "Second summary from the file.", original):
        content = parse_directory_file(text)
        next(entry for entry in content.services if entry["id"] == OUR_SERVICE)["summary"] = summary
        directory_sync.import_directory(content)
    versions = listing_versions.versions(db.session.get(Service, OUR_SERVICE))
    summaries = [v.data["summary"] for v in versions]
    assert summaries == [original, "First summary from the file.", "Second summary from the file.",
                         original]
    assert [v.source for v in versions] == ["initial", "outside", "outside", "outside"]
    assert {v.created_by for v in versions} == {"Directory file import"}


def test_history_before_any_change_shows_the_listing_as_it_is(people):
    html = people["admin"].get(f"/admin/services/{THEIR_SERVICE}/history").get_data(as_text=True)
    assert "First kept version" in html and "Directory file import" in html
    assert db.session.scalar(select(ListingVersion)) is None  # reading stores nothing


# -- other organisations -----------------------------------------------------------------

def test_a_provider_cannot_see_or_change_another_organisations_listings(people):
    theirs = propose(people["theirs"], service_id=THEIR_SERVICE, contact_phone="01632 960775")
    ours = people["ours"]
    for path in (f"/provider/services/{THEIR_SERVICE}/edit", f"/provider/services/{THEIR_SERVICE}/history",
                 f"/provider/changes/{theirs.uuid}", "/provider/services/no-such-service/edit",
                 "/provider/changes/999999"):
        assert ours.get(path).status_code == 404, path
    for path in (f"/provider/services/{THEIR_SERVICE}/edit",
                 f"/provider/services/{THEIR_SERVICE}/still-right"):
        assert ours.post(path, data=post_data(THEIR_SERVICE, contact_phone="01632 960776")).status_code == 404
    listing = ours.get("/provider/listings").get_data(as_text=True)
    assert "Children&#39;s Wellbeing Line" not in listing and "Egham Hythe Family Centre" in listing
    assert [c.id for c in db.session.scalars(select(ListingChange))] == [theirs.id]
    # Providers are not admins: the queue is not theirs to see.
    assert ours.get("/admin/approvals").status_code == 404
    assert ours.post(f"/admin/approvals/{theirs.uuid}", data={"approve": "y"}).status_code == 404


def test_every_listing_page_renders_and_is_never_cached(people):
    change = propose(people["ours"], contact_phone="01632 960779")
    for client, path in ((people["ours"], "/provider/listings"),
                         (people["ours"], f"/provider/services/{OUR_SERVICE}/edit"),
                         (people["ours"], "/provider/services/new"),
                         (people["ours"], f"/provider/changes/{change.uuid}"),
                         (people["ours"], f"/provider/services/{OUR_SERVICE}/history"),
                         (people["admin"], "/admin/approvals"),
                         (people["admin"], f"/admin/approvals/{change.uuid}"),
                         (people["admin"], "/admin/listings"),
                         (people["admin"], "/admin/listings?q=egham"),
                         (people["admin"], f"/admin/services/{OUR_SERVICE}/history")):
        response = client.get(path)
        check_page(response)
        assert response.headers["Cache-Control"] == "no-store", path
    assert 'href="/admin/approvals"' in people["admin"].get("/admin/").get_data(as_text=True)
    assert 'href="/provider/listings"' in people["ours"].get("/provider/").get_data(as_text=True)


def test_fields_that_do_not_fit_together_are_not_published(people, client):
    change = propose(people["ours"], access="self-referral", referral_email="join@example.org")
    response = people["admin"].post(f"/admin/approvals/{change.uuid}", data={
        "publish": ["access"], "approve": "y", "reason": "Not the email address"})
    assert response.status_code == 400
    assert "cannot be published together" in response.get_data(as_text=True)
    assert db.session.get(ListingChange, change.id).status == ChangeStatus.PENDING
    assert db.session.get(Service, OUR_SERVICE).access == "drop-in"


def test_an_edited_listing_exports_and_imports_unchanged(people):
    from app.directory import directory_sync
    from app.directory.directory_file import parse_directory_file

    change = propose(people["ours"], eligibility="Families in Egham & Thorpe", languages=["en"],
                     other_languages="pl", cost_note="", free="no", keywords="stay and play, dads",
                     locations=[{"name": "Egham Hythe Family Centre", "address": "4 Pooley Green Road, Egham",
                                 "postcode": "tw208el"}])
    people["admin"].post(f"/admin/approvals/{change.uuid}", data={"publish": change.fields, "approve": "y"})
    report = directory_sync.import_directory(parse_directory_file(directory_sync.export_directory()))
    assert report.counts["services"]["updated"] == 0 and report.counts["services"]["created"] == 0


def test_values_longer_than_the_listing_can_hold_are_refused_on_the_form(people):
    """Caught on the provider's form, not when an admin approves (the database refuses them)."""
    data = post_data(OUR_SERVICE, name="N" * 201, contact_phone="01632" + " " * 40 + "960770",
                     locations=[{"name": "Egham Hythe Family Centre", "address": "A" * 501,
                                 "postcode": "TW20 8AA"}])
    response = people["ours"].post(f"/provider/services/{OUR_SERVICE}/edit", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "<title>Error:" in page, page[:500]
    for anchor in ("#name", "#contact_phone", "#locations-0-address"):
        assert f'href="{anchor}"' in page, anchor
    assert "200 characters" in page and "500 characters" in page
    assert db.session.scalar(select(ListingChange)) is None


# -- imports keep changes made in the site (services-yml.md) -----------------------------

def test_an_older_file_does_not_undo_an_approved_change_unless_asked(people, cli, tmp_path):
    older = tmp_path / "services.yml"  # written before the change below
    older.write_text((ROOT / "services.yml").read_text(encoding="utf-8"), encoding="utf-8")
    change = propose(people["ours"], contact_phone="01632 960771")
    people["admin"].post(f"/admin/approvals/{change.uuid}", data={"publish": change.fields, "approve": "y"})
    # The same older file, with one other listing changed in it: that one is written.
    content = older.read_text(encoding="utf-8")
    their_summary = db.session.get(Service, THEIR_SERVICE).summary
    older.write_text(content.replace(their_summary, "A summary changed in the file."), encoding="utf-8")

    result = cli.invoke(args=["directory", "import", str(older)])
    assert result.exit_code == 0, result.output
    assert "1 kept (changed in the site)" in result.output
    assert f"kept (changed in the site): {OUR_SERVICE}" in result.output
    db.session.expire_all()
    assert db.session.get(Service, OUR_SERVICE).contact_phone == "01632 960771"
    assert db.session.get(Service, THEIR_SERVICE).summary == "A summary changed in the file."

    dry = cli.invoke(args=["directory", "import", "--dry-run", "--overwrite-site-changes", str(older)])
    assert "0 kept (changed in the site)" in dry.output
    assert db.session.get(Service, OUR_SERVICE).contact_phone == "01632 960771"

    forced = cli.invoke(args=["directory", "import", "--overwrite-site-changes", str(older)])
    assert forced.exit_code == 0 and "0 kept (changed in the site)" in forced.output
    db.session.expire_all()
    assert db.session.get(Service, OUR_SERVICE).contact_phone != "01632 960771"
    sources = [v.source for v in listing_versions.versions(db.session.get(Service, OUR_SERVICE))]
    assert sources[-2:] == ["edit", "outside"]
    # Written by an import again: the next file's change to it is applied as usual.
    again = parse_directory_file(older.read_text(encoding="utf-8"))
    next(e for e in again.services if e["id"] == OUR_SERVICE)["summary"] = "Newer file's summary."
    report = directory_sync.import_directory(again)
    assert report.site_changes_kept == []
    assert db.session.get(Service, OUR_SERVICE).summary == "Newer file's summary."


def test_a_restore_in_the_site_is_kept_too(people):
    service = db.session.get(Service, OUR_SERVICE)
    original = service.summary
    change = propose(people["ours"], summary="An edited summary.")
    people["admin"].post(f"/admin/approvals/{change.uuid}", data={"publish": change.fields, "approve": "y"})
    people["admin"].post(f"/admin/services/{OUR_SERVICE}/versions/1/restore", data={"reason": "Back"})
    db.session.expire_all()
    assert db.session.get(Service, OUR_SERVICE).summary == original
    content = parse_directory_file((ROOT / "services.yml").read_text(encoding="utf-8"))
    next(e for e in content.services if e["id"] == OUR_SERVICE)["summary"] = "From an old file."
    report = directory_sync.import_directory(content)
    assert report.site_changes_kept == [OUR_SERVICE]
    assert db.session.get(Service, OUR_SERVICE).summary == original
