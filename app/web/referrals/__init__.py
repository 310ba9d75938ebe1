"""Self-referral: the question pages from a service's page to the confirmation, and the
tracker families and referrers follow a referral with. Nothing here is ever cached."""

from datetime import date

from flask import Blueprint

from app.web.auth.access import never_cache
from app.web.templating import long_date

bp = Blueprint("referrals", __name__)


@bp.after_request
def _private(response):
    never_cache(response)
    # Tracker links carry a secret: never pass the address on to another site.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.context_processor
def _helpers() -> dict:
    return {"error_list": error_list}


@bp.app_template_filter("referral_date")
def referral_date(value: str | None) -> str:
    """An ISO date kept in the answers, as the pages write dates."""
    return long_date(date.fromisoformat(value)) if value else ""


def error_list(form) -> list[dict]:
    """The error summary's links, each to its field (a radio group's first option, a date's
    day)."""
    return [{"text": field.errors[0], "href": f"#{field.id}"}
            for field in form if field.errors and field.name not in ("csrf_token", "website")]


from app.web.referrals import tracker, views  # noqa: E402,F401  (routes register on bp)
