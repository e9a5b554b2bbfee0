"""The rate-limit budget shared through Redis by every process that uses the same store.

The vendor limits calls per endpoint per minute for the whole company; a budget kept in one
process believes it owns the whole limit. ``SharedBudget`` keeps each endpoint's window (limit,
length, calls left, when it ends) in Redis under ``<namespace>:ratelimit:{<bizType>}``, and
the calls in flight in a sorted set beside it, each with a lease that ends with the call's
deadline (a process that dies mid-call cannot hold a slot for longer). Two server-side
scripts apply the same rules as ``RateLimitBudget`` (``_budget``) atomically, on the store's
clock: ``acquire`` takes a slot or says how long to wait, ``settle`` records a reply, so a
429 seen by one process pauses all of them.

The store failing (down, refusing, slow beyond ``timeout``) never stops a call: the process
falls back to its own ``RateLimitBudget`` (which learns from every reply meanwhile, so it is
warm), logs one warning for the outage, tries the store again every ``retry_interval``
seconds, and says (at INFO) when it is back.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel
from yarl import URL

from ._budget import BudgetExhausted, RateLimitBudget, RateLimitState, Reply, Slot
from .errors import ConfigurationError

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

log = logging.getLogger("multimarkets_async")

SCHEMES = ("redis", "rediss", "unix")
STORE_TIMEOUT = 0.5
"""Seconds one store operation may take before the process paces itself alone."""
RETRY_INTERVAL = 1.0
"""Seconds between attempts to reach a store that failed."""
POLL = 0.01
"""Seconds between looks while a reply in flight is to tell when the window ends."""
MAX_LEASE = 300.0
"""Seconds a call in flight holds its slot at most, when its deadline is later (or none)."""
MIN_LEASE = 30.0
"""Seconds a call in flight holds its slot at least (a dead process's slots come back then)."""
WINDOW_TTL_MS = 24 * 3600 * 1000
_INSTALL = "a shared rate-limit store needs redis-py: pip install 'multimarkets-async[redis]'"

# Shared by both scripts: the store's clock in ms (ARGV "now" overrides it, for tests), the
# window's fields, and writing them back (nil fields deleted).
_PRELUDE = """
local function clock(given)
  if given and given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function load()
  local f = redis.call('HMGET', KEYS[1], 'limit', 'length', 'remaining', 'reset_at')
  return tonumber(f[1]), tonumber(f[2]), tonumber(f[3]), tonumber(f[4])
end
local function store(limit, length, remaining, reset_at)
  local names = {'limit', 'length', 'remaining', 'reset_at'}
  local values = {limit, length, remaining, reset_at}
  for i = 1, 4 do
    if values[i] == nil then redis.call('HDEL', KEYS[1], names[i])
    else redis.call('HSET', KEYS[1], names[i], values[i]) end
  end
  redis.call('PEXPIRE', KEYS[1], WINDOW_TTL_MS)
end
""".replace("WINDOW_TTL_MS", str(WINDOW_TTL_MS))

# KEYS: window, in flight. ARGV: call id, lease ms, now ms (optional).
# Returns {1, 0, 0} (taken), or {0, ms until the window ends (-1: unknown), 1 if calls in
# flight, not the spent window, keep the caller waiting (a reply may free a slot at once)}.
_ACQUIRE = (
    _PRELUDE
    + """
local now = clock(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local limit, length, remaining, reset_at = load()
if reset_at and now >= reset_at then
  reset_at, remaining = nil, limit
  store(limit, length, remaining, reset_at)
end
local pending = redis.call('ZCARD', KEYS[2])
local open = remaining == nil or remaining - pending > 0
if open or (reset_at == nil and pending == 0) then
  local lease = now + tonumber(ARGV[2])
  redis.call('ZADD', KEYS[2], lease, ARGV[1])
  if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then
    redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]))
  end
  return {1, 0, 0}
end
if reset_at == nil then return {0, -1, 1} end
return {0, reset_at - now, remaining ~= nil and remaining > 0 and 1 or 0}
"""
)

# KEYS: window, in flight. ARGV: call id, limit, remaining, length ms, rate-limited (1/0),
# Retry-After ms, cap ms, now ms (optional); '' for unknown. Returns ms until the window ends
# while no call may go (else -1).
_SETTLE = (
    _PRELUDE
    + """
redis.call('ZREM', KEYS[2], ARGV[1])
local now = clock(ARGV[8])
local limit, length, remaining, reset_at = load()
local cap = tonumber(ARGV[7])
local told_limit, told_remaining = tonumber(ARGV[2]), tonumber(ARGV[3])
local told_length = tonumber(ARGV[4])
if told_limit and told_limit >= 1 then limit = told_limit end
if told_length and told_length > 0 then length = math.min(told_length, cap) end
if told_remaining and length then
  if reset_at == nil then
    reset_at, remaining = now + length, told_remaining
  elseif remaining == nil then
    remaining = told_remaining
  else
    remaining = math.min(remaining, told_remaining)
  end
end
if ARGV[5] == '1' then
  local wait = tonumber(ARGV[6]) or length
  if wait then
    remaining = 0
    reset_at = math.max(reset_at or 0, now + math.min(wait, cap))
  end
end
store(limit, length, remaining, reset_at)
if reset_at and remaining and remaining - redis.call('ZCARD', KEYS[2]) <= 0 then
  return reset_at - now
end
return -1
"""
)


def check_store_url(url: str) -> str:
    """``url`` if it names a Redis store redis-py can use (``redis://``, ``rediss://``,
    ``unix://``, options included), else ``ConfigurationError`` (quoting nothing of it);
    also when redis-py is missing."""
    if URL(url).scheme not in SCHEMES:
        raise ConfigurationError(
            f"rate_limit_store must be a {', '.join(s + '://' for s in SCHEMES)} URL"
        )
    try:
        from redis.asyncio import ConnectionPool
    except ImportError:
        raise ConfigurationError(_INSTALL) from None
    try:
        ConnectionPool.from_url(url)  # reads the URL's options; connects to nothing
    except (ValueError, TypeError):
        raise ConfigurationError(
            "rate_limit_store: the URL's host, port or options are not valid"
        ) from None
    return url


def shown(url: str) -> str:
    """The store's address without credentials or options, for messages."""
    parsed = URL(url)
    if not parsed.host:
        return f"{parsed.scheme}://…"
    port = f":{parsed.port}" if parsed.explicit_port else ""
    return f"{parsed.scheme}://{parsed.host}{port}{parsed.path}"


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return str(round(min(seconds, 1e12) * 1000))  # an infinite cap stays a number


class SharedBudget:
    """Rate-limit budgets per endpoint, kept in Redis at ``url`` under ``namespace`` and
    shared by every client (in any process, on any machine) configured alike; this
    process's own ``RateLimitBudget`` stands in while the store cannot be reached.

    Windows are timed by the store's clock, the one clock all processes share; ``clock``
    (this process's) times the fallback and the retries of the store. Tests may give the
    store a ``store_clock`` too."""

    def __init__(
        self,
        url: str,
        namespace: str,
        *,
        timeout: float = STORE_TIMEOUT,
        retry_interval: float = RETRY_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        store_clock: Callable[[], float] | None = None,
    ) -> None:
        self._url = check_store_url(url)  # kept out of every message: it may hold a password
        self._namespace = namespace
        self._timeout = timeout
        self._retry_interval = retry_interval
        self._clock = clock
        self._store_clock = store_clock  # None: the store's own (TIME), common to all
        self.local = RateLimitBudget(clock)
        self._redis: Redis | None = None
        self._scripts: tuple[AsyncScript, AsyncScript] | None = None
        self._down_until: float | None = None  # set while the store is failing
        self._closed = False
        self._blocked_until: dict[str, float] = {}  # per key, as the store last said

    def __repr__(self) -> str:
        state = "down" if self._down_until is not None else "up"
        return f"<SharedBudget {shown(self._url)} namespace={self._namespace!r} {state}>"

    @property
    def shared(self) -> bool:
        """Whether the store is in use (not failing)."""
        return self._down_until is None

    def keys(self, key: str) -> list[str]:
        """The store's keys for endpoint ``key``: its window and its calls in flight (one
        hash slot, for Redis Cluster)."""
        base = f"{self._namespace}:ratelimit:{{{key}}}"
        return [base, base + ":inflight"]

    async def acquire(self, key: str, cap: float) -> Slot:
        while self._may_try():
            call = secrets.token_hex(8)
            lease = min(anyio.current_effective_deadline() - anyio.current_time(), MAX_LEASE)
            with anyio.CancelScope(shield=True):  # a slot taken is never lost to a cancel
                try:
                    taken, wait_ms, in_flight = await self._run(
                        0, key, [call, _ms(max(lease, MIN_LEASE))]
                    )
                except _StoreFailure:
                    break
            if taken:
                slot = _SharedSlot(self, key, call)
                self.local.taken(key)
                try:
                    await anyio.lowlevel.checkpoint_if_cancelled()
                except BaseException:
                    await slot.settle(Reply(None))
                    raise
                return slot
            wait = wait_ms / 1000
            if wait_ms >= 0:
                self._blocked_until[key] = self._clock() + wait
                left = anyio.current_effective_deadline() - anyio.current_time()
                if wait > cap or wait > left:
                    raise BudgetExhausted(wait)
            # Calls in flight may free a slot any moment: look again soon, as the local
            # budget wakes on each reply; a spent window is waited out.
            if in_flight:
                wait = POLL if wait_ms < 0 else min(wait, POLL)
            await anyio.sleep(wait)
        return await self.local.acquire(key, cap)

    def blocked(self, key: str) -> bool:
        if not self.shared:
            return self.local.blocked(key)
        return self._blocked_until.get(key, 0.0) > self._clock()

    async def aclose(self) -> None:
        self._closed = True
        redis, self._redis, self._scripts = self._redis, None, None
        if redis is not None:
            with anyio.CancelScope(shield=True), anyio.move_on_after(self._timeout):
                await redis.aclose()

    async def settle(self, key: str, call: str, reply: Reply) -> None:
        """Record a reply to a call taken from the store (and in the local budget too, so
        that it is warm should the store fail)."""
        self.local.record(key, reply)
        state = RateLimitState(None, None, None)
        if reply.headers is not None:
            state = RateLimitState.from_headers(reply.headers)
        args = [
            call,
            "" if state.limit is None else str(state.limit),
            "" if state.remaining is None else str(state.remaining),
            _ms(state.window),
            "1" if reply.rate_limited else "0",
            _ms(reply.retry_after),
            _ms(reply.cap),
        ]
        if not self.shared:
            return  # the store is away: its lease on the slot runs out
        with anyio.CancelScope(shield=True):  # also when the call was cancelled
            try:
                blocked_ms = await self._run(1, key, args)
            except _StoreFailure:
                return
        if blocked_ms >= 0:
            self._blocked_until[key] = self._clock() + blocked_ms / 1000
        else:
            self._blocked_until.pop(key, None)

    # -- the store ------------------------------------------------------------------------

    def _may_try(self) -> bool:
        """Whether to use the store now. While it is failing, one caller per
        ``retry_interval`` tries it again; the others pace themselves alone meanwhile."""
        if self._closed:
            return False
        down_until = self._down_until
        if down_until is None:
            return True
        if self._clock() < down_until:
            return False
        self._down_until = self._clock() + self._retry_interval  # this caller probes
        return True

    async def _run(self, which: int, key: str, args: list[str]) -> Any:
        """Run script ``which`` (0 acquire, 1 settle) for ``key``; ``_StoreFailure`` (after
        the outage's one warning) when the store does not answer in time."""
        if self._closed:
            raise _StoreFailure
        try:
            now = "" if self._store_clock is None else _ms(self._store_clock())
            # redis-py's own socket timeouts should fire first: it then drops the connection.
            with anyio.fail_after(2 * self._timeout):
                scripts = self._scripts or self._connect()
                result = await scripts[which](keys=self.keys(key), args=[*args, now])
        except Exception as exc:  # whatever the store or its client raise: pace alone
            if not self._closed:
                self._failed(exc)
            raise _StoreFailure from None
        if self._down_until is not None:
            self._down_until = None
            log.info("rate-limit store %s is back: the shared budget again", shown(self._url))
        return result

    def _connect(self) -> tuple[AsyncScript, AsyncScript]:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self._redis = Redis.from_url(
            self._url,
            socket_timeout=self._timeout,
            socket_connect_timeout=self._timeout,
            retry=Retry(NoBackoff(), 0),
        )
        self._scripts = (
            self._redis.register_script(_ACQUIRE),
            self._redis.register_script(_SETTLE),
        )
        return self._scripts

    def _failed(self, exc: BaseException) -> None:
        if self._down_until is None:
            log.warning(
                "rate-limit store %s cannot be reached (%s): this process paces itself alone "
                "until it is back",
                shown(self._url),
                type(exc).__name__,
            )
        self._down_until = self._clock() + self._retry_interval


class _StoreFailure(Exception):
    """The store did not answer (already logged)."""


class _SharedSlot:
    __slots__ = ("_budget", "_call", "_key")

    def __init__(self, budget: SharedBudget, key: str, call: str) -> None:
        self._budget, self._key, self._call = budget, key, call

    async def settle(self, reply: Reply) -> None:
        await self._budget.settle(self._key, self._call, reply)
