"""Recording searches for the partnership: terms, filters, outcode and result count.

The demand page shows a search's words once 5 records used exactly them, on the
understanding that they come from several families. One family loads the same results again
and again: "Back to results" from a service, the language switcher (both keep the words),
reloads, filters switched on and off. So words (with the postcode) this browser recorded
among its last RECENT searches are not recorded again: the session keeps a short keyed hash
of each (never the words). Filters are not part of it: the demand page counts words.
"""

import hashlib
import hmac
import json

from flask import current_app, session

from app.extensions import db
from app.models import SearchRecord
from app.search import SearchForm, clean_text

RECORDED_FILTERS = ("area", "category", "age", "access", "kind", "delivery", "language",
                    "free", "max_wait", "radius", "sort")
SESSION_KEY = "recent_searches"
RECENT = 10


def record_search(form: SearchForm, result_count: int) -> None:
    """Keep one record per search (its first page), never a full postcode, and none for
    words this browser's session recorded lately."""
    if form.page != 1 or form.is_empty:
        return
    terms = clean_text(form.values["q"])[0][:200]
    filters = {name: form.values[name] for name in RECORDED_FILTERS if form.values.get(name)}
    fingerprint = _fingerprint(terms, form.values.get("postcode", ""))
    recent = session.get(SESSION_KEY)
    recent = recent if isinstance(recent, list) else []
    if fingerprint in recent:
        return
    place = form.place
    db.session.add(SearchRecord(
        terms=terms,
        filters=filters,
        outcode=place.outcode if place else None,
        district=form.criteria.district,
        result_count=result_count,
    ))
    db.session.commit()
    session[SESSION_KEY] = [*recent, fingerprint][-RECENT:]


def _fingerprint(terms: str, postcode: str) -> str:
    """A short hash of the words and postcode as normalised (case and spaces do not make
    another search). Keyed with the app's secret: the session cookie is signed, not
    encrypted, and a bare hash of a postcode and a few words could be guessed back from it."""
    normalised = json.dumps([terms.casefold(), "".join(postcode.split()).upper()],
                            ensure_ascii=False, separators=(",", ":"))
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()[:16]
