"""Reading one HTTP reply: ``data``, or the typed error it stands for.

Every way a reply can be wrong ends here as a ``MultiMarketsError``: a failure envelope maps
to the error class of its code (``errors``), a redirect to ``RedirectError``, anything that is
not a usable envelope (HTML, truncated or non-JSON bytes, invalid UTF-8, absurd nesting, the
wrong shape) to ``UndecodableResponseError`` naming the operation, status and trace. A
failure on the wire maps to a ``TransportError``.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar, cast

import aiohttp
import msgspec

from ._dialect import Failure
from ._operation import Operation
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    RateLimitError,
    RedirectError,
    TransportError,
    UndecodableResponseError,
    error_class_for_code,
)

if TYPE_CHECKING:
    from ._secure import Sealer

T = TypeVar("T")

log = logging.getLogger("multimarkets_async")

_string = msgspec.json.Decoder(str)

UNREADABLE = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)
"""What decoding hostile bytes can raise (msgspec raises the last two as they are)."""


def decode(
    operation: Operation[T],
    status: int,
    headers: Mapping[str, str],
    raw: bytes,
    trace: str,
    sealer: Sealer | None = None,
) -> T:
    """``data`` of a successful reply, else the typed error. The typed decoder runs first
    (the fast path); a failure's ``data`` may have any shape, so failures are read again
    with the loose envelope of the operation's dialect. In secure mode (``sealer``), a
    ``data`` that came encrypted is opened and then decoded."""
    dialect = operation.dialect
    if 300 <= status < 400:
        raise RedirectError(
            biz_type=operation.biz_type,
            http_status=status,
            location=headers.get("Location"),
            trace=trace,
        )
    reason = ""
    if status == 200:
        try:
            envelope = operation.decoder.decode(raw)
        except UNREADABLE as exc:
            reason = _why(exc)
        else:
            failure = dialect.verdict(envelope)
            if failure is None:
                if sealer is not None:
                    return _opened(operation, envelope.data, sealer, trace)
                return cast(T, envelope.data)
            raise _api_error(operation, status, headers, trace, failure)
    try:
        loose: Any = dialect.loose.decode(raw)
    except UNREADABLE as exc:
        loose = None
        reason = reason or _why(exc)
    recognised = loose is not None and dialect.recognised(loose)
    failure = dialect.verdict(loose) if recognised else None
    if status == 429:
        raise _api_error(operation, status, headers, trace, failure or Failure("HTTP_429"))
    if failure is not None:
        raise _api_error(operation, status, headers, trace, failure)
    if recognised and status == 200 and sealer is not None and _sealed(loose.data, sealer):
        # The typed decoder met a string where it wanted something else: it must open.
        return _unseal(operation, loose.data, sealer, trace)
    if recognised and status == 200:
        reason = f"data does not match the expected shape: {reason}"
    elif recognised:
        reason = "success envelope with a non-200 status"
    elif not reason:
        reason = "not a JSON envelope"
    if status in (404, 405) or (status == 200 and raw.lstrip()[:1] == b"<"):
        # No such path, or a web page where the API should be: most likely not the API's URL.
        reason += "; check base_url (it should end in /openapi-b)"
    raise UndecodableResponseError(
        reason,
        biz_type=operation.biz_type,
        http_status=status,
        trace=trace,
        body=_quotable(operation, raw),
    )


def _sealed(data: Any, sealer: Sealer) -> TypeGuard[str]:
    return isinstance(data, str) and sealer.is_sealed(data)


def _opened(operation: Operation[T], data: Any, sealer: Sealer, trace: str) -> T:
    """A ``data`` the typed decoder accepted (a string, or raw JSON, where the operation
    allows one): the content it holds if it is sealed and opens with the key, else itself
    (a string that only looks sealed is a string)."""
    text = data
    if isinstance(data, msgspec.Raw) and memoryview(data)[:1].tobytes() == b'"':
        text = _string.decode(data)
    if not _sealed(text, sealer):
        return cast(T, data)
    try:
        plain = sealer.open(text)
    except ValueError:
        log.debug("%s: data looks encrypted but does not open; kept as it is", operation.biz_type)
        return cast(T, data)
    return _decode_opened(operation, plain, trace)


def _unseal(operation: Operation[T], data: str, sealer: Sealer, trace: str) -> T:
    """The ``data`` a sealed reply holds, decoded, or ``UndecodableResponseError``."""
    try:
        plain = sealer.open(data)
    except ValueError as exc:
        raise _unopened(operation, trace, str(exc)) from None
    return _decode_opened(operation, plain, trace)


def _decode_opened(operation: Operation[T], plain: bytes, trace: str) -> T:
    try:
        return cast(T, operation.data_decoder.decode(plain))
    except UNREADABLE as exc:
        raise _unopened(
            operation, trace, f"the decrypted data cannot be read: {_why(exc)}"
        ) from None


def _unopened(operation: Operation[Any], trace: str, reason: str) -> UndecodableResponseError:
    return UndecodableResponseError(
        reason, biz_type=operation.biz_type, http_status=200, trace=trace, body=WITHHELD
    )


def unreadable(
    operation: Operation[Any], raw: bytes | msgspec.Raw, trace: str, exc: Exception
) -> Exception:
    """The error for a successful reply whose content cannot be used (e.g. a login reply
    without a token)."""
    return UndecodableResponseError(
        _why(exc),
        biz_type=operation.biz_type,
        http_status=200,
        trace=trace,
        body=_quotable(operation, bytes(raw)),
    )


WITHHELD = b"(withheld: this reply may hold secrets)"


def _quotable(operation: Operation[Any], raw: bytes) -> bytes:
    """What an error may quote of a reply's body."""
    return WITHHELD if operation.secret_reply and raw else raw


def _why(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply to decode"
    if isinstance(exc, UnicodeDecodeError):
        return "not valid UTF-8"
    return str(exc)


def _api_error(
    operation: Operation[Any],
    status: int,
    headers: Mapping[str, str],
    trace: str,
    failure: Failure,
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
        error.retry_after = retry_after(headers)
    return error


def transport_error(exc: BaseException, biz_type: str, trace: str) -> TransportError | None:
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


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds a ``Retry-After`` header asks for (``inf`` for absurd values), or None."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    if math.isnan(seconds):
        return math.inf
    return max(0.0, seconds)
