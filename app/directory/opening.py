"""Whether a service is open now, or when it next opens, in the UK's local time."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.models import Schedule

LONDON = ZoneInfo("Europe/London")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class OpeningStatus:
    open_now: bool
    time: str  # closing time when open, opening time when not ("09:30")
    days_ahead: int  # 0 today, 1 tomorrow, ...
    weekday: int  # 0 Monday


def opening_status(schedules: list[Schedule], now: datetime | None = None) -> OpeningStatus | None:
    """None when the service has no regular opening times."""
    if not schedules:
        return None
    now = (now or datetime.now(LONDON)).astimezone(LONDON)
    clock = now.strftime("%H:%M")
    for days_ahead in range(8):
        day = now + timedelta(days=days_ahead)
        key = DAYS[day.weekday()]
        slots = sorted((s.opens, s.closes) for s in schedules if key in s.days)
        for opens, closes in slots:
            if days_ahead == 0 and opens <= clock < closes:
                return OpeningStatus(True, closes, 0, day.weekday())
            if days_ahead > 0 or clock < opens:
                return OpeningStatus(False, opens, days_ahead, day.weekday())
    return None
