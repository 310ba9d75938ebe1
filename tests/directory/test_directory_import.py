"""The import rules of services.yml: created/updated/unchanged/kept/pruned, newer waiting
times never overwritten, one transaction, and export then import is a no-op."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.directory import directory_sync
from app.directory.directory_file import parse_directory_file
from app.extensions import db
from app.models import Location, Service, WaitingTime
from tests.conftest import ROOT, import_text

BASE = """\
version: 1
directory:
  name: Test Directory
  area: Surrey
  safeguarding: If a child is in immediate danger, call 999.
areas:
  - id: woking
    name: Woking
    lad_code: E07000217
  - id: runnymede
    name: Runnymede
    lad_code: E07000212
categories:
  - id: family-support
    name: Family support
  - id: parenting
    name: Parenting support
    parent: family-support
    keywords: [behaviour, tantrums]
organisations:
  - id: example-trust
    name: Example Trust
    phone: 01632 960001
services:
  - id: woking-parenting
    organisation: example-trust
    name: Parenting course
    summary: A ten-week group course.
    description: |
      Meet other parents.

      Learn new ways to manage behaviour.
    kind: community
    categories: [parenting]
    areas: [woking, runnymede]
    access: self-referral
    referral_email: referrals@example.org
    delivery: [in-person]
    contact:
      phone: 01632 960123
    locations:
      - name: Woking Family Centre
        address: 1 Example Road, Woking
        postcode: gu21 6aa
    waiting_time:
      status: waitlist
      weeks: 6
      updated: 2026-01-10
"""


@pytest.fixture
def base(empty_directory):
    import_text(BASE)


def counts(report, name="services"):
    return {k: v for k, v in report.counts[name].items() if v}


def test_first_import_creates_everything(empty_directory):
    report = import_text(BASE)
    assert counts(report, "areas") == {"created": 2}
    assert counts(report, "categories") == {"created": 2}
    assert counts(report, "organisations") == {"created": 1}
    assert counts(report) == {"created": 1}
    service = db.session.get(Service, "woking-parenting")
    assert service.locations[0].postcode == "GU21 6AA"  # stored normalised
    assert service.locations[0].latitude == pytest.approx(51.32, abs=0.05)  # from the postcode
    assert service.current_waiting_time.weeks == 6
    assert service.description == "Meet other parents.\n\nLearn new ways to manage behaviour."


def test_second_import_is_all_unchanged(base):
    report = import_text(BASE)
    for name in ("areas", "categories", "organisations", "services"):
        assert set(counts(report, name)) == {"unchanged"}, name


def test_category_and_area_order_does_not_count_as_a_change(base):
    report = import_text(BASE.replace("areas: [woking, runnymede]", "areas: [runnymede, woking]"))
    assert counts(report) == {"unchanged": 1}


def test_changed_field_updates_and_keeps_the_location_uuid(base):
    before = db.session.scalar(select(Location.uuid))
    report = import_text(BASE.replace("A ten-week group course.", "An eight-week course."))
    assert counts(report) == {"updated": 1}
    assert db.session.get(Service, "woking-parenting").summary == "An eight-week course."
    assert db.session.scalar(select(Location.uuid)) == before


def test_newer_waiting_time_in_the_site_is_kept(base):
    service = db.session.get(Service, "woking-parenting")
    service.waiting_times.append(WaitingTime(status="open", weeks=None,
                                             confirmed_on=date(2026, 3, 1), source="provider"))
    db.session.commit()
    report = import_text(BASE)
    assert counts(report) == {"unchanged": 1, "kept": 1}
    assert db.session.get(Service, "woking-parenting").current_waiting_time.status == "open"


def test_newer_waiting_time_in_the_file_is_added_to_the_history(base):
    report = import_text(BASE.replace("weeks: 6\n      updated: 2026-01-10",
                                      "weeks: 3\n      updated: 2026-02-01"))
    assert counts(report) == {"updated": 1}
    history = db.session.get(Service, "woking-parenting").waiting_times
    assert [(w.weeks, w.confirmed_on) for w in history] == [
        (6, date(2026, 1, 10)), (3, date(2026, 2, 1))]


def test_service_not_in_the_file_is_left_alone_unless_pruned(base):
    without = BASE.split("services:")[0] + "services: []\n"
    report = import_text(without)
    assert counts(report) == {}
    assert db.session.get(Service, "woking-parenting").status == "published"
    report = directory_sync.import_directory(parse_directory_file(without), prune=True)
    assert counts(report) == {"pruned": 1}
    service = db.session.get(Service, "woking-parenting")
    assert service.status == "withdrawn"
    assert service.waiting_times, "history is kept when a service is withdrawn"
    report = import_text(BASE)
    assert counts(report) == {"updated": 1}
    assert db.session.get(Service, "woking-parenting").status == "published"


def test_prune_removes_unused_organisations_and_keeps_used_ones(base):
    with_extra = BASE.replace("organisations:\n", "organisations:\n  - id: spare\n    name: Spare\n")
    import_text(with_extra)
    report = directory_sync.import_directory(parse_directory_file(BASE), prune=True)
    assert counts(report, "organisations") == {"unchanged": 1, "pruned": 1}


def test_dry_run_writes_nothing(empty_directory):
    report = directory_sync.import_directory(parse_directory_file(BASE), dry_run=True)
    assert counts(report) == {"created": 1}
    assert db.session.scalar(select(func.count()).select_from(Service)) == 0


def test_a_failure_mid_import_leaves_nothing(base, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(directory_sync, "_apply_waiting_time", explode)
    changed = BASE.replace("A ten-week group course.", "Changed.")
    with pytest.raises(RuntimeError):
        import_text(changed)
    assert db.session.get(Service, "woking-parenting").summary == "A ten-week group course."


def test_waiting_time_dated_today_is_accepted(empty_directory):
    today = date.today().isoformat()
    import_text(BASE.replace("2026-01-10", today))
    future = (date.today() + timedelta(days=1)).isoformat()
    with pytest.raises(Exception, match="problem"):
        import_text(BASE.replace("2026-01-10", future))


def test_export_then_import_is_a_no_op_on_the_real_directory(surrey):
    exported = directory_sync.export_directory()
    report = import_text(exported)
    for name in ("areas", "categories", "organisations", "services"):
        assert set(counts(report, name)) == {"unchanged"}, (name, counts(report, name))
    assert directory_sync.export_directory() == exported


def test_real_directory_imports_twice_unchanged(surrey):
    text = (ROOT / "services.yml").read_text(encoding="utf-8")
    report = import_text(text)
    assert counts(report) == {"unchanged": 169}


def test_yaml_merge_keys_are_not_mistaken_for_duplicate_fields(empty_directory):
    shared = BASE.replace("    contact:\n      phone: 01632 960123\n",
                          "    contact: &contact\n      phone: 01632 960123\n")
    assert counts(import_text(shared)) == {"created": 1}


def test_version_must_be_the_whole_number_one(empty_directory):
    with pytest.raises(Exception, match="problem"):
        import_text(BASE.replace("version: 1", "version: 1.0"))


def test_uuids_are_the_same_when_the_directory_is_rebuilt(base):
    first = db.session.get(Service, "woking-parenting")
    uuids = (first.uuid, first.locations[0].uuid, first.organisation.uuid)
    from tests.conftest import empty_the_directory

    empty_the_directory()
    import_text(BASE)
    again = db.session.get(Service, "woking-parenting")
    assert (again.uuid, again.locations[0].uuid, again.organisation.uuid) == uuids


def test_a_location_change_marks_the_service_modified(base):
    before = db.session.get(Service, "woking-parenting").updated_at
    import_text(BASE.replace("1 Example Road, Woking", "2 Example Road, Woking"))
    assert db.session.get(Service, "woking-parenting").updated_at > before
