"""Whole numbers people type into forms and search boxes."""

import re

# More than any limit a form here sets; what a number too long to read counts as.
TOO_BIG = 10**9


def whole_number(text: str | None) -> int | None:
    """The number `text` gives in the digits 0 to 9 and nothing else (no sign, no spaces),
    or None.

    Not str.isdigit() then int(): isdigit() is true for "²", which int() refuses, and for
    "１２" or "٣", which int() reads but nobody here is asked to type; and int() refuses
    thousands of digits. So a number of more than nine digits, leading zeros aside, is not
    read at all: it counts as TOO_BIG, and fails any range check with the usual message."""
    if not text or not re.fullmatch(r"[0-9]+", text):
        return None
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= 9 else TOO_BIG
