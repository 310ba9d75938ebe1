"""Opaque ids in staff URLs: referrals, users, listing changes, feedback and emails are
addressed by a random uuid, so a URL says nothing about how many there are or which is
next. Integer links already sent by email still work: a GET by the signed-in person who
may see the object is redirected to its uuid URL; anything else is a 404."""

from typing import TypeVar

from flask import abort, redirect, request, url_for
from sqlalchemy import select
from werkzeug.routing import BaseConverter

from app.extensions import db

UUID_PATTERN = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
LEGACY_MAX = 2**31 - 1  # the integer ids PostgreSQL holds

Row = TypeVar("Row")


class OpaqueIdConverter(BaseConverter):
    """<key:name>: a uuid (what URLs are built with), or an old integer id from an email."""

    regex = rf"{UUID_PATTERN}|[0-9]{{1,10}}"


def find(model: type[Row], key: str) -> tuple[Row | None, bool]:
    """The row and whether the key was an old integer id."""
    if key.isdigit():
        number = int(key)
        return (db.session.get(model, number) if number <= LEGACY_MAX else None), True
    return db.session.scalar(select(model).where(model.uuid == key)), False


def follow_legacy(row, argument: str) -> None:
    """For a row found by an old integer id that the user may see: a GET goes to the uuid
    URL; any other method is a 404 (no form was ever built with an integer id since)."""
    if request.method != "GET":
        abort(404)
    values = {**(request.view_args or {}), argument: row.uuid, **request.args.to_dict()}
    abort(redirect(url_for(request.endpoint, **values)))


def get_or_404(model: type[Row], key: str, argument: str) -> Row:
    """For admins, who may see every row."""
    row, legacy = find(model, key)
    if row is None:
        abort(404)
    if legacy:
        follow_legacy(row, argument)
    return row


def init_app(app) -> None:
    app.url_map.converters["key"] = OpaqueIdConverter
