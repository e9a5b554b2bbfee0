"""What the broker implements: the ``Wallet`` the webhook app calls."""

from __future__ import annotations

from typing import Protocol

from ..models import Amount
from ._models import Adjustment, BalanceQuery, Cancellation


class Rejected(Exception):
    """Raised by ``Wallet.adjust`` to refuse an adjustment (e.g. not enough funds): the
    platform gets ``code`` and ``msg``, and the adjustment is recorded as not applied."""

    def __init__(self, code: str, msg: str = "") -> None:
        super().__init__(f"{code}: {msg}" if msg else code)
        self.code, self.msg = code, msg


class Wallet(Protocol):
    """The broker's ledger, as the platform's webhooks need it. The app guarantees that
    ``adjust`` is called at most once per ``request_unique_no`` and ``reverse`` at most once
    per applied adjustment, never at the same time for the same adjustment."""

    async def balance(self, q: BalanceQuery) -> Amount:
        """The user's balance in ``q.currency``."""
        ...

    async def adjust(self, a: Adjustment) -> None:
        """Apply ``a.amount`` (signed) to the user's balance, or raise ``Rejected``."""
        ...

    async def reverse(self, a: Adjustment, c: Cancellation) -> None:
        """Undo the applied adjustment ``a``, as the platform's cancel ``c`` asks."""
        ...
