"""Load and faults against a deployment: `python -m bench.loadfault --help`.

Searchers and families sending referrals for N minutes against a running site, with
optional faults: kill -9 of gunicorn workers, and the database cut through a TCP proxy
(bench/tcp_proxy.py) that the site's DATABASE_URL goes through. At the end, what the
clients saw is compared with the referral rows in the database: every referral a client
saw confirmed must be exactly one row, and a row no client saw confirmed (its answer lost
to a kill) is counted apart.

A family whose send fails (a 503, a 500, a dropped connection) presses send again, with
the same answers, up to --resends times, pausing 1 to 3 s, as a person would. Only
127.0.0.1 is allowed as a target: this is a tool for a test deployment, not a live site.

Example (a fresh PostgreSQL database, gunicorn with 2 workers started by the script):
    python -m bench.loadfault --minutes 3 --start-gunicorn --workers 2 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/loadfault \\
        --proxy-port 6543 --kill-every 20 --cut-every 45 --cut-seconds 8
"""

import argparse
import contextlib
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.tcp_proxy import DatabaseProxy  # noqa: E402

SEARCHES = ["parenting", "anxiety", "speech and language", "baby", "autism", "school",
            "dads", "money advice", "sleep", "teenager", "domestic abuse", "family centre"]
POSTCODES = ["GU21 6XX", "KT22 7AB", "RH1 1AA", "GU1 1AA", "TW20 8EL", ""]
CONTACT = {"name": "Load Test", "phone": "07700 900982", "email": "load@example.org",
           "safe_times": "Any time", "leave_message": "yes"}


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)  # (kind, status)
    search_ms: list[float] = field(default_factory=list)  # answered 200
    other_ms: list[float] = field(default_factory=list)  # answered otherwise (503 during a cut)
    confirmed: dict[str, str] = field(default_factory=dict)  # submission key -> reference
    attempted: set[str] = field(default_factory=set)
    abandoned: set[str] = field(default_factory=set)  # never confirmed after every resend
    resends: int = 0
    faults: list[str] = field(default_factory=list)

    def note(self, kind: str, status: int | str) -> None:
        with self.lock:
            self.statuses[(kind, str(status))] += 1


def _token(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html) or re.search(
        rf'name="{name}" value="([^"]+)"', html)
    if not found:
        raise ValueError(f"no {name} on the page")
    return found.group(1)


class Family:
    """One person sending referrals, one after another, with their own cookies."""

    def __init__(self, base: str, service_id: str, tally: Tally, stop: threading.Event, resends: int):
        self.base, self.service_id, self.tally = base, service_id, tally
        self.stop, self.resends = stop, resends

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.one_referral()
            except (requests.RequestException, ValueError) as error:
                self.tally.note("journey", type(error).__name__)  # before the send: nothing made
                time.sleep(random.uniform(0.5, 1.5))

    def _post(self, session: requests.Session, step: str, data: dict) -> requests.Response:
        url = f"{self.base}/services/{self.service_id}/refer" + (f"/{step}" if step else "")
        page = session.get(url, timeout=30)
        if page.status_code != 200:
            raise ValueError(f"{step}: {page.status_code}")
        data = {"csrf_token": _token(page.text, "csrf_token"), **data}
        response = session.post(url, data=data, allow_redirects=False, timeout=30)
        if response.status_code != 302:
            raise ValueError(f"{step}: {response.status_code}")
        return response

    def one_referral(self) -> None:
        session = requests.Session()
        self._post(session, "", {})
        self._post(session, "who", {"referrer_type": "parent"})
        self._post(session, "child", {"first_name": "Sam", "age": "9", "dob_day": "", "dob_month": "",
                                      "dob_year": ""})
        self._post(session, "need", {"need": "Load test: Sam is anxious about school."})
        self._post(session, "details", {"language": "", "adjustments": "", "other_support": ""})
        self._post(session, "contact", CONTACT)
        self._post(session, "privacy", {"agree": "y"})
        check_url = f"{self.base}/services/{self.service_id}/refer/check"
        check = session.get(check_url, timeout=30)
        if check.status_code != 200:
            raise ValueError(f"check: {check.status_code}")
        key, csrf = _token(check.text, "submission_key"), _token(check.text, "csrf_token")
        with self.tally.lock:
            self.tally.attempted.add(key)
        for attempt in range(self.resends + 1):
            if attempt:
                with self.tally.lock:
                    self.tally.resends += 1
                time.sleep(random.uniform(1, 3))
            try:
                sent = session.post(check_url, data={"csrf_token": csrf, "submission_key": key},
                                    allow_redirects=False, timeout=30)
            except requests.RequestException as error:
                self.tally.note("send", type(error).__name__)
                continue
            self.tally.note("send", sent.status_code)
            if sent.status_code == 302 and sent.headers["Location"].endswith("/confirmation"):
                # The redirect to the confirmation is the family's success; the page itself
                # (with the reference) is best effort, as a worker may be killed meanwhile.
                with self.tally.lock:
                    self.tally.confirmed[key] = "?"
                with contextlib.suppress(requests.RequestException):
                    page = session.get(self.base + urlsplit(sent.headers["Location"]).path, timeout=30)
                    if found := re.search(r"EH-[0-9A-Z]{4}-[0-9A-Z]{2}", page.text):
                        with self.tally.lock:
                            self.tally.confirmed[key] = found.group(0)
                return
        with self.tally.lock:
            self.tally.abandoned.add(key)


def searcher(base: str, tally: Tally, stop: threading.Event) -> None:
    session = requests.Session()
    while not stop.is_set():
        params = {"q": random.choice(SEARCHES), "postcode": random.choice(POSTCODES)}
        started = time.perf_counter()
        try:
            response = session.get(f"{base}/search", params=params, timeout=30)
        except requests.RequestException as error:
            tally.note("search", type(error).__name__)
            time.sleep(0.2)
            continue
        elapsed = (time.perf_counter() - started) * 1000
        with tally.lock:
            if response.status_code == 200:
                tally.search_ms.append(elapsed)
            else:
                tally.other_ms.append(elapsed)
        tally.note("search", response.status_code)


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(entry.name))
    return pids


def killer(master: int, every: float, tally: Tally, stop: threading.Event) -> None:
    while not stop.wait(every):
        pids = worker_pids(master)
        if pids:
            victim = random.choice(pids)
            os.kill(victim, signal.SIGKILL)
            tally.faults.append(f"{time.strftime('%H:%M:%S')} kill -9 worker {victim}")


def cutter(proxy: DatabaseProxy, every: float, seconds: float, tally: Tally, stop: threading.Event) -> None:
    while not stop.wait(every):
        proxy.cut()
        tally.faults.append(f"{time.strftime('%H:%M:%S')} database cut for {seconds:g} s")
        stop.wait(seconds)
        proxy.restore()


def start_gunicorn(args, database_url: str) -> subprocess.Popen:
    port = urlsplit(args.base_url).port
    env = {**os.environ, "APP_ENV": "production", "DATABASE_URL": database_url,
           "SECRET_KEY": os.environ.get("SECRET_KEY", "loadfault-" + "x" * 40),
           "SESSION_COOKIE_SECURE": "0", "REFERRAL_RATE_LIMIT": "0", "MAIL_SEND_AFTER_SUBMIT": "0",
           "SEARCH_INDEX_DIR": args.index_dir}
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(args.workers), "--bind",
         f"127.0.0.1:{port}", "--timeout", "30", "--graceful-timeout", "5", "app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(args.gunicorn_log, "w"))  # noqa: SIM115
    return server


def wait_healthy(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{base}/healthz did not answer 200")


def self_referral_service(engine) -> str:
    with engine.connect() as connection:
        return connection.scalar(text(
            "SELECT id FROM service WHERE access = 'self-referral' AND status = 'published' "
            "ORDER BY id LIMIT 1"))


def referral_rows(engine, keys: set[str]) -> Counter:
    rows: Counter = Counter()
    with engine.connect() as connection:
        for key, in connection.execute(text("SELECT submission_key FROM referral")):
            if key in keys:
                rows[key] += 1
    return rows


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p * len(ordered) + 0.5) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8099")
    parser.add_argument("--database-url", required=True,
                        help="direct, for counting rows (and the proxy's target)")
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--searchers", type=int, default=4)
    parser.add_argument("--families", type=int, default=3)
    parser.add_argument("--resends", type=int, default=15)
    parser.add_argument("--proxy-port", type=int, default=0,
                        help="run the TCP proxy here; the site's DATABASE_URL must go through it")
    parser.add_argument("--cut-every", type=float, default=0, help="seconds between database cuts (0: none)")
    parser.add_argument("--cut-seconds", type=float, default=8)
    parser.add_argument("--kill-every", type=float, default=0, help="seconds between kill -9 of a worker")
    parser.add_argument("--gunicorn-pid", type=int, default=0, help="the master of a running deployment")
    parser.add_argument("--start-gunicorn", action="store_true",
                        help="start gunicorn here (production config)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--index-dir", default=str(ROOT / "instance" / "loadfault-index"))
    parser.add_argument("--gunicorn-log", default="/tmp/loadfault-gunicorn.log")
    parser.add_argument("--output", default=str(ROOT / "bench" / "loadfault-results.json"))
    args = parser.parse_args()
    if urlsplit(args.base_url).hostname != "127.0.0.1":
        parser.error("--base-url must be on 127.0.0.1")

    direct = make_url(args.database_url)
    engine = create_engine(direct)
    proxy = None
    site_database = args.database_url
    if args.proxy_port:
        proxy = DatabaseProxy(direct.host or "127.0.0.1", direct.port or 5432, port=args.proxy_port)
        site_database = direct.set(host="127.0.0.1", port=args.proxy_port).render_as_string(False)
    server = start_gunicorn(args, site_database) if args.start_gunicorn else None
    master = server.pid if server else args.gunicorn_pid
    tally, stop = Tally(), threading.Event()
    try:
        wait_healthy(args.base_url)
        service_id = self_referral_service(engine)
        threads = [threading.Thread(target=searcher, args=(args.base_url, tally, stop), daemon=True)
                   for _ in range(args.searchers)]
        threads += [threading.Thread(target=Family(args.base_url, service_id, tally, stop, args.resends).run,
                                     daemon=True) for _ in range(args.families)]
        if args.kill_every and master:
            threads.append(threading.Thread(target=killer, args=(master, args.kill_every, tally, stop),
                                            daemon=True))
        if args.cut_every and proxy:
            threads.append(threading.Thread(target=cutter, args=(proxy, args.cut_every, args.cut_seconds,
                                                                 tally, stop), daemon=True))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        stop.wait(args.minutes * 60)
        stop.set()
        # Families in the middle of resending finish (their resends are bounded).
        for thread in threads:
            thread.join(timeout=120)
        elapsed = time.monotonic() - started
        wait_healthy(args.base_url)
        rows = referral_rows(engine, tally.attempted)
    finally:
        stop.set()
        if server:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        if proxy:
            proxy.close()

    confirmed = set(tally.confirmed)
    result = {
        "minutes": round(elapsed / 60, 2), "searchers": args.searchers, "families": args.families,
        "workers": args.workers, "kill_every_s": args.kill_every, "cut_every_s": args.cut_every,
        "cut_seconds": args.cut_seconds if args.cut_every else 0, "faults": tally.faults,
        "statuses": {f"{kind} {status}": n for (kind, status), n in sorted(tally.statuses.items())},
        "search_p50_ms": round(percentile(tally.search_ms, 0.5), 1),
        "search_p95_ms": round(percentile(tally.search_ms, 0.95), 1),
        "search_mean_ms": round(statistics.fmean(tally.search_ms), 1) if tally.search_ms else 0,
        "search_not_200_p95_ms": round(percentile(tally.other_ms, 0.95), 1),
        "sends_attempted": len(tally.attempted), "sends_confirmed": len(confirmed),
        "resends": tally.resends, "abandoned_after_resends": len(tally.abandoned),
        "confirmed_with_exactly_one_row": sum(1 for key in confirmed if rows[key] == 1),
        "confirmed_without_a_row": sorted(key for key in confirmed if rows[key] == 0),
        "keys_with_more_than_one_row": sorted(key for key, n in rows.items() if n > 1),
        "rows_never_confirmed": sorted(key for key in rows if key not in confirmed),
    }
    result["exactly_once"] = (result["confirmed_with_exactly_one_row"] == len(confirmed)
                              and not result["keys_with_more_than_one_row"])
    Path(args.output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "faults"}, indent=2))
    return 0 if result["exactly_once"] else 1


if __name__ == "__main__":
    sys.exit(main())
