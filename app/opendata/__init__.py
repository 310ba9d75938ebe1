"""Open data, the domain: the directory in Open Referral UK terms (HSDS-UK 3.0). terms holds
the taxonomies and fixed identifiers, mapping describes published listings as the
standard's objects, finding finds them (paging, filters, search, distance). The API's pages
(app/web/api) use this face: `from app import opendata`."""

from app.opendata.feeds import listed_by
from app.opendata.finding import (
    Listing,
    Near,
    Paging,
    ServiceFilters,
    TermFilters,
    developer_examples,
    near,
    organization,
    organizations,
    service,
    service_at_location,
    service_at_locations,
    services,
    taxonomies,
    taxonomy,
    taxonomy_term,
    taxonomy_terms,
)
from app.opendata.mapping import (
    Context,
    api_details,
    data_modified,
    service_at_location_id,
)
from app.opendata.terms import (
    CATEGORIES,
    DIRECTORY,
    NAMESPACE,
    OWN_TERM_BY_CODE,
    OWN_TERMS,
    TAXONOMIES,
    VERSION,
    BadFilter,
)

__all__ = [
    "BadFilter", "CATEGORIES", "Context", "DIRECTORY", "Listing", "NAMESPACE", "Near", "OWN_TERMS",
    "OWN_TERM_BY_CODE", "Paging", "ServiceFilters", "TAXONOMIES", "TermFilters", "VERSION",
    "api_details", "data_modified", "developer_examples", "listed_by", "near", "organization",
    "organizations",
    "service", "service_at_location", "service_at_location_id", "service_at_locations", "services",
    "taxonomies", "taxonomy", "taxonomy_term", "taxonomy_terms",
]
