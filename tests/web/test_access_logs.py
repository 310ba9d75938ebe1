"""Access logs never hold the bearer secrets that links carry in their paths (the
tracker's token, invitations, password resets, listing checks): real servers, real logs."""

import logging
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.conftest import ROOT
from tests.referrals.referral_support import free_port

SECRET = "Zq8sEcReTtOkEn4LoGs"
PATHS = [f"/referrals/track/{SECRET}", f"/account/invitation/{SECRET}?x=1",
         f"/password-reset/{SECRET}", f"/listing-check/{SECRET}"]


def _visit(port: int) -> None:
    for path in PATHS:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30).read()
        except urllib.error.HTTPError as error:
            assert error.code == 404, path  # unknown tokens: the link-expired pages


@pytest.fixture
def werkzeug_server(app) -> Iterator[int]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join()


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_the_development_servers_access_log_masks_tokens(werkzeug_server, surrey):
    # A handler on the logger itself: other tests may stop it propagating to the root.
    # (Alembic's logging setup, run by the migration tests, disables existing loggers.)
    logger, kept = logging.getLogger("werkzeug"), _Keep()
    level, disabled = logger.level, logger.disabled
    logger.level, logger.disabled = logging.INFO, False
    logger.addHandler(kept)
    try:
        _visit(werkzeug_server)
    finally:
        logger.removeHandler(kept)
        logger.level, logger.disabled = level, disabled
    lines = kept.lines
    assert len(lines) == len(PATHS), lines
    assert not any(SECRET in line for line in lines), lines
    assert any("GET /referrals/track/[redacted] HTTP/1.1" in line for line in lines), lines
    assert any("/account/invitation/[redacted]?x=1" in line for line in lines), lines


def test_gunicorns_access_log_masks_tokens(app, surrey, tmp_path):
    port = free_port()
    log = tmp_path / "access.log"
    env = {**os.environ, "APP_ENV": "test", "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"]}
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", str(log), "app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accessibility", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        _visit(port)
    finally:
        server.terminate()
        server.wait(timeout=30)
    written = log.read_text()
    assert written.count("[redacted]") == len(PATHS), written
    assert SECRET not in written
    assert '"GET /password-reset/[redacted] HTTP/1.1" 404' in written
