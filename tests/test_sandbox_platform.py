"""The sandbox's platform calling a broker's webhooks, against an honest in-memory broker written
here with plain aiohttp: what the platform believes applied is what the broker's ledger holds."""

from __future__ import annotations

import asyncio
import random
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from aiohttp import web

from multimarkets_async.sandbox import Platform, Sandbox
from multimarkets_async.sandbox._platform_wire import (
    ADJUST_PATH,
    CANCEL_PATH,
    NEVER_RECEIVED,
    NOT_APPLIED,
    TIMEOUT,
)

pytestmark = pytest.mark.anyio

TIMEOUT_S = 0.15  # the platform's patience in these tests
SLOW_S = 0.3  # a slow broker's hold: beyond the platform's patience
USERS = [(f"c-{n}", f"8600000{n}") for n in range(1, 6)]


@dataclass
class _Entry:
    key: tuple[str, str]
    amount: Decimal
    state: str = "pending"  # applied, refused, reversed, cancelled (while pending)
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Broker:
    """An honest broker: a dict ledger, idempotent on request numbers, the cancel codes of the
    vendor's rules, a cancel arriving first remembered so the late adjustment is refused; a
    share ``slow`` of adjustments held ``SLOW_S`` (before or after applying them) and a share
    ``flaky`` of cancels answered 503 the first time."""

    def __init__(self, seed: int, *, slow: float = 0.0, flaky: float = 0.0) -> None:
        self.rng = random.Random(seed)
        self.slow, self.flaky = slow, flaky
        self.ledger: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self.entries: dict[str, _Entry] = {}
        self.received: Counter[str] = Counter()
        self.cancels: dict[str, str] = {}
        self.failed_once: set[str] = set()
        self.unknown_cancelled: set[str] = set()
        self.in_flight = 0
        self.bad_headers: list[dict[str, str]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hooks/get-user-amount", self.balance)
        app.router.add_post("/hooks" + ADJUST_PATH, self.adjust)
        app.router.add_post("/hooks" + CANCEL_PATH, self.cancel)
        return app

    def _check(self, request: web.Request, *, timestamp: bool) -> None:
        headers = request.headers
        stamp = headers.get("timestamp")
        if (
            not headers.get("trace")
            or headers.get("companyId") != "439"
            or (stamp is None and timestamp)
            or (stamp is not None and not re.fullmatch(r"\d{13}", stamp))
        ):
            self.bad_headers.append(dict(headers))

    @staticmethod
    def _reply(request: web.Request, code: str, data: Any = None) -> web.Response:
        envelope = {
            "code": code,
            "msg": "Success" if code == "0" else "refused",
            "ok": code == "0",
            "fail": code != "0",
            "data": {} if data is None else data,
            "trace": request.headers.get("trace", ""),
            "bizCode": "",
            "tm": 1,
            "msgParams": None,
        }
        return web.Response(body=msgspec.json.encode(envelope), content_type="application/json")

    async def balance(self, request: web.Request) -> web.Response:
        self._check(request, timestamp=True)
        body = msgspec.json.decode(await request.read())
        amount = self.ledger[(body["userName"], body["currency"])]
        data = {**body, "amount": f"{amount:.8f}", "amountDigits": 8}
        return self._reply(request, "0", data)

    async def adjust(self, request: web.Request) -> web.Response:
        self._check(request, timestamp=True)
        body = msgspec.json.decode(await request.read())
        number = body["requestUniqueNo"]
        self.received[number] += 1
        amount = Decimal(body["amount"])
        assert -amount.as_tuple().exponent == body["amountDigits"]  # type: ignore[operator]
        if number in self.unknown_cancelled:
            return self._reply(request, "US_CANCELLED")
        entry = self.entries.get(number)
        if entry is not None:  # a repeat: answer as the first copy is (to be) answered
            await entry.done.wait()
            return self._reply(request, "0" if entry.state == "applied" else "US_REFUSED")
        entry = self.entries[number] = _Entry((body["userName"], body["currency"]), amount)
        self.in_flight += 1
        try:
            hold = self.rng.random() < self.slow
            before = self.rng.random() < 0.5
            if hold and before:
                await asyncio.sleep(SLOW_S)
            if entry.state == "pending":
                self.ledger[entry.key] += amount
                entry.state = "applied"
            entry.done.set()
            if hold and not before:
                await asyncio.sleep(SLOW_S)
        finally:
            self.in_flight -= 1
        return self._reply(request, "0" if entry.state == "applied" else "US_REFUSED")

    async def cancel(self, request: web.Request) -> web.Response:
        self._check(request, timestamp=False)
        body = msgspec.json.decode(await request.read())
        number = body["requestUniqueNo"]
        if number not in self.failed_once and self.rng.random() < self.flaky:
            self.failed_once.add(number)  # once: the platform's retries must then settle it
            return web.Response(status=503)
        assert not body["amount"].startswith("-") and body["cancelRemark"]
        reverse = body["reverseRequestUniqueNo"]
        if number in self.cancels:
            return self._reply(request, self.cancels[number])
        entry = self.entries.get(reverse)
        if entry is None:
            self.unknown_cancelled.add(reverse)
            code = NEVER_RECEIVED
        elif entry.state == "applied":
            self.ledger[entry.key] -= entry.amount
            entry.state, code = "reversed", "0"
        elif entry.state == "reversed":
            code = "0"
        else:  # pending, refused or cancelled: received, never applied
            entry.state, code = "cancelled", NOT_APPLIED
            entry.done.set()
        self.cancels[number] = code
        return self._reply(request, code)

    async def settled(self) -> dict[tuple[str, str], Decimal]:
        """The ledger once no held adjustment is left, without the zero balances."""
        while self.in_flight:
            await asyncio.sleep(0.01)
        return {key: amount for key, amount in self.ledger.items() if amount}


@pytest.fixture
async def serve() -> AsyncIterator[Any]:
    runners: list[web.AppRunner] = []

    async def start(broker: Broker) -> str:
        runner = web.AppRunner(broker.app(), access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}/hooks"

    yield start
    for runner in runners:
        await runner.cleanup()


def _believed(net: dict[tuple[str, str], Decimal]) -> dict[tuple[str, str], Decimal]:
    return {key: amount for key, amount in net.items() if amount}


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_platforms_belief_is_the_brokers_ledger(serve: Any, seed: int) -> None:
    broker = Broker(seed, slow=0.08, flaky=0.1)
    url = await serve(broker)
    async with Platform(url, seed=seed, timeout=TIMEOUT_S) as platform:
        report = await platform.run(
            USERS, 150, duplicates=0.1, cancels_out_of_order=0.05, currencies=("USDT", "USD")
        )
    assert _believed(report.net) == await broker.settled()
    assert not broker.bad_headers
    assert report.timeouts > 0 and report.cancels > 0 and report.duplicates > 0
    assert report.calls[ADJUST_PATH] == 150 + report.duplicates
    assert not [o for o in report.outcomes if o.unresolved]
    operations = Counter(o.operation_type for o in report.outcomes if o.sent)
    assert operations["ABNORMAL_OVERTRADING"] and operations["NORMAL_CLOSE"]
    assert all(o.amount < 0 for o in report.outcomes if o.operation_type == "ABNORMAL_OVERTRADING")
    phantoms = [o for o in report.outcomes if not o.sent]
    assert phantoms and all(o.codes[-1] == ("cancel", NEVER_RECEIVED) for o in phantoms)
    for outcome in report.outcomes:
        if outcome.timed_out:
            assert any(call == "cancel" for call, _ in outcome.codes)
            assert not outcome.applied
    # A balance query reads the same ledger.
    user_name = next(iter(report.net))[0]
    third = dict((name, code) for code, name in USERS)[user_name]
    async with Platform(url, seed=seed) as platform:
        reply = await platform.balance(third, user_name, "USDT")
    assert reply["code"] == "0"
    assert Decimal(reply["data"]["amount"]) == broker.ledger[(user_name, "USDT")]


async def test_the_same_seed_sends_the_same_mix(serve: Any) -> None:
    runs = []
    for _ in range(2):
        url = await serve(Broker(0))
        async with Platform(url, seed=9, timeout=TIMEOUT_S) as platform:
            report = await platform.run(USERS, 40, duplicates=0.2)
        runs.append(sorted((o.request_unique_no, o.amount, o.sent) for o in report.outcomes))
    assert runs[0] == runs[1]


async def test_a_cancel_of_an_adjustment_never_sent_gets_us_0000002(serve: Any) -> None:
    url = await serve(Broker(0))
    async with Platform(url) as platform:
        outcome = await platform.cancel(USERS[0], "USDT", Decimal("1.25"), "never-sent-1")
    assert outcome.codes == [("cancel", NEVER_RECEIVED)]
    assert not outcome.applied and not outcome.cancelled and not outcome.unresolved


async def test_a_timeout_leads_to_a_cancel_and_nothing_applied(serve: Any) -> None:
    broker = Broker(0, slow=1.0)
    url = await serve(broker)
    async with Platform(url, timeout=TIMEOUT_S) as platform:
        outcomes = [await platform.adjust(USERS[0], "USDT", Decimal("10.50")) for _ in range(4)]
    for outcome in outcomes:
        assert outcome.codes[0] == ("adjust", TIMEOUT)
        assert outcome.codes[-1][0] == "cancel" and outcome.codes[-1][1] in ("0", NOT_APPLIED)
        assert outcome.cancelled and not outcome.applied
        assert broker.cancels[outcome.cancel_request_unique_no or ""] == outcome.codes[-1][1]
    assert await broker.settled() == {}


async def test_an_error_code_leads_to_a_cancel(serve: Any) -> None:
    broker = Broker(0)
    url = await serve(broker)
    async with Platform(url) as platform:
        early = await platform.cancel(USERS[0], "USDT", Decimal("2.00"), "refused-later")
        outcome = await platform.adjust(
            USERS[0], "USDT", Decimal("2.00"), request_unique_no="refused-later"
        )
    assert early.codes == [("cancel", NEVER_RECEIVED)]
    assert outcome.codes == [("adjust", "US_CANCELLED"), ("cancel", NEVER_RECEIVED)]
    assert not outcome.applied and await broker.settled() == {}


async def test_a_platform_retry_sends_the_adjustment_twice(serve: Any) -> None:
    broker = Broker(0)
    url = await serve(broker)
    async with Platform(url, seed=4) as platform:
        outcome = await platform.adjust(
            USERS[1],
            "USDT",
            Decimal("-3.141"),
            operation_type="ABNORMAL_OVERTRADING",
            biz_type=2,
            metadata='{"symbol": "BTCUSDT"}',
            repeat=True,
        )
    assert broker.received[outcome.request_unique_no] == 2 and outcome.sent == 2
    assert outcome.codes == [("adjust", "0"), ("adjust", "0")] and outcome.applied
    assert await broker.settled() == {(USERS[1][1], "USDT"): Decimal("-3.141")}


async def test_an_early_cancel_wins_whatever_order_it_arrives_in(serve: Any) -> None:
    broker = Broker(0)
    url = await serve(broker)
    async with Platform(url, seed=5) as platform:
        outcomes = [
            await platform.adjust(USERS[2], "USDT", Decimal("1.00"), cancel_early=True)
            for _ in range(10)
        ]
    assert all(not o.applied and o.sent == 1 for o in outcomes)
    assert await broker.settled() == {}


async def test_the_amount_must_match_the_operation() -> None:
    async with Platform("http://127.0.0.1:9") as platform:
        with pytest.raises(ValueError, match="negative"):
            await platform.adjust(
                USERS[0], "USDT", Decimal(1), operation_type="ABNORMAL_OVERTRADING"
            )
        with pytest.raises(ValueError, match="positive"):
            await platform.adjust(USERS[0], "USDT", Decimal(-1), operation_type="NORMAL_CLOSE")


def test_the_sandbox_gives_its_companys_platform() -> None:
    sandbox = Sandbox(customers=1, seed=11, company_id=77)
    platform = sandbox.platform("http://127.0.0.1:1/hooks/", timeout=1.0)
    assert isinstance(platform, Platform)
    assert (platform.company_id, platform.seed, platform.timeout) == (77, 11, 1.0)
    assert platform.base_url == "http://127.0.0.1:1/hooks"
