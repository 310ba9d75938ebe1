"""Search benchmark: `python -m bench.run [--sizes 2000 10000 50000]`.

For each size it generates a synthetic directory in the services.yml format, imports it
into a fresh SQLite database, rebuilds the index, and measures p50/p95 of four kinds of
query through the search module (warm searcher) and through GET /search over HTTP under
gunicorn, beside two references measured in the same run: SQLite FTS5 (with an R*Tree)
answering the same queries over the same data, and a page with no database or search work
(the accessibility statement) served by the same server through the same base layout.
Results go to bench/results.json and the tables in docs/performance.md.
"""

import argparse
import http.client
import json
import os
import platform
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import fts5_reference, synthetic  # noqa: E402

KEYWORDS = [
    "parenting course", "anxiety", "my son is anxious and won't go to school", "autism",
    "ADHD support", "youth club", "breastfeeding", "domestic abuse", "bereavement",
    "food bank", "debt advice", "speech and language", "young carers", "self harm",
    "mentoring", "short breaks", "stay and play", "counselling", "bullying", "SEND",
]
QUERIES_PER_KIND = 200
HTTP_REQUESTS = 300
HTTP_CONCURRENCY = 4


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary(times: list[float]) -> dict:
    return {"p50_ms": round(percentile(times, 0.5) * 1000, 2),
            "p95_ms": round(percentile(times, 0.95) * 1000, 2)}


def query_sets(postcodes: list[tuple[str, float, float, str]], area_ids: list[str], seed=3):
    from app.search import Criteria

    rng = random.Random(seed)

    def place():
        postcode, lat, lon, district = rng.choice(postcodes)
        return postcode, {"latitude": lat, "longitude": lon, "district": district}

    kinds: dict[str, list[tuple[Criteria, dict]]] = {
        "keyword": [], "keyword + filters": [], "postcode radius": [], "combined": []}
    for _ in range(QUERIES_PER_KIND):
        text = rng.choice(KEYWORDS)
        kinds["keyword"].append((Criteria(text=text), {"q": text}))
        area, age = rng.choice(area_ids), rng.randint(0, 18)
        access = rng.choice(["self-referral", "drop-in", "professional-referral"])
        kinds["keyword + filters"].append(
            (Criteria(text=text, area=area, age=age, access=access),
             {"q": text, "area": area, "age": age, "access": access}))
        postcode, where = place()
        kinds["postcode radius"].append((Criteria(radius_miles=5, **where),
                                         {"postcode": postcode, "radius": 5}))
        postcode, where = place()
        kinds["combined"].append(
            (Criteria(text=text, radius_miles=5, max_wait=12, sort="distance", **where),
             {"q": text, "postcode": postcode, "radius": 5, "max_wait": 12, "sort": "distance"}))
    return kinds


def timed(function, items) -> list[float]:
    times = []
    for item in items:
        started = time.perf_counter()
        function(item)
        times.append(time.perf_counter() - started)
    return times


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_load(port: int, paths: list[str]) -> dict:
    """A bounded closed loop: HTTP_CONCURRENCY keep-alive clients share the paths."""
    times: list[float] = []
    errors = 0
    lock = threading.Lock()
    queue = list(paths)

    def client():
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if not queue:
                    break
                path = queue.pop()
            started = time.perf_counter()
            connection.request("GET", path, headers={"Accept-Encoding": "identity"})
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            with lock:
                times.append(elapsed)
                if response.status >= 500:
                    errors += 1
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(HTTP_CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {**summary(times), "requests_per_second": round(len(times) / wall, 1),
            "server_errors": errors}


def start_gunicorn(work: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "SESSION_COOKIE_SECURE": "0", "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite'}",
           "SEARCH_INDEX_DIR": str(work / "index")}
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", "2", "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", "app:create_app()"],
        cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/accessibility")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGTERM)
    raise RuntimeError("gunicorn did not start")


def measure(size: int, work: Path) -> dict:
    from sqlalchemy import select

    from app import create_app, search
    from app.config import TestConfig
    from app.directory import directory_sync
    from app.directory.directory_file import parse_directory_file
    from app.extensions import db
    from app.models import Area, Postcode, Service
    from app.places import postcodes

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{work / 'bench.sqlite'}"
        SEARCH_INDEX_DIR = str(work / "index")
        SEARCH_BENCH_POLL_SECONDS = 1.0

    result: dict = {"services": size}
    path = synthetic.write(size, work / "services.yml")
    app = create_app(Config)
    with app.app_context():
        db.create_all()
        postcodes.load_file(ROOT / "data" / "outcodes-gb.csv")
        postcodes.load_file(ROOT / "data" / "postcodes-surrey.csv")
        started = time.perf_counter()
        content = parse_directory_file(path.read_text(encoding="utf-8"))
        directory_sync.import_directory(content)  # commits, logging every service changed
        search.catch_up()  # what a server's applier does in the background
        result["import_and_index_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        indexed = search.rebuild()
        result["full_rebuild_s"] = round(time.perf_counter() - started, 1)
        assert indexed == size, (indexed, size)

        areas = {a.lad_code: a.id for a in db.session.scalars(select(Area))}
        rows = db.session.execute(select(Postcode.postcode, Postcode.latitude, Postcode.longitude,
                                         Postcode.lad_code).where(Postcode.lad_code.in_(areas)))
        sample = [(p, lat, lon, areas[lad]) for p, lat, lon, lad in rows]
        kinds = query_sets(sample, sorted(areas.values()))

        search.search(kinds["keyword"][0][0])  # open the searcher once, as a worker does
        result["module"] = {}
        for kind, queries in kinds.items():
            for criteria, _ in queries[:20]:
                search.search(criteria)
            result["module"][kind] = summary(timed(lambda q: search.search(q[0]), queries))

        fts_path = work / "fts5.sqlite"
        result["fts5_build_s"] = round(fts5_reference.build(fts_path), 1)
        fts = fts5_reference.Fts5(fts_path)
        result["fts5"] = {kind: summary(timed(lambda q: fts.search(q[0]), queries))
                          for kind, queries in kinds.items()}

        # One listing change, from commit to searchable: the lag of the background applier
        # polling every SEARCH_POLL_SECONDS (1 s by default, as in production).
        from app.search import Criteria

        app.config["SEARCH_POLL_SECONDS"] = Config.SEARCH_BENCH_POLL_SECONDS
        search.start_applier()
        service = db.session.get(Service, "svc-1")
        service.keywords = [*(service.keywords or []), "zyzzyva"]
        started = time.perf_counter()
        db.session.commit()
        found: list[str] = []
        while not found and time.perf_counter() - started < 30:
            time.sleep(0.01)
            found = [h.service_id for h in search.search(Criteria(text="zyzzyva"))[0].hits]
        result["change_searchable_s"] = round(time.perf_counter() - started, 3)
        search.stop_applier()
        assert found == ["svc-1"], found

    port = free_port()
    server = start_gunicorn(work, port)
    try:
        layout = http_load(port, ["/accessibility"] * HTTP_REQUESTS)
        result["http"] = {"layout only (/accessibility)": layout}
        for kind, queries in kinds.items():
            paths = [f"/search?{urlencode(params)}" for _, params in queries]
            paths = (paths * (HTTP_REQUESTS // len(paths) + 1))[:HTTP_REQUESTS]
            for path in paths[:10]:
                http.client.HTTPConnection("127.0.0.1", port).request("GET", path)
            result["http"][f"/search {kind}"] = http_load(port, paths)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    return result


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "platform": platform.platform()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000, 50000])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args()
    results = {"machine": machine(), "when": time.strftime("%Y-%m-%d %H:%M"), "sizes": []}
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"bench-{size}-") as folder:
            print(f"== {size} services", flush=True)
            outcome = measure(size, Path(folder))
            print(json.dumps(outcome, indent=2), flush=True)
            results["sizes"].append(outcome)
            args.out.write_text(json.dumps(results, indent=2))
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
