"""Public pages. Thin views: look the thing up through the service layer, render it."""

from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, render_template, request, session, url_for

from app import opendata, search
from app.activity import page_views
from app.directory import listings, shortlist

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return render_template(
        "public/home.html",
        areas=listings.all_areas(),
        categories=listings.top_level_categories(),
    )


@bp.get("/areas/<area_id>")
def area(area_id: str):
    found = listings.get_area(area_id) or abort(404)
    return render_template("public/area.html", area=found,
                           listings=listings.services_in_area(found))


@bp.get("/categories/<category_id>")
def category(category_id: str):
    found = listings.get_category(category_id) or abort(404)
    return render_template("public/category.html", category=found,
                           services=listings.services_in_category(found))


@bp.get("/services/<service_id>")
def service(service_id: str):
    found = listings.get_published_service(service_id) or abort(404)
    if not shortlist.is_redirect_after_change(session, request.path):  # not the page again after adding
        page_views.count_activity("service-view", found.id)  # a number a day, for the partnership
    return render_template("public/service.html", service=found,
                           listed_by=opendata.listed_by(found),
                           back_to_results=results_url(request.args.get("back", "")))


def results_url(back: str) -> str | None:
    """The search a family came from, rebuilt from known parameters only (no open redirect)."""
    if not back:
        return None
    params = [(k, v) for k, v in parse_qsl(back[:2000]) if k in search.PARAMETERS and v]
    return url_for("search.results") + ("?" + urlencode(params) if params else "")


@bp.get("/about-the-data")
def about_the_data():
    return render_template("public/about_the_data.html")


@bp.get("/accessibility")
def accessibility():
    return render_template("public/accessibility.html")


@bp.get("/privacy")
def privacy():
    return render_template("public/privacy.html")


@bp.get("/cookies")
def cookies():
    return render_template("public/cookies.html")
