"""Reading a search from the URL: every parameter checked, with a message a person reads."""

from dataclasses import dataclass, field

from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from app.models import AccessRoute, DeliveryMode, ServiceKind
from app.numbers import whole_number
from app.places import postcodes
from app.search.query import Criteria, clean_text
from app.search.schema import WAIT_THRESHOLDS

RADIUS_CHOICES = (1, 3, 5, 10, 20)
DEFAULT_RADIUS = 5
SORTS = ("relevance", "distance", "wait")
PARAMETERS = ("q", "postcode", "radius", "area", "category", "age", "access", "kind",
              "delivery", "language", "free", "max_wait", "sort", "page")


@dataclass
class SearchForm:
    """The checked request: criteria for the index, and what the page needs to show."""

    criteria: Criteria
    values: dict[str, str]  # the parameters as given, for links that keep the search
    errors: dict[str, str] = field(default_factory=dict)
    page: int = 1
    place: postcodes.Place | None = None
    outside_area: bool = False
    place_unavailable: bool = False  # the geocoder did not answer: nothing is known about it

    @property
    def is_empty(self) -> bool:
        return not any(self.values.get(name) for name in PARAMETERS if name not in
                       ("page", "sort", "radius"))


def parse(args: MultiDict, known_areas: set[str], known_categories: set[str],
          known_languages: set[str]) -> SearchForm:
    values = {name: (args.get(name) or "").strip()[:500] for name in PARAMETERS}
    errors: dict[str, str] = {}
    criteria = Criteria(text=values["q"])
    form = SearchForm(criteria, values, errors)

    def choice(name: str, allowed, message: str) -> str | None:
        value = values[name]
        if not value:
            return None
        if value not in allowed:
            errors[name] = message
            return None
        return value

    criteria.area = choice("area", known_areas, gettext("Choose a district from the list"))
    criteria.category = choice("category", known_categories,
                               gettext("Choose a kind of help from the list"))
    criteria.access = choice("access", AccessRoute.ALL, gettext("Choose how to get help from the list"))
    criteria.kind = choice("kind", ServiceKind.ALL, gettext("Choose who runs the service from the list"))
    criteria.delivery = choice("delivery", DeliveryMode.ALL,
                               gettext("Choose how the help is given from the list"))
    criteria.language = choice("language", known_languages, gettext("Choose a language from the list"))
    criteria.sort = choice("sort", SORTS, gettext("Choose how to sort the results")) or "relevance"
    criteria.free = values["free"] in ("1", "yes", "true", "on")
    if values["free"] and not criteria.free and values["free"] not in ("0", "no", "false"):
        errors["free"] = gettext("Choose whether to show only free services")

    criteria.age = _whole_number(values["age"], 0, 25, "age", errors,
                                 gettext("Enter an age from 0 to 25, in years"))
    criteria.max_wait = _whole_number(values["max_wait"], 0, 52, "max_wait", errors,
                                      gettext("Choose the longest wait from the list"))
    if criteria.max_wait is not None:  # round up to the nearest choice the index knows
        criteria.max_wait = next((t for t in WAIT_THRESHOLDS if t >= criteria.max_wait),
                                 WAIT_THRESHOLDS[-1])
    radius = _whole_number(values["radius"], 1, 50, "radius", errors,
                           gettext("Choose a distance from the list"))
    criteria.radius_miles = float(radius or DEFAULT_RADIUS)
    form.page = _whole_number(values["page"], 1, 10_000, "page", errors,
                              gettext("Page numbers are whole numbers from 1")) or 1
    if values["q"]:
        _, cut = clean_text(values["q"])
        if cut:
            values["q"] = clean_text(values["q"])[0]
    _apply_postcode(form)
    return form


def _apply_postcode(form: SearchForm) -> None:
    raw = form.values["postcode"]
    if not raw:
        if form.criteria.sort == "distance":
            form.criteria.sort = "relevance"
        return
    try:
        place = postcodes.lookup(raw)
    except postcodes.InvalidPostcode:
        form.errors["postcode"] = gettext(
            "Enter a real postcode, like GU21 6XX, or the first part of it, like GU21")
        return
    except postcodes.PlaceLookupUnavailable:
        form.place_unavailable = True
        form.criteria.area = "all"
        if form.criteria.sort == "distance":
            form.criteria.sort = "relevance"
        return
    if place is None:
        form.outside_area = True
        form.criteria.area = "all"
        return
    form.place = place
    area = postcodes.area_for(place)
    if area is None and place.precision != "postcode":
        area = postcodes.area_for_outcode(place.outcode)
    if area is None:
        form.outside_area = True
    form.criteria.latitude, form.criteria.longitude = place.latitude, place.longitude
    form.criteria.district = area.id if area else None


def _whole_number(value: str, low: int, high: int, name: str, errors: dict[str, str],
                  message: str) -> int | None:
    if not value:
        return None
    number = whole_number(value)
    if number is None or not low <= number <= high:
        errors[name] = message
        return None
    return number
