"""What people look for, kept for the partnership to see where help is missing.

Nothing personal: the words searched, the filters, and only the outcode of a postcode.
"""

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.directory import utcnow


class SearchRecord(db.Model):
    __tablename__ = "search_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    searched_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    terms: Mapped[str] = mapped_column(String(200), default="")
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    outcode: Mapped[str | None] = mapped_column(String(4), index=True)
    district: Mapped[str | None] = mapped_column(String(100), index=True)  # the outcode's district
    result_count: Mapped[int]
