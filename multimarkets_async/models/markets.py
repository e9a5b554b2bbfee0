"""Market-data shapes (their own envelope ``{ret, msg, trace, data}``, snake_case fields).

Prices and volumes are decimal strings; K-line ``timestamp`` is epoch seconds, tick
``tick_time`` epoch milliseconds.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

from ._types import Amount

__all__ = ["DepthTick", "Kline", "KlineBar", "PriceLevel", "QuoteEnvelope", "TradeTick"]

T = TypeVar("T")


class QuoteEnvelope(msgspec.Struct, Generic[T]):
    """Market-data reply: ``ret == 200`` is success (201 bad header, 202 bad data, 203 unknown
    client address, 500 failure)."""

    ret: int
    data: T
    msg: str | None = None
    trace: str | None = None


class PriceLevel(msgspec.Struct, kw_only=True):
    price: Amount | None = None
    volume: Amount | None = None


class DepthTick(msgspec.Struct, kw_only=True):
    """Order book of one product."""

    code: str | None = None
    seq: int | None = None
    tick_time: int | None = None
    bids: list[PriceLevel] = []
    asks: list[PriceLevel] = []


class TradeTick(msgspec.Struct, kw_only=True):
    """Latest trade of one product; ``trade_direction`` as the vendor codes it."""

    code: str | None = None
    seq: int | None = None
    tick_time: int | None = None
    price: Amount | None = None
    volume: Amount | None = None
    turnover: Amount | None = None
    trade_direction: int | None = None


class KlineBar(msgspec.Struct, kw_only=True):
    timestamp: int | None = None
    open_price: Amount | None = None
    close_price: Amount | None = None
    high_price: Amount | None = None
    low_price: Amount | None = None
    volume: Amount | None = None
    turnover: Amount | None = None


class Kline(msgspec.Struct, kw_only=True):
    """K-lines of one product; ``kline_type`` 1 = 1 min ... 10 = 1 month."""

    code: str | None = None
    kline_type: int | None = None
    kline_list: list[KlineBar] = []


class TickList(msgspec.Struct, Generic[T]):
    tick_list: list[T] = []
