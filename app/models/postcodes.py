"""Postcode geography: unit postcodes and outcode centroids."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Postcode(db.Model):
    __tablename__ = "postcode"
    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)  # normalised "GU21 6XX"
    latitude: Mapped[float]
    longitude: Mapped[float]
    lad_code: Mapped[str | None] = mapped_column(String(9), index=True)


class Outcode(db.Model):
    """Centroid of an outward code ("GU21"), the fallback for an unknown unit postcode."""

    __tablename__ = "outcode"
    outcode: Mapped[str] = mapped_column(String(4), primary_key=True)
    latitude: Mapped[float]
    longitude: Mapped[float]
