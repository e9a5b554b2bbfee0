"""Client-side rate-limit budget, per endpoint, shared by every task using one client.

The gateway reports ``x-ratelimit-limit`` (calls per window), ``x-ratelimit-remairing`` (sic;
``-remaining`` is read too) and ``x-ratelimit-reset`` (the window's *length* in seconds, not
a countdown). Callers draw on the remaining budget before sending; when it is spent they wait
for the window to end instead of drawing 429s.

The window's start is never reported, so it is estimated conservatively: a window is taken to
end one window-length after the first reply seen in it. That is never earlier than the
server's own reset, so waiting for it cannot cause a 429.

Nonsense cannot park callers: a limit of 0 or less is ignored, no wait is ever longer than the
caller's ``cap`` (``Retry.max_retry_after``) or its remaining time, and a caller that would
have to wait longer is told at once (``BudgetExhausted``) instead of sleeping.

``Budget`` is what the pipeline asks: ``acquire`` a slot before sending, ``settle`` the slot
with the reply. ``RateLimitBudget`` keeps the budget in this process; ``_shared_budget``
keeps the same rules in a store that many processes share.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import anyio


def _number(headers: Mapping[str, str], *names: str) -> float | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            try:
                number = float(value)
            except ValueError:
                continue
            if math.isfinite(number) and number >= 0:
                return number
    return None


@dataclass(frozen=True, slots=True)
class RateLimitState:
    """The rate-limit state one reply reports for its endpoint: calls allowed per window,
    calls left in the current one, and the window's length in seconds. ``None`` where the
    header is missing or not a number. The gateway spells one header
    ``x-ratelimit-remairing``; both spellings are read."""

    limit: int | None
    remaining: int | None
    window: float | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimitState:
        limit = _number(headers, "x-ratelimit-limit")
        remaining = _number(headers, "x-ratelimit-remairing", "x-ratelimit-remaining")
        return cls(
            None if limit is None else int(limit),
            None if remaining is None else int(remaining),
            _number(headers, "x-ratelimit-reset"),
        )


class BudgetExhausted(Exception):
    """Sending now would exceed the endpoint's budget, and its window ends only in ``wait``
    seconds: later than the caller may wait."""

    def __init__(self, wait: float) -> None:
        super().__init__(wait)
        self.wait = wait


@dataclass(frozen=True, slots=True)
class Reply:
    """What a call's reply tells its budget: the headers (None: the call failed on the way),
    whether it was rate-limited and the ``Retry-After`` it named. No window is remembered
    as ending more than ``cap`` seconds from now."""

    headers: Mapping[str, str] | None
    rate_limited: bool = False
    retry_after: float | None = None
    cap: float = math.inf


class Slot(Protocol):
    """One call's draw on a budget, settled once with the call's reply."""

    async def settle(self, reply: Reply) -> None:
        """Record the call's reply."""


class Budget(Protocol):
    """Rate-limit budgets per endpoint, as the pipeline uses them."""

    async def acquire(self, key: str, cap: float) -> Slot:
        """Wait until the endpoint's budget allows one more call, then take it; raise
        ``BudgetExhausted`` at once when that means waiting longer than ``cap`` or beyond the
        caller's deadline."""

    def blocked(self, key: str) -> bool:
        """Whether callers of ``key`` must wait for the current window to end."""

    async def aclose(self) -> None:
        """Release what the budget holds (connections)."""


class _Window:
    """One endpoint's budget: what its replies said of the current rate-limit window."""

    __slots__ = ("changed", "length", "limit", "pending", "remaining", "reset_at")

    def __init__(self) -> None:
        self.limit: int | None = None
        self.length: float | None = None  # seconds
        self.remaining: int | None = None  # None: nothing known, no gating
        self.reset_at: float | None = None  # end of the current window, once known
        self.pending = 0  # sent, reply not yet seen
        self.changed = anyio.Event()

    def available(self, now: float) -> bool:
        if self.reset_at is not None and now >= self.reset_at:
            self.reset_at = None  # a fresh window; its end is learned from the next reply
            self.remaining = self.limit
        return self.remaining is None or self.remaining - self.pending > 0

    def notify(self) -> None:
        self.changed.set()
        self.changed = anyio.Event()


class RateLimitBudget:
    """Budgets for every endpoint (bizType) a client calls. ``clock`` gives the current
    time in seconds (``time.monotonic``, the event loop's clock, unless a test injects one)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, _Window] = {}

    def _window(self, key: str) -> _Window:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window()
        return window

    async def acquire(self, key: str, cap: float) -> Slot:
        """Wait until the endpoint's budget allows one more call, then take it. Raises
        ``BudgetExhausted`` at once when that would mean waiting longer than ``cap`` seconds
        or beyond the caller's deadline."""
        window = self._window(key)
        while not window.available(self._clock()):
            changed = window.changed
            if window.reset_at is None:
                if window.pending == 0:
                    break  # no reply on its way to tell more: the server will say
                await changed.wait()  # a reply in flight will say when the window ends
                continue
            wait = max(window.reset_at - self._clock(), 0.0)
            left = anyio.current_effective_deadline() - anyio.current_time()
            if wait > cap or wait > left:
                raise BudgetExhausted(wait)
            with anyio.move_on_after(wait):
                await changed.wait()
        window.pending += 1
        return _LocalSlot(self, key)

    def settle(
        self,
        key: str,
        headers: Mapping[str, str] | None,
        *,
        rate_limited: bool = False,
        retry_after: float | None = None,
        cap: float = math.inf,
    ) -> None:
        """Record the reply (or the failure, with ``headers`` None) of a call taken earlier.
        No window is remembered as ending more than ``cap`` seconds from now."""
        self.record(key, Reply(headers, rate_limited, retry_after, cap))

    def record(self, key: str, reply: Reply) -> None:
        """Record ``reply``, to a call of ``key`` taken earlier."""
        headers, cap = reply.headers, reply.cap
        window = self._window(key)
        window.pending = max(0, window.pending - 1)
        now = self._clock()
        if headers is not None:
            state = RateLimitState.from_headers(headers)
            limit, remaining, length = state.limit, state.remaining, state.window
            if limit is not None and limit >= 1:
                window.limit = limit
            if length is not None and length > 0:
                window.length = min(length, cap)
            if remaining is not None and window.length is not None:
                if window.reset_at is None:
                    window.reset_at = now + window.length
                    window.remaining = remaining
                else:
                    current = window.remaining
                    window.remaining = remaining if current is None else min(current, remaining)
        if reply.rate_limited:
            wait = reply.retry_after if reply.retry_after is not None else window.length
            if wait is not None:  # else the caller's backoff decides the wait
                window.remaining = 0
                window.reset_at = max(window.reset_at or 0.0, now + min(wait, cap))
        window.notify()

    def blocked(self, key: str) -> bool:
        """Whether callers of ``key`` must wait for the current window to end."""
        window = self._window(key)
        return window.reset_at is not None and not window.available(self._clock())

    def taken(self, key: str) -> None:
        """Count a call of ``key`` taken from another budget (a shared one this budget stands
        in for), so that its reply is recorded against it."""
        self._window(key).pending += 1

    async def aclose(self) -> None:
        """Nothing to release."""


class _LocalSlot:
    __slots__ = ("_budget", "_key")

    def __init__(self, budget: RateLimitBudget, key: str) -> None:
        self._budget, self._key = budget, key

    async def settle(self, reply: Reply) -> None:
        self._budget.record(self._key, reply)
