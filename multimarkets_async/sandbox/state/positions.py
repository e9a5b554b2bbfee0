"""Positions, their deals and pending orders: generated from the seed, closed and cancelled
explicitly (a forced close shows up in the positions)."""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from decimal import Decimal

from ._hash import seeded_hash
from .accounts import DEAL_BASE, ORDER_BASE, account_id
from .customers import CustomerStore
from .reference import SYMBOLS, Symbol

POSITION_TRADE_TYPES = (1, 2)
"""The trading modes that hold positions."""


@dataclass(frozen=True, slots=True)
class Position:
    """A position (opened by one deal of one order)."""

    position_id: int
    customer_id: int
    trade_type: int
    symbol: Symbol
    direction: int  # 1 buy, 2 sell
    open_price: Decimal
    volume: Decimal
    opened: int  # epoch milliseconds
    closed: bool

    @property
    def order_id(self) -> int:
        """The order that opened the position."""
        return ORDER_BASE + self.position_id

    @property
    def deal_id(self) -> int:
        """The deal that opened the position."""
        return DEAL_BASE + self.position_id

    @property
    def account_id(self) -> int:
        """The account holding the position."""
        return account_id(self.customer_id, self.trade_type)


class Positions:
    """Every customer's positions: customer ``c`` holds positions ``c*10 + k``, newest first."""

    def __init__(self, store: CustomerStore, seed: int) -> None:
        self.store = store
        self.seed = seed
        self.closed: set[int] = set()
        self.cancelled_orders: set[int] = set()
        self._index: dict[int, tuple[int, array[int]]] = {}

    def of_customer(self, customer_id: int, trade_type: int | None = None) -> list[int]:
        """Position ids of one customer (of one trading mode), newest first."""
        h = seeded_hash(self.seed, customer_id, 11)
        count = 0 if h % 3 else 1 + (h >> 8) % 5
        ids = [customer_id * 10 + k for k in range(count - 1, -1, -1)]
        return ids if trade_type is None else [p for p in ids if self.trade_type(p) == trade_type]

    def trade_type(self, position_id: int) -> int:
        """The trading mode of a position."""
        return POSITION_TRADE_TYPES[seeded_hash(self.seed, position_id, 13) & 1]

    def of_trade_type(self, trade_type: int) -> array[int]:
        """Position ids of one trading mode, newest first (built once per data version)."""
        cached = self._index.get(trade_type)
        if cached is not None and cached[0] == self.store.version:
            return cached[1]
        ids = array("q")
        for customer_id in self.store.ids(0, len(self.store)):
            ids.extend(self.of_customer(customer_id, trade_type))
        self._index[trade_type] = (self.store.version, ids)
        return ids

    def get(self, position_id: int) -> Position:
        """The position ``position_id`` (a pure function of the seed, but for closes)."""
        customer_id = position_id // 10
        h = seeded_hash(self.seed, position_id, 17)
        symbol = SYMBOLS[h % len(SYMBOLS)]
        created = self.store.record(customer_id)["createTime"]
        return Position(
            position_id,
            customer_id,
            self.trade_type(position_id),
            symbol,
            direction=1 + (h >> 30) % 2,
            open_price=Decimal(str(symbol.price)) * (Decimal(9_500 + h % 1_000) / 10_000),
            volume=Decimal((h >> 12) % 500 + 1) / 100,
            opened=created + 86_400_000 + (h >> 20) % 86_400_000,
            closed=position_id in self.closed,
        )

    def find(self, number: int, base: int) -> int | None:
        """The position behind an order (``ORDER_BASE``) or deal (``DEAL_BASE``) number."""
        position_id = number - base
        customer_id = position_id // 10
        if position_id < 10 or not self.store.alive(customer_id):
            return None
        return position_id if position_id in self.of_customer(customer_id) else None

    def cancel_pending(self, customer_id: int) -> list[int]:
        """Cancel a customer's pending orders; the ones cancelled now."""
        pending = seeded_hash(self.seed, customer_id, 19) % 3
        orders = [customer_id * 10 + n for n in range(pending)]
        cancelled = [o for o in orders if o not in self.cancelled_orders]
        self.cancelled_orders.update(cancelled)
        return cancelled

    def force_close(self, customer_id: int, trade_type: int) -> list[Position]:
        """Close every open position of one trading mode; they, now closed (newest first)."""
        open_ids = [p for p in self.of_customer(customer_id, trade_type) if p not in self.closed]
        self.closed.update(open_ids)
        return [self.get(p) for p in open_ids]
