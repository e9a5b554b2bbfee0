"""Market data (the quote feeds): depth, trades, candles.

These handlers get the query's ``data`` object; the gateway wraps the reply as
``{ret, msg, trace, data}``.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from .._failure import ApiFailure
from ..state.markets import price
from ..state.reference import QUOTE_PRICES
from . import Handlers
from ._fields import Body

BAD_DATA = "202"
MAX_KLINES = 1000
MAX_BATCH = 100
KLINE_SECONDS = {
    1: 60,
    2: 300,
    3: 900,
    4: 1800,
    5: 3600,
    6: 7200,
    7: 14400,
    8: 86400,
    9: 604800,
    10: 2_592_000,
}
TICK = Decimal("0.001")


class MarketHandlers(Handlers):
    """``quote-b-api`` and ``quote-stock-b-api``."""

    def _price(self, code: str, step: int) -> Decimal:
        return price(self.backend.seed, code, step)

    def depth(self, data: Body) -> dict[str, Any]:
        """Two levels of bids and asks for each asked code."""
        now = int(time.time() * 1000)
        ticks = []
        for code in _codes(data):
            mid = self._price(code, now // 1000)
            ticks.append(
                {
                    "code": code,
                    "seq": str(now // 10),
                    "tick_time": str(now),
                    "bids": [
                        {"price": str(mid - TICK * n), "volume": f"{100000 * n:.2f}"}
                        for n in (1, 2)
                    ],
                    "asks": [
                        {"price": str(mid + TICK * n), "volume": f"{200000 * n:.2f}"}
                        for n in (1, 2)
                    ],
                }
            )
        return {"tick_list": ticks}

    def trades(self, data: Body) -> dict[str, Any]:
        """The latest trade of each asked code."""
        now = int(time.time() * 1000)
        return {
            "tick_list": [
                {
                    "code": code,
                    "seq": str(now // 10),
                    "tick_time": str(now),
                    "price": str(self._price(code, now // 1000)),
                    "volume": "0",
                    "turnover": "0",
                    "trade_direction": 0,
                }
                for code in _codes(data)
            ]
        }

    def kline(self, data: Body) -> dict[str, Any]:
        """``query_kline_num`` candles of one code, oldest first, up to ``kline_timestamp_end``."""
        code, kind = data.get("code"), data.get("kline_type")
        count = data.get("query_kline_num")
        if code not in QUOTE_PRICES or kind not in KLINE_SECONDS:
            raise ApiFailure(BAD_DATA)
        if not isinstance(count, int) or not 1 <= count <= MAX_KLINES:
            raise ApiFailure(BAD_DATA)
        step = KLINE_SECONDS[kind]
        end = data.get("kline_timestamp_end") or int(time.time())
        last = int(end) // step * step
        bars = []
        for n in range(count - 1, -1, -1):
            start = last - n * step
            open_price, close_price = self._price(code, start), self._price(code, start + step)
            bars.append(
                {
                    "timestamp": str(start),
                    "open_price": str(open_price),
                    "close_price": str(close_price),
                    "high_price": str(max(open_price, close_price)),
                    "low_price": str(min(open_price, close_price)),
                    "volume": "0",
                    "turnover": "0",
                }
            )
        return {"code": code, "kline_type": kind, "kline_list": bars}

    def batch_kline(self, data: Body) -> list[dict[str, Any]]:
        """Candles of several codes (``data_list``)."""
        items = data.get("data_list")
        if not isinstance(items, list) or not items or len(items) > MAX_BATCH:
            raise ApiFailure(BAD_DATA)
        return [self.kline(item) for item in items if isinstance(item, dict)]


def _codes(data: Body) -> list[str]:
    """The known codes of ``symbol_list``."""
    symbols = data.get("symbol_list")
    if not isinstance(symbols, list) or not symbols:
        raise ApiFailure(BAD_DATA)
    return [
        str(s.get("code")) for s in symbols if isinstance(s, dict) and s.get("code") in QUOTE_PRICES
    ]
