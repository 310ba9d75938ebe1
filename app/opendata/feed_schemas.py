"""Checking what a feed sends against the Open Referral UK 3.0 JSON Schemas (Draft 2020-12,
formats asserted), read from ORUK_SCHEMA_DIR: by default the project's shared copy of the
standard beside the repository (../shared/spec/oruk-3.0/schema)."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.opendata.feed_client import FeedError

# The prefix the standard's own $refs use; mapped to the local files.
SCHEMA_URL = "https://openreferraluk.org/specifications/3.0/schema/"
DEFAULT_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "oruk-3.0" / "schema"
MAX_PROBLEMS = 5


def schema_dir() -> Path:
    return Path(current_app.config.get("ORUK_SCHEMA_DIR") or DEFAULT_DIR)


@lru_cache(maxsize=4)
def _registry(folder: str) -> Registry:
    paths = sorted(Path(folder).glob("*.json"))
    if not any(path.name == "service.json" for path in paths):
        raise FeedError(f"the Open Referral UK schemas are not in {folder}: set ORUK_SCHEMA_DIR "
                        "to the folder holding service.json and service_list.json")
    return Registry().with_resources(
        (SCHEMA_URL + path.name,
         Resource.from_contents(json.loads(path.read_text("utf-8")),
                                default_specification=DRAFT202012))
        for path in paths)


def problems(document: Any, schema: str) -> list[str]:
    """What is wrong with a document by the standard's schema (service, service_list),
    each as "field/path: message"; empty when it is valid."""
    validator = Draft202012Validator({"$ref": SCHEMA_URL + schema + ".json"},
                                     registry=_registry(str(schema_dir())),
                                     format_checker=FormatChecker())
    found = sorted(validator.iter_errors(document),
                   key=lambda error: [str(part) for part in error.absolute_path])
    return [f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
            for error in found]


def check(document: Any, schema: str, where: str) -> None:
    found = problems(document, schema)
    if found:
        more = f" (and {len(found) - MAX_PROBLEMS} more)" if len(found) > MAX_PROBLEMS else ""
        raise FeedError(f"{where} is not a valid Open Referral UK {schema}: "
                        + "; ".join(found[:MAX_PROBLEMS]) + more)
