"""The real Surrey directory in services.yml is complete and honest: every district,
kind, category and access route; fictional contacts; real postcodes in the right place."""

import csv
import re
from datetime import date

import pytest

from app.directory.directory_file import parse_directory_file
from app.places.postcodes import known_postcodes
from tests.conftest import ROOT, shared_path

TODAY = date(2026, 11, 26)  # the day the file was written; staleness is relative to it


@pytest.fixture(scope="module")
def content():
    return parse_directory_file((ROOT / "services.yml").read_text(encoding="utf-8"), today=TODAY)


def test_at_least_150_services_in_every_district(content):
    assert len(content.services) >= 150
    area_ids = {area["id"] for area in content.areas}
    assert len(area_ids) == 11
    covered = {area for service in content.services for area in service["areas"]}
    assert area_ids <= covered
    for area in area_ids:
        family_centres = [s for s in content.services if area in s["areas"]
                          and s["access"] == "drop-in" and "family centre" in s["name"].lower()]
        assert family_centres, f"no family centre in {area}"


def test_every_kind_access_route_and_leaf_category_is_used(content):
    assert {s["kind"] for s in content.services} == {"council", "commissioned", "community", "school"}
    assert {s["access"] for s in content.services} == {"drop-in", "self-referral",
                                                        "professional-referral"}
    leaves = {c["id"] for c in content.categories if c["parent"]}
    used = {category for s in content.services for category in s["categories"]}
    assert leaves <= used


def test_waiting_times_include_current_stale_and_closed(content):
    waits = [s["waiting_time"] for s in content.services if s["waiting_time"]]
    assert any((TODAY - w["updated"]).days <= 60 for w in waits)
    assert any((TODAY - w["updated"]).days > 60 for w in waits)
    assert any(w["status"] == "closed" for w in waits)
    assert any(w["status"] == "waitlist" for w in waits)


def test_the_services_the_inspection_names_are_listed(content):
    names = " | ".join(s["name"].lower() for s in content.services)
    for needle in ("single point of access", "family support programme", "targeted youth support",
                   "specialist teaching", "mentoring", "domestic abuse", "youth justice"):
        assert needle in names, needle


def test_contacts_are_fictional(content):
    text = (ROOT / "services.yml").read_text(encoding="utf-8")
    for phone in re.findall(r"phone: (.+)", text):
        assert re.fullmatch(r"01632 960\d{3}", phone.strip()), phone
    for email in re.findall(r"(?:email|referral_email): (.+)", text):
        assert email.strip().endswith("@example.org"), email
    for website in re.findall(r"website: (.+)", text):
        assert re.match(r"https://(www\.)?example\.org", website.strip()), website


def test_locations_are_real_postcodes_in_the_services_districts(app, content):
    lad_by_area = {area["id"]: area["lad_code"] for area in content.areas}
    rows = {}
    with open(ROOT / "data" / "postcodes-surrey.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            rows[row["postcode"]] = row["lad_code"]
    all_postcodes = {loc["postcode"] for s in content.services for loc in s["locations"]}
    assert known_postcodes(all_postcodes) == all_postcodes
    for service in content.services:
        if service["areas"] == ["all"]:
            continue
        districts = {lad_by_area[a] for a in service["areas"]}
        for location in service["locations"]:
            assert rows[location["postcode"]] in districts, (service["id"], location["postcode"])


def test_areas_are_the_ons_districts(content):
    with open(shared_path("data", "surrey-districts.csv"), newline="") as handle:
        ons = {row["lad_code"]: row["name"] for row in csv.DictReader(handle)}
    assert {a["lad_code"]: a["name"] for a in content.areas} == ons


def test_top_level_categories_are_the_dfe_family_hubs_categories(content):
    with open(shared_path("spec", "taxonomies", "dfe-family-hubs-service-categories.csv"),
              newline="") as handle:
        dfe = {row["name"] for row in csv.DictReader(handle) if row["level"] == "1"}
    assert {c["name"] for c in content.categories if not c["parent"]} == dfe
