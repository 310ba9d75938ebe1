"""The search change log: one row for every committed change that affects search.

Rows are written in the same transaction as the change (the outbox pattern), so a change
that commits is never lost to search and one that rolls back leaves no row. Every server
reads the log into its own index (app/search/applier.py); nothing deletes a row but the
retention pruning, because each server reads every row.
"""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.directory import utcnow


class SearchChange(db.Model):
    __tablename__ = "search_change"
    # AUTOINCREMENT: SQLite must never reuse a number after pruning empties the table, or a
    # server would take a new change for one it has already applied.
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The service to read again; None: every service (an area, category or organisation).
    service_id: Mapped[str | None] = mapped_column(String(100))
