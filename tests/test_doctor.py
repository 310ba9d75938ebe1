"""`flask doctor` checks a running configuration against the production checklist: it
says what is wrong and exits non-zero, including a search index that no longer matches
the database (as after restoring a backup)."""

import pytest
from flask_migrate import stamp
from sqlalchemy import text

from app.extensions import db
from tests.referrals.referral_support import referrals_db, smtp  # noqa: F401 (fixtures)


@pytest.fixture
def production_like(app, monkeypatch, smtp, referrals_db, surrey_to_change):  # noqa: F811
    smtp.start()
    monkeypatch.setitem(app.config, "TESTING", False)
    monkeypatch.setitem(app.config, "SECRET_KEY", "k" * 48)
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    monkeypatch.setitem(app.config, "MAIL_FROM", "Surrey Family Support <no-reply@families.example.org>")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://families.example.org")
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", 1)
    stamp()  # the test database is made by create_all: mark it as migrated
    yield
    db.session.rollback()
    db.session.execute(text("DROP TABLE alembic_version"))
    db.session.commit()


def test_a_good_configuration_passes(cli, production_like):
    result = cli.invoke(args=["doctor"])
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output and "No problems found" in result.output
    assert "OK    search index: the index holds exactly the published services" in result.output
    assert "the mail server 127.0.0.1" in result.output


def test_an_index_that_does_not_match_a_restored_database_fails(cli, production_like):
    # A restore writes the database behind the app's back: the index still has the old state.
    db.session.execute(text("UPDATE service SET status = 'withdrawn' WHERE id = "
                            "(SELECT MIN(id) FROM service WHERE status = 'published')"))
    db.session.commit()
    result = cli.invoke(args=["doctor"])
    assert result.exit_code == 1
    assert ("FAIL  search index: does not match the database: 1 indexed service(s) not published"
            in result.output)
    assert "run flask search rebuild" in result.output
    assert cli.invoke(args=["search", "rebuild"]).exit_code == 0
    assert cli.invoke(args=["doctor"]).exit_code == 0


def test_the_development_defaults_are_reported_as_problems(cli, app, smtp, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 1)  # smtp fixture: nothing listening yet
    result = cli.invoke(args=["doctor"])
    assert result.exit_code == 1
    for problem in ("FAIL  secrets: SECRET_KEY is the default",
                    "FAIL  environment: not a production configuration",
                    "FAIL  mail: MAIL_FROM is @localhost",
                    "FAIL  mail: PUBLIC_BASE_URL (http://127.0.0.1:5000) is not",
                    "does not answer (ConnectionRefusedError)",
                    "FAIL  migrations: the database is at no migration"):
        assert problem in result.output, problem
