"""What the sandbox's ``Platform`` sends and records: the webhook paths, codes and wire
amounts, and ``Outcome`` / ``PlatformReport`` (what the platform saw and believes)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec

BALANCE_PATH = "/get-user-amount"
ADJUST_PATH = "/external-system-credit-limit-adjustment"
CANCEL_PATH = "/cancel-external-system-credit-limit-adjustment"

OPERATION_TYPES = ("OPEN_POSITION", "NORMAL_CLOSE", "ABNORMAL_OVERTRADING")
"""``operationType`` values: the first two carry a positive amount, the last a negative one."""

ACCEPTED = "0"
NOT_APPLIED = "US_0000001"
"""A cancel's reply: the adjustment was received but not applied."""
NEVER_RECEIVED = "US_0000002"
"""A cancel's reply: the adjustment was never received."""

# Pseudo-codes recorded for calls that got no envelope.
TIMEOUT = "timeout"
TRANSPORT = "transport"
MALFORMED = "malformed"

CANCEL_BACKOFF = 0.05
"""Seconds before the first cancel retry; doubled for each further one."""

_encode = msgspec.json.encode


def _now_ms() -> int:
    return int(time.time() * 1000)


def _wire_amount(amount: Decimal) -> tuple[str, int]:
    """The amount as text with its ``amountDigits`` (the places it is written with)."""
    exponent = amount.as_tuple().exponent
    digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return f"{amount:.{digits}f}", digits


@dataclass
class Outcome:
    """One adjustment as the platform saw it.

    ``applied``: the adjustment got code ``"0"`` in time (every copy sent) and was not
    cancelled. ``cancelled``: a cancel got ``"0"`` (reversed) or ``US_0000001`` (never
    applied). ``unresolved``: a cancel was due but never got a definitive answer (the platform
    believes the order failed, the broker may disagree). ``codes``: every reply as
    ``(call, code)``, call being ``"adjust"`` or ``"cancel"``, code the envelope's ``code`` or
    ``"timeout"``, ``"transport"``, ``"malformed"``, ``"HTTP <status>"``. ``sent``: copies of
    the adjustment sent (2 for a platform retry, 0 for a cancel of one never sent).
    """

    request_unique_no: str
    user_name: str
    currency: str
    amount: Decimal
    operation_type: str
    sent: int = 0
    applied: bool = False
    cancelled: bool = False
    unresolved: bool = False
    cancel_request_unique_no: str | None = None
    codes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def timed_out(self) -> bool:
        """Some call of this adjustment timed out."""
        return any(code == TIMEOUT for _, code in self.codes)


@dataclass
class PlatformReport:
    """What a :meth:`Platform.run` did and what the platform believes.

    ``net``: per ``(user_name, currency)`` touched, the sum of the adjustments accepted and
    not reversed (what the broker's ledger should have moved by). ``calls`` per webhook path,
    ``codes`` per reply code (pseudo-codes included), ``timeouts``, ``cancels`` (cancel calls,
    retries included), ``duplicates`` (adjustments sent twice) and every ``outcome``.
    """

    net: dict[tuple[str, str], Decimal]
    calls: Counter[str]
    codes: Counter[str]
    timeouts: int
    cancels: int
    duplicates: int
    outcomes: list[Outcome]


def _ip(user_name: str) -> str:
    """A stable private address per user (not drawn: it must not shift the seeded sequence)."""
    value = sum(map(ord, user_name))
    return f"10.{value % 256}.{len(user_name) % 256}.{value % 251 + 1}"


@dataclass
class Plan:
    """One adjustment of :meth:`Platform.run`'s mix, drawn before any is sent."""

    user: tuple[str, str]
    currency: str
    amount: Decimal
    operation_type: str
    biz_type: int
    order_id: int
    request_unique_no: str
    repeat: bool
    cancel_early: bool


async def gather_all(calls: list[Any]) -> list[Outcome]:
    """Run ``calls`` (coroutines) concurrently; on a failure cancel the rest and raise it."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def report_of(
    outcomes: list[Outcome], calls: Counter[str], codes: Counter[str], duplicates: int
) -> PlatformReport:
    """The report of a run: what the platform believes each ``(user, currency)`` moved by
    (the adjustments it saw accepted and not reversed), and the run's counts."""
    net: dict[tuple[str, str], Decimal] = {}
    for outcome in outcomes:
        if outcome.sent:
            key = (outcome.user_name, outcome.currency)
            net[key] = net.get(key, Decimal(0)) + (outcome.amount if outcome.applied else 0)
    return PlatformReport(
        net=net,
        calls=calls,
        codes=codes,
        timeouts=codes[TIMEOUT],
        cancels=calls[CANCEL_PATH],
        duplicates=duplicates,
        outcomes=outcomes,
    )
