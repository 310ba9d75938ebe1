"""Repair of descriptions whose paragraphs were lost: before line breaks were made LF on the
way in, a provider's edit stored the browser's CR LF, which the public page showed as one
paragraph. Each listing's own earlier versions say what the paragraphs were: the same words,
with the blank lines in. A repaired listing gets a new version, so its history says so."""

from dataclasses import dataclass

from sqlalchemy import select

from app.directory import listing_versions
from app.directory.listing_versions import IMPORT_ACTOR
from app.extensions import db
from app.models import ListingVersion, Service
from app.text import lf

REPAIR_REASON = "Paragraphs of the description put back from an earlier version"


@dataclass
class Repaired:
    service_id: str
    from_version: int | None  # None when only the line breaks' style was put right


def _words(text: str) -> list[str]:
    return lf(text).split()


def _paragraph_breaks(text: str) -> int:
    return lf(text).strip().count("\n")


def repaired_description(service: Service, earlier: list[ListingVersion]) -> tuple[str, int | None] | None:
    """The description with its line breaks back, and the version they came from; None when
    nothing is to be repaired. The words must be the same: only line breaks are put back."""
    current = service.description or ""
    best: tuple[str, int | None] | None = None
    if "\r" in current:
        best = (lf(current).strip(), None)
    breaks = _paragraph_breaks(best[0] if best else current)
    for version in reversed(earlier):  # the newest that has them
        text = (version.data or {}).get("description") or ""
        if _words(text) == _words(current) and _paragraph_breaks(text) > breaks:
            return lf(text).strip(), version.number
    return best


def repair_descriptions(actor: str = IMPORT_ACTOR) -> list[Repaired]:
    """Put back every lost paragraph (and make every stored line break LF); commits."""
    done = []
    for service in db.session.scalars(select(Service).order_by(Service.id)):
        earlier = listing_versions.versions(service)
        found = repaired_description(service, earlier)
        if found is None:
            continue
        listing_versions.ensure_history_start(service)
        service.description = found[0]
        listing_versions.record_repair(service, created_by=actor, reason=REPAIR_REASON)
        done.append(Repaired(service.id, found[1]))
    db.session.commit()
    return done
