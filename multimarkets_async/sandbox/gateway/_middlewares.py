"""The gateway's aiohttp middlewares, outermost first (``MIDDLEWARES``).

Each applies to the routes it names and passes other requests through. Handlers below them
answer a call's ``data`` as JSON (``web.Response``); the envelope middlewares wrap it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from .._config import SandboxConfig
from .._failure import ApiFailure
from .._faults import PAGE_FAULTS, FaultKind
from ..routes import ROUTES
from ._checks import (
    MarketRefusal,
    check_headers,
    decode_body,
    quirky,
    read_body,
    read_market_query,
    requested_page,
)
from ._context import GATEWAY, Route, call_of, start_call
from ._replies import (
    RATE_LIMITED,
    encode,
    failure,
    fault_after,
    fault_before,
    json_reply,
    market_reply,
    success,
)
from ._secure import seal_reply

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def data_of(response: web.StreamResponse) -> bytes:
    """The encoded JSON a handler below the envelope answered."""
    body = response.body if isinstance(response, web.Response) else None
    if not isinstance(body, bytes):
        raise TypeError("a handler below the envelope must answer encoded JSON")
    return body


async def _lag(config: SandboxConfig) -> None:
    if config.latency > 0:
        await asyncio.sleep(config.latency)


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count calls, HTTP statuses and requests in flight, business calls and market data alike."""
    call = start_call(request)
    if call is None:
        return await handler(request)
    seen = request.app[GATEWAY].seen
    seen.in_flight += 1
    seen.max_in_flight = max(seen.max_in_flight, seen.in_flight)
    try:
        seen.calls[call.key] += 1
        seen.last_headers[call.key] = request.headers  # read-only: kept, not copied
        if call.trace:
            seen.traces.append(call.trace)
        response = await handler(request)
        seen.answered(call.key, response.status)
        return response
    finally:
        seen.in_flight -= 1


@web.middleware
async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the call its fault (scripted first, else drawn at random); act out early ones."""
    call = call_of(request)
    if call is None:
        return await handler(request)
    gateway = request.app[GATEWAY]
    fault = gateway.faults.take(call.key, call.is_auth, call.paged)
    call.fault = fault = fault or gateway.chaos.draw(call.is_auth)
    if fault is not None:
        early = await fault_before(request, gateway, call, fault)
        if early is not None:
            return early
    return await handler(request)


@web.middleware
async def rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Business calls: the limit per company and endpoint, with the gateway's headers."""
    call, limiter = call_of(request), request.app[GATEWAY].limiter
    if call is None or call.route is not Route.API or limiter is None:
        return await handler(request)
    verdict = limiter.hit(f"{request.headers.get('companyId')}|{call.key}")
    call.headers.update(verdict.headers())
    if not verdict.allowed:
        return json_reply(failure(call, RATE_LIMITED), 429, call.headers)
    return await handler(request)


@web.middleware
async def api_envelope(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Business calls: the vendor envelope, for a reply (sealed for a secure call when the config
    says so), a failure or a fault's code; then the faults that strike a reply (cut short,
    dropped, reset)."""
    call = call_of(request)
    if call is None or call.route is not Route.API:
        return await handler(request)
    gateway = request.app[GATEWAY]
    await _lag(gateway.config)
    fault = call.fault
    if fault is not None and fault.kind is FaultKind.CODE:
        return json_reply(failure(call, fault.code, call.key), fault.status or 200, call.headers)
    try:
        response = await handler(request)
    except ApiFailure as exc:
        return json_reply(failure(call, exc.code, exc.data, exc.msg_params), 200, call.headers)
    data = data_of(response)
    if call.secure and gateway.config.seal_replies:
        data = encode(seal_reply(data, gateway.keys))
    body = success(call, data)
    late = None if fault is None else await fault_after(request, call, fault, body)
    return late if late is not None else json_reply(body, 200, call.headers)


def _ret(code: str, otherwise: int) -> int:
    """A vendor code as market data's ``ret`` (``otherwise`` when it is not a number)."""
    return int(code) if code.isdigit() else otherwise


@web.middleware
async def market_envelope(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Market data: the feed's checks and its reply ``{ret, msg, trace, data}``."""
    call = call_of(request)
    if call is None or call.route is not Route.MARKET:
        return await handler(request)
    await _lag(request.app[GATEWAY].config)
    fault = call.fault
    if fault is not None and fault.kind is FaultKind.CODE:
        return market_reply(_ret(fault.code, 500), "error")
    call.handler = request.app[ROUTES].market.get(request.match_info["name"])
    if call.handler is None:
        return market_reply(202, "unknown request")
    trace = None
    try:
        trace, call.body = await read_market_query(request, request.app[GATEWAY])
        response = await handler(request)
    except MarketRefusal as refusal:
        return market_reply(refusal.ret, refusal.msg, refusal.trace)
    except ApiFailure as exc:
        return market_reply(_ret(exc.code, 202), "bad data", trace)
    return market_reply(200, "ok", trace, data_of(response))


@web.middleware
async def check_request(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Business calls: trace, route, headers and token (not for the login), then the body
    (secure requests: opened and verified)."""
    call = call_of(request)
    if call is None or call.route is not Route.API:
        return await handler(request)
    if not call.trace:
        raise ApiFailure("GGATEWAY_CODE_004")
    call.handler = request.app[ROUTES].handler(call.prefix, call.key)
    if call.handler is None:
        raise ApiFailure("GGATEWAY_CODE_002", data=call.key)
    gateway = request.app[GATEWAY]
    if not call.is_auth:
        check_headers(request, gateway, call.key)
    call.body = await read_body(request, gateway, call)
    if call.secure:
        gateway.seen.secure_calls[call.key] += 1
    gateway.seen.last_bodies[call.key] = call.body  # kept, not copied
    return await handler(request)


@web.middleware
async def page_quirks(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Paged listings as a misbehaving server pages them: the config's paging quirks and the
    page faults, the same way for every paged listing."""
    call = call_of(request)
    if call is None or call.route is not Route.API or not call.paged:
        return await handler(request)
    config = request.app[GATEWAY].config
    page_fault = call.fault.kind if call.fault and call.fault.kind in PAGE_FAULTS else None
    if not (quirky(config) or page_fault):
        return await handler(request)
    requested = requested_page(call.body)
    if requested is not None:
        served = 1 if config.ignore_current else config.repeat_pages.get(requested, requested)
        if served != requested:
            call.body = {**call.body, "current": served}
    page = decode_body.decode(data_of(await handler(request)))
    if requested is not None:
        page["current"] = requested
    if config.echo_current is not None:
        page["current"] = config.echo_current
    if config.total_override is not None:
        page["total"] = config.total_override
    if page_fault is FaultKind.EMPTY_PAGE:
        page["records"] = []
    elif page_fault is FaultKind.SHORT_PAGE:
        page["records"] = page["records"][: len(page["records"]) // 2]
    return json_reply(encode(page))


MIDDLEWARES = (
    observe,
    inject_faults,
    rate_limit,
    api_envelope,
    market_envelope,
    check_request,
    page_quirks,
)
"""The gateway, outermost first."""
