"""Recording searches for the partnership: terms, filters, outcode and result count."""

from app.extensions import db
from app.models import SearchRecord
from app.search.query import clean_text
from app.search.request import SearchForm

RECORDED_FILTERS = ("area", "category", "age", "access", "kind", "delivery", "language",
                    "free", "max_wait", "radius", "sort")


def record_search(form: SearchForm, result_count: int) -> None:
    """Keep one record per search (its first page), never a full postcode."""
    if form.page != 1 or form.is_empty:
        return
    filters = {name: form.values[name] for name in RECORDED_FILTERS if form.values.get(name)}
    place = form.place
    db.session.add(SearchRecord(
        terms=clean_text(form.values["q"])[0][:200],
        filters=filters,
        outcode=place.outcode if place else None,
        district=form.criteria.district,
        result_count=result_count,
    ))
    db.session.commit()
