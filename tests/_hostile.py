"""Small raw aiohttp servers that misbehave on purpose, for what the sandbox should not learn.

``serve(handler)`` answers the login correctly (unless given ``auth=``) and every other call
with ``handler``; it records each request it gets. Servers listen on 127.0.0.1 and shut down
at once, abandoning handlers that never answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import msgspec
from _operations import AUTH
from aiohttp import web

TOKEN = "hostile-token-1"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Seen:
    """One request a server got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    url: str  # http://127.0.0.1:port
    requests: list[Seen] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.url + "/openapi-b"

    def credentials(self, **extra: Any) -> dict[str, Any]:
        return {
            "app_id": "hostile-app",
            "app_secret": "hostile-secret-value",
            "company_id": 1,
            "base_url": self.base_url,
            **extra,
        }

    def calls(self, name: str) -> int:
        return sum(1 for seen in self.requests if seen.path.endswith(name))


def envelope(data: Any = None, code: str = "0", msg: str = "ok") -> bytes:
    return msgspec.json.encode(
        {"code": code, "msg": msg, "ok": code == "0", "fail": code != "0", "data": data}
    )


def json_reply(
    body: bytes, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(body=body, status=status, headers=headers, content_type="application/json")


async def good_login(request: web.Request) -> web.StreamResponse:
    return json_reply(envelope({"token": TOKEN, "id": 1, "name": "Hostile Ltd"}))


async def ok(request: web.Request) -> web.StreamResponse:
    return json_reply(envelope([]))


@asynccontextmanager
async def serve(handler: Handler = ok, *, auth: Handler = good_login) -> AsyncIterator[Server]:
    server = Server(url="")

    async def route(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        server.requests.append(Seen(request.method, request.path, dict(request.headers), body))
        if request.path.endswith(AUTH):
            return await auth(request)
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", route)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    sockets = runner.addresses
    server.url = f"http://127.0.0.1:{sockets[0][1]}"
    try:
        yield server
    finally:
        await runner.cleanup()
