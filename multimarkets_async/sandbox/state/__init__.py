"""The sandbox's back office: its data and rules, with no wire formatting.

Generated data is a pure function of the seed and ids (the same seed gives the same data);
what clients change is kept explicitly in the parts of ``Backend``.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from .._config import SandboxConfig
from ._hash import seeded_hash
from .accounts import Accounts, LedgerEntry
from .churn import Feed
from .customers import CHANGE_KINDS, CustomerStore, draw_change_kind
from .funds import BONUS_TRADE_TYPE, Funds, Proposal
from .positions import Position, Positions
from .tokens import Tokens

__all__ = ["Backend"]


class Backend:
    """Customers, tokens, accounts and ledgers, funds (adjustments, bonuses, locks), positions,
    the messages sent and the Data Push feed, for one sandbox.

    Its operations (``sign_up``, ``create_customer``, ``update_customers``,
    ``delete_customers``, ``adjust``, ``bonus``, ``deposit``, ``force_close``) change the state
    and publish the change's Data Push events; handlers change the state through them only.
    """

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.seed = config.seed
        self.store = CustomerStore(config.customers, config.seed, config.id_style)
        self.tokens = Tokens(config)
        self.accounts = Accounts(self.store, config)
        self.funds = Funds(self.accounts, config)
        self.positions = Positions(self.store, config.seed)
        self.feed = Feed(self.accounts, self.funds, self.positions, config)
        self.messages: list[dict[str, Any]] = []  # the messages sent, as requested
        self._mutations = random.Random(config.seed + 1)

    def hash(self, *parts: int) -> int:
        """A value derived from the seed and ``parts`` (see ``seeded_hash``)."""
        return seeded_hash(self.seed, *parts)

    def sign_up(self, count: int) -> list[int]:
        """Add ``count`` generated customers at the front of the list; their ids, newest first."""
        if count < 0:
            raise ValueError("count must not be negative")
        if not count:
            return []
        added = self.store.insert_generated(count)
        self.feed.signed_up(reversed(added))  # in the order they signed up
        return added

    def delete_customers(self, count: int, rng: random.Random | None = None) -> list[int]:
        """Delete ``count`` random customers (all there are, if fewer); their ids."""
        if count < 0:
            raise ValueError("count must not be negative")
        store = self.store
        rng = self._mutations if rng is None else rng
        deleted = []
        for _ in range(count):
            if len(store) == 0:
                break
            customer_id = store.ids(rng.randrange(len(store)), 1)[0]
            store.delete(customer_id, self.feed.customer_stamp(customer_id))
            deleted.append(customer_id)
        self.feed.deleted(deleted)
        return deleted

    def update_customers(
        self, count: int, rng: random.Random | None = None, kind: str | None = None
    ) -> list[int]:
        """Change ``count`` random customers (all there are, if fewer), each once: a login,
        another status or a new contact (``kind``; drawn, mostly logins, when None); their
        ids."""
        if count < 0:
            raise ValueError("count must not be negative")
        if kind is not None and kind not in CHANGE_KINDS:
            raise ValueError(f"kind must be one of {', '.join(CHANGE_KINDS)}, not {kind!r}")
        store = self.store
        rng = self._mutations if rng is None else rng
        positions = rng.sample(range(len(store)), min(count, len(store)))
        changed = [store.ids(position, 1)[0] for position in positions]
        for customer_id in changed:
            self.feed.change_customer(customer_id, kind or draw_change_kind(rng), rng)
        return changed

    def create_customer(
        self, fields: dict[str, Any], extras: dict[str, Any], password_md5: str, now_ms: int
    ) -> dict[str, Any]:
        """Sign a customer up with ``fields`` (see ``CustomerStore.create``); its record."""
        record = self.store.create(fields, extras, password_md5, now_ms)
        self.feed.signed_up([record["id"]])
        return record

    def adjust(
        self,
        customer_id: int,
        customer_no: str,
        trade_type: int,
        currency: str,
        amount: Decimal,
        remark: str | None,
    ) -> Proposal:
        """Adjust a balance (see ``Funds.adjust``); the approved proposal."""
        proposal, entry = self.funds.adjust(
            customer_id, customer_no, trade_type, currency, amount, remark
        )
        self.feed.adjusted(proposal, entry)
        return proposal

    def bonus(
        self, customer_id: int, activity: tuple[str, str], currency: str, amount: Decimal
    ) -> Decimal:
        """Pay or take back an activity's bonus (see ``Funds.bonus``); the amount moved."""
        entry = self.funds.bonus(customer_id, activity, currency, amount)
        self.feed.ledger_moved(entry, BONUS_TRADE_TYPE)
        return entry.delta

    def deposit(self, customer_id: int, trade_type: int) -> LedgerEntry:
        """A USDT deposit (drawn from the seed) arriving now; its ledger entry."""
        entry = self.accounts.deposit(customer_id, trade_type)
        self.feed.deposited(entry, trade_type)
        return entry

    def force_close(self, customer_id: int, trade_type: int) -> list[Position]:
        """Close a customer's open positions of one trading mode; they, now closed."""
        closed = self.positions.force_close(customer_id, trade_type)
        self.feed.closed(closed)
        return closed
