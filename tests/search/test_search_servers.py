"""Two real app servers (gunicorn, each with its own index folder) on one database: what
is changed through one becomes searchable on the other, and a server killed with kill -9
loses nothing. On PostgreSQL (TEST_DATABASE_URL), or a SQLite file both processes share."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyotp
import pytest
import requests
import yaml

from app.extensions import db
from app.search.folder import IndexFolder
from tests.conftest import ROOT, make_user

WAIT_SECONDS = 15.0
GUNICORN = Path(sys.executable).parent / "gunicorn"
FLASK = Path(sys.executable).parent / "flask"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(app, index_dir: Path) -> dict[str, str]:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url in ("sqlite://", "sqlite:///:memory:"):
        pytest.skip("the servers need a database they can share: a SQLite file or PostgreSQL")
    return {**os.environ, "APP_ENV": "development", "DATABASE_URL": url,
            "SEARCH_INDEX_DIR": str(index_dir), "SEARCH_POLL_SECONDS": "0.1",
            "SECRET_KEY": "servers-test", "FLASK_APP": "app:create_app()",
            "SERVICES_FILE": str(ROOT / "services.yml"), "MAIL_SEND_AFTER_SUBMIT": "0"}


class Server:
    def __init__(self, app, index_dir: Path, name: str, workers: int = 2):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = _environment(app, index_dir)
        self.log = index_dir.parent / f"{name}.log"
        with open(self.log, "w") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [str(GUNICORN), "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
                 "--timeout", "60", "app:create_app()"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)

    def health(self) -> tuple[int, dict]:
        response = requests.get(f"{self.base}/healthz", timeout=5)
        return response.status_code, response.json()

    def wait_until_usable(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-2000:]
            try:
                # While the first index is built, searches are answered (from the database).
                searched = requests.get(f"{self.base}/search?q=youth+club&sort=wait", timeout=10)
                assert searched.status_code == 200, searched.text[:500]
                if self.health()[0] == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.1)
        raise AssertionError(f"server never had a usable index: {self.log.read_text()[-2000:]}")

    def search_ids(self, query: str) -> list[str]:
        response = requests.get(f"{self.base}/search?{query}", timeout=10)
        assert response.status_code == 200
        return re.findall(r'href="/services/([a-z0-9-]+)[?"]', response.text)

    def flask(self, *args: str) -> str:
        result = subprocess.run([str(FLASK), *args], cwd=ROOT, env=self.env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)  # gunicorn's master and its workers
            self.process.wait(30)


@contextmanager
def servers(app, tmp_path: Path, count: int, workers: int = 2) -> Iterator[list[Server]]:
    started = [Server(app, tmp_path / f"index-{n}", f"server-{n}", workers) for n in range(count)]
    try:
        for server in started:
            server.wait_until_usable()
        yield started
    finally:
        for server in started:
            server.stop()


def _eventually(check, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < WAIT_SECONDS:
        if check():
            elapsed = time.monotonic() - start
            print(f"{what}: after {elapsed:.2f} s")  # the lag, seen with pytest -s
            return elapsed
        time.sleep(0.1)
    raise AssertionError(f"not within {WAIT_SECONDS} s: {what}")


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _signed_in_provider(server: Server, email: str, organisation: str) -> requests.Session:
    user = make_user(email, organisations=(organisation,))
    browser = requests.Session()
    page = browser.get(f"{server.base}/sign-in", timeout=10)
    page = browser.post(f"{server.base}/sign-in", timeout=10, data={
        "csrf_token": _csrf(page.text), "email": email, "password": "a long enough passphrase"})
    page = browser.post(f"{server.base}/sign-in/code", timeout=10, data={
        "csrf_token": _csrf(page.text), "code": pyotp.TOTP(user.totp_secret).now()})
    assert page.url.rstrip("/").endswith("/provider"), page.url
    return browser


def _set_open(server: Server, browser: requests.Session, service_id: str) -> float:
    """Publish 'no waiting list' through the provider's page; returns how long it took."""
    url = f"{server.base}/provider/services/{service_id}/waiting-time"
    token = _csrf(browser.get(url, timeout=10).text)
    start = time.monotonic()
    response = browser.post(url, data={"csrf_token": token, "status": "open", "weeks": "",
                                       "note": ""}, timeout=60)
    assert response.status_code == 200 and "/provider" in response.url, response.text[:500]
    return time.monotonic() - start


def _edited_services_file(tmp_path: Path, edit) -> Path:
    content = yaml.safe_load((ROOT / "services.yml").read_text(encoding="utf-8"))
    edit(content)
    path = tmp_path / "services.yml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _service(content: dict, service_id: str) -> dict:
    return next(entry for entry in content["services"] if entry["id"] == service_id)


def test_a_change_through_one_server_is_searchable_on_the_other(surrey_to_change, app, tmp_path):
    with servers(app, tmp_path, 2, workers=1) as (first, second):
        # A waiting-time change, through the provider's page on the first server.
        counselling = "woking-wellbeing-counselling"
        assert counselling not in second.search_ids("area=woking&max_wait=0")
        browser = _signed_in_provider(first, "provider@woking-wellbeing.example.org",
                                      "woking-wellbeing-trust")
        _set_open(first, browser, counselling)
        _eventually(lambda: counselling in second.search_ids("area=woking&max_wait=0"),
                    "the new waiting time filtered on the other server")

        # A new word, a withdrawal and an area rename, imported through the first server.
        assert "woking-youth-centre" not in second.search_ids("q=parkour")
        assert "epsom-breastfeeding-cafe" in second.search_ids("q=breastfeeding+cafe+epsom")

        def edit(content: dict) -> None:
            youth = _service(content, "woking-youth-centre")
            youth["keywords"] = [*youth.get("keywords", []), "parkour"]
            content["services"].remove(_service(content, "epsom-breastfeeding-cafe"))
            next(a for a in content["areas"] if a["id"] == "waverley")["name"] = "Hillsides"

        first.flask("directory", "import", "--prune", str(_edited_services_file(tmp_path, edit)))
        _eventually(lambda: "woking-youth-centre" in second.search_ids("q=parkour"),
                    "a new word in a listing")
        _eventually(lambda: "epsom-breastfeeding-cafe" not in second.search_ids(
            "q=breastfeeding+cafe+epsom"), "a withdrawn listing")
        # The renamed area is a place name on the other server: "hillsides" now narrows
        # the search to Waverley, and every result is one that covers it.
        _eventually(lambda: "Hillsides" in requests.get(
            f"{second.base}/search?q=youth+club+hillsides", timeout=10).text,
            "the renamed area")
        fingerprints = set()
        for server in (first, second):  # what a partnership runs on each of its servers
            output = server.flask("search", "check")
            assert "The index and the database agree" in output
            fingerprints.add(re.search(r"fingerprint: (\w+)", output).group(1))
        assert len(fingerprints) == 1
        assert all(s.health()[1]["search_index"]["usable"] for s in (first, second))


def test_a_server_killed_mid_update_loses_no_change(surrey_to_change, app, tmp_path):
    """The provider's POST answers at once even while the index is locked elsewhere, and
    when the server is then killed with -9 before applying it, the change still arrives
    when a server starts again on that index folder."""
    index_dir = tmp_path / "index-0"
    with servers(app, tmp_path, 1) as (server,):
        browser = _signed_in_provider(server, "killed@woking-wellbeing.example.org",
                                      "woking-wellbeing-trust")
        counselling = "woking-wellbeing-counselling"
        assert counselling not in server.search_ids("area=woking&max_wait=0")
        with IndexFolder(index_dir).lock(timeout=5) as held:  # the applier cannot apply
            assert held
            took = _set_open(server, browser, counselling)
            assert took < 5, f"the provider waited {took:.1f} s for the index"
            time.sleep(0.5)
            assert counselling not in server.search_ids("area=woking&max_wait=0")
            server.stop(signal.SIGKILL)
    with servers(app, tmp_path, 1) as (restarted,):
        assert restarted.env["SEARCH_INDEX_DIR"] == str(index_dir)
        _eventually(lambda: counselling in restarted.search_ids("area=woking&max_wait=0"),
                    "the change made before the kill")
    db.session.rollback()
