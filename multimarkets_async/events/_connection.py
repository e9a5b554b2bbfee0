"""One websocket connection to the push server: the handshake, the reader and the heartbeat.

``open_socket`` makes the handshake (headers ``token`` and ``group``) and reports a refusal
(``HandshakeRefused`` with the HTTP status) or a failure to connect (``ConnectFailed``) apart.
A ``Link`` then runs the connection until it ends, and says how (``Ended``):

* the reader takes frames off the socket and hands each to ``handle`` (decode, filter,
  de-duplicate) and the events it returns to the bounded ``send`` stream. When that stream is
  full the reader waits, so it stops taking frames off the socket and aiohttp's flow control
  pauses the transport: what the server has queued stays queued on its side.
* the keeper sends the text frame ``ping`` every ``heartbeat`` seconds (the server
  answers with a protocol pong) and declares the connection dead when neither a pong nor any
  other frame arrived for ``silence`` seconds, except while the reader waits for room in the
  stream: a slow consumer does not make a connection look dead (nor does an event loop
  blocked for a while by CPU-bound work: the keeper then asks again before giving up).

The socket is opened with ``autoping=False``: with aiohttp's autoping a PONG never reaches
``receive()`` (it is swallowed), and the pongs are what tells a live connection from a
stalled one. Pings from the server are answered here instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import anyio
from anyio.streams.memory import MemoryObjectSendStream

if TYPE_CHECKING:
    from ._stream import StreamStats

    WebSocket = aiohttp.ClientWebSocketResponse[Any]

PING = "ping"
"""The application-level heartbeat frame."""

CONFLICT_CLOSE_CODE = 4001
"""Close code of a connection kicked out by a newer connection of the same group."""

RESTART_CLOSE_CODES = frozenset({1001, 1012, 1013})
"""Close codes of a server going away or restarting: reconnect, never a group conflict."""

RETRYABLE_HANDSHAKE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
"""Handshake answers worth trying again later (401 is handled apart: a fresh token)."""

OVERSLEPT = 0.25
"""A keeper waking this share of ``silence`` late finds the event loop was blocked: silence
counts again from half the limit, not from the last frame."""

MAX_FRAME_BYTES = 4 * 1024 * 1024
"""Largest frame accepted (aiohttp's default); a bigger one ends the connection."""

_HEARTBEAT_FRAMES = frozenset({b"ping", b"pong", "ping", "pong"})

# aiohttp 3.14 can hand TEXT frames over as bytes (no UTF-8 decoding: msgspec reads bytes).
_DECODE_TEXT = "decode_text" in inspect.signature(aiohttp.ClientSession.ws_connect).parameters


class HandshakeRefused(Exception):
    """The push server answered the handshake with HTTP ``status`` instead of 101."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class BadAddress(Exception):
    """The push URL cannot be connected to at all (malformed)."""


class ConnectFailed(Exception):
    """No connection could be made (refused, reset, timed out); ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def open_socket(
    session: aiohttp.ClientSession,
    url: str,
    *,
    headers: dict[str, str],
    proxy: str | None,
    limit: float,
    close_timeout: float,
) -> WebSocket:
    """Make the handshake; ``limit`` seconds bound it (connection and answer)."""
    options: dict[str, Any] = {"decode_text": False} if _DECODE_TEXT else {}
    if hasattr(aiohttp, "ClientWSTimeout"):
        options["timeout"] = aiohttp.ClientWSTimeout(ws_receive=None, ws_close=close_timeout)
    else:  # pragma: no cover - older aiohttp: a number, the close timeout
        options["timeout"] = close_timeout
    try:
        with anyio.fail_after(limit):
            socket: WebSocket = await session.ws_connect(
                url,
                headers=headers,
                autoping=False,
                autoclose=True,
                heartbeat=None,
                max_msg_size=MAX_FRAME_BYTES,
                proxy=proxy,
                **options,
            )
            return socket
    except aiohttp.WSServerHandshakeError as exc:
        raise HandshakeRefused(exc.status) from None
    except (aiohttp.InvalidURL, ValueError):
        raise BadAddress() from None
    except (TimeoutError, asyncio.TimeoutError):
        raise ConnectFailed(f"no handshake answer within {limit:g} s") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise ConnectFailed(_failure_text(exc)) from None


def _failure_text(exc: BaseException) -> str:
    """What went wrong, without anything from the request (its headers hold the token)."""
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"{type(exc).__name__}: HTTP {exc.status}"
    if isinstance(exc, aiohttp.ClientConnectorError | OSError):
        return f"{type(exc).__name__}: {exc}"
    return type(exc).__name__


@dataclass(slots=True)
class Ended:
    """How a connection ended."""

    reason: str
    code: int | None = None  # the close code of a close frame from the server
    by_server: bool = False  # the server closed it with a close frame
    stalled: bool = False  # no pong and no data for `silence` seconds
    healthy: bool = False  # at least one frame or pong arrived
    seconds: float = 0.0  # how long it lasted


class Link:
    """Runs one open connection until it ends; see the module's docstring."""

    def __init__(
        self,
        socket: WebSocket,
        *,
        handle: Callable[[bytes | str], Any],
        send: MemoryObjectSendStream[Any],
        heartbeat: float,
        silence: float,
        close_timeout: float,
        stats: StreamStats,
    ) -> None:
        self._socket = socket
        self._handle = handle
        self._send = send
        self._heartbeat = heartbeat
        self._silence = silence
        self._close_timeout = close_timeout
        self._stats = stats  # the stream's: frames, pings_sent, pongs_received counted here
        self._last = time.monotonic()  # when the last frame or pong arrived
        self._blocked = False  # the reader waits for room in the stream
        self._heard = False

    async def run(self) -> Ended:
        started = self._last = time.monotonic()
        ended: Ended | None = None
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._keep, group.cancel_scope)
                ended = await self._read()
                group.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await self._close()
        if ended is None:  # the keeper found the connection dead and cancelled the reader
            ended = Ended(f"no pong and no data for {self._silence:g} s", stalled=True)
        ended.healthy = self._heard
        ended.seconds = time.monotonic() - started
        return ended

    async def _read(self) -> Ended:
        socket, handle, stats = self._socket, self._handle, self._stats
        send_nowait, send = self._send.send_nowait, self._send.send
        monotonic = time.monotonic
        text, binary = aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY
        while True:
            message = await socket.receive()
            kind = message.type
            if kind is text or kind is binary:
                self._last = monotonic()
                self._heard = True
                frame = message.data
                if len(frame) <= 4 and frame in _HEARTBEAT_FRAMES:
                    continue  # a heartbeat answered as text: not an event
                stats.frames += 1
                event = handle(frame)
                if event is None:
                    continue
                # The stream is closed only once this reader has stopped (its receiving end
                # by the stream's close, after cancelling and awaiting the reader; its sending
                # end when the reader has returned): neither can fail with Broken- or
                # ClosedResourceError. If one ever did, it would end the stream (terminal),
                # from either call alike, rather than lead to a reconnect.
                try:
                    send_nowait(event)
                except anyio.WouldBlock:
                    # The consumer is behind: wait for room without reading the socket (the
                    # transport pauses), and without counting the wait as silence.
                    self._blocked = True
                    try:
                        await send(event)
                    finally:
                        self._blocked = False
                        self._last = monotonic()
            elif kind is aiohttp.WSMsgType.PONG:
                self._last = monotonic()
                self._heard = True
                stats.pongs_received += 1
            elif kind is aiohttp.WSMsgType.PING:
                self._last = monotonic()
                self._heard = True
                # A failure means the connection is going: the next receive says so.
                with contextlib.suppress(aiohttp.ClientError, ConnectionError):
                    await socket.pong(message.data)
            elif kind is aiohttp.WSMsgType.CLOSE:
                code = message.data if isinstance(message.data, int) else socket.close_code
                extra = f": {message.extra}" if message.extra else ""
                return Ended(
                    f"the server closed the connection (code {code}{extra})",
                    code=code,
                    by_server=True,
                )
            elif kind is aiohttp.WSMsgType.ERROR:
                return Ended(f"the connection failed ({type(message.data).__name__})")
            else:  # CLOSED, CLOSING: the transport went away without a close frame
                return Ended("the connection dropped")

    async def _keep(self, reader: anyio.CancelScope) -> None:
        """Send heartbeats; end the connection when it has been silent too long."""
        socket, stats = self._socket, self._stats
        heartbeat, silence = self._heartbeat, self._silence
        monotonic = time.monotonic
        next_ping = due = self._last  # the connection's start: the keeper is due then
        while True:
            now = monotonic()
            if now - due > OVERSLEPT * silence:
                # The event loop was blocked (by CPU-bound work somewhere): frames and pongs
                # may be waiting unread. Ask again and give the reader a fair chance.
                self._last = max(self._last, now - silence / 2)
                next_ping = now
            if not self._blocked and now - self._last >= silence:
                reader.cancel()
                return
            if now >= next_ping:
                with anyio.move_on_after(silence):
                    try:
                        await socket.send_str(PING)
                        stats.pings_sent += 1
                    except (aiohttp.ClientError, ConnectionError, RuntimeError):
                        pass  # the connection is going: the reader will see it end
                now = monotonic()
                next_ping = now + heartbeat
            due = next_ping if self._blocked else min(next_ping, self._last + silence)
            due = max(due, now + 0.001)
            await anyio.sleep(due - now)

    async def _close(self) -> None:
        """Close the socket: a close frame when it is still open, at most ``close_timeout``
        seconds waiting for the server's answer."""
        with (
            anyio.move_on_after(self._close_timeout),
            contextlib.suppress(aiohttp.ClientError, OSError, RuntimeError),
        ):
            await self._socket.close()
