"""Every route of the url_map, in the production configuration, answers with the security
headers: a strict CSP with a fresh nonce, no framing, nosniff, a referrer policy, HSTS, and
no-store whenever someone is signed in or a family's details are involved."""

import re
import secrets
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter

from app import create_app
from app.config import ProductionConfig
from app.security.headers import REFERRER_FOR_MAP_TILES, use_referrer_policy
from tests.accounts.test_accounts import clear_people
from tests.conftest import make_user, sign_in

SERVICE = "woking-youth-centre"


@pytest.fixture(scope="module")
def production(app) -> Iterator[Flask]:
    class Production(ProductionConfig):
        SECRET_KEY = secrets.token_hex(32)
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        SEARCH_INDEX_DIR = app.config["SEARCH_INDEX_DIR"]

    production_app = create_app(Production)
    assert production_app.config["HSTS_SECONDS"] == 365 * 24 * 3600
    with production_app.app_context():
        yield production_app


def _example(converter) -> object:
    if isinstance(converter, IntegerConverter):
        return 1
    if type(converter).__name__ == "AnyConverter":
        return sorted(converter.items)[0]
    if type(converter).__name__ == "OpaqueIdConverter":
        return "00000000-0000-4000-8000-000000000000"
    return SERVICE


def _get_paths(app: Flask) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) and rule.methods is not None:
            continue
        values = {name: _example(converter) for name, converter in rule._converters.items()}
        if rule.endpoint == "static":
            values = {"filename": "js/app.mjs"}
        paths.append(rule.build(values)[1])
    return sorted(set(paths))


def _check(response, path: str) -> str:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                      "default-src 'self'"):
        assert directive in csp, (path, csp)
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, (path, csp)
    assert re.fullmatch(r"'self' 'nonce-[A-Za-z0-9_-]{20,}'", script_src), (path, csp)
    assert headers.get("X-Frame-Options") == "DENY", path
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    assert headers.get("Referrer-Policy") == "no-referrer", path
    assert headers.get("Strict-Transport-Security") == "max-age=31536000; includeSubDomains", path
    # Every inline script on the page carries this response's nonce; no handler attributes.
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    if response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in tag or f'nonce="{nonce}"' in tag, (path, tag)
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", page), path
        assert not re.search(r"<[^>]+\sstyle\s*=", page), path
    return nonce


def test_every_route_has_the_security_headers_anonymous_and_signed_in(production, surrey):
    clear_people()
    paths = _get_paths(production)
    assert len(paths) > 40
    admin = make_user("headers@partnership.example.org", role="admin")
    nonces = set()
    for signed_in in (False, True):
        client = production.test_client()
        client.environ_base["wsgi.url_scheme"] = "https"
        if signed_in:
            sign_in(client, admin)
        for path in paths:
            response = client.get(path)
            assert response.status_code < 500, path
            nonces.add(_check(response, path))
            if signed_in and not path.startswith("/static/"):
                assert response.headers.get("Cache-Control") == "no-store", path
    assert len(nonces) == 2 * len(paths), "a fresh nonce for every response"


def test_the_govuk_template_script_runs_under_its_nonce(production, surrey):
    client = production.test_client()
    response = client.get("/", base_url="https://localhost")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f"<script nonce=\"{nonce}\">document.body.className += ' js-enabled'" in \
        response.get_data(as_text=True)


def test_a_family_partway_through_a_referral_gets_no_store_on_public_pages(production, surrey):
    client = production.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    with client.session_transaction() as session:  # as the first question page leaves it
        session["referral_journey"] = {"service_id": SERVICE, "answers": {"child_name": "Sam"}}
    assert client.get("/").headers.get("Cache-Control") == "no-store"


def test_a_page_can_choose_another_referrer_policy_and_tile_servers_can_be_allowed(production):
    production.config["CSP_IMG_SRC"] = ["https://tiles.example.org"]
    production.config["CSP_CONNECT_SRC"] = ["https://tiles.example.org"]
    try:
        with production.test_request_context("/"):
            use_referrer_policy(REFERRER_FOR_MAP_TILES)
            response = production.process_response(production.response_class("map"))
    finally:
        production.config["CSP_IMG_SRC"] = production.config["CSP_CONNECT_SRC"] = []
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = response.headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tiles.example.org" in csp
    assert "connect-src 'self' https://tiles.example.org" in csp
