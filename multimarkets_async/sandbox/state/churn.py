"""The back office's side of Data Push (``Feed``): what its state changes publish, and a seeded
background churn of all 18 event types drawn from the sandbox's own entities.

A state change publishes its events at once (and builds nothing while no group listens). The
churn tells small stories: a draw of ``deposit`` deposits into a customer's account (the ledger
gains the entry) and queues ``deposit``, ``subject_water_insert`` and ``subject_update``; a draw
of ``register`` signs a generated customer up; a draw of ``customer_update`` changes a customer
(a login, its status or its contact) the way ``Backend.update_customers`` does, so its list record
shows the event's state; and so on. Each churn step publishes exactly one event: the next of a
story under way, else the first of a new one. Positions the churn opens are the feed's own (the
REST position lists do not show them), and so are the churn's account and KYC updates (the REST
records stay as they are).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal
from functools import partial

from .._config import SandboxConfig
from .accounts import WITHDRAWAL, Accounts, LedgerEntry
from .customers import customer_no_of, draw_change_kind, trade_type_of
from .events import Event, EventBuilder, Record
from .feed import EventLog
from .funds import Funds, Proposal
from .position_events import PositionEvents
from .positions import Position, Positions
from .proposal_events import ProposalEvents

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
TIME_FIELDS = ("createTime", "updateTime", "loginTime", "firstAccountActivateTime")
SIGN_UP_EVENTS = ("register", "customer_info_insert", "open_account", "subject_insert")
MONEY_EVENTS = ("deposit", "subject_water_insert", "subject_update")
POSITION_EVENTS = ("position_insert", "trade_deal", "position_update", "position_delete")

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
        self.proposals = ProposalEvents(self.log, self.store, config)
        self._rng = random.Random(config.seed * 7919 + 18)
        self._pending: deque[Callable[[], Event]] = deque()
        self._open: list[Position] = []  # positions the churn opened and has not closed
        self._stories = self._story_table()

    # -- state changes (each publishes only while a group listens) ------------------------

    def _publish(self, story: Iterable[Callable[[], Event]]) -> None:
        for build in story:
            self.log.publish(*build())

    def signed_up(self, customer_ids: Iterable[int]) -> None:
        """Customers were created: ``register``, ``customer_info_insert``, ``open_account``
        and ``subject_insert`` for each."""
        if self.log.active:
            for cid in customer_ids:
                self._publish(self._sign_up_story(cid))

    def customer_stamp(self, cid: int) -> int:
        """The ``updateTime`` of a change of customer ``cid`` now: strictly later than every
        time its record holds (and so than its earlier changes)."""
        record = self.store.record(cid)
        latest = max(record[name] or 0 for name in TIME_FIELDS)
        return max(self.log.stamp("customer", str(cid)), latest + 1)

    def change_customer(self, cid: int, kind: str, rng: random.Random) -> Record:
        """Change customer ``cid`` (a change of ``kind``, see ``CustomerStore.draw_change``)
        and publish its ``customer_update``; its record now."""
        record = self._change(cid, kind, rng)
        if self.log.active:
            self.log.publish(*self.events.customer_update(cid, record))
        return record

    def _change(self, cid: int, kind: str, rng: random.Random) -> Record:
        """Change customer ``cid`` (nothing published); its record now."""
        stamp = self.customer_stamp(cid)
        return self.store.change(cid, self.store.draw_change(cid, kind, stamp, rng), stamp)

    def deleted(self, customer_ids: Iterable[int]) -> None:
        """Customers were deleted: a ``customer_update`` of each one's final record (status
        3)."""
        if self.log.active:
            for cid in customer_ids:
                self.log.publish(*self.events.customer_update(cid))

    def adjusted(self, proposal: Proposal, entry: LedgerEntry) -> None:
        """A balance adjustment (ledger ``entry``): ``account_adjust``,
        ``subject_water_insert``, ``subject_update``."""
        if self.log.active:
            self._publish(self._adjust_story(proposal, entry))

    def ledger_moved(self, entry: LedgerEntry, trade_type: int) -> None:
        """A balance moved (a bonus): ``subject_water_insert`` and ``subject_update``."""
        if self.log.active:
            self._publish(self._ledger_story(entry, trade_type))

    def deposited(self, entry: LedgerEntry, trade_type: int) -> None:
        """A deposit arrived: ``deposit``, ``subject_water_insert``, ``subject_update``."""
        if self.log.active:
            self._publish(self._money_story(entry, trade_type))

    def closed(self, positions: Iterable[Position]) -> None:
        """Positions were force-closed: ``trade_deal``, ``position_update``,
        ``position_delete`` for each."""
        if self.log.active:
            for position in positions:
                self._publish(self._close_story(position))

    # -- stories --------------------------------------------------------------------------

    def _sign_up_story(self, cid: int) -> Story:
        events, record = self.events, self.store.record(cid)
        mode = trade_type_of(record)
        return [
            lambda: events.register(cid, record),
            lambda: events.customer_info_insert(cid, record),
            lambda: events.open_account(cid, mode, record=record),
            lambda: events.subject_insert(cid, mode, record=record),
        ]

    def _ledger_story(self, entry: LedgerEntry, trade_type: int) -> Story:
        events, cid = self.events, entry.customer_id
        return [
            lambda: events.subject_water_insert(entry, trade_type),
            lambda: events.subject_update(cid, trade_type, entry.currency),
        ]

    def _adjust_story(self, proposal: Proposal, entry: LedgerEntry) -> Story:
        return [
            lambda: self.proposals.account_adjust(proposal, entry.sub_kind),
            *self._ledger_story(entry, proposal.trade_type),
        ]

    def _money_story(self, entry: LedgerEntry, trade_type: int) -> Story:
        """A deposit's (or, for a withdrawal's ``entry``, a withdrawal's) events."""
        withdraw = (entry.kind, entry.sub_kind) == WITHDRAWAL
        serial = self.log.serial("withdraw" if withdraw else "deposit")
        build = self.proposals.withdraw if withdraw else self.proposals.deposit
        return [lambda: build(entry, trade_type, serial), *self._ledger_story(entry, trade_type)]

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
                story = self._stories[self._rng.choice(EVENT_TYPES)]()
                self._pending.extend(story)
            frames.append(self.log.publish(*self._pending.popleft()()))
        return frames

    def _story_table(self) -> dict[str, Callable[[], Story]]:
        """What each drawn event type starts: a story whose events include it."""
        events, one = self.events, self._one_event
        return {
            **dict.fromkeys(SIGN_UP_EVENTS, self._new_customer_story),
            **dict.fromkeys(MONEY_EVENTS, partial(self._churn_money, withdraw=False)),
            "withdraw": partial(self._churn_money, withdraw=True),
            **{drawn: partial(self._position_story, drawn) for drawn in POSITION_EVENTS},
            "account_adjust": self._churn_adjust,
            "customer_update": self._churn_update,
            "customer_info_update": one(lambda cid, _: events.customer_info_update(cid)),
            "kyc": one(lambda cid, _: events.kyc(cid)),
            "account_update": one(lambda cid, mode: events.account_update(cid, mode)),
            "subject_water_update": one(
                lambda cid, mode: events.subject_water_update(
                    self.accounts.ledger(cid, mode)[0], mode
                )
            ),
        }

    def _one_event(self, build: Callable[[int, int], Event]) -> Callable[[], Story]:
        """A one-event story about a customer drawn when it starts (and its trading mode)."""

        def story() -> Story:
            cid, mode = self._customer()
            return [lambda: build(cid, mode)]

        return story

    def _new_customer_story(self) -> Story:
        """A generated customer signs up."""
        return self._sign_up_story(self.store.insert_generated(1)[0])

    def _customer(self) -> tuple[int, int]:
        """A customer drawn at random, and its trading mode; on an empty store, one signing
        up now (its sign-up story goes first)."""
        store = self.store
        if len(store) == 0:
            self._pending.extend(self._new_customer_story())
        cid = store.ids(self._rng.randrange(len(store)), 1)[0]
        return cid, trade_type_of(store.record(cid))

    def _churn_update(self) -> Story:
        """A customer changes (mostly a login); the event shows its record as changed."""
        cid, _ = self._customer()
        record = dict(self._change(cid, draw_change_kind(self._rng), self._rng))
        return [lambda: self.events.customer_update(cid, record)]

    def _churn_adjust(self) -> Story:
        cid, mode = self._customer()
        amount = Decimal(self._rng.randrange(100, 1_000_000)) / 100
        proposal, entry = self.funds.adjust(cid, customer_no_of(cid), mode, "USDT", amount, "churn")
        return self._adjust_story(proposal, entry)

    def _churn_money(self, *, withdraw: bool) -> Story:
        """A deposit (or a withdrawal, when the balance allows one) posted to the ledger."""
        cid, mode = self._customer()
        amount = Decimal(self._rng.randrange(100, 5_000_000)) / 100
        balance = self.accounts.balance(cid, mode, "USDT")
        if withdraw and balance >= 1:
            entry = self.accounts.withdraw(cid, mode, min(amount, balance))
        else:
            entry = self.accounts.deposit(cid, mode, amount)
        return self._money_story(entry, mode)

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
        cid, _ = self._customer()
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
