"""The sandbox's aiohttp application: the routes, behind the gateway's middlewares.

The Data Push websocket (``handlers/push.py``) is a route beside them that the gateway passes
through. The endpoints here only dispatch: the gateway has checked the call and decoded its body, a
handler of the route table answers the ``data``, and the gateway wraps it.
"""

from __future__ import annotations

import msgspec
from aiohttp import web

from .gateway import (
    CALL,
    GATEWAY,
    MIDDLEWARES,
    Call,
    Gateway,
    Route,
    decode_body,
    encode,
    json_reply,
)
from .handlers.push import PushServer
from .routes import API_PATH, CONTROL_PATH, MARKET_PATH, PUSH_PATH, ROUTES, route_table
from .state import Backend
from .state.customers import CHANGE_KINDS

BACKEND = web.AppKey("backend", Backend)


def make_app(backend: Backend, gateway: Gateway, push: PushServer) -> web.Application:
    """The application of one sandbox (``push`` serves the Data Push websocket)."""
    app = web.Application(middlewares=MIDDLEWARES)
    app[GATEWAY] = gateway
    app[ROUTES] = route_table(backend, gateway.keys.advertised_key)
    app[BACKEND] = backend
    app.router.add_get(PUSH_PATH, push.handle, name="push")
    app.router.add_get(MARKET_PATH, endpoint, name=Route.MARKET.value)
    app.router.add_post(API_PATH, endpoint, name=Route.API.value)
    app.router.add_post(CONTROL_PATH, control_endpoint, name="control")
    app.on_shutdown.append(push.on_shutdown)
    app.cleanup_ctx.append(push.churn)
    return app


async def endpoint(request: web.Request) -> web.StreamResponse:
    """A business call, login or market-data request: its handler's data (the gateway has
    found the handler and decoded the body)."""
    call: Call = request[CALL]
    assert call.handler is not None, "the gateway routes every call it passes on"
    data = call.handler(call.body)
    return json_reply(data if isinstance(data, bytes) else encode(data))


async def control_endpoint(request: web.Request) -> web.Response:
    """``POST /_sandbox/customers`` ``{"signUps": n, "deletions": m, "updates": k}``: change
    the data of a running sandbox (``"updateKind"``: ``"login"``, ``"status"`` or
    ``"contact"`` for every update; drawn when absent); answers ``{"signedUp": [...],
    "deleted": [...], "updated": [...], "total": n}``."""
    raw = await request.read()
    try:
        body = decode_body.decode(raw) if raw.strip() else {}
    except msgspec.DecodeError:
        return _bad_request("the body must be a JSON object")
    counts = [body.get("signUps", 0), body.get("deletions", 0), body.get("updates", 0)]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
        return _bad_request("signUps, deletions and updates must be non-negative integers")
    kind = body.get("updateKind")
    if kind is not None and kind not in CHANGE_KINDS:
        return _bad_request(f"updateKind must be one of {', '.join(CHANGE_KINDS)}")
    backend = request.app[BACKEND]
    deleted = backend.delete_customers(counts[1])
    updated = backend.update_customers(counts[2], kind=kind)
    signed_up = backend.sign_up(counts[0])
    total = len(backend.store)
    return web.json_response(
        {"signedUp": signed_up, "deleted": deleted, "updated": updated, "total": total}
    )


def _bad_request(error: str) -> web.Response:
    """A refused control request: 400 and why."""
    return web.json_response({"error": error}, status=400)
