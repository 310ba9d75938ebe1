"""'Open now' and 'opens Tuesday at 9:30', in UK time."""

from datetime import datetime

from app.models import Schedule
from app.services.opening import LONDON, opening_status

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
