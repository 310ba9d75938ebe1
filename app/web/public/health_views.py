"""/healthz: whether this server can answer searches, for load balancers and for
comparing servers. Minimal: the production work adds the database and other parts."""

from flask import Blueprint, jsonify

from app import search

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    index = search.index_health()
    return jsonify({"search_index": index}), 200 if index["usable"] else 503
