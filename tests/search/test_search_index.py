"""An index that can be trusted: every change is logged with its own transaction and
applied after commit, a missing or damaged index still answers (from the database) until
the applier has built a new one, and `flask search check` compares content."""

import shutil
import threading
import time
from datetime import date
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select, update

from app import search
from app.extensions import db
from app.models import SearchChange, Service, WaitingTime
from app.search import Criteria


def ids_for(text: str, **criteria) -> list[str]:
    outcome, _ = search.search(Criteria(text=text, **criteria))
    return [hit.service_id for hit in outcome.hits]


def test_a_change_is_searchable_once_applied_and_never_before_commit(surrey_to_change, app):
    service = db.session.get(Service, "woking-youth-centre")
    service.keywords = [*service.keywords, "zorbing"]
    db.session.flush()
    search.catch_up()
    assert "woking-youth-centre" not in ids_for("zorbing")  # flushed, not committed
    db.session.commit()
    assert "woking-youth-centre" not in ids_for("zorbing")  # commit never touches the index
    search.catch_up()
    assert ids_for("zorbing") == ["woking-youth-centre"]
    service.keywords = [k for k in service.keywords if k != "zorbing"]
    db.session.commit()
    search.catch_up()
    assert "woking-youth-centre" not in ids_for("zorbing")


def test_a_rolled_back_change_leaves_no_log_row_and_no_phantom(surrey_to_change, app):
    before = db.session.scalar(select(db.func.count()).select_from(SearchChange))
    service = db.session.get(Service, "woking-youth-centre")
    service.keywords = [*service.keywords, "quidditch"]
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(SearchChange)) == before
    db.session.get(Service, "woking-youth-centre").summary = "Unchanged text, new commit."
    db.session.commit()
    search.catch_up()
    assert ids_for("quidditch") == []


def test_a_waiting_time_update_is_searchable_once_applied(surrey_to_change, app):
    service = db.session.get(Service, "woking-wellbeing-counselling")
    assert "woking-wellbeing-counselling" not in ids_for("", max_wait=0, area="woking")
    service.waiting_times.append(WaitingTime(status="open", confirmed_on=date.today(),
                                             source="provider"))
    db.session.commit()
    assert search.pending_changes() == 1
    search.catch_up()
    assert "woking-wellbeing-counselling" in ids_for("", max_wait=0, area="woking")
    assert search.pending_changes() == 0


def test_a_bulk_update_statement_is_logged_too(surrey_to_change, app):
    db.session.execute(update(Service).where(Service.id == "woking-youth-centre")
                       .values(status="withdrawn"))
    db.session.commit()
    search.catch_up()
    assert "woking-youth-centre" not in ids_for("youth centre woking")
    assert search.check().agrees


def test_a_withdrawn_service_leaves_the_index(surrey_to_change, app):
    db.session.get(Service, "woking-youth-centre").status = "withdrawn"
    db.session.commit()
    search.catch_up()
    assert "woking-youth-centre" not in ids_for("youth centre woking")
    assert search.check().agrees


def test_an_emptied_index_folder_answers_from_the_database_until_rebuilt(surrey_to_change, app,
                                                                        client):
    search._index().close()
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    plain = FlaskClient(app)  # no catching up after each request: nothing rebuilds yet
    response = plain.get("/search?q=breastfeeding")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Search is being refreshed" in html
    assert "epsom-breastfeeding-cafe" in html
    assert search.index_health()["usable"] is False
    search.catch_up()  # what the applier does at its next poll
    assert "Search is being refreshed" not in plain.get("/search?q=breastfeeding").get_data(
        as_text=True)
    assert search.index_health() == {"usable": True, "lag_seconds": 0.0, "problem": None}


def test_a_corrupt_index_answers_from_the_database_and_is_rebuilt(surrey_to_change, app):
    search._index().close()
    generation = search._folder().current()
    for path in generation.iterdir():
        if path.suffix in (".toc", ".seg"):
            path.write_bytes(b"\x00garbage")
    plain = FlaskClient(app)
    response = plain.get("/search?q=breastfeeding")
    assert response.status_code == 200
    assert "Search is being refreshed" in response.get_data(as_text=True)
    db.session.get(Service, "woking-youth-centre").summary = "A change to apply."
    db.session.commit()
    search.catch_up()
    assert search.check().agrees
    assert "Search is being refreshed" not in plain.get("/search?q=breastfeeding").get_data(
        as_text=True)


def test_searches_during_a_rebuild_from_an_empty_folder_never_fail(surrey_to_change, app):
    """The real background applier builds while searches go on: each is answered, from
    the database until the new index is complete, never from a half-built one."""
    search._index().close()
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    plain = FlaskClient(app)
    statuses, degraded = [], []
    search.start_applier()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            response = plain.get("/search?q=youth+club&sort=wait")
            statuses.append(response.status_code)
            degraded.append("Search is being refreshed" in response.get_data(as_text=True))
            if not degraded[-1]:
                break
    finally:
        search.stop_applier()
    assert set(statuses) == {200}
    assert degraded[-1] is False, "the applier never built the index"


def test_check_finds_missing_extra_and_stale_documents_and_repairs_them(surrey_to_change, app,
                                                                        cli):
    from app.search.index import write
    from app.search.schema import document_for

    generation = search._folder().current()
    stale = document_for(db.session.get(Service, "epsom-breastfeeding-cafe"))
    stale["wait_sort"] = 99  # an older version of the document
    stale["built_from"] = "an-older-version"
    withdrawn = document_for(db.session.get(Service, "woking-wellbeing-counselling"))
    withdrawn["id"] = "no-longer-published"
    write(generation, [stale, withdrawn], removed_ids={"woking-youth-centre"})
    result = cli.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert "missing from the index: woking-youth-centre" in result.output
    assert "in the index but not published: no-longer-published" in result.output
    assert "stale in the index: epsom-breastfeeding-cafe" in result.output
    repaired = cli.invoke(args=["search", "check", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    result = cli.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    assert "The index and the database agree" in result.output
    assert ids_for("youth centre woking")[0] == "woking-youth-centre"


def test_rebuild_swaps_in_a_new_index_and_old_log_rows_are_pruned(surrey_to_change, app, cli):
    old = search._folder().current()
    assert ids_for("breastfeeding")
    result = cli.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0 and "Indexed" in result.output
    assert search._folder().current() != old
    assert ids_for("breastfeeding")  # the searcher follows the pointer
    db.session.add(SearchChange(service_id="woking-youth-centre",
                                changed_at=datetime_hours_ago(200)))
    db.session.commit()
    from app.search.applier import Settings, prune_log

    assert prune_log(Settings.of(app)) == 1


def datetime_hours_ago(hours: float):
    from datetime import timedelta

    from app.models.directory import utcnow

    return utcnow() - timedelta(hours=hours)


def test_a_server_further_behind_than_the_log_keeps_rebuilds(surrey_to_change, app):
    folder = search._folder()
    generation = folder.current()
    position = folder.position(generation)
    position.polled_at -= 200 * 3600  # down for longer than the 168-hour retention
    folder.save_position(generation, position)
    search.catch_up()
    assert folder.current() != generation
    assert search.check().agrees


def test_changes_committed_in_reverse_order_of_their_numbers_both_arrive(surrey_to_change, app):
    """PostgreSQL hands out numbers before commit: 100 can commit after 101 was applied."""
    first, second = "woking-youth-centre", "epsom-breastfeeding-cafe"
    if db.engine.dialect.name == "postgresql":
        early, late = db.sessionmaker(bind=db.engine)(), db.sessionmaker(bind=db.engine)()
        for session, service_id, word in ((early, first, "xylophone"), (late, second, "yodelling")):
            service = session.get(Service, service_id)
            service.keywords = [*service.keywords, word]
            session.flush()  # takes its change number now: early's is the lower
        late.commit()
        search.catch_up()
        assert ids_for("yodelling") == [second]
        early.commit()
        early.close()
        late.close()
    else:  # SQLite commits one at a time, in order: write the numbers out of order instead
        mark = db.session.scalar(select(db.func.max(SearchChange.id))) or 0
        for service_id, word in ((first, "xylophone"), (second, "yodelling")):
            service = db.session.get(Service, service_id)
            service.keywords = [*service.keywords, word]
        db.session.flush()
        db.session.execute(db.delete(SearchChange).where(SearchChange.id > mark))
        db.session.add(SearchChange(id=mark + 2, service_id=second))
        db.session.commit()
        search.catch_up()
        assert ids_for("yodelling") == [second]
        db.session.add(SearchChange(id=mark + 1, service_id=first))
        db.session.commit()
    search.catch_up()
    assert ids_for("xylophone") == [first]
    assert ids_for("yodelling") == [second]


def _set_wait(url_session_factory, service_id: str, weeks: int, errors: list) -> None:
    session = url_session_factory()
    try:
        service = session.get(Service, service_id)
        service.waiting_times.append(WaitingTime(status="waitlist", weeks=weeks,
                                                 confirmed_on=date.today(), source="provider"))
        session.commit()
    except Exception as error:  # a lost race is reported, not hidden
        errors.append(error)
    finally:
        session.close()


def test_concurrent_updates_of_one_listing_leave_the_index_equal_to_the_database(
        surrey_to_change, app):
    """Three providers update one listing at once while the applier runs: after every
    round the index holds what the database holds."""
    factory = db.sessionmaker(bind=db.engine)
    service_id = "woking-wellbeing-counselling"
    search.start_applier()
    try:
        for round_number in range(5):
            errors: list = []
            threads = [threading.Thread(target=_set_wait,
                                        args=(factory, service_id, round_number * 3 + n, errors))
                       for n in range(3)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert not errors
            assert search.wait_until_applied(15)
            db.session.expire_all()
            weeks = db.session.get(Service, service_id).current_waiting_time.weeks
            report = search.check()
            assert report.agrees, (round_number, weeks, report)
            outcome, _ = search.search(Criteria(max_wait=2, area="woking"), 1, 500)
            assert (service_id in {hit.service_id for hit in outcome.hits}) == (weeks <= 2)
    finally:
        search.stop_applier()


def test_index_health_reports_lag(surrey_to_change, app):
    assert search.index_health() == {"usable": True, "lag_seconds": 0.0, "problem": None}
    db.session.add(SearchChange(service_id="woking-youth-centre",
                                changed_at=datetime_hours_ago(0.05)))
    db.session.commit()
    health = search.index_health()
    assert health["usable"] is True and health["lag_seconds"] >= 170
    assert "behind the database" in health["problem"]
    search.catch_up()
    assert search.index_health()["lag_seconds"] == 0.0


def test_the_index_folder_survives_a_missing_pointer_target(surrey_to_change, app):
    (Path(app.config["SEARCH_INDEX_DIR"]) / "current").write_text("gen-nothing-here")
    assert search.index_health()["usable"] is False
    search.catch_up()
    assert search.index_health()["usable"] is True


def test_a_log_whose_numbers_went_backwards_rebuilds_the_index(surrey_to_change, app):
    """A database restored from a backup numbers its changes from an older point: the
    server cannot tell which it has applied, so it builds afresh."""
    folder = search._folder()
    generation = folder.current()
    position = folder.position(generation)
    position.mark += 1000
    folder.save_position(generation, position)
    search.catch_up()
    assert folder.current() != generation
    assert search.check().agrees


def test_a_command_that_cannot_have_the_index_lock_says_so(surrey, app, cli, monkeypatch):
    monkeypatch.setattr(search, "LOCK_WAIT_SECONDS", 0.2)
    with search._folder().lock() as held:  # the applier of another process is busy
        assert held
        result = cli.invoke(args=["search", "rebuild"])
    assert result.exit_code == 1
    assert "another process has held the search index lock" in result.output


def test_a_missing_change_number_is_awaited_for_the_gap_window_only():
    """A number skipped by a transaction that rolled back is not looked for forever."""
    from app.search.applier import Settings, _advance
    from app.search.folder import Position

    settings = Settings(gap_seconds=600)
    position = _advance(Position(mark=10), {11, 13, 14}, settings)
    assert (position.mark, set(position.gaps)) == (14, {12})
    position.gaps[12] -= 601  # awaited for longer than the window: it rolled back
    assert _advance(position, set(), settings).gaps == {}
    assert set(_advance(Position(mark=14, gaps={12: time.time()}), {12}, settings).gaps) == set()
