"""The partnership's search words: imported and exported by id with services.yml, and
added or changed by admins in the site (audited). Search reads them from the database."""

from typing import Any

from sqlalchemy import select

from app.accounts.audit import record_event
from app.directory.directory_file import Problem, check_search_word_entry
from app.extensions import db
from app.models import SearchWord
from app.models.directory import utcnow


def canonical(word: SearchWord) -> dict[str, Any]:
    return {"id": word.id, "lang": word.lang, "words": list(word.words),
            "means": list(word.means)}


def all_words() -> list[SearchWord]:
    return list(db.session.scalars(select(SearchWord).order_by(SearchWord.id)))


def exported() -> list[dict[str, Any]]:
    """For services.yml: `lang` only where it is not English, as a person would write it."""
    result = []
    for word in all_words():
        entry = canonical(word)
        if entry["lang"] == "en":
            del entry["lang"]
        result.append(entry)
    return result


def changed_in_site(word: SearchWord) -> bool:
    return word.changed_in_site_at is not None and (
        word.imported_at is None or word.changed_in_site_at > word.imported_at)


def apply_search_words(entries: list[dict], overwrite_site_changes: bool = False) -> list[str]:
    """Create or update by id; the outcome of each entry, in order. A word changed in the
    site after the import that wrote it is kept unless asked to overwrite it."""
    existing = {word.id: word for word in all_words()}
    outcomes = []
    for entry in entries:
        word = existing.get(entry["id"])
        if word is None:
            word = SearchWord(id=entry["id"])
            db.session.add(word)
            outcome = "created"
        elif canonical(word) == entry:
            outcomes.append("unchanged")
            continue
        elif changed_in_site(word) and not overwrite_site_changes:
            outcomes.append("kept")
            continue
        else:
            outcome = "updated"
        word.lang, word.words, word.means = entry["lang"], entry["words"], entry["means"]
        word.imported_at = utcnow()
        outcomes.append(outcome)
    return outcomes


def parse_phrases(text: str) -> list[str]:
    """Phrases typed one per line or separated by commas, as the admin form takes them."""
    phrases = [part.strip() for line in (text or "").splitlines() for part in line.split(",")]
    return list(dict.fromkeys(phrase for phrase in phrases if phrase))


def save(word_id: str, words: list[str], means: list[str], lang: str = "en",
         *, new: bool) -> tuple[SearchWord | None, list[Problem]]:
    """Add or change a search word from the site, checked as an import would check it,
    audited; the caller commits. Returns the word, or the problems (paths end with the
    field: `id`, `words`, `means`, `lang`)."""
    entry, problems = check_search_word_entry(
        {"id": word_id, "lang": lang or "en", "words": words, "means": means})
    existing = db.session.get(SearchWord, word_id) if word_id else None
    if new and existing is not None:
        problems = [*problems, Problem(1, "search_words[0].id",
                                       f"'{word_id}' is already a search word: choose another id")]
    if entry is None or problems:
        return None, problems
    word = existing or SearchWord(id=entry["id"])
    before = canonical(word) if existing else None
    word.lang, word.words, word.means = entry["lang"], entry["words"], entry["means"]
    word.changed_in_site_at = utcnow()
    db.session.add(word)
    record_event("search_word.added" if before is None else "search_word.changed",
                 subject_type="search_word", subject_id=word.id,
                 detail={"before": before, "after": canonical(word)})
    return word, []
