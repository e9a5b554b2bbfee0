"""Fixed-window rate limiting per (company, endpoint), as the vendor's gateway describes it."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass
class Verdict:
    """One call's answer from the limiter, with what the gateway's headers say."""

    allowed: bool
    limit: int
    remaining: int
    window: float
    retry_after: float

    def headers(self) -> dict[str, str]:
        """The gateway's headers, including its misspelled ``x-ratelimit-remairing``."""
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remairing": str(self.remaining),
            "x-ratelimit-reset": str(
                int(self.window) if self.window == int(self.window) else self.window
            ),
        }


class RateLimiter:
    """``limit`` calls per ``window`` seconds for each key; windows start at the first call."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str) -> Verdict:
        """Count a call of ``key``; whether it is allowed, and the window's state."""
        now = time.monotonic()
        start, used = self._windows.get(key, (now, 0))
        if now - start >= self.window:
            start, used = now, 0
        allowed = used < self.limit
        if allowed:
            used += 1
        self._windows[key] = (start, used)
        retry_after = 0.0 if allowed else max(0.0, start + self.window - now)
        return Verdict(
            allowed,
            self.limit,
            self.limit - used,
            self.window,
            math.ceil(retry_after * 1000) / 1000,
        )
