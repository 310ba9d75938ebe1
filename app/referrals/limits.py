"""Per-address limits for the referral forms, counted in each worker's memory (like the
API's): enough to stop a script flooding providers, without storing anyone's address."""

import math
import threading
import time
from collections.abc import Callable

from flask import current_app


class HourlyLimiter:
    WINDOW_SECONDS = 3600.0
    MAX_ADDRESSES = 50_000

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, address: str, limit: int) -> int:
        """Counts one use; 0 when allowed, otherwise the seconds until the next is."""
        if limit <= 0:
            return 0
        now = self.clock()
        with self._lock:
            if len(self._windows) >= self.MAX_ADDRESSES:
                self._windows = {key: value for key, value in self._windows.items()
                                 if now - value[0] < self.WINDOW_SECONDS}
            start, count = self._windows.get(address, (now, 0))
            if now - start >= self.WINDOW_SECONDS:
                start, count = now, 0
            if count >= limit:
                return max(1, math.ceil(start + self.WINDOW_SECONDS - now))
            self._windows[address] = (start, count + 1)
            return 0

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


def limiter(name: str) -> HourlyLimiter:
    """One limiter per app and purpose ("submit", "lookup")."""
    return current_app.extensions.setdefault(f"referrals_limiter_{name}", HourlyLimiter())
