"""The search results page: GET /search, every parameter in the URL."""

from flask import Blueprint, render_template, request, url_for
from flask_babel import format_decimal, gettext, ngettext

from app import search
from app.activity import searches
from app.directory import listings
from app.i18n import directory_text
from app.web.templating import delivery_name, language_name

bp = Blueprint("search", __name__)
PAGE_SIZE = 20
COUNTY_WIDE_ON_NO_RESULTS = 5


@bp.get("/search")
def results():
    choices = listings.filter_choices()
    choices.categories = {key: directory_text(name) for key, name in choices.categories.items()}
    form = search.parse_request(request.args, set(choices.areas), set(choices.categories),
                                set(choices.languages))
    if form.errors:
        return render_template("search/results.html", form=form, choices=choices,
                               page=None), 400
    outcome, degraded = search.search(form.criteria, form.page, PAGE_SIZE)
    # Recorded (and committed) before the listings load, so the commit cannot expire them.
    searches.record_search(form, outcome.total)
    page = listings.results_page(outcome, form.page, PAGE_SIZE)
    county_wide = (listings.county_wide_services(COUNTY_WIDE_ON_NO_RESULTS)
                   if page.total == 0 else [])
    return render_template("search/results.html", form=form, choices=choices, page=page,
                           outcome=outcome, degraded=degraded, county_wide=county_wide)


# -- helpers for the results template ------------------------------------------------

@bp.app_template_global()
def search_url(values: dict, **changes) -> str:
    """The current search's URL with some parameters changed (None removes one)."""
    params = {k: val for k, val in values.items() if val and k != "page"}
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return url_for("search.results", **params)


@bp.app_template_global()
def distance_text(miles: float) -> str:
    if miles < 0.1:
        return gettext("Less than 0.1 miles away")
    return ngettext("%(miles)s mile away", "%(miles)s miles away", 1 if round(miles, 1) == 1 else 2,
                    miles=format_decimal(round(miles, 1), format="0.0"))


@bp.app_template_global()
def active_filters(form, choices) -> list[tuple[str, str]]:
    """(parameter, label) for each filter in use, so each can be removed on its own."""
    v, labels = form.values, []
    if form.criteria.area and form.criteria.area in choices.areas and v.get("area"):
        labels.append(("area", choices.areas[v["area"]]))
    if v.get("category") in choices.categories:
        labels.append(("category", choices.categories[v["category"]]))
    if form.criteria.age is not None and v.get("age"):
        labels.append(("age", gettext("Age %(age)d", age=form.criteria.age)))
    access = {"drop-in": gettext("Drop in"), "self-referral": gettext("Refer yourself"),
              "professional-referral": gettext("Professional referral")}
    if v.get("access") in access:
        labels.append(("access", access[v["access"]]))
    if form.criteria.max_wait is not None:
        labels.append(("max_wait", ngettext("Wait up to %(num)d week", "Wait up to %(num)d weeks",
                                            form.criteria.max_wait)))
    if form.criteria.delivery:
        labels.append(("delivery", delivery_name(v["delivery"])))
    if form.criteria.kind:
        kinds = {"council": gettext("The council"), "commissioned": gettext("A commissioned provider"),
                 "community": gettext("A community organisation"), "school": gettext("A school")}
        labels.append(("kind", kinds.get(v["kind"], v["kind"])))
    if form.criteria.language:
        labels.append(("language", language_name(form.criteria.language)))
    if form.criteria.free:
        labels.append(("free", gettext("Free only")))
    return labels


@bp.app_template_filter()
def search_error_link(item: tuple[str, str]) -> dict:
    name, message = item
    target = {"q": "q", "postcode": "postcode", "age": "filter-age"}.get(name, f"filter-{name}")
    return {"text": message, "href": f"#{target}"}


@bp.app_template_filter()
def language_pair(code: str) -> tuple[str, str]:
    return code, language_name(code)


@bp.app_template_global()
def pagination_params(page, values: dict) -> dict:
    params: dict = {"items": [], "landmarkLabel": gettext("Pages of results")}
    if page.number > 1:
        params["previous"] = {"href": search_url(values, page=page.number - 1),
                              "text": gettext("Previous")}
    if page.number < page.page_count:
        params["next"] = {"href": search_url(values, page=page.number + 1),
                          "text": gettext("Next")}
    for number in range(1, page.page_count + 1):
        if number in (1, page.page_count) or abs(number - page.number) <= 1:
            params["items"].append({"number": number, "href": search_url(values, page=number),
                                    "current": number == page.number,
                                    "visuallyHiddenText": gettext("Page %(num)d", num=number)})
        elif params["items"] and not params["items"][-1].get("ellipsis"):
            params["items"].append({"ellipsis": True})
    return params
