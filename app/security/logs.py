"""Access logs without bearer secrets: the tracker's, invitation, password-reset and
listing-check links carry a token in the path that works for whoever holds it, and log
files are read by more people (and kept longer) than the database."""

import logging
import re

# The path segment after each of these is a secret.
SECRET_PATH_PREFIXES = ("/referrals/track/", "/account/invitation/", "/password-reset/",
                        "/listing-check/")
MASK = "[redacted]"
_SECRET_IN_PATH = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in SECRET_PATH_PREFIXES) + r")[^/\s?#\"']+")
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


def redact(text: str) -> str:
    return _SECRET_IN_PATH.sub(lambda match: match.group(1) + MASK, text)


class RedactSecretPaths(logging.Filter):
    """Rewrites the finished message, so it works whatever the format: werkzeug's
    positional arguments or gunicorn's dictionary of atoms."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install() -> None:
    """On the access loggers themselves, so every handler (a file, stderr, syslog) gets the
    masked line. Idempotent: create_app may run more than once in a process."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecretPaths) for existing in logger.filters):
            logger.addFilter(RedactSecretPaths())
