"""Data Push: the websocket at ``{base}/ws`` that streams the feed's frames to subscriber groups.

The handshake needs a live ``token`` header (else HTTP 401 before upgrading); the optional
``group`` header names the subscriber (default ``"default"``). One live connection per group:
a newer one closes the older with code 4001. Each connection has two tasks: the handler reads
(answering the text ``ping`` with a protocol pong) while a sender writes the group's
queued frames in order, each removed from the queue once written (aiohttp drains, so a slow
client holds the sender back and the queue grows instead). The sender also acts out the
feed faults: a cut after N frames, a stall, a close (kick, restart, shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from .._faults import FeedFaults
from ..state import Backend
from ..state.feed import Group

DEFAULT_GROUP = "default"
KICK_CODE = 4001  # a newer connection of the same group took over
GOING_AWAY = 1001  # the server restarts or stops
CLOSE_TIMEOUT = 1.0  # seconds a closing server waits for the client's close frame
CHURN_TICK = 0.05  # seconds between the background churn's batches
_ENDED = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)


@dataclass(eq=False)
class Connection:
    """One accepted websocket of a group."""

    ws: web.WebSocketResponse
    group: Group
    number: int  # the group's handshake number
    transport: asyncio.BaseTransport | None
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # frames, or a change
    control: asyncio.Event = field(default_factory=asyncio.Event)  # closing: stop pausing
    stalled_until: float | None = None  # monotonic seconds; math.inf: until replaced
    close_code: int | None = None
    close_message: str = ""

    def stall(self, seconds: float | None) -> None:
        """Stall from now for ``seconds`` (None: until the connection is replaced)."""
        self.stalled_until = math.inf if seconds is None else time.monotonic() + seconds

    @property
    def stalled(self) -> bool:
        """Whether the connection neither answers pings nor sends now."""
        until = self.stalled_until
        return until is not None and until > time.monotonic() and self.close_code is None

    def request_close(self, code: int, message: str) -> None:
        """Have the sender close the websocket (``code``, ``message``)."""
        if self.close_code is None:
            self.close_code, self.close_message = code, message
        self.control.set()
        self.wake.set()

    async def pause(self) -> None:
        """Wait while stalled (until the stall ends or the connection is to close)."""
        while self.stalled:
            remaining = None if self.stalled_until == math.inf else self.stalled_until
            if remaining is not None:
                remaining = max(0.0, remaining - time.monotonic())
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.control.wait(), remaining)


class PushServer:
    """The Data Push endpoint of one sandbox: connections, feed faults, observations."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.log = backend.feed.log
        self.faults = FeedFaults()
        self.live: dict[str, Connection] = {}  # the live connection of each group
        self.open: set[Connection] = set()  # every connection not yet finished
        self.pongs: Counter[str] = Counter()  # pings answered, per group
        self._all_done: asyncio.Event | None = None  # set once a closing server has no more
        self.log.on_publish = self.poke

    def poke(self) -> None:
        """Wake every sender (new frames, or a fault to act on)."""
        for conn in self.open:
            conn.wake.set()

    def close_all(self, code: int = GOING_AWAY, message: str = "going away") -> None:
        """Have every connection closed (``code``), as a restarting server does."""
        for conn in list(self.open):
            conn.request_close(code, message)

    def stall(self, seconds: float | None, group: str | None) -> None:
        """Stall the live connections (of ``group``); with none live, the next one."""
        targets = [c for name, c in self.live.items() if group in (None, name)]
        if not targets:
            self.faults.stall_next(seconds, group)  # its clock starts at the accept
        for conn in targets:
            conn.stall(seconds)

    def kick(self, group: str) -> bool:
        """Close ``group``'s live connection as a newer one would; whether there was one."""
        conn = self.live.get(group)
        if conn is not None:
            conn.request_close(KICK_CODE, f"kicked out: another connection of group {group}")
        return conn is not None

    # -- the endpoint ---------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``GET {base}/ws``: check the handshake, then serve the group until it closes."""
        refusal = self.faults.take_refusal()
        if refusal is not None:
            return web.Response(status=refusal, text="handshake refused")
        if not self.backend.tokens.live(request.headers.get("token")):
            return web.Response(status=401, text="invalid or expired token")
        ws = web.WebSocketResponse(autoping=True, timeout=CLOSE_TIMEOUT)
        await ws.prepare(request)
        conn = self._accept(ws, request.headers.get("group") or DEFAULT_GROUP, request.transport)
        sender = asyncio.create_task(self._send(conn))
        try:
            await self._read(conn)
        finally:
            await self._finish(conn, sender)
        return ws

    def _accept(
        self, ws: web.WebSocketResponse, name: str, transport: asyncio.BaseTransport | None
    ) -> Connection:
        returning = name in self.log.groups
        group = self.log.join(name)
        if returning:
            group.rewind(self.faults.take_replay(name))
        conn = Connection(ws, group, group.handshakes, transport)
        stall = self.faults.take_stall(name)
        if stall is not None:
            conn.stall(stall.seconds)
        older = self.live.get(name)
        self.live[name] = conn
        self.open.add(conn)
        if older is not None:
            older.request_close(KICK_CODE, f"kicked out: another connection of group {name}")
        conn.wake.set()
        return conn

    async def _read(self, conn: Connection) -> None:
        ws, name = conn.ws, conn.group.name
        while True:
            await conn.pause()
            if conn.close_code is not None:
                return
            msg = await ws.receive()
            if msg.type in _ENDED:
                return
            if msg.type is WSMsgType.TEXT and msg.data.strip() == "ping" and not conn.stalled:
                await ws.pong()
                self.pongs[name] += 1

    async def _send(self, conn: Connection) -> None:
        ws, group, frames, faults = conn.ws, conn.group, self.log.frames, self.faults
        try:
            while conn.close_code is None:
                if faults.drop_due(group.name):
                    return self._cut(conn)
                if conn.stalled:
                    await conn.pause()
                    continue
                conn.wake.clear()
                if group.cursor >= len(frames) or self.live.get(group.name) is not conn:
                    await conn.wake.wait()
                    continue
                await _send_text(ws, frames[group.cursor])
                if self.live.get(group.name) is conn:
                    group.cursor += 1  # written: no longer queued
                if faults.written(group.name):
                    return self._cut(conn)
            await ws.close(code=conn.close_code, message=conn.close_message.encode())
        except ConnectionError:  # the client went away mid-write
            return None

    def _cut(self, conn: Connection) -> None:
        """End the connection without a close frame (what a network failure looks like)."""
        if conn.transport is not None:
            conn.transport.close()

    async def _finish(self, conn: Connection, sender: asyncio.Task[None]) -> None:
        if self.live.get(conn.group.name) is conn:
            del self.live[conn.group.name]
        if conn.close_code is None:
            sender.cancel()
        try:
            await asyncio.wait([sender])
        finally:
            self.open.discard(conn)
            if not self.open and self._all_done is not None:
                self._all_done.set()
            if not sender.done():
                sender.cancel()
        if not sender.cancelled():
            sender.result()

    # -- lifecycle ------------------------------------------------------------------------

    async def on_shutdown(self, _app: web.Application) -> None:
        """Close every websocket (1001) and give them a short while to finish."""
        self.close_all()
        if self.open:
            self._all_done = asyncio.Event()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._all_done.wait(), CLOSE_TIMEOUT)

    async def churn(self, _app: web.Application) -> AsyncIterator[None]:
        """Run the background churn (``events_per_second``) while the application runs."""
        task = asyncio.create_task(self._churn())
        yield
        task.cancel()
        await asyncio.wait([task])
        if not task.cancelled():
            task.result()  # the churn failed: say why

    async def _churn(self) -> None:
        feed, config = self.backend.feed, self.backend.config
        budget, last = 0.0, time.monotonic()
        while True:
            await asyncio.sleep(CHURN_TICK)
            now = time.monotonic()
            rate = config.events_per_second
            budget = budget + rate * (now - last) if rate > 0 else 0.0
            last = now
            if budget >= 1:
                count = int(budget)
                budget -= count
                feed.emit(count)


if hasattr(web.WebSocketResponse, "send_frame"):  # aiohttp 3.11+: send the encoded frame as is

    async def _send_text(ws: web.WebSocketResponse, frame: bytes) -> None:
        """Send an encoded text frame."""
        await ws.send_frame(frame, WSMsgType.TEXT)

else:  # older aiohttp: decoded

    async def _send_text(ws: web.WebSocketResponse, frame: bytes) -> None:
        """Send an encoded text frame."""
        await ws.send_str(frame.decode())
