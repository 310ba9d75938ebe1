"""Postcodes: normalising, validating, loading the postcode table and looking places up.

Lookup falls back from the unit postcode to its outcode centroid, and only when
configured to an online geocoder (geopy, one 2 s deadline in all and no retries, results
found cached; a geocoder that fails raises PlaceLookupUnavailable, so the page can say so).
"""

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, func, insert, select

from app.extensions import db
from app.models import Area, Outcode, Postcode

# The UK postcode format (BS 7666), after spaces are removed and letters upper-cased.
_OUTWARD = r"[A-PR-UWYZ](?:[A-HK-Y][0-9][A-Z0-9]?|[0-9][A-Z0-9]?)"
_UNIT_RE = re.compile(rf"^({_OUTWARD})([0-9][ABD-HJLNP-UW-Z]{{2}})$")
_OUTCODE_RE = re.compile(rf"^{_OUTWARD}$")


class InvalidPostcode(ValueError):
    """Not a UK postcode (unit or outcode)."""


class PlaceLookupUnavailable(RuntimeError):
    """The online geocoder did not answer in time (or at all): not known to be unknown."""


def normalise_postcode(raw: str) -> str:
    """`" gu216xx "` -> `"GU21 6XX"`; raises InvalidPostcode for anything else."""
    compact = re.sub(r"\s+", "", raw or "").upper()
    match = _UNIT_RE.match(compact)
    if not match:
        raise InvalidPostcode(f"'{raw.strip() if raw else raw}' is not a valid UK postcode")
    return f"{match.group(1)} {match.group(2)}"


def normalise_postcode_or_outcode(raw: str) -> str:
    """A full postcode normalised, or an outcode on its own (`"gu21"` -> `"GU21"`)."""
    compact = re.sub(r"\s+", "", raw or "").upper()
    if _OUTCODE_RE.match(compact):
        return compact
    return normalise_postcode(raw)


def outcode_of(postcode: str) -> str:
    return postcode.split(" ")[0]


@dataclass(frozen=True)
class Place:
    """Where a postcode is, and how precisely we know it."""

    query: str  # the normalised postcode or outcode
    latitude: float
    longitude: float
    precision: str  # "postcode" | "outcode" | "geocoder"
    lad_code: str | None = None

    @property
    def outcode(self) -> str:
        return outcode_of(self.query)


def lookup(raw: str) -> Place | None:
    """Find a postcode or outcode. None when it is valid but unknown everywhere.

    Raises InvalidPostcode when the text is not a UK postcode at all, and
    PlaceLookupUnavailable when only the geocoder could say and it failed.
    """
    query = normalise_postcode_or_outcode(raw)
    if " " in query:
        row = db.session.get(Postcode, query)
        if row is not None:
            return Place(query, row.latitude, row.longitude, "postcode", row.lad_code)
    outcode = db.session.get(Outcode, outcode_of(query))
    if outcode is not None:
        return Place(query, outcode.latitude, outcode.longitude, "outcode", None)
    geocode = _configured_geocoder()
    if geocode is not None:
        found = geocode(query)
        if found is not None:
            return Place(query, found[0], found[1], "geocoder", None)
    return None


def area_for(place: Place) -> Area | None:
    """The district a place is in, when the postcode table knows it."""
    if place.lad_code is None:
        return None
    return db.session.scalar(select(Area).where(Area.lad_code == place.lad_code))


def coordinates_for(postcode: str) -> tuple[float, float] | None:
    """Coordinates of a unit postcode or, failing that, its outcode centroid."""
    place = lookup(postcode)
    return (place.latitude, place.longitude) if place else None


def _configured_geocoder() -> Callable[[str], tuple[float, float] | None] | None:
    name = current_app.config.get("GEOCODER", "")
    if not name:
        return None
    return _geocoder(
        name,
        current_app.config["GEOCODER_USER_AGENT"],
        float(current_app.config["GEOCODER_TIMEOUT"]),
        current_app.config.get("GEOCODER_DOMAIN", ""),
        current_app.config.get("GEOCODER_SCHEME", "https"),
    )


@lru_cache(maxsize=4)
def _geocoder(name: str, user_agent: str, timeout: float, domain: str = "", scheme: str = "https"):
    from geopy.exc import GeopyError
    from geopy.geocoders import get_geocoder_for_service

    from app.places.deadline_http import DeadlineAdapter

    # geopy's default adapter retries twice, each try with its own per-read timeout.
    options = {"user_agent": user_agent, "timeout": timeout, "adapter_factory": DeadlineAdapter}
    if domain:
        options.update(domain=domain, scheme=scheme)
    geocoder = get_geocoder_for_service(name)(**options)

    @lru_cache(maxsize=4096)  # a failure raises, so it is not cached: the next search tries again
    def geocode(query: str) -> tuple[float, float] | None:
        try:
            found = geocoder.geocode(f"{query}, United Kingdom")
        except GeopyError as error:
            current_app.logger.warning("geocoder %s failed for %s: %s", name, outcode_of(query), error)
            raise PlaceLookupUnavailable(str(error)) from None
        return (found.latitude, found.longitude) if found else None

    return geocode


# --- Loading ---------------------------------------------------------------------------

# ONS Postcode Directory columns differ between releases: pcds / lat / long, and the
# district code under oslaua (older) or ladNNcd (newer).
_ONSPD_POSTCODE_COLUMNS = ("pcds", "pcd", "pcd2", "pcd7", "pcd8")
_BATCH = 5000


@dataclass
class LoadResult:
    kind: str  # "postcodes" | "outcodes"
    loaded: int
    skipped: int


def load_file(path: Path, progress: Callable[[int], None] | None = None) -> LoadResult:
    """Load a postcode CSV (the simple layout, the ONSPD layout, or outcode centroids).

    Replaces what was loaded before, in one transaction. Outcode centroids are
    recomputed from the unit postcodes when those are loaded.
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = {name.lower(): name for name in (reader.fieldnames or [])}
        if "outcode" in columns:
            return _load_outcodes(reader, columns)
        return _load_postcodes(reader, columns, progress)


def _column(columns: dict[str, str], *candidates: str, pattern: str | None = None) -> str | None:
    for candidate in candidates:
        if candidate in columns:
            return columns[candidate]
    if pattern:
        for lower, original in columns.items():
            if re.fullmatch(pattern, lower):
                return original
    return None


def _load_postcodes(reader: csv.DictReader, columns: dict[str, str], progress) -> LoadResult:
    postcode_col = _column(columns, "postcode", *_ONSPD_POSTCODE_COLUMNS)
    lat_col = _column(columns, "latitude", "lat")
    lon_col = _column(columns, "longitude", "long", "lon")
    lad_col = _column(columns, "lad_code", "oslaua", pattern=r"lad\d\dcd")
    terminated_col = _column(columns, "doterm")
    if not (postcode_col and lat_col and lon_col):
        raise ValueError(
            "the CSV needs a postcode column (postcode or pcds), latitude (or lat) and "
            f"longitude (or long); it has: {', '.join(columns.values())}"
        )

    def rows() -> Iterator[dict]:
        for row in reader:
            if terminated_col and row.get(terminated_col, "").strip():
                continue
            try:
                postcode = normalise_postcode(row[postcode_col])
                latitude, longitude = float(row[lat_col]), float(row[lon_col])
            except (InvalidPostcode, ValueError, TypeError):
                yield {}
                continue
            if latitude > 90:  # ONSPD marks "no coordinates" with 99.999999
                yield {}
                continue
            lad = (row.get(lad_col) or "").strip() if lad_col else ""
            yield {
                "postcode": postcode,
                "latitude": latitude,
                "longitude": longitude,
                "lad_code": lad or None,
            }

    loaded = skipped = 0
    seen: set[str] = set()
    db.session.execute(delete(Postcode))
    batch: list[dict] = []
    for row in rows():
        if not row or row["postcode"] in seen:
            skipped += 1
            continue
        seen.add(row["postcode"])
        batch.append(row)
        if len(batch) >= _BATCH:
            loaded += _insert(Postcode, batch, progress)
    loaded += _insert(Postcode, batch, progress)
    _recompute_outcodes()
    db.session.commit()
    return LoadResult("postcodes", loaded, skipped)


def _insert(model, batch: list[dict], progress) -> int:
    count = len(batch)
    if batch:
        db.session.execute(insert(model), batch)
        batch.clear()
        if progress:
            progress(count)
    return count


def _recompute_outcodes() -> None:
    """Outcode centroids from the loaded units; an outcode file loaded later overrides."""
    outcode = func.substr(Postcode.postcode, 1, func.length(Postcode.postcode) - 4)
    known = set(db.session.scalars(select(Outcode.outcode)))
    rows = db.session.execute(
        select(outcode, func.avg(Postcode.latitude), func.avg(Postcode.longitude)).group_by(
            outcode
        )
    ).all()
    new = [
        {"outcode": code, "latitude": float(lat), "longitude": float(lon)}
        for code, lat, lon in rows
        if code not in known
    ]
    if new:
        db.session.execute(insert(Outcode), new)


def _load_outcodes(reader: csv.DictReader, columns: dict[str, str]) -> LoadResult:
    lat_col = _column(columns, "latitude", "lat")
    lon_col = _column(columns, "longitude", "long", "lon")
    if not (lat_col and lon_col):
        raise ValueError("the outcode CSV needs latitude and longitude columns")
    loaded = skipped = 0
    batch = []
    for row in reader:
        code = re.sub(r"\s+", "", row[columns["outcode"]]).upper()
        try:
            latitude, longitude = float(row[lat_col]), float(row[lon_col])
        except (TypeError, ValueError):
            skipped += 1
            continue
        if not _OUTCODE_RE.match(code):
            skipped += 1
            continue
        batch.append({"outcode": code, "latitude": latitude, "longitude": longitude})
    db.session.execute(delete(Outcode))
    loaded = _insert(Outcode, batch, None)
    db.session.commit()
    return LoadResult("outcodes", loaded, skipped)


def known_postcodes(postcodes: set[str]) -> set[str]:
    """Which of these normalised postcodes the table knows (for the import's checks)."""
    found: set[str] = set()
    items = sorted(postcodes)
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        found.update(db.session.scalars(select(Postcode.postcode).where(Postcode.postcode.in_(chunk))))
    return found


def area_for_outcode(outcode: str) -> Area | None:
    """The district most of an outcode's postcodes are in."""
    lad_code = db.session.scalar(
        select(Postcode.lad_code).where(Postcode.postcode.like(f"{outcode} %"))
        .group_by(Postcode.lad_code).order_by(func.count().desc()).limit(1))
    if lad_code is None:
        return None
    return db.session.scalar(select(Area).where(Area.lad_code == lad_code))
