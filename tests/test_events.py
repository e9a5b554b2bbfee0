"""Data Push events through ``client.events(group)``, against the sandbox's websocket feed.

The reference for "every event exactly once, in order" is the sandbox's own record of what it
emitted for the group (``sb.feed.emitted(group)``), decoded the way the stream decodes.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest
from _helpers import environment, other_tasks
from _operations import AUTH
from aiohttp import web

import multimarkets_async as mm
from multimarkets_async.events import (
    Deposit,
    EventStream,
    Register,
    StreamStats,
    Unknown,
    decode_event,
)
from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

FAST = mm.Retry(base=0.01, cap=0.05)  # real reconnect backoff, without real waiting
QUICK: dict[str, Any] = {"heartbeat": 0.1, "silence": 0.5, "reconnect": FAST}
CLI = [sys.executable, "-m", "multimarkets_async.cli"]


def _seeds() -> list[int]:
    """``MULTIMARKETS_EVENT_SEEDS``: seeds such as ``1,2,3`` or ranges such as ``0-99``."""
    text = os.environ.get("MULTIMARKETS_EVENT_SEEDS", "").strip()
    if not text:
        return [1, 2, 3]
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        seeds.extend(range(int(low), int(high or low) + 1))
    return seeds


async def until(condition: Callable[[], bool], limit: float = 10.0) -> None:
    """Wait until ``condition()`` holds (fail after ``limit`` seconds)."""
    with anyio.fail_after(limit):
        while not condition():
            await anyio.sleep(0.005)


def stream_tasks() -> list[str]:
    """Client-side tasks still alive (the test's own and the sandbox's aside)."""
    names = [getattr(t.get_coro(), "__qualname__", "") for t in other_tasks()]
    return [n for n in names if not n.startswith(("PushServer.", "TestRunner."))]


def decoded(sb: Sandbox, group: str) -> list[mm.events.Event]:
    return [decode_event(frame) for frame in sb.feed.emitted(group)]


async def collect(stream: EventStream, into: list[mm.events.Event]) -> None:
    async for event in stream:
        into.append(event)


async def take(stream: EventStream, count: int, limit: float = 10.0) -> list[mm.events.Event]:
    got: list[mm.events.Event] = []
    with anyio.fail_after(limit):
        async for event in stream:
            got.append(event)
            if len(got) == count:
                break
    return got


@pytest.fixture
async def other(sandbox: Sandbox) -> AsyncIterator[mm.ManagerClient]:
    """A second client (another process, as far as the server can tell)."""
    async with mm.ManagerClient(**sandbox.credentials(), retry=mm.Retry(base=0.001, cap=0.01)) as c:
        yield c


# -- delivery ------------------------------------------------------------------------------


async def test_events_arrive_typed_and_in_order(sandbox: Sandbox, client: mm.ManagerClient) -> None:
    async with client.events("crm-sync", **QUICK) as stream:
        assert stream.stats.connects == 1 and stream.stats.connected
        sandbox.feed.emit(300)
        got = await take(stream, 300)
    assert got == decoded(sandbox, "crm-sync")
    assert {type(event) for event in got} >= {Register, Deposit}
    stats = stream.stats
    assert isinstance(stats, StreamStats)
    assert (stats.events, stats.frames, stats.reconnects, stats.duplicates_dropped) == (
        300,
        300,
        0,
        0,
    )
    assert stats.last_event_at is not None and abs(stats.last_event_at - time.time()) < 60
    assert not stats.connected


async def test_a_new_group_starts_now_and_a_known_one_resumes(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    async with client.events("resume", **QUICK) as stream:
        sandbox.feed.emit(10)
        first = await take(stream, 10)
    sandbox.feed.emit(15)  # while the group is away: queued for it
    async with client.events("resume", **QUICK) as stream:
        second = await take(stream, 15)
    assert first + second == decoded(sandbox, "resume")


async def test_every_event_exactly_once_through_drops_replays_a_stall_and_expiry(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    group, feed = "crm-sync", sandbox.feed
    got: list[mm.events.Event] = []
    async with client.events(group, **QUICK) as stream, anyio.create_task_group() as tasks:
        tasks.start_soon(collect, stream, got)
        for round_ in range(20):  # forced disconnects, each replaying frames already sent
            connects = stream.stats.connects
            feed.replay(1 + round_ % 7, group)
            feed.drop_after(2 + round_ % 5, group)
            feed.emit(10)
            await until(lambda: stream.stats.connects > connects)  # noqa: B023

        # A stall: no pongs, no frames; the stream notices within its silence limit.
        await until(lambda: len(got) == len(feed.emitted(group)))
        stalled = time.monotonic()
        feed.stall(group=group)
        feed.emit(5)
        await until(lambda: stream.stats.stalls == 1)
        noticed = time.monotonic() - stalled
        assert noticed <= 0.5 * 1.5, f"stall noticed after {noticed:.2f} s"

        # Tokens expire; the next handshake is refused: one renewal, one login.
        await until(lambda: stream.stats.connected)
        logins = sandbox.calls[AUTH]
        sandbox.expire_tokens()
        feed.drop_after(0, group)
        feed.emit(10)
        await until(lambda: stream.stats.token_renewals == 1 and stream.stats.connected)
        feed.emit(10)
        await until(lambda: len(got) == len(feed.emitted(group)))
        await anyio.sleep(0.2)  # nothing more (no late duplicate) arrives
        tasks.cancel_scope.cancel()
    assert sandbox.calls[AUTH] == logins + 1
    assert got == decoded(sandbox, group)
    stats = stream.stats
    assert stats.duplicates_dropped >= sum(1 + r % 7 for r in range(20)) - 7
    assert stats.reconnects >= 22 and stats.stalls == 1 and stats.token_renewals == 1
    assert stats.pings_sent >= stats.pongs_received > 0
    assert stats.events == len(got) == stats.frames - stats.duplicates_dropped


@pytest.mark.parametrize("seed", _seeds())
async def test_randomized_reconnect_scenarios(
    sandbox: Sandbox, client: mm.ManagerClient, seed: int
) -> None:
    rng = random.Random(seed)
    group, feed = f"seeded-{seed}", sandbox.feed
    got: list[mm.events.Event] = []
    async with client.events(group, **QUICK) as stream, anyio.create_task_group() as tasks:
        tasks.start_soon(collect, stream, got)
        for _ in range(30):
            step = rng.choice(
                ["emit", "emit", "drop", "replay", "restart", "refuse", "stall", "expire"]
            )
            if step == "emit":
                feed.emit(rng.randint(1, 40))
            elif step == "drop":
                feed.drop_after(rng.randint(0, 15), group)
            elif step == "replay":
                feed.replay(rng.randint(1, 30), group)
            elif step == "restart":
                feed.restart()
            elif step == "refuse":
                feed.refuse_handshake(rng.randint(1, 3), rng.choice([500, 502, 503, 401]))
            elif step == "stall":
                feed.stall(rng.uniform(0.05, 0.9), group)
            else:
                sandbox.expire_tokens()
            await anyio.sleep(rng.uniform(0, 0.08))
        feed.emit(5)
        await until(lambda: len(got) >= len(feed.emitted(group)), limit=20)
        await anyio.sleep(0.2)
        tasks.cancel_scope.cancel()
    assert got == decoded(sandbox, group), f"seed {seed}: {stream.stats}"


async def test_restarts_are_not_taken_for_a_group_conflict(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    async with client.events("restarts", **QUICK) as stream:
        for n in range(4):
            sandbox.feed.restart()
            await until(lambda: stream.stats.connects == n + 2)  # noqa: B023
        sandbox.feed.emit(3)
        assert await take(stream, 3) == decoded(sandbox, "restarts")
    assert stream.stats.last_reconnect_reason is not None
    assert "1001" in stream.stats.last_reconnect_reason


async def test_a_consumer_cancelled_at_a_checkpoint_loses_no_event(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    # Every 64th event the stream yields to the event loop; a cancellation there must leave
    # the event in the buffer, not drop it.
    async with client.events("checkpoint", **QUICK) as stream:
        sandbox.feed.emit(300)
        await until(lambda: stream.stats.buffered == 300)
        got: list[mm.events.Event] = []
        cancelled = 0
        for _ in range(400):
            with anyio.move_on_after(0) as expired:  # a deadline already past
                got.append(await anext(stream))
            cancelled += expired.cancelled_caught
            if len(got) == 300:
                break
    assert cancelled >= 4
    assert got == decoded(sandbox, "checkpoint")
    assert stream.stats.events == 300


# -- refused handshakes --------------------------------------------------------------------


async def test_a_refused_handshake_is_retried_with_backoff(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    sandbox.feed.refuse_handshake(times=3, status=503)
    async with client.events("refused", **QUICK) as stream:
        stats = stream.stats
        assert (stats.connects, stats.reconnects) == (1, 3)
        assert "503" in (stats.last_reconnect_reason or "")


async def test_a_handshake_refused_for_good_is_a_typed_error(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    sandbox.feed.refuse_handshake(times=1, status=404)
    with pytest.raises(mm.EventStreamError, match="HTTP 404") as info:
        async with client.events("gone", **QUICK):
            pytest.fail("entered")
    assert info.value.group == "gone"


async def test_max_reconnects_bounds_the_attempts(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    sandbox.feed.refuse_handshake(times=10, status=502)
    with pytest.raises(mm.EventStreamError, match="gave up after 2 reconnects"):
        async with client.events("bounded", max_reconnects=2, **QUICK):
            pytest.fail("entered")
    sandbox.feed.clear_faults()


def _refused_url() -> str:
    """A websocket URL on a local port nothing listens on (connections are refused)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"ws://user:hunter2@127.0.0.1:{port}/ws"


async def test_the_first_connection_has_a_deadline(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    started = time.monotonic()
    with pytest.raises(mm.EventStreamError, match=r"within 0\.6 s") as info:
        async with client.events("nowhere", push_url=_refused_url(), connect_deadline=0.6, **QUICK):
            pytest.fail("entered")
    assert 0.5 < time.monotonic() - started < 3
    text = str(info.value)
    assert "cannot connect" in text and info.value.group == "nowhere"
    assert "hunter2" not in text
    assert all(token not in text for token in sandbox.issued_tokens)
    assert stream_tasks() == []


async def test_the_first_connection_deadline_defaults_to_the_total_timeout(
    sandbox: Sandbox,
) -> None:
    settings = sandbox.credentials() | {"timeout": mm.Timeout(total=0.5)}
    async with mm.ManagerClient(**settings) as client:
        assert client.events("g").connect_deadline == 0.5
        with pytest.raises(mm.EventStreamError, match=r"within 0\.5 s"):
            async with client.events("nowhere", push_url=_refused_url(), **QUICK):
                pytest.fail("entered")
    assert mm.ManagerClient(**sandbox.credentials()).events("g").connect_deadline == 60


async def test_refused_credentials_end_the_stream(sandbox: Sandbox) -> None:
    settings = sandbox.credentials() | {"app_secret": "not-the-secret"}
    async with mm.ManagerClient(**settings, max_retries=0) as client:
        with pytest.raises(mm.AuthenticationError):
            async with client.events("nope", **QUICK):
                pytest.fail("entered")


# -- one connection per group --------------------------------------------------------------


async def test_two_consumers_of_one_group_get_a_typed_error(
    sandbox: Sandbox, client: mm.ManagerClient, other: mm.ManagerClient
) -> None:
    async with client.events("shared", **QUICK) as first:
        sandbox.feed.emit(3)
        started = time.monotonic()
        async with other.events("shared", **QUICK) as second:
            with pytest.raises(mm.GroupConflictError, match="'shared'") as info:
                async for _ in first:
                    pass
            assert time.monotonic() - started < 3
            assert info.value.group == "shared"
            assert "distinct group" in str(info.value)
            assert second.stats.connected  # the newer consumer goes on
            sandbox.feed.emit(2)
            await take(second, 2)


async def test_a_second_stream_of_a_group_in_one_client_is_refused_at_once(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    async with client.events("twice", **QUICK):
        handshakes = sandbox.feed.connections["twice"]
        with pytest.raises(mm.GroupConflictError, match="'twice'"):
            async with client.events("twice", **QUICK):
                pytest.fail("entered")
        assert sandbox.feed.connections["twice"] == handshakes


async def test_a_kick_ends_the_stream_with_a_group_conflict(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    async with client.events("kicked", **QUICK) as stream:
        sandbox.feed.emit(4)
        await take(stream, 2)
        assert sandbox.feed.kick("kicked")
        got = []
        with pytest.raises(mm.GroupConflictError):
            async for event in stream:  # what was received before the kick comes first
                got.append(event)
    assert len(got) == 2


@pytest.fixture
async def closing_server() -> AsyncIterator[str]:
    """A push server that accepts and at once closes with a plain 1000, as a server with no
    close code of its own for a group conflict might."""

    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close(code=1000)
        return ws

    app = web.Application()
    app.router.add_get("/ws", handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.25)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"ws://127.0.0.1:{runner.addresses[0][1]}/ws"
    finally:
        await runner.cleanup()


async def test_quick_repeated_closes_are_taken_for_a_group_conflict(
    client: mm.ManagerClient, closing_server: str
) -> None:
    started = time.monotonic()
    async with client.events("flapping", push_url=closing_server, **QUICK) as stream:
        with pytest.raises(mm.GroupConflictError, match="3 connections in a row"):
            async for _ in stream:
                pass
    assert time.monotonic() - started < 3
    assert stream.stats.connects == 3


# -- backpressure --------------------------------------------------------------------------


async def test_a_slow_consumer_keeps_memory_bounded(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    group, feed = "slow", sandbox.feed
    async with client.events(group, buffer=100, **QUICK) as stream:
        feed.emit(100_000)
        await anyio.sleep(1.5)  # the consumer sleeps, three times the silence limit
        stats = stream.stats
        assert stats.buffered == 100  # full, and no more
        assert stats.frames <= 101  # taken off the socket: the buffer and one in hand
        # The rest waits on the server (but for what the kernels' socket buffers hold).
        assert feed.queued(group) > 50_000
        assert (stats.stalls, stats.reconnects) == (0, 0)  # a full buffer is not silence
        count, most = 0, 0
        with anyio.fail_after(60):
            async for _ in stream:
                count += 1
                if count % 5000 == 0:
                    most = max(most, stream.stats.buffered)
                    await anyio.sleep(0.01)  # still slow now and then
                if count == 100_000:
                    break
        assert most <= 100
        assert (stream.stats.stalls, stream.stats.reconnects) == (0, 0)
        assert stream.stats.duplicates_dropped == 0


async def test_leaving_with_a_full_buffer_closes_at_once(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    async with client.events("full", buffer=10, **QUICK) as stream:
        sandbox.feed.emit(20_000)
        await until(lambda: stream.stats.buffered == 10)
        started = time.monotonic()
    assert time.monotonic() - started < 1.5
    await until(lambda: "full" not in sandbox.feed.live)


# -- types, unknown events -----------------------------------------------------------------


async def test_types_keeps_only_those_events(sandbox: Sandbox, client: mm.ManagerClient) -> None:
    async with client.events("only", types=["register", Deposit], **QUICK) as stream:
        sandbox.feed.emit(200)
        wanted = [e for e in decoded(sandbox, "only") if isinstance(e, Register | Deposit)]
        got = await take(stream, len(wanted))
    assert got == wanted
    assert stream.stats.filtered == 200 - len(wanted)


async def test_unknown_events_pass_through(sandbox: Sandbox, client: mm.ManagerClient) -> None:
    publish = sandbox.backoffice.feed.log.publish
    async with client.events("unknown", **QUICK) as stream:
        publish("brand_new_event", {"id": "1", "x": 1})
        sandbox.feed.emit(1)
        publish("brand_new_event", {"id": "1", "x": 1})  # no key: never taken for a replay
        got = await take(stream, 3)
    assert isinstance(got[0], Unknown) and got[0].event_type == "brand_new_event"
    assert got[0].raw == sandbox.feed.emitted("unknown")[0]
    assert got[2] == got[0]
    async with client.events("unknown-only", types=[Unknown], **QUICK) as stream:
        sandbox.feed.emit(20)
        publish("brand_new_event", {"id": "2"})
        got = await take(stream, 1)
    assert isinstance(got[0], Unknown) and stream.stats.filtered == 20


async def test_types_keeps_frames_of_its_types_that_do_not_fit(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    publish = sandbox.backoffice.feed.log.publish
    async with client.events("unfit", types=["deposit"], **QUICK) as stream:
        publish("register", {"id": "1", "createTime": "not a number"})  # another type: dropped
        publish("deposit", {"id": "2", "actualAmount": "lots"})  # kept, as Unknown
        publish("brand_new_event", {"id": "3"})  # Unknown not asked for: dropped
        sandbox.feed.emit(50)
        wanted = [
            e
            for e in decoded(sandbox, "unfit")
            if isinstance(e, Deposit) or (isinstance(e, Unknown) and e.event_type == "deposit")
        ]
        got = await take(stream, len(wanted))
    assert isinstance(got[0], Unknown) and got[0].event_type == "deposit"
    assert got == wanted
    assert stream.stats.filtered == 53 - len(wanted)


# -- closing -------------------------------------------------------------------------------


async def test_break_closes_the_connection(sandbox: Sandbox, client: mm.ManagerClient) -> None:
    async with client.events("brk", **QUICK) as stream:
        sandbox.feed.emit(5)
        async for _ in stream:
            break
    await until(lambda: "brk" not in sandbox.feed.live, limit=2)  # the server saw it close
    assert stream_tasks() == []
    assert not stream.stats.connected
    async for _ in stream:  # a closed stream yields nothing more
        pytest.fail("an event after close")
    assert "closed" in repr(stream)


async def test_cancelling_the_consumer_closes_the_connection(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    with anyio.move_on_after(0.3) as waiting:
        async with client.events("cancelled", **QUICK) as stream:
            async for _ in stream:
                pytest.fail("nothing was emitted")
    assert waiting.cancelled_caught
    await until(lambda: "cancelled" not in sandbox.feed.live, limit=2)
    assert stream_tasks() == []
    assert not stream.stats.connected


async def test_cancelling_while_connecting_leaves_nothing_behind(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    sandbox.feed.refuse_handshake(times=1000, status=503)
    with anyio.move_on_after(0.2) as waiting:
        async with client.events("never", heartbeat=0.1, silence=0.5):
            pytest.fail("entered")
    assert waiting.cancelled_caught
    sandbox.feed.clear_faults()
    async with client.events("never", **QUICK) as stream:  # the group is free again
        assert stream.stats.connects == 1


async def test_closing_the_client_ends_open_streams(sandbox: Sandbox) -> None:
    client = mm.ManagerClient(**sandbox.credentials())
    async with client.events("closing", **QUICK) as stream, anyio.create_task_group() as tasks:

        async def close_soon() -> None:
            await anyio.sleep(0.1)
            await client.aclose()

        tasks.start_soon(close_soon)
        with pytest.raises(mm.ClientClosedError, match="'closing'"):
            async for _ in stream:
                pass
    await until(lambda: "closing" not in sandbox.feed.live, limit=2)
    with pytest.raises(mm.ClientClosedError):
        async with client.events("closing", **QUICK):
            pytest.fail("entered")


# -- settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"group": ""}, "group"),
        ({"group": "two words"}, "group"),
        ({"group": 5}, "group"),
        ({"heartbeat": 0}, "heartbeat"),
        ({"heartbeat": True}, "heartbeat"),
        ({"heartbeat": float("nan")}, "heartbeat"),
        ({"silence": 5.0}, "silence"),  # not longer than the heartbeat
        ({"reconnect": 3}, "reconnect"),
        ({"max_reconnects": -1}, "max_reconnects"),
        ({"push_url": "http://127.0.0.1/ws"}, "push_url"),
        ({"push_url": "ws://"}, "push_url"),
        ({"push_url": "ws://[::1/ws"}, "push_url"),
        ({"dedup_window": -1}, "dedup_window"),
        ({"buffer": 0}, "buffer"),
        ({"connect_deadline": 0}, "connect_deadline"),
        ({"connect_deadline": "5"}, "connect_deadline"),
        ({"types": ["registr"]}, "types"),
        ({"types": [int]}, "types"),
        ({"types": []}, "types"),
    ],
)
async def test_arguments_are_checked_before_connecting(
    sandbox: Sandbox, client: mm.ManagerClient, arguments: dict[str, Any], field: str
) -> None:
    settings: dict[str, Any] = {"group": "g", "heartbeat": 5.0} | arguments
    with pytest.raises(mm.ValidationError) as info:
        client.events(**settings)
    assert info.value.field == field
    assert sandbox.calls[AUTH] == 0 and not sandbox.feed.groups


@pytest.mark.parametrize(
    "url",
    [
        "http://user:hunter2@push.example/ws?key=sesame",  # not ws://
        "ws://user:hunter2@push.example/w s?key=sesame",  # a space
        "ws://user:hunter2@push.example/ws?key=sesame\n",  # a control character
        "user:hunter2@push.example/ws?key=sesame",  # no scheme
    ],
)
async def test_a_refused_push_url_never_shows_its_credentials(
    client: mm.ManagerClient, url: str
) -> None:
    with pytest.raises(mm.ValidationError) as info:
        client.events("g", push_url=url)
    assert info.value.field == "push_url"
    assert "hunter2" not in str(info.value) and "sesame" not in str(info.value)
    assert "push.example" in str(info.value)


async def test_push_url_defaults(
    sandbox: Sandbox, client: mm.ManagerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.events("g").url == sandbox.push_url
    https = mm.ManagerClient(app_id="a", app_secret="s", company_id=1, base_url="https://h/x/")
    assert https.events("g").url == "wss://h/x/ws"
    monkeypatch.setenv("MULTIMARKETS_PUSH_URL", "wss://push.example/ws")
    assert client.events("g").url == "wss://push.example/ws"
    assert client.events("g", push_url="ws://other/ws").url == "ws://other/ws"


async def test_the_token_never_shows(
    sandbox: Sandbox, client: mm.ManagerClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="multimarkets_async")
    async with client.events("secret", **QUICK) as stream:
        sandbox.feed.refuse_handshake(times=1, status=401)
        sandbox.feed.restart()
        await until(lambda: stream.stats.connects == 2 and stream.stats.connected)
        sandbox.expire_tokens()
        sandbox.feed.restart()
        await until(lambda: stream.stats.connects == 3 and stream.stats.connected)
        assert stream.stats.token_renewals == 2
        shown = repr(stream) + str(stream.stats) + repr(client)
    reconnects = [r for r in caplog.records if "reconnecting" in r.getMessage()]
    assert len(reconnects) == stream.stats.reconnects >= 3
    assert all(r.levelno == logging.INFO for r in reconnects)
    tokens = sandbox.issued_tokens
    assert len(tokens) >= 2
    for token in tokens:
        assert token not in caplog.text and token not in shown


# -- command line --------------------------------------------------------------------------


async def _read_lines(process: anyio.abc.Process, count: int) -> list[bytes]:
    assert process.stdout is not None
    data = b""
    with anyio.fail_after(20):
        while data.count(b"\n") < count:
            data += await process.stdout.receive()
    return data.splitlines()


@pytest.mark.parametrize(("how", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
async def test_cli_prints_events_until_stopped(sandbox: Sandbox, how: int, status: int) -> None:
    import msgspec

    command = [*CLI, "events", "--group", "cli", "--types", "register,deposit", "kyc"]
    async with await anyio.open_process(command, env=environment(sandbox)) as process:
        await until(lambda: "cli" in sandbox.feed.live, limit=20)
        sandbox.feed.emit(300)
        wanted = [
            e for e in decoded(sandbox, "cli") if e.event_type in ("register", "deposit", "kyc")
        ]
        lines = await _read_lines(process, len(wanted))
        process.send_signal(how)
        with anyio.fail_after(10):
            assert await process.wait() == status
        assert process.stderr is not None
        stderr = (await process.stderr.receive()).decode()
    printed = [msgspec.json.decode(line) for line in lines]
    assert [(p["eventType"], p["data"]["id"]) for p in printed] == [
        (e.event_type, e.data.id)  # type: ignore[union-attr]
        for e in wanted
    ]
    assert all(None not in p["data"].values() for p in printed)
    assert stderr.strip().splitlines() == [f"events of group 'cli' stopped after {len(wanted)}"]
    assert "Traceback" not in stderr


async def test_cli_reports_a_group_conflict_in_one_line(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    command = [*CLI, "events", "--group", "taken", "--quiet"]
    async with await anyio.open_process(command, env=environment(sandbox)) as process:
        await until(lambda: "taken" in sandbox.feed.live, limit=20)
        async with client.events("taken", **QUICK):
            with anyio.fail_after(10):
                assert await process.wait() == 1
        assert process.stderr is not None
        stderr = (await process.stderr.receive()).decode()
    assert stderr.startswith("error: event stream of group 'taken': another consumer")
    assert len(stderr.strip().splitlines()) == 1


async def test_cli_refuses_unknown_types(sandbox: Sandbox) -> None:
    result = await anyio.run_process(
        [*CLI, "events", "--group", "g", "--types", "registr"],
        env=environment(sandbox),
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.decode().startswith("error: types: unknown event type 'registr'")
    assert sandbox.calls[AUTH] == 0
