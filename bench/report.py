"""Turn bench/results.json into the tables of docs/performance.md, with each target."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("keyword", "keyword + filters", "postcode radius", "combined")


def tables(results: dict) -> str:
    machine = results["machine"]
    lines = [f"Measured {results['when']} on {machine['cpus']} CPUs ({machine['cpu']}), "
             f"Python {machine['python']}, {machine['platform']}.", ""]
    for size in results["sizes"]:
        n = size["services"]
        lines += [f"### {n:,} services", "",
                  f"Import of the generated services.yml with indexing after commit: "
                  f"{size['import_and_index_s']} s; full index rebuild: {size['full_rebuild_s']} s; "
                  f"FTS5 reference build: {size['fts5_build_s']} s; one listing change, commit "
                  f"to searchable: {size['change_searchable_s'] * 1000:.0f} ms.", "",
                  "| query | search module p50 / p95 ms | FTS5 p50 / p95 ms | p95 ratio to FTS5 |",
                  "| --- | --- | --- | --- |"]
        for kind in KINDS:
            ours, fts = size["module"][kind], size["fts5"][kind]
            ratio = ours["p95_ms"] / max(fts["p95_ms"], 0.01)
            lines.append(f"| {kind} | {ours['p50_ms']} / {ours['p95_ms']} | "
                         f"{fts['p50_ms']} / {fts['p95_ms']} | {ratio:.1f}x |")
        lines += ["", "| over HTTP (gunicorn, 2 workers, 4 clients) | p50 / p95 ms | requests/s | "
                      "share of layout-only rate |", "| --- | --- | --- | --- |"]
        layout = size["http"]["layout only (/accessibility)"]["requests_per_second"]
        for name, figures in size["http"].items():
            share = figures["requests_per_second"] / layout
            lines.append(f"| {name} | {figures['p50_ms']} / {figures['p95_ms']} | "
                         f"{figures['requests_per_second']} | {share:.0%} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "results.json"
    print(tables(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
