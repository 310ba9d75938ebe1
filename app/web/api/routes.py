"""The open-data API under /api/v1, and the page for developers.

Views are thin: they check the request's parameters (helpers below), ask app.api.oruk for the
answer and send it with what an open web API needs: CORS for every origin, an ETag (304 when
If-None-Match still holds), Last-Modified, Cache-Control, a per-address rate limit, and JSON
problem details (RFC 9457) for every error under /api/.
"""

import json
import math
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for
from flask.sansio.blueprints import BlueprintSetupState
from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed, NotFound, TooManyRequests
from werkzeug.routing import Rule
from werkzeug.wrappers import Response as WerkzeugResponse

from app import opendata as oruk
from app import rate_limits
from app.extensions import csrf
from app.web.api import bp
from app.web.api import openapi as spec

DEFAULT_RATE_LIMIT_PER_MINUTE = 120
DEFAULT_CACHE_SECONDS = 300
JSON_OPTIONS: dict[str, Any] = {"ensure_ascii": False, "separators": (",", ":")}
READ_METHODS = ["GET", "HEAD", "OPTIONS"]
OTHER_METHODS = ["POST", "PUT", "PATCH", "DELETE"]

v1 = Blueprint("v1", __name__, url_prefix="/api")


# -- the page for developers --------------------------------------------------------------

@bp.get("/developers")
def developers() -> str:
    context = oruk.Context()
    return render_template(
        "api/developers.html", api_root=url_for("api.v1.root", _external=True),
        openapi_url=url_for("api.v1.openapi", _external=True),
        examples=oruk.developer_examples(context), taxonomies=oruk.TAXONOMIES,
        own_terms=oruk.OWN_TERMS, per_page=spec.DEFAULT_PER_PAGE, max_per_page=spec.MAX_PER_PAGE,
        rate_limit=_rate_limit(), version=oruk.VERSION)


@bp.get("/api")
def api_home() -> WerkzeugResponse:
    return redirect(url_for("api.developers"))


# -- endpoints ----------------------------------------------------------------------------

@v1.get("/")
def api_slash() -> WerkzeugResponse:
    return redirect(url_for("api.developers"))


@v1.get("/v1/", strict_slashes=False)  # a base URL given without its slash works too
def root() -> Response:
    return _json(oruk.api_details(url_for(".openapi", _external=True)))


@v1.get("/v1/openapi.json")
def openapi() -> Response:
    server = url_for(".root", _external=True).rstrip("/")
    return _json(spec.document(server, url_for("api.developers", _external=True)))


@v1.get("/v1/services")
def services() -> Response:
    minimal, full = _boolean("minimal"), _boolean("full")
    paging = _paging(spec.MAX_PER_PAGE_MINIMAL, spec.MAX_PER_PAGE_MINIMAL) if minimal else _paging()
    detail = "minimal" if minimal else "full" if full else "item"
    listing = oruk.services(_service_filters(), paging, detail, oruk.Context())
    return _list(listing, oruk.data_modified())


@v1.get("/v1/services/<service_id>")
def service(service_id: str) -> Response:
    found = oruk.service(_path_uuid(service_id, "service"), oruk.Context())
    if found is None:
        raise NotFound(f"No published service has the id {service_id[:100]!r}.")
    document, modified = found
    return _json(document, modified)


@v1.get("/v1/organizations")
def organizations() -> Response:
    full_service, full = _boolean("full_service"), _boolean("full")  # both checked: bad values get a 400
    nested = "full_service" if full_service else "services" if full else "none"
    listing = oruk.organizations(_text("search"), _paging(), nested, oruk.Context())
    return _list(listing, oruk.data_modified())


@v1.get("/v1/organizations/<organization_id>")
def organization(organization_id: str) -> Response:
    found = oruk.organization(_path_uuid(organization_id, "organization"),
                              _boolean("full_service"), oruk.Context())
    if found is None:
        raise NotFound(f"No organization with published services has the id {organization_id[:100]!r}.")
    return _json(found, oruk.data_modified())


@v1.get("/v1/taxonomies")
def taxonomies() -> Response:
    return _list(oruk.taxonomies(_text("search"), _paging()))


@v1.get("/v1/taxonomies/<taxonomy_id>")
def taxonomy(taxonomy_id: str) -> Response:
    found = oruk.taxonomy(_path_uuid(taxonomy_id, "taxonomy"), oruk.Context())
    if found is None:
        raise NotFound(f"No taxonomy has the id {taxonomy_id[:100]!r}.")
    return _json(found)


@v1.get("/v1/taxonomy_terms")
def taxonomy_terms() -> Response:
    filters = oruk.TermFilters(search=_text("search"), taxonomy_id=_uuid("taxonomy_id"),
                               parent_id=_uuid("parent_id"), top_only=_boolean("top_only"))
    return _list(oruk.taxonomy_terms(filters, _paging(), oruk.Context()))


@v1.get("/v1/taxonomy_terms/<term_id>")
def taxonomy_term(term_id: str) -> Response:
    found = oruk.taxonomy_term(_path_uuid(term_id, "taxonomy term"), oruk.Context())
    if found is None:
        raise NotFound(f"No taxonomy term has the id {term_id[:100]!r}.")
    return _json(found)


@v1.get("/v1/service_at_locations")
def service_at_locations() -> Response:
    filters = _service_filters()
    where = _near(_text("postcode"), _number("proximity", positive=True))
    listing = oruk.service_at_locations(filters, where, _paging(), _boolean("full"), oruk.Context())
    return _list(listing, oruk.data_modified())


@v1.get("/v1/service_at_locations/<sal_id>")
def service_at_location(sal_id: str) -> Response:
    found = oruk.service_at_location(_path_uuid(sal_id, "service at location"), oruk.Context())
    if found is None:
        raise NotFound(f"No published service at location has the id {sal_id[:100]!r}.")
    document, modified = found
    return _json(document, modified)


@v1.route("/", methods=OTHER_METHODS)
@v1.route("/<path:rest>", methods=["GET", *OTHER_METHODS])
def elsewhere(rest: str = "") -> Response:
    """Anything else under /api/: a JSON 404, or 405 for any method but GET and HEAD."""
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed(valid_methods=READ_METHODS,
                               description="The API is read-only: use GET.")
    raise NotFound(f"There is no endpoint here. The endpoints are listed in "
                   f"{url_for('.openapi', _external=True)}")


@v1.record_once
def _every_other_method(state: BlueprintSetupState) -> None:
    """Flask's routes name their methods, so a request with any other (TRACE, QUERY, …) would
    get the site's HTML 405 from routing. This rule takes every method under /api/ that no
    endpoint matched, so that it too gets a JSON 405 with an Allow header."""
    endpoint = ".".join(part for part in (state.name_prefix, state.name, "elsewhere") if part)
    state.app.url_map.add(Rule(f"{state.url_prefix}/<path:rest>", endpoint=endpoint, methods=None))


# -- reading parameters --------------------------------------------------------------------

class InvalidParameter(BadRequest):
    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


def _text(name: str, limit: int = 500) -> str:
    """The parameter's printable text (no control characters), at most `limit` long."""
    return _given(name, limit) or ""


def _given(name: str, limit: int = 500) -> str | None:
    """None when the parameter is absent; a typed parameter given empty is still given."""
    raw = request.args.get(name)
    if raw is None:
        return None
    return "".join(ch for ch in raw[:limit] if ch.isprintable()).strip()


def _whole_number(name: str, default: int) -> int:
    raw = _given(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]+", raw) or int(raw) < 1:
        raise InvalidParameter(name, f"{name} must be a whole number from 1, not {raw[:20]!r}")
    return int(raw)


def _number(name: str, positive: bool = False) -> float | None:
    raw = _given(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        least = "more than 0" if positive else "0 or more"
        raise InvalidParameter(name, f"{name} must be a number {least}, not {raw[:20]!r}")
    return value


def _boolean(name: str) -> bool:
    raw = _given(name)
    if raw is None or raw == "false":
        return False
    if raw == "true":
        return True
    raise InvalidParameter(name, f"{name} must be true or false, not {raw[:20]!r}")


def _uuid(name: str) -> str | None:
    raw = _given(name)
    if raw is None:
        return None
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise InvalidParameter(name, f"{name} must be a UUID, not {raw[:40]!r}") from None


def _path_uuid(value: str, kind: str) -> str:
    """Ids in paths are UUIDs; anything else is simply not found."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound(f"No {kind} has the id {value[:100]!r}: ids are UUIDs.") from None


def _date_time(name: str) -> datetime | None:
    raw = _given(name)
    if raw is None:
        return None
    text = raw.upper()
    # An unencoded "+" in a query string arrives as a space: "…T10:00:00 01:00".
    text = re.sub(r"(T[0-9:.]+) ([0-9]{2}:?[0-9]{2})$", r"\1+\2", text)
    # RFC 3339 allows what Python's datetime does not: a leap second, and the year 0000.
    text = re.sub(r"(T[0-9]{2}:[0-9]{2}):60", r"\1:59", text)
    text = re.sub(r"^0000-", "0001-", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidParameter(name, f"{name} must be a date-time such as 2026-01-31T09:00:00Z "
                                     f"or a date such as 2026-01-31, not {raw[:40]!r}") from None
    if moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        return datetime.min if moment.year < 2 else datetime.max


def _paging(default: int = spec.DEFAULT_PER_PAGE, maximum: int = spec.MAX_PER_PAGE) -> oruk.Paging:
    page = _whole_number("page", 1)
    per_page = min(_whole_number("per_page", default), maximum)
    fmt = _given("format")
    fmt = "json" if fmt is None else fmt
    if fmt not in ("json", "ndjson"):
        raise InvalidParameter("format", f"format must be json or ndjson, not {fmt[:20]!r}")
    return oruk.Paging(page, per_page, everything=fmt == "ndjson")


def _service_filters() -> oruk.ServiceFilters:
    return oruk.ServiceFilters(
        search=_text("search"), taxonomy_term_id=_uuid("taxonomy_term_id"),
        taxonomy_id=_uuid("taxonomy_id"), organization_id=_uuid("organization_id"),
        modified_after=_date_time("modified_after"), minimum_age=_number("minimum_age"),
        maximum_age=_number("maximum_age"))


def _near(postcode: str, proximity: float | None) -> oruk.Near | None:
    try:
        return oruk.near(postcode, proximity)
    except oruk.BadFilter as problem:
        raise InvalidParameter(problem.parameter, str(problem)) from None


# -- answering -----------------------------------------------------------------------------

def _json(document: Any, last_modified: datetime | None = None) -> Response:
    response = current_app.response_class(json.dumps(document, **JSON_OPTIONS),
                                          mimetype="application/json")
    return _cacheable(response, last_modified)


def _list(listing: oruk.Listing, last_modified: datetime | None = None) -> Response:
    if not listing.paging.everything:
        return _json(listing.envelope(), last_modified)
    lines = "".join(json.dumps(item, **JSON_OPTIONS) + "\n" for item in listing.contents)
    return _cacheable(current_app.response_class(lines, mimetype="application/x-ndjson"),
                      last_modified)


def _cacheable(response: Response, last_modified: datetime | None) -> Response:
    response.add_etag()
    response.cache_control.public = True
    response.cache_control.max_age = int(current_app.config.get("API_CACHE_SECONDS",
                                                                DEFAULT_CACHE_SECONDS))
    # Only the ETag decides a 304: Last-Modified does not see every change (a renamed
    # category has no timestamp), so it is sent for information and set after the check.
    response.make_conditional(request)
    if last_modified is not None:
        response.last_modified = last_modified.replace(tzinfo=UTC)
    return response


def _problem(status: int, detail: str, parameter: str | None = None,
             headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": _TITLES.get(status, "Error"),
                            "status": status, "detail": detail}
    if parameter:
        body["parameter"] = parameter
    response = current_app.response_class(json.dumps(body, **JSON_OPTIONS), status=status,
                                          mimetype="application/problem+json")
    response.headers.update(headers or {})
    response.cache_control.no_store = True
    return response


_TITLES = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
           429: "Too Many Requests", 500: "Internal Server Error"}


@v1.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    headers: dict[str, str] = {}
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.valid_methods or READ_METHODS)
    if isinstance(error, TooManyRequests) and error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    status = error.code or 500
    return _problem(status, error.description or _TITLES.get(status, "Error"),
                    getattr(error, "parameter", None), headers)


@v1.errorhandler(Exception)
def _unexpected_error(error: Exception) -> Response:
    current_app.logger.exception("Unhandled error in the open-data API")
    return _problem(500, "Something went wrong on our side. Please try again later.")


# -- open to the web, within reason ----------------------------------------------------------

def _rate_limit() -> int:
    return int(current_app.config.get("API_RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT_PER_MINUTE) or 0)


@v1.before_request
def _count_request() -> None:
    limit = _rate_limit()
    if request.method == "OPTIONS" or limit <= 0:
        return
    counted = rate_limits.hit("api", rate_limits.MINUTE, request.remote_addr)
    left, wait = limit - counted.count, counted.reset_in
    g.api_rate = (limit, max(left, 0))
    if left < 0:
        raise TooManyRequests(f"More than {limit} requests a minute from one address. "
                              f"Try again in {wait} seconds.", retry_after=wait)


@v1.after_request
def _open_to_every_origin(response: Response) -> Response:
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = (
        "ETag, Last-Modified, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining")
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = ", ".join(READ_METHODS)
        headers["Access-Control-Allow-Headers"] = "Accept, If-None-Match, If-Modified-Since"
        headers["Access-Control-Max-Age"] = "86400"
    rate = g.get("api_rate")
    if rate:
        headers["X-RateLimit-Limit"], headers["X-RateLimit-Remaining"] = str(rate[0]), str(rate[1])
    headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


# The API is read-only and reads no cookie, so there is no request to forge: without this,
# a PUT or DELETE would meet the site's HTML CSRF page before the JSON 405.
csrf.exempt(v1)
bp.register_blueprint(v1)
