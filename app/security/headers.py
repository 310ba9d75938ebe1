"""Security headers on every response: a strict Content-Security-Policy with a fresh nonce
per request, no framing, nosniff, a referrer policy, HSTS in production, and no-store
wherever a signed-in person or a family's details are involved.

Inline <script> and <style> elements carry `nonce="{{ csp_nonce() }}"`; govuk-frontend's
page template reads `cspNonce` for its own one-line script. Event-handler and style
attributes are not allowed at all: put behaviour in static/js and looks in app.css.
"""

import secrets
from collections.abc import Callable
from functools import wraps

from flask import Flask, current_app, g, request, session

REFERRER_DEFAULT = "no-referrer"
# Where a page loads map tiles from another site, the tile server may need the origin.
REFERRER_FOR_MAP_TILES = "strict-origin-when-cross-origin"
# Session keys that mean the browser is partway through, or following, a referral.
PERSONAL_SESSION_KEYS = ("referral_journey", "referral_done", "referral_tracking")


# Kept on the request itself rather than on g, which outlives a request when an app
# context is already pushed (CLI commands, tests).
def csp_nonce() -> str:
    nonce = request.environ.get("app.csp_nonce")
    if nonce is None:
        nonce = request.environ["app.csp_nonce"] = secrets.token_urlsafe(18)
    return nonce


def use_referrer_policy(policy: str) -> None:
    """This response's Referrer-Policy instead of the default, e.g. REFERRER_FOR_MAP_TILES."""
    request.environ["app.referrer_policy"] = policy


def referrer_policy(policy: str) -> Callable:
    """The same, as a view decorator."""
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            use_referrer_policy(policy)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def content_security_policy(nonce: str, config) -> str:
    sources = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'"],
        "style-src": ["'self'", f"'nonce-{nonce}'"],
        "img-src": ["'self'", "data:", *config.get("CSP_IMG_SRC", [])],
        "connect-src": ["'self'", *config.get("CSP_CONNECT_SRC", [])],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in sources.items())


def _carries_personal_data() -> bool:
    if g.get("user") is not None:
        return True
    return any(key in session for key in PERSONAL_SESSION_KEYS)


def add_security_headers(response):
    config = current_app.config
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(csp_nonce(), config)
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = request.environ.get("app.referrer_policy") or config.get(
        "REFERRER_POLICY", REFERRER_DEFAULT)
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    hsts = int(config.get("HSTS_SECONDS") or 0)
    if hsts:
        headers["Strict-Transport-Security"] = f"max-age={hsts}; includeSubDomains"
    # Fingerprinted static files hold nothing personal: they stay cacheable for everyone.
    if request.endpoint != "static" and _carries_personal_data():
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.context_processor(lambda: {"csp_nonce": csp_nonce, "cspNonce": csp_nonce()})
