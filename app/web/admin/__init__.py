"""Pages for partnership admins: people, organisations, approvals, feedback, stale
listings, the outbox and the audit log. Every route carries `admin_required`; every
response is kept out of caches."""

from flask import Blueprint

from app.web.auth import never_cache

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.after_request(never_cache)

from app.web.admin import (  # noqa: E402,F401  (routes register on bp)
    feed_views,
    listing_views,
    oversight_views,
    search_word_views,
    views,
)
