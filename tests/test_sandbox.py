"""The sandbox itself, spoken to with plain aiohttp: the wire behaviour the client relies on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import msgspec
import pytest

from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

AUTH = "admin.admin.CompanyAuthDubboService.auth"
PAGE = "customer.admin.WhiteCustomerAdminApiService.page"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(
    http: aiohttp.ClientSession, sb: Sandbox, path: str, body: Any, headers: dict[str, str]
) -> tuple[int, Any, Any]:
    async with http.post(f"{sb.base_url}/{path}", json=body, headers=headers) as response:
        return response.status, response.headers.copy(), msgspec.json.decode(await response.read())


async def login(http: aiohttp.ClientSession, sb: Sandbox) -> str:
    _, _, reply = await post(
        http, sb, f"auth/{AUTH}", {"appId": sb.app_id, "appSecret": sb.app_secret}, {"trace": "t-1"}
    )
    assert reply["code"] == "0" and reply["ok"] is True and reply["fail"] is False
    assert reply["trace"] == "t-1"
    return str(reply["data"]["token"])


def headers_for(
    sb: Sandbox, token: str, changes: dict[str, str | None] | None = None
) -> dict[str, str]:
    base = {"trace": "t-2", "companyId": str(sb.company_id), "token": token, "version": "0.0.1"}
    merged: dict[str, str | None] = {**base, **(changes or {})}
    return {k: v for k, v in merged.items() if v is not None}


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
    path = "tradeapi.admin.PositionAdminApiService.queryAllPositionPage"
    _, _, reply = await post(http, sandbox, path, {"tradeType": 1}, headers_for(sandbox, token))
    assert reply["code"] == "GGATEWAY_CODE_010"
    with_group = headers_for(sandbox, token, {"group": "tradeApi"})
    _, _, reply = await post(http, sandbox, path, {"tradeType": 1}, with_group)
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
