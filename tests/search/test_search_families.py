"""The families' relevance set (relevance_families.yml): success@5 over every row.

The rows were written by reading services.yml before the search vocabulary existed; this
test measures the search against them as a whole, and names every row that failed.
"""

from pathlib import Path

import yaml
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app import search
from app.directory import listings
from app.extensions import db
from app.models import Service

TOP = 5
REQUIRED_SUCCESS = 0.95
ROWS = yaml.safe_load((Path(__file__).parent / "relevance_families.yml").read_text("utf-8"))


def _top(row: dict) -> list[str]:
    """The first five services for the row, searched as the search page reads a request."""
    choices = listings.filter_choices()
    args = MultiDict({"q": row["q"], "postcode": row.get("postcode", "")})
    form = search.parse_request(args, set(choices.areas), set(choices.categories),
                                set(choices.languages))
    assert not form.errors, (row["q"], form.errors)
    outcome, degraded = search.search(form.criteria, 1, TOP)
    assert not degraded, "the index was unavailable: the database answered instead"
    return [hit.service_id for hit in outcome.hits[:TOP]]


def test_the_set_is_large_enough_and_names_real_services(surrey):
    assert len(ROWS) >= 80
    known = _service_ids()
    unknown = {i for row in ROWS for i in row["expect"] if i not in known}
    assert not unknown


def _service_ids() -> set[str]:
    return set(db.session.scalars(select(Service.id)))


def test_success_at_five_for_families_words(surrey):
    failed = []
    for row in ROWS:
        top = _top(row)
        if not set(row["expect"]) & set(top):
            failed.append(f"{row['kind']}: {row['q']!r} {row.get('postcode', '')} -> {top}")
    success = 1 - len(failed) / len(ROWS)
    print(f"success@{TOP}: {success:.3f} over {len(ROWS)} searches", *failed, sep="\n")
    assert success >= REQUIRED_SUCCESS, (
        f"success@{TOP} {success:.3f} < {REQUIRED_SUCCESS}; failed:\n" + "\n".join(failed))
