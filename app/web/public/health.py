"""/healthz for a load balancer or monitor: 200 when the database answers and the search
index is usable, 503 otherwise, with what is wrong. It sets no cookie, is not rate
limited and says nothing about anyone."""

import contextlib

from flask import Blueprint, jsonify
from sqlalchemy import text

from app import search
from app.extensions import DATABASE_UNAVAILABLE, db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    body = {"database": {"ok": True, "problem": None}, "search_index": None}
    try:
        db.session.execute(text("SELECT 1"))
        body["search_index"] = search.index_health()
    except DATABASE_UNAVAILABLE as error:
        with contextlib.suppress(Exception):  # the connection may be gone
            db.session.rollback()
        # The class only: a driver's message can name hosts and users.
        cause = getattr(error, "orig", None) or error
        body["database"] = {"ok": False, "problem": f"not answering ({type(cause).__name__})"}
        body["search_index"] = {"usable": None, "lag_seconds": None,
                                "problem": "not checked: the database is not answering"}
    healthy = body["database"]["ok"] and body["search_index"]["usable"]
    body["status"] = "ok" if healthy else "unavailable"
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
