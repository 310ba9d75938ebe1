"""`flask db upgrade` builds exactly the schema the models describe, on SQLite and on
PostgreSQL (when the suite runs against it)."""

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.config import TestConfig
from app.extensions import db


def _fresh_database_url(tmp_path) -> tuple[str, callable]:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'migrated.sqlite'}", lambda: None
    base = make_url(url)
    name = f"{base.database}_migrations"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def test_migrations_build_the_models_schema(tmp_path):
    url, drop = _fresh_database_url(tmp_path)

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        SEARCH_INDEX_DIR = str(tmp_path / "index")

    app = create_app(Config)
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as connection:
                differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
            db.engine.dispose()
    finally:
        drop()
    assert differences == [], differences


def test_migration_history_has_one_head(app):
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_the_opaque_ids_migration_gives_existing_rows_each_a_uuid(tmp_path):
    """Rows made before the opaque ids migration (people and emails, say) get a uuid each, all different."""
    url, drop = _fresh_database_url(tmp_path)

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        SEARCH_INDEX_DIR = str(tmp_path / "index")

    app = create_app(Config)
    try:
        with app.app_context():
            upgrade(revision="0003")
            with db.engine.begin() as connection:
                for number in range(3):
                    connection.execute(text(
                        "INSERT INTO user_account (email, name, role, active, totp_enabled, "
                        "failed_signins, session_version, created_at) VALUES "
                        f"('old{number}@example.org', 'Old', 'provider', true, false, 0, 1, "
                        "'2026-11-01 09:00:00')"))
                    connection.execute(text(
                        'INSERT INTO notification ("to", subject, body, kind, dedupe_key, created_at, '
                        "attempts, next_attempt_at) VALUES ('family@example.org', 'Sent', 'Body', "
                        f"'referral.update', 'old-{number}', '2026-11-01 09:00:00', 0, "
                        "'2026-11-01 09:00:00')"))
            upgrade()
            with db.engine.connect() as connection:
                users = connection.execute(text("SELECT uuid FROM user_account")).scalars().all()
                emails = connection.execute(text("SELECT uuid FROM notification")).scalars().all()
            db.engine.dispose()
    finally:
        drop()
    assert len(users) == len(emails) == 3
    assert len(set(users + emails)) == 6 and all(len(value) == 36 for value in users + emails)
