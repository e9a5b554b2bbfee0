"""``MemoryWallet``: an in-memory ledger, for the demo and for trying the app out."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from ..models import Amount
from ._models import Adjustment, BalanceQuery, Cancellation
from ._wallet import Rejected, Wallet


class MemoryWallet(Wallet):
    """Balances per ``(user_name, currency)``, starting at ``opening``; an adjustment that
    would take a balance below zero is refused. ``applied`` and ``reversed`` count the calls
    per ``request_unique_no`` (each is at most 1 behind the app)."""

    def __init__(self, opening: Decimal = Decimal(10_000)) -> None:
        self.opening = opening
        self.balances: dict[tuple[str, str], Decimal] = {}
        self.applied: Counter[str] = Counter()
        self.reversed: Counter[str] = Counter()

    def _key(self, user_name: str, currency: str) -> tuple[str, str]:
        key = (user_name, currency)
        self.balances.setdefault(key, self.opening)
        return key

    async def balance(self, q: BalanceQuery) -> Amount:
        return Amount(self.balances[self._key(q.user_name, q.currency)])

    async def adjust(self, a: Adjustment) -> None:
        key = self._key(a.user_name, a.currency)
        if self.balances[key] + a.amount < 0:
            raise Rejected("US_1000001", "insufficient funds")
        self.balances[key] += a.amount
        self.applied[a.request_unique_no] += 1

    async def reverse(self, a: Adjustment, c: Cancellation) -> None:
        self.balances[self._key(a.user_name, a.currency)] -= a.amount
        self.reversed[a.request_unique_no] += 1
