"""What one call is given (time limits, retry policy, response hook) and what it reports back
(every response to ``on_response`` hooks; the reply it used to whoever asks)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from ._budget import RateLimitState
from ._config import DEFAULT_TIMEOUT, Timeout
from ._retry import DEFAULT_RETRY, Retry

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ResponseInfo:
    """One HTTP response of a call, as ``on_response`` hooks see it: the operation, the
    attempt it answered, its status, headers (rate-limit state among them), trace id and how
    long it took."""

    biz_type: str
    attempt: int
    http_status: int
    headers: Mapping[str, str]
    trace: str
    seconds: float

    @property
    def rate_limit(self) -> RateLimitState:
        """The endpoint's rate-limit state as this response reports it."""
        return RateLimitState.from_headers(self.headers)


ResponseHook = Callable[[ResponseInfo], object]
"""Called with every response of a call; may be a coroutine function."""


@dataclass(frozen=True, slots=True)
class CallOptions:
    """Per-call settings: time limits, retry policy, response hook."""

    timeout: Timeout = DEFAULT_TIMEOUT
    retry: Retry = DEFAULT_RETRY
    on_response: ResponseHook | None = None


@dataclass(slots=True)
class ReplyInfo:
    """Filled in by a call that succeeds: the trace id and HTTP status of the reply used."""

    trace: str | None = None
    http_status: int | None = None


Reconcile = Callable[[], Awaitable[T | None]]
"""After a write failed ambiguously: the write's result if it took effect, else None."""
