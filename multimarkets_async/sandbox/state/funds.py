"""Balance adjustments (proposals), activity bonuses and transfer locks: the rules, no wire."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

from .._config import SandboxConfig
from .._failure import ApiFailure
from .accounts import ADJUSTMENT, REWARD, Accounts, LedgerEntry, account_id

BONUS_TRADE_TYPE = 5  # activity bonuses are paid into spot accounts
LOCK_KINDS = (1, 2)  # the transfer directions a lock can hold


@dataclass(frozen=True)
class Proposal:
    """An approved balance adjustment."""

    serial: int
    number: str
    customer_id: int
    customer_no: str  # as the request gave it
    trade_type: int
    currency: str
    amount: Decimal
    remark: str | None
    created: int  # epoch milliseconds

    @property
    def account_id(self) -> int:
        """The adjusted account."""
        return account_id(self.customer_id, self.trade_type, self.currency)


class Funds:
    """Adjustments, bonuses and locks, moving balances through ``Accounts``."""

    def __init__(self, accounts: Accounts, config: SandboxConfig) -> None:
        self.accounts = accounts
        self.config = config
        self.proposals: dict[str, Proposal] = {}
        self.bonus_activities: set[tuple[str, str]] = set()
        self.locks: dict[tuple[str, int, int], int] = {}  # -> lock end (epoch ms), 0 = open-ended

    def adjust(
        self,
        customer_id: int,
        customer_no: str,
        trade_type: int,
        currency: str,
        amount: Decimal,
        remark: str | None,
    ) -> tuple[Proposal, LedgerEntry]:
        """Adjust a balance by ``amount`` (not below zero); the approved proposal and its
        ledger entry."""
        if amount < 0 and -amount > self.accounts.balance(customer_id, trade_type, currency):
            raise ApiFailure("FS52005")
        entry = self.accounts.post(customer_id, trade_type, currency, amount, ADJUSTMENT, remark)
        serial = len(self.proposals) + 1
        number = f"AP{time.strftime('%Y%m%d')}{serial:06d}"
        proposal = self.proposals[number] = Proposal(
            serial,
            number,
            customer_id,
            customer_no,
            trade_type,
            currency,
            amount,
            remark,
            int(time.time() * 1000),
        )
        return proposal, entry

    def bonus(
        self, customer_id: int, activity: tuple[str, str], currency: str, amount: Decimal
    ) -> LedgerEntry:
        """Pay (``amount`` > 0) or take back (< 0, at most the balance) an activity's bonus,
        once per ``(activity id, customer number)``; its ledger entry (``delta``: the amount
        moved)."""
        if activity in self.bonus_activities:
            raise ApiFailure("FS570001")
        self.bonus_activities.add(activity)
        if amount < 0:
            amount = -min(-amount, self.accounts.balance(customer_id, BONUS_TRADE_TYPE, currency))
        return self.accounts.post(
            customer_id, BONUS_TRADE_TYPE, currency, amount, REWARD, activity[0]
        )

    def lock(self, customer_no: str, trade_type: int, kinds: list[int], end: int) -> None:
        """Lock transfers of ``kinds`` until ``end`` (epoch ms; 0 = until unlocked)."""
        for kind in kinds:
            self.locks[(customer_no, trade_type, kind)] = end

    def unlock(self, customer_no: str, trade_type: int, kinds: list[int]) -> None:
        """Lift the locks of ``kinds``."""
        for kind in kinds:
            self.locks.pop((customer_no, trade_type, kind), None)

    def locked(self, customer_no: str, trade_type: int, kind: int) -> bool:
        """Whether transfers of ``kind`` are locked now."""
        end = self.locks.get((customer_no, trade_type, kind))
        return end is not None and (end == 0 or end > time.time() * 1000)
