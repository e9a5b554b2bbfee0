"""Market data over HTTP (vendor tag "Markets/HTTP"): order books, trades and K-lines.

These are GET requests under ``/quote-b-api`` (forex, crypto) and ``/quote-stock-b-api``
(stocks), with the token and a JSON ``query`` in the query string, and their own envelope.
The token is the market-data token given to the client (``market_token`` or
``MULTIMARKETS_MARKET_TOKEN``), else the Manager API token.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import _validation as check
from .._operation import Operation, Transport, op
from ..models import DepthTick, Kline, KlineType, Market, TickList, TradeTick
from ._base import Endpoint, Resource

__all__ = ["MarketsResource"]

FEEDS = {Market.FX_CRYPTO: "quote-b-api", Market.STOCK: "quote-stock-b-api"}
MAX_KLINES = 1000
MAX_BATCH = 100  # product codes per call
CODE_MAX = 32


def _quote(
    feed: str, name: str, response: Any, transport: Transport = "quote-query"
) -> Operation[Any]:
    return op(f"{feed}/{name}", response, version=None, transport=transport)


DEPTH: dict[Market, Operation[TickList[DepthTick]]] = {
    m: _quote(f, "depth-tick", TickList[DepthTick]) for m, f in FEEDS.items()
}
TRADES: dict[Market, Operation[TickList[TradeTick]]] = {
    m: _quote(f, "trade-tick", TickList[TradeTick]) for m, f in FEEDS.items()
}
KLINE: dict[Market, Operation[Kline]] = {m: _quote(f, "kline", Kline) for m, f in FEEDS.items()}
BATCH_KLINE: dict[Market, Operation[list[Kline] | Kline]] = {
    m: _quote(f, "batch-kline", list[Kline] | Kline, "quote-body") for m, f in FEEDS.items()
}


def _codes(codes: Sequence[str]) -> list[dict[str, str]]:
    return [
        {"code": check.text("codes", code, max_length=CODE_MAX)}
        for code in check.collection("codes", codes, max_items=MAX_BATCH)
    ]


def _kline_query(
    code: str, kline_type: KlineType | int, count: int, end: int, adjust_type: int
) -> dict[str, Any]:
    return {
        "code": check.text("code", code, max_length=CODE_MAX),
        "kline_type": check.code("kline_type", kline_type, KlineType),
        "kline_timestamp_end": check.integer("end", end, minimum=0, maximum=check.MAX_EPOCH_S),
        "query_kline_num": check.integer("count", count, minimum=1, maximum=MAX_KLINES),
        "adjust_type": check.integer("adjust_type", adjust_type, minimum=0, maximum=1),
    }


class MarketsResource(Resource):
    """Quotes and K-lines."""

    async def depth(
        self, codes: Sequence[str], *, market: Market | str = Market.FX_CRYPTO
    ) -> list[DepthTick]:
        """Order books of the given product codes."""
        feed = check.member("market", market, Market)
        data = await self._backend.call(DEPTH[feed], {"symbol_list": _codes(codes)})
        return data.tick_list

    async def trades(
        self, codes: Sequence[str], *, market: Market | str = Market.FX_CRYPTO
    ) -> list[TradeTick]:
        """Latest trades of the given product codes."""
        feed = check.member("market", market, Market)
        data = await self._backend.call(TRADES[feed], {"symbol_list": _codes(codes)})
        return data.tick_list

    async def kline(
        self,
        code: str,
        *,
        kline_type: KlineType | int = KlineType.MIN_1,
        count: int = 100,
        end: int = 0,
        adjust_type: int = 0,
        market: Market | str = Market.FX_CRYPTO,
    ) -> Kline:
        """Up to 1,000 K-lines of one product ending at ``end`` (epoch seconds; 0 = now;
        ignored for stocks). ``adjust_type`` (stocks only): 0 ex-rights, 1 forward-adjusted."""
        feed = check.member("market", market, Market)
        return await self._backend.call(
            KLINE[feed], _kline_query(code, kline_type, count, end, adjust_type)
        )

    async def batch_kline(
        self,
        codes: Sequence[str],
        *,
        kline_type: KlineType | int = KlineType.MIN_1,
        count: int = 100,
        end: int = 0,
        adjust_type: int = 0,
        market: Market | str = Market.FX_CRYPTO,
    ) -> list[Kline]:
        """K-lines of up to 100 products in one call."""
        feed = check.member("market", market, Market)
        body = {
            "data_list": [
                _kline_query(c, kline_type, count, end, adjust_type)
                for c in check.collection("codes", codes, max_items=MAX_BATCH)
            ]
        }
        data = await self._backend.call(BATCH_KLINE[feed], body)
        return check.listed(data)


ENDPOINTS = tuple(
    Endpoint(f"{market.value}.{name}", operations[market], f"markets.{method}")
    for name, method, operations in (
        ("depth-tick", "depth", DEPTH),
        ("trade-tick", "trades", TRADES),
        ("kline", "kline", KLINE),
        ("batch-kline", "batch_kline", BATCH_KLINE),
    )
    for market in Market
)
