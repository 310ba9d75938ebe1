"""Open data: the directory as an Open Referral UK (HSDS-UK 3.0) API under /api/v1, and a
page for developers at /developers."""

from flask import Blueprint

bp = Blueprint("api", __name__)

# The views register themselves on bp; changes adds the Atom feed of changes to routes' v1.
from app.web.api import changes, routes  # noqa: E402,F401
