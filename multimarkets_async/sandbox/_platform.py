"""``Platform``: the platform's side of external wallet settlement: it calls a broker's three
webhooks the way MultiMarkets does, timeouts, cancels, retries and races included, and records
what the platform believes was applied. Like the rest of the sandbox it speaks the wire format
on its own: it imports nothing from the client, nor from the webhook server it exercises.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any

import aiohttp
import msgspec

from ._config import COMPANY_ID
from ._platform_wire import (
    ACCEPTED,
    ADJUST_PATH,
    BALANCE_PATH,
    CANCEL_BACKOFF,
    CANCEL_PATH,
    MALFORMED,
    NEVER_RECEIVED,
    NOT_APPLIED,
    OPERATION_TYPES,
    TIMEOUT,
    TRANSPORT,
    Outcome,
    Plan,
    PlatformReport,
    _encode,
    _ip,
    _now_ms,
    _wire_amount,
    gather_all,
    report_of,
)


class Platform:
    """MultiMarkets calling a broker's webhooks at ``base_url`` (the three paths under it).

    ::

        async with Platform("http://127.0.0.1:8080/hooks", seed=1) as platform:
            report = await platform.run([("c-1", "86000001")], 500)

    ``company_id`` goes in every ``companyId`` header; ``seed`` makes the request numbers,
    order ids and the mix of :meth:`run` repeatable; ``timeout`` is the seconds the broker has
    to answer a call (3 s on the platform); ``retries`` the extra attempts of a cancel that
    timed out, failed or got an error code.
    """

    def __init__(
        self,
        base_url: str,
        *,
        company_id: int = COMPANY_ID,
        seed: int = 0,
        timeout: float = 3.0,
        retries: int = 3,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.company_id = company_id
        self.seed = seed
        self.timeout = timeout
        self.retries = retries
        self.calls: Counter[str] = Counter()
        """Calls sent, per webhook path."""
        self.codes: Counter[str] = Counter()
        """Replies seen, per code (pseudo-codes included)."""
        self._rng = random.Random(seed)
        self._traces = itertools.count(1)
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"<Platform {self.base_url} company={self.company_id} seed={self.seed}>"

    async def __aenter__(self) -> Platform:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- the three webhooks ------------------------------------------------------------------

    async def balance(
        self, third_server_code: str, user_name: str, currency: str
    ) -> dict[str, Any]:
        """Ask ``/get-user-amount``; the reply envelope. Raises ``TimeoutError`` (no answer
        within ``timeout``), ``aiohttp.ClientError`` or ``RuntimeError`` (no JSON envelope)."""
        body = {"thirdServerCode": third_server_code, "userName": user_name, "currency": currency}
        status, reply = await self._send(BALANCE_PATH, body)
        if status != 200 or not isinstance(reply, dict):
            raise RuntimeError(f"{BALANCE_PATH} answered HTTP {status} without an envelope")
        self.codes[str(reply.get("code"))] += 1
        return reply

    async def adjust(
        self,
        user: tuple[str, str],
        currency: str,
        amount: Decimal,
        *,
        operation_type: str = "OPEN_POSITION",
        biz_type: int = 1,
        order_id: int | None = None,
        request_unique_no: str | None = None,
        metadata: str | None = None,
        repeat: bool = False,
        cancel_early: bool = False,
    ) -> Outcome:
        """Send one adjustment for ``user`` (``(thirdServerCode, userName)``) and settle it.

        The order fails on a timeout, a transport failure or a code other than ``"0"``; the
        platform then sends the cancel (retried up to ``retries`` times). ``repeat`` sends the
        adjustment twice at once (a platform retry: the order succeeds only if both copies
        get ``"0"``). ``cancel_early`` races a cancel against the adjustment (an out-of-order
        cancel): the platform then treats the order as cancelled whatever the adjustment gets.
        """
        if operation_type not in OPERATION_TYPES:
            raise ValueError(f"operation_type must be one of {OPERATION_TYPES}")
        negative = operation_type == "ABNORMAL_OVERTRADING"
        if amount == 0 or (amount < 0) != negative:
            sign = "negative" if negative else "positive"
            raise ValueError(f"{operation_type} takes a {sign} amount, not {amount}")
        text, digits = _wire_amount(amount)
        body = Platform._body(user, currency, text, digits, biz_type)
        body["operationType"] = operation_type
        body["orderId"] = self._order_id() if order_id is None else order_id
        body["requestUniqueNo"] = request_unique_no or self._unique_no()
        if metadata is not None:
            body["metadata"] = metadata
        outcome = Outcome(body["requestUniqueNo"], user[1], currency, amount, operation_type)
        remark = "cancelled while the order was placed" if cancel_early else "order failed"
        cancel = self._reversal(body, remark)
        outcome.cancel_request_unique_no = cancel["requestUniqueNo"]
        outcome.sent = 2 if repeat else 1
        sends = [self._call(ADJUST_PATH, body) for _ in range(outcome.sent)]
        if cancel_early:
            # Which leaves first (the cancel "before" or "while"): drawn from the request number,
            # so that the shared seeded sequence does not shift.
            cancel_call = self._cancel(cancel, outcome)
            if random.Random(body["requestUniqueNo"]).random() < 0.5:
                cancel_code, *codes = await asyncio.gather(cancel_call, *sends)
            else:
                *codes, cancel_code = await asyncio.gather(*sends, cancel_call)
            outcome.codes[:0] = [("adjust", code) for code in codes]
            self._settle(outcome, cancel_code)
            return outcome
        codes = list(await asyncio.gather(*sends))
        outcome.codes.extend(("adjust", code) for code in codes)
        if all(code == ACCEPTED for code in codes):
            outcome.applied = True
        else:
            cancel["cancelRemark"] = f"order failed: {', '.join(sorted(set(codes)))}"
            self._settle(outcome, await self._cancel(cancel, outcome))
        return outcome

    async def cancel(
        self,
        user: tuple[str, str],
        currency: str,
        amount: Decimal,
        reverse_request_unique_no: str,
        *,
        biz_type: int = 1,
        order_id: int | None = None,
        remark: str = "order cancelled",
    ) -> Outcome:
        """Send a cancel of ``reverse_request_unique_no`` alone (retried like :meth:`adjust`'s),
        as for an adjustment of ``amount`` this platform never sent (``sent`` is 0): an honest
        broker answers ``US_0000002`` unless the adjustment reached it some other way."""
        text, digits = _wire_amount(abs(amount))
        body = Platform._body(user, currency, text, digits, biz_type)
        body["requestUniqueNo"] = reverse_request_unique_no
        if order_id is not None:
            body["orderId"] = order_id
        cancel = self._reversal(body, remark)
        outcome = Outcome(reverse_request_unique_no, user[1], currency, amount, "")
        outcome.cancel_request_unique_no = cancel["requestUniqueNo"]
        self._settle(outcome, await self._cancel(cancel, outcome))
        return outcome

    @staticmethod
    def _body(
        user: tuple[str, str], currency: str, amount: str, digits: int, biz_type: int
    ) -> dict[str, Any]:
        return {
            "thirdServerCode": user[0],
            "userName": user[1],
            "currency": currency,
            "bizType": biz_type,
            "amount": amount,
            "amountDigits": digits,
            "requestTime": _now_ms(),
            "ip": _ip(user[1]),
        }

    # -- a seeded mix ------------------------------------------------------------------------

    async def run(
        self,
        users: Sequence[tuple[str, str]],
        count: int,
        *,
        concurrency: int = 16,
        duplicates: float = 0.05,
        cancels_out_of_order: float = 0.02,
        currencies: Sequence[str] = ("USDT",),
    ) -> PlatformReport:
        """Send ``count`` seeded adjustments over ``users`` (``(thirdServerCode, userName)``
        pairs), ``concurrency`` orders at once (an order's copies and cancel race each other
        on top): positive ``OPEN_POSITION``/``NORMAL_CLOSE``
        and some negative ``ABNORMAL_OVERTRADING`` amounts with 2–8 places, a share
        ``duplicates`` sent twice, a share ``cancels_out_of_order`` raced by a cancel, plus
        as many cancels (at least one, unless the share is 0) for request numbers never sent,
        which must get ``US_0000002``. Failed adjustments are cancelled as :meth:`adjust`
        does. The report sums what the platform believes applied."""
        if not users:
            raise ValueError("run needs at least one user")
        plans = [
            self._plan(users, currencies, duplicates, cancels_out_of_order) for _ in range(count)
        ]
        phantoms = (
            0 if cancels_out_of_order <= 0 else max(1, round(count * cancels_out_of_order / 2))
        )
        strays = [self._plan(users, currencies, 0.0, 0.0) for _ in range(phantoms)]
        calls, codes = self.calls.copy(), self.codes.copy()
        gate = asyncio.Semaphore(concurrency)

        async def one(plan: Plan) -> Outcome:
            async with gate:
                return await self.adjust(
                    plan.user,
                    plan.currency,
                    plan.amount,
                    operation_type=plan.operation_type,
                    biz_type=plan.biz_type,
                    order_id=plan.order_id,
                    request_unique_no=plan.request_unique_no,
                    repeat=plan.repeat,
                    cancel_early=plan.cancel_early,
                )

        async def stray(plan: Plan) -> Outcome:
            async with gate:
                return await self.cancel(
                    plan.user,
                    plan.currency,
                    plan.amount,
                    plan.request_unique_no,
                    biz_type=plan.biz_type,
                    order_id=plan.order_id,
                    remark="cancel of an order never sent",
                )

        outcomes = await gather_all([*map(one, plans), *map(stray, strays)])
        duplicated = sum(1 for plan in plans if plan.repeat)
        return report_of(outcomes, self.calls - calls, self.codes - codes, duplicated)

    def _plan(
        self,
        users: Sequence[tuple[str, str]],
        currencies: Sequence[str],
        duplicates: float,
        early: float,
    ) -> Plan:
        rng = self._rng
        operation = rng.choices(OPERATION_TYPES, weights=(45, 45, 10))[0]
        biz_type = {"OPEN_POSITION": (1, 12), "NORMAL_CLOSE": (2, 10, 11)}.get(operation, (2,))
        digits = rng.randint(2, 8)
        amount = Decimal(rng.randint(1, 10 ** (digits + 4))).scaleb(-digits)
        return Plan(
            user=rng.choice(users),
            currency=rng.choice(currencies),
            amount=-amount if operation == "ABNORMAL_OVERTRADING" else amount,
            operation_type=operation,
            biz_type=rng.choice(biz_type),
            order_id=self._order_id(),
            request_unique_no=self._unique_no(),
            repeat=rng.random() < duplicates,
            cancel_early=rng.random() < early,
        )

    # -- cancels -----------------------------------------------------------------------------

    def _reversal(self, adjustment: dict[str, Any], remark: str) -> dict[str, Any]:
        """The cancel of ``adjustment``: its fields but ``operationType``, a positive amount
        and a new request number reversing the adjustment's."""
        body = {key: value for key, value in adjustment.items() if key != "operationType"}
        body["amount"] = str(body["amount"]).lstrip("-")
        body["reverseRequestUniqueNo"] = adjustment["requestUniqueNo"]
        body["requestUniqueNo"] = self._unique_no()
        body["cancelRemark"] = remark[:200]
        return body

    async def _cancel(self, body: dict[str, Any], outcome: Outcome) -> str:
        """Send a cancel until it gets ``"0"``, ``US_0000001`` or ``US_0000002`` or runs out
        of retries; the last code. The same request number is sent each time."""
        # The timestamp header is optional on a cancel: leave it out of about one in four,
        # drawn from the cancel's own number so that the shared seeded sequence does not shift.
        stamp = random.Random(body["requestUniqueNo"]).random() >= 0.25
        code = TIMEOUT
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(CANCEL_BACKOFF * 2 ** (attempt - 1))
            body["requestTime"] = _now_ms()
            code = await self._call(CANCEL_PATH, body, timestamp=stamp)
            outcome.codes.append(("cancel", code))
            if code in (ACCEPTED, NOT_APPLIED, NEVER_RECEIVED):
                break
        return code

    @staticmethod
    def _settle(outcome: Outcome, code: str) -> None:
        outcome.applied = False
        outcome.cancelled = code in (ACCEPTED, NOT_APPLIED)
        outcome.unresolved = code not in (ACCEPTED, NOT_APPLIED, NEVER_RECEIVED)

    # -- the wire ----------------------------------------------------------------------------

    async def _call(self, path: str, body: dict[str, Any], *, timestamp: bool = True) -> str:
        """One call; its reply code, or a pseudo-code when no envelope came back."""
        try:
            status, reply = await self._send(path, body, timestamp=timestamp)
        except asyncio.TimeoutError:
            code = TIMEOUT
        except aiohttp.ClientError:
            code = TRANSPORT
        else:
            if status != 200:
                code = f"HTTP {status}"
            elif isinstance(reply, dict) and "code" in reply:
                code = str(reply["code"])
            else:
                code = MALFORMED
        self.codes[code] += 1
        return code

    async def _send(
        self, path: str, body: dict[str, Any], *, timestamp: bool = True
    ) -> tuple[int, Any]:
        """POST ``body``; the HTTP status and the decoded reply (None if not JSON)."""
        if self._session is None:
            raise RuntimeError("use the Platform as an async context manager")
        headers = {
            "Content-Type": "application/json",
            "trace": f"platform-{self.seed}-{next(self._traces)}",
            "companyId": str(self.company_id),
        }
        if timestamp:
            headers["timestamp"] = str(_now_ms())
        self.calls[path] += 1
        async with self._session.post(
            self.base_url + path,
            data=_encode(body),
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        ) as response:
            raw = await response.read()
        try:
            return response.status, msgspec.json.decode(raw)
        except msgspec.DecodeError:
            return response.status, None

    # -- seeded values -----------------------------------------------------------------------

    def _unique_no(self) -> str:
        return f"P{self.company_id}-{self._rng.getrandbits(96):024x}"

    def _order_id(self) -> int:
        return self._rng.randrange(10**17, 10**18)
