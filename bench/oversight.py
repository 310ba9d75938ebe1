"""Oversight benchmark: `python -m bench.oversight [--runs 5]`.

Builds a database with a year of synthetic activity at county scale (`flask oversight
generate`: 150 services, 20,000 referrals, 500,000 searches by default) in a temporary
SQLite file, or in the database at --database-url, then times every oversight page for the
whole county and for one district, over the last 4 weeks, 3 months and 12 months, through
the Flask test client as a signed-in admin (the whole request: queries, template, charts).
Each figure is the median of --runs requests after one warm-up. Prints the tables for
docs/performance.md and writes the raw numbers to bench/oversight-results.json. The
temporary database is deleted afterwards unless --keep is given.
"""

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["overview", "coverage", "waiting", "referrals", "demand", "freshness"]
SCOPES = [("all", "4w"), ("all", "quarter"), ("all", "year"),
          ("woking", "4w"), ("woking", "quarter"), ("woking", "year")]
CSV_TABLES = ["summary", "funnel", "top-searches", "referrals-by-district"]
LIMIT_MS = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=150)
    parser.add_argument("--referrals", type=int, default=20_000)
    parser.add_argument("--searches", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="an empty database to fill (default: a temporary SQLite file)")
    parser.add_argument("--no-statistics", action="store_true",
                        help="SQLite: drop the planner statistics the generator gathers (a database "
                             "nobody has run ANALYZE on)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "oversight-results.json")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database (path printed)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="oversight-bench-"))
    try:
        run(args, folder)
    finally:
        if args.keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, folder: Path) -> None:

    from app import create_app
    from app.config import TestConfig
    from app.extensions import db

    database_file = folder / "oversight.sqlite"

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = args.database_url or f"sqlite:///{database_file}"
        SEARCH_INDEX_DIR = str(folder / "search-index")

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        result = app.test_cli_runner().invoke(args=[
            "oversight", "generate", "--services", str(args.services), "--referrals", str(args.referrals),
            "--searches", str(args.searches), "--seed", str(args.seed)])
        generate_seconds = time.perf_counter() - started
        if result.exit_code != 0:
            sys.exit(f"generate failed:\n{result.output}")
        print(result.output.strip(), file=sys.stderr)
        if args.no_statistics and db.engine.dialect.name == "sqlite":
            with sqlite3.connect(database_file) as connection:
                connection.execute("DROP TABLE IF EXISTS sqlite_stat1")
            db.session.remove()
            db.engine.dispose()  # connections read the statistics when they open
        client = _admin_client(app)
        timings = {page: {} for page in [*PAGES, *(f"{name}.csv" for name in CSV_TABLES)]}
        for district, period in SCOPES:
            for page in timings:
                if page.endswith(".csv") and (district, period) != ("all", "year"):
                    continue
                path = "/admin/oversight/" + ("" if page == "overview" else page)
                cell = _time(client, path, district, period, args.runs)
                timings[page][f"{district}/{period}"] = cell
                print(f"{page:28} {district:7} {period:8} {cell['median_ms']:7.0f} ms", file=sys.stderr)

    environment = {
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
        "database": "postgresql" if (args.database_url or "").startswith("postgresql") else "sqlite",
        "cpus": os.cpu_count(), "load_average_after": [round(n, 2) for n in os.getloadavg()],
        "statistics": not args.no_statistics,
        "database_mb": round(database_file.stat().st_size / 1e6, 1) if database_file.exists() else None,
    }
    results = {"sizes": {"services": args.services, "referrals": args.referrals, "searches": args.searches},
               "generate_seconds": round(generate_seconds, 1), "runs": args.runs,
               "environment": environment, "timings": timings}
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(report(results))


def _admin_client(app):
    from app.extensions import db
    from app.models import User
    from app.web.auth import access

    admin = User(email="bench-admin@example.org", name="Bench", role="admin", totp_enabled=True)
    db.session.add(admin)
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:  # as if signed in with both factors
        session.update({access.USER_ID: admin.id, access.VERSION: admin.session_version,
                        access.LAST_SEEN: time.time()})
    return client


def _time(client, path: str, district: str, period: str, runs: int) -> dict:
    query = {"district": district, "period": period}
    response = client.get(path, query_string=query)  # warm-up: templates, statement caches
    if response.status_code != 200:
        sys.exit(f"{path} {query}: {response.status_code}")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, query_string=query)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return {"median_ms": round(statistics.median(times) * 1000, 1), "max_ms": round(max(times) * 1000, 1)}


def report(results: dict) -> str:
    sizes = results["sizes"]
    headings = [f"{'county' if district == 'all' else district.title()}, {period}"
                for district, period in SCOPES]
    lines = [f"{sizes['services']:,} services, {sizes['referrals']:,} referrals, {sizes['searches']:,} "
             f"searches over a year; generated in {results['generate_seconds']} s. Median of "
             f"{results['runs']} requests (slowest in brackets), milliseconds.", "",
             "| page | " + " | ".join(headings) + " |", "| --- |" + " ---: |" * len(SCOPES)]
    slowest = 0.0
    for page, cells in results["timings"].items():
        if page.endswith(".csv"):
            continue
        row = []
        for district, period in SCOPES:
            cell = cells[f"{district}/{period}"]
            slowest = max(slowest, cell["median_ms"])
            row.append(f"{cell['median_ms']:.0f} ({cell['max_ms']:.0f})")
        lines.append(f"| {page} | " + " | ".join(row) + " |")
    csv = [f"`{page}` {cells['all/year']['median_ms']:.0f}" for page, cells in results["timings"].items()
           if page.endswith(".csv")]
    lines += ["", "CSV downloads, whole county, 12 months: " + ", ".join(csv) + " ms.",
              f"Slowest page median: {slowest:.0f} ms (limit {LIMIT_MS} ms)."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
