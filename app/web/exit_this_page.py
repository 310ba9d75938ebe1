"""GOV.UK's "Exit this page" on pages a family may need to leave quickly: domestic abuse
listings, results that include them, their category page and the referral pages of those
services. Without JavaScript it is a link to a neutral site; with it, it also answers the
Shift key pressed three times (govuk-frontend's own script, started by static/js/app.mjs)."""

from typing import Any

from flask import Flask, current_app, request
from jinja2 import pass_context
from jinja2.runtime import Context

from app.models import Category, Service

# Blueprints whose pages a family sees (staff pages never show it).
PUBLIC_BLUEPRINTS = ("public", "search", "referrals", "shortlist")


def _sensitive(categories: list[Category]) -> bool:
    wanted = set(current_app.config["EXIT_THIS_PAGE_CATEGORIES"])
    return any(category.id in wanted or category.parent_id in wanted for category in categories)


def service_needs_exit(service: Service | None) -> bool:
    return service is not None and _sensitive(list(service.categories))


def needs_exit(context: dict[str, Any]) -> bool:
    """Whether the page being rendered is one a family may need to leave quickly."""
    if request.blueprint not in PUBLIC_BLUEPRINTS:
        return False
    if isinstance(context.get("service"), Service) and service_needs_exit(context["service"]):
        return True
    category = context.get("category")
    if isinstance(category, Category) and _sensitive([category]):
        return True
    page = context.get("page")
    rows = getattr(page, "rows", None) or []
    return any(service_needs_exit(getattr(row, "service", None)) for row in rows)


@pass_context
def _exit_this_page(context: Context) -> bool:
    return needs_exit(dict(context.items()))


def init_app(app: Flask) -> None:
    app.config.setdefault("EXIT_THIS_PAGE_CATEGORIES", ("domestic-abuse",))
    app.config.setdefault("EXIT_THIS_PAGE_URL", "https://www.bbc.co.uk/weather")
    app.jinja_env.globals["exit_this_page"] = _exit_this_page
