"""Accounts, balances and the ledger (capital flow) of every customer and trading mode.

Generated balances and history are a pure function of the seed and ids; what clients change
(adjustments, bonuses, deposits) is kept explicitly, so a balance moves after an adjustment and
the ledger gains the entry.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

from .._config import SandboxConfig
from ._hash import seeded_hash
from .customers import CustomerStore
from .reference import TRADE_TYPE_ASSETS

DEAL_BASE = 5_000_000_000
ORDER_BASE = 7_000_000_000
BIG_LEDGER_EVERY = 500  # customers 1, 501, 1001, ... have long ledgers, to page through
BIG_LEDGER_SIZE = 2_345  # unless `ledger_size` says otherwise
LEDGER_CACHE_ENTRIES = 16
LEDGER_NAMES = {1: "Deposit", 2: "Withdrawal", 4: "Adjustment", 6: "Trade", 42: "Reward"}
"""Names of the ledger's business types."""
LedgerKind = tuple[int, int]
"""A ledger entry's (business type, sub-type)."""
DEPOSIT: LedgerKind = (1, 1001)
WITHDRAWAL: LedgerKind = (2, 2001)
ADJUSTMENT: LedgerKind = (4, 4004)
REWARD: LedgerKind = (42, 42001)  # an activity bonus
SUBJECT_BALANCE = 1  # subject type 1: an account's balance


def account_id(customer_id: int, trade_type: int, currency: str = "USDT") -> int:
    """The account of one customer, trading mode and currency."""
    return customer_id * 1000 + trade_type * 10 + TRADE_TYPE_ASSETS[trade_type].index(currency)


def subject_id(account: int) -> int:
    """The balance subject of account ``account``."""
    return account * 10 + SUBJECT_BALANCE


def bookkeep_id(customer_id: int, trade_type: int, n: int, added: bool = False) -> int:
    """Unique over all ledgers: entry ``n`` of the generated or added entries of one
    customer's ledger in one trading mode."""
    return (customer_id * 10 + trade_type) * 10**8 + (5 * 10**7 if added else 0) + n


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One capital-flow entry: ``delta`` moved the balance to ``after``."""

    bookkeep_id: int
    customer_id: int
    account_id: int
    currency: str
    delta: Decimal
    after: Decimal
    kind: int  # the business type (see LEDGER_NAMES)
    sub_kind: int
    created: int  # epoch milliseconds
    order_id: int | None = None
    deal_id: int | None = None
    remark: str | None = None

    @property
    def name(self) -> str:
        """The business type's name."""
        return LEDGER_NAMES[self.kind]


class Accounts:
    """Balances and ledgers; ``post`` moves a balance and records the entry."""

    def __init__(self, store: CustomerStore, config: SandboxConfig) -> None:
        self.store = store
        self.config = config
        self.seed = config.seed
        self.balance_changes: dict[tuple[int, int, str], Decimal] = {}
        self.ledger_added: dict[tuple[int, int], list[LedgerEntry]] = {}
        self._ledger_cache: OrderedDict[tuple[int, int, int], list[LedgerEntry]] = OrderedDict()

    def balance(self, customer_id: int, trade_type: int, currency: str) -> Decimal:
        """The balance of one account: generated, plus what clients changed."""
        base = Decimal(seeded_hash(self.seed, customer_id, trade_type, len(currency)) % 5_000_000)
        base /= 100
        if currency != "USDT":
            base = base / 10_000
        return base + self.balance_changes.get((customer_id, trade_type, currency), Decimal(0))

    def post(
        self,
        customer_id: int,
        trade_type: int,
        currency: str,
        delta: Decimal,
        kinds: LedgerKind,
        remark: str | None = None,
    ) -> LedgerEntry:
        """Move a balance by ``delta`` and add the ledger entry (business type, sub-type);
        the entry."""
        key = (customer_id, trade_type, currency)
        self.balance_changes[key] = self.balance_changes.get(key, Decimal(0)) + delta
        entries = self.ledger_added.setdefault((customer_id, trade_type), [])
        now = int(time.time() * 1000)
        if entries:  # one entry per millisecond at most, so entries differ by createTime
            now = max(now, entries[-1].created + 1)
        entry = LedgerEntry(
            bookkeep_id(customer_id, trade_type, len(entries), added=True),
            customer_id,
            account_id(customer_id, trade_type, currency),
            currency,
            delta,
            self.balance(customer_id, trade_type, currency),
            *kinds,
            created=now,
            remark=remark,
        )
        entries.append(entry)
        return entry

    def deposit(
        self, customer_id: int, trade_type: int, amount: Decimal | None = None
    ) -> LedgerEntry:
        """A USDT deposit arriving now: ``amount``, or one drawn from the seed (what
        ``ledger_insert_per_call`` deposits); its entry."""
        if amount is None:
            serial = len(self.ledger_added.get((customer_id, trade_type), []))
            drawn = seeded_hash(self.seed, customer_id, trade_type, serial, 23) % 100_000
            amount = Decimal(drawn) / 100 + 1
        return self.post(customer_id, trade_type, "USDT", amount, DEPOSIT)

    def withdraw(self, customer_id: int, trade_type: int, amount: Decimal) -> LedgerEntry:
        """A USDT withdrawal of ``amount`` (positive) leaving now; its entry."""
        return self.post(customer_id, trade_type, "USDT", -amount, WITHDRAWAL)

    def ledger(self, customer_id: int, trade_type: int) -> list[LedgerEntry]:
        """Newest first: entries added by clients, then the generated history."""
        if customer_id % BIG_LEDGER_EVERY == 1:
            size = self.config.ledger_size
            count = BIG_LEDGER_SIZE if size is None else size
        else:
            count = 3 + seeded_hash(self.seed, customer_id, 7) % 10
        added = self.ledger_added.get((customer_id, trade_type), [])
        return [*reversed(added), *self._generated(customer_id, trade_type, count)]

    def _generated(self, customer_id: int, trade_type: int, count: int) -> list[LedgerEntry]:
        """The generated history, newest first (a pure function of its arguments, cached)."""
        key = (customer_id, trade_type, count)
        cached = self._ledger_cache.get(key)
        if cached is not None:
            self._ledger_cache.move_to_end(key)
            return cached
        created = self.store.record(customer_id)["createTime"]
        account = account_id(customer_id, trade_type)
        generated = []
        running = Decimal(0)
        for n in range(count):
            h = seeded_hash(self.seed, customer_id, trade_type, n)
            kind = (1, 1, 6, 6, 6, 2, 4)[h % 7]
            amount = Decimal(h % 2_000_000) / 100 + 1
            outgoing = kind == 2 or (kind == 6 and h & 1)
            if outgoing and amount > running:
                outgoing = False
            delta = -amount if outgoing else amount
            running += delta
            traded = kind == 6
            generated.append(
                LedgerEntry(
                    bookkeep_id(customer_id, trade_type, n),
                    customer_id,
                    account,
                    "USDT",
                    delta,
                    running,
                    kind,
                    kind * 1000 + 1,
                    created=created + 60_000 * (n + 1),
                    order_id=ORDER_BASE + n if traded else None,
                    deal_id=DEAL_BASE + n if traded else None,
                )
            )
        generated.reverse()
        self._ledger_cache[key] = generated
        if len(self._ledger_cache) > LEDGER_CACHE_ENTRIES:
            self._ledger_cache.popitem(last=False)
        return generated
