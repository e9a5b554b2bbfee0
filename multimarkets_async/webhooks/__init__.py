"""Serving the platform's webhooks (external wallet settlement): the broker implements a
``Wallet``; ``create_app`` serves the platform's three calls for it, exactly once per
adjustment and within the platform's 3 seconds.

``create_app`` (and aiohttp's server) is loaded on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._demo import MemoryWallet
from ._models import Adjustment, BalanceQuery, Cancellation, OperationType, OrderType
from ._store import Entry, MemoryStore, SQLiteStore, State, WebhookStore
from ._wallet import Rejected, Wallet

if TYPE_CHECKING:
    from ._app import create_app

__all__ = [
    "Adjustment",
    "BalanceQuery",
    "Cancellation",
    "Entry",
    "MemoryStore",
    "MemoryWallet",
    "OperationType",
    "OrderType",
    "Rejected",
    "SQLiteStore",
    "State",
    "Wallet",
    "WebhookStore",
    "create_app",
]


def __getattr__(name: str) -> Any:
    if name != "create_app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = import_module("._app", __name__).create_app
    globals()[name] = value
    return value
