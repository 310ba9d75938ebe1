"""'Open now' and 'opens Tuesday at 9:30', in UK time."""

from datetime import UTC, datetime

from app.directory.opening import LONDON, opening_status
from app.models import Schedule

MON_WED_MORNINGS = [Schedule(days=["mon", "wed"], opens="09:30", closes="12:00")]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def test_open_now_until_closing():
    status = opening_status(MON_WED_MORNINGS, at("2026-11-23 10:00"))  # a Monday
    assert (status.open_now, status.time) == (True, "12:00")


def test_later_today():
    status = opening_status(MON_WED_MORNINGS, at("2026-11-23 08:00"))
    assert (status.open_now, status.time, status.days_ahead) == (False, "09:30", 0)


def test_next_open_day_after_closing():
    status = opening_status(MON_WED_MORNINGS, at("2026-11-23 12:00"))
    assert (status.open_now, status.days_ahead, status.weekday) == (False, 2, 2)  # Wednesday


def test_wraps_to_next_week():
    status = opening_status(MON_WED_MORNINGS, at("2026-11-26 15:00"))  # Thursday
    assert (status.days_ahead, status.weekday, status.time) == (4, 0, "09:30")


def test_no_schedule_says_nothing():
    assert opening_status([], at("2026-11-23 10:00")) is None


def test_the_service_page_shows_when_it_opens(surrey, client):
    html = client.get("/services/woking-youth-centre").get_data(as_text=True)
    assert "Open now, until" in html or "Opens " in html


def test_a_utc_time_after_midnight_in_summer_is_already_the_next_day_in_england():
    # 23:30 UTC on Sunday 28 June 2026 is 00:30 on Monday in England (BST).
    late = datetime(2026, 6, 28, 23, 30, tzinfo=UTC)
    status = opening_status(MON_WED_MORNINGS, late)
    assert (status.open_now, status.days_ahead, status.weekday, status.time) == (False, 0, 0, "09:30")
    night = [Schedule(days=["mon"], opens="00:00", closes="01:00")]
    assert opening_status(night, late).open_now


def test_the_clocks_going_back_do_not_move_opening_hours():
    # Sunday 25 October 2026, 01:30 UTC: the clocks went back at 02:00 BST, so 01:30 GMT.
    status = opening_status(MON_WED_MORNINGS, datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    assert (status.days_ahead, status.weekday, status.time) == (1, 0, "09:30")
    # Monday 09:00 UTC is 09:00 GMT in winter (before opening), but 10:00 BST in summer.
    assert not opening_status(MON_WED_MORNINGS, datetime(2026, 10, 26, 9, 0, tzinfo=UTC)).open_now
    assert opening_status(MON_WED_MORNINGS, datetime(2026, 6, 29, 9, 0, tzinfo=UTC)).open_now
