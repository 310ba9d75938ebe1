"""Counting the steps before a referral that leave no other trace: a service's page being
viewed, and a referral journey being started. One number a day per service and kind, so
nothing about who, from where or at what time."""

from datetime import date

from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from app.dates import local_date
from app.extensions import db
from app.models.activity import ActivityCount, ActivityKind
from app.models.directory import utcnow


def count_activity(kind: str, service_id: str, day: date | None = None) -> None:
    """Adds one to today's count (the day in England) for this service.

    An upsert, so concurrent workers never lose or duplicate a row. It runs on its own
    connection and commits at once: the caller's session (and the objects its page is
    about to render) is left alone. A count that cannot be written is logged and dropped,
    never allowed to cost a family the page.
    """
    if kind not in ActivityKind.ALL:
        raise ValueError(f"unknown activity {kind!r}")
    table = ActivityCount.__table__
    dialect = db.engine.dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        raise NotImplementedError(f"count_activity has no upsert for {dialect}")
    statement = insert(table).values(day=day or local_date(utcnow()), kind=kind,
                                     service_id=service_id, count=1)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.day, table.c.kind, table.c.service_id],
        set_={"count": table.c.count + 1})
    try:
        with db.engine.begin() as connection:
            connection.execute(statement)
    except SQLAlchemyError:
        current_app.logger.warning("could not count %s for %s", kind, service_id, exc_info=True)
