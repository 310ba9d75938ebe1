"""Synthetic directories in the services.yml format, for the benchmark.

Each synthetic service is a real Surrey listing's text under a new id, in a random
district, with a real postcode in that district and a random waiting time: realistic words
and field sizes at 2,000 to 50,000 services. Deterministic for a given size and seed.
"""

import csv
import random
from datetime import date, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def load_real() -> dict:
    return yaml.safe_load((ROOT / "services.yml").read_text(encoding="utf-8"))


def postcodes_by_district() -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    with open(ROOT / "data" / "postcodes-surrey.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            result.setdefault(row["lad_code"], []).append(row["postcode"])
    return result


def generate(size: int, seed: int = 7, today: date = date(2026, 11, 26)) -> dict:
    rng = random.Random(seed)
    real = load_real()
    districts = postcodes_by_district()
    areas = real["areas"]
    organisations = [
        {"id": f"org-{n}", "name": f"Synthetic Provider {n}", "phone": "01632 960999"}
        for n in range(max(1, size // 10))
    ]
    services = []
    for n in range(size):
        template = rng.choice(real["services"])
        service = {key: value for key, value in template.items()
                   if key not in ("locations", "waiting_time", "schedule")}
        service["id"] = f"svc-{n}"
        service["organisation"] = organisations[n % len(organisations)]["id"]
        service["name"] = f"{template['name']} {n}"
        if rng.random() < 0.05:
            service["areas"] = ["all"]
            area = rng.choice(areas)
        else:
            area = rng.choice(areas)
            service["areas"] = [area["id"]]
        if template["access"] != "drop-in" and rng.random() < 0.2:
            service["access"] = "drop-in"
        if service["access"] == "drop-in" or rng.random() < 0.6:
            postcode = rng.choice(districts[area["lad_code"]])
            service["locations"] = [{"name": f"Centre {n}", "address": f"{n} High Street",
                                     "postcode": postcode}]
            service["schedule"] = [{"days": ["mon", "wed"], "opens": "09:30", "closes": "12:00"}]
        if service["access"] == "self-referral" and "referral_email" not in service:
            service["referral_email"] = "referrals@example.org"
        status = rng.choice(["open", "waitlist", "waitlist", "closed"])
        waiting = {"status": status,
                   "updated": today - timedelta(days=rng.randint(0, 200))}
        if status == "waitlist":
            waiting["weeks"] = rng.randint(1, 30)
        service["waiting_time"] = waiting
        services.append(service)
    return {"version": 1, "directory": real["directory"], "areas": areas,
            "categories": real["categories"], "organisations": organisations,
            "services": services}


def write(size: int, path: Path, seed: int = 7) -> Path:
    document = generate(size, seed)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


if __name__ == "__main__":
    import sys

    write(int(sys.argv[1]), Path(sys.argv[2]))
