"""Pages for provider staff: their services, waiting times, listings, referrals, feedback.
Every route carries `provider_required`; every response is kept out of caches."""

from flask import Blueprint
from flask_babel import gettext

from app.web.auth import never_cache

bp = Blueprint("provider", __name__, url_prefix="/provider")
bp.after_request(never_cache)

# (endpoint, label) for the dashboard's menu; each module adds its own pages.
LINKS: list[tuple[str, str]] = []


@bp.context_processor
def _menu() -> dict:
    return {"provider_links": lambda: [(endpoint, gettext(label)) for endpoint, label in LINKS]}


from app.web.provider import listing_views, referral_display, referral_views, views  # noqa: E402,F401  (routes register on bp)
