"""How a listing's fields read on the provider and admin pages (diffs and versions): plain
text lines, which the templates escape, so anything that looks like markup shows as text."""

from typing import Any

from flask import Flask
from flask_babel import gettext
from sqlalchemy import select

from app import text
from app.directory.listing_fields import LABELS, listing_fields
from app.extensions import db
from app.models import AccessRoute, Area, Category
from app.web.templating import day_names, delivery_name, kind_name, language_name

ACCESS_NAMES = {AccessRoute.DROP_IN: "Drop in: no referral needed",
                AccessRoute.SELF_REFERRAL: "Families can refer themselves",
                AccessRoute.PROFESSIONAL_REFERRAL: "A professional refers the family"}


def _names(model, ids: list[str]) -> list[str]:
    found = {row.id: row.name for row in db.session.scalars(select(model).where(model.id.in_(ids)))}
    return [found.get(item, item) for item in ids]


def field_lines(key: str, value: Any) -> list[str]:
    """A field's value as lines of text; [] when it is empty."""
    if value in (None, "", [], {}):
        return []
    if key == "kind":
        return [kind_name(value).capitalize()]
    if key == "access":
        return [gettext(ACCESS_NAMES.get(value, value))]
    if key == "categories":
        return _names(Category, value)
    if key == "areas":
        return [gettext("All of the county")] if value == ["all"] else _names(Area, value)
    if key == "ages":
        low, high = value.get("age_min"), value.get("age_max")
        if low is not None and high is not None:
            return [gettext("%(low)d to %(high)d", low=low, high=high)]
        if low is not None:
            return [gettext("%(low)d and over", low=low)]
        if high is not None:
            return [gettext("Up to %(high)d", high=high)]
        return [gettext("Any age")]
    if key == "cost":
        lines = [gettext("Free") if value.get("free", True) else gettext("There is a cost")]
        return lines + ([value["cost_note"]] if value.get("cost_note") else [])
    if key == "delivery":
        return [", ".join(delivery_name(mode) for mode in value)]
    if key == "languages":
        return [", ".join(f"{language_name(code)} ({code})" for code in value)]
    if key == "keywords":
        return [", ".join(value)]
    if key == "locations":
        return [", ".join(part for part in (place.get("name"), place.get("address"), place.get("postcode"))
                          if part) for place in value]
    if key == "schedule":
        return [gettext("%(days)s, %(opens)s to %(closes)s", days=day_names(slot.get("days", [])),
                        opens=slot.get("opens"), closes=slot.get("closes"))
                + (f" ({slot['note']})" if slot.get("note") else "") for slot in value]
    return [str(value)]


def version_rows(data: dict[str, Any]) -> list[tuple[Any, list[str]]]:
    """A stored version (services.yml shape) as (label, lines) in form order."""
    fields = listing_fields(data)
    return [(LABELS[key], field_lines(key, fields[key])) for key in LABELS]


def register(app: Flask) -> None:
    app.jinja_env.filters.setdefault("listing_field_lines", lambda value, key: field_lines(key, value))
    app.jinja_env.filters.setdefault("plain_lines", text.lines)
    app.jinja_env.globals.setdefault("listing_version_rows", version_rows)
