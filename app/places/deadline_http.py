"""HTTP GETs with one total deadline, for geopy: whatever the server does (accepts and
says nothing, or trickles a byte a second, each byte resetting an ordinary socket
timeout), the request is over when the deadline passes. No retries: a searcher is waiting.
"""

import contextlib
import http.client
import json
import socket
import threading
import time
from urllib.parse import urlsplit

from geopy.adapters import AdapterHTTPError, BaseSyncAdapter
from geopy.exc import GeocoderParseError, GeocoderTimedOut, GeocoderUnavailable

# A geocoder's answer is a few kilobytes; more is not an answer.
MAX_BODY_BYTES = 1_000_000


class DeadlineAdapter(BaseSyncAdapter):
    """geopy's `timeout` becomes the total time for connecting, sending and reading."""

    def get_json(self, url: str, *, timeout: float, headers: dict) -> object:
        text = self.get_text(url, timeout=timeout, headers=headers)
        try:
            return json.loads(text)
        except ValueError:
            raise GeocoderParseError("The geocoder's answer is not JSON") from None

    def get_text(self, url: str, *, timeout: float, headers: dict) -> str:
        deadline = time.monotonic() + timeout
        parts = urlsplit(url)
        if parts.scheme == "https":
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname or "", parts.port, timeout=timeout, context=self.ssl_context)
        else:
            connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
        # At the deadline the socket is shut, which ends any read in progress at once.
        cutter = threading.Timer(timeout, _cut, args=(connection,))
        cutter.daemon = True
        cutter.start()
        try:
            connection.connect()
            if time.monotonic() >= deadline:  # the cut came while connecting, with no socket yet
                raise TimeoutError
            connection.request("GET", f"{parts.path or '/'}{'?' + parts.query if parts.query else ''}",
                               headers=headers)
            response = connection.getresponse()
            body = response.read(MAX_BODY_BYTES)
            status = response.status
            response_headers = {name.lower(): value for name, value in response.getheaders()}
        except (OSError, http.client.HTTPException) as error:
            if time.monotonic() >= deadline or isinstance(error, TimeoutError):
                raise GeocoderTimedOut(f"No answer within {timeout:g} s") from None
            raise GeocoderUnavailable(f"{type(error).__name__}: {error}") from None
        finally:
            cutter.cancel()
            connection.close()
        if time.monotonic() >= deadline:  # the cut can end a read as if the body were complete
            raise GeocoderTimedOut(f"No answer within {timeout:g} s")
        text = body.decode("utf-8", errors="replace")
        if status >= 400:
            raise AdapterHTTPError(f"Status {status}", status_code=status, headers=response_headers,
                                   text=text)
        return text


def _cut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)
