"""Every bad argument of a resource method raises ValidationError naming it, before anything is
sent: wrong types (bool for int, float for money, list for mapping or id), text with control
characters, and numbers beyond the documented bounds."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from test_validation import GOOD

import multimarkets_async as mm
from multimarkets_async import _validation as check
from multimarkets_async.resources import customers, funds, trade
from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

FREE_TEXT = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
FREE_TEXT += ("register_device", "remark", "third_server_code")
BAD_TEXT: list[Any] = [object(), 5, b"bytes", "", "a\r\nb", "a\nb", "a\x00b", "a\x1bb", "\ud800"]
LEDGER: dict[str, Any] = {
    "customer_id": 1,
    "customer_group_id": 1,
    "customer_no": "86000001",
    "trade_type": 1,
}


def refused(sandbox: Sandbox, call: Callable[[], Any], field: str) -> mm.ValidationError:
    """``call()`` raises ValidationError naming ``field`` and sends nothing (not even a login)."""
    with pytest.raises(mm.ValidationError) as caught:
        call()
    assert caught.value.field == field, str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert sum(sandbox.calls.values()) == 0
    return caught.value


async def refused_async(sandbox: Sandbox, call: Any, field: str) -> mm.ValidationError:
    with pytest.raises(mm.ValidationError) as caught:
        await call
    assert caught.value.field == field, str(caught.value)
    assert sum(sandbox.calls.values()) == 0
    return caught.value


# -- customers.create: free text and the currency mapping ------------------------------------


@pytest.mark.parametrize("field", FREE_TEXT)
@pytest.mark.parametrize("bad", [*BAD_TEXT, "x" * 501])
async def test_create_free_text_must_be_clean_bounded_text(
    client: mm.ManagerClient, sandbox: Sandbox, field: str, bad: Any
) -> None:
    await refused_async(sandbox, client.customers.create(**GOOD, **{field: bad}), field)
    assert sandbox.calls[customers.CREATE.biz_type] == 0


@pytest.mark.parametrize("field", ["utm_source", "register_device"])
async def test_create_utm_and_device_are_bounded(
    client: mm.ManagerClient, sandbox: Sandbox, field: str
) -> None:
    error = await refused_async(
        sandbox, client.customers.create(**GOOD, **{field: "x" * (check.MAX_TEXT + 1)}), field
    )
    assert str(check.MAX_TEXT) in error.reason


async def test_create_sends_clean_utm_source(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    number = await client.customers.create(**GOOD, utm_source="  spring-sale  ", remark="vip")
    record = sandbox.store.by_customer_no(number)
    assert record is not None
    detail = await client.customers.get(customer_no=number)
    assert detail.utm_source == "spring-sale"


@pytest.mark.parametrize(
    "bad",
    [
        [(1, "USDT")],
        [1, 2],
        "1:USDT",
        {1: 5},
        {1: ["USDT"]},
        {1: "US\nDT"},
        {True: "USDT"},
        {"1": "USDT"},
        {mm.Direction.BUY: "USDT"},
    ],
)
async def test_trade_type_currencies_is_a_mapping_of_mode_to_currency(
    client: mm.ManagerClient, sandbox: Sandbox, bad: Any
) -> None:
    await refused_async(
        sandbox, client.customers.create(**GOOD, trade_type_currencies=bad), "trade_type_currencies"
    )


async def test_create_rejects_bool_group_and_source(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    await refused_async(
        sandbox,
        client.customers.create(**(GOOD | {"customer_group_id": True})),
        "customer_group_id",
    )
    await refused_async(
        sandbox, client.customers.create(**(GOOD | {"register_source": True})), "register_source"
    )
    await refused_async(
        sandbox, client.customers.create(**(GOOD | {"password": "a\x00b"})), "password"
    )


# -- amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "1e300000000",
        "-1e300000000",
        "1e-300000000",
        "1e999999999999999999999",
        10**18,
        pytest.param(10**5000, id="10**5000"),
        "1234567890123456789",
        "0.0000000000000000001",
        Decimal("1E+30"),
        pytest.param(Decimal("1." + "0" * 200), id="200 zeros"),
        pytest.param("9" * 1000, id="1000 nines"),
        1.1,
        float("nan"),
        True,
        False,
        "NaN",
        "Infinity",
        "1_000",
        "0x10",
        " ",
        [1],
        None,
    ],
)
async def test_adjust_amount_is_a_bounded_exact_decimal(
    client: mm.ManagerClient, sandbox: Sandbox, bad: Any
) -> None:
    started = time.perf_counter()
    await refused_async(
        sandbox,
        client.funds.adjust("86000001", trade_type=1, currency="USDT", amount=bad),
        "amount",
    )
    assert time.perf_counter() - started < 0.5  # no 300-million-digit number is ever built
    assert sandbox.calls[funds.ADJUST.biz_type] == 0


@pytest.mark.parametrize("bad", [1.5, True, "1e300000000", Decimal("sNaN"), "0.5e-18"])
async def test_bonus_amount_is_a_bounded_exact_decimal(
    client: mm.ManagerClient, sandbox: Sandbox, bad: Any
) -> None:
    call = client.funds.bonus(
        "86000001", activity_id="a", activity_customer_no="b", currency="USDT", amount=bad
    )
    await refused_async(sandbox, call, "amount")


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("10", "10"),
        (-3, "-3"),
        (Decimal("25.75"), "25.75"),
        (" -5.75 ", "-5.75"),
        ("1.50", "1.5"),
        ("1E+3", "1000"),
        (".5", "0.5"),
        ("1." + "0" * 40, "1"),
        ("999999999999999999.999999999999999999", "999999999999999999.999999999999999999"),
        (Decimal("-0.000000000000000001"), "-0.000000000000000001"),
        (10**18 - 1, "999999999999999999"),
    ],
)
def test_amounts_within_bounds_are_sent_exactly(value: Any, sent: str) -> None:
    assert check.amount("amount", value) == sent


async def test_adjust_accepts_the_largest_amount_shape(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    number = await client.customers.create(**GOOD)
    await client.funds.adjust(
        number, trade_type=1, currency="USDT", amount="123456789012345678.123456789012345678"
    )
    assert sandbox.calls[funds.ADJUST.biz_type] == 1


# -- ids, enums, booleans --------------------------------------------------------------------


@pytest.mark.parametrize("bad", [[1], (1,), "1x", "", "0", 0, -1, True, 1.0, 2**63, "9" * 30])
async def test_bonus_account_id_is_a_positive_id(
    client: mm.ManagerClient, sandbox: Sandbox, bad: Any
) -> None:
    call = client.funds.bonus(
        "86000001",
        activity_id="a",
        activity_customer_no="b",
        currency="USDT",
        amount="1",
        account_id=bad,
    )
    await refused_async(sandbox, call, "account_id")
    assert sandbox.calls[funds.BONUS.biz_type] == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": True}, "status"),
        ({"status": False}, "status"),
        ({"status": 4}, "status"),
        ({"status": "2"}, "status"),
        ({"operate": True}, "operate"),
        ({"operate": 3}, "operate"),
        ({"operate": 1.0}, "operate"),
        ({"business_type": True}, "business_type"),
        ({"business_type": 2**31}, "business_type"),
        ({"trade_type": True}, "trade_type"),
        ({"trade_type": 1.0}, "trade_type"),
        ({"trade_type": mm.Direction.BUY}, "trade_type"),
        ({"customer_id": True}, "customer_id"),
        ({"customer_id": 2**63}, "customer_id"),
        ({"customer_id": "1"}, "customer_id"),
        ({"account_id": [1]}, "account_id"),
        ({"assets_id": True}, "assets_id"),
        ({"customer_no": 86000001}, "customer_no"),
        ({"customer_no": "8600\n0001"}, "customer_no"),
        ({"currency": 5}, "currency"),
        ({"currency": "U\x00SDT"}, "currency"),
        ({"lang": 1}, "lang"),
        ({"lang": ["en_US"]}, "lang"),
        ({"start_time": True}, "start_time"),
        ({"start_time": 10**20}, "start_time"),
        ({"end_time": -1}, "end_time"),
        ({"start_page": 10**40}, "start_page"),
        ({"start_page": check.MAX_START_PAGE + 1}, "start_page"),
        ({"start_page": True}, "start_page"),
        ({"max_items": 10**40}, "max_items"),
        ({"max_items": True}, "max_items"),
        ({"page_size": True}, "page_size"),
        ({"concurrency": True}, "concurrency"),
        ({"reread_on_drift": "yes"}, "reread_on_drift"),
        ({"reread_on_drift": 1}, "reread_on_drift"),
        ({"reread_on_drift": None}, "reread_on_drift"),
    ],
)
async def test_capital_flow_arguments(
    client: mm.ManagerClient, sandbox: Sandbox, changes: dict[str, Any], field: str
) -> None:
    refused(sandbox, lambda: client.trade.capital_flow(**(LEDGER | changes)), field)
    assert sandbox.calls[trade.CAPITAL_FLOW.biz_type] == 0


async def test_capital_flow_bounds_are_inclusive(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    walk = client.trade.capital_flow(
        **LEDGER, status=3, operate=2, start_time=0, end_time=check.MAX_EPOCH_MS, max_items=0
    )
    assert [entry async for entry in walk] == []
    client.trade.capital_flow(**LEDGER, start_page=check.MAX_START_PAGE)  # built, not walked


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reread_on_drift": "yes"}, "reread_on_drift"),
        ({"reread_on_drift": 0}, "reread_on_drift"),
        ({"start_page": 10**40}, "start_page"),
        ({"max_items": 10**40}, "max_items"),
        ({"customer_no": 86000001}, "customer_no"),
        ({"customer_no": "86\r\n01"}, "customer_no"),
    ],
)
async def test_customer_list_arguments(
    client: mm.ManagerClient, sandbox: Sandbox, kwargs: dict[str, Any], field: str
) -> None:
    refused(sandbox, lambda: client.customers.list(**kwargs), field)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"ascending": "yes"}, "ascending"),
        ({"ascending": 1}, "ascending"),
        ({"reread_on_drift": "no"}, "reread_on_drift"),
        ({"start_page": 10**40}, "start_page"),
        ({"direction": True}, "direction"),
        ({"direction": "1"}, "direction"),
        ({"order_id": True}, "order_id"),
        ({"symbol_id": 2**64}, "symbol_id"),
        ({"customer_group_id": [1]}, "customer_group_id"),
        ({"sort_by": 1}, "sort_by"),
        ({"sort_by": "pnl"}, "sort_by"),
        ({"end_time": 10**20}, "end_time"),
    ],
)
async def test_all_positions_arguments(
    client: mm.ManagerClient, sandbox: Sandbox, kwargs: dict[str, Any], field: str
) -> None:
    refused(sandbox, lambda: client.trade.all_positions(trade_type=1, **kwargs), field)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"ascending": "yes"}, "ascending"),
        ({"customer_id": True}, "customer_id"),
        ({"max_items": 10**40}, "max_items"),
        ({"trade_type": True}, "trade_type"),
    ],
)
async def test_positions_arguments(
    client: mm.ManagerClient, sandbox: Sandbox, kwargs: dict[str, Any], field: str
) -> None:
    base = {"trade_type": 1, "customer_group_id": 1, "customer_id": 1}
    refused(sandbox, lambda: client.trade.positions(**(base | kwargs)), field)


async def test_other_operations_check_their_arguments(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    send: dict[str, Any] = {"customer_id": 1, "trade_type": 1, "title": "t", "content": "c"}
    lock: dict[str, Any] = {"trade_type": 1}
    calls: list[tuple[Callable[[], Any], str]] = [
        (lambda: client.messages.send("86000001", **(send | {"popup": "yes"})), "popup"),
        (lambda: client.messages.send("86000001", **(send | {"popup": 1})), "popup"),
        (lambda: client.messages.send("86000001", **(send | {"title": "a\nb"})), "title"),
        (lambda: client.messages.send("86000001", **(send | {"content": "a\x00b"})), "content"),
        (lambda: client.messages.send("86000001", **(send | {"content": "x" * 10_001})), "content"),
        (lambda: client.messages.send("86000001", **(send | {"customer_id": True})), "customer_id"),
        (lambda: client.messages.send("86000001", **(send | {"refresh": True})), "refresh"),
        (lambda: client.messages.send("86000001", **(send | {"language": 1})), "language"),
        (
            lambda: client.messages.code_status(
                "SMS_LOGIN_VERIFICATION_CODE", to_user="a", code="1\n2", send_token="t"
            ),
            "code",
        ),
        (lambda: client.funds.lock("86000001", **lock, seconds=True), "seconds"),
        (lambda: client.funds.lock("86000001", **lock, seconds=2**31), "seconds"),
        (lambda: client.funds.lock("86000001", **lock, until_ms=10**20), "until_ms"),
        (lambda: client.funds.lock("86000001", **lock, lock_type=True), "lock_type"),
        (lambda: client.funds.accounts("86000001", True), "trade_type"),
        (
            lambda: client.funds.adjust(
                "86000001", trade_type=1, currency="USDT", amount="1", account_id=True
            ),
            "account_id",
        ),
        (
            lambda: client.funds.adjust(
                "86000001", trade_type=1, currency="USDT", amount="1", remark="a\nb"
            ),
            "remark",
        ),
        (
            lambda: client.funds.adjust("86000001", trade_type=1, currency="X" * 17, amount="1"),
            "currency",
        ),
        (lambda: client.funds.adjustment(123), "proposal_no"),
        (lambda: client.funds.exchange_rates([("USD", "USDT")]), "pairs"),
        (lambda: client.funds.exchange_rates({"USD": 1}), "pairs"),
        (lambda: client.funds.exchange_rates({"USD": "USDT"}, rate_type=True), "rate_type"),
        (lambda: client.markets.depth(5), "codes"),
        (lambda: client.markets.depth(["EURUSD"] * 101), "codes"),
        (lambda: client.markets.trades([]), "codes"),
        (lambda: client.markets.kline("EURUSD", end=10**20), "end"),
        (lambda: client.markets.kline("EURUSD", count=True), "count"),
        (lambda: client.markets.kline("EURUSD", market=True), "market"),
        (lambda: client.markets.batch_kline(iter(["EURUSD"])), "codes"),
        (lambda: client.products.list(True), "customer_group_id"),
        (lambda: client.products.list(1, name="a\tb"), "name"),
        (lambda: client.products.by_trade_type(True, 1), "trade_type"),
        (lambda: client.basic.dictionary("a\nb"), "parent_code"),
        (lambda: client.trade.deal(True), "deal_id"),
        (lambda: client.trade.deal(2**63), "deal_id"),
        (lambda: client.trade.deals(1, trade_type=1.0), "trade_type"),
        (
            lambda: client.trade.force_close(
                "86000001", customer_id=1, customer_group_id=True, trade_type=1
            ),
            "customer_group_id",
        ),
        (lambda: client.customers.groups(trade_type=True), "trade_type"),
        (lambda: client.customers.exists(customer_no="86\x000001"), "customer_no"),
        (lambda: client.customers.get(customer_no="86000001", customer_id=True), "customer_id"),
        (lambda: client.customers.get(customer_no="86000001", section=1), "section"),
    ]
    for call, field in calls:
        await refused_async(sandbox, call(), field)


# -- customers.get of an unknown number -------------------------------------------------------


async def test_get_unknown_customer_names_the_detail_operation(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    with pytest.raises(mm.NotFoundError) as caught:
        await client.customers.get(customer_no="86999999")
    error = caught.value
    assert error.biz_type == customers.DETAIL.biz_type
    assert error.biz_type in str(error)
    assert error.code == customers.CUSTOMER_NOT_FOUND
    assert error.server_message is not None and "86999999" in error.server_message
    assert error.trace is not None and error.trace in sandbox.traces
    assert error.trace in str(error)
    assert sandbox.calls[customers.PAGE.biz_type] == 1  # the lookup
    assert sandbox.calls[customers.DETAIL.biz_type] == 0
