"""The one request path every operation goes through.

A call is one bounded retry loop inside one deadline (``Timeout.total``). Each attempt takes a
slot in the endpoint's rate-limit budget, a token (logging in, single-flight, when there is
none or the last one was refused: the login is part of the attempt, not a loop of its own),
then sends the request (``Timeout.connect``/``read`` per attempt; redirects are never
followed) and reads the reply into ``data`` or a typed error (``_replies``). Failures are
retried by one policy (``_retry``), waits included in the deadline.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
import anyio
import msgspec

from . import _replies
from ._auth import TokenProvider
from ._budget import BudgetExhausted, RateLimitBudget, RateLimitState
from ._config import DEFAULT_TIMEOUT, Secret, Timeout, header_safe
from ._operation import Operation, op
from ._retry import DEFAULT_RETRY, Retry, is_retryable, was_not_processed
from .errors import (
    RATE_LIMIT_CODE,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    EventLoopError,
    MultiMarketsError,
    RateLimitError,
)
from .models import AuthResult, CompanyProfile

T = TypeVar("T")

log = logging.getLogger("multimarkets_async")

AUTH = op(
    "admin.admin.CompanyAuthDubboService.auth",
    msgspec.Raw,
    version=None,
    path_prefix="/auth",
    needs_token=False,
    secret_reply=True,
)

_encoder = msgspec.json.Encoder()
_auth_result_decoder = msgspec.json.Decoder(AuthResult, strict=False)
_profile_decoder = msgspec.json.Decoder(CompanyProfile, strict=False)


def new_trace() -> str:
    """A unique trace id. Never ``x-...``: that prefix switches the gateway to secure mode."""
    return "mm-" + secrets.token_hex(12)


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


@dataclass(slots=True)
class _Attempts:
    """How a call is going: attempts made, the last trace, whether a request may have
    reached the server."""

    made: int = 0
    trace: str | None = None
    sent: bool = False
    waits: list[float] = field(default_factory=list)


Reconcile = Callable[[], Awaitable[T | None]]
"""After a write failed ambiguously: the write's result if it took effect, else None."""


class Pipeline:
    """Sends operations for one client. Safe to share between many concurrent tasks of one
    event loop."""

    def __init__(
        self,
        *,
        base_url: str,
        company_id: str,
        app_id: str,
        app_secret: Secret,
        lang: str | None,
        user_agent: str,
        session: Callable[[], aiohttp.ClientSession],
        closed: Callable[[], bool],
        login_options: CallOptions,
        market_token: Secret | None = None,
        proxy: str | None = None,
    ) -> None:
        self._base_url = base_url
        self._company_id = company_id
        self._app_id = app_id
        self._app_secret = app_secret
        self._lang = lang
        self._user_agent = user_agent
        self._session = session
        self._closed = closed
        self._auth = TokenProvider(self._login, cooldown=login_options.retry.base)
        self._login_options = login_options
        self._market_token = market_token
        self._proxy = proxy
        self._loop: asyncio.AbstractEventLoop | None = None
        self._calls: set[anyio.CancelScope] = set()
        self.budget = RateLimitBudget()
        self.company: CompanyProfile | None = None

    def abort(self) -> None:
        """End every call in progress with ``ClientClosedError`` (the client is closing)."""
        for call in list(self._calls):
            call.cancel()

    # -- public entry ---------------------------------------------------------------------

    async def call(
        self,
        operation: Operation[T],
        body: Mapping[str, Any] | None,
        options: CallOptions,
        *,
        reconcile: Reconcile[T] | None = None,
        reply: ReplyInfo | None = None,
    ) -> T:
        """Send ``operation`` with ``body`` and return its decoded ``data``.

        Retryable failures are retried with backoff. A write is replayed only when the failure
        proves the server did not act on it, when ``retry_writes`` is set, or after
        ``reconcile`` has shown that the first attempt did not take effect.
        """
        payload = _encoder.encode(body if body is not None else {})

        async def attempt(number: int) -> T:
            return await self._attempt(operation, payload, options, number, reply)

        return await self._retrying(operation, options, attempt, reconcile)

    async def relogin(self) -> CompanyProfile:
        """Log in again now, replacing the token held, and return the company profile."""
        stale = self._auth.current

        async def attempt(number: int) -> None:
            await self._auth.renew(stale=stale)

        await self._retrying(AUTH, self._login_options, attempt)
        assert self.company is not None
        return self.company

    async def ensure_login(self) -> CompanyProfile:
        """Log in now if needed and return the company profile."""

        async def attempt(number: int) -> None:
            await self._auth.get()

        await self._retrying(AUTH, self._login_options, attempt)
        assert self.company is not None
        return self.company

    # -- the one retry loop -----------------------------------------------------------------

    async def _retrying(
        self,
        operation: Operation[Any],
        options: CallOptions,
        attempt: Callable[[int], Awaitable[T]],
        reconcile: Reconcile[T] | None = None,
    ) -> T:
        self._check_loop()
        if self._closed():
            raise ClientClosedError("the client is closed")
        state = _Attempts()
        total = options.timeout.total
        # `abort` cancels this scope: wherever the call waits (a connection, the budget, a
        # login, a backoff), it ends at once, as ClientClosedError.
        with anyio.CancelScope() as call:
            self._calls.add(call)
            try:
                with anyio.move_on_after(total):
                    return await self._attempts(operation, options.retry, attempt, reconcile, state)
            finally:
                self._calls.discard(call)
        if call.cancelled_caught:
            raise ClientClosedError("the client was closed while this call was in progress")
        raise APITimeoutError(
            f"no result within the call's total time limit of {total:g} s "
            f"(waits {', '.join(f'{w:.2f}' for w in state.waits) or 'none'})",
            biz_type=operation.biz_type,
            trace=state.trace,
            attempts=max(state.made, 1),
            request_sent=state.sent,
        )

    async def _attempts(
        self,
        operation: Operation[Any],
        policy: Retry,
        attempt: Callable[[int], Awaitable[T]],
        reconcile: Reconcile[T] | None,
        state: _Attempts,
    ) -> T:
        waits = policy.waits()
        allowed = policy.max_retries + 1
        renewed = False
        while True:
            state.made += 1
            try:
                return await attempt(state.made)
            except MultiMarketsError as error:
                state.trace = getattr(error, "trace", None) or state.trace
                reached = getattr(error, "biz_type", None) == operation.biz_type
                state.sent = state.sent or (reached and not was_not_processed(error))
                refused = isinstance(error, AuthenticationError) and error.token_expired
                free = refused and not renewed
                if free:
                    renewed, allowed = True, allowed + 1  # one renewal comes free, at once
                retryable = is_retryable(error)
                if isinstance(error, RateLimitError) and (error.retry_after or 0) > (
                    policy.max_retry_after
                ):
                    retryable = False  # the server asks for longer than we may wait
                # A failure before the request went out (the login, the budget) cannot have
                # made a write take effect.
                may_have_acted = (
                    reached
                    and operation.write
                    and not operation.idempotent
                    and not was_not_processed(error)
                )
                if retryable and may_have_acted and not policy.retry_writes:
                    if reconcile is None:
                        retryable = False  # it may have taken effect: never replay blindly
                    else:
                        outcome = await reconcile()
                        if outcome is not None:
                            log.debug("%s: the failed attempt took effect", operation.biz_type)
                            return outcome
                if not retryable or state.made >= allowed:
                    if hasattr(error, "attempts"):
                        error.attempts = state.made
                    raise
                # A refused token is renewed at once; a rate-limited call waits in the budget
                # for its window to end, when known; anything else backs off.
                budgeted = isinstance(error, RateLimitError) and self.budget.blocked(
                    operation.biz_type
                )
                wait = 0.0 if free or budgeted else next(waits)
                state.waits.append(wait)
                log.debug(
                    "%s: attempt %d failed (%s), retrying in %.3f s; trace %s",
                    operation.biz_type,
                    state.made,
                    type(error).__name__,
                    wait,
                    state.trace,
                    extra={
                        "biz_type": operation.biz_type,
                        "attempt": state.made,
                        "wait": wait,
                        "trace": state.trace,
                        "error": type(error).__name__,
                    },
                )
                await anyio.sleep(wait)

    # -- one attempt ----------------------------------------------------------------------

    async def _attempt(
        self,
        operation: Operation[T],
        payload: bytes,
        options: CallOptions,
        number: int,
        reply: ReplyInfo | None,
    ) -> T:
        """One request, after a token (and a login, if there is none) has been obtained."""
        if operation.is_quote and self._market_token is not None:
            token: str | None = self._market_token.reveal()
        elif not operation.needs_token:
            token = None
        else:
            token = await self._auth.get()
        try:
            return await self._send(operation, payload, token, options, number, reply)
        except AuthenticationError as error:
            if error.token_expired and token is not None:
                log.debug("%s: token refused (%s)", operation.biz_type, error.code)
                self._auth.invalidate(token)
            raise

    async def _login(self) -> str:
        """One login request (the caller's attempt: retried by the caller's loop)."""
        body = {"appId": self._app_id, "appSecret": self._app_secret.reveal()}
        payload = _encoder.encode(body)
        reply = ReplyInfo()
        raw = await self._send(AUTH, payload, None, self._login_options, 1, reply)
        trace = reply.trace or ""
        try:
            result = _auth_result_decoder.decode(raw)
            profile = _profile_decoder.decode(raw)
        except (*_replies.UNREADABLE, TypeError) as exc:
            raise _replies.unreadable(AUTH, raw, trace, exc) from None
        if not result.token or not header_safe(result.token):
            reason = ValueError("the token is empty or not a valid header value")
            raise _replies.unreadable(AUTH, raw, trace, reason)
        self.company = profile
        log.debug("logged in for company %s", result.id)
        return result.token

    def _headers(self, operation: Operation[Any], token: str | None, trace: str) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": self._user_agent,
            "trace": trace,
        }
        if operation.needs_token and not operation.is_quote:
            headers["companyId"] = self._company_id
            headers["timestamp"] = str(int(time.time() * 1000))
            if token is not None:
                headers["token"] = token
            if operation.version is not None:
                headers["version"] = operation.version
            if operation.group is not None:
                headers["group"] = operation.group
            if self._lang is not None:
                headers["lang"] = self._lang
        return headers

    async def _send(
        self,
        operation: Operation[T],
        payload: bytes,
        token: str | None,
        options: CallOptions,
        attempt: int,
        reply: ReplyInfo | None = None,
    ) -> T:
        trace = new_trace()
        url = self._base_url + operation.path
        key = operation.biz_type
        cap = options.retry.max_retry_after
        try:
            await self.budget.acquire(key, cap)
        except BudgetExhausted as exhausted:
            raise _out_of_budget(key, exhausted.wait) from None
        timeout = options.timeout
        limits = aiohttp.ClientTimeout(sock_connect=timeout.connect, sock_read=timeout.read)
        started = time.perf_counter()
        params: dict[str, str] | None = None
        if operation.is_quote:  # market data: GET, token in the query string
            payload = b'{"trace":' + _encoder.encode(trace) + b',"data":' + payload + b"}"
            params = {"token": token or ""}
            if operation.transport == "quote-query":
                params["query"] = payload.decode()
                payload = b""
        try:
            async with self._session().request(
                operation.http_method,
                url,
                params=params,
                data=payload or None,
                headers=self._headers(operation, token, trace),
                timeout=limits,
                allow_redirects=False,
                proxy=self._proxy,
            ) as response:
                raw = await response.read()
                status = response.status
                response_headers = response.headers
        except BaseException as exc:
            self.budget.settle(key, None)
            raise self._send_failure(exc, key, trace) from None
        seconds = time.perf_counter() - started
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s -> HTTP %s, %d bytes, trace %s, %.1f ms",
                key,
                status,
                len(raw),
                trace,
                seconds * 1000,
            )
        rate_limited, retry_after = False, None
        try:
            if options.on_response is not None:
                info = ResponseInfo(key, attempt, status, response_headers, trace, seconds)
                outcome = options.on_response(info)
                if inspect.isawaitable(outcome):
                    await outcome
            data = _replies.decode(operation, status, response_headers, raw, trace)
            if reply is not None:
                reply.trace, reply.http_status = trace, status
            return data
        except RateLimitError as error:
            rate_limited, retry_after = True, error.retry_after
            raise
        finally:
            self.budget.settle(
                key, response_headers, rate_limited=rate_limited, retry_after=retry_after, cap=cap
            )

    def _send_failure(self, exc: BaseException, biz_type: str, trace: str) -> BaseException:
        """What a request that failed on the way raises."""
        if self._closed() and not _being_cancelled(exc):
            # Closing the client aborts requests in flight, and those waiting for a connection
            # see a cancellation nobody asked for.
            return ClientClosedError("the client was closed while this call was in flight")
        error = _replies.transport_error(exc, biz_type, trace)
        return exc if error is None else error

    def _check_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:
            raise EventLoopError(
                "this client was first used in another event loop; its connections, token "
                "lock and tasks belong to that loop: create one client per event loop"
            )


def _out_of_budget(biz_type: str, wait: float) -> RateLimitError:
    error = RateLimitError(
        RATE_LIMIT_CODE,
        biz_type=biz_type,
        server_message=f"the endpoint's rate-limit window ends in {wait:.0f} s, later than this "
        "call may wait (Retry.max_retry_after, or the call's time limit)",
    )
    error.retry_after = wait
    return error


def _being_cancelled(exc: BaseException) -> bool:
    """Whether ``exc`` is this task being cancelled (as opposed to a cancellation aiohttp
    raised inside a request it aborted)."""
    if not isinstance(exc, asyncio.CancelledError):
        return False
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return cancelling is None or cancelling() > 0  # before Python 3.11: assume it is
