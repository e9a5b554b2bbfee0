"""Products (symbols): by group, by name, groups, trading details, funds."""

from __future__ import annotations

from typing import Any

from ..state.reference import FUNDS, PRODUCT_GROUPS, SYMBOLS, TRADE_TYPE_NAMES, Symbol
from . import Handlers
from ._fields import Body, int_field, optional_int, require

# Trading details every sandbox product has alike.
_DETAIL_CONSTANTS: dict[str, Any] = {
    "askSpread": "0",
    "bidSpread": "0",
    "pointRatio": 0,
    "dealMode": 1,
    "etf": False,
    "fundId": None,
    "labels": None,
    "sortNum": 0,
    "enableShortLoan": 0,
    "enableLongLoan": 0,
    "dividend": 0,
    "inHolidayTime": 0,
    "inTradeTime": 1,
}


def _modes(symbol: Symbol) -> list[int]:
    return [int(m) for m in symbol.trade_types.split(",")]


class ProductHandlers(Handlers):
    """``config.admin.AdminSymbolDubboService``."""

    def group_products(self, body: Body) -> list[dict[str, Any]]:
        """The products of one trading mode, for one customer group."""
        require(body, "companyId", "tradeType", "customerGroupId")
        trade_type = int_field(body, "tradeType")
        return [
            {
                "symbolId": s.id,
                "symbolCode": s.code,
                "symbolName": s.name,
                "customerGroupId": str(body["customerGroupId"]),
                "tradeType": trade_type,
                "tradeTypeName": TRADE_TYPE_NAMES.get(trade_type, ""),
            }
            for s in SYMBOLS
            if trade_type in _modes(s)
        ]

    def products(self, body: Body) -> list[dict[str, Any]]:
        """Products whose name or code contains ``name``."""
        int_field(body, "customerGroupId")
        name = str(body.get("name") or "").lower()
        return [
            {
                "id": s.id,
                "code": s.code,
                "name": s.name,
                "status": 1,
                "baseCurrency": s.base,
                "profitCurrency": s.profit,
                "sourceId": f"SANDBOX_{s.code}",
                "tradeTypes": s.trade_types,
                "etf": False,
            }
            for s in SYMBOLS
            if name in s.name.lower() or name in s.code.lower()
        ]

    def product_groups(self, body: Body) -> list[dict[str, Any]]:
        """The product groups."""
        return list(PRODUCT_GROUPS)

    def product_details(self, body: Body) -> list[dict[str, Any]]:
        """Trading details of every product and mode (of one mode, given ``tradeType``)."""
        require(body, "companyId")
        wanted = optional_int(body, "tradeType")
        return [
            _product_detail(symbol, mode)
            for symbol in SYMBOLS
            for mode in _modes(symbol)
            if wanted is None or mode == wanted
        ]

    def funds(self, body: Body) -> list[dict[str, Any]]:
        """The company's funds."""
        require(body, "companyId")
        return list(FUNDS)


def _product_detail(symbol: Symbol, mode: int) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "tradeType": mode,
        "symbolId": symbol.id,
        "symbolCode": symbol.code,
        "symbolName": symbol.name,
        "baseCurrency": symbol.base,
        "profitCurrency": symbol.profit,
        "customerGroupIds": "1,2,3,4",
        "symbolGroupIds": "109" if symbol.profit == "USDT" else "118",
        "symbolDigits": symbol.digits,
    }
    detail.update(_DETAIL_CONSTANTS)
    detail["holidayTimeList"] = [{"startTime": 1703462400000, "endTime": 1703548800000}]
    detail["tradeTimeList"] = [
        {"dayOfWeek": day, "startTime": 0, "endTime": 86_399_999} for day in range(1, 6)
    ]
    return detail
