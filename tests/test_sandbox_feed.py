"""The sandbox's Data Push websocket, through a raw aiohttp client over loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import msgspec
import pytest
from _helpers import call_ok, http_session, login  # noqa: F401 (a fixture)
from _operations import CAPITAL_FLOW, CREATE, biz_type

from multimarkets_async.sandbox import Sandbox, password_md5

pytestmark = pytest.mark.anyio

ADJUST = biz_type("funds.adjust")
FORCE_CLOSE = biz_type("trade.force_close")
QUIET = 0.3  # seconds of silence that count as "nothing comes"


@asynccontextmanager
async def connect(
    http: aiohttp.ClientSession, sb: Sandbox, token: str, group: str | None = "g", **kw: Any
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    headers = {"token": token} | ({"group": group} if group else {})
    async with http.ws_connect(sb.push_url, headers=headers, **kw) as ws:
        yield ws


async def frames(ws: aiohttp.ClientWebSocketResponse, count: int) -> list[bytes]:
    """The next ``count`` text frames, as bytes."""
    got = []
    while len(got) < count:
        msg = await asyncio.wait_for(ws.receive(), 5)
        assert msg.type is aiohttp.WSMsgType.TEXT, msg
        got.append(msg.data.encode())
    return got


async def silent(ws: aiohttp.ClientWebSocketResponse) -> bool:
    """Whether nothing arrives for a moment."""
    try:
        msg = await asyncio.wait_for(ws.receive(), QUIET)
    except asyncio.TimeoutError:
        return True
    raise AssertionError(f"unexpected {msg}")


def types(raw: list[bytes]) -> list[str]:
    return [msgspec.json.decode(f)["eventType"] for f in raw]


def dedupe_key(frame: bytes) -> tuple[Any, ...]:
    event = msgspec.json.decode(frame)
    data = event["data"]
    version = next((data[k] for k in ("updateTime", "revision", "version") if k in data), None)
    return event["eventType"], data["id"], version


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    async with Sandbox(customers=500, seed=5) as sandbox:
        yield sandbox


async def test_handshake_needs_a_live_token(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    assert sb.push_url == f"ws://127.0.0.1:{sb.port}/openapi-b/ws"
    for headers in ({}, {"token": "no-such-token"}):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(sb.push_url, headers=headers)
        assert refused.value.status == 401
    token = await login(http, sb)
    async with connect(http, sb, token, group=None):
        assert sb.feed.connections == {"default": 1}
        assert sb.feed.live == {"default": 1}
    sb.expire_tokens()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(sb.push_url, headers={"token": token})
    assert refused.value.status == 401


async def test_text_ping_gets_a_pong(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await login(http, sb)
    async with connect(http, sb, token, autoping=False) as ws:
        await ws.send_str("ping")
        assert (await asyncio.wait_for(ws.receive(), 5)).type is aiohttp.WSMsgType.PONG
        await ws.ping(b"x")  # a protocol ping is answered too
        assert (await asyncio.wait_for(ws.receive(), 5)).type is aiohttp.WSMsgType.PONG
    assert sb.feed.pongs["g"] == 1


async def test_a_new_group_starts_now(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await login(http, sb)
    async with connect(http, sb, token, "a") as a:
        early = sb.feed.emit(5)
        assert await frames(a, 5) == early
        async with connect(http, sb, token, "b") as b:
            assert await silent(b)
            assert sb.feed.emitted("b") == []
            later = sb.feed.emit(2)
            assert await frames(b, 2) == later
            assert await frames(a, 2) == later
    assert sb.feed.emitted("a") == early + later


async def test_events_while_offline_arrive_on_reconnect(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await login(http, sb)
    async with connect(http, sb, token):
        pass
    sb.sign_up(2)
    sb.feed.emit(10)
    assert sb.feed.queued("g") == 18
    async with connect(http, sb, token) as ws:
        assert await frames(ws, 18) == sb.feed.emitted("g")
        assert sb.feed.queued("g") == 0
    assert sb.feed.connections["g"] == 2


async def test_state_changes_emit_their_events(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await login(http, sb)
    signed_up = ["register", "customer_info_insert", "open_account", "subject_insert"]
    async with connect(http, sb, token) as ws:
        (new_id,) = sb.sign_up(1)
        got = await frames(ws, 4)
        assert types(got) == signed_up
        assert all(
            msgspec.json.decode(f)["data"]["customerNo"] == str(86_000_000 + new_id)
            for f in got[:2]
        )
        body = {
            "phone": "13900000001",
            "pwd": password_md5("secret"),
            "country": "SG",
            "registerSource": 2,
            "customerGroupId": 1,
        }
        customer_no = await call_ok(http, sb, token, CREATE, body)
        got = await frames(ws, 4)
        assert types(got) == signed_up
        register = msgspec.json.decode(got[0])["data"]
        assert register["customerNo"] == customer_no and register["phone"] == "13900000001"
        assert isinstance(register["id"], str) and register["registerType"] == 2
        adjust = {
            "customerNo": customer_no,
            "tradeType": 1,
            "accountCurrency": "USDT",
            "businessType": 4,
            "withdraw": True,
            "amount": "12.34",
        }
        proposal_no = await call_ok(http, sb, token, ADJUST, adjust)
        got = await frames(ws, 3)
        assert types(got) == ["account_adjust", "subject_water_insert", "subject_update"]
        assert b'"amount":12.340000000' in got[0] and proposal_no.encode() in got[0]
        water = msgspec.json.decode(got[1])["data"]
        assert water["amountIn"] == 12_340_000 and water["digits"] == 6
        assert isinstance(water["currency"], int) and water["currencyCode"] == "USDT"
        (deleted,) = sb.delete_customers(1)
        (gone,) = [msgspec.json.decode(f)["data"] for f in await frames(ws, 1)]
        assert gone["customerNo"] == str(86_000_000 + deleted) and gone["status"] == 3


async def test_a_forced_close_emits_deals_and_position_events(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    positions = sb.backoffice.positions
    cid = next(c for c in range(1, 500) if positions.of_customer(c, 1))
    count = len(positions.of_customer(cid, 1))
    token = await login(http, sb)
    async with connect(http, sb, token) as ws:
        body = {
            "tradeType": 1,
            "customerNo": str(86_000_000 + cid),
            "customerId": cid,
            "customerGroupId": 1,
        }
        await call_ok(http, sb, token, FORCE_CLOSE, body)
        got = await frames(ws, 3 * count)
    assert types(got) == ["trade_deal", "position_update", "position_delete"] * count
    update = msgspec.json.decode(got[1])["data"]
    assert update["status"] == 2 and update["currency"] == "USDT"
    assert isinstance(update["openVolume"], float) and isinstance(update["id"], str)


async def test_ledger_deposits_emit_their_events(http: aiohttp.ClientSession) -> None:
    async with Sandbox(customers=20, seed=5, ledger_insert_per_call=2) as sb:
        token = await login(http, sb)
        body = {"customerId": 3, "customerGroupId": 1, "customerNo": "86000003", "tradeType": 1}
        async with connect(http, sb, token) as ws:
            flow = await call_ok(http, sb, token, CAPITAL_FLOW, {**body, "size": 2})
            got = await frames(ws, 6)
            assert await silent(ws)
    money = ["deposit", "subject_water_insert", "subject_update"]
    assert types(got) == money * 2
    waters = [msgspec.json.decode(f)["data"] for f in got[1::3]]
    newest_first = flow["records"]
    assert [w["bookkeepId"] for w in reversed(waters)] == [e["bookkeepId"] for e in newest_first]
    assert all(w["businessType"] == 1 and w["customerNo"] == "86000003" for w in waters)
    deposits = [msgspec.json.decode(f)["data"] for f in got[::3]]
    assert [d["accountId"] for d in deposits] == [w["accountId"] for w in waters]


async def test_churn_on_an_empty_store_registers_its_customers() -> None:
    for seed in range(6):
        sb = Sandbox(customers=0, seed=seed)
        events = [msgspec.json.decode(f) for f in sb.feed.emit(40)]
        assert [e["eventType"] for e in events[:4]] == [
            "register",
            "customer_info_insert",
            "open_account",
            "subject_insert",
        ]
        registered = {e["data"]["customerNo"] for e in events if e["eventType"] == "register"}
        mentioned = {e["data"]["customerNo"] for e in events if "customerNo" in e["data"]}
        assert mentioned <= registered, seed


async def test_churn_draws_all_18_types_with_distinct_keys() -> None:
    sb = Sandbox(customers=200, seed=9)
    raw = sb.feed.emit(600)
    assert set(types(raw)) == set(sb.feed.EVENT_TYPES) and len(sb.feed.EVENT_TYPES) == 18
    keys = [dedupe_key(f) for f in raw]
    assert len(set(keys)) == len(keys)
    assert all(isinstance(key[1], str) for key in keys)
    again = Sandbox(customers=200, seed=9).feed.emit(600)
    assert [k[:2] for k in map(dedupe_key, again)] == [k[:2] for k in keys]


async def test_events_per_second_churns_in_the_background(http: aiohttp.ClientSession) -> None:
    async with Sandbox(customers=100, events_per_second=200) as sb:
        token = await login(http, sb)
        async with connect(http, sb, token) as ws:
            got = await frames(ws, 20)
        assert got == sb.feed.emitted("g")[:20]


async def test_a_second_connection_kicks_the_first(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await login(http, sb)
    async with connect(http, sb, token) as first, connect(http, sb, token) as second:
        msg = await asyncio.wait_for(first.receive(), 5)
        assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 4001
        assert msg.extra == "kicked out: another connection of group g"
        assert sb.feed.live == {"g": 2}
        emitted = sb.feed.emit(3)
        assert await frames(second, 3) == emitted
        sb.feed.kick("g")
        msg = await asyncio.wait_for(second.receive(), 5)
        assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 4001


async def test_drop_after_cuts_without_a_close_frame(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await login(http, sb)
    sb.feed.drop_after(3, group="g")
    async with connect(http, sb, token) as ws:
        emitted = sb.feed.emit(5)
        assert await frames(ws, 3) == emitted[:3]
        msg = await asyncio.wait_for(ws.receive(), 5)
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
        assert ws.close_code == 1006  # abnormal: no close frame
    async with connect(http, sb, token) as ws:
        assert await frames(ws, 2) == emitted[3:]


async def test_replay_resends_the_last_frames_on_reconnect(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await login(http, sb)
    async with connect(http, sb, token) as ws:
        emitted = sb.feed.emit(5)
        assert await frames(ws, 5) == emitted
    sb.feed.replay(2)
    async with connect(http, sb, token) as ws:
        more = sb.feed.emit(1)
        assert await frames(ws, 3) == emitted[3:] + more
        assert await silent(ws)


async def test_stall_stops_pongs_and_frames(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await login(http, sb)
    async with connect(http, sb, token, autoping=False) as ws:
        sb.feed.stall()
        await ws.send_str("ping")
        emitted = sb.feed.emit(2)
        assert await silent(ws)
        async with connect(http, sb, token, autoping=False) as fresh:  # a reconnect ends it
            assert await frames(fresh, 2) == emitted
            await fresh.send_str("ping")
            assert (await asyncio.wait_for(fresh.receive(), 5)).type is aiohttp.WSMsgType.PONG
            sb.feed.stall(seconds=0.4)
            later = sb.feed.emit(1)
            assert await silent(fresh)
            assert await frames(fresh, 1) == later  # the stall is over
    assert sb.feed.pongs["g"] == 1


async def test_a_stall_for_the_next_connection_starts_at_its_accept(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await login(http, sb)
    sb.feed.stall(seconds=0.6, group="g")  # nobody connected: for the next connection
    await asyncio.sleep(0.7)  # longer than the stall, which has not started yet
    async with connect(http, sb, token) as ws:
        emitted = sb.feed.emit(1)
        assert await silent(ws)  # stalled from the accept on
        assert await frames(ws, 1) == emitted  # then the stall is over


async def test_refuse_handshake(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await login(http, sb)
    sb.feed.refuse_handshake(times=2, status=503)
    for _ in range(2):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(sb.push_url, headers={"token": token})
        assert refused.value.status == 503
    async with connect(http, sb, token):
        assert sb.feed.connections["g"] == 1


async def test_restart_and_stop_close_with_going_away(http: aiohttp.ClientSession) -> None:
    sb = Sandbox(customers=50)
    await sb.start()
    try:
        token = await login(http, sb)
        async with connect(http, sb, token) as ws:
            sb.feed.restart()
            msg = await asyncio.wait_for(ws.receive(), 5)
            assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 1001
        ws = await http.ws_connect(sb.push_url, headers={"token": token, "group": "g"})
        started = time.monotonic()
    finally:
        await sb.stop()
    assert time.monotonic() - started < 1.5
    msg = await asyncio.wait_for(ws.receive(), 5)
    assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 1001
    await ws.close()


async def test_a_slow_reader_gets_100k_frames_in_order(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await login(http, sb)
    async with connect(http, sb, token, max_msg_size=0) as ws:
        emitted = sb.feed.emit(100_000)
        assert sum(map(len, emitted)) < 80_000_000
        head = []
        for _ in range(5):
            head += await frames(ws, 10)
            await asyncio.sleep(0.05)
        assert sb.feed.queued("g") > 50_000  # the server holds what the client cannot take
        rest = await frames(ws, len(emitted) - len(head))
        assert head + rest == emitted == sb.feed.emitted("g")
        assert sb.feed.queued("g") == 0
