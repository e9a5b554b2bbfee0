"""Fixed-window rate limiting per (company, endpoint), as the vendor's gateway describes it."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


def seconds_text(value: float, *, exact: bool = False) -> str:
    """Seconds as a header writes them: ``60``, ``0.5`` (every digit when ``exact``, else
    ``%g``)."""
    if exact:
        return str(int(value)) if value == int(value) else str(value)
    return f"{value:g}"


def rate_limit_headers(
    limit: int,
    remaining: int,
    window: float,
    retry_after: float | None = None,
    *,
    limiter: bool = False,
) -> dict[str, str]:
    """The gateway's rate-limit headers (with its misspelled ``x-ratelimit-remairing``), and
    ``Retry-After`` when given. As the ``limiter`` writes them: the window exactly, Retry-After
    rounded up to whole seconds (at least 1); else as a scripted fault says them (``%g``)."""
    headers = {
        "x-ratelimit-limit": str(limit),
        "x-ratelimit-remairing": str(remaining),
        "x-ratelimit-reset": seconds_text(window, exact=limiter),
    }
    if retry_after is not None:
        wait = max(1, int(retry_after + 0.999)) if limiter else retry_after
        headers["Retry-After"] = seconds_text(wait, exact=limiter)
    return headers


@dataclass
class Verdict:
    """One call's answer from the limiter, with what the gateway's headers say."""

    allowed: bool
    limit: int
    remaining: int
    window: float
    retry_after: float

    def headers(self) -> dict[str, str]:
        """The gateway's headers for this call (with ``Retry-After``, in whole seconds, when
        it is refused)."""
        retry_after = None if self.allowed else self.retry_after
        return rate_limit_headers(
            self.limit, self.remaining, self.window, retry_after, limiter=True
        )


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
