"""The sandbox's back office: its data and rules, with no wire formatting.

Generated data is a pure function of the seed and ids (the same seed gives the same data);
what clients change is kept explicitly in the parts of ``Backend``.
"""

from __future__ import annotations

import random
from typing import Any

from .._config import SandboxConfig
from ._hash import seeded_hash
from .accounts import Accounts
from .churn import Feed
from .customers import CustomerStore
from .funds import Funds
from .positions import Positions
from .tokens import Tokens

__all__ = ["Backend"]


class Backend:
    """Customers, tokens, accounts and ledgers, funds (adjustments, bonuses, locks), positions,
    the messages sent and the Data Push feed, for one sandbox."""

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
            store.delete(customer_id)
            deleted.append(customer_id)
        self.feed.deleted(deleted)
        return deleted
