"""The CLI round trip and the configuration rules."""

import secrets

import pytest

from app import create_app
from app.config import ProductionConfig, TestConfig, config_for
from tests.conftest import ROOT


def test_import_command_reports_counts_then_unchanged(empty_directory, cli):
    first = cli.invoke(args=["directory", "import", str(ROOT / "services.yml")])
    assert first.exit_code == 0, first.output
    assert "services: 169 created" in first.output
    second = cli.invoke(args=["directory", "import", str(ROOT / "services.yml")])
    assert "services: 0 created, 0 updated, 169 unchanged, 0 kept, 0 pruned" in second.output


def test_export_command_round_trips(empty_directory, cli, tmp_path):
    cli.invoke(args=["directory", "import", str(ROOT / "services.yml")])
    exported = tmp_path / "export.yml"
    result = cli.invoke(args=["directory", "export", str(exported)])
    assert result.exit_code == 0
    again = cli.invoke(args=["directory", "import", str(exported)])
    assert "169 unchanged" in again.output


def test_search_rebuild_and_check_commands(surrey, cli):
    assert "Indexed 169 services" in cli.invoke(args=["search", "rebuild"]).output
    check = cli.invoke(args=["search", "check"])
    assert check.exit_code == 0 and "agree" in check.output


def test_import_of_a_file_that_is_not_utf8_is_refused(empty_directory, cli, tmp_path):
    bad = tmp_path / "latin1.yml"
    bad.write_bytes("version: 1\nname: caf\xe9\n".encode("latin-1"))
    result = cli.invoke(args=["directory", "import", str(bad)])
    assert result.exit_code != 0
    assert "not UTF-8" in result.output


def test_production_refuses_the_default_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)

    class Production(ProductionConfig):
        SECRET_KEY = "dev-only-not-secret"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Production)


@pytest.mark.parametrize("key", ["x", "changeme", "changeme" * 4, "a" * 64,
                                 "0123456789abcdef0123456789abcdef"])
def test_production_refuses_short_or_low_entropy_secret_keys(key):
    class Production(ProductionConfig):
        SECRET_KEY = key
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="Production will not start: SECRET_KEY .*token_hex"):
        create_app(Production)


def test_production_starts_with_a_random_key_and_local_or_verified_postgresql(tmp_path):
    for url in (f"sqlite:///{tmp_path / 'x.sqlite'}",
                "postgresql+psycopg://directory@127.0.0.1:5432/directory",
                "postgresql+psycopg://directory@db.example.org/directory?sslmode=verify-full"):
        class Production(ProductionConfig):
            SECRET_KEY = secrets.token_hex(32)
            SQLALCHEMY_DATABASE_URI = url

        assert create_app(Production).config["SQLALCHEMY_DATABASE_URI"] == url


@pytest.mark.parametrize("query", ["", "?sslmode=require", "?sslmode=prefer"])
def test_production_refuses_postgresql_across_a_network_without_verify_full(query):
    class Production(ProductionConfig):
        SECRET_KEY = secrets.token_hex(32)
        SQLALCHEMY_DATABASE_URI = f"postgresql+psycopg://directory@db.example.org/directory{query}"

    with pytest.raises(RuntimeError, match="sslmode=verify-full"):
        create_app(Production)


def test_production_session_cookies_are_secure():
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY is True
    assert ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"


def test_environment_names_choose_the_config():
    assert config_for("test") is TestConfig
    with pytest.raises(RuntimeError, match="APP_ENV"):
        config_for("staging")
