"""Reading and checking services.yml (the contract in docs: services-yml.md).

`parse_directory_file` checks the whole file and returns every problem with its line and
field path, or the file's content in canonical form: the same shape that `export` writes,
with defaults filled in and postcodes normalised, so that comparing a file with the
database is comparing two dicts.

Over 500 lines on purpose: this is the whole contract of the file, checked in one pass by
one checker (`_Checker`), so every rule of the format is found in one place and reads in
the format's own order. When the format's optional parts arrive (places, search words,
venue accessibility, dated sessions, the SEND offer), give each its own module of checks.
"""

import contextlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.dates import today_in_england
from app.directory.search_words_file import check_places, check_search_words
from app.directory.yaml_lines import LocatedDocument, YamlSyntaxError, join, load_with_lines
from app.models import AccessRoute, DeliveryMode, ServiceKind, WaitingStatus
from app.places.postcodes import InvalidPostcode, normalise_postcode

FORMAT_VERSION = 1
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
LAD_CODE_RE = re.compile(r"^[EWSN]\d{8}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
PHONE_RE = re.compile(r"^\+?[0-9 ()-]+$")
TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_AREAS = "all"
SUMMARY_MAX = 200
# The database's column sizes: longer would be refused at the database, after approval.
NAME_MAX, ADDRESS_MAX, EMAIL_MAX, URL_MAX, PHONE_MAX = 200, 500, 254, 500, 40

TOP_LEVEL_KEYS = ("version", "directory", "areas", "categories", "organisations", "services",
                  "search_words")
OPTIONAL_SECTIONS = ("search_words",)
DIRECTORY_KEYS = {"name": True, "area": True, "safeguarding": True}
AREA_KEYS = {"id": True, "name": True, "lad_code": True, "places": False}
CATEGORY_KEYS = {"id": True, "name": True, "description": False, "keywords": False,
                 "parent": False}
ORGANISATION_KEYS = {"id": True, "name": True, "description": False, "website": False,
                     "email": False, "phone": False}
SERVICE_KEYS = {
    "id": True, "organisation": True, "name": True, "summary": True, "description": True,
    "kind": True, "categories": True, "areas": True, "access": True, "eligibility": False,
    "free": False, "cost_note": False, "delivery": True, "languages": False, "contact": True,
    "referral_email": False, "locations": False, "schedule": False, "waiting_time": False,
    "keywords": False,
}
ELIGIBILITY_KEYS = {"age_min": False, "age_max": False, "description": False}
CONTACT_KEYS = {"phone": False, "email": False, "website": False}
LOCATION_KEYS = {"name": True, "address": True, "postcode": True, "latitude": False,
                 "longitude": False}
SCHEDULE_KEYS = {"days": True, "opens": True, "closes": True, "note": False}
WAITING_KEYS = {"status": True, "weeks": False, "updated": True, "note": False}


@dataclass(frozen=True)
class Problem:
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"line {self.line}: {where}{self.message}"


class DirectoryFileInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the directory file")
        self.problems = problems


@dataclass
class DirectoryFile:
    """A checked services.yml in canonical form."""

    directory: dict[str, str]
    areas: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    organisations: list[dict[str, Any]]
    services: list[dict[str, Any]]
    search_words: list[dict[str, Any]] = field(default_factory=list)


def parse_directory_file(text: str, today: date | None = None) -> DirectoryFile:
    """Check the whole file; raise DirectoryFileInvalid listing every problem."""
    try:
        document = load_with_lines(text)
    except YamlSyntaxError as error:
        raise DirectoryFileInvalid(
            [Problem(error.line, "", f"not valid YAML: {error.message}")]
        ) from None
    checker = _Checker(document, today or today_in_england())
    result = checker.check()
    if checker.problems:
        raise DirectoryFileInvalid(sorted(checker.problems, key=lambda p: (p.line, p.path)))
    assert result is not None
    return result


def check_service_entry(item: dict[str, Any], *, area_ids: set[str], category_ids: set[str],
                        organisation_ids: set[str], today: date | None = None,
                        path: str = "service") -> tuple[dict[str, Any] | None, list[Problem]]:
    """Check one service as an import would (for listings edited in the site, so that they
    always export and import again): its canonical form, or the problems by field path."""
    checker = _Checker(LocatedDocument({path: item}), today or today_in_england())
    checked = checker.mapping(item, path, SERVICE_KEYS)
    if checked is None:
        return None, checker.problems
    service = checker.check_service(checked, path, area_ids, category_ids, organisation_ids)
    return (None if checker.problems else service), checker.problems


def check_organisation_entry(item: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Check one organisation as an import would (for organisations added or edited by a
    partnership admin): its canonical form, or the problems (paths end with the field)."""
    checker = _Checker(LocatedDocument({"organisations": [item]}), today_in_england())
    checked = checker.check_organisations([item])
    return (checked[0] if checked and not checker.problems else None), checker.problems


def check_search_word_entry(item: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Check one search word as an import would (for those added or changed in the site)."""
    checker = _Checker(LocatedDocument({"search_words": [item]}), today_in_england())
    checked = check_search_words(checker, [item])
    return (checked[0] if checked and not checker.problems else None), checker.problems


class _Checker:
    """Walks the document once, collecting problems and building the canonical form."""

    def __init__(self, document: LocatedDocument, today: date):
        self.document = document
        self.today = today
        self.problems: list[Problem] = []
        for path, line in document.duplicate_keys:
            self.problem(path, "this field appears twice", line=line)

    # -- reporting ------------------------------------------------------------------
    def problem(self, path: str, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(line or self.document.line_of(path), path, message))

    # -- generic field checks -------------------------------------------------------
    def mapping(self, value: Any, path: str, keys: dict[str, bool]) -> dict | None:
        """Check a mapping's shape: required keys present, no unknown keys."""
        if not isinstance(value, dict):
            self.problem(path, f"must be a mapping of fields, not {_type_name(value)}")
            return None
        for key in value:
            if key not in keys:
                known = ", ".join(keys)
                self.problem(join(path, str(key)), f"unknown field '{key}' (expected one of: {known})")
        for key, required in keys.items():
            if required and value.get(key) is None:
                self.problem(join(path, key), "required field missing",
                             line=self.document.line_of(path))
        return value

    def text(self, item: dict, key: str, path: str, *, single_line: bool = False,
             max_length: int | None = None) -> str | None:
        value = item.get(key)
        field_path = join(path, key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(field_path, f"must be text, not {_type_name(value)}")
            return None
        value = value.strip()
        if not value:
            self.problem(field_path, "must not be empty")
            return None
        if single_line and "\n" in value:
            self.problem(field_path, "must be one line")
        if max_length is not None and len(value) > max_length:
            self.problem(field_path, f"is {len(value)} characters long; at most {max_length}")
        return value

    def slug(self, item: dict, key: str, path: str) -> str | None:
        value = item.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not SLUG_RE.match(value):
            self.problem(join(path, key),
                         f"'{value}' is not a valid id: use lowercase letters, digits and "
                         "single hyphens, like 'woking-family-centre'")
            return None
        return value

    def pattern(self, item: dict, key: str, path: str, regex: re.Pattern, what: str,
                max_length: int) -> str | None:
        value = self.text(item, key, path, single_line=True, max_length=max_length)
        if value is not None and not regex.match(value):
            self.problem(join(path, key), f"'{value}' is not {what}")
            return None
        return value

    def email(self, item: dict, key: str, path: str) -> str | None:
        return self.pattern(item, key, path, EMAIL_RE, "an email address", EMAIL_MAX)

    def url(self, item: dict, key: str, path: str) -> str | None:
        return self.pattern(item, key, path, URL_RE, "a web address starting http:// or https://",
                            URL_MAX)

    def phone(self, item: dict, key: str, path: str) -> str | None:
        value = self.pattern(item, key, path, PHONE_RE, "a phone number", PHONE_MAX)
        if value is not None and not 10 <= len(re.sub(r"\D", "", value)) <= 13:
            self.problem(join(path, key), f"'{value}' is not a phone number (10 to 13 digits)")
            return None
        return value

    def choice(self, item: dict, key: str, path: str, choices: tuple[str, ...]) -> str | None:
        value = item.get(key)
        if value is None:
            return None
        if value not in choices:
            self.problem(join(path, key), f"'{value}' is not one of: {', '.join(choices)}")
            return None
        return value

    def whole_number(self, item: dict, key: str, path: str, low: int, high: int) -> int | None:
        value = item.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(join(path, key), f"must be a whole number, not {_type_name(value)}")
            return None
        if not low <= value <= high:
            self.problem(join(path, key), f"{value} is outside {low} to {high}")
            return None
        return value

    def boolean(self, item: dict, key: str, path: str, default: bool) -> bool:
        value = item.get(key, default)
        if not isinstance(value, bool):
            self.problem(join(path, key), f"must be true or false, not {_type_name(value)}")
            return default
        return value

    def string_list(self, item: dict, key: str, path: str, *, required: bool = False) -> list[str]:
        value = item.get(key)
        field_path = join(path, key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(field_path, f"must be a list, like [a, b], not {_type_name(value)}")
            return []
        if required and not value:
            self.problem(field_path, "must list at least one")
        result = []
        for index, entry in enumerate(value):
            if not isinstance(entry, str) or not entry.strip():
                self.problem(join(field_path, index), f"must be text, not {_type_name(entry)}")
                continue
            result.append(entry.strip())
        if len(set(result)) != len(result):
            self.problem(field_path, "lists the same value twice")
        return result

    def a_list(self, value: Any, path: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, f"must be a list, not {_type_name(value)}")
            return []
        return value

    def unique_ids(self, entries: list[dict | None], path: str) -> set[str]:
        first_line: dict[str, int] = {}
        for index, entry in enumerate(entries):
            if not entry or not isinstance(entry.get("id"), str):
                continue
            id_path = join(join(path, index), "id")
            if entry["id"] in first_line:
                self.problem(id_path, f"duplicate id '{entry['id']}' (first used on line "
                                      f"{first_line[entry['id']]})")
            else:
                first_line[entry["id"]] = self.document.line_of(id_path)
        return set(first_line)

    # -- the file -------------------------------------------------------------------
    def check(self) -> DirectoryFile | None:
        root = self.document.data
        if not isinstance(root, dict):
            self.problem("", "the file must be a mapping with version, directory, areas, "
                             "categories, organisations and services")
            return None
        for key in root:
            if key not in TOP_LEVEL_KEYS:
                self.problem(str(key), f"unknown section '{key}' (expected one of: "
                                       f"{', '.join(TOP_LEVEL_KEYS)})")
        version = root.get("version")
        if type(version) is not int or version != FORMAT_VERSION:
            self.problem("version", f"this is format version {FORMAT_VERSION}; "
                                    f"the file says {version!r}")
        for key in TOP_LEVEL_KEYS[1:]:
            if key not in root and key not in OPTIONAL_SECTIONS:
                self.problem(key, "required section missing", line=1)

        directory = self.check_directory(root.get("directory"))
        areas = self.check_areas(self.a_list(root.get("areas"), "areas"))
        area_ids = {area["id"] for area in areas}
        categories = self.check_categories(self.a_list(root.get("categories"), "categories"))
        category_ids = {category["id"] for category in categories}
        organisations = self.check_organisations(
            self.a_list(root.get("organisations"), "organisations"))
        organisation_ids = {organisation["id"] for organisation in organisations}
        services = self.check_services(self.a_list(root.get("services"), "services"),
                                       area_ids, category_ids, organisation_ids)
        search_words = check_search_words(self, self.a_list(root.get("search_words"),
                                                           "search_words"))
        return DirectoryFile(directory or {}, areas, categories, organisations, services,
                             search_words)

    def check_directory(self, value: Any) -> dict | None:
        if value is None:
            return None
        item = self.mapping(value, "directory", DIRECTORY_KEYS)
        if item is None:
            return None
        return {
            "name": self.text(item, "name", "directory", single_line=True, max_length=NAME_MAX),
            "area": self.text(item, "area", "directory", single_line=True),
            "safeguarding": self.text(item, "safeguarding", "directory"),
        }

    def check_areas(self, entries: list) -> list[dict]:
        checked = [self.mapping(entry, join("areas", i), AREA_KEYS)
                   for i, entry in enumerate(entries)]
        self.unique_ids(checked, "areas")
        result, lad_codes, place_owners = [], {}, {}
        for index, item in enumerate(checked):
            if item is None:
                continue
            path = join("areas", index)
            area = {
                "id": self.slug(item, "id", path),
                "name": self.text(item, "name", path, single_line=True, max_length=NAME_MAX),
                "lad_code": self.pattern(item, "lad_code", path, LAD_CODE_RE,
                                         "an ONS district code like E07000217", max_length=9),
                "places": check_places(self, item, path, place_owners),
            }
            if area["lad_code"] in lad_codes:
                self.problem(join(path, "lad_code"),
                             f"'{area['lad_code']}' is already the code of '{lad_codes[area['lad_code']]}'")
            elif area["lad_code"]:
                lad_codes[area["lad_code"]] = area["id"]
            if area["id"] == ALL_AREAS:
                self.problem(join(path, "id"), "'all' is reserved for services covering every area")
            if area["id"]:
                result.append(area)
        return result

    def check_categories(self, entries: list) -> list[dict]:
        checked = [self.mapping(entry, join("categories", i), CATEGORY_KEYS)
                   for i, entry in enumerate(entries)]
        ids = self.unique_ids(checked, "categories")
        parents = {item["id"]: item.get("parent") for item in checked
                   if item and isinstance(item.get("id"), str)}
        result = []
        for index, item in enumerate(checked):
            if item is None:
                continue
            path = join("categories", index)
            category = {
                "id": self.slug(item, "id", path),
                "name": self.text(item, "name", path, single_line=True, max_length=NAME_MAX),
                "description": self.text(item, "description", path) or "",
                "keywords": self.string_list(item, "keywords", path),
                "parent": None,
            }
            parent = item.get("parent")
            if parent is not None:
                parent_path = join(path, "parent")
                if not isinstance(parent, str):
                    self.problem(parent_path, f"must be one category id, not {_type_name(parent)}")
                elif parent not in ids:
                    self.problem(parent_path, f"unknown category '{parent}'")
                elif parent == category["id"]:
                    self.problem(parent_path, "a category cannot be its own parent")
                elif isinstance(parents.get(parent), str):
                    self.problem(parent_path, f"'{parent}' is itself a subcategory; "
                                              "categories have two levels")
                else:
                    category["parent"] = parent
            if category["id"]:
                result.append(category)
        return result

    def check_organisations(self, entries: list) -> list[dict]:
        checked = [self.mapping(entry, join("organisations", i), ORGANISATION_KEYS)
                   for i, entry in enumerate(entries)]
        self.unique_ids(checked, "organisations")
        result = []
        for index, item in enumerate(checked):
            if item is None:
                continue
            path = join("organisations", index)
            organisation = {
                "id": self.slug(item, "id", path),
                "name": self.text(item, "name", path, single_line=True, max_length=NAME_MAX),
                "description": self.text(item, "description", path),
                "website": self.url(item, "website", path),
                "email": self.email(item, "email", path),
                "phone": self.phone(item, "phone", path),
            }
            if organisation["id"]:
                result.append(organisation)
        return result

    def check_services(self, entries: list, area_ids: set[str], category_ids: set[str],
                       organisation_ids: set[str]) -> list[dict]:
        checked = [self.mapping(entry, join("services", i), SERVICE_KEYS)
                   for i, entry in enumerate(entries)]
        self.unique_ids(checked, "services")
        result = []
        for index, item in enumerate(checked):
            if item is None:
                continue
            service = self.check_service(item, join("services", index), area_ids,
                                         category_ids, organisation_ids)
            if service["id"]:
                result.append(service)
        return result

    def check_service(self, item: dict, path: str, area_ids: set[str], category_ids: set[str],
                      organisation_ids: set[str]) -> dict:
        organisation = self.slug(item, "organisation", path)
        if organisation and organisation not in organisation_ids:
            self.problem(join(path, "organisation"), f"unknown organisation '{organisation}'")
        categories = self.string_list(item, "categories", path, required=True)
        for i, category in enumerate(categories):
            if category not in category_ids:
                self.problem(join(join(path, "categories"), i), f"unknown category '{category}'")
        areas = self.string_list(item, "areas", path, required=True)
        if ALL_AREAS in areas and len(areas) > 1:
            self.problem(join(path, "areas"), "'all' covers every area: list it alone")
        for i, area in enumerate(areas):
            if area != ALL_AREAS and area not in area_ids:
                self.problem(join(join(path, "areas"), i), f"unknown area '{area}'")
        delivery = self.string_list(item, "delivery", path, required=True)
        for i, mode in enumerate(delivery):
            if mode not in DeliveryMode.ALL:
                self.problem(join(join(path, "delivery"), i),
                             f"'{mode}' is not one of: {', '.join(DeliveryMode.ALL)}")
        languages = self.string_list(item, "languages", path) if "languages" in item else ["en"]
        for i, language in enumerate(languages):
            if not LANGUAGE_RE.match(language):
                self.problem(join(join(path, "languages"), i),
                             f"'{language}' is not a two-letter ISO 639-1 language code")
        access = self.choice(item, "access", path, AccessRoute.ALL)
        service = {
            "id": self.slug(item, "id", path),
            "organisation": organisation,
            "name": self.text(item, "name", path, single_line=True, max_length=NAME_MAX),
            "summary": self.text(item, "summary", path, single_line=True, max_length=SUMMARY_MAX),
            "description": self.text(item, "description", path),
            "kind": self.choice(item, "kind", path, ServiceKind.ALL),
            "categories": categories,
            "areas": areas,
            "access": access,
            "eligibility": self.check_eligibility(item.get("eligibility"),
                                                  join(path, "eligibility")),
            "free": self.boolean(item, "free", path, True),
            "cost_note": self.text(item, "cost_note", path) or "" if item.get("cost_note") else "",
            "delivery": delivery,
            "languages": languages,
            "contact": self.check_contact(item.get("contact"), join(path, "contact")),
            "referral_email": self.email(item, "referral_email", path),
            "locations": self.check_locations(item.get("locations"), join(path, "locations")),
            "schedule": self.check_schedule(item.get("schedule"), join(path, "schedule")),
            "waiting_time": self.check_waiting_time(item.get("waiting_time"),
                                                    join(path, "waiting_time")),
            "keywords": self.string_list(item, "keywords", path),
        }
        if access == AccessRoute.SELF_REFERRAL and item.get("referral_email") is None:
            self.problem(join(path, "referral_email"),
                         "required for a self-referral service: where new referrals are announced",
                         line=self.document.line_of(path))
        return service

    def check_eligibility(self, value: Any, path: str) -> dict:
        if value is None:
            return {}
        item = self.mapping(value, path, ELIGIBILITY_KEYS)
        if item is None:
            return {}
        eligibility = {
            "age_min": self.whole_number(item, "age_min", path, 0, 120),
            "age_max": self.whole_number(item, "age_max", path, 0, 120),
            "description": self.text(item, "description", path),
        }
        low, high = eligibility["age_min"], eligibility["age_max"]
        if low is not None and high is not None and low > high:
            self.problem(join(path, "age_max"), f"age_max {high} is below age_min {low}")
        return {key: value for key, value in eligibility.items() if value is not None}

    def check_contact(self, value: Any, path: str) -> dict:
        if value is None:
            return {}
        item = self.mapping(value, path, CONTACT_KEYS)
        if item is None:
            return {}
        contact = {
            "phone": self.phone(item, "phone", path),
            "email": self.email(item, "email", path),
            "website": self.url(item, "website", path),
        }
        if not any(item.get(key) for key in CONTACT_KEYS):
            self.problem(path, "give at least one of phone, email or website")
        return {key: value for key, value in contact.items() if value is not None}

    def check_locations(self, value: Any, path: str) -> list[dict]:
        result = []
        for index, entry in enumerate(self.a_list(value, path)):
            entry_path = join(path, index)
            item = self.mapping(entry, entry_path, LOCATION_KEYS)
            if item is None:
                continue
            location = {
                "name": self.text(item, "name", entry_path, single_line=True, max_length=NAME_MAX),
                "address": self.text(item, "address", entry_path, single_line=True,
                                     max_length=ADDRESS_MAX),
                "postcode": None,
            }
            raw_postcode = item.get("postcode")
            if raw_postcode is not None:
                try:
                    location["postcode"] = normalise_postcode(str(raw_postcode))
                except InvalidPostcode as error:
                    self.problem(join(entry_path, "postcode"), str(error))
            latitude = self.coordinate(item, "latitude", entry_path, 49.0, 61.0)
            longitude = self.coordinate(item, "longitude", entry_path, -9.0, 2.5)
            if (latitude is None) != (longitude is None):
                self.problem(entry_path, "give both latitude and longitude, or neither")
            elif latitude is not None:
                location["latitude"], location["longitude"] = latitude, longitude
            result.append(location)
        return result

    def coordinate(self, item: dict, key: str, path: str, low: float, high: float) -> float | None:
        value = item.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(join(path, key), f"must be a number, not {_type_name(value)}")
            return None
        if not low <= value <= high:
            self.problem(join(path, key), f"{value} is not in the United Kingdom "
                                          f"({low} to {high})")
            return None
        return float(value)

    def check_schedule(self, value: Any, path: str) -> list[dict]:
        result = []
        for index, entry in enumerate(self.a_list(value, path)):
            entry_path = join(path, index)
            item = self.mapping(entry, entry_path, SCHEDULE_KEYS)
            if item is None:
                continue
            days = self.string_list(item, "days", entry_path, required=True)
            for i, day in enumerate(days):
                if day not in DAYS:
                    self.problem(join(join(entry_path, "days"), i),
                                 f"'{day}' is not a day: use {', '.join(DAYS)}")
            opens = self.time(item, "opens", entry_path)
            closes = self.time(item, "closes", entry_path)
            if opens and closes and opens >= closes:
                self.problem(join(entry_path, "closes"), f"closes at {closes}, "
                                                         f"not after it opens at {opens}")
            schedule = {"days": days, "opens": opens, "closes": closes,
                        "note": self.text(item, "note", entry_path)}
            result.append({key: value for key, value in schedule.items() if value is not None})
        return result

    def time(self, item: dict, key: str, path: str) -> str | None:
        value = item.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not TIME_RE.match(value):
            hint = " (put times in quotes: an unquoted 9:30 is read as a number)" \
                if type(value) is int else ""
            self.problem(join(path, key), f"{value!r} is not a 24-hour time like \"09:30\"{hint}")
            return None
        return value

    def check_waiting_time(self, value: Any, path: str) -> dict | None:
        if value is None:
            return None
        item = self.mapping(value, path, WAITING_KEYS)
        if item is None:
            return None
        status = self.choice(item, "status", path, WaitingStatus.ALL)
        weeks = self.whole_number(item, "weeks", path, 0, 260)
        if status == WaitingStatus.WAITLIST and item.get("weeks") is None:
            self.problem(join(path, "weeks"), "required with status waitlist: about how many weeks",
                         line=self.document.line_of(path))
        if status in (WaitingStatus.OPEN, WaitingStatus.CLOSED) and weeks is not None:
            self.problem(join(path, "weeks"), f"weeks goes only with status waitlist, not {status}")
        updated = self.a_date(item, "updated", path)
        return {"status": status, "weeks": weeks, "updated": updated,
                "note": self.text(item, "note", path)}

    def a_date(self, item: dict, key: str, path: str) -> date | None:
        value = item.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = date.fromisoformat(value.strip())
        if isinstance(value, datetime):
            self.problem(join(path, key), f"give just the date, like {value.date().isoformat()}, "
                                          "without a time")
            return None
        if not isinstance(value, date):
            self.problem(join(path, key), f"{value!r} is not a date like 2026-11-01")
            return None
        if value > self.today:
            self.problem(join(path, key), f"{value.isoformat()} is in the future")
            return None
        return value


def _type_name(value: Any) -> str:
    if value is None:
        return "empty"
    return {bool: "true/false", int: "a number", float: "a number", str: "text",
            list: "a list", dict: "a mapping", date: "a date"}.get(type(value), type(value).__name__)
