"""Another directory's Open Referral UK feed, served over real HTTP on 127.0.0.1 from a
dict of services, paged as the standard describes (page, per_page, total_pages,
last_page), with `modified_after` honoured; or any answer a test wants for a path."""

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple  # (status, body) or (status, body, seconds between bytes)


class FeedServer:
    def __init__(self, page_size: int = 2):
        self.services: dict[str, dict] = {}
        self.page_size = page_size
        self.requests: list[str] = []
        self.overrides: dict[str, Callable[[], Answer] | Answer] = {}
        self.url = ""

    def add(self, document: dict) -> None:
        self.services[document["id"]] = document

    def answer(self, target: str) -> Answer:
        self.requests.append(target)
        parts = urlsplit(target)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        override = self.overrides.get(parts.path + ("?page=" + query["page"] if "page" in query else ""))
        override = override or self.overrides.get(parts.path)
        if override is not None:
            return override() if callable(override) else override
        if parts.path == "/services":
            return 200, json.dumps(self.page(query)).encode()
        if parts.path.startswith("/services/") and parts.path[10:] in self.services:
            return 200, json.dumps(self.services[parts.path[10:]]).encode()
        return 404, b'{"title": "not found"}'

    def page(self, query: dict[str, str]) -> dict:
        items = sorted(self.services.values(), key=lambda s: s["id"])
        if "modified_after" in query:
            items = [s for s in items if s.get("last_modified", "") > query["modified_after"]]
        number = int(query.get("page", 1))
        total_pages = max(1, -(-len(items) // self.page_size))
        contents = items[(number - 1) * self.page_size:number * self.page_size]
        return {"total_items": len(items), "total_pages": total_pages, "page_number": number,
                "size": len(contents), "first_page": number == 1,
                "last_page": number >= total_pages, "empty": not contents,
                "contents": [list_item(item) for item in contents]}


def list_item(service: dict) -> dict:
    """A list item carries the service's own fields and its organisation, no child arrays."""
    return {key: value for key, value in service.items() if not isinstance(value, list)}


@contextmanager
def serving(feed: FeedServer) -> Iterator[FeedServer]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            status, body, *slow = feed.answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not slow:
                self.wfile.write(body)
                return
            try:
                for byte in body:
                    time.sleep(slow[0])
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            except OSError:  # the reader gave up: that is the point
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    feed.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield feed
    finally:
        server.shutdown()
        server.server_close()


def trickle(seconds_per_byte: float, body: bytes) -> Callable[[], Answer]:
    """An answer that arrives a byte at a time: each read is quick, the whole is not."""
    return lambda: (200, body, seconds_per_byte)
