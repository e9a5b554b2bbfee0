"""The replies the gateway writes: the vendor envelope, market-data replies, a proxy's HTML
error page, and faulty replies (cut short, dropped, reset)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec
from aiohttp import web

from ..._vendor import error_messages
from .._faults import Fault, FaultKind
from ._context import Call, Gateway
from ._ratelimit import rate_limit_headers

RATE_LIMITED = "GGATEWAY_CODE_018"
_HTML_REASONS = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}

encode = msgspec.json.encode


def _envelope(
    call: Call, code: str, data: bytes, *, ok: bool, biz_code: str, msg_params: str | None
) -> bytes:
    reply = {
        "code": code,
        "msg": "Success" if ok else error_messages().get(code) or "System error",
        "ok": ok,
        "fail": not ok,
        "data": msgspec.Raw(data),
        "trace": call.trace,
        "bizCode": biz_code,
        "tm": int((time.perf_counter() - call.started) * 1000),
        "msgParams": msg_params,
    }
    return encode(reply)


def success(call: Call, data: bytes) -> bytes:
    """The success envelope around ``data`` (encoded JSON)."""
    return _envelope(call, "0", data, ok=True, biz_code=call.biz_code, msg_params=None)


def failure(call: Call, code: str, data: Any = None, msg_params: str | None = None) -> bytes:
    """A failure envelope with the vendor's message for ``code``."""
    return _envelope(call, code, encode(data), ok=False, biz_code="", msg_params=msg_params)


def json_reply(
    body: bytes, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON reply of ``body`` (already encoded)."""
    return web.Response(body=body, status=status, headers=headers, content_type="application/json")


def market_reply(ret: int, msg: str, trace: Any = None, data: bytes = b"null") -> web.Response:
    """A market-data reply ``{ret, msg, trace, data}`` (``data`` encoded)."""
    reply = {"ret": ret, "msg": msg, "trace": trace, "data": msgspec.Raw(data)}
    return json_reply(encode(reply))


def html_error(status: int) -> web.Response:
    """An error page like the ones a reverse proxy in front of the API serves."""
    title = f"{status} {_HTML_REASONS.get(status, 'Error')}"
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return web.Response(body=page.encode(), status=status, content_type="text/html")


def _abort(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


def drop(request: web.Request) -> web.StreamResponse:
    """Close the connection without a reply."""
    _abort(request)
    raise asyncio.CancelledError  # aiohttp ends the handler quietly on a lost connection


async def fault_before(
    request: web.Request, gateway: Gateway, call: Call, fault: Fault
) -> web.StreamResponse | None:
    """Act out a fault that strikes before the call is handled; its reply, if it ends the call."""
    kind = fault.kind
    if kind is FaultKind.EXPIRE_TOKENS:
        gateway.tokens.expire_all()
    elif kind is FaultKind.DELAY:
        await asyncio.sleep(fault.delay)
    elif kind is FaultKind.HTML:
        return html_error(fault.status or 502)
    elif kind is FaultKind.DISCONNECT:
        return drop(request)
    elif kind is FaultKind.RATE_LIMIT:
        # Consistent with the limiter when there is one; otherwise a window that ends when
        # Retry-After says.
        config = gateway.config
        retry_after = fault.delay or 1.0
        window = config.rate_window if config.rate_limit is not None else retry_after
        headers = rate_limit_headers(config.rate_limit or 60, 0, window, retry_after)
        return json_reply(failure(call, RATE_LIMITED), 429, headers)
    return None


async def fault_after(
    request: web.Request, call: Call, fault: Fault, body: bytes
) -> web.StreamResponse | None:
    """Act out a fault that strikes a successful reply ``body``; the reply, if it changes."""
    kind = fault.kind
    if kind is FaultKind.TRUNCATED:
        return json_reply(body[: max(1, len(body) // 2)], fault.status or 200, call.headers)
    if kind is FaultKind.COMMIT_THEN_DISCONNECT:
        return drop(request)
    if kind is FaultKind.RESET:
        response = web.StreamResponse(status=200, headers=call.headers)
        response.content_type = "application/json"
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[: len(body) // 2])
        _abort(request)
        return response
    return None
