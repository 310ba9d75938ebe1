"""A shortlist of services a family or a school is considering, kept in the session.

No account: the list lives in the signed session cookie, and a share link carries the
service ids so the same list opens on another phone.
"""

from collections.abc import MutableMapping

from sqlalchemy import select

from app.directory import listings
from app.extensions import db
from app.models import ListingStatus, Service

SESSION_KEY = "shortlist"
REDIRECT_KEY = "shortlist_redirect"
MAX_ITEMS = 30


def ids(session: MutableMapping) -> list[str]:
    return list(session.get(SESSION_KEY, []))


def add(session: MutableMapping, service_id: str) -> bool:
    """Add a published service; False when there is no such service or the list is full."""
    current = ids(session)
    if service_id in current:
        return True
    if len(current) >= MAX_ITEMS or not published_ids([service_id]):
        return False
    session[SESSION_KEY] = [*current, service_id]
    return True


def remove(session: MutableMapping, service_id: str) -> None:
    session[SESSION_KEY] = [i for i in ids(session) if i != service_id]


def note_redirect(session: MutableMapping, path: str) -> None:
    """Remember that the next request for this page (a path, without its query) is only the
    redirect after adding or removing, so the page can tell it from a new visit."""
    session[REDIRECT_KEY] = path


def is_redirect_after_change(session: MutableMapping, path: str) -> bool:
    """Whether this request for `path` is the redirect after adding or removing (and not,
    say, a page view to count). Answers once: the note is taken off whatever it said."""
    return session.pop(REDIRECT_KEY, None) == path


def replace(session: MutableMapping, service_ids: list[str]) -> None:
    session[SESSION_KEY] = [service.id for service in services_in_order(service_ids)]


def published_ids(service_ids: list[str]) -> set[str]:
    if not service_ids:
        return set()
    return set(db.session.scalars(select(Service.id).where(
        Service.id.in_(service_ids), Service.status == ListingStatus.PUBLISHED)))


def services_in_order(service_ids: list[str]) -> list[Service]:
    """The published services among these ids, in the order given (unknown ids dropped)."""
    found = {s.id: s for s in listings.published_with_details(service_ids[:MAX_ITEMS])}
    return [found[i] for i in dict.fromkeys(service_ids) if i in found]


def parse_shared(text: str) -> list[str]:
    """Service ids from a share link (`?services=a,b,c`), at most MAX_ITEMS."""
    return [part.strip() for part in (text or "")[:3000].split(",") if part.strip()][:MAX_ITEMS]
