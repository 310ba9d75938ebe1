"""The services.yml parts search reads: `places` on areas and the `search_words` list.

Checked here, apart from the rest of the contract (directory_file), with the same checker,
so problems carry the same line numbers and field paths.
"""

import re
import unicodedata
from typing import Any, Protocol

from app.directory.yaml_lines import join

SEARCH_WORD_KEYS = {"id": True, "lang": False, "words": True, "means": True}
LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
PHRASE_MAX = 100
DEFAULT_LANGUAGE = "en"


class Checker(Protocol):
    def problem(self, path: str, message: str, line: int | None = None) -> None: ...
    def mapping(self, value: Any, path: str, keys: dict[str, bool]) -> dict | None: ...
    def slug(self, item: dict, key: str, path: str) -> str | None: ...
    def string_list(self, item: dict, key: str, path: str, *, required: bool = False) -> list[str]: ...
    def unique_ids(self, entries: list[dict | None], path: str) -> set[str]: ...


def folded(text: str) -> str:
    """Lower case without accents, single-spaced: how place names and phrases compare."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w']+", " ", plain).split())


def check_places(checker: Checker, item: dict, path: str, owners: dict[str, str]) -> list[str]:
    """An area's places: text, each belonging to one area only (`owners` collects them)."""
    places = checker.string_list(item, "places", path)
    for index, place in enumerate(places):
        key = folded(place)
        if len(place) > PHRASE_MAX:
            checker.problem(join(join(path, "places"), index),
                            f"is {len(place)} characters long; at most {PHRASE_MAX}")
        elif key in owners and owners[key] != item.get("id"):
            checker.problem(join(join(path, "places"), index),
                            f"'{place}' is already a place in '{owners[key]}': a place "
                            "belongs to one area only")
        else:
            owners[key] = str(item.get("id"))
    return places


def check_search_words(checker: Checker, entries: list) -> list[dict[str, Any]]:
    checked = [checker.mapping(entry, join("search_words", i), SEARCH_WORD_KEYS)
               for i, entry in enumerate(entries)]
    checker.unique_ids(checked, "search_words")
    result = []
    for index, item in enumerate(checked):
        if item is None:
            continue
        path = join("search_words", index)
        lang = item.get("lang", DEFAULT_LANGUAGE)
        if not isinstance(lang, str) or not LANGUAGE_RE.match(lang):
            checker.problem(join(path, "lang"), f"'{lang}' is not a two-letter language code "
                                                "like en, pl or uk")
            lang = DEFAULT_LANGUAGE
        entry = {
            "id": checker.slug(item, "id", path),
            "lang": lang,
            "words": checker.string_list(item, "words", path, required=True),
            "means": checker.string_list(item, "means", path, required=True),
        }
        for key in ("words", "means"):
            for i, phrase in enumerate(entry[key]):
                if len(phrase) > PHRASE_MAX or not folded(phrase):
                    checker.problem(join(join(path, key), i),
                                    f"must be words of at most {PHRASE_MAX} characters")
        if entry["id"]:
            result.append(entry)
    return result

