"""The back office's side of Data Push (``Feed``): what its state changes publish, and a seeded
background churn of all 18 event types drawn from the sandbox's own entities.

A state change publishes its events at once (and builds nothing while no group listens). The
churn tells small stories: a draw of ``deposit`` deposits into a customer's account (the ledger
gains the entry) and queues ``deposit``, ``subject_water_insert`` and ``subject_update``; a draw
of ``register`` signs a generated customer up; and so on. Each churn step publishes exactly one
event: the next of a story under way, else the first of a new one. Positions the churn opens are
the feed's own (the REST position lists do not show them), and so are the churn's customer,
account and KYC updates (the REST records stay as they are).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal

from .._config import SandboxConfig
from .accounts import Accounts, LedgerEntry
from .events import Event, EventBuilder
from .feed import EventLog
from .funds import Funds, Proposal
from .position_events import PositionEvents
from .positions import Position, Positions

EVENT_TYPES = (
    "register",
    "customer_update",
    "customer_info_insert",
    "customer_info_update",
    "kyc",
    "open_account",
    "account_update",
    "subject_insert",
    "subject_update",
    "subject_water_insert",
    "subject_water_update",
    "position_insert",
    "position_update",
    "position_delete",
    "trade_deal",
    "deposit",
    "account_adjust",
    "withdraw",
)
"""The Data Push event types, as the vendor's document lists them."""

CHURN_POSITION_BASE = 9 * 10**14  # ids of the positions the churn opens: base + serial
DEPOSIT, WITHDRAWAL = (1, 1001), (2, 2001)  # ledger (business type, sub-type)
DELETED = 3  # customer status

Story = list[Callable[[], Event]]


class Feed:
    """The event log, the events of state changes, and the churn."""

    def __init__(
        self,
        accounts: Accounts,
        funds: Funds,
        positions: Positions,
        config: SandboxConfig,
    ) -> None:
        self.log = EventLog()
        self.store = accounts.store
        self.accounts, self.funds, self.positions = accounts, funds, positions
        self.events = EventBuilder(self.log, self.store, accounts, config)
        self.trades = PositionEvents(self.log, self.store, config)
        self._rng = random.Random(config.seed * 7919 + 18)
        self._pending: deque[Callable[[], Event]] = deque()
        self._open: list[Position] = []  # positions the churn opened and has not closed

    # -- state changes -------------------------------------------------------------------

    def _publish(self, story: Iterable[Callable[[], Event]]) -> None:
        if self.log.active:
            for build in story:
                self.log.publish(*build())

    def signed_up(self, customer_ids: Iterable[int]) -> None:
        """Customers were created: ``register``, ``customer_info_insert``, ``open_account``
        and ``subject_insert`` for each."""
        if self.log.active:
            for cid in customer_ids:
                self._publish(self._sign_up_story(cid))

    def deleted(self, customer_ids: Iterable[int]) -> None:
        """Customers were deleted: a ``customer_update`` with status 3 for each."""
        if self.log.active:
            for cid in customer_ids:
                self.log.publish(*self.events.customer_update(cid, status=DELETED))

    def adjusted(self, proposal: Proposal) -> None:
        """A balance adjustment: ``account_adjust``, ``subject_water_insert``,
        ``subject_update``."""
        if self.log.active:
            self._publish(self._adjust_story(proposal))

    def ledger_moved(self, customer_id: int, trade_type: int, currency: str) -> None:
        """A balance moved (a bonus): ``subject_water_insert`` and ``subject_update``."""
        if self.log.active:
            entry = self._latest(customer_id, trade_type)
            self._publish(self._ledger_story(entry, trade_type, currency))

    def closed(self, positions: Iterable[Position]) -> None:
        """Positions were force-closed: ``trade_deal``, ``position_update``,
        ``position_delete`` for each."""
        if self.log.active:
            for position in positions:
                self._publish(self._close_story(position))

    # -- stories --------------------------------------------------------------------------

    def _sign_up_story(self, cid: int) -> Story:
        events, mode = self.events, self.events.trade_type_of(cid)
        return [
            lambda: events.register(cid),
            lambda: events.customer_info_insert(cid),
            lambda: events.open_account(cid, mode),
            lambda: events.subject_insert(cid, mode),
        ]

    def _latest(self, cid: int, trade_type: int) -> LedgerEntry:
        return self.accounts.ledger_added[(cid, trade_type)][-1]

    def _ledger_story(self, entry: LedgerEntry, trade_type: int, currency: str) -> Story:
        events, cid = self.events, entry.customer_id
        return [
            lambda: events.subject_water_insert(entry, trade_type),
            lambda: events.subject_update(cid, trade_type, currency),
        ]

    def _adjust_story(self, proposal: Proposal) -> Story:
        entry = self._latest(proposal.customer_id, proposal.trade_type)
        return [
            lambda: self.events.account_adjust(proposal, entry.sub_kind),
            *self._ledger_story(entry, proposal.trade_type, proposal.currency),
        ]

    def _close_story(self, position: Position) -> Story:
        trades = self.trades
        return [
            lambda: trades.trade_deal(position, closing=True),
            lambda: trades.position_update(position, done=True),
            lambda: trades.position_delete(position),
        ]

    # -- churn ----------------------------------------------------------------------------

    def emit(self, count: int) -> list[bytes]:
        """Publish ``count`` churn events now; their frames (encoded even if nobody listens)."""
        frames = []
        for _ in range(count):
            if not self._pending:
                self._pending.extend(self._story(self._rng.choice(EVENT_TYPES)))
            frames.append(self.log.publish(*self._pending.popleft()()))
        return frames

    def _customer(self) -> int:
        store = self.store
        if len(store) == 0:
            return store.insert_generated(1)[0]
        return store.ids(self._rng.randrange(len(store)), 1)[0]

    def _story(self, drawn: str) -> Story:
        """A story whose events include ``drawn`` (some draws start a bigger story)."""
        if drawn in ("register", "customer_info_insert", "open_account", "subject_insert"):
            return self._sign_up_story(self.store.insert_generated(1)[0])
        if drawn in ("deposit", "subject_water_insert", "subject_update"):
            return self._money_story(self._customer(), withdraw=False)
        if drawn == "withdraw":
            return self._money_story(self._customer(), withdraw=True)
        if drawn in ("position_insert", "trade_deal", "position_update", "position_delete"):
            return self._position_story(drawn)
        cid = self._customer()
        mode = self.events.trade_type_of(cid)
        if drawn == "account_adjust":
            amount = Decimal(self._rng.randrange(100, 1_000_000)) / 100
            customer_no = self.store.record(cid)["customerNo"]
            return self._adjust_story(
                self.funds.adjust(cid, customer_no, mode, "USDT", amount, "churn")
            )
        builders: dict[str, Callable[[], Event]] = {
            "customer_update": lambda: self.events.customer_update(cid),
            "customer_info_update": lambda: self.events.customer_info_update(cid),
            "kyc": lambda: self.events.kyc(cid),
            "account_update": lambda: self.events.account_update(cid, mode),
            "subject_water_update": lambda: self.events.subject_water_update(
                self.accounts.ledger(cid, mode)[0], mode
            ),
        }
        return [builders[drawn]]

    def _money_story(self, cid: int, *, withdraw: bool) -> Story:
        """A deposit (or a withdrawal, when the balance allows one) posted to the ledger."""
        mode = self.events.trade_type_of(cid)
        amount = Decimal(self._rng.randrange(100, 5_000_000)) / 100
        balance = self.accounts.balance(cid, mode, "USDT")
        withdraw = withdraw and balance >= 1
        if withdraw:
            amount = -min(amount, balance)
        self.accounts.post(cid, mode, "USDT", amount, WITHDRAWAL if withdraw else DEPOSIT)
        entry = self._latest(cid, mode)
        serial = self.log.serial("withdraw" if withdraw else "deposit")
        build = self.events.withdraw if withdraw else self.events.deposit
        return [lambda: build(entry, mode, serial), *self._ledger_story(entry, mode, "USDT")]

    def _position_story(self, drawn: str) -> Story:
        """Open a position (and its deal); or move or close one the churn opened."""
        opened = self._open
        if drawn in ("position_update", "position_delete") and opened:
            index = self._rng.randrange(len(opened))
            position = opened[index]
            if drawn == "position_update":
                return [lambda: self.trades.position_update(position)]
            opened[index] = opened[-1]
            opened.pop()
            return self._close_story(replace(position, closed=True))
        cid = self._customer()
        template = self.positions.get(cid * 10)
        now = self.log.stamp("opened", str(cid))
        position = replace(
            template, position_id=CHURN_POSITION_BASE + self.log.serial("position"), opened=now
        )
        opened.append(position)
        return [
            lambda: self.trades.position_insert(position),
            lambda: self.trades.trade_deal(position),
        ]
