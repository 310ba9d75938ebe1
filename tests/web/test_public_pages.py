"""Every public page, on the real Surrey directory, renders what a family needs."""

import re

import pytest

from app.extensions import db
from app.models import Area, Category, Service
from tests.conftest import check_page


def test_home_page_has_search_and_browse_links(surrey, client):
    response = client.get("/")
    check_page(response)
    html = response.get_data(as_text=True)
    assert 'action="/search"' in html
    assert 'name="q"' in html and 'name="postcode"' in html
    for area in db.session.scalars(db.select(Area)):
        assert f'href="/areas/{area.id}"' in html
    for category in db.session.scalars(db.select(Category).where(Category.parent_id.is_(None))):
        assert f'href="/categories/{category.id}"' in html
    # A family that has lost the email can still find its referral from any page.
    assert '<a class="govuk-footer__link" href="/referrals/track">Follow a referral</a>' in html


def test_every_district_page_lists_local_and_county_wide_services(surrey, client):
    for area in db.session.scalars(db.select(Area)):
        response = client.get(f"/areas/{area.id}")
        check_page(response)
        html = response.get_data(as_text=True)
        assert f"Family support in {area.name}" in html
        assert "Children&#39;s Single Point of Access" in html  # county-wide, on every district
        local = [s for s in area_services(area)]
        assert local, f"no services in {area.name}"
        for service in local:
            assert f'href="/services/{service.id}"' in html


def area_services(area):
    return db.session.scalars(db.select(Service).where(Service.areas.any(Area.id == area.id)))


def test_every_category_page_lists_its_services(surrey, client):
    for category in db.session.scalars(db.select(Category)):
        response = client.get(f"/categories/{category.id}")
        check_page(response)
        html = response.get_data(as_text=True)
        ids = {category.id, *(child.id for child in category.children)}
        services = db.session.scalars(
            db.select(Service).where(Service.categories.any(Category.id.in_(ids)))).all()
        assert services, f"category {category.id} has no services"
        for service in services:
            assert f'href="/services/{service.id}"' in html


def test_every_service_page_renders(surrey, client):
    for service in db.session.scalars(db.select(Service)):
        response = client.get(f"/services/{service.id}")
        check_page(response)
        assert service.name.replace("'", "&#39;") in response.get_data(as_text=True)


def test_service_page_shows_how_to_get_help_and_the_wait(surrey, client):
    html = client.get("/services/woking-youth-centre").get_data(as_text=True)
    assert "Drop in: no referral needed" in html
    assert "Opening times" in html
    assert "https://www.google.com/maps/dir/?api=1&amp;destination=51." in html
    assert "This listing was last reviewed on" in html


def test_self_referral_page_gives_contact_and_confirmed_wait(surrey, client):
    service = db.session.scalars(db.select(Service).where(
        Service.access == "self-referral", Service.contact_phone.is_not(None))).first()
    html = client.get(f"/services/{service.id}").get_data(as_text=True)
    assert "You can refer yourself" in html
    digits = re.sub(r"\D", "", service.contact_phone)
    assert f'href="tel:{digits}"' in html
    waiting = service.current_waiting_time
    if waiting:
        assert "Confirmed by the service on" in html


def test_self_referral_with_a_website_has_a_start_button(surrey, client):
    service = db.session.scalars(db.select(Service).where(
        Service.access == "self-referral", Service.contact_website.is_not(None))).first()
    html = client.get(f"/services/{service.id}").get_data(as_text=True)
    assert "govuk-button--start" in html
    assert f'href="{service.contact_website}"' in html
    professional = client.get("/services/childrens-single-point-of-access").get_data(as_text=True)
    assert "govuk-button--start" not in professional


def test_stale_waiting_time_is_flagged_and_current_one_is_not(surrey, client):
    services = db.session.scalars(db.select(Service)).all()
    stale = [s for s in services if s.current_waiting_time
             and (s.current_waiting_time.age_in_days(_today()) > 60)]
    fresh = [s for s in services if s.current_waiting_time
             and s.current_waiting_time.age_in_days(_today()) <= 60]
    assert stale and fresh
    warning = "may have changed. Check with the service"
    assert warning in client.get(f"/services/{stale[0].id}").get_data(as_text=True)
    assert warning not in client.get(f"/services/{fresh[0].id}").get_data(as_text=True)


def _today():
    from datetime import date

    return date.today()


def test_professional_referral_page_says_who_can_refer(surrey, client):
    html = client.get("/services/childrens-single-point-of-access").get_data(as_text=True)
    assert "A professional, such as a school or GP, refers you" in html


@pytest.mark.parametrize("path", ["/accessibility", "/privacy", "/cookies", "/about-the-data"])
def test_information_pages(surrey, client, path):
    check_page(client.get(path))


def test_about_the_data_shows_the_ogl_attribution(surrey, client):
    html = client.get("/about-the-data").get_data(as_text=True)
    assert "Contains OS data © Crown copyright and database right 2025." in html
    assert "Open Government Licence v3.0" in html


@pytest.mark.parametrize("path", ["/services/no-such-service", "/areas/atlantis",
                                  "/categories/nothing", "/no/such/page"])
def test_unknown_pages_are_404_in_the_site_style(surrey, client, path):
    parser = check_page(client.get(path), status=404)
    assert "Page not found" in parser.title


def test_withdrawn_service_is_not_public(surrey, client):
    service = db.session.get(Service, "woking-youth-centre")
    service.status = "withdrawn"
    db.session.commit()
    try:
        assert client.get("/services/woking-youth-centre").status_code == 404
        assert 'href="/services/woking-youth-centre"' not in client.get(
            "/areas/woking").get_data(as_text=True)
    finally:
        service.status = "published"
        db.session.commit()


def test_an_unexpected_error_gets_the_500_page(app, surrey, monkeypatch):
    from app.directory import listings

    def broken():
        raise RuntimeError("database went away")

    monkeypatch.setattr(listings, "all_areas", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = app.test_client().get("/")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)


def test_a_change_that_collides_with_another_gets_a_409_and_nothing_half_saved(app, surrey, monkeypatch):
    """What two admins deciding at the same moment cause: the database refuses the second
    write (a real unique-constraint failure here); that person is told to reload and retry."""
    from app.directory import listings

    real_all_areas = listings.all_areas

    def colliding():
        woking = db.session.get(Area, "woking")
        db.session.add(Area(id="woking-copy", lad_code=woking.lad_code, name="Woking again"))
        db.session.flush()

    monkeypatch.setattr(listings, "all_areas", colliding)
    response = app.test_client().get("/")
    assert response.status_code == 409
    assert "Someone else changed this at the same moment" in response.get_data(as_text=True)

    monkeypatch.setattr(listings, "all_areas", real_all_areas)
    assert app.test_client().get("/").status_code == 200
    assert db.session.get(Area, "woking-copy") is None


@pytest.mark.parametrize("path", ["/areas/woking", "/categories/parenting", "/accessibility",
                                  "/services/woking-youth-centre", "/no/such/page"])
def test_every_page_has_a_site_search_box(surrey, client, path):
    html = client.get(path).get_data(as_text=True)
    assert 'id="site-search" name="q"' in html and 'action="/search"' in html
