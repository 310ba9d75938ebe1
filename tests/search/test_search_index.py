"""An index that can be trusted: fed only after commit, one writer across processes, and
a missing or damaged index still answers (from the database) and rebuilds itself."""

import multiprocessing
import shutil
import time
from pathlib import Path

from app import search
from app.extensions import db
from app.models import Service, WaitingTime
from app.search import Criteria


def ids_for(text: str, **criteria) -> list[str]:
    outcome, _ = search.search(Criteria(text=text, **criteria))
    return [hit.service_id for hit in outcome.hits]


def test_a_change_is_searchable_after_commit_and_not_before(surrey_to_change, app):
    service = db.session.get(Service, "woking-youth-centre")
    service.keywords = [*service.keywords, "zorbing"]
    db.session.flush()
    assert "woking-youth-centre" not in ids_for("zorbing")  # flushed, not committed
    db.session.commit()
    assert ids_for("zorbing") == ["woking-youth-centre"]
    service.keywords = [k for k in service.keywords if k != "zorbing"]
    db.session.commit()
    assert ids_for("zorbing") == []


def test_a_rolled_back_change_leaves_no_phantom(surrey_to_change, app):
    service = db.session.get(Service, "woking-youth-centre")
    service.keywords = [*service.keywords, "quidditch"]
    db.session.flush()
    db.session.rollback()
    db.session.get(Service, "woking-youth-centre").summary = "Unchanged text, new commit."
    db.session.commit()
    assert ids_for("quidditch") == []


def test_a_waiting_time_update_is_visible_in_search_at_once(surrey_to_change, app):
    service = db.session.get(Service, "woking-wellbeing-counselling")
    assert "woking-wellbeing-counselling" not in ids_for("", max_wait=0, area="woking")
    service.waiting_times.append(WaitingTime(status="open", confirmed_on=_today(),
                                             source="provider"))
    db.session.commit()
    assert "woking-wellbeing-counselling" in ids_for("", max_wait=0, area="woking")


def test_a_withdrawn_service_leaves_the_index(surrey_to_change, app):
    db.session.get(Service, "woking-youth-centre").status = "withdrawn"
    db.session.commit()
    assert "woking-youth-centre" not in ids_for("youth centre woking")
    missing, extra = search.consistency()
    assert (missing, extra) == (set(), set())


def test_a_missing_index_answers_from_the_database_and_rebuilds(surrey_to_change, app, client):
    index_dir = Path(app.config["SEARCH_INDEX_DIR"])
    search._index().close()
    shutil.rmtree(index_dir)
    response = client.get("/search?q=breastfeeding")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Search is being refreshed" in html
    assert "epsom-breastfeeding-cafe" in html
    _wait_for_index()
    assert "Search is being refreshed" not in client.get("/search?q=breastfeeding").get_data(
        as_text=True)


def test_a_corrupt_index_answers_from_the_database_and_rebuilds(surrey_to_change, app, client):
    index_dir = Path(app.config["SEARCH_INDEX_DIR"])
    search._index().close()
    for path in index_dir.iterdir():
        path.write_bytes(b"\x00garbage")
    response = client.get("/search?q=breastfeeding")
    assert response.status_code == 200
    assert "Search is being refreshed" in response.get_data(as_text=True)
    _wait_for_index()
    assert search.consistency() == (set(), set())


def test_check_finds_an_index_that_disagrees(surrey_to_change, app, cli):
    search._index().update([], removed_ids={"woking-youth-centre"})
    result = cli.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert "missing from the index: woking-youth-centre" in result.output
    search.rebuild()


def _reindex_many(database_url: str, index_dir: str, service_ids: list[str], rounds: int):
    from app import create_app
    from app.config import TestConfig

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        SEARCH_INDEX_DIR = index_dir

    with create_app(Config).app_context():
        for _ in range(rounds):
            search.reindex(set(service_ids))


def test_writers_in_several_processes_never_collide(surrey_to_change, app):
    """Two worker processes updating listings at once: no LockError, nothing lost."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    index_dir = app.config["SEARCH_INDEX_DIR"]
    ids = sorted(db.session.scalars(db.select(Service.id)))
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_reindex_many, args=(url, index_dir, ids[i::2], 5))
               for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    assert search.consistency() == (set(), set())
    assert search._index().doc_count() == len(ids)


def _wait_for_index(seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not search._rebuilding.locked():
            try:
                if search._index().doc_count() > 0:
                    return
            except search.IndexUnavailable:
                pass
        time.sleep(0.1)
    raise AssertionError("the index did not rebuild itself")


def _today():
    from datetime import date

    return date.today()


def test_an_index_update_that_fails_after_commit_is_retried(surrey_to_change, app, monkeypatch):
    from app.search import index as index_module

    monkeypatch.setattr(search, "RETRY_DELAYS_SECONDS", (0.2, 0.5))
    real_update = index_module.SearchIndex.update
    failures = {"left": 1}

    def flaky_update(self, documents, removed_ids=()):
        if failures["left"]:
            failures["left"] -= 1
            raise index_module.LockError("another process holds the lock")
        return real_update(self, documents, removed_ids)

    monkeypatch.setattr(index_module.SearchIndex, "update", flaky_update)
    service = db.session.get(Service, "woking-youth-centre")
    service.keywords = [*service.keywords, "trampolining"]
    db.session.commit()  # the first update fails: the commit still stands, no error
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and ids_for("trampolining") != ["woking-youth-centre"]:
        time.sleep(0.1)
    assert ids_for("trampolining") == ["woking-youth-centre"]
