"""The broker's webhook app: typed requests, envelopes, checks, and exactly-once money
movement (idempotent adjustments, cancels, the 3-second rule), over real sockets."""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import anyio
import msgspec
import pytest
from _ledger_wallet import LedgerWallet
from aiohttp import web

import multimarkets_async as mm
from multimarkets_async import webhooks

pytestmark = pytest.mark.anyio

COMPANY = 439
ADJUST = "/external-system-credit-limit-adjustment"
CANCEL = "/cancel-external-system-credit-limit-adjustment"
BALANCE = "/get-user-amount"


def adjustment(no: str, amount: str = "12.50", digits: int = 2, **extra: Any) -> dict[str, Any]:
    body = {
        "thirdServerCode": "crm-1",
        "userName": "86000001",
        "currency": "USDT",
        "bizType": 1,
        "operationType": "OPEN_POSITION",
        "amount": amount,
        "amountDigits": digits,
        "orderId": 77,
        "requestUniqueNo": no,
        "requestTime": int(time.time() * 1000),
        "ip": "10.0.0.1",
    }
    return body | extra


def cancel(of: str, no: str = "c-1", **extra: Any) -> dict[str, Any]:
    body = adjustment(no) | {"reverseRequestUniqueNo": of, "cancelRemark": "timed out"}
    del body["operationType"]
    return body | extra


class Broker:
    """The app served on a loopback port, and a way to call it as the platform does."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.runner = web.AppRunner(app)
        self.url = ""
        self.http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        self.http = aiohttp.ClientSession()

    async def stop(self) -> None:
        assert self.http is not None
        await self.http.close()
        await self.runner.cleanup()

    async def post(self, path: str, body: Any, company: int = COMPANY) -> dict[str, Any]:
        assert self.http is not None
        headers = {"trace": "t-1", "companyId": str(company), "timestamp": "1"}
        async with self.http.post(self.url + path, json=body, headers=headers) as reply:
            assert reply.status == 200
            return dict(msgspec.json.decode(await reply.read()))


@pytest.fixture
def wallet() -> LedgerWallet:
    return LedgerWallet()


@pytest.fixture
async def broker(wallet: LedgerWallet) -> AsyncIterator[Broker]:
    served = Broker(webhooks.create_app(wallet, company_id=COMPANY, deadline=0.3))
    await served.start()
    yield served
    await served.stop()


def test_requests_decode_into_typed_structs() -> None:
    raw = msgspec.json.encode(adjustment("a-1", metadata='{"strategy": "grid"}'))
    parsed = msgspec.json.decode(raw, type=webhooks.Adjustment, dec_hook=mm.models.dec_hook)
    assert parsed.amount == Decimal("12.50") and isinstance(parsed.amount, mm.Amount)
    assert parsed.operation_type is webhooks.OperationType.OPEN_POSITION
    assert parsed.biz_type is webhooks.OrderType.MARKET_OPEN
    assert parsed.metadata == {"strategy": "grid"}


async def test_balance_adjust_repeat_and_envelope(broker: Broker, wallet: LedgerWallet) -> None:
    reply = await broker.post(ADJUST, adjustment("a-1"))
    assert reply["code"] == "0" and reply["trace"] == "t-1" and isinstance(reply["tm"], int)
    again = await broker.post(ADJUST, adjustment("a-1"))  # the platform retries
    assert again["code"] == "0" and wallet.applied["a-1"] == 1
    body = {"thirdServerCode": "crm-1", "userName": "86000001", "currency": "USDT"}
    balance = await broker.post(BALANCE, body)
    assert balance["data"] == {
        "userName": "86000001",
        "currency": "USDT",
        "amount": "12.50",
        "amountDigits": 2,
    }


async def test_cancels(broker: Broker, wallet: LedgerWallet) -> None:
    assert (await broker.post(CANCEL, cancel("never")))["code"] == "US_0000002"
    late = await broker.post(ADJUST, adjustment("never"))  # arrives after its cancel
    assert late["code"] != "0" and not wallet.applied["never"]
    await broker.post(ADJUST, adjustment("a-1"))
    assert (await broker.post(CANCEL, cancel("a-1")))["code"] == "0"
    assert (await broker.post(CANCEL, cancel("a-1")))["code"] == "0"  # repeated: once only
    assert wallet.reversed["a-1"] == 1 and wallet.balances[("86000001", "USDT")] == 0
    wallet.refuse = 1.0
    refused = await broker.post(ADJUST, adjustment("a-2"))
    assert refused["code"] == "US_1000001" and refused["msg"] == "insufficient funds"
    assert (await broker.post(CANCEL, cancel("a-2")))["code"] == "US_0000001"


async def test_a_slow_wallet_is_answered_in_time_and_reversed_after(
    broker: Broker, wallet: LedgerWallet
) -> None:
    wallet.slow, wallet.slow_delay = 1.0, 0.6
    started = time.perf_counter()
    reply = await broker.post(ADJUST, adjustment("slow-1"))
    assert reply["code"] != "0" and time.perf_counter() - started < 0.5  # the deadline, 0.3 s
    wallet.slow = 0.0
    # The cancel waits for the adjustment's real outcome (applied), then reverses it.
    assert (await broker.post(CANCEL, cancel("slow-1")))["code"] == "0"
    assert wallet.applied["slow-1"] == 1 and wallet.reversed["slow-1"] == 1


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        msgspec.json.encode(adjustment("x", amount="1.234", digits=2)),
        msgspec.json.encode(adjustment("x", amount="-1", operationType="OPEN_POSITION")),
        msgspec.json.encode(adjustment("x" * 49)),
        msgspec.json.encode({k: v for k, v in adjustment("x").items() if k != "ip"}),
        msgspec.json.encode(adjustment("x", operationType="SOMETHING")),
    ],
    ids=["not-json", "digits", "sign", "too-long", "missing", "enum"],
)
async def test_bad_requests_get_an_envelope(broker: Broker, body: bytes) -> None:
    assert broker.http is not None
    headers = {"trace": "t-9", "companyId": str(COMPANY), "Content-Type": "application/json"}
    async with broker.http.post(broker.url + ADJUST, data=body, headers=headers) as reply:
        assert reply.status == 200
        envelope = msgspec.json.decode(await reply.read())
    assert envelope["code"] == "GGATEWAY_CODE_015" and envelope["trace"] == "t-9"


async def test_another_company_or_address_is_refused(wallet: LedgerWallet) -> None:
    served = Broker(webhooks.create_app(wallet, company_id=COMPANY, allow=["10.9.0.0/16"]))
    await served.start()
    try:
        assert (await served.post(ADJUST, adjustment("a")))["code"] == "GGATEWAY_CODE_019"
    finally:
        await served.stop()
    served = Broker(webhooks.create_app(wallet, company_id=COMPANY, allow=["127.0.0.1"]))
    await served.start()
    try:
        assert (await served.post(ADJUST, adjustment("a"), company=1))["code"] == (
            "GGATEWAY_CODE_019"
        )
        assert (await served.post(ADJUST, adjustment("a")))["code"] == "0"
    finally:
        await served.stop()


async def test_the_demo_command_reconciles() -> None:
    result = await anyio.run_process(
        [sys.executable, "-m", "multimarkets_async.cli", "webhooks", "demo", "--count", "400"],
        check=False,
    )
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert "reconciliation: ledger equals the platform's view" in out


async def test_the_platform_command_calls_a_brokers_app(broker: Broker) -> None:
    command = [sys.executable, "-m", "multimarkets_async.cli", "webhooks", "platform"]
    result = await anyio.run_process(
        [*command, "--url", broker.url, "--count", "100", "--users", "5"], check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    assert "external-system-credit-limit-adjustment" in result.stdout.decode()


@pytest.mark.parametrize("order_type", list(webhooks.OrderType))
async def test_every_order_type_and_overtrading(
    broker: Broker, wallet: LedgerWallet, order_type: webhooks.OrderType
) -> None:
    reply = await broker.post(ADJUST, adjustment(f"o-{order_type.value}", bizType=order_type))
    assert reply["code"] == "0"
    negative = adjustment("neg", amount="-3.125", digits=3, operationType="ABNORMAL_OVERTRADING")
    assert (await broker.post(ADJUST, negative))["code"] == "0"
    assert wallet.balances[("86000001", "USDT")] == Decimal("12.50") - Decimal("3.125")


def test_metadata_that_is_not_json_stays_text() -> None:
    raw = msgspec.json.encode(adjustment("m", metadata="plain words"))
    parsed = msgspec.json.decode(raw, type=webhooks.Adjustment, dec_hook=mm.models.dec_hook)
    assert parsed.metadata == "plain words"
    too_long = msgspec.json.encode(adjustment("m", metadata="x" * 201))
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(too_long, type=webhooks.Adjustment, dec_hook=mm.models.dec_hook)


async def test_a_failing_wallet_and_a_cancel_without_timestamp_or_order(
    broker: Broker, wallet: LedgerWallet
) -> None:
    wallet.fail = 1.0
    failed = await broker.post(ADJUST, adjustment("f-1"))
    assert failed["code"] == "G500" and "RuntimeError" in failed["msg"]
    assert broker.http is not None
    body = {k: v for k, v in cancel("f-1").items() if k != "orderId"}
    headers = {"trace": "t-2", "companyId": str(COMPANY)}  # no timestamp: optional on cancel
    async with broker.http.post(broker.url + CANCEL, json=body, headers=headers) as reply:
        assert msgspec.json.decode(await reply.read())["code"] == "US_0000001"
    bad = {"thirdServerCode": "crm-1", "userName": "86000001"}  # no currency
    assert (await broker.post(BALANCE, bad))["code"] == "GGATEWAY_CODE_015"


async def test_a_restart_keeps_every_outcome(tmp_path: Any) -> None:
    """SQLite store: an adjustment applied before a restart is not applied again after it,
    its cancel still reverses it; one whose outcome is in doubt (the process died while the
    wallet ran) is never guessed."""
    wallet = LedgerWallet()
    store = f"sqlite:///{tmp_path / 'hooks.db'}"
    first = Broker(webhooks.create_app(wallet, company_id=COMPANY, store=store))
    await first.start()
    try:
        assert (await first.post(ADJUST, adjustment("r-1")))["code"] == "0"
    finally:
        await first.stop()
    doubt = webhooks.SQLiteStore(tmp_path / "hooks.db")
    body = msgspec.json.encode(adjustment("r-2"))
    await doubt.put("r-2", webhooks.Entry(webhooks.State.RUNNING, body=body))
    await doubt.aclose()
    second = Broker(webhooks.create_app(wallet, company_id=COMPANY, store=store))
    await second.start()
    try:
        assert (await second.post(ADJUST, adjustment("r-1")))["code"] == "0"
        assert wallet.applied["r-1"] == 1
        assert (await second.post(CANCEL, cancel("r-1")))["code"] == "0"
        assert wallet.reversed["r-1"] == 1
        assert (await second.post(ADJUST, adjustment("r-2")))["code"] == "G500"
        assert (await second.post(CANCEL, cancel("r-2", no="c-2")))["code"] == "G500"
        assert not wallet.applied["r-2"] and not wallet.reversed["r-2"]
    finally:
        await second.stop()


async def test_a_secret_path_prefix(wallet: LedgerWallet) -> None:
    served = Broker(webhooks.create_app(wallet, company_id=COMPANY, path_prefix="/s3cret/"))
    await served.start()
    try:
        assert (await served.post("/s3cret" + ADJUST, adjustment("p-1")))["code"] == "0"
        assert served.http is not None
        async with served.http.post(served.url + ADJUST, json=adjustment("p-2")) as reply:
            assert reply.status == 404
    finally:
        await served.stop()
