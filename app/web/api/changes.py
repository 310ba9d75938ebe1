"""GET /api/v1/changes.atom: this directory's listing changes and withdrawals as a paged
Atom feed (see app/opendata/changes.py), cached for a minute so that a consumer polling
every few minutes learns of a change within minutes."""

from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from flask import Response, current_app, request, url_for

from app.directory import listings
from app.opendata import changes as listing_changes
from app.opendata.terms import stable_id
from app.web.api.routes import InvalidParameter, _whole_number, v1

ATOM = "http://www.w3.org/2005/Atom"
TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"
CACHE_SECONDS = 60


def _when(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = text
    return element


@v1.get("/v1/changes.atom")
def changes_feed() -> Response:
    number = _whole_number("page", 1)
    page = listing_changes.changes_page(number)
    if number > page.total_pages:
        raise InvalidParameter("page", f"page must be from 1 to {page.total_pages}, not {number}")
    name = listings.directory_settings().name or "Family support directory"
    feed = ET.Element("feed", {"xmlns": ATOM, "xmlns:at": TOMBSTONES})
    _add(feed, "id", "urn:uuid:" + stable_id("changes-feed"))
    _add(feed, "title", f"{name}: listing changes")
    _add(feed, "updated", _when(page.newest or datetime(2026, 1, 1)))
    author = _add(feed, "author")
    _add(author, "name", name)
    _add(author, "uri", url_for("api.developers", _external=True))

    def page_link(rel: str, to: int) -> None:
        _add(feed, "link", rel=rel, type="application/atom+xml",
             href=url_for(".changes_feed", page=to, _external=True) if to > 1
             else url_for(".changes_feed", _external=True))

    page_link("self", number)
    page_link("first", 1)
    page_link("last", page.total_pages)
    if number > 1:
        page_link("previous", number - 1)
    if number < page.total_pages:
        page_link("next", number + 1)
    for change in page.changes:
        json_url = url_for(".service", service_id=change.uuid, _external=True)
        if change.withdrawn:
            gone = _add(feed, "at:deleted-entry", ref=f"urn:uuid:{change.uuid}",
                        when=_when(change.at))
            _add(gone, "link", href=json_url)
            _add(gone, "at:comment", f"{change.name} was withdrawn from the directory")
            continue
        entry = _add(feed, "entry")
        _add(entry, "id", f"urn:uuid:{change.uuid}")
        _add(entry, "title", change.name)
        _add(entry, "updated", _when(change.at))
        _add(entry, "summary", change.summary)
        _add(entry, "link", rel="alternate", type="application/json", href=json_url)
        _add(entry, "link", rel="alternate", type="text/html",
             href=url_for("public.service", service_id=change.slug, _external=True))
        _add(_add(entry, "author"), "name", change.organisation)
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    response = current_app.response_class(body, mimetype="application/atom+xml")
    response.add_etag()
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    response.make_conditional(request)
    if page.newest is not None:
        response.last_modified = page.newest.replace(tzinfo=UTC)
    return response
