"""The per-address brakes, counted in Redis (127.0.0.1:6379) so that every worker shares
them: two apps (two gunicorn workers, say) see one count; addresses are not stored; and a
Redis that has gone away lets families through rather than refusing them.

Without a Redis server these tests skip, or fail when REQUIRE_REDIS is set (as in CI)."""

import os
import uuid

import pytest
import redis

from app import create_app, rate_limits
from app.config import TestConfig
from app.extensions import db

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
NOBODY_LISTENING = "redis://127.0.0.1:1/0"


@pytest.fixture(scope="module")
def redis_client():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail(f"REQUIRE_REDIS is set but Redis at {REDIS_URL} is unreachable: {error}")
        pytest.skip(f"no Redis at {REDIS_URL} ({error})")
    yield client
    client.close()


def worker(redis_url: str):
    """An app as one worker would run it, with its own memory."""
    class Config(TestConfig):
        RATE_LIMIT_REDIS_URL = redis_url
        SECRET_KEY = "the same secret on every worker"

    return create_app(Config)


@pytest.fixture
def purpose():
    """A counter name of its own for each test, so runs never share counts."""
    return f"test-{uuid.uuid4().hex[:12]}"


def test_two_workers_share_one_count(redis_client, purpose):
    first, second = worker(REDIS_URL), worker(REDIS_URL)
    waits = []
    for app in (first, second, first, second):
        with app.app_context():
            waits.append(rate_limits.seconds_to_wait(purpose, rate_limits.HOUR, 3, "192.0.2.1"))
    assert waits[:3] == [0, 0, 0]
    assert 3500 < waits[3] <= 3600, "the fourth use, on either worker, waits for the hour to end"
    with second.app_context():
        assert rate_limits.seconds_to_wait(purpose, rate_limits.HOUR, 3, "192.0.2.2") == 0, \
            "another address has its own allowance"
        rate_limits.reset_all()


def test_counts_expire_with_their_window_and_hold_no_address(redis_client, purpose):
    with worker(REDIS_URL).app_context():
        rate_limits.hit(purpose, rate_limits.MINUTE, "198.51.100.23")
        keys = list(redis_client.scan_iter(match=f"{rate_limits.KEY_PREFIX}{purpose}:*"))
        assert len(keys) == 1
        assert b"198.51.100.23" not in keys[0]
        assert 0 < redis_client.ttl(keys[0]) <= 60
        rate_limits.reset_all()
        assert not list(redis_client.scan_iter(match=f"{rate_limits.KEY_PREFIX}{purpose}:*"))


def test_finding_a_referral_is_refused_on_any_worker_once_the_hour_is_used_up(redis_client):
    first, second = worker(REDIS_URL), worker(REDIS_URL)
    for app in (first, second):
        app.config["REFERRAL_LOOKUP_RATE_LIMIT"] = 1
        with app.app_context():
            db.create_all()
            rate_limits.reset_all()
    guess = {"reference": "EH-2345-67", "email": "a@example.org"}
    try:
        answered = first.test_client().post("/referrals/track", data=guess)
        assert answered.status_code == 400
        assert "We could not find a referral" in answered.get_data(as_text=True)
        refused = second.test_client().post("/referrals/track", data=guess)
        assert refused.status_code == 429, "the second worker knows of the first try"
    finally:
        with first.app_context():
            rate_limits.reset_all()


def test_with_redis_gone_families_are_let_through_and_it_is_logged(purpose, caplog):
    app = worker(NOBODY_LISTENING)
    app.logger.disabled = False  # alembic's fileConfig (test_migrations) disables existing loggers
    app.logger.addHandler(caplog.handler)  # other tests may stop the app's logger propagating
    with app.app_context():
        waits = [rate_limits.seconds_to_wait(purpose, rate_limits.HOUR, 1, "192.0.2.1") for _ in range(3)]
    assert waits == [0, 0, 0]
    assert "Redis unavailable" in caplog.text


@pytest.mark.parametrize("hops", [0, 1])
def test_behind_a_trusted_proxy_each_visitor_has_their_own_allowance(hops):
    """All requests come from the proxy's address; only with TRUSTED_PROXY_HOPS set is the
    visitor's own address (X-Forwarded-For) counted. Without it the header is ignored, so
    nobody escapes the limit by sending one."""
    class Config(TestConfig):
        TRUSTED_PROXY_HOPS = hops
        REFERRAL_LOOKUP_RATE_LIMIT = 1

    app = create_app(Config)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    guess = {"reference": "EH-2345-67", "email": "a@example.org"}
    statuses = [client.post("/referrals/track", data=guess,
                            environ_base={"REMOTE_ADDR": "10.0.0.1"},
                            headers={"X-Forwarded-For": visitor}).status_code
                for visitor in ("198.51.100.1", "198.51.100.2")]
    assert statuses == ([400, 400] if hops else [400, 429])
