"""The words families use, and the place names they type: matched as whole phrases.

Two sources of phrases: the built-in vocabulary of family-support English
(vocabulary.yml, kept in the repository) and the partnership's own `search_words`
(services.yml, editable by admins). A phrase matches whole words in order, ignoring case,
accents and word endings; where phrases overlap, the longest wins.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from whoosh.lang.porter2 import stem

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yml")
PLACE_MARKERS = ("in", "near", "around")
_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def fold(text: str) -> str:
    """Lower case without accents, keeping the text's length (so positions still match)."""
    return "".join(unicodedata.normalize("NFKD", ch)[0] if ch.strip() else " "
                   for ch in text.lower().replace("’", "'"))


def words_of(text: str) -> list[tuple[str, int, int]]:
    """(folded word, start, end) for each word of the text."""
    return [(m.group(), m.start(), m.end()) for m in _WORD_RE.finditer(fold(text))]


def stem_key(word: str) -> str:
    return stem(word.replace("'", "")) if word.isascii() else word


@dataclass(frozen=True)
class Meaning:
    means: tuple[str, ...]
    disclosure: bool = False


@dataclass
class Understood:
    """What the phrases in a search meant."""

    means: list[str] = field(default_factory=list)  # English words to look for as well
    disclosure: bool = False  # reads like someone telling of harm


class Vocabulary:
    def __init__(self, groups: list[tuple[list[str], Meaning]]):
        # First word's stem -> [(all stems, meaning)], longest phrases first.
        self._phrases: dict[str, list[tuple[tuple[str, ...], Meaning]]] = {}
        self.single_words: set[str] = set()
        known: set[str] = set()
        for phrases, meaning in groups:
            for phrase in phrases:
                known.update(word for word, _, _ in words_of(phrase))
                key = tuple(stem_key(word) for word, _, _ in words_of(phrase))
                if not key:
                    continue
                if len(key) == 1:
                    self.single_words.add(fold(phrase).strip())
                self._phrases.setdefault(key[0], []).append((key, meaning))
        for entries in self._phrases.values():
            entries.sort(key=lambda entry: -len(entry[0]))
        self.known_words = frozenset(known)  # never "corrected" as typos

    def understand(self, text: str) -> Understood:
        words = words_of(text)
        stems = [stem_key(word) for word, _, _ in words]
        result = Understood()
        index = 0
        while index < len(stems):
            length = 0
            for key, meaning in self._phrases.get(stems[index], ()):
                if tuple(stems[index:index + len(key)]) == key:
                    if not length:
                        length = len(key)
                    if len(key) == length:  # every group that knows this exact phrase
                        result.means.extend(m for m in meaning.means if m not in result.means)
                        result.disclosure |= meaning.disclosure
            if length:
                index += length
            else:
                index += 1
        return result


@cache
def built_in() -> tuple[list[tuple[list[str], Meaning]], frozenset[str]]:
    """The built-in groups, and the everyday words that are also place names."""
    data = yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))
    groups = [(list(group["words"]), Meaning(tuple(group["means"]),
                                             bool(group.get("disclosure"))))
              for group in data["groups"]]
    return groups, frozenset(fold(word).strip() for word in data["everyday_words"])


def vocabulary_with(partnership: list[tuple[list[str], list[str]]]) -> Vocabulary:
    groups, _ = built_in()
    return Vocabulary(groups + [(words, Meaning(tuple(means))) for words, means in partnership])


class Places:
    """Place names a family might type, and the area each is in. A place that is also an
    everyday word in searches for help (Send, Ash) counts only after in, near or around."""

    def __init__(self, areas: list[tuple[str, str, list[str]]], everyday: set[str]):
        self.area_ids = [area_id for area_id, _, _ in areas]
        names: dict[str, str] = {}
        for area_id, name, places in areas:
            for place in [name, *places]:
                names.setdefault(" ".join(w for w, _, _ in words_of(place)), area_id)
        self.guarded = {name for name in names if name in everyday}
        self.names = dict(sorted(names.items(), key=lambda item: -len(item[0])))
        alternatives = "|".join(re.escape(name).replace(r"\ ", r"[\s'-]+")
                                for name in self.names)
        self._pattern = re.compile(
            r"(?<![\w'])(?:(in|near|around)\s+)?(" + alternatives + r")(?![\w'])"
        ) if names else None

    def find(self, text: str) -> tuple[str | None, str]:
        """The first area named in the text, and the text without that place name."""
        if self._pattern is None:
            return None, text
        folded = fold(text)
        for match in self._pattern.finditer(folded):
            name = " ".join(w for w, _, _ in words_of(match.group(2)))
            if name in self.guarded and not match.group(1):
                continue
            remaining = text[: match.start()] + " " + text[match.end():]
            return self.names[name], " ".join(remaining.split())
        return None, text
