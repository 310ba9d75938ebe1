"""Feeds in: other directories' Open Referral UK feeds, pulled on a schedule.

A pull reads the feed's /services page by page (only what changed since the last pull,
with `modified_after`), then each changed service's /services/{id} (list items carry no
locations, schedules, areas or taxonomy). Everything is read and checked against the
standard's schemas before anything is written, and written in one transaction: a bad
feed is refused with a clear error and leaves the directory as it was. Once a day (or with
--full) the whole list of ids is read too, the only way to notice services that vanished.

Listings this directory's providers maintain are never written: a feed's service whose id
is one of this directory's own listings is kept as it is (counted "kept").
"""

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote

from flask import current_app
from sqlalchemy import select

from app.accounts.audit import record_event
from app.dates import today_in_england
from app.directory.listing_entries import write_service
from app.extensions import db
from app.models import (
    Approval,
    Area,
    Category,
    Feed,
    FeedListing,
    ListingStatus,
    Organisation,
    Service,
    WaitingTime,
)
from app.models.directory import utcnow
from app.opendata.feed_client import (
    DEADLINE_SECONDS,
    FeedError,
    check_base_url,
    feed_url,
    get_json,
)
from app.opendata.feed_reading import RemoteService, read_service
from app.opendata.feed_schemas import check
from app.opendata.terms import stable_id

PER_PAGE = 100
MAX_PAGES = 1000
# A service changed while the last pull ran, or a feed whose clock is a little behind,
# is still asked for: pulls overlap by this much (an unchanged service costs one request).
OVERLAP = timedelta(minutes=10)
OUTCOMES = ("created", "updated", "unchanged", "withdrawn", "vanished", "kept")


@dataclass
class PullReport:
    feed: str
    full: bool = False
    counts: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        counts = ", ".join(f"{self.counts[outcome]} {outcome}" for outcome in OUTCOMES)
        return f"{self.feed}: {counts}" + (" (full list of ids read)" if self.full else "")


# -- feeds -------------------------------------------------------------------------------

def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-") or "feed"


def add_feed(name: str, url: str, publish_at_once: bool = False) -> Feed:
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise FeedError("give the feed a name of 1 to 100 characters, such as 'Hampshire'")
    if get_feed(name) is not None:
        raise FeedError(f"there is already a feed called {name!r}")
    feed = Feed(name=name, url=check_base_url(url), publish_at_once=publish_at_once)
    db.session.add(feed)
    record_event("feed.added", subject_type="feed", subject_id=name, actor="command line",
                 detail={"url": feed.url, "publish_at_once": publish_at_once})
    db.session.commit()
    return feed


def get_feed(name: str) -> Feed | None:
    return db.session.scalar(select(Feed).where(Feed.name == name))


def all_feeds() -> list[Feed]:
    return list(db.session.scalars(select(Feed).order_by(Feed.name)))


def set_publishing(feed: Feed, publish_at_once: bool) -> None:
    """Choose whether a feed's new services are public at once or wait for approval."""
    feed.publish_at_once = publish_at_once
    record_event("feed.publishing", subject_type="feed", subject_id=feed.name,
                 detail={"publish_at_once": publish_at_once})
    db.session.commit()


def awaiting_approval(feed: Feed | None = None) -> list[FeedListing]:
    query = select(FeedListing).where(FeedListing.approval == Approval.AWAITING)
    if feed is not None:
        query = query.where(FeedListing.feed_id == feed.id)
    return list(db.session.scalars(query.join(Service).order_by(Service.name)))


def get_listing(service_id: str) -> FeedListing | None:
    return db.session.get(FeedListing, service_id)


def decide(listing: FeedListing, approve: bool) -> None:
    """An admin lets a feed's service be public, or keeps it out (later pulls keep it out)."""
    listing.approval = Approval.APPROVED if approve else Approval.REJECTED
    _show_or_hide(listing)
    record_event("feed.approved" if approve else "feed.rejected", subject_type="service",
                 subject_id=listing.service_id, detail={"feed": listing.feed.name})
    db.session.commit()


def listed_by(service: Service) -> str | None:
    """The name of the feed a listing comes from, or None for this directory's own."""
    return db.session.scalar(select(Feed.name).join(FeedListing)
                             .where(FeedListing.service_id == service.id))


def counts_by_feed() -> dict[str, Counter]:
    result: dict[str, Counter] = {feed.name: Counter() for feed in all_feeds()}
    for name, status in db.session.execute(
            select(Feed.name, Service.status).join(FeedListing, FeedListing.feed_id == Feed.id)
            .join(Service, Service.id == FeedListing.service_id)):
        result[name][status] += 1
    return result


# -- pulling -----------------------------------------------------------------------------

def pull(feed: Feed, *, full: bool = False, now: datetime | None = None) -> PullReport:
    """Read what changed in a feed and write it, all or nothing. Raises FeedError."""
    started = now or utcnow()
    since = feed.pulled_at - OVERLAP if feed.pulled_at else None
    every = timedelta(hours=current_app.config.get("FEEDS_FULL_LIST_HOURS", 24))
    full = since is None or full or feed.full_list_at is None \
        or started - feed.full_list_at >= every
    report = PullReport(feed.name, full=full)
    try:
        changed = _list_services(feed, since)
        every_id = set(changed) if since is None else set(_list_services(feed, None)) if full \
            else None
        documents = {remote_id: _read_service(feed, remote_id)
                     for remote_id in sorted(_to_read(feed, changed, every_id))}
        _apply(feed, documents, every_id, started, report)
        db.session.commit()
    except FeedError as error:
        db.session.rollback()
        feed.last_error, feed.last_error_at = str(error), started
        db.session.commit()
        raise
    except BaseException:
        db.session.rollback()
        raise
    return report


def _list_services(feed: Feed, since: datetime | None) -> dict[str, dict]:
    items: dict[str, dict] = {}
    for page in range(1, MAX_PAGES + 1):
        query: dict[str, object] = {"page": page, "per_page": PER_PAGE}
        if since is not None:
            query["modified_after"] = since.replace(microsecond=0).isoformat() + "Z"
        url = feed_url(feed.url, "/services", query)
        body = get_json(url, deadline=_deadline())
        check(body, "service_list", f"page {page} of {feed.name} ({url})")
        contents = body.get("contents") or []
        new = {item["id"]: item for item in contents if item["id"] not in items}
        items.update(new)
        total_pages = body.get("total_pages")
        if not new or body.get("last_page") is True \
                or (isinstance(total_pages, int) and page >= total_pages):
            return items
    raise FeedError(f"{feed.name}: more than {MAX_PAGES} pages of services")


def _to_read(feed: Feed, changed: dict[str, dict], every_id: set[str] | None) -> set[str]:
    """What changed, and with a full list what this directory lacks or thought vanished."""
    wanted = set(changed)
    if every_id is not None:
        known = {listing.remote_id: listing for listing in feed.listings}
        wanted |= {remote_id for remote_id in every_id
                   if remote_id not in known or known[remote_id].remote_status == "vanished"}
    return wanted


def _read_service(feed: Feed, remote_id: str) -> dict:
    url = feed_url(feed.url, f"/services/{quote(remote_id, safe='')}")
    document = get_json(url, deadline=_deadline())
    check(document, "service", f"service {remote_id} of {feed.name} ({url})")
    if document["id"] != remote_id:
        raise FeedError(f"{url} describes service {document['id']}, not {remote_id}")
    return document


def _deadline() -> float:
    return float(current_app.config.get("FEEDS_DEADLINE_SECONDS", DEADLINE_SECONDS))


def _digest(document: dict) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def _apply(feed: Feed, documents: dict[str, dict], every_id: set[str] | None,
           started: datetime, report: PullReport) -> None:
    areas = list(db.session.scalars(select(Area).order_by(Area.name)))
    categories = list(db.session.scalars(select(Category)))
    ours = {listing.remote_id: listing for listing in feed.listings}
    maintained = _maintained_elsewhere(feed)
    for remote_id, document in documents.items():
        listing = ours.get(remote_id)
        if listing is None and remote_id in maintained:
            report.counts["kept"] += 1
            report.warnings.append(f"{remote_id} ({document['name']}): {maintained[remote_id]}; kept")
            continue
        digest = _digest(document)
        if listing is not None and listing.digest == digest and listing.remote_status != "vanished":
            listing.pulled_at = started
            report.counts["unchanged"] += 1
            continue
        remote = read_service(document, areas, categories)
        report.warnings.extend(f"{remote_id}: {warning}" for warning in remote.warnings)
        organisation = _organisation(feed, remote)
        if listing is None:
            service = Service(id=_free_service_id(feed, remote.entry["name"]),
                              uuid=_free_uuid(feed, remote_id), status=ListingStatus.WITHDRAWN)
            write_service(service, {**remote.entry, "id": service.id,
                                    "organisation": organisation.id})
            listing = FeedListing(service=service, feed=feed, remote_id=remote_id,
                                  approval=Approval.APPROVED if feed.publish_at_once
                                  else Approval.AWAITING)
            db.session.add_all([service, listing])
            ours[remote_id] = listing
            report.counts["created"] += 1
        else:
            write_service(listing.service, {**remote.entry, "id": listing.service_id,
                                            "organisation": organisation.id})
            report.counts["updated"] += 1
        _set_waiting_time(listing.service, remote)
        listing.service.last_reviewed = remote.assured_date or today_in_england()
        listing.remote_status, listing.remote_modified = remote.status, remote.last_modified
        listing.digest, listing.pulled_at = digest, started
        was_public = listing.service.status == ListingStatus.PUBLISHED
        if _show_or_hide(listing) == ListingStatus.WITHDRAWN and was_public:
            report.counts["withdrawn"] += 1
    if every_id is not None:
        for listing in ours.values():
            if listing.remote_id not in every_id and listing.remote_status != "vanished":
                listing.remote_status = "vanished"
                _show_or_hide(listing)
                report.counts["vanished"] += 1
        feed.full_list_at = started
    _remove_unused_organisations(feed)
    feed.pulled_at, feed.last_error, feed.last_error_at = started, None, None


def _remove_unused_organisations(feed: Feed) -> None:
    """A feed's organisation none of its services names any more (renamed there) goes."""
    db.session.flush()
    for organisation in db.session.scalars(select(Organisation).where(
            Organisation.id.startswith(f"feed-{slug(feed.name)}-", autoescape=True),
            ~Organisation.services.any())):
        db.session.delete(organisation)


def _maintained_elsewhere(feed: Feed) -> dict[str, str]:
    """Remote ids this feed may not write: this directory's own listings, other feeds'."""
    found = {uuid: "one of this directory's own listings" for uuid in db.session.scalars(
        select(Service.uuid).where(~Service.id.in_(select(FeedListing.service_id))))}
    for remote_id, name in db.session.execute(
            select(FeedListing.remote_id, Feed.name).join(Feed).where(Feed.id != feed.id)):
        found[remote_id] = f"already listed by {name}"
    return found


def _show_or_hide(listing: FeedListing) -> str:
    wanted = ListingStatus.PUBLISHED if listing.approval == Approval.APPROVED \
        and listing.remote_status == "active" else ListingStatus.WITHDRAWN
    if listing.service.status != wanted:
        listing.service.status = wanted
    return wanted


def _free_service_id(feed: Feed, name: str) -> str:
    base = f"{slug(feed.name)}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}"[:90].strip("-")
    candidate, number = base, 2
    while db.session.get(Service, candidate) is not None:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _free_uuid(feed: Feed, remote_id: str) -> str:
    """The feed's own id, so the same service keeps one id across directories, unless some
    listing here already has it."""
    taken = db.session.scalar(select(Service.id).where(Service.uuid == remote_id))
    return stable_id("feed", feed.name, remote_id) if taken else remote_id


def _organisation(feed: Feed, remote: RemoteService) -> Organisation:
    """The feed's organisation, kept apart from this directory's own by its id."""
    given = remote.organisation
    name = given["name"] or feed.name
    org_id = f"feed-{slug(feed.name)}-{slug(name)}"[:100].strip("-")
    organisation = db.session.get(Organisation, org_id)
    if organisation is None:
        organisation = Organisation(id=org_id, uuid=_free_org_uuid(feed, given["remote_id"]))
        db.session.add(organisation)
    for key in ("name", "description", "website", "email", "phone"):
        value = name if key == "name" else given[key]
        if getattr(organisation, key) != value:
            setattr(organisation, key, value)
    db.session.flush()
    return organisation


def _free_org_uuid(feed: Feed, remote_id: str | None) -> str:
    if remote_id and not db.session.scalar(
            select(Organisation.id).where(Organisation.uuid == remote_id)):
        return remote_id
    return stable_id("feed-organisation", feed.name, remote_id or "")


def _set_waiting_time(service: Service, remote: RemoteService) -> None:
    """A waiting time the feed states in this directory's own terms joins the history."""
    given = remote.waiting_time
    current = service.current_waiting_time
    if given is None or (current is not None and (
            current.status, current.weeks, current.confirmed_on, current.note)
            == (given["status"], given["weeks"], given["updated"], given["note"])):
        return
    service.waiting_times.append(WaitingTime(
        status=given["status"], weeks=given["weeks"], confirmed_on=given["updated"],
        note=given["note"], source="feed", recorded_at=utcnow()))
