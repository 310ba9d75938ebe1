"""Open data: the directory as an Open Referral UK (HSDS-UK 3.0) API under /api/v1."""

from flask import Blueprint

bp = Blueprint("api", __name__)
