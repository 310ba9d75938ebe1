"""How to reach a family: the one reading of a phone number that the journey, the
provider's pages and subject access requests share."""

import re


def normalise_phone(value: str) -> str | None:
    """A UK number (01632 960 001, 07700 900982, +44 7700 900982) or an international
    one (+ then 8 to 15 digits); None when it cannot be a phone number."""
    compact = re.sub(r"[\s\-().]", "", value)
    if compact.startswith("+44"):
        compact = "0" + compact[3:].lstrip("0")
    if re.fullmatch(r"0\d{9,10}", compact):
        return compact
    if re.fullmatch(r"\+\d{8,15}", compact):
        return compact
    return None


def normalise_email(value: str | None) -> str | None:
    """An email address as kept and compared: trimmed and lower case; None when empty."""
    value = (value or "").strip().lower()
    return value or None
