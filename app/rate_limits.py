"""Brakes on the open forms and the API: uses per address, counted in fixed windows.

With RATE_LIMIT_REDIS_URL set (production), the counts live in Redis, so every worker and
server shares them; otherwise each worker counts in its own memory, which is enough for
one process (development, tests). Addresses are never stored as they are: the key is a
keyed hash of the address, and it expires with its window.

If Redis cannot be reached, requests are let through (and the failure logged): a family's
referral matters more than the brake.
"""

import hashlib
import hmac
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from flask import current_app

KEY_PREFIX = "surrey-directory:rate:"
MINUTE, HOUR = 60, 3600


@dataclass(frozen=True)
class Hit:
    count: int  # uses in this window, this one included
    reset_in: int  # seconds until the window ends (at least 1)


class MemoryWindows:
    """Counts for one worker. Forgets finished windows when it holds too many addresses."""

    MAX_KEYS = 50_000

    def __init__(self, window_seconds: int, clock: Callable[[], float] = time.monotonic):
        self.window_seconds = window_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str) -> Hit:
        now = self.clock()
        with self._lock:
            if len(self._windows) >= self.MAX_KEYS:
                self._windows = {k: v for k, v in self._windows.items()
                                 if now - v[0] < self.window_seconds}
                if len(self._windows) >= self.MAX_KEYS:  # a flood of addresses: start over
                    self._windows.clear()
            start, count = self._windows.get(key, (now, 0))
            if now - start >= self.window_seconds:
                start, count = now, 0
            self._windows[key] = (start, count + 1)
        return Hit(count + 1, max(1, math.ceil(start + self.window_seconds - now)))

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


class RedisWindows:
    """Counts shared by every worker: INCR on a key that expires when its window ends."""

    def __init__(self, client: redis.Redis, name: str, window_seconds: int):
        self.client = client
        self.prefix = f"{KEY_PREFIX}{name}:"
        self.window_seconds = window_seconds

    def hit(self, key: str) -> Hit:
        name = self.prefix + key
        pipeline = self.client.pipeline()
        pipeline.incr(name)
        pipeline.ttl(name)
        count, ttl = pipeline.execute()
        if ttl < 0:  # the first use in this window (or an expiry lost in a crash): start it
            self.client.expire(name, self.window_seconds)
            ttl = self.window_seconds
        return Hit(int(count), max(1, int(ttl)))

    def reset(self) -> None:
        for name in self.client.scan_iter(match=self.prefix + "*", count=500):
            self.client.delete(name)


def counter(name: str, window_seconds: int) -> MemoryWindows | RedisWindows:
    """The app's counter for one purpose ("api", "referral-submit", ...)."""
    key = f"rate_limit:{name}"
    found = current_app.extensions.get(key)
    if found is None:
        url = current_app.config.get("RATE_LIMIT_REDIS_URL")
        if url:
            client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
            found = RedisWindows(client, name, window_seconds)
        else:
            found = MemoryWindows(window_seconds)
        current_app.extensions[key] = found
    return found


def hit(name: str, window_seconds: int, address: str | None) -> Hit:
    """Count one use by `address`; with Redis unreachable, a hit that never counts."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = hmac.new(secret, (address or "unknown").encode(), hashlib.sha256).hexdigest()[:32]
    try:
        return counter(name, window_seconds).hit(key)
    except redis.RedisError as error:
        current_app.logger.warning("Rate limit %s not counted: Redis unavailable (%s)", name, error)
        return Hit(0, window_seconds)


def seconds_to_wait(name: str, window_seconds: int, limit: int, address: str | None) -> int:
    """0 when the use is allowed (or there is no limit), else the seconds until it will be."""
    if limit <= 0:
        return 0
    counted = hit(name, window_seconds, address)
    return counted.reset_in if counted.count > limit else 0


def reset_all() -> None:
    """Forget every count (tests, and after changing limits)."""
    for key, value in current_app.extensions.items():
        if key.startswith("rate_limit:"):
            value.reset()
