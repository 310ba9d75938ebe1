"""Text typed by people: one kind of line break (LF) whatever the browser or file sent, and
its paragraphs and lines shown as they were typed. Imports nothing from the app, so models,
domain code and pages can all use it."""

import re
from difflib import SequenceMatcher

from markupsafe import Markup, escape

_BREAKS = re.compile(r"\r\n?")
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")


def lf(text: str) -> str:
    """CR LF (what browsers send from a textarea) and a lone CR (old Mac files) as LF."""
    return _BREAKS.sub("\n", text)


def same_text(a: str | None, b: str | None) -> bool:
    """Equal apart from the style of line breaks and space at the ends: not a change."""
    return lf(a or "").strip() == lf(b or "").strip()


def paragraphs(text: str | None) -> Markup:
    """Plain text as GOV.UK body paragraphs: a blank line starts a paragraph, a single line
    break stays a line break, and everything else is escaped (markup already made safe, such
    as a link, is kept as it is)."""
    if isinstance(text, Markup):
        return text
    blocks = [block.strip() for block in _BLANK_LINES.split(lf(text or "").strip()) if block.strip()]
    return Markup("\n").join(Markup('<p class="govuk-body">{}</p>').format(lines(block))
                             for block in blocks)


def lines(text: str | None) -> Markup:
    """Plain text with its line breaks kept (as <br>), everything else escaped."""
    return Markup("<br>").join(escape(" ".join(line.split()))
                               for line in lf(text or "").strip().split("\n"))


def joined_lines(*parts: str | None) -> Markup:
    """Several values, each escaped, one a line (the empty ones left out)."""
    return Markup("<br>").join(escape(part) for part in parts if part)


_TOKENS = re.compile(r"\n[ \t]*\n\s*|\n|[^\s]+")


def _shown(tokens: list[str]) -> Markup:
    """Tokens (words, line breaks, blank lines) as HTML: one space between words."""
    out: list[Markup] = []
    for token in tokens:
        if token.startswith("\n"):
            out.append(Markup("<br><br>") if token.count("\n") > 1 else Markup("<br>"))
        else:
            if out and not out[-1].endswith(">"):
                out.append(Markup(" "))
            out.append(escape(token))
    return Markup("").join(out)


def word_diff(before: str, after: str, removed: str, added: str) -> tuple[Markup, Markup]:
    """Two texts with the words that changed marked: removed ones in the first (<del>),
    added ones in the second (<ins>). `removed` and `added` are said to screen readers,
    which do not announce the marks themselves."""
    old, new = _TOKENS.findall(lf(before).strip()), _TOKENS.findall(lf(after).strip())
    was: list[Markup] = []
    now: list[Markup] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            was.append(_shown(old[i1:i2]))
            now.append(_shown(new[j1:j2]))
            continue
        if i2 > i1:
            was.append(Markup('<del class="app-diff"><span class="govuk-visually-hidden">{} </span>{}</del>')
                       .format(removed, _shown(old[i1:i2])))
        if j2 > j1:
            now.append(Markup('<ins class="app-diff"><span class="govuk-visually-hidden">{} </span>{}</ins>')
                       .format(added, _shown(new[j1:j2])))
    return Markup(" ").join(was), Markup(" ").join(now)
