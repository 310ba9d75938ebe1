"""Open data: the directory as an Open Referral UK (HSDS-UK 3.0) API under /api/v1, and a
page for developers at /developers."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from app.web.api import routes  # noqa: E402,F401  (the views register themselves on bp)
