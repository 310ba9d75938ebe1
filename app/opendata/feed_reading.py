"""An Open Referral UK service, as another directory publishes it, in this directory's
terms: the services.yml shape that listing_entries writes, plus what only a feed says.

Only what this model holds is kept. Anything the model cannot hold as given is dropped
rather than guessed (coordinates outside the UK, a language that is not a two-letter code,
a schedule that is not weekly opening hours). Terms of this directory's own taxonomy
(access route, delivery, waiting time) are read back, so a listing travels between two
such directories whole.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from app.models import AccessRoute, Area, Category, DeliveryMode, ServiceKind, WaitingStatus
from app.opendata.terms import BYDAY, OWN_TERMS
from app.places.postcodes import InvalidPostcode, normalise_postcode

DAY_BY_CODE = {code: day for day, code in BYDAY.items()}
OWN_TERM_BY_ID = {term.id: term for term in OWN_TERMS}
ONS_CODE_RE = re.compile(r"[EWSN]\d{8}$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 ()-]+$")
NAME_MAX, SUMMARY_MAX, ADDRESS_MAX, EMAIL_MAX, URL_MAX, PHONE_MAX = 200, 200, 500, 254, 500, 40
# Choices where the standard has no field (README, "Feeds in").
DEFAULT_KIND = ServiceKind.COMMUNITY
DEFAULT_ACCESS = AccessRoute.SELF_REFERRAL


@dataclass
class RemoteService:
    remote_id: str
    status: str
    last_modified: str | None
    assured_date: date | None
    organisation: dict[str, Any]
    entry: dict[str, Any]  # services.yml shape, less id and organisation
    waiting_time: dict[str, Any] | None
    warnings: list[str] = field(default_factory=list)


def _text(value: Any, limit: int | None = None) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    value = " ".join(value.split()) if limit else value.strip()
    return value[:limit].rstrip() if limit else value


def _email(value: Any) -> str | None:
    text = _text(value, EMAIL_MAX)
    return text if text and EMAIL_RE.match(text) else None


def _web(value: Any) -> str | None:
    text = _text(value, URL_MAX)
    parts = urlsplit(text or "")
    return text if parts.scheme in ("http", "https") and parts.netloc else None


def _phone(value: Any) -> str | None:
    text = _text(value, PHONE_MAX)
    return text if text and PHONE_RE.match(text) else None


def _age(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 120:
        return None
    return int(value)


def summary_of(description: str, name: str) -> str:
    """The first sentence of the description, cut to fit: the standard has no summary."""
    first = re.split(r"(?<=[.!?])\s", " ".join(description.split()), maxsplit=1)[0] or name
    return first if len(first) <= SUMMARY_MAX else first[:SUMMARY_MAX - 1].rsplit(" ", 1)[0] + "…"


def organisation_of(document: dict) -> dict[str, Any]:
    organisation = document.get("organization") or {}
    return {
        "remote_id": organisation.get("id") or document.get("organization_id"),
        "name": _text(organisation.get("name"), NAME_MAX),
        "description": _text(organisation.get("description")),
        "website": _web(organisation.get("website")),
        "email": _email(organisation.get("email")),
        "phone": next(filter(None, (_phone(p.get("number"))
                                    for p in organisation.get("phones") or [])), None),
    }


def read_service(document: dict, areas: list[Area], categories: list[Category]) -> RemoteService:
    """A service checked against the standard's schema, in this directory's terms."""
    warnings: list[str] = []
    name = _text(document["name"], NAME_MAX) or "Unnamed service"
    description = _text(document.get("description")) or name
    own = _own_terms(document)
    locations = _locations(document, warnings)
    free, cost_note = _cost(document)
    contact = {key: value for key, value in {
        "phone": _contact_phone(document), "email": _email(document.get("email"))
        or next(filter(None, (_email(c.get("email")) for c in document.get("contacts") or [])), None),
        "website": _web(document.get("url"))}.items() if value}
    delivery = [mode for mode in DeliveryMode.ALL if f"delivery/{mode}" in own] \
        or (["in-person"] if locations else [])
    entry = {
        "name": name,
        "summary": summary_of(description, name),
        "description": description,
        "kind": DEFAULT_KIND,
        "categories": _categories(document, categories),
        "areas": _areas(document, areas),
        "access": next((route for route in AccessRoute.ALL if f"access-route/{route}" in own),
                       DEFAULT_ACCESS),
        "eligibility": {key: value for key, value in {
            "age_min": _age(document.get("minimum_age")),
            "age_max": _age(document.get("maximum_age")),
            "description": _text(document.get("eligibility_description"))}.items()
            if value is not None},
        "free": free,
        "cost_note": cost_note,
        "delivery": delivery,
        "languages": _languages(document),
        "contact": contact,
        "referral_email": None,
        "locations": locations,
        "schedule": _schedules(document),
        "keywords": [],
    }
    try:
        assured = date.fromisoformat(document["assured_date"]) if document.get("assured_date") \
            else None
    except ValueError:
        assured = None
    return RemoteService(
        remote_id=document["id"], status=document["status"],
        last_modified=_text(document.get("last_modified"), 40), assured_date=assured,
        organisation=organisation_of(document), entry=entry,
        waiting_time=_waiting_time(own), warnings=warnings)


def _own_terms(document: dict) -> dict[str, str | None]:
    """This directory's own terms among the attributes, by code, with their values."""
    found: dict[str, str | None] = {}
    for attribute in document.get("attributes") or []:
        term_id = attribute.get("taxonomy_term_id") or (attribute.get("taxonomy_term") or {}).get("id")
        if term_id in OWN_TERM_BY_ID:
            found[OWN_TERM_BY_ID[term_id].code] = attribute.get("value")
    return found


def _categories(document: dict, categories: list[Category]) -> list[str]:
    by_uuid = {category.uuid: category.id for category in categories}
    by_name = {category.name.casefold(): category.id for category in categories}
    by_code = {category.id: category.id for category in categories}
    found: list[str] = []
    for attribute in document.get("attributes") or []:
        term = attribute.get("taxonomy_term") or {}
        term_id = attribute.get("taxonomy_term_id") or term.get("id")
        match = by_uuid.get(term_id) or by_code.get(term.get("code")) \
            or by_name.get(str(term.get("name", "")).casefold())
        if match and match not in found:
            found.append(match)
    return found


def _areas(document: dict, areas: list[Area]) -> list[str]:
    by_code = {area.lad_code: area.id for area in areas}
    by_name = {area.name.casefold(): area.id for area in areas}
    found: list[str] = []
    for service_area in document.get("service_areas") or []:
        code = str(service_area.get("uri") or "").rstrip("/").rsplit("/", 1)[-1]
        match = by_code.get(code) if ONS_CODE_RE.match(code) else None
        match = match or by_name.get(str(service_area.get("name") or "").casefold())
        if match and match not in found:
            found.append(match)
    if areas and len(found) == len(areas):
        return ["all"]
    return sorted(found)


def _languages(document: dict) -> list[str]:
    codes = []
    for language in document.get("languages") or []:
        code = str(language.get("code") or "").strip().lower()
        if re.fullmatch(r"[a-z]{2}", code) and code not in codes:
            codes.append(code)
    return codes or ["en"]


def _cost(document: dict) -> tuple[bool, str]:
    """Free unless a cost option has a price; the options' words as the cost note."""
    options = document.get("cost_options") or []
    notes, free = [], True
    for option in options:
        label, amount = _text(option.get("option")), option.get("amount")
        words = _text(option.get("amount_description"))
        if label and label.casefold() == "free" and amount in (None, 0):
            notes.append(words or "")
            continue
        free = False
        price = None
        if isinstance(amount, int | float) and not isinstance(amount, bool):
            currency = option.get("currency") or "GBP"
            price = f"£{amount:g}" if currency == "GBP" else f"{amount:g} {currency}"
        notes.append(" ".join(filter(None, [f"{label}:" if label and (price or words) else label,
                                            price, words])) or "There is a charge")
    if not options and _text(document.get("fees")):
        notes.append(_text(document.get("fees")) or "")
    return free, "\n".join(note for note in notes if note)


def _contact_phone(document: dict) -> str | None:
    numbers = [phone.get("number") for contact in document.get("contacts") or []
               for phone in contact.get("phones") or []]
    numbers += [phone.get("number") for phone in document.get("phones") or []]
    return next(filter(None, map(_phone, numbers)), None)


def _locations(document: dict, warnings: list[str]) -> list[dict]:
    result = []
    for link in document.get("service_at_locations") or []:
        location = link.get("location") or {}
        addresses = location.get("addresses") or []
        address = next((a for a in addresses if a.get("address_type") == "physical"),
                       addresses[0] if addresses else {})
        street = ", ".join(filter(None, (_text(address.get(key)) for key in
                                         ("address_1", "address_2", "city"))))
        raw_postcode = _text(address.get("postal_code")) or ""
        entry: dict[str, Any] = {
            "name": _text(location.get("name"), NAME_MAX) or street[:NAME_MAX] or "Venue",
            "address": street[:ADDRESS_MAX]}
        try:
            entry["postcode"] = normalise_postcode(raw_postcode)
        except InvalidPostcode:
            # Kept as the feed gives it when it fits, with no position from the postcode table.
            entry["postcode"] = raw_postcode.upper()[:8] if len(raw_postcode) <= 8 else ""
            entry["latitude"] = entry["longitude"] = None
            warnings.append(f"location '{entry['name']}': {raw_postcode!r} is not a UK postcode")
        latitude, longitude = location.get("latitude"), location.get("longitude")
        if isinstance(latitude, int | float) and isinstance(longitude, int | float) \
                and 49 <= latitude <= 61 and -9 <= longitude <= 2.5:
            entry["latitude"], entry["longitude"] = float(latitude), float(longitude)
        elif latitude is not None or longitude is not None:
            warnings.append(f"location '{entry['name']}': {latitude}, {longitude} is not in the UK")
        result.append(entry)
    return result


def _schedules(document: dict) -> list[dict]:
    result = []
    for schedule in document.get("schedules") or []:
        days = [DAY_BY_CODE[code.strip()] for code in str(schedule.get("byday") or "").split(",")
                if code.strip() in DAY_BY_CODE]
        opens, closes = str(schedule.get("opens_at") or ""), str(schedule.get("closes_at") or "")
        if not days or not TIME_RE.match(opens) or not TIME_RE.match(closes) \
                or opens[:5] >= closes[:5] or schedule.get("freq", "WEEKLY") != "WEEKLY":
            continue
        entry = {"days": days, "opens": opens[:5], "closes": closes[:5]}
        note = _text(schedule.get("description")) or _text(schedule.get("notes"))
        if note:
            entry["note"] = note
        result.append(entry)
    return result


def _waiting_time(own: dict[str, str | None]) -> dict[str, Any] | None:
    status = next((s for s in WaitingStatus.ALL if f"waiting-time/{s}" in own), None)
    try:
        confirmed = date.fromisoformat(own.get("waiting-time/confirmed-on") or "")
    except ValueError:
        return None
    if status is None:
        return None
    weeks = own.get("waiting-time/weeks")
    return {"status": status, "weeks": int(weeks) if weeks and weeks.isdigit() else None,
            "updated": confirmed, "note": own.get("waiting-time/note")}
