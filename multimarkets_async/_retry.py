"""Retry policy: which failures are retried, how long to wait, and when a write may be replayed.

Which failures are retried is decided here and nowhere else (``should_retry``; the public
``APIError.retryable`` asks ``may_succeed_again``). Waits follow the ``backoff`` library's
exponential schedule with full jitter. A rate-limited call waits for the server's window
instead (see ``_budget``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import backoff

from . import _validation as check
from .errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    MultiMarketsError,
    RateLimitError,
    RequestExpiredError,
    ServiceUnavailableError,
    TransportError,
    UndecodableResponseError,
)

RETRYABLE_HTTP_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRIES = 100

# Gateway answers that prove the request never reached the business service.
_NOT_DISPATCHED_CODES = frozenset({"GGATEWAY_CODE_012"})
_NOT_DISPATCHED_HTTP = frozenset({429, 503})


@dataclass(frozen=True, slots=True)
class Retry:
    """How a client retries failed calls.

    ``max_retries`` retries after the first attempt; waits grow as ``base * 2**n`` up to ``cap``
    seconds, each drawn uniformly from zero to that bound (full jitter). A server's
    ``Retry-After`` replaces the computed wait for rate limits, up to ``max_retry_after``
    seconds: a server asking for longer gets a prompt ``RateLimitError`` carrying its
    ``retry_after`` instead of a sleep, and no rate-limit window is waited for longer either.
    ``retry_writes`` lets writes be replayed even when the first attempt may have reached the
    server: only for calls known to be idempotent.
    """

    max_retries: int = 3
    base: float = 0.5
    cap: float = 8.0
    max_retry_after: float = 120.0
    retry_writes: bool = False

    def __post_init__(self) -> None:
        check.integer("max_retries", self.max_retries, minimum=0, maximum=MAX_RETRIES)
        for name in ("base", "cap", "max_retry_after"):
            check.seconds(name, getattr(self, name), positive=False)
        check.boolean("retry_writes", self.retry_writes)

    def waits(self) -> Iterator[float]:
        """The jittered wait before each retry, in order."""
        schedule = backoff.expo(base=2, factor=self.base, max_value=self.cap)
        next(schedule)  # prime the generator, as backoff's own decorators do
        for bound in schedule:
            yield backoff.full_jitter(bound)


DEFAULT_RETRY = Retry()


def may_succeed_again(error: MultiMarketsError) -> bool:
    """Whether the same request, simply sent again later, may succeed."""
    if isinstance(error, TransportError | RateLimitError | RequestExpiredError):
        return True
    if isinstance(error, ServiceUnavailableError):
        return True
    if isinstance(error, UndecodableResponseError):
        return error.http_status in RETRYABLE_HTTP_STATUSES
    return False


def should_retry(error: MultiMarketsError, policy: Retry) -> bool:
    """Whether a read failing with ``error`` is tried again under ``policy`` (attempts left
    and the replay of writes aside)."""
    if isinstance(error, AuthenticationError):
        return error.token_expired  # refused again after a fresh login: try again with backoff
    if isinstance(error, RateLimitError) and (error.retry_after or 0) > policy.max_retry_after:
        return False  # the server asks for longer than we may wait
    return may_succeed_again(error)


def was_not_processed(error: MultiMarketsError) -> bool:
    """Whether ``error`` proves the server did not act on the request (safe to replay a write)."""
    if isinstance(error, RateLimitError | RequestExpiredError):
        return True
    if isinstance(error, AuthenticationError):
        return error.token_expired  # the gateway refused the token: nothing reached the service
    if isinstance(error, APIConnectionError | APITimeoutError):
        return not error.request_sent
    if isinstance(error, ServiceUnavailableError):
        return error.code in _NOT_DISPATCHED_CODES or error.http_status in _NOT_DISPATCHED_HTTP
    if isinstance(error, UndecodableResponseError):
        return error.http_status in _NOT_DISPATCHED_HTTP
    return False
