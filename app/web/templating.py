"""Jinja filters and globals: how dates, waits, days and languages read on the page."""

import contextlib
from datetime import date, datetime
from urllib.parse import quote

from babel import Locale
from flask import Flask, current_app, g
from flask_babel import (
    format_date,
    format_datetime,
    format_time,
    format_timedelta,
    get_locale,
    gettext,
    lazy_gettext,
    ngettext,
)

from app import text
from app.dates import today_in_england
from app.directory import listings
from app.directory.opening import opening_status
from app.extensions import DATABASE_UNAVAILABLE, database_unreachable, db
from app.models import Location, WaitingStatus, WaitingTime

DAY_NAMES = {"mon": lazy_gettext("Monday"), "tue": lazy_gettext("Tuesday"),
             "wed": lazy_gettext("Wednesday"), "thu": lazy_gettext("Thursday"),
             "fri": lazy_gettext("Friday"), "sat": lazy_gettext("Saturday"),
             "sun": lazy_gettext("Sunday")}
# Whole sentences, one a day: in Polish and Ukrainian the day's form follows the sentence.
OPENS_ON_DAY = (lazy_gettext("Opens Monday at %(time)s"), lazy_gettext("Opens Tuesday at %(time)s"),
                lazy_gettext("Opens Wednesday at %(time)s"), lazy_gettext("Opens Thursday at %(time)s"),
                lazy_gettext("Opens Friday at %(time)s"), lazy_gettext("Opens Saturday at %(time)s"),
                lazy_gettext("Opens Sunday at %(time)s"))


def delivery_name(mode: str) -> str:
    names = {"in-person": gettext("In person"), "online": gettext("Online"),
             "phone": gettext("By phone"), "home-visit": gettext("Home visits")}
    return names.get(mode, mode)


def kind_name(kind: str) -> str:
    names = {"council": gettext("council service"), "commissioned": gettext("commissioned service"),
             "community": gettext("community organisation"), "school": gettext("school-based")}
    return names.get(kind, kind)


def today() -> date:
    return today_in_england()


def language_name(code: str) -> str:
    locale = Locale.parse(str(get_locale() or "en"))
    return locale.languages.get(code, code)


def day_names(days: list[str]) -> str:
    """"Monday, Tuesday and Friday", starting with a capital (Polish and Ukrainian day
    names are lower case)."""
    names = [str(DAY_NAMES[day]) for day in days if day in DAY_NAMES]
    if len(names) <= 1:
        text = "".join(names)
    else:
        text = gettext("%(first)s and %(last)s", first=", ".join(names[:-1]), last=names[-1])
    return text[:1].upper() + text[1:]


def waiting_summary(waiting: WaitingTime | None) -> str:
    if waiting is None:
        return gettext("The service has not said how long the wait is")
    if waiting.status == WaitingStatus.OPEN:
        return gettext("Taking referrals now, no waiting list")
    if waiting.status == WaitingStatus.CLOSED:
        return gettext("Not taking new referrals at the moment")
    return ngettext("Waiting list of about %(num)d week", "Waiting list of about %(num)d weeks",
                    waiting.weeks or 0)


def waiting_is_stale(waiting: WaitingTime | None) -> bool:
    if waiting is None:
        return False
    return listings.is_stale(waiting.confirmed_on, today(),
                             current_app.config["WAITING_TIME_STALE_DAYS"])


def long_date(value: date) -> str:
    return format_date(value, format="d MMMM y")


def local_time(value: datetime) -> str:
    """A stored (UTC) moment in England's time, as people there read it: 8 December 2026, 16:09."""
    return format_datetime(value, format="d MMMM y, HH:mm")


def days_ago(value: date, exact: bool = False) -> str:
    """"today", "yesterday", "3 days ago", "2 months ago", in the page's language. `exact`
    keeps counting in days ("6 days ago", not "1 week ago"), where the days matter (a
    referral's age against its 5- and 20-day deadlines)."""
    days = (today() - value).days
    if days <= 0:
        return gettext("today")
    if days == 1:
        return gettext("yesterday")
    return format_timedelta(value - today(), granularity="day", add_direction=True,
                            threshold=days + 1 if exact else 0.85)


def directions_url(location: Location) -> str:
    if location.latitude is not None:
        destination = f"{location.latitude:.6f},{location.longitude:.6f}"
    else:
        destination = f"{location.address}, {location.postcode}"
    return "https://www.google.com/maps/dir/?api=1&destination=" + quote(destination)


def tel_href(phone: str) -> str:
    return "tel:" + "".join(ch for ch in phone if ch.isdigit() or ch == "+")


def opening_text(schedules) -> str:
    status = opening_status(schedules)
    if status is None:
        return ""
    time_text = format_time(datetime.strptime(status.time, "%H:%M").time(), "H:mm")
    if status.open_now:
        return gettext("Open now, until %(time)s", time=time_text)
    if status.days_ahead == 0:
        return gettext("Opens today at %(time)s", time=time_text)
    if status.days_ahead == 1:
        return gettext("Opens tomorrow at %(time)s", time=time_text)
    return str(OPENS_ON_DAY[status.weekday]) % {"time": time_text}


def is_open_now(schedules) -> bool:
    status = opening_status(schedules)
    return bool(status and status.open_now)


def register_templating(app: Flask) -> None:
    app.jinja_env.filters.update(
        language_name=language_name, day_names=day_names, waiting_summary=waiting_summary,
        waiting_is_stale=waiting_is_stale, long_date=long_date, local_time=local_time, days_ago=days_ago,
        directions_url=directions_url, tel_href=tel_href, paragraphs=text.paragraphs,
        text_lines=text.lines,
        delivery_name=delivery_name, kind_name=kind_name, opening_text=opening_text,
        is_open_now=is_open_now)

    app.jinja_env.globals.update(joined_lines=text.joined_lines, word_diff=text.word_diff)

    @app.context_processor
    def directory_context() -> dict:
        if not g.get("database_unavailable"):
            try:
                return {"directory": listings.directory_settings(), "today": today()}
            except DATABASE_UNAVAILABLE as error:  # any page (a 400, say) while it is down
                if not database_unreachable(error):
                    raise
                g.database_unavailable, g.user = True, None
                with contextlib.suppress(Exception):
                    db.session.rollback()
        # The 503 page, or a page made while the database is down: nothing from it.
        return {"directory": listings.offline_directory_settings(), "today": today()}
