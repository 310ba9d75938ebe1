"""The OpenAPI 3.1 document of the open-data API: what /api/v1/openapi.json serves.

Paths and parameters follow the ORUK 3.0 OpenAPI (plus the UK profile's age filters); the
response schemas describe exactly what this API sends (no field outside them), and agree with
the ORUK 3.0 JSON schemas, which the tests check every response against.
"""

from collections.abc import Sequence
from typing import Any

from app.opendata import VERSION

ORUK_SCHEMAS = "https://openreferraluk.org/specifications/3.0/schema/"
MAX_PER_PAGE = 100
MAX_PER_PAGE_MINIMAL = 1000
DEFAULT_PER_PAGE = 20

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required: list[str], properties: dict[str, Schema], description: str = "") -> Schema:
    schema: Schema = {"type": "object", "required": required, "properties": properties,
                      "additionalProperties": False}
    if description:
        schema["description"] = description
    return schema


def _array(items: Schema) -> Schema:
    return {"type": "array", "items": items, "minItems": 1}


UUID: Schema = {"type": "string", "format": "uuid"}
TEXT: Schema = {"type": "string", "minLength": 1}
URI: Schema = {"type": "string", "format": "uri"}
EMAIL: Schema = {"type": "string", "format": "email"}
NUMBER: Schema = {"type": "number"}
DATE: Schema = {"type": "string", "format": "date"}
TIME: Schema = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]$"}


def _schemas() -> dict[str, Schema]:
    organization = {"id": UUID, "name": TEXT, "description": TEXT, "email": EMAIL, "website": URI}
    service = {
        "id": UUID, "organization_id": UUID, "name": TEXT, "description": TEXT, "url": URI,
        "email": EMAIL, "status": {"type": "string", "enum": ["active"]},
        "minimum_age": NUMBER, "maximum_age": NUMBER, "assured_date": DATE,
        "last_modified": {"type": "string", "format": "date-time"},
        "organization": _ref("Organization"),
    }
    service_required = ["id", "organization_id", "name", "status", "last_modified"]
    full_service = {
        **service,
        "schedules": _array(_ref("Schedule")),
        "service_areas": _array(_ref("ServiceArea")),
        "service_at_locations": _array(_ref("ServiceAtLocationOfService")),
        "languages": _array(_ref("Language")),
        "cost_options": _array(_ref("CostOption")),
        "contacts": _array(_ref("Contact")),
        "attributes": _array(_ref("Attribute")),
    }
    location = {"id": UUID, "location_type": {"type": "string", "enum": ["physical"]},
                "name": TEXT, "latitude": NUMBER, "longitude": NUMBER}
    term = {"id": UUID, "code": TEXT, "name": TEXT, "description": TEXT, "parent_id": UUID,
            "taxonomy": TEXT, "taxonomy_id": UUID, "term_uri": URI}
    taxonomy = {"id": UUID, "name": TEXT, "description": TEXT, "uri": URI}
    phone = _object(["id", "number"], {"id": UUID, "number": TEXT})
    return {
        "ApiDetails": _object(["version", "profile", "openapi_url"], {
            "version": {"type": "string", "const": VERSION}, "profile": URI, "openapi_url": URI}),
        "Organization": _object(["id", "name", "description"], organization,
                                f"ORUK {ORUK_SCHEMAS}organization.json: one-to-one fields."),
        "OrganizationFull": _object(["id", "name", "description"], {
            **organization, "phones": _array(phone),
            "services": {"type": "array", "items": {"anyOf": [
                _ref("ServiceInOrganization"), _ref("ServiceFullInOrganization")]}}},
            "An organisation with its published services."),
        "Service": _object(service_required, service,
                           f"ORUK {ORUK_SCHEMAS}service.json: one-to-one fields and the organization."),
        "ServiceMinimal": _object(["id", "name", "status", "last_modified"], {
            key: service[key] for key in ("id", "name", "status", "last_modified")}),
        "ServiceFull": _object(service_required + ["organization"], full_service,
                               f"ORUK {ORUK_SCHEMAS}service.json, fully nested."),
        "ServiceInOrganization": _object(service_required, {
            key: value for key, value in service.items() if key != "organization"}),
        "ServiceFullInOrganization": _object(service_required, {
            key: value for key, value in full_service.items() if key != "organization"}),
        "Schedule": _object(["id", "service_id", "freq", "interval", "byday", "opens_at", "closes_at"], {
            "id": UUID, "service_id": UUID, "freq": {"type": "string", "enum": ["WEEKLY"]},
            "interval": {"type": "integer", "const": 1},
            "byday": {"type": "string", "pattern": "^(MO|TU|WE|TH|FR|SA|SU)(,(MO|TU|WE|TH|FR|SA|SU))*$"},
            "opens_at": TIME, "closes_at": TIME, "description": TEXT}),
        "ServiceArea": _object(["id", "service_id", "name", "uri"], {
            "id": UUID, "service_id": UUID, "name": TEXT,
            "uri": {**URI, "description": "The district's ONS statistical geography URI, "
                                          "ending in its ONS code (E07…)."}}),
        "Language": _object(["id", "service_id", "code"], {
            "id": UUID, "service_id": UUID,
            "code": {"type": "string", "pattern": "^[a-z]{2}$", "description": "ISO 639-1"},
            "name": TEXT}),
        "CostOption": _object(["id", "service_id"], {
            "id": UUID, "service_id": UUID, "option": TEXT, "amount": NUMBER,
            "amount_description": TEXT}),
        "Contact": _object(["id", "service_id"], {
            "id": UUID, "service_id": UUID, "email": EMAIL, "phones": _array(phone)}),
        "Attribute": _object(["id", "link_id", "link_entity", "taxonomy_term_id", "taxonomy_term"], {
            "id": UUID, "link_id": UUID, "link_entity": {"type": "string", "enum": ["service"]},
            "taxonomy_term_id": UUID, "taxonomy_term": _ref("TaxonomyTerm"),
            "value": {**TEXT, "description": "For terms that carry a value: the wait in weeks, "
                                            "the date it was confirmed, or a note."}}),
        "TaxonomyTerm": _object(["id", "code", "name", "description", "taxonomy", "taxonomy_id"], term),
        "Taxonomy": _object(["id", "name", "description"], taxonomy),
        "TaxonomyFull": _object(["id", "name", "description", "taxonomy_terms"], {
            **taxonomy, "taxonomy_terms": _array(_ref("TaxonomyTerm"))}),
        "Location": _object(["id", "location_type"], location),
        "LocationFull": _object(["id", "location_type", "addresses"], {
            **location, "addresses": _array(_ref("Address"))}),
        "Address": _object(["id", "location_id", "address_1", "city", "state_province",
                            "postal_code", "country", "address_type"], {
            "id": UUID, "location_id": UUID, "address_1": TEXT, "city": TEXT,
            "state_province": TEXT, "postal_code": TEXT,
            "country": {"type": "string", "const": "GB"},
            "address_type": {"type": "string", "enum": ["physical"]}}),
        "ServiceAtLocationOfService": _object(["id", "service_id", "location_id", "location"], {
            "id": UUID, "service_id": UUID, "location_id": UUID, "location": _ref("LocationFull")}),
        "ServiceAtLocation": _object(["id", "service_id", "location_id", "location", "service"], {
            "id": UUID, "service_id": UUID, "location_id": UUID,
            "location": {"anyOf": [_ref("Location"), _ref("LocationFull")]},
            "service": _ref("Service")}),
        "ServiceAtLocationFull": _object(["id", "service_id", "location_id", "location", "service"], {
            "id": UUID, "service_id": UUID, "location_id": UUID,
            "location": _ref("LocationFull"), "service": _ref("Service")}),
        "Problem": _object(["type", "title", "status", "detail"], {
            "type": {"type": "string"}, "title": TEXT,
            "status": {"type": "integer", "minimum": 400, "maximum": 599}, "detail": TEXT,
            "parameter": {**TEXT, "description": "The query parameter that was wrong."}},
            "An error, as RFC 9457 problem details."),
    }


def _page(item: Schema) -> Schema:
    count = {"type": "integer", "minimum": 0}
    return _object(["total_items", "total_pages", "page_number", "size", "first_page",
                    "last_page", "empty", "contents"], {
        "total_items": count, "total_pages": count, "page_number": {"type": "integer", "minimum": 1},
        "size": count, "first_page": {"type": "boolean"}, "last_page": {"type": "boolean"},
        "empty": {"type": "boolean"}, "contents": {"type": "array", "items": item}})


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


PARAMETERS: dict[str, Schema] = {
    "search": _query("search", {"type": "string"},
                     "Full-text search, ranked as the directory's own search ranks it."),
    "page": _query("page", {"type": "integer", "minimum": 1, "default": 1},
                   "Page number, from 1."),
    "per_page": _query("per_page", {"type": "integer", "minimum": 1, "default": DEFAULT_PER_PAGE},
                       f"Items a page (default {DEFAULT_PER_PAGE}); more than {MAX_PER_PAGE} "
                       f"({MAX_PER_PAGE_MINIMAL} with minimal=true) gives that many."),
    "format": _query("format", {"type": "string", "enum": ["json", "ndjson"], "default": "json"},
                     "`ndjson`: every matching item, one JSON object a line, without paging."),
    "taxonomy_term_id": _query("taxonomy_term_id", UUID,
                               "Only services with this taxonomy term, or a term below it."),
    "taxonomy_id": _query("taxonomy_id", UUID, "Only services with a term of this taxonomy."),
    "organization_id": _query("organization_id", UUID,
                              "Only services run by this organization."),
    "modified_after": _query("modified_after", {"type": "string", "format": "date-time"},
                             "Only items changed at or after this time (RFC 3339; a date "
                             "alone means its midnight, UTC)."),
    "minimal": _query("minimal", {"type": "boolean", "default": False},
                      "Just id, name, status and last_modified: up to "
                      f"{MAX_PER_PAGE_MINIMAL} a page, the default."),
    "full": _query("full", {"type": "boolean", "default": False}, "Fully nested items."),
    "minimum_age": _query("minimum_age", {"type": "number", "minimum": 0},
                          "UK profile: services whose minimum age is at least this (a service "
                          "with no minimum counts as 0)."),
    "maximum_age": _query("maximum_age", {"type": "number", "minimum": 0},
                          "UK profile: services whose maximum age is at most this (a service "
                          "with no maximum is left out)."),
    "postcode": _query("postcode", {"type": "string"},
                       "A UK postcode or outcode. Alone: locations of services that cover its "
                       "district. With proximity: locations within that distance. Nearest "
                       "first."),
    "proximity": _query("proximity", {"type": "number", "exclusiveMinimum": 0},
                        "Metres from the postcode's centre; needs postcode."),
    "full_service": _query("full_service", {"type": "boolean", "default": False},
                           "Nest each organization's services fully."),
    "top_only": _query("top_only", {"type": "boolean", "default": False},
                       "Only terms with no parent."),
    "parent_id": _query("parent_id", UUID, "Only terms directly below this term."),
    "search_names": _query("search", {"type": "string"},
                           "Only items whose name or description contains this text."),
}


def _responses(schema: Schema, *, paged: bool = False, by_id: bool = False) -> dict[str, Schema]:
    problem = {"application/problem+json": {"schema": _ref("Problem")}}
    content: dict[str, Schema] = {"application/json": {"schema": schema}}
    if paged:
        content["application/x-ndjson"] = {"schema": {"type": "string"}}
    responses: dict[str, Schema] = {
        "200": {"description": "OK", "content": content, "headers": {
            "ETag": {"schema": {"type": "string"}},
            "Access-Control-Allow-Origin": {"schema": {"type": "string", "const": "*"}}}},
        "304": {"description": "Not modified: the ETag given in If-None-Match still holds."},
        "400": {"description": "A parameter is wrong; `parameter` and `detail` say which and why.",
                "content": problem},
        "429": {"description": "Too many requests from this address; wait Retry-After seconds.",
                "content": problem, "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
    }
    if by_id:
        responses["404"] = {"description": "No published item has this id.", "content": problem}
    return responses


def _operation(operation_id: str, summary: str, tag: str, schema: Schema,
               parameters: Sequence[str] = (), *, paged: bool = False) -> Schema:
    return {"operationId": operation_id, "summary": summary, "tags": [tag],
            "parameters": [{"$ref": f"#/components/parameters/{name}"} for name in parameters],
            "responses": _responses(schema, paged=paged)}


def _by_id(operation_id: str, summary: str, tag: str, schema: Schema,
           parameters: Sequence[str] = ()) -> Schema:
    operation = _operation(operation_id, summary, tag, schema, parameters)
    operation["responses"] = _responses(schema, by_id=True)
    operation["parameters"].insert(0, {"name": "id", "in": "path", "required": True,
                                       "schema": UUID, "description": "The item's UUID."})
    return operation


SERVICE_FILTERS = ["search", "taxonomy_term_id", "taxonomy_id", "organization_id",
                   "modified_after", "minimum_age", "maximum_age"]
PAGING = ["page", "per_page", "format"]


def document(server_url: str, developers_url: str) -> dict:
    """The whole document; server_url is the API's absolute base, ending /api/v1."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Family Support Directory open data (Open Referral UK)",
            "version": VERSION,
            "description": (
                "The directory's published services as Open Referral UK 3.0 (HSDS-UK-3.0). "
                "Read-only, public, no key. CORS is open to every origin. Answers carry an "
                "ETag; send it back in If-None-Match for a 304. Each address may make a limited "
                "number of requests a minute; past it the answer is 429 with Retry-After. "
                f"Guide with examples: {developers_url}"),
            "license": {"name": "Open Referral UK schemas: CC BY-SA 4.0",
                        "url": "https://creativecommons.org/licenses/by-sa/4.0/"},
        },
        "externalDocs": {"description": "Guide for developers", "url": developers_url},
        "servers": [{"url": server_url}],
        "tags": [{"name": "required", "description": "Endpoints every ORUK feed has."},
                 {"name": "optional", "description": "Endpoints ORUK lets a feed leave out."}],
        "paths": {
            "/": {"get": _operation("getAPIMetaInformation", "About this API", "required",
                                    _ref("ApiDetails"))},
            "/services": {"get": _operation(
                "getPaginatedListOfServices", "Published services, a page at a time", "required",
                {"anyOf": [_page(_ref("Service")), _page(_ref("ServiceFull")),
                           _page(_ref("ServiceMinimal"))]},
                [*SERVICE_FILTERS, *PAGING, "minimal", "full"], paged=True)},
            "/services/{id}": {"get": _by_id(
                "getFullyNestedServiceById", "A service, fully nested", "required",
                _ref("ServiceFull"))},
            "/organizations": {"get": _operation(
                "getPaginatedListOfOrganizations", "Organisations with published services",
                "optional", _page({"anyOf": [_ref("Organization"), _ref("OrganizationFull")]}),
                ["search_names", "full_service", "full", *PAGING], paged=True)},
            "/organizations/{id}": {"get": _by_id(
                "getOrganizationById", "An organisation and its published services", "optional",
                _ref("OrganizationFull"), ["full_service"])},
            "/taxonomies": {"get": _operation(
                "getPaginatedListOfTaxonomies", "The taxonomies terms come from", "optional",
                _page(_ref("Taxonomy")), ["search_names", *PAGING], paged=True)},
            "/taxonomies/{id}": {"get": _by_id(
                "getTaxonomyById", "A taxonomy and its terms", "optional", _ref("TaxonomyFull"))},
            "/taxonomy_terms": {"get": _operation(
                "getPaginatedListOfTaxonomyTerms", "Taxonomy terms", "optional",
                _page(_ref("TaxonomyTerm")), ["search_names", *PAGING, "taxonomy_id",
                                              "top_only", "parent_id"], paged=True)},
            "/taxonomy_terms/{id}": {"get": _by_id(
                "getTaxonomyTermById", "A taxonomy term", "optional", _ref("TaxonomyTerm"))},
            "/service_at_locations": {"get": _operation(
                "getPaginatedListOfServiceAtLocation", "Where published services are given",
                "optional", _page(_ref("ServiceAtLocation")),
                [*SERVICE_FILTERS, "full", *PAGING, "postcode", "proximity"], paged=True)},
            "/service_at_locations/{id}": {"get": _by_id(
                "getServiceAtLocationWithNestedDataById", "A service at a location, nested",
                "optional", _ref("ServiceAtLocationFull"))},
        },
        "components": {"schemas": _schemas(), "parameters": PARAMETERS},
    }
