"""Changes out: this directory's listing changes and withdrawals, newest first, for an Atom
feed (RFC 4287, paged as RFC 5005 describes, withdrawals as RFC 6721 tombstones). A
consumer polls the first page every few minutes (it is cheap: an ETag answers 304 when
nothing changed) and follows `next` until it reaches what it has seen.

Only the directory's own listings: one taken from another directory's feed is that
directory's to announce.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models import FeedListing, ListingStatus, Organisation, Service, WaitingTime

PER_PAGE = 50



@dataclass(frozen=True)
class Change:
    uuid: str
    slug: str
    name: str
    summary: str
    organisation: str
    at: datetime
    withdrawn: bool


@dataclass(frozen=True)
class ChangesPage:
    changes: list[Change]
    number: int
    total_pages: int
    newest: datetime | None


def changes_page(number: int, per_page: int | None = None) -> ChangesPage:
    """One page of the listings as they last changed, newest change first. A listing
    appears once, at its latest change (a new waiting time and an organisation's change
    count), so the feed is as long as the directory, not as its history."""
    per_page = per_page or PER_PAGE
    latest_wait = (select(WaitingTime.service_id, func.max(WaitingTime.recorded_at).label("at"))
                   .group_by(WaitingTime.service_id).subquery())
    rows = db.session.execute(
        select(Service.uuid, Service.id, Service.name, Service.summary, Service.status,
               Service.updated_at, Organisation.name, Organisation.updated_at, latest_wait.c.at)
        .join(Organisation, Organisation.id == Service.organisation_id)
        .outerjoin(latest_wait, latest_wait.c.service_id == Service.id)
        .where(Service.id.not_in(select(FeedListing.service_id))))
    every = sorted((Change(uuid, slug, name, summary, organisation,
                           max(moment for moment in (updated, org_updated, waited) if moment),
                           status != ListingStatus.PUBLISHED)
                    for uuid, slug, name, summary, status, updated, organisation, org_updated,
                    waited in rows), key=lambda change: (change.at, change.uuid), reverse=True)
    total_pages = max(1, -(-len(every) // per_page))
    return ChangesPage(every[(number - 1) * per_page:number * per_page], number, total_pages,
                       every[0].at if every else None)
