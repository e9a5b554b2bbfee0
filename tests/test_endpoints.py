"""Every client method against the sandbox: result types, and a consistent back office."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from _operations import ALL_POSITIONS, AUTH, BONUS

import multimarkets_async as mm
from multimarkets_async.models import (
    Account,
    AdjustProposal,
    Asset,
    BonusResult,
    CapitalFlowEntry,
    CodeSendStatus,
    Country,
    DepthTick,
    DictEntry,
    ExchangeRate,
    ForcedCloseResult,
    GroupProduct,
    IndexFund,
    Kline,
    LockState,
    Position,
    Product,
    ProductDetail,
    ProductGroup,
    TradeDeal,
    TradeTick,
    TradeTypeAssets,
)
from multimarkets_async.resources import ENDPOINTS
from multimarkets_async.sandbox import Sandbox

pytestmark = [pytest.mark.anyio, pytest.mark.plain_and_secure]


def all_of(items: list[Any], cls: type) -> bool:
    return bool(items) and all(isinstance(item, cls) for item in items)


async def first_position(client: mm.ManagerClient) -> Position:
    async for position in client.trade.all_positions(trade_type=1, max_items=1):
        return position
    raise AssertionError("the sandbox has no positions")


async def test_every_method_against_the_sandbox(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    customer = sandbox.store.record(1)
    number = customer["customerNo"]
    assert isinstance(await client.auth.login(), mm.CompanyProfile)
    assert all_of(await client.basic.dictionary("phone_code"), DictEntry)
    assert all_of(await client.basic.countries(), Country)
    assert all_of(await client.basic.assets(), Asset)
    assert all_of(await client.basic.trade_types(), TradeTypeAssets)
    assert all_of(await client.products.list(1), Product)
    assert all_of(await client.products.by_trade_type(mm.TradeType.CFD_CROSS, 1), GroupProduct)
    assert all_of(await client.products.groups(), ProductGroup)
    assert all_of(await client.products.details(trade_type=1), ProductDetail)
    assert all_of(await client.products.funds(), IndexFund)
    assert all_of([c async for c in client.customers.list(max_items=3)], mm.Customer)
    created = await client.customers.create(
        email="endpoint@example.com",
        password="x1y2z3",
        country="HK",
        register_source=3,
        customer_group_id=2,
    )
    assert isinstance(created, str)
    assert isinstance(await client.customers.get(customer_no=number), mm.CustomerDetail)
    assert all_of(await client.customers.groups(), mm.CustomerGroup)
    assert await client.customers.exists(customer_no=created) is True
    assert all_of(await client.funds.accounts(number, 1), Account)
    proposal = await client.funds.adjust(number, trade_type=1, currency="USDT", amount="10")
    assert isinstance(proposal, str)
    assert isinstance(await client.funds.adjustment(proposal), AdjustProposal)
    bonus = await client.funds.bonus(
        number, activity_id="spring", activity_customer_no=number, currency="USDT", amount=3
    )
    assert isinstance(bonus, BonusResult) and bonus.result is True
    assert all_of(await client.funds.exchange_rates({"BTC": "USDT"}), ExchangeRate)
    assert await client.funds.lock(number, trade_type=1) is None
    assert await client.funds.is_locked(number, trade_type=1) is True
    assert all_of(await client.funds.lock_states(number, trade_type=1), LockState)
    assert await client.funds.unlock(number, trade_type=1) is None
    await client.messages.send(number, customer_id=1, trade_type=1, title="Hello", content="Hi")
    status = await client.messages.code_status(
        mm.VerificationCodeType.SMS_LOGIN, to_user="13800000000", code="4321", send_token="t1"
    )
    assert isinstance(status, CodeSendStatus)
    flow = [
        e
        async for e in client.trade.capital_flow(
            customer_id=1, customer_group_id=1, customer_no=number, trade_type=1
        )
    ]
    assert all_of(flow, CapitalFlowEntry)
    position = await first_position(client)
    assert position.customer_id is not None and position.deal_id and position.order_id
    owner = sandbox.store.record(position.customer_id)
    mine = [
        p
        async for p in client.trade.positions(
            trade_type=1, customer_group_id=1, customer_id=position.customer_id
        )
    ]
    assert all_of(mine, Position)
    assert isinstance(await client.trade.deal(position.deal_id), TradeDeal)
    assert all_of(await client.trade.deals(position.order_id, trade_type=1), TradeDeal)
    cancelled = await client.trade.cancel_pending_orders(
        owner["customerNo"], customer_id=position.customer_id, customer_group_id=1, trade_type=1
    )
    assert isinstance(cancelled, list) and all(isinstance(k, str) for k in cancelled)
    closed = await client.trade.force_close(
        owner["customerNo"], customer_id=position.customer_id, customer_group_id=1, trade_type=1
    )
    assert all_of(closed, ForcedCloseResult)
    for market, code in ((mm.Market.FX_CRYPTO, "BTCUSDT"), (mm.Market.STOCK, "857.HK")):
        assert all_of(await client.markets.depth([code], market=market), DepthTick)
        assert all_of(await client.markets.trades([code], market=market), TradeTick)
        assert isinstance(await client.markets.kline(code, count=5, market=market), Kline)
        assert all_of(await client.markets.batch_kline([code], count=2, market=market), Kline)
    never_called = [e.vendor_id for e in ENDPOINTS if sandbox.calls[e.operation.biz_type] == 0]
    assert never_called == []


async def test_balances_and_ledger_follow_adjustments(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    number = sandbox.store.record(7)["customerNo"]
    before = (await client.funds.accounts(number, mm.TradeType.CFD_CROSS))[0]
    assert before.balance is not None and before.currency == "USDT"
    proposal = await client.funds.adjust(
        number, trade_type=1, currency="USDT", amount=Decimal("25.75"), remark="rebate"
    )
    after = (await client.funds.accounts(number, 1))[0]
    assert after.balance == before.balance + Decimal("25.75")
    recorded = await client.funds.adjustment(proposal or "")
    assert recorded is not None and recorded.amount == Decimal("25.75")
    assert recorded.customer_no == number and recorded.check_status == 2
    newest = [
        e
        async for e in client.trade.capital_flow(
            customer_id=7, customer_group_id=1, customer_no=number, trade_type=1, max_items=1
        )
    ]
    assert newest[0].business_type == 4 and newest[0].amount_in == Decimal("25.75")
    assert newest[0].amount_after == after.balance
    deduct = await client.funds.adjust(number, trade_type=1, currency="USDT", amount="-5.75")
    assert deduct is not None
    assert (await client.funds.accounts(number, 1))[0].balance == after.balance - Decimal("5.75")
    assert await client.funds.adjustment("AP-unknown") is None
    with pytest.raises(mm.BusinessError):  # more than the balance
        await client.funds.adjust(number, trade_type=1, currency="USDT", amount="-99999999")


async def test_bonus_is_once_per_activity(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    number = sandbox.store.record(9)["customerNo"]
    spot = {a.currency: a.balance for a in await client.funds.accounts(number, 5)}
    result = await client.funds.bonus(
        number, activity_id="launch", activity_customer_no=number, currency="BTC", amount="0.5"
    )
    assert result.action_amount == Decimal("0.5")
    again = {a.currency: a.balance for a in await client.funds.accounts(number, 5)}
    assert again["BTC"] == spot["BTC"] + Decimal("0.5")
    with pytest.raises(mm.ConflictError):
        await client.funds.bonus(
            number, activity_id="launch", activity_customer_no=number, currency="BTC", amount="1"
        )


async def test_positions_page_and_belong_to_customers(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    small = [p async for p in client.trade.all_positions(trade_type=2, page_size=37)]
    large = [p async for p in client.trade.all_positions(trade_type=2, page_size=2000)]
    assert small == large and len(small) > 37
    assert len({p.position_id for p in small}) == len(small)
    for position in small:
        assert position.customer_id is not None and sandbox.store.alive(position.customer_id)
        assert position.customer_no == sandbox.store.record(position.customer_id)["customerNo"]
        assert position.trade_type == 2
    owner = small[0]
    assert owner.customer_id is not None
    theirs = [
        p
        async for p in client.trade.positions(
            trade_type=2, customer_group_id=1, customer_id=owner.customer_id, page_size=1
        )
    ]
    assert {p.position_id for p in theirs} == {
        p.position_id for p in small if p.customer_id == owner.customer_id
    }
    closed = await client.trade.force_close(
        owner.customer_no or "", customer_id=owner.customer_id, customer_group_id=1, trade_type=2
    )
    assert closed and closed[0].position_id in {p.position_id for p in theirs}
    after = [
        p
        async for p in client.trade.positions(
            trade_type=2, customer_group_id=1, customer_id=owner.customer_id
        )
    ]
    assert all(p.status == 2 for p in after)  # closed now
    assert (
        await client.trade.force_close(
            owner.customer_no or "",
            customer_id=owner.customer_id,
            customer_group_id=1,
            trade_type=2,
        )
        == []
    )


async def test_capital_flow_pages_through_a_long_ledger(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    number = sandbox.store.record(1)["customerNo"]  # customer 1 has a long ledger
    walk = client.trade.capital_flow(
        customer_id=1,
        customer_group_id=1,
        customer_no=number,
        trade_type=1,
        page_size=300,
        concurrency=4,
    )
    entries = [e async for e in walk]
    assert len(entries) == 2_345 and walk.stats.pages == 8 + 1  # and a check of the front
    times = [e.create_time or 0 for e in entries]
    assert times == sorted(times, reverse=True)  # newest first
    deposits = [
        e
        async for e in client.trade.capital_flow(
            customer_id=1, customer_group_id=1, customer_no=number, trade_type=1, business_type=1
        )
    ]
    assert deposits and all(e.business_type == 1 for e in deposits)


async def test_locks_cancel_and_messages(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    number = sandbox.store.record(3)["customerNo"]
    await client.funds.lock(number, trade_type=1, lock_type=mm.LockType.TRANSFER_OUT, seconds=60)
    states = {s.type: s.lock_status for s in await client.funds.lock_states(number, trade_type=1)}
    assert states == {1: False, 2: True}
    assert await client.funds.is_locked(number, trade_type=1, lock_type=2)
    assert not await client.funds.is_locked(number, trade_type=1)  # not both
    await client.funds.unlock(number, trade_type=1, lock_type=2)
    assert not await client.funds.is_locked(number, trade_type=1, lock_type=2)
    await client.messages.send(
        number,
        customer_id=3,
        trade_type=1,
        title="Maintenance",
        content="Saturday 02:00",
        popup=True,
        refresh=mm.RefreshType.FUNDS,
    )
    sent = sandbox.backoffice.messages[-1]
    assert sent["showType"] == 1 and sent["refreshType"] == 3 and sent["language"] == "en-US"
    with pytest.raises(mm.NotFoundError):
        await client.messages.send(number, customer_id=4, trade_type=1, title="x", content="y")


async def test_market_data(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    kline = await client.markets.kline("EURUSD", kline_type=mm.KlineType.HOUR_1, count=24)
    assert kline.code == "EURUSD" and len(kline.kline_list) == 24
    stamps = [bar.timestamp or 0 for bar in kline.kline_list]
    assert stamps == sorted(stamps) and stamps[1] - stamps[0] == 3600
    bar = kline.kline_list[0]
    assert (
        bar.low_price is not None and bar.high_price is not None and bar.low_price <= bar.high_price
    )
    batch = await client.markets.batch_kline(["EURUSD", "XAUUSD"], count=3)
    assert [k.code for k in batch] == ["EURUSD", "XAUUSD"]
    book = (await client.markets.depth(["XAUUSD"]))[0]
    assert book.bids[0].price is not None and book.asks[0].price is not None
    assert book.bids[0].price < book.asks[0].price
    query = sandbox.last_headers("quote-b-api/kline")
    assert "token" not in query  # the token travels in the query string, not in headers


async def test_market_data_with_its_own_token(secure: bool) -> None:
    async with (
        Sandbox(secure=secure, customers=10, market_token="quote-token-1") as sb,
        mm.ManagerClient(**sb.credentials(), market_token="quote-token-1") as client,
    ):
        assert (await client.markets.trades(["BTCUSDT"]))[0].code == "BTCUSDT"
        assert sb.calls[AUTH] == 0  # no login needed
    async with (
        Sandbox(secure=secure, customers=10) as sb,
        mm.ManagerClient(**sb.credentials(), market_token="wrong", max_retries=0) as client,
    ):
        with pytest.raises(mm.InvalidRequestError) as caught:
            await client.markets.trades(["BTCUSDT"])
        assert caught.value.code == "QUOTE_201"


async def test_sandbox_checks_trade_headers_and_required_fields(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    raw = client.with_options(max_retries=0)
    await raw.request(ALL_POSITIONS, {"tradeType": 1}, write=False)
    assert sandbox.last_headers(ALL_POSITIONS)["group"] == "tradeApi"
    with pytest.raises(mm.InvalidRequestError):  # required fields missing
        await raw.request(BONUS, {"customerNo": "1"})


async def test_argument_validation_before_sending(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    calls: list[tuple[Any, str]] = [
        (client.funds.adjust("86000001", trade_type=1, currency="USDT", amount="0"), "amount"),
        (client.funds.adjust("86000001", trade_type=1, currency="USDT", amount="abc"), "amount"),
        (
            client.funds.bonus(
                "86000001", activity_id="a", activity_customer_no="b", currency="USDT", amount="-1"
            ),
            "amount",
        ),
        (client.funds.exchange_rates({f"C{i}": "USDT" for i in range(51)}), "pairs"),
        (client.funds.lock("86000001", trade_type=1, lock_type=4), "lock_type"),
        (
            client.messages.send(
                "86000001", customer_id=1, trade_type=1, title="x" * 101, content="y"
            ),
            "title",
        ),
        (client.markets.kline("EURUSD", count=1001), "count"),
        (client.markets.batch_kline([f"C{i}" for i in range(101)]), "codes"),
        (client.markets.depth("EURUSD"), "codes"),
        (client.trade.deal(0), "deal_id"),
    ]
    for call, field in calls:
        with pytest.raises(mm.ValidationError) as caught:
            await call
        assert caught.value.field == field
    with pytest.raises(mm.ValidationError):
        client.trade.all_positions(trade_type=5)
    with pytest.raises(mm.ValidationError):
        client.trade.capital_flow(
            customer_id=1, customer_group_id=1, customer_no="1", trade_type=1, lang="fr"
        )
    assert sum(sandbox.calls.values()) == 0
