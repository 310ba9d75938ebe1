"""The reference: the same directory and queries answered by SQLite FTS5, with an R*Tree
for distance. Built from the benchmark's own database so both answer over the same data."""

import math
import sqlite3
import time
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import Service
from app.search.query import FILLER_WORDS, Criteria, clean_text
from app.search.schema import age_tokens, wait_weeks_of

SCHEMA = """
CREATE VIRTUAL TABLE doc USING fts5(name, summary, description, keywords, categories,
                                    tokenize='porter unicode61');
CREATE TABLE facts (id INTEGER PRIMARY KEY, slug TEXT, access TEXT, kind TEXT, free INTEGER,
                    age_min INTEGER, age_max INTEGER, wait_weeks INTEGER);
CREATE TABLE coverage (service INTEGER, area TEXT);
CREATE INDEX coverage_area ON coverage(area, service);
CREATE VIRTUAL TABLE point USING rtree(id, min_lat, max_lat, min_lon, max_lon);
CREATE TABLE point_service (point INTEGER PRIMARY KEY, service INTEGER);
"""


def build(path: Path) -> float:
    """Write the FTS5 database from the published services; returns seconds taken."""
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA)
    point_id = 0
    query = select(Service).where(Service.status == "published").execution_options(yield_per=1000)
    for number, service in enumerate(db.session.scalars(query), start=1):
        categories = " ".join([c.name for c in service.categories]
                              + [k for c in service.categories for k in c.keywords or []])
        connection.execute("INSERT INTO doc(rowid, name, summary, description, keywords, categories)"
                           " VALUES (?, ?, ?, ?, ?, ?)",
                           (number, service.name, service.summary, service.description,
                            " ".join(service.keywords or []), categories))
        ages = age_tokens(service.age_min, service.age_max)
        connection.execute("INSERT INTO facts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (number, service.id, service.access, service.kind, int(service.free),
                            None if ages == ["any"] else int(ages[0]),
                            None if ages == ["any"] else int(ages[-1]), wait_weeks_of(service)))
        areas = ["all"] if service.covers_all_areas else [a.id for a in service.areas]
        connection.executemany("INSERT INTO coverage VALUES (?, ?)", [(number, a) for a in areas])
        for location in service.locations:
            if location.latitude is None:
                continue
            point_id += 1
            connection.execute("INSERT INTO point VALUES (?, ?, ?, ?, ?)",
                               (point_id, location.latitude, location.latitude,
                                location.longitude, location.longitude))
            connection.execute("INSERT INTO point_service VALUES (?, ?)", (point_id, number))
    connection.commit()
    connection.close()
    return time.perf_counter() - started


class Fts5:
    def __init__(self, path: Path):
        self.connection = sqlite3.connect(path, check_same_thread=False)

    def search(self, criteria: Criteria) -> list[str]:
        """All matching services, best first (ids), as the search module returns them."""
        text, _ = clean_text(criteria.text)
        words = [w for w in text.lower().split() if w not in FILLER_WORDS and w.isalnum()]
        where: list[str] = []
        # The MATCH string comes first: it belongs to the join below.
        params: list = [" OR ".join(f'"{w}"' for w in words)] if words else []
        if criteria.area:
            where.append("f.id IN (SELECT service FROM coverage WHERE area IN (?, 'all'))")
            params.append(criteria.area)
        if criteria.access:
            where.append("f.access = ?")
            params.append(criteria.access)
        if criteria.age is not None:
            where.append("(f.age_min IS NULL OR (f.age_min <= ? AND f.age_max >= ?))")
            params += [criteria.age, criteria.age]
        if criteria.max_wait is not None:
            where.append("f.wait_weeks <= ?")
            params.append(criteria.max_wait)
        near: dict[int, float] = {}
        if criteria.latitude is not None:
            near = self._near(criteria.latitude, criteria.longitude, criteria.radius_miles)
            covering = "f.id IN (SELECT service FROM coverage WHERE area IN (?, 'all'))"
            ids = ",".join(str(i) for i in near) or "0"
            where.append(f"(f.id IN ({ids}) OR {covering})")
            params.append(criteria.district or "")
        sql = "SELECT f.id, f.slug FROM facts f"
        if words:
            sql = ("SELECT f.id, f.slug FROM facts f JOIN (SELECT rowid, rank FROM doc WHERE doc "
                   "MATCH ?) d ON d.rowid = f.id")
        if where:
            sql += " WHERE " + " AND ".join(where)
        if words:
            sql += " ORDER BY d.rank"
        rows = self.connection.execute(sql, params).fetchall()
        if criteria.sort == "distance" and near:
            rows.sort(key=lambda row: near.get(row[0], math.inf))
        return [slug for _, slug in rows]

    def _near(self, latitude: float, longitude: float, miles: float) -> dict[int, float]:
        lat_span = miles / 69.0
        lon_span = miles / (69.0 * math.cos(math.radians(latitude)))
        rows = self.connection.execute(
            "SELECT ps.service, p.min_lat, p.min_lon FROM point p JOIN point_service ps "
            "ON ps.point = p.id WHERE p.min_lat >= ? AND p.max_lat <= ? AND p.min_lon >= ? "
            "AND p.max_lon <= ?",
            (latitude - lat_span, latitude + lat_span, longitude - lon_span,
             longitude + lon_span)).fetchall()
        result: dict[int, float] = {}
        for service, lat, lon in rows:
            distance = _miles(latitude, longitude, lat, lon)
            if distance <= miles and distance < result.get(service, math.inf):
                result[service] = distance
        return result


def _miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dlat, dlon = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    return 3958.8 * 2 * math.asin(math.sqrt(a))
