"""The sandbox itself, spoken to with plain aiohttp: the wire behaviour the client relies on."""

from __future__ import annotations

import socket
import sys
from typing import Any

import aiohttp
import anyio
import msgspec
import pytest
from _helpers import call, headers_for, http_session, login, post  # noqa: F401 (a fixture)
from _operations import (
    ALL_POSITIONS,
    AUTH,
    CAPITAL_FLOW,
    CUSTOMER_POSITIONS,
    DETAIL,
    GROUPS,
    PAGE,
    biz_type,
)

from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"trace": None}, "GGATEWAY_CODE_004"),
        ({"companyId": None}, "GGATEWAY_CODE_003"),
        ({"token": None}, "GGATEWAY_CODE_001"),
        ({"token": "no-such-token"}, "GGATEWAY_CODE_017"),
        ({"companyId": "1"}, "GGATEWAY_CODE_019"),
        ({"version": None}, "GGATEWAY_CODE_009"),
        ({"timestamp": "1000"}, "GGATEWAY_CODE_014"),
    ],
)
async def test_gateway_header_checks(
    sandbox: Sandbox, http: aiohttp.ClientSession, changes: dict[str, str | None], code: str
) -> None:
    token = await login(http, sandbox)
    status, _, reply = await post(
        http, sandbox, PAGE, {"current": 1}, headers_for(sandbox, token, changes)
    )
    assert status == 200
    assert reply["code"] == code and reply["ok"] is False and reply["fail"] is True
    assert reply["msg"]  # the vendor's text


async def test_trade_operations_are_routed_by_the_group_header(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await login(http, sandbox)
    _, _, reply = await post(
        http, sandbox, ALL_POSITIONS, {"tradeType": 1}, headers_for(sandbox, token)
    )
    assert reply["code"] == "GGATEWAY_CODE_010"
    with_group = headers_for(sandbox, token, {"group": "tradeApi"})
    _, _, reply = await post(http, sandbox, ALL_POSITIONS, {"tradeType": 1}, with_group)
    assert reply["code"] == "0" and reply["data"]["total"] > 0


async def test_market_data_wire_format(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await login(http, sandbox)
    query = msgspec.json.encode({"trace": "q-1", "data": {"symbol_list": [{"code": "EURUSD"}]}})
    url = f"{sandbox.base_url}/quote-b-api/trade-tick"
    async with http.get(url, params={"token": token, "query": query.decode()}) as response:
        reply = msgspec.json.decode(await response.read())
    assert reply["ret"] == 200 and reply["trace"] == "q-1"
    assert reply["data"]["tick_list"][0]["code"] == "EURUSD"
    async with http.get(url, params={"token": "nope", "query": query.decode()}) as response:
        assert msgspec.json.decode(await response.read())["ret"] == 201
    async with http.get(url, params={"token": token, "query": "{not json"}) as response:
        assert msgspec.json.decode(await response.read())["ret"] == 202


async def test_market_data_code_faults_wait_the_latency_too(http: aiohttp.ClientSession) -> None:
    async with Sandbox(customers=10, latency=0.3) as sb:
        token = await login(http, sb)
        sb.inject("code", biz_type="quote-b-api/trade-tick", code="503")
        query = msgspec.json.encode({"trace": "q", "data": {"symbol_list": [{"code": "EURUSD"}]}})
        url = f"{sb.base_url}/quote-b-api/trade-tick"
        started = anyio.current_time()
        async with http.get(url, params={"token": token, "query": query.decode()}) as response:
            assert msgspec.json.decode(await response.read())["ret"] == 503
        assert anyio.current_time() - started >= 0.3  # like a business call's code fault


async def test_detail_trade_accounts_are_the_customers_accounts(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await login(http, sandbox)
    number = sandbox.store.record(10)["customerNo"]
    detail = await call(
        http, sandbox, token, DETAIL, {"type": "tradeAccount", "id": 10, "customerNo": number}
    )
    listed = detail["data"]["accountList"]
    assert [a["tradeType"] for a in listed] == [1, 5]
    for account in listed:
        body = {"customerNo": number, "tradeType": account["tradeType"]}
        accounts = await call(http, sandbox, token, biz_type("funds.accounts"), body)
        assert account["accountId"] == accounts["data"][0]["accountId"]  # USDT comes first


async def test_page_semantics_and_limit(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await login(http, sandbox)
    headers = headers_for(sandbox, token)
    _, _, reply = await post(http, sandbox, PAGE, {"customerNo": None}, headers)
    data = reply["data"]
    assert (data["current"], data["size"], data["total"]) == (1, 20, 1000)  # vendor defaults
    assert len(data["records"]) == 20 and len(data["records"][0]) == 30
    _, _, reply = await post(http, sandbox, PAGE, {"current": 1, "size": 2000}, headers)
    assert len(reply["data"]["records"]) == 1000
    _, _, reply = await post(http, sandbox, PAGE, {"current": 1, "size": 2001}, headers)
    assert reply["code"] == "GGATEWAY_CODE_015"
    _, _, reply = await post(http, sandbox, PAGE, {"current": 99, "size": 20}, headers)
    assert reply["data"]["records"] == [] and reply["data"]["total"] == 1000


async def test_customers_are_deterministic_and_realistic() -> None:
    async with Sandbox(customers=500, seed=1) as a, Sandbox(customers=500, seed=1) as b:
        assert [a.store.record(i) for i in range(1, 501)] == [
            b.store.record(i) for i in range(1, 501)
        ]
    async with Sandbox(customers=500, seed=2) as c:
        assert c.store.record(1) != a.store.record(1)
    records = [a.store.record(i) for i in range(1, 501)]
    assert len({r["customerNo"] for r in records}) == 500
    assert len({r["email"] for r in records if r["email"]}) == sum(1 for r in records if r["email"])
    assert any(r["email"] is None for r in records) and any(r["phone"] is None for r in records)
    assert all(r["email"] or r["phone"] for r in records)
    assert {r["registerSource"] for r in records} <= set(range(1, 10))


async def test_rate_limit_headers_and_429(http: aiohttp.ClientSession) -> None:
    async with Sandbox(customers=10, rate_limit=3, rate_window=60) as sb:
        token = await login(http, sb)
        remaining = []
        for _ in range(3):
            status, headers, _ = await post(http, sb, PAGE, {}, headers_for(sb, token))
            assert status == 200
            assert headers["x-ratelimit-limit"] == "3" and headers["x-ratelimit-reset"] == "60"
            remaining.append(headers["x-ratelimit-remairing"])
        assert remaining == ["2", "1", "0"]
        status, headers, reply = await post(http, sb, PAGE, {}, headers_for(sb, token))
        assert status == 429 and reply["code"] == "GGATEWAY_CODE_018"
        assert 1 <= int(headers["Retry-After"]) <= 60
        assert sb.statuses[(PAGE, 429)] == 1 and sb.calls[PAGE] == 4


async def test_auth_rejects_bad_credentials(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    _, _, reply = await post(
        http, sandbox, f"auth/{AUTH}", {"appId": sandbox.app_id, "appSecret": "x"}, {"trace": "t"}
    )
    assert reply["code"] == "GGATEWAY_CODE_101"
    _, _, reply = await post(http, sandbox, f"auth/{AUTH}", {}, {"trace": "t"})
    assert reply["code"] == "GGATEWAY_CODE_015"


# -- paging quirks, page faults, 64-bit ids, ledgers and live data --------------------------


def flow_body(sb: Sandbox, customer_id: int, trade_type: int = 1) -> dict[str, Any]:
    """A capital-flow request for one customer's ledger (customer 1 has a long one)."""
    return {
        "customerId": sb.store.public_id(customer_id),
        "customerGroupId": 1,
        "customerNo": sb.store.record(customer_id)["customerNo"],
        "tradeType": trade_type,
    }


LISTING_BODIES = {
    PAGE: lambda sb: {},
    ALL_POSITIONS: lambda sb: {"tradeType": 1},
    CAPITAL_FLOW: lambda sb: flow_body(sb, 1),
}
PAGED = pytest.mark.parametrize("listing", list(LISTING_BODIES))


async def page(
    http: aiohttp.ClientSession,
    sb: Sandbox,
    token: str,
    listing: str,
    current: int,
    size: int = 10,
) -> dict[str, Any]:
    """The `data` of one page of a paged listing."""
    body = {**LISTING_BODIES[listing](sb), "current": current, "size": size}
    reply = await call(http, sb, token, listing, body)
    assert reply["code"] == "0", reply
    data: dict[str, Any] = reply["data"]
    return data


@PAGED
async def test_ignore_current_answers_page_one(
    sandbox: Sandbox, http: aiohttp.ClientSession, listing: str
) -> None:
    token = await login(http, sandbox)
    first = await page(http, sandbox, token, listing, 1)
    third = await page(http, sandbox, token, listing, 3)
    sandbox.config.ignore_current = True
    quirky = await page(http, sandbox, token, listing, 3)
    assert quirky["records"] == first["records"] != third["records"]
    assert (quirky["current"], quirky["size"], quirky["total"]) == (3, 10, third["total"])


@PAGED
async def test_echo_current_and_total_override(
    sandbox: Sandbox, http: aiohttp.ClientSession, listing: str
) -> None:
    token = await login(http, sandbox)
    second = await page(http, sandbox, token, listing, 2)
    sandbox.config.echo_current = 7
    echoed = await page(http, sandbox, token, listing, 2)
    assert echoed["current"] == 7 and echoed["records"] == second["records"]
    assert echoed["total"] == second["total"]
    for total in (10**12, -3):
        sandbox.config.total_override = total
        overridden = await page(http, sandbox, token, listing, 2)
        assert overridden["total"] == total and overridden["records"] == second["records"]


@PAGED
async def test_repeat_pages(sandbox: Sandbox, http: aiohttp.ClientSession, listing: str) -> None:
    token = await login(http, sandbox)
    normal = [await page(http, sandbox, token, listing, n) for n in (1, 2, 3, 4)]
    sandbox.config.repeat_pages = {3: 2}
    quirky = [await page(http, sandbox, token, listing, n) for n in (1, 2, 3, 4)]
    assert [p["records"] for p in quirky] == [normal[n]["records"] for n in (0, 1, 1, 3)]
    assert [p["current"] for p in quirky] == [1, 2, 3, 4]
    assert {p["total"] for p in quirky} == {normal[0]["total"]}


@PAGED
async def test_empty_and_short_page_faults_fire_once(
    sandbox: Sandbox, http: aiohttp.ClientSession, listing: str
) -> None:
    token = await login(http, sandbox)
    normal = await page(http, sandbox, token, listing, 2)
    sandbox.inject("empty_page", biz_type=listing)
    empty = await page(http, sandbox, token, listing, 2)
    assert empty["records"] == [] and empty["total"] == normal["total"] > 0
    assert await page(http, sandbox, token, listing, 2) == normal
    sandbox.inject("short_page", biz_type=listing)
    short = await page(http, sandbox, token, listing, 2)
    assert short["records"] == normal["records"][:5] and short["total"] == normal["total"]
    assert await page(http, sandbox, token, listing, 2) == normal


async def test_page_faults_leave_other_calls_alone(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await login(http, sandbox)
    sandbox.inject("short_page")  # any business call: only a paged listing takes it
    groups = await call(http, sandbox, token, GROUPS, {})
    assert groups["code"] == "0" and len(groups["data"]) == 4
    one = await page(http, sandbox, token, PAGE, 1, size=1)
    assert one["records"] == [] and one["total"] == 1000  # the only record was dropped
    assert len((await page(http, sandbox, token, PAGE, 1, size=1))["records"]) == 1


async def test_page_faults_as_chaos_kinds(http: aiohttp.ClientSession) -> None:
    async with Sandbox(customers=100, fault_rates={"empty_page": 1.0}) as sb:
        token = await login(http, sb)
        assert (await call(http, sb, token, GROUPS, {}))["code"] == "0"
        for listing in LISTING_BODIES:
            empty = await page(http, sb, token, listing, 1)
            assert empty["records"] == [] and empty["total"] > 0
    async with Sandbox(customers=100, fault_rate=1.0, fault_kinds=("short_page",)) as sb:
        token = await login(http, sb)
        short = await page(http, sb, token, PAGE, 1, size=9)
        assert len(short["records"]) == 4 and short["total"] == 100


async def test_snowflake_customer_ids(http: aiohttp.ClientSession) -> None:
    async with Sandbox(customers=300, seed=3, id_style="snowflake") as sb:
        token = await login(http, sb)
        records = (await page(http, sb, token, PAGE, 1, size=2000))["records"]
        ids = [r["id"] for r in records]
        assert len(set(ids)) == 300 and ids == sorted(ids, reverse=True)  # newest first
        assert all(2**32 < i < 2**63 for i in ids)
        store = sb.store
        assert [store.internal_id(i) for i in ids] == list(range(300, 0, -1))
        assert all(store.internal_id(store.public_id(i)) == i for i in (1, 2, 10**6))
        assert store.internal_id(5) is None and store.internal_id(ids[0] + 1) is None
        assert sb.customer(records[0]["customerNo"]) == records[0]

        wire_id, number = ids[0], records[0]["customerNo"]
        detail = await call(
            http, sb, token, DETAIL, {"type": "baseInfo", "id": wire_id, "customerNo": number}
        )
        assert detail["code"] == "0" and detail["data"]["id"] == wire_id
        small = await call(
            http, sb, token, DETAIL, {"type": "baseInfo", "id": 300, "customerNo": number}
        )
        assert small["code"] == "USCUSTOMER_API_0000003"

        owners = set()
        for trade_type in (1, 2):
            body = {"tradeType": trade_type, "size": 2000}
            owners |= {
                r["customerId"]
                for r in (await call(http, sb, token, ALL_POSITIONS, body))["data"]["records"]
            }
        assert owners and owners <= set(ids)
        owner = max(owners)
        mine = await call(
            http, sb, token, ALL_POSITIONS, {"tradeType": 1, "customerId": owner, "size": 100}
        )
        mine2 = await call(
            http, sb, token, ALL_POSITIONS, {"tradeType": 2, "customerId": owner, "size": 100}
        )
        rows = mine["data"]["records"] + mine2["data"]["records"]
        assert rows and {r["customerId"] for r in rows} == {owner}
        listed = await call(
            http,
            sb,
            token,
            CUSTOMER_POSITIONS,
            {"tradeType": rows[0]["tradeType"], "customerGroupId": 1, "customerId": owner},
        )
        assert listed["data"] and {r["customerId"] for r in listed["data"]} == {owner}

        flow = await call(http, sb, token, CAPITAL_FLOW, flow_body(sb, 1))
        assert flow["code"] == "0" and flow["data"]["total"] == 2_345
        wrong = await call(http, sb, token, CAPITAL_FLOW, {**flow_body(sb, 1), "customerId": 1})
        assert wrong["code"] == "USCUSTOMER_API_0000003"


async def test_ledger_null_keys(http: aiohttp.ClientSession) -> None:
    async with Sandbox(customers=10, ledger_null_keys=True) as sb:
        token = await login(http, sb)
        entries = (await page(http, sb, token, CAPITAL_FLOW, 1, size=2000))["records"]
        assert len(entries) == 2000
        assert all(
            e["bookkeepId"] is None and e["subjectId"] is None and e["businessType1"] is None
            for e in entries
        )
        assert all(e["accountId"] and e["createTime"] and e["businessType"] for e in entries)
        assert len({msgspec.json.encode(e) for e in entries}) == 2000  # still distinct


async def test_ledger_size(http: aiohttp.ClientSession) -> None:
    async with Sandbox(customers=10, ledger_size=5_000) as sb:
        token = await login(http, sb)
        assert (await page(http, sb, token, CAPITAL_FLOW, 1))["total"] == 5_000
        last = await page(http, sb, token, CAPITAL_FLOW, 3, size=2000)
        assert len(last["records"]) == 1_000
        assert (await call(http, sb, token, CAPITAL_FLOW, flow_body(sb, 2)))["data"]["total"] < 13
        walked = [
            e["bookkeepId"]
            for n in (1, 2, 3)
            for e in (await page(http, sb, token, CAPITAL_FLOW, n, size=2000))["records"]
        ]
        assert len(set(walked)) == 5_000


async def test_ledger_insert_per_call(http: aiohttp.ClientSession) -> None:
    async with Sandbox(customers=10, ledger_insert_per_call=3) as sb:
        token = await login(http, sb)
        first = await page(http, sb, token, CAPITAL_FLOW, 1, size=50)
        second = await page(http, sb, token, CAPITAL_FLOW, 1, size=50)
        assert second["total"] == first["total"] + 3 == 2_345 + 6
        assert second["records"][3:] == first["records"][:47]  # three deposits in front
        new = second["records"][:3]
        assert all(e["businessType"] == 1 and e["amountIn"] != "0" for e in new)
        keys = [e["bookkeepId"] for e in second["records"]]
        assert len(set(keys)) == len(keys)
        times = [e["createTime"] for e in second["records"]]
        assert times == sorted(times, reverse=True) and len(set(times[:6])) == 6
        other = await call(http, sb, token, CAPITAL_FLOW, flow_body(sb, 1, trade_type=2))
        assert other["data"]["total"] == 2_345 + 3  # only the ledger being listed grows


async def test_sign_up_and_delete_customers(http: aiohttp.ClientSession) -> None:
    async with Sandbox(customers=100) as sb:
        token = await login(http, sb)
        assert sb.sign_up(5) == [105, 104, 103, 102, 101]
        listed = await page(http, sb, token, PAGE, 1, size=200)
        assert listed["total"] == 105
        assert [r["id"] for r in listed["records"][:6]] == [105, 104, 103, 102, 101, 100]
        deleted = sb.delete_customers(10, seed=1)
        assert len(set(deleted)) == 10 and set(deleted) <= set(range(1, 106))
        listed = await page(http, sb, token, PAGE, 1, size=200)
        assert listed["total"] == 95 and not {r["id"] for r in listed["records"]} & set(deleted)
        assert len(sb.delete_customers(500)) == 95 and len(sb.store) == 0


async def test_control_route_changes_customers(http: aiohttp.ClientSession) -> None:
    async with Sandbox(customers=100) as sb:
        token = await login(http, sb)
        async with http.post(sb.control_url, json={"signUps": 3, "deletions": 2}) as response:
            assert response.status == 200
            changed = await response.json()
        assert changed["signedUp"] == [103, 102, 101] and len(changed["deleted"]) == 2
        assert changed["total"] == 101 == (await page(http, sb, token, PAGE, 1))["total"]
        async with http.post(sb.control_url) as response:  # nothing asked, nothing changes
            nothing = {"signedUp": [], "deleted": [], "updated": [], "total": 101}
            assert await response.json() == nothing
        async with http.post(sb.control_url, json={"signUps": -1}) as response:
            assert response.status == 400
        assert sb.calls == {AUTH: 1, PAGE: 1}  # not an API call


async def test_sandbox_command_with_quirks(http: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    flags = [
        *("--customers", "50", "--port", str(port), "--id-style", "snowflake"),
        *("--echo-current", "9", "--total", "-1", "--repeat-page", "2=1"),
        *("--ledger-size", "40", "--ledger-null-keys", "--ledger-insert-per-call", "2"),
        *("--fault", "empty_page=0", "--fault", "short_page=0"),
    ]
    cli = [sys.executable, "-m", "multimarkets_async.cli", "sandbox"]
    async with await anyio.open_process([*cli, *flags]) as process:
        try:
            assert process.stdout is not None
            banner = b""
            with anyio.fail_after(20):
                while b"_sandbox/customers" not in banner:
                    banner += await process.stdout.receive()
            # Not started: the same settings, for the process's URLs and customer ids.
            sb = Sandbox(customers=50, port=port, id_style="snowflake")
            sb.port = port
            token = await login(http, sb)
            first = await page(http, sb, token, PAGE, 1)
            second = await page(http, sb, token, PAGE, 2)
            assert second["records"] == first["records"] and first["records"]
            assert (second["current"], second["total"]) == (9, -1)
            assert all(r["id"] > 2**32 for r in first["records"])
            # 42 entries: 2 on page 3
            flow = await page(http, sb, token, CAPITAL_FLOW, 3, size=20)
            assert len(flow["records"]) == 2 and flow["records"][0]["bookkeepId"] is None
            async with http.post(
                f"http://127.0.0.1:{port}/_sandbox/customers", json={"signUps": 1}
            ) as response:
                assert (await response.json())["total"] == 51
        finally:
            process.terminate()
            await process.wait()
    bad = await anyio.run_process([*cli, "--port", str(port), "--repeat-page", "2"], check=False)
    assert bad.returncode == 2 and "--repeat-page" in bad.stderr.decode()


async def test_market_data_counts_in_flight_like_business_calls(
    http: aiohttp.ClientSession,
) -> None:
    async with Sandbox(customers=50, latency=0.2) as sb:
        token = await login(http, sb)
        async with anyio.create_task_group() as tg:
            for n in range(1, 4):
                tg.start_soon(page, http, sb, token, PAGE, n)
        assert sb.max_in_flight == 3
        query = msgspec.json.encode({"trace": "q", "data": {"symbol_list": [{"code": "EURUSD"}]}})
        url = f"{sb.base_url}/quote-b-api/trade-tick"
        replies: list[int] = []

        async def tick() -> None:
            params = {"token": token, "query": query.decode()}
            async with http.get(url, params=params) as response:
                replies.append(msgspec.json.decode(await response.read())["ret"])

        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(tick)
        assert replies == [200] * 5
        assert sb.max_in_flight == 5 and sb.in_flight == 0
        assert sb.statuses[("quote-b-api/trade-tick", 200)] == 5
