"""The customer endpoints end to end against the sandbox."""

from __future__ import annotations

import pytest
from _operations import AUTH, GROUPS, PAGE

import multimarkets_async as mm
from multimarkets_async.sandbox import Sandbox, password_md5

pytestmark = [pytest.mark.anyio, pytest.mark.plain_and_secure]


async def test_create_then_get_and_list(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    number = await client.customers.create(
        phone="13800000000",
        password="a123456",
        country="cn",
        register_source=mm.RegisterSource.H5,
        customer_group_id=1,
    )
    assert number.isdigit()
    stored = sandbox.store.by_customer_no(number)
    assert stored is not None
    assert sandbox.store.passwords[stored] == password_md5("a123456")  # MD5 hex on the wire
    detail = await client.customers.get(customer_no=number)
    assert isinstance(detail, mm.CustomerDetail)
    assert detail.customer_no == number and detail.phone == "13800000000"
    assert detail.country == "CN" and detail.register_source == mm.RegisterSource.H5
    first = [c async for c in client.customers.list(max_items=1)]
    assert first[0].customer_no == number  # newest first
    assert await client.customers.exists(phone="13800000000")
    assert await client.customers.exists(customer_no=number)
    assert not await client.customers.exists(phone="13800000999")


async def test_create_with_email_only_and_trade_modes(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    number = await client.customers.create(
        email="new.client@example.com",
        password="s3cret!",
        country="SG",
        register_source=2,
        customer_group_id=4,
        trade_type_currencies={mm.TradeType.SPOT: "USDT"},
        third_server_code="crm-42",
    )
    detail = await client.customers.get(customer_no=number, section=mm.DetailSection.BASE_INFO)
    assert detail.email == "new.client@example.com" and detail.phone is None
    assert detail.third_server_code == "crm-42"
    assert await client.customers.exists(email="new.client@example.com")


async def test_get_trade_accounts_section(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    record = sandbox.store.record(10)
    detail = await client.customers.get(
        customer_no=record["customerNo"], customer_id=10, section="tradeAccount"
    )
    assert detail.id == 10
    assert isinstance(detail.account_list, list) and detail.account_list[0]["currency"] == "USDT"
    assert sandbox.calls[PAGE] == 0  # id was given


async def test_groups(client: mm.ManagerClient) -> None:
    groups = await client.customers.groups()
    assert [g.id for g in groups] == [1, 2, 3, 4]
    assert all(isinstance(g, mm.CustomerGroup) for g in groups)
    spot = await client.customers.groups(trade_type=mm.TradeType.SPOT)
    assert [g.name for g in spot] == ["Spot"]


async def test_raw_request_escape_hatch(client: mm.ManagerClient) -> None:
    raw = await client.request(PAGE, {"current": 1, "size": 20})
    assert raw["total"] == 1000 and len(raw["records"]) == 20
    typed = await client.request(
        PAGE,
        {"current": 2, "size": 5},
        data_type=mm.Page[mm.Customer],
        write=False,
    )
    assert typed.current == 2 and all(isinstance(r, mm.Customer) for r in typed.records)


async def test_headers_sent(client: mm.ManagerClient, sandbox: Sandbox, secure: bool) -> None:
    await client.customers.groups()
    await client.customers.groups()
    headers = sandbox.last_headers(GROUPS)
    assert headers["companyId"] == str(sandbox.company_id)
    assert headers["version"] == "0.0.1"
    assert headers["lang"] == "en-US"
    assert headers["timestamp"].isdigit() and len(headers["timestamp"]) == 13
    assert headers["Content-Type"] == "application/json"
    assert "group" not in headers
    traces = sandbox.traces
    assert len(traces) == len(set(traces)) == 3  # auth + two calls, each its own trace
    # `x-` marks a secure request: the login always goes plain, the calls as the mode says
    assert [t.startswith("x-") for t in traces] == [False, secure, secure]
    auth_headers = sandbox.last_headers(AUTH)
    assert "token" not in auth_headers and "companyId" not in auth_headers
