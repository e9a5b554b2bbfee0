"""The one request path every operation goes through.

A call is one bounded retry loop inside one deadline (``Timeout.total``). Each attempt asks
the token provider (``_auth``) for a token (it logs in, single-flight, when there is none or
the last one was refused: the login is part of the attempt, not a loop of its own, and its
request goes out through ``_send`` like any other), takes a slot in the endpoint's rate-limit
budget (``_budget``), then sends the request as the operation's dialect says (``_dialect``;
in secure mode signed and encrypted afresh for each attempt, ``_secure``;
``Timeout.connect``/``read`` per attempt; redirects are never followed) and reads the reply
into ``data`` or a typed error (``_replies``). Failures are retried by one policy
(``_retry``), waits included in the deadline.
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
from ._auth import AUTH, CredentialsLogin, TokenProvider
from ._budget import Budget, BudgetExhausted, RateLimitBudget, Reply
from ._call import CallOptions, Reconcile, ReplyInfo, ResponseInfo
from ._config import Secret
from ._dialect import ENCODER, Identity, Request
from ._operation import Operation
from ._retry import Retry, should_retry, was_not_processed
from ._secure import Sealer, SecureMode, check_body
from .errors import (
    RATE_LIMIT_CODE,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    EventLoopError,
    MultiMarketsError,
    RateLimitError,
    ValidationError,
)
from .models import CompanyProfile

T = TypeVar("T")

log = logging.getLogger("multimarkets_async")


def new_trace(*, secure: bool = False) -> str:
    """A unique trace id: ``x-...`` for a secure request (the prefix that switches the gateway
    to secure mode), else ``mm-...``."""
    return ("x-" if secure else "mm-") + secrets.token_hex(12)


@dataclass(slots=True)
class _Attempts:
    """How a call is going: attempts made, the last trace, whether a request may have
    reached the server."""

    made: int = 0
    trace: str | None = None
    sent: bool = False
    waits: list[float] = field(default_factory=list)


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
        secure: SecureMode | None = None,
        budget: Budget | None = None,
    ) -> None:
        self._base_url = base_url
        self._identity = Identity(company_id, lang)
        self._user_agent = user_agent
        self._session = session
        self._closed = closed
        login = CredentialsLogin(app_id, app_secret, self._send_login)
        self._auth = TokenProvider(login, cooldown=login_options.retry.base)
        self._login_options = login_options
        self._market_token = market_token
        self._proxy = proxy
        self._secure = secure
        self._loop: asyncio.AbstractEventLoop | None = None
        self._calls: set[anyio.CancelScope] = set()
        self.budget: Budget = budget if budget is not None else RateLimitBudget()

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
        if self._secure is not None and operation.sealable:
            check_body(body)
        payload = encode_body(body)

        async def attempt(number: int) -> T:
            return await self._attempt(operation, payload, options, number, reply)

        return await self._retrying(operation, options, attempt, reconcile)

    async def login(self, *, renew: bool) -> CompanyProfile:
        """Log in now (with ``renew``, again, replacing the token held; else only if there is
        no token yet) and return the company profile."""
        await self._token_for(renew=renew, stale=self._auth.current if renew else None)
        company = self._auth.company
        assert company is not None
        return company

    async def push_token(self, refused: str | None = None) -> str:
        """The token for a Data Push handshake (logging in first if there is none). With
        ``refused`` (the token the push server just refused), a fresh one: the refused token
        is renewed single-flight, so tasks refused together share one login."""
        return await self._token_for(renew=refused is not None, stale=refused)

    async def _token_for(self, *, renew: bool, stale: str | None) -> str:
        """The login's token, with the client's own options: with ``renew``, one other than
        ``stale`` (single-flight), else the one held (logging in if there is none)."""
        auth = self._auth

        async def attempt(number: int) -> str:
            return await (auth.renew(stale=stale) if renew else auth.get())

        return await self._retrying(AUTH, self._login_options, attempt)

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
                maybe_processed = reached and not was_not_processed(error)
                state.sent = state.sent or maybe_processed
                refused = isinstance(error, AuthenticationError) and error.token_expired
                free = refused and not renewed
                if free:
                    renewed, allowed = True, allowed + 1  # one renewal comes free, at once
                retryable = should_retry(error, policy)
                # A failure before the request went out (the login, the budget) cannot have
                # made a write take effect.
                may_have_acted = maybe_processed and operation.write and not operation.idempotent
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
        token = await self._token(operation)
        try:
            return await self._send(operation, payload, token, options, number, reply)
        except AuthenticationError as error:
            if error.token_expired and token is not None:
                log.debug("%s: token refused (%s)", operation.biz_type, error.code)
                self._auth.invalidate(token)
            raise

    async def _token(self, operation: Operation[Any]) -> str | None:
        """The token ``operation`` is sent with: the market-data token where its dialect takes
        it and the client has one, else the login's (logging in if needed), if it needs one."""
        if operation.dialect.market_token and self._market_token is not None:
            return self._market_token.reveal()
        if not operation.needs_token:
            return None
        return await self._auth.get()

    async def _send_login(
        self, operation: Operation[msgspec.Raw], body: Mapping[str, Any], reply: ReplyInfo
    ) -> msgspec.Raw:
        """The login's one request (its attempt is the caller's: retried by the caller's
        loop), with the client's own options."""
        payload = ENCODER.encode(body)
        return await self._send(operation, payload, None, self._login_options, 1, reply)

    async def _send(
        self,
        operation: Operation[T],
        payload: bytes,
        token: str | None,
        options: CallOptions,
        attempt: int,
        reply: ReplyInfo | None = None,
    ) -> T:
        sealer = self._sealer(operation)
        trace = new_trace(secure=sealer is not None)
        url = self._base_url + operation.path
        key = operation.biz_type
        cap = options.retry.max_retry_after
        try:
            slot = await self.budget.acquire(key, cap)
        except BudgetExhausted as exhausted:
            raise _out_of_budget(key, exhausted.wait) from None
        timeout = options.timeout
        limits = aiohttp.ClientTimeout(sock_connect=timeout.connect, sock_read=timeout.read)
        started = time.perf_counter()
        dialect = operation.dialect
        request = Request(operation, payload, token, trace, self._identity, sealer)
        headers = {"Content-Type": "application/json", "User-Agent": self._user_agent}
        headers["trace"] = trace
        try:
            # Built after the wait for the budget: a secure request is stamped and signed now.
            outgoing = dialect.outgoing(request)
            async with self._session().request(
                dialect.method,
                url,
                params=outgoing.params,
                data=outgoing.data or None,
                headers=headers | outgoing.headers,
                timeout=limits,
                allow_redirects=False,
                proxy=self._proxy,
            ) as response:
                raw = await response.read()
                status = response.status
                response_headers = response.headers
        except BaseException as exc:
            await slot.settle(Reply(None))
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
            data = _replies.decode(operation, status, response_headers, raw, trace, sealer)
            if reply is not None:
                reply.trace, reply.http_status = trace, status
            return data
        except RateLimitError as error:
            rate_limited, retry_after = True, error.retry_after
            raise
        finally:
            await slot.settle(Reply(response_headers, rate_limited, retry_after, cap))

    def _sealer(self, operation: Operation[Any]) -> Sealer | None:
        """In secure mode, what signs and encrypts ``operation``'s request (None when it goes
        plain); ``ConfigurationError`` when there is no usable key."""
        if self._secure is None or not operation.sealable:
            return None
        return self._secure.sealer(self._auth.company)

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


def encode_body(body: Mapping[str, Any] | None) -> bytes:
    """``body`` as JSON; a body that cannot be written as JSON is a ``ValidationError``,
    raised before anything is sent."""
    try:
        return ENCODER.encode(body if body is not None else {})
    except (TypeError, ValueError, OverflowError, RecursionError, msgspec.EncodeError) as exc:
        raise ValidationError("body", f"cannot be written as JSON: {exc}") from None


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
