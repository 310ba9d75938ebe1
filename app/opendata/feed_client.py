"""Reading another directory's Open Referral UK feed over HTTP: JSON only, one total
deadline per request (connecting, waiting and reading all count), and a size limit, so a
slow or huge answer cannot hold a scheduled pull for ever."""

import http.client
import json
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

DEADLINE_SECONDS = 20.0
MAX_BYTES = 5_000_000
CHUNK = 65_536


class FeedError(Exception):
    """The feed could not be read or is not what the standard says: nothing was written."""


def feed_url(base: str, path: str, query: dict[str, Any] | None = None) -> str:
    url = base.rstrip("/") + path
    return url + ("?" + urlencode(query) if query else "")


def check_base_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FeedError(f"{url!r} is not an http or https address")
    if parts.query or parts.fragment:
        raise FeedError(f"{url!r}: give the feed's base address, without ? or #")
    return url.strip().rstrip("/")


def get_json(url: str, *, deadline: float = DEADLINE_SECONDS, max_bytes: int = MAX_BYTES) -> Any:
    """GET a JSON document, or raise FeedError saying what went wrong and where."""
    ends = time.monotonic() + deadline

    def left() -> float:
        remaining = ends - time.monotonic()
        if remaining <= 0:
            raise FeedError(f"{url}: no complete answer within {deadline:g} seconds")
        return remaining

    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname or "", parts.port, timeout=left())
    target = parts.path + ("?" + parts.query if parts.query else "")
    try:
        connection.request("GET", target or "/", headers={
            "Accept": "application/json", "User-Agent": "family-support-directory feeds"})
        sock = connection.sock  # getresponse() may hand it to the response and forget it
        sock.settimeout(left())
        response = connection.getresponse()
        if response.status != 200:
            raise FeedError(f"{url}: the feed answered {response.status} {response.reason}")
        body = bytearray()
        while True:
            sock.settimeout(left())
            chunk = response.read1(CHUNK)
            if not chunk:
                break
            body.extend(chunk)
            if len(body) > max_bytes:
                raise FeedError(f"{url}: the answer is larger than {max_bytes:,} bytes")
    except FeedError:
        raise
    except TimeoutError:
        raise FeedError(f"{url}: no complete answer within {deadline:g} seconds") from None
    except (OSError, http.client.HTTPException) as error:
        raise FeedError(f"{url}: could not be read ({error})") from None
    finally:
        connection.close()
    try:
        return json.loads(bytes(body).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise FeedError(f"{url}: the answer is not JSON ({error})") from None
