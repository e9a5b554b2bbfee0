"""``EventStream``: the Data Push events of one group, typed, de-duplicated and in order,
over a connection that heals itself.

::

    async with client.events(group="crm-sync") as stream:
        async for event in stream:
            ...

``__aenter__`` opens the stream's own task group and starts the background reader in it, then
waits for the first connection (a new group starts at "now": events emitted before it are not
the group's), at most ``connect_deadline`` seconds (then ``EventStreamError``). The reader runs
connection after connection (``_connection.Link``) and puts the events in a bounded memory
stream the consumer's ``async for`` takes them from. Whatever ends a connection (a drop, a
server restart, a stall, a refused handshake) leads to a reconnect after a full-jitter backoff
wait; the consumer sees it only in :attr:`EventStream.stats` and in one info log line per
reconnect. What cannot be healed ends the stream with a typed error, raised by the consumer's
``async for`` once the events received before it are consumed.
"""

from __future__ import annotations

import copy
import logging
import time
import typing
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp
import anyio
import anyio.abc
import anyio.lowlevel
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from yarl import URL

from .. import _validation as check
from .._retry import Retry, may_succeed_again
from ..errors import (
    ClientClosedError,
    EventStreamError,
    GroupConflictError,
    MultiMarketsError,
    ValidationError,
)
from ._connection import (
    CONFLICT_CLOSE_CODE,
    RESTART_CLOSE_CODES,
    RETRYABLE_HANDSHAKE_STATUSES,
    BadAddress,
    ConnectFailed,
    HandshakeRefused,
    Link,
    open_socket,
)
from ._decode import decode_event, dedup_key
from ._dedup import DedupWindow
from ._types import EVENT_TYPES, Event, Unknown

log = logging.getLogger("multimarkets_async")

DEFAULT_RECONNECT = Retry(base=0.5, cap=30.0)
"""Reconnect waits: full jitter, from up to 0.5 s doubling to up to 30 s."""

DEFAULT_BUFFER = 1000
DEFAULT_CONNECT_DEADLINE = 60.0
"""Seconds ``__aenter__`` waits for the first connection when neither ``connect_deadline`` nor
the client's ``Timeout.total`` says."""
MAX_BUFFER = 1_000_000
MAX_DEDUP_WINDOW = 100_000_000
MAX_GROUP = 128
MAX_URL = 2048

QUICK_CLOSE = 5.0
"""A server close this soon after connecting counts towards a suspected group conflict."""
QUICK_CLOSES = 3
"""Server closes in a row, each this quick, taken as another consumer on the same group."""
CLOSE_TIMEOUT = 1.0
"""Seconds a closing connection waits for the server's close frame."""
CHECKPOINT_EVERY = 64
"""Events handed over from the buffer between two yields to the event loop."""
STOP_WAIT = 5.0
"""Seconds a closing client waits for its streams to close their connections."""

TokenSource = Callable[[str | None], Awaitable[str]]
"""Gives a token for the handshake; passed the token the server just refused, a fresh one."""


@dataclass(frozen=True, slots=True)
class StreamHost:
    """What a stream needs from its client."""

    session: Callable[[], aiohttp.ClientSession]
    token: TokenSource
    closed: Callable[[], bool]
    streams: set[EventStream]  # the client's open streams (ended when it closes)
    user_agent: str
    proxy: str | None
    connect_timeout: float


@dataclass(slots=True)
class StreamStats:
    """What an :class:`EventStream` has done so far (``stream.stats`` is a snapshot).

    ``connects``: handshakes that succeeded; ``reconnects``: reconnects started (after a
    drop, a server close or restart, a stall, a refused or failed handshake);
    ``events``: events handed to the consumer; ``duplicates_dropped``: replayed events
    dropped (already delivered); ``filtered``: events dropped by ``types``; ``frames``: frames
    received (events, replays and unknown ones alike; heartbeats aside); ``stalls``:
    connections given up as silent; ``token_renewals``: handshakes refused with HTTP 401
    (each renewed the token once); ``pings_sent`` / ``pongs_received``: heartbeats;
    ``last_event_at``: ``time.time()`` of the latest event handed over;
    ``last_reconnect_reason``: why the latest reconnect happened; ``connected``: whether a
    connection is open now; ``buffered``: events received and waiting for the consumer (at
    most the stream's ``buffer``).
    """

    connects: int = 0
    reconnects: int = 0
    events: int = 0
    duplicates_dropped: int = 0
    filtered: int = 0
    frames: int = 0
    stalls: int = 0
    token_renewals: int = 0
    pings_sent: int = 0
    pongs_received: int = 0
    last_event_at: float | None = None
    last_reconnect_reason: str | None = None
    connected: bool = False
    buffered: int = 0


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """The checked arguments of ``client.events()``."""

    group: str
    url: str
    types: frozenset[type[Any]] | None  # event classes kept (None: every event)
    heartbeat: float
    silence: float
    reconnect: Retry
    max_reconnects: int | None
    dedup_window: int
    buffer: int
    connect_deadline: float  # seconds entering the stream waits for the first connection


# -- argument checks -----------------------------------------------------------------------


def stream_options(
    *,
    group: object,
    url: object,
    types: object,
    heartbeat: object,
    silence: object,
    reconnect: object,
    max_reconnects: object,
    dedup_window: object,
    buffer: object,
    connect_deadline: object = None,
) -> StreamOptions:
    """Check ``client.events()``'s arguments (``ValidationError`` naming the argument)."""
    check.header_text("group", group, max_length=MAX_GROUP)
    assert isinstance(group, str)
    if not isinstance(url, str):
        raise ValidationError("push_url", f"must be a ws:// or wss:// URL, got {url!r}")
    if not url.startswith(("ws://", "wss://")):
        raise ValidationError("push_url", f"must be a ws:// or wss:// URL, got {_shown_url(url)!r}")
    try:
        check.header_text("push_url", url, max_length=MAX_URL)
    except ValidationError:
        raise ValidationError(
            "push_url",
            f"must be 1 to {MAX_URL} visible ASCII characters (no spaces or control characters), "
            f"got {_shown_url(url)!r}",
        ) from None
    try:
        host = URL(url).host
    except (ValueError, TypeError):
        host = None
    if not host:
        raise ValidationError("push_url", f"is not a usable URL: {_shown_url(url)}")
    check.seconds("heartbeat", heartbeat)
    check.seconds("silence", silence)
    assert isinstance(heartbeat, int | float) and isinstance(silence, int | float)
    if silence <= heartbeat:
        raise ValidationError(
            "silence",
            f"must be longer than heartbeat ({heartbeat:g} s): a pong answers each heartbeat, "
            f"got {silence:g}",
        )
    if reconnect is None:
        reconnect = DEFAULT_RECONNECT
    if not isinstance(reconnect, Retry):
        raise ValidationError(
            "reconnect", f"must be mm.Retry(base=..., cap=...), got {reconnect!r}"
        )
    check.optional(check.integer, "max_reconnects", max_reconnects, minimum=0)
    check.integer("dedup_window", dedup_window, minimum=0, maximum=MAX_DEDUP_WINDOW)
    check.integer("buffer", buffer, minimum=1, maximum=MAX_BUFFER)
    deadline = check.seconds("connect_deadline", connect_deadline, optional=True)
    return StreamOptions(
        group=group,
        url=url,
        types=_check_types(types),
        heartbeat=float(heartbeat),
        silence=float(silence),
        reconnect=reconnect,
        max_reconnects=typing.cast("int | None", max_reconnects),
        dedup_window=typing.cast(int, dedup_window),
        buffer=typing.cast(int, buffer),
        connect_deadline=DEFAULT_CONNECT_DEADLINE if deadline is None else float(deadline),
    )


def _check_types(types: object) -> frozenset[type[Any]] | None:
    """``types`` as the event classes kept (``Unknown``: every event of a type this version
    does not know)."""
    if types is None:
        return None
    if isinstance(types, str | type):
        types = [types]
    check.collection("types", types, max_items=1000)
    assert isinstance(types, Collection)
    classes: set[type[Any]] = set()
    for item in types:
        if isinstance(item, str):
            cls = EVENT_TYPES.get(item)
            if cls is None:
                raise ValidationError(
                    "types",
                    f"unknown event type {item!r}: use one of {', '.join(sorted(EVENT_TYPES))}, "
                    "or mm.events.Unknown for types this version does not know",
                )
            classes.add(cls)
        elif item is Unknown or (isinstance(item, type) and item in EVENT_TYPES.values()):
            classes.add(item)
        else:
            raise ValidationError(
                "types", f"must hold event type names or event classes, got {item!r}"
            )
    return frozenset(classes)  # not empty: check.collection wants 1 item or more


def push_url_for(base_url: str) -> str:
    """The push URL of an API base URL: ``ws(s)://`` instead of ``http(s)://``, plus ``/ws``."""
    scheme, _, rest = base_url.partition("://")
    ws = "wss" if scheme == "https" else "ws"
    return f"{ws}://{rest.rstrip('/')}/ws"


def _shown_url(url: str) -> str:
    """``url`` without credentials, query or fragment (never shown), at most 100 characters."""
    try:
        parsed = URL(url)
        if not parsed.absolute:
            raise ValueError(url)
        shown = str(parsed.with_user(None).with_query(None).with_fragment(None))
    except (ValueError, TypeError):
        scheme, separator, rest = url.partition("://")
        if not separator:
            scheme, rest = "", url
        rest = rest.rsplit("@", 1)[-1].split("?", 1)[0].split("#", 1)[0]
        shown = f"{scheme}{separator}{rest}"
    return shown if len(shown) <= 100 else shown[:97] + "..."


# -- the stream ----------------------------------------------------------------------------


class EventStream:
    """The Data Push events of one group: ``async with client.events(group) as stream``, then
    ``async for event in stream``. See :meth:`ManagerClient.events`."""

    def __init__(self, host: StreamHost, options: StreamOptions) -> None:
        self._host = host
        self._options = options
        self._stats = StreamStats()
        self._window = DedupWindow(options.dedup_window)
        self._group: anyio.abc.TaskGroup | None = None
        self._scope = anyio.CancelScope()  # the background reader's
        self._send: MemoryObjectSendStream[Event] | None = None
        self._receive: MemoryObjectReceiveStream[Event] | None = None
        self._ready: anyio.Event | None = None
        self._stopped: anyio.Event | None = None
        self._error: BaseException | None = None
        self._aborted: BaseException | None = None
        self._entered = False
        self._done = False
        self._handed = 0

    def __repr__(self) -> str:
        stats = self._stats
        state = (
            "closed"
            if self._done
            else "connected"
            if stats.connected
            else "connecting"
            if self._entered
            else "not started"
        )
        return (
            f"<EventStream group={self._options.group!r} url={_shown_url(self._options.url)!r} "
            f"{state} events={stats.events} reconnects={stats.reconnects}>"
        )

    @property
    def group(self) -> str:
        """The subscriber group."""
        return self._options.group

    @property
    def url(self) -> str:
        """The push server's websocket URL (credentials and query left out)."""
        return _shown_url(self._options.url)

    @property
    def connect_deadline(self) -> float:
        """Seconds entering the stream waits for the first connection."""
        return self._options.connect_deadline

    @property
    def stats(self) -> StreamStats:
        """A snapshot of what the stream has done so far."""
        stats = copy.copy(self._stats)
        receive = self._receive
        if receive is not None and not self._done:
            stats.buffered = receive.statistics().current_buffer_used
        return stats

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> EventStream:
        if self._entered:
            raise RuntimeError("an EventStream can be entered once; call client.events() again")
        host, group = self._host, self._options.group
        if host.closed():
            raise ClientClosedError("the client is closed")
        if any(other.group == group for other in host.streams):
            raise GroupConflictError(group, detail="this client has a stream of it open already")
        self._entered = True
        self._send, self._receive = anyio.create_memory_object_stream[Event](self._options.buffer)
        self._ready, self._stopped = anyio.Event(), anyio.Event()
        host.streams.add(self)
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._group = task_group
        task_group.start_soon(self._run)
        deadline = self._options.connect_deadline
        try:
            with anyio.move_on_after(deadline):
                await self._ready.wait()  # the first connection, or what stopped it
        except BaseException:
            await self._shut()
            raise
        if not self._ready.is_set():
            reason = self._stats.last_reconnect_reason or "no answer from the push server"
            await self._shut()
            raise EventStreamError(
                f"no connection to the push server within {deadline:g} s; the last attempt: "
                f"{reason}",
                group=group,
            )
        if self._error is not None and self._stats.connects == 0:
            error = self._error
            await self._shut()
            raise error
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._shut()

    async def aclose(self) -> None:
        """Close the connection and stop (what leaving ``async with`` does). It must be
        called by the task that entered the stream."""
        await self._shut()

    async def _shut(self) -> None:
        if self._done:
            return
        self._done = True
        self._scope.cancel()
        task_group, self._group = self._group, None
        try:
            if task_group is not None:
                # The body's exception is not the group's to report (the reader never
                # raises): handed to anyio it would come back wrapped in an ExceptionGroup.
                await task_group.__aexit__(None, None, None)
        finally:
            if self._receive is not None:
                self._receive.close()
            self._host.streams.discard(self)

    def close_for_client(self) -> None:
        """The client is closing: end the stream with ``ClientClosedError``."""
        if self._aborted is None:
            self._aborted = ClientClosedError(
                f"the client was closed while the event stream of group "
                f"{self._options.group!r} was open"
            )
        self._scope.cancel()

    async def wait_stopped(self) -> None:
        """Wait until the background reader has closed its connection."""
        if self._stopped is not None:
            await self._stopped.wait()

    # -- the consumer's side ----------------------------------------------------------------

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        receive = self._receive
        if receive is None:
            raise RuntimeError(
                "use the stream in `async with client.events(group) as stream:` first"
            )
        self._handed += 1
        if self._handed >= CHECKPOINT_EVERY:
            # Let cancellation and other tasks in, before an event is taken: a cancellation
            # here leaves it in the buffer.
            self._handed = 0
            await anyio.lowlevel.checkpoint()
        try:
            try:
                event = receive.receive_nowait()
            except anyio.WouldBlock:
                self._handed = 0
                event = await receive.receive()  # cancellable: then nothing was taken
        except anyio.EndOfStream:
            raise self._end() from None
        except anyio.ClosedResourceError:
            raise StopAsyncIteration from None
        stats = self._stats
        stats.events += 1
        stats.last_event_at = time.time()
        return event

    def _end(self) -> BaseException:
        """What the consumer gets once the reader has stopped and the buffer is empty."""
        return self._error if self._error is not None else StopAsyncIteration()

    # -- the background reader --------------------------------------------------------------

    async def _run(self) -> None:
        assert self._send is not None and self._ready is not None and self._stopped is not None
        error: BaseException | None = None
        try:
            with self._scope:
                await self._connections()
        except Exception as exc:  # MultiMarketsError; or a bug: still end the consumer's loop
            error = exc
        finally:
            self._stats.connected = False
            if self._aborted is not None:
                error = self._aborted
            self._error = error
            if error is not None:
                log.debug(
                    "event stream %r stopped: %s",
                    self._options.group,
                    error,
                    extra={"group": self._options.group, "error": type(error).__name__},
                )
            self._send.close()
            self._ready.set()
            self._stopped.set()

    async def _connections(self) -> None:
        """Connect, run the connection until it ends, wait, reconnect: until the stream is
        closed or something that cannot be healed happens (raised)."""
        host, options, stats = self._host, self._options, self._stats
        assert self._send is not None and self._ready is not None
        group = options.group
        headers = {"group": group, "User-Agent": host.user_agent}
        handle = self._handler()
        waits = options.reconnect.waits()
        failures = 0  # reconnects in a row without a healthy connection
        refusals = 0  # handshakes refused with HTTP 401 since the last connection
        quick_closes = 0
        token: str | None = None
        refused: str | None = None
        limit = max(host.connect_timeout, options.silence)  # for a handshake
        while True:
            if host.closed():
                raise ClientClosedError("the client is closed")
            wait: float | None = None
            try:
                if token is None:
                    token = await host.token(refused)
                    refused = None
                socket = await open_socket(
                    host.session(),
                    options.url,
                    headers=headers | {"token": token},
                    proxy=host.proxy,
                    limit=limit,
                    close_timeout=CLOSE_TIMEOUT,
                )
            except HandshakeRefused as refusal:
                status = refusal.status
                if status == 401:
                    # Renewed (single-flight) before the next handshake: at once the first
                    # time; a fresh token refused again waits its turn like any failure.
                    refusals += 1
                    stats.token_renewals += 1
                    refused, token = token, None
                    reason = "the push server refused the token (HTTP 401): renewing it"
                    if refusals == 1:
                        wait = 0.0
                elif status in RETRYABLE_HANDSHAKE_STATUSES:
                    reason = f"the push server answered the handshake with HTTP {status}"
                else:
                    raise EventStreamError(
                        f"the push server refused the connection with HTTP {status} "
                        f"(check the push URL, {_shown_url(options.url)})",
                        group=group,
                    ) from None
            except BadAddress:
                raise EventStreamError(
                    f"the push URL is not a usable address: {_shown_url(options.url)}",
                    group=group,
                ) from None
            except ConnectFailed as failed:
                reason = f"cannot connect: {failed.reason}"
            except MultiMarketsError as error:  # the login the handshake needed
                if not may_succeed_again(error):
                    raise
                reason = f"logging in failed: {type(error).__name__}"
            else:
                refusals = 0
                stats.connects += 1
                stats.connected = True
                self._ready.set()
                try:
                    ended = await Link(
                        socket,
                        handle=handle,
                        send=self._send,
                        heartbeat=options.heartbeat,
                        silence=options.silence,
                        close_timeout=CLOSE_TIMEOUT,
                        stats=stats,
                    ).run()
                finally:
                    stats.connected = False
                if ended.stalled:
                    stats.stalls += 1
                if ended.by_server and ended.code == CONFLICT_CLOSE_CODE:
                    raise GroupConflictError(
                        group, detail=f"the server closed this connection with code {ended.code}"
                    )
                quick = (
                    ended.by_server
                    and ended.code not in RESTART_CLOSE_CODES
                    and ended.seconds < QUICK_CLOSE
                )
                quick_closes = quick_closes + 1 if quick else 0
                if quick_closes >= QUICK_CLOSES:
                    raise GroupConflictError(
                        group,
                        detail=f"the server closed {quick_closes} connections in a row within "
                        f"{QUICK_CLOSE:g} s of their start",
                    )
                if ended.healthy:
                    waits, failures = options.reconnect.waits(), 0
                reason = ended.reason
            failures += 1
            most = options.max_reconnects
            if most is not None and failures > most:
                raise EventStreamError(
                    f"gave up after {most} reconnects in a row; the last: {reason}", group=group
                )
            if wait is None:
                wait = next(waits)
            stats.reconnects += 1
            stats.last_reconnect_reason = reason
            log.info(
                "event stream %r: %s; reconnecting in %.2f s (reconnect %d)",
                group,
                reason,
                wait,
                stats.reconnects,
                extra={
                    "group": group,
                    "reason": reason,
                    "wait": wait,
                    "reconnect": stats.reconnects,
                },
            )
            await anyio.sleep(wait)

    def _handler(self) -> Callable[[bytes | str], Event | None]:
        """Decode a frame, and return its event unless ``types`` filters it out or it was
        delivered already."""
        options, stats = self._options, self._stats
        classes = options.types
        # An Unknown frame of a kept type (its data did not fit the model) is kept too.
        names = frozenset(cls.event_type for cls in classes or () if cls is not Unknown)
        seen = self._window.seen
        decode, key_of = decode_event, dedup_key

        def handle(frame: bytes | str) -> Event | None:
            event = decode(frame)
            if (
                classes is not None
                and type(event) not in classes
                and not (type(event) is Unknown and event.event_type in names)
            ):
                stats.filtered += 1
                return None
            key = key_of(event)
            if key is not None and seen(key):
                stats.duplicates_dropped += 1
                return None
            return event

        return handle


async def stop_streams(streams: Collection[EventStream]) -> None:
    """End ``streams`` (the client is closing) and wait, a little, for their connections to
    close."""
    for stream in list(streams):
        stream.close_for_client()
    with anyio.CancelScope(shield=True), anyio.move_on_after(STOP_WAIT):
        for stream in list(streams):
            await stream.wait_stopped()
