"""Checks that stop a production server starting with settings an attacker could use."""

import math
from collections import Counter

from sqlalchemy.engine import make_url

from app.config import DEFAULT_SECRET_KEY

MIN_SECRET_BYTES = 32
MIN_SECRET_BITS = 128  # estimated from the characters used; a random 32-byte key has far more
LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost", ""}


class InsecureSettings(RuntimeError):
    """Production refuses to start; the message says what to set."""


def _estimated_bits(key: str) -> float:
    """Shannon entropy of the characters times the length: "changeme" repeated, or one
    character many times, scores low; token_hex(32) or token_urlsafe(32) scores high."""
    counts = Counter(key)
    per_character = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return per_character * len(key)


def _repeats(key: str, run: int = 8) -> bool:
    """A run of characters seen twice: "0123456789abcdef" * 2 has a fair spread of
    characters but is no secret. (In 64 random hex digits this happens about once in
    two million keys.)"""
    runs = [key[i:i + run] for i in range(len(key) - run + 1)]
    return len(set(runs)) < len(runs)


def secret_key_problem(key: str | bytes | None) -> str | None:
    text = key.decode("latin-1") if isinstance(key, bytes) else (key or "")
    if not text or text == DEFAULT_SECRET_KEY:
        return "SECRET_KEY is not set (or is the development default)"
    if len(text.encode()) < MIN_SECRET_BYTES:
        return f"SECRET_KEY is shorter than {MIN_SECRET_BYTES} bytes"
    if _estimated_bits(text) < MIN_SECRET_BITS or _repeats(text):
        return "SECRET_KEY does not look random (too few different characters, or repeated)"
    return None


def database_tls_problem(url: str | None) -> str | None:
    """A PostgreSQL server across a network must prove who it is: sslmode=verify-full
    checks both the certificate and the host name. A server on this machine (or a Unix
    socket) is exempt: nothing crosses a network."""
    if not url or not url.startswith("postgresql"):
        return None
    parsed = make_url(url)
    host = parsed.host or ""
    if host in LOCAL_HOSTS or str(parsed.query.get("host", "")).startswith("/"):
        return None
    if parsed.query.get("sslmode") != "verify-full":
        return (f"DATABASE_URL for PostgreSQL on {host} must end with ?sslmode=verify-full "
                "(and sslrootcert= if the server's CA is not in the system store)")
    return None


def check_production(config) -> None:
    problems = [problem for problem in (
        secret_key_problem(config.get("SECRET_KEY")),
        database_tls_problem(config.get("SQLALCHEMY_DATABASE_URI")),
    ) if problem]
    if problems:
        raise InsecureSettings(
            "Production will not start: " + "; ".join(problems) + ". Make a key with: "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'")
