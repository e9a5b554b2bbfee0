"""A broker's wallet for the webhook tests: an in-memory ledger that can be slow, fail or
refuse, and that counts every call (so the tests can see nothing was applied twice)."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal

import anyio

import multimarkets_async as mm
from multimarkets_async import webhooks


class LedgerWallet(webhooks.Wallet):
    """Balances per (user, currency); ``slow``/``fail``/``refuse`` are shares of adjust
    calls that take ``slow_delay`` seconds, raise, or are refused (seeded)."""

    def __init__(
        self,
        *,
        seed: int = 0,
        slow: float = 0.0,
        slow_delay: float = 0.2,
        fail: float = 0.0,
        refuse: float = 0.0,
    ) -> None:
        self.balances: dict[tuple[str, str], Decimal] = {}
        self.applied: Counter[str] = Counter()  # adjust calls that applied, per unique no
        self.reversed: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self.slow, self.slow_delay, self.fail, self.refuse = slow, slow_delay, fail, refuse

    async def balance(self, q: webhooks.BalanceQuery) -> mm.Amount:
        return mm.Amount(self.balances.get((q.user_name, q.currency), Decimal(0)))

    async def adjust(self, a: webhooks.Adjustment) -> None:
        roll = self._rng.random()
        if roll < self.slow:
            await anyio.sleep(self.slow_delay)
        roll = self._rng.random()
        if roll < self.fail:
            raise RuntimeError("ledger unavailable")
        if roll < self.fail + self.refuse:
            raise webhooks.Rejected("US_1000001", "insufficient funds")
        key = (a.user_name, a.currency)
        self.balances[key] = self.balances.get(key, Decimal(0)) + a.amount
        self.applied[a.request_unique_no] += 1

    async def reverse(self, a: webhooks.Adjustment, c: webhooks.Cancellation) -> None:
        key = (a.user_name, a.currency)
        self.balances[key] = self.balances.get(key, Decimal(0)) - a.amount
        self.reversed[a.request_unique_no] += 1
