"""Login attempts, rate-limited per client address and per account name (guessing a password
from one address, or one account from many, both run into a wall)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse, storage, strategies

PER_ADDRESS = parse("20/5 minutes")
PER_ACCOUNT = parse("10/5 minutes")


class LoginLimits:
    """In-process counters (one instance's view; enough against guessing through one server)."""

    def __init__(self, per_address: RateLimitItem = PER_ADDRESS,
                 per_account: RateLimitItem = PER_ACCOUNT) -> None:
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self._rules = (("address", per_address), ("account", per_account))

    def attempt(self, address: str, account: str) -> float | None:
        """Count an attempt; None if allowed, else the seconds until one is allowed again."""
        keys = {"address": address, "account": account.casefold()}
        wait = 0.0
        for kind, item in self._rules:
            if not self._limiter.hit(item, kind, keys[kind]):
                reset = self._limiter.get_window_stats(item, kind, keys[kind]).reset_time
                wait = max(wait, reset - time.time())
        return math.ceil(wait) if wait > 0 else None
