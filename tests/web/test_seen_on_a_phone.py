"""What a person saw on a phone that the tests had not (issue 15): markup shown as text,
line breaks lost or counted as changes, results below the first screen, a lost place on the
page, a closed list still taking referrals, raw codes and UTC times, and the small things.
The browser tests check reflow at 320 px and markup on every page they visit; these check
the same things one page at a time, without a browser."""

import re
import time
from datetime import datetime

import pytest
from sqlalchemy import select

from app import referrals
from app.directory import listing_fields, listing_repair, listing_versions, waiting_times
from app.extensions import db
from app.models import ListingChange, ListingVersion, Service, WaitingStatus
from app.models.referrals import ReferralEvent
from app.web.admin.charts import bar_chart
from app.web.auth import views as auth_views
from app.web.provider.referral_display import event_details
from tests.accounts.test_accounts import clear_people
from tests.conftest import ROOT, check_page, make_user, sign_in
from tests.directory.test_listing_changes import OUR_SERVICE, OURS, post_data
from tests.markup import markup_shown_as_text
from tests.referrals import referral_support
from tests.referrals.referral_support import (
    PROFESSIONAL,
    post,
    refer_url,
    self_referral_service,
    walk_to_check,
)

referrals_db = referral_support.referrals_db

BREAKS = {"CRLF": "\r\n", "LF": "\n", "CR": "\r"}


def _text(html: str) -> str:
    """The page's text as a person reads it: tags gone, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# -- the checks themselves can fail ---------------------------------------------------------

def test_the_markup_check_finds_a_tag_or_an_entity_shown_as_text():
    assert markup_shown_as_text("<p>Sam Okafor&lt;br&gt;SENCo</p>") == ["Sam Okafor<br>SENCo"]
    assert markup_shown_as_text("<p>Fish &amp;amp; chips</p>") == ["Fish &amp; chips"]
    assert markup_shown_as_text('<input value="a &lt;br&gt; b">') == ["a <br> b"]
    assert not markup_shown_as_text("<p>Sam Okafor<br>SENCo</p><pre>&lt;br&gt;</pre>")
    assert not markup_shown_as_text("<p>Fish &amp; chips, 3 &lt; 4</p>")


# -- 1. the tracker link breaks instead of widening the page ---------------------------------

def test_the_class_on_the_tracker_link_breaks_long_words():
    """The confirmation's tracker link is one unbroken string: its class must exist."""
    template = (ROOT / "templates" / "referrals" / "confirmation.html").read_text()
    assert 'class="govuk-body app-break-word"' in template
    css = (ROOT / "static" / "src" / "app.scss").read_text()
    rule = re.search(r"\.app-break-word[^{]*\{([^}]*)\}", css)
    assert rule and "overflow-wrap: anywhere" in rule.group(1)


# -- 2. check your answers: lines, not <br> ---------------------------------------------------

@pytest.mark.parametrize("style", BREAKS)
def test_check_your_answers_shows_lines_and_paragraphs_not_markup(referrals_db, client, style):
    service = self_referral_service()
    walk_to_check(client, service.id, "professional")
    need = BREAKS[style].join(["Sam is anxious.", "", "Mornings are hardest.", "Since September."])
    post(client, service.id, "need", {"need": need})
    post(client, service.id, "details",
         {"language": "", "adjustments": f"Ramp{BREAKS[style]}Quiet room", "other_support": ""})
    page = client.get(refer_url(service.id, "check"))
    check_page(page)
    html = page.get_data(as_text=True)
    assert not markup_shown_as_text(html)
    who = PROFESSIONAL
    assert (f"{who['name']}<br>{who['role']}, {who['organisation']}<br>A school or college<br>"
            f"{who['email']}") in html
    assert re.search(r'<p class="govuk-body">Sam is anxious.</p>\s*'
                     r'<p class="govuk-body">Mornings are hardest.<br>Since September.</p>', html)
    assert "Ramp<br>Quiet room" in html
    # Stored with LF, whatever the browser sent.
    with client.session_transaction() as session:
        saved = str(session)
    assert "\\r" not in saved and "\r" not in saved


# -- 3. line-break style is never a change; paragraphs survive an edit -----------------------

@pytest.fixture
def provider_and_admin(app, surrey_to_change):
    clear_people()
    provider, admin = app.test_client(), app.test_client()
    sign_in(provider, make_user("lines@rfl.example.org", organisations=(OURS,)))
    sign_in(admin, make_user("lines-admin@partnership.example.org", role="admin"))
    return provider, admin


PARAGRAPHS = ["A family centre for Egham Hythe.", "Stay and play on Tuesdays.\nBaby clinic on Fridays."]


@pytest.mark.parametrize("style", BREAKS)
def test_an_edit_of_the_phone_alone_changes_nothing_else(provider_and_admin, client, style):
    provider, admin = provider_and_admin
    service = db.session.get(Service, OUR_SERVICE)
    service.description = "\n\n".join(PARAGRAPHS)
    db.session.commit()
    # The browser sends the description back with its own line breaks.
    description = "\n\n".join(PARAGRAPHS).replace("\n", BREAKS[style])
    response = provider.post(f"/provider/services/{OUR_SERVICE}/edit", data=post_data(
        OUR_SERVICE, contact_phone="01784 000 222", description=description))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    change = db.session.scalars(select(ListingChange).order_by(ListingChange.id.desc())).first()
    assert change.fields == ["contact_phone"]
    review = admin.get(f"/admin/approvals/{change.uuid}").get_data(as_text=True)
    assert 'id="field-description"' not in review
    approved = admin.post(f"/admin/approvals/{change.uuid}",
                          data={"publish": ["contact_phone"], "approve": "y"})
    assert approved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Service, OUR_SERVICE).description == "\n\n".join(PARAGRAPHS)
    public = client.get(f"/services/{OUR_SERVICE}").get_data(as_text=True)
    assert re.search(r'<p class="govuk-body">A family centre for Egham Hythe.</p>\s*'
                     r'<p class="govuk-body">Stay and play on Tuesdays.<br>Baby clinic on Fridays.</p>',
                     public)


def test_a_text_proposed_with_other_line_breaks_is_not_a_change():
    before = {"description": "One.\n\nTwo.", "cost": {"free": True, "cost_note": "A\nB"}}
    after = {"description": "One.\r\n\r\nTwo.\r\n", "cost": {"free": True, "cost_note": "A\rB"}}
    assert listing_fields.diff(before, after) == []
    changed = listing_fields.diff(before, {**after, "description": "One. Two."})
    assert [c.key for c in changed] == ["description"]


@pytest.mark.parametrize("form, field", [
    ("/provider/services/{service}/waiting-time", "note"),
])
def test_every_free_text_form_stores_lf(provider_and_admin, form, field):
    provider, _admin = provider_and_admin
    for style, newline in BREAKS.items():
        text = f"Back in {style}.{newline}Ring first."
        response = provider.post(form.format(service=OUR_SERVICE), data={
            "status": WaitingStatus.WAITLIST, "weeks": "4", field: text})
        assert response.status_code == 302, response.get_data(as_text=True)[:1000]
        db.session.expire_all()
        note = db.session.get(Service, OUR_SERVICE).current_waiting_time.note
        assert note == f"Back in {style}.\nRing first."


def test_the_approval_view_marks_the_words_that_changed(provider_and_admin):
    provider, admin = provider_and_admin
    summary = db.session.get(Service, OUR_SERVICE).summary
    response = provider.post(f"/provider/services/{OUR_SERVICE}/edit", data=post_data(
        OUR_SERVICE, summary=summary.replace("family", "families'", 1) + " Now on Saturdays."))
    assert response.status_code == 302
    change = db.session.scalars(select(ListingChange).order_by(ListingChange.id.desc())).first()
    html = admin.get(f"/admin/approvals/{change.uuid}").get_data(as_text=True)
    assert re.search(r'<ins class="app-diff"><span class="govuk-visually-hidden">added: </span>'
                     r'[^<]*Saturdays\.</ins>', html)
    assert "<del class=\"app-diff\">" in html


# -- the descriptions already flattened are repaired ------------------------------------------

def test_flattened_descriptions_are_repaired_from_the_listings_own_history(surrey_to_change, cli):
    service = db.session.get(Service, OUR_SERVICE)
    listing_versions.ensure_history_start(service)  # version 1: the paragraphs, as imported
    service.description = "\n\n".join(PARAGRAPHS)
    listing_versions.record_repair(service, created_by="test", reason="as it was")
    # An edit before this fix: CR LF stored, or the paragraphs folded into one line.
    service.description = " ".join(" ".join(PARAGRAPHS).split())
    other = db.session.get(Service, "childrens-wellbeing-line")
    other.description = "First.\r\n\r\nSecond."
    db.session.commit()

    result = cli.invoke(args=["listings", "repair-descriptions"])
    assert result.exit_code == 0, result.output
    assert f"{OUR_SERVICE}: from version 2" in result.output
    assert "childrens-wellbeing-line: line breaks made LF" in result.output
    db.session.expire_all()
    assert db.session.get(Service, OUR_SERVICE).description == "\n\n".join(PARAGRAPHS)
    assert db.session.get(Service, "childrens-wellbeing-line").description == "First.\n\nSecond."
    latest = db.session.scalars(select(ListingVersion).where(ListingVersion.service_id == OUR_SERVICE)
                                .order_by(ListingVersion.number.desc())).first()
    assert latest.source == "repair" and latest.reason == listing_repair.REPAIR_REASON
    # A second run finds nothing; a description whose words changed is never touched.
    assert "0 description(s) repaired" in cli.invoke(args=["listings", "repair-descriptions"]).output


# -- 4. results first; filters folded; no distance without a postcode -------------------------

def test_results_come_before_the_search_form_and_filters_in_use_stay_folded(client, surrey):
    html = client.get("/search?q=parenting&area=woking&free=yes").get_data(as_text=True)
    assert html.index('class="app-service-card"') < html.index('id="search-and-filters"')
    assert re.search(r'<details class="govuk-details app-filters"\s*>', html), "filters open"
    assert "Filters in use" in html
    empty = client.get("/search").get_data(as_text=True)
    assert empty.index('id="search-and-filters"') < empty.index("</main>")
    assert re.search(r'<details class="govuk-details app-filters"\s*open>', empty)


def test_distance_is_asked_only_with_a_postcode(client, surrey):
    assert 'id="filter-radius"' not in client.get("/search?q=parenting").get_data(as_text=True)
    assert 'id="filter-radius"' in client.get("/search?q=parenting&postcode=GU21+6AA").get_data(as_text=True)


def test_an_age_taken_from_the_words_can_be_undone(client, surrey):
    html = client.get("/search?q=anxious+14+year+old").get_data(as_text=True)
    assert "Showing services for a 14 year old." in html
    link = re.search(r'<a class="govuk-link" href="([^"]+)">Show services for any age</a>', html)
    assert link and "q=anxious" in link.group(1).replace("&amp;", "&")
    undone = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "Showing services for" not in undone


# -- 5. the shortlist keeps the family's place --------------------------------------------------

def test_adding_to_the_shortlist_comes_back_to_the_same_card(client, surrey):
    results = "/search?q=parenting"
    html = client.get(results).get_data(as_text=True)
    first = re.search(r'<li class="app-service-card" id="(result-[^"]+)"', html).group(1)
    service_id = first.removeprefix("result-")
    response = client.post("/shortlist/add", data={"service_id": service_id, "back": results,
                                                   "return_to": "results"})
    assert response.headers["Location"].endswith(f"{results}#{first}")
    response = client.post("/shortlist/remove", data={"service_id": service_id, "back": results,
                                                      "return_to": "results"})
    assert response.headers["Location"].endswith(f"#{first}")
    # The banner does not take focus (which would scroll to the top of the page).
    assert 'data-disable-auto-focus="true"' in client.get(results).get_data(as_text=True)
    response = client.post("/shortlist/add", data={"service_id": service_id})
    assert response.headers["Location"].endswith(f"/services/{service_id}#shortlist")
    assert 'id="shortlist"' in client.get(f"/services/{service_id}").get_data(as_text=True)


# -- 7. a closed list takes no self-referral without a warning --------------------------------

def test_a_service_with_a_closed_list_does_not_offer_to_refer_yourself(referrals_db, client):
    service = self_referral_service()
    user = make_user("closer@example.org", organisations=(service.organisation_id,))
    waiting_times.record_waiting_time(service, user, status=WaitingStatus.CLOSED, weeks=None, note=None)
    html = client.get(f"/services/{service.id}").get_data(as_text=True)
    assert f'href="/services/{service.id}/refer"' not in html
    assert "is not taking new referrals at the moment" in html
    start = client.get(refer_url(service.id)).get_data(as_text=True)
    assert 'id="not-taking-referrals"' in start
    post(client, service.id, "", {}, expect="/who")
    assert 'id="not-taking-referrals"' in client.get(refer_url(service.id, "who")).get_data(as_text=True)


# -- 9. the smaller things ------------------------------------------------------------------------

@pytest.fixture
def provider_referral(referrals_db, client):
    clear_people()
    service = self_referral_service()
    referral, _family, _referrer = referral_support.make_referral(service, "professional")
    user = make_user("triage@example.org", organisations=(service.organisation_id,))
    sign_in(client, user)
    return referral, user


def test_the_history_says_what_happened_in_words_and_in_englands_time(provider_referral, client):
    referral, user = provider_referral
    referrals.open_for_provider(referral, user=user)
    event = referrals.change_status(referral, "declined", user=user, reason="not-eligible",
                                    reason_text="", suggestion="Their GP")
    event.at = datetime(2026, 7, 1, 9, 30)  # stored in UTC
    db.session.commit()
    html = client.get(f"/provider/referrals/{referral.uuid}").get_data(as_text=True)
    assert "not-eligible" not in html and "reason:" not in html
    assert "Reason: The service is not for the child or family&#39;s situation" in html
    assert "1 July 2026, 10:30" in html  # 09:30 UTC is 10:30 in British Summer Time
    assert " UTC" not in html
    assert "by the person who referred" in html and "by referrer" not in html


def test_the_familys_phone_and_email_can_be_tapped(provider_referral, client):
    referral, _user = provider_referral
    html = client.get(f"/provider/referrals/{referral.uuid}").get_data(as_text=True)
    assert '<a class="govuk-link" href="tel:07700900982">07700900982</a>' in html
    assert '<a class="govuk-link" href="mailto:jo@example.org">jo@example.org</a>' in html


def test_the_provider_home_says_how_many_referrals_are_waiting(provider_referral, client):
    html = client.get("/provider/").get_data(as_text=True)
    assert "1 new referral not read yet" in _text(html)
    assert "1 referral waiting for a decision" in _text(html)


def test_the_inbox_card_has_what_is_needed_to_triage(provider_referral, client):
    referral, _user = provider_referral
    html = client.get("/provider/referrals").get_data(as_text=True)
    card = _text(html[html.index(referral.reference):html.index("</li>", html.index(referral.reference))])
    assert "New" in card and referral.service.name in card
    assert "Sent today" in card  # (the colon after each label is the stylesheet's)
    assert "Referred by Designated safeguarding lead, Example Primary School" in card
    assert "Child's age 9 years old" in card
    assert "<table" not in html


def test_a_question_answered_with_an_error_keeps_the_language_links(referrals_db, client):
    service = self_referral_service()
    post(client, service.id, "", {}, expect="/who")
    response = client.post(refer_url(service.id, "who"), data={})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'href="/services/{service.id}/refer/who?lang=pl"' in html
    assert f'href="/services/{service.id}/refer/who?lang=uk"' in html


def test_the_tracker_of_a_closed_referral_gives_the_services_contact_details(referrals_db, client):
    service = self_referral_service()
    referral, family, _ = referral_support.make_referral(service)
    referrals.open_for_provider(referral, user="system")
    referrals.change_status(referral, "declined", user="system", reason="other-service",
                            reason_text="", suggestion="Their GP")
    html = client.get(f"/referrals/track/{family}").get_data(as_text=True)
    contact = html[html.index("Questions about the referral"):]
    for value in (service.contact_phone, service.contact_email):
        if value:
            assert value in contact
    assert service.contact_phone or service.contact_email


def test_authenticator_set_up_has_a_link_for_the_same_phone(app, client):
    clear_people()
    user = make_user("newphone@example.org", totp=False)
    with client.session_transaction() as session:
        session[auth_views.PENDING_USER] = user.id
        session[auth_views.PENDING_SINCE] = time.time()
    html = client.get("/sign-in/set-up").get_data(as_text=True)
    assert re.search(r'<a class="govuk-link" href="otpauth://totp/[^"]+" id="authenticator-link">', html)


def test_the_language_label_is_bold_like_the_others(referrals_db, client):
    service = self_referral_service()
    walk_to_check(client, service.id)
    html = client.get(refer_url(service.id, "details")).get_data(as_text=True)
    labels = [label for label in re.findall(r'<label class="govuk-label([^"]*)"', html)
              if "govuk-visually-hidden" not in label]  # the field nobody sees, for bots
    assert len(labels) == 3 and all("govuk-label--s" in label for label in labels), labels


# -- Exit this page ------------------------------------------------------------------------------

DOMESTIC_ABUSE = "lanternway-domestic-abuse-outreach"


def test_exit_this_page_on_domestic_abuse_pages_only(client, surrey):
    exit_button = 'data-module="govuk-exit-this-page"'
    for path in (f"/services/{DOMESTIC_ABUSE}", "/categories/domestic-abuse", "/search?q=domestic+abuse"):
        html = client.get(path).get_data(as_text=True)
        assert exit_button in html, path
        assert 'href="https://www.bbc.co.uk/weather"' in html  # a link without JavaScript
    for path in ("/services/woking-youth-centre", "/search?q=parenting+course", "/"):
        assert exit_button not in client.get(path).get_data(as_text=True), path


def test_exit_this_page_on_the_referral_pages_of_those_services(referrals_db, client):
    service = db.session.get(Service, DOMESTIC_ABUSE)
    assert service.access == "self-referral"
    assert 'data-module="govuk-exit-this-page"' in client.get(refer_url(service.id)).get_data(as_text=True)
    post(client, service.id, "", {}, expect="/who")
    who = client.get(refer_url(service.id, "who")).get_data(as_text=True)
    assert 'data-module="govuk-exit-this-page"' in who


def test_no_referral_event_detail_is_shown_as_a_code(app):
    event = ReferralEvent(status="closed", actor="x",
                          details={"outcome": "support-completed", "note": "Done"})
    with app.test_request_context():
        shown = [(label, str(value)) for label, value in event_details(event)]
    assert shown == [("How it ended", "The support has finished"), ("Note", "Done")]


# -- 8. oversight: summary first, tables folded, one district to pick -------------------------

def test_oversight_summarises_first_then_folds_each_table(app, surrey, client):
    clear_people()
    sign_in(client, make_user("overseer@partnership.example.org", role="admin"))
    html = client.get("/admin/oversight/waiting").get_data(as_text=True)
    assert "<style" not in html  # its styles are in the site's stylesheet (no inline CSS)
    assert html.index("At a glance") < html.index('<details class="govuk-details ov-table-block"')
    assert html.count("<table") == html.count('<details class="govuk-details ov-table-block"') > 1
    assert '<select class="govuk-select" id="district" name="district">' in html
    assert "or choose one district above" in html
    woking = client.get("/admin/oversight/waiting?district=woking").get_data(as_text=True)
    assert "or choose one district above" not in woking
    # The overview is the summary: its one table is open.
    overview = client.get("/admin/oversight/").get_data(as_text=True)
    assert re.search(r'<details class="govuk-details ov-table-block" id="details-[\w-]+" open>', overview)


def test_chart_labels_are_never_cut_off():
    label = "Groups for parents and carers of children with special educational needs"
    svg = bar_chart("c", "Wait", [(label, 3), ("Short", 5)], table_id="t", table_caption="Waits")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert " ".join(texts[:2]) == label and "…" not in svg
    assert max(len(text) for text in texts) <= 44
