"""Market prices: each code drifts around its reference price, deterministically per step."""

from __future__ import annotations

from decimal import Decimal

from ._hash import seeded_hash
from .reference import QUOTE_PRICES


def price(seed: int, code: str, step: int) -> Decimal:
    """The price of ``code`` (a key of ``QUOTE_PRICES``) at time step ``step``."""
    base = Decimal(str(QUOTE_PRICES[code]))
    drift = Decimal(seeded_hash(seed, sum(map(ord, code)), step) % 2001 - 1000) / 100_000
    return (base * (1 + drift)).quantize(Decimal("0.001"))
