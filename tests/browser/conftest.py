"""Browser tests: the app served on 127.0.0.1 by a real server thread (with CSRF on, as in
production), driven in Debian's Chromium through Playwright, at a phone size (390×844,
touch) and at desktop width, with JavaScript on and off.

One server for the whole run and one browser for each module; every test gets a fresh
browser context (its own cookies, so its own shortlist). Without /usr/bin/chromium (scripts/test installs it)
the tests skip, or fail when REQUIRE_BROWSER is set, as in CI.
"""

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, Response, sync_playwright
from werkzeug.middleware.shared_data import SharedDataMiddleware
from werkzeug.serving import WSGIRequestHandler, make_server

from app import create_app, search
from app.config import TestConfig
from app.directory import directory_sync
from app.directory.directory_file import parse_directory_file
from app.extensions import db
from app.places import postcodes
from tests.browser.helpers import AXE, AXE_URL, ROOT, what_a_person_sees

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
DEVICES: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(f"REQUIRE_BROWSER is set but {reason}", pytrace=False)
    pytest.skip(f"{reason}: scripts/install-browser (run by scripts/test) installs it")


# -- the app, served for real ----------------------------------------------------------

class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # one line per request is noise here
        pass


@dataclass
class LiveServer:
    url: str
    app: Any  # the served app, for setting up data (such as a provider's account) directly

    def __call__(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The Surrey directory (services.yml, real postcodes) on 127.0.0.1 and a free port."""
    work = tmp_path_factory.mktemp("browser")

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{work / 'directory.sqlite'}"
        SEARCH_INDEX_DIR = str(work / "search-index")
        WTF_CSRF_ENABLED = True  # the forms must carry a real token
        SEARCH_APPLIER = True  # a real server: its applier follows the search change log

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        postcodes.load_file(ROOT / "data" / "outcodes-gb.csv")
        postcodes.load_file(ROOT / "data" / "postcodes-surrey.csv")
        content = parse_directory_file((ROOT / "services.yml").read_text(encoding="utf-8"))
        directory_sync.import_directory(content)
        search.rebuild()
        db.session.remove()
    # axe-core is served beside the app (for the tests only), so the browser caches it
    # instead of being handed half a megabyte of script for every page it checks.
    served = SharedDataMiddleware(app, {AXE_URL: str(AXE.parent)})
    server = make_server("127.0.0.1", 0, served, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(timeout=10)


# -- the browser -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for each test module. Not for the session: while Playwright's sync API
    is open, it leaves its event loop marked as running in this thread, which would break
    any later test that uses asyncio."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing")
    if not AXE.exists():
        _unavailable(f"{AXE.relative_to(ROOT)} is missing")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """What went wrong in a context that a user would not see in the page itself."""
    script_errors: list[str] = field(default_factory=list)
    other_hosts: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # a style sheet, script or image not found
    visited: list[str] = field(default_factory=list)  # every page address a page went to


def new_context(browser: Browser, live_server: LiveServer, device: str,
                javascript: bool = True) -> tuple[BrowserContext, Visit]:
    """A fresh context: its own cookies; any request for another host is noted (the browser
    cannot reach one: its host resolver knows only 127.0.0.1)."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript,
                                  **DEVICES[device])
    context.set_default_timeout(10_000)
    visit = Visit()

    def note(request: Request) -> None:
        if not request.url.startswith((live_server.url, "data:", "about:")):
            visit.other_hosts.append(request.url)

    def check(response: Response) -> None:
        if response.status >= 400 and not response.request.is_navigation_request():
            visit.broken.append(f"{response.status} {response.url}")

    context.on("request", note)  # (routing requests instead would turn the HTTP cache off)
    context.on("response", check)
    def watch(page: Page) -> None:
        page.on("pageerror", lambda e: visit.script_errors.append(str(e)))
        # Something the Content-Security-Policy blocked (an inline script or style, a
        # file from elsewhere) is an error too, though no script throws.
        page.on("console", lambda message: message.type == "error"
                and "Content Security Policy" in message.text
                and visit.script_errors.append(message.text))
        page.on("framenavigated",
                lambda frame: frame.parent_frame is None and visit.visited.append(frame.url))

    context.on("page", watch)
    return context, visit


# Addresses already seen at 320 px in this run (a page looks the same on every visit that
# lands on the same address with the same kind of device and cookies, near enough).
_SEEN_AT_REFLOW_WIDTH: set[tuple[str, str]] = set()


def _what_a_person_sees_everywhere(context: BrowserContext, visit: Visit, device: str,
                                   live_server: LiveServer) -> list[str]:
    """Every address the test's pages went to, loaded again in the same context (same
    cookies) and checked at 320 px wide for sideways scrolling and markup shown as text.
    The states a test checks itself (forms with errors, banners) run the same check there."""
    addresses = []
    for url in visit.visited:
        address = url.split("#")[0]
        key = (device, re.sub(r"/[A-Za-z0-9_-]{20,}", "/<token>", address))
        if address.startswith(live_server.url) and key not in _SEEN_AT_REFLOW_WIDTH:
            _SEEN_AT_REFLOW_WIDTH.add(key)
            addresses.append(address)
    if not addresses:
        return []
    page = context.new_page()
    problems = []
    for address in addresses:
        page.goto(address)
        problems.extend(f"{address}: {problem}" for problem in what_a_person_sees(page))
    page.close()
    return problems


@pytest.fixture(params=["phone", "desktop"])
def device(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def javascript(request: pytest.FixtureRequest) -> bool:
    return request.param


@pytest.fixture
def contexts(browser: Browser, live_server: LiveServer,
             device: str) -> Iterator[Callable[..., BrowserContext]]:
    """Makes contexts for one test (a second one is a second phone) and checks on each that
    no script failed, no file the pages use was missing and nothing came from another host."""
    made: list[tuple[BrowserContext, Visit]] = []

    def make(javascript: bool = True) -> BrowserContext:
        context, visit = new_context(browser, live_server, device, javascript)
        made.append((context, visit))
        return context

    yield make
    for context, visit in made:
        seen = _what_a_person_sees_everywhere(context, visit, device, live_server)
        context.close()
        assert not seen, "\n".join(seen)
        assert not visit.script_errors, f"script errors: {visit.script_errors}"
        assert not visit.other_hosts, f"requests to other hosts: {visit.other_hosts}"
        assert not visit.broken, f"missing files: {visit.broken}"


@pytest.fixture
def page(contexts: Callable[..., BrowserContext], javascript: bool) -> Page:
    """A page at the test's device size, with JavaScript on or off as parametrised."""
    return contexts(javascript).new_page()


@pytest.fixture
def js_page(contexts: Callable[..., BrowserContext]) -> Page:
    """A page with JavaScript on (axe needs it; so does checking focus styles)."""
    return contexts(True).new_page()
