"""The one request path every operation goes through.

headers -> msgspec encode -> POST -> typed envelope decode -> ``data`` or a typed error.
Token expiry is handled here: one re-login (single-flight) and one replay.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import aiohttp
import anyio
import msgspec

from ._auth import TokenProvider
from ._budget import RateLimitBudget
from ._config import DEFAULT_TIMEOUT, Secret, Timeout
from ._operation import Operation, op
from ._retry import DEFAULT_RETRY, Retry, is_retryable, was_not_processed
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    MultiMarketsError,
    RateLimitError,
    TransportError,
    UndecodableResponseError,
    error_class_for_code,
)
from .models import AuthResult, CompanyProfile, LooseEnvelope, QuoteEnvelope

T = TypeVar("T")

log = logging.getLogger("multimarkets_async")

AUTH = op(
    "admin.admin.CompanyAuthDubboService.auth",
    msgspec.Raw,
    version=None,
    path_prefix="/auth",
    needs_token=False,
)

_encoder = msgspec.json.Encoder()
_auth_result_decoder = msgspec.json.Decoder(AuthResult, strict=False)
_profile_decoder = msgspec.json.Decoder(CompanyProfile, strict=False)


def new_trace() -> str:
    """A unique trace id. Never ``x-...``: that prefix switches the gateway to secure mode."""
    return "mm-" + secrets.token_hex(12)


def _is_success(code: str | int | None) -> bool:
    return code is not None and str(code) == "0"


@dataclass(frozen=True, slots=True)
class CallOptions:
    """Per-call settings: time limits and retry policy."""

    timeout: Timeout = DEFAULT_TIMEOUT
    retry: Retry = DEFAULT_RETRY


@dataclass(slots=True)
class ReplyInfo:
    """Filled in by a call that succeeds: the trace id and HTTP status of the reply used."""

    trace: str | None = None
    http_status: int | None = None


Reconcile = Callable[[], Awaitable[T | None]]
"""After a write failed ambiguously: the write's result if it took effect, else None."""


def _client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(
        total=timeout.total, sock_connect=timeout.connect, sock_read=timeout.read
    )


class Pipeline:
    """Sends operations for one client. Safe to share between many concurrent tasks."""

    def __init__(
        self,
        *,
        base_url: str,
        company_id: str,
        app_id: str,
        app_secret: Secret,
        lang: str | None,
        session: Callable[[], aiohttp.ClientSession],
        login_options: CallOptions,
        market_token: Secret | None = None,
    ) -> None:
        self._base_url = base_url
        self._company_id = company_id
        self._app_id = app_id
        self._app_secret = app_secret
        self._lang = lang
        self._session = session
        self._auth = TokenProvider(self._login)
        self._login_options = login_options
        self._market_token = market_token
        self.budget = RateLimitBudget()
        self.company: CompanyProfile | None = None

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
        limits = _client_timeout(options.timeout)
        policy = options.retry
        waits = policy.waits()
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._call_once(operation, payload, limits, reply)
            except MultiMarketsError as error:
                retryable = is_retryable(error)
                may_have_acted = (
                    operation.write and not operation.idempotent and not was_not_processed(error)
                )
                if retryable and may_have_acted and not policy.retry_writes:
                    if reconcile is None:
                        retryable = False  # it may have taken effect: never replay blindly
                    else:
                        outcome = await reconcile()
                        if outcome is not None:
                            log.debug("%s: the failed attempt took effect", operation.biz_type)
                            return outcome
                if not retryable or attempt > policy.max_retries:
                    if hasattr(error, "attempts"):
                        error.attempts = attempt
                    raise
                # A rate-limited call waits in the budget for its window to end, when known.
                budgeted = isinstance(error, RateLimitError) and self.budget.blocked(
                    operation.biz_type
                )
                wait = 0.0 if budgeted else next(waits)
                log.debug(
                    "%s: attempt %d failed (%s), retrying in %.3f s; trace %s",
                    operation.biz_type,
                    attempt,
                    type(error).__name__,
                    wait,
                    getattr(error, "trace", None),
                    extra={
                        "biz_type": operation.biz_type,
                        "attempt": attempt,
                        "wait": wait,
                        "trace": getattr(error, "trace", None),
                        "error": type(error).__name__,
                    },
                )
                await anyio.sleep(wait)

    async def relogin(self) -> CompanyProfile:
        """Log in again now, replacing the token held, and return the company profile."""
        await self._auth.refresh(stale=self._auth.current)
        assert self.company is not None
        return self.company

    async def ensure_login(self) -> CompanyProfile:
        """Log in now if needed and return the company profile."""
        await self._auth.get()
        assert self.company is not None
        return self.company

    # -- internals ------------------------------------------------------------------------

    async def _call_once(
        self,
        operation: Operation[T],
        payload: bytes,
        limits: aiohttp.ClientTimeout,
        reply: ReplyInfo | None,
    ) -> T:
        """One attempt, with a single re-login and replay if the token was refused."""
        if operation.is_quote and self._market_token is not None:
            token = self._market_token.reveal()
            return await self._send(operation, payload, token, limits, reply)
        if not operation.needs_token:
            return await self._send(operation, payload, None, limits, reply)
        token = await self._auth.get()
        try:
            return await self._send(operation, payload, token, limits, reply)
        except AuthenticationError as exc:
            if not exc.token_expired:
                raise
            log.debug("%s: token refused (%s), logging in again", operation.biz_type, exc.code)
        token = await self._auth.refresh(stale=token)
        return await self._send(operation, payload, token, limits, reply)

    async def _login(self) -> str:
        body = {"appId": self._app_id, "appSecret": self._app_secret.reveal()}
        raw = await self.call(AUTH, body, self._login_options)
        result = _auth_result_decoder.decode(raw)
        self.company = _profile_decoder.decode(raw)
        log.debug("logged in for company %s", result.id)
        return result.token

    def _headers(self, operation: Operation[Any], token: str | None, trace: str) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "trace": trace}
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
        limits: aiohttp.ClientTimeout,
        reply: ReplyInfo | None = None,
    ) -> T:
        trace = new_trace()
        url = self._base_url + operation.path
        key = operation.biz_type
        await self.budget.acquire(key)
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
            ) as response:
                raw = await response.read()
                status = response.status
                response_headers = response.headers
        except BaseException as exc:
            self.budget.settle(key, None)
            error = _transport_error(exc, key, trace)
            if error is None:
                raise
            raise error from None
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s -> HTTP %s, %d bytes, trace %s, %.1f ms",
                key,
                status,
                len(raw),
                trace,
                (time.perf_counter() - started) * 1000,
            )
        rate_limited, retry_after = False, None
        try:
            data = self._decode(operation, status, response_headers, raw, trace)
            if reply is not None:
                reply.trace, reply.http_status = trace, status
            return data
        except RateLimitError as error:
            rate_limited, retry_after = True, error.retry_after
            raise
        finally:
            self.budget.settle(
                key, response_headers, rate_limited=rate_limited, retry_after=retry_after
            )

    def _decode(
        self,
        operation: Operation[T],
        status: int,
        headers: Mapping[str, str],
        raw: bytes,
        trace: str,
    ) -> T:
        """``data`` of a successful reply, else the typed error. The typed decoder runs first
        (the fast path); a failure's ``data`` may have any shape, so failures are read again
        with the operation's loose envelope."""
        reason = ""
        if status == 200:
            try:
                envelope = operation.decoder.decode(raw)
            except msgspec.DecodeError as exc:
                reason = str(exc)
            else:
                failure = _verdict(envelope)
                if failure is None:
                    return cast(T, envelope.data)
                raise _api_error(operation, status, headers, trace, failure)
        try:
            loose: Any = _LOOSE_DECODERS[operation.is_quote].decode(raw)
        except msgspec.DecodeError as exc:
            loose = None
            reason = reason or str(exc)
        recognised = loose is not None and _is_envelope(loose)
        failure = _verdict(loose) if recognised else None
        if status == 429:
            raise _api_error(operation, status, headers, trace, failure or _Failure("HTTP_429"))
        if failure is not None:
            raise _api_error(operation, status, headers, trace, failure)
        if recognised and status == 200:
            reason = f"data does not match the expected shape: {reason}"
        elif recognised:
            reason = "success envelope with a non-200 status"
        elif not reason:
            reason = "not a JSON envelope"
        raise UndecodableResponseError(
            reason, biz_type=operation.biz_type, http_status=status, trace=trace, body=raw
        )


QUOTE_OK = 200


@dataclass(frozen=True, slots=True)
class _Failure:
    """A failure reply, whichever envelope it came in."""

    code: str
    msg: str | None = None
    msg_params: str | None = None
    biz_code: str | None = None
    data: Any = None


class _LooseQuote(msgspec.Struct):
    ret: int | None = None
    msg: str | None = None


_LOOSE_DECODERS: dict[bool, msgspec.json.Decoder[Any]] = {
    False: msgspec.json.Decoder(LooseEnvelope, strict=False),
    True: msgspec.json.Decoder(_LooseQuote, strict=False),
}


def _is_envelope(envelope: Any) -> bool:
    return (envelope.ret if isinstance(envelope, _LooseQuote) else envelope.code) is not None


def _verdict(envelope: Any) -> _Failure | None:
    """None for success; else the failure. Standard replies succeed on ``code == "0"``,
    market-data replies on ``ret == 200`` (their failures get codes ``QUOTE_<ret>``)."""
    if isinstance(envelope, (QuoteEnvelope, _LooseQuote)):
        return None if envelope.ret == QUOTE_OK else _Failure(f"QUOTE_{envelope.ret}", envelope.msg)
    if _is_success(envelope.code):
        return None
    return _Failure(
        str(envelope.code), envelope.msg, envelope.msg_params, envelope.biz_code, envelope.data
    )


def _api_error(
    operation: Operation[Any],
    status: int,
    headers: Mapping[str, str],
    trace: str,
    failure: _Failure,
) -> APIError:
    cls = RateLimitError if status == 429 else error_class_for_code(failure.code)
    error = cls(
        failure.code,
        biz_type=operation.biz_type,
        server_message=failure.msg,
        msg_params=failure.msg_params,
        trace=trace,
        biz_code=failure.biz_code,
        http_status=status,
        data=failure.data,
    )
    if isinstance(error, RateLimitError):
        error.retry_after = _retry_after(headers)
    return error


def _transport_error(exc: BaseException, biz_type: str, trace: str) -> TransportError | None:
    """The SDK error for a failure on the wire, or None if ``exc`` is not one."""
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return APITimeoutError(
            f"timed out ({type(exc).__name__})",
            biz_type=biz_type,
            trace=trace,
            request_sent=not isinstance(exc, aiohttp.ConnectionTimeoutError),
        )
    if isinstance(exc, aiohttp.ClientError | OSError):
        return APIConnectionError(
            f"{type(exc).__name__}: {exc}",
            biz_type=biz_type,
            trace=trace,
            request_sent=not isinstance(exc, aiohttp.ClientConnectorError),
        )
    return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
