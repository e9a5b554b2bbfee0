"""Positions, deals, capital flow, pending-order cancellation and forced closes (vendor tags
"Trade", "Trade/Spot" and, for the two position actions, "Activities")."""

from __future__ import annotations

from typing import Any

from .. import _validation as check
from .._config import DEFAULT_PAGE_CONCURRENCY
from .._operation import Operation, op
from .._walk_options import WalkOptions
from ..models import (
    CapitalFlowEntry,
    Direction,
    ForcedCloseResult,
    Page,
    Position,
    TradeDeal,
    TradeType,
)
from ..pagination import Paginator, RecordKey
from ._base import Endpoint, Resource

__all__ = ["TradeResource"]

_ORDERS = "tradeapi.admin.OrderAdminApiService."
CAPITAL_FLOW: Operation[Page[CapitalFlowEntry]] = op(
    _ORDERS + "queryCapitalFlowList", Page[CapitalFlowEntry]
)
POSITIONS: Operation[list[Position] | None] = op(
    _ORDERS + "queryPositionPage", list[Position] | None
)
ALL_POSITIONS: Operation[Page[Position]] = op(
    "tradeapi.admin.PositionAdminApiService.queryAllPositionPage", Page[Position]
)
DEAL: Operation[TradeDeal | None] = op(
    "report.admin.CatsTradeDealService.getTradeDealInfoByDealId",
    TradeDeal | None,
    path_prefix="/global",
)
ORDER_DEALS: Operation[list[TradeDeal] | TradeDeal | None] = op(
    "report.admin.CatsTradeDealService.getTradeDealInfoByOrderId",
    list[TradeDeal] | TradeDeal | None,
    path_prefix="/global",
)
CANCEL_PENDING: Operation[list[str] | dict[str, Any] | None] = op(
    _ORDERS + "cancelPboOrder", list[str] | dict[str, Any] | None, write=True, idempotent=True
)
FORCE_CLOSE: Operation[list[ForcedCloseResult] | ForcedCloseResult | None] = op(
    _ORDERS + "forcedOrder", list[ForcedCloseResult] | ForcedCloseResult | None, write=True
)

DEFAULT_PAGE_SIZE = 500
POSITION_SORT = ("orderId", "openTime", "symbolId", "pnl")
ALL_POSITION_SORT = ("id", "orderId", "openTime", "symbolId")
CFD_MODES = (TradeType.CFD_CROSS, TradeType.CFD_ISOLATED)
POSITION_MODES = (*CFD_MODES, TradeType.STOCK)


POSITION_KEY = RecordKey("position_id")
LEDGER_KEY = RecordKey("bookkeep_id", "subject_id", "business_type1")  # a voucher's line


LANGUAGES = ("en_US", "zh_CN")


def _sort(value: str | None, allowed: tuple[str, ...]) -> str | None:
    return check.optional(check.choice, "sort_by", value, allowed)


def _sort_type(ascending: bool) -> str:
    return "asc" if check.boolean("ascending", ascending) else "desc"


def _time(field: str, value: int | None) -> int | None:
    """An epoch-millisecond filter."""
    return check.optional(check.integer, field, value, minimum=0, maximum=check.MAX_EPOCH_MS)


class TradeResource(Resource):
    """Trading activity of customers."""

    def positions(
        self,
        *,
        trade_type: TradeType | int,
        customer_group_id: int,
        customer_id: int,
        customer_no: str | None = None,
        account_id: int | None = None,
        symbol_id: int | None = None,
        sort_by: str | None = None,
        ascending: bool = False,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        concurrency: int = 1,
    ) -> Paginator[Position]:
        """One customer's positions (trading modes 1, 2 and 6).

        The API pages this call but answers with bare lists (no ``total``), so the walk ends
        at the first short page; with ``concurrency`` above 1 it reads ahead speculatively.
        """
        mode = check.trade_type(
            "trade_type",
            trade_type,
            allowed=POSITION_MODES,
            reason="positions exist in modes 1, 2 and 6",
        )
        body = check.drop_none(
            tradeType=mode,
            customerGroupId=check.positive_id("customer_group_id", customer_group_id),
            customerId=check.positive_id("customer_id", customer_id),
            customerNo=check.optional(check.text, "customer_no", customer_no),
            accountId=check.optional(check.positive_id, "account_id", account_id),
            symbolId=check.optional(check.positive_id, "symbol_id", symbol_id),
            sortFieldName=_sort(sort_by, POSITION_SORT),
            sortType=_sort_type(ascending),
        )
        walk = WalkOptions(page_size=page_size, max_items=max_items, concurrency=concurrency)
        return self._backend.paginate(POSITIONS, body, walk, key=POSITION_KEY)

    def all_positions(
        self,
        *,
        trade_type: TradeType | int,
        customer_group_id: int | None = None,
        customer_id: int | None = None,
        customer_no: str | None = None,
        account_id: int | None = None,
        symbol_id: int | None = None,
        order_id: int | None = None,
        direction: Direction | int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        sort_by: str | None = None,
        ascending: bool = False,
        page_size: int = DEFAULT_PAGE_SIZE,
        start_page: int = 1,
        max_items: int | None = None,
        concurrency: int = DEFAULT_PAGE_CONCURRENCY,
        reread_on_drift: bool = True,
    ) -> Paginator[Position]:
        """Positions of all customers in a CFD mode (1 cross, 2 isolated), newest first.
        ``start_time``/``end_time`` are epoch milliseconds."""
        mode = check.trade_type(
            "trade_type",
            trade_type,
            allowed=CFD_MODES,
            reason="must be 1 (CFD cross) or 2 (CFD isolated)",
        )
        body = check.drop_none(
            tradeType=mode,
            customerGroupId=check.optional(
                check.positive_id, "customer_group_id", customer_group_id
            ),
            customerId=check.optional(check.positive_id, "customer_id", customer_id),
            customerNo=check.optional(check.text, "customer_no", customer_no),
            accountId=check.optional(check.positive_id, "account_id", account_id),
            symbolId=check.optional(check.positive_id, "symbol_id", symbol_id),
            orderId=check.optional(check.positive_id, "order_id", order_id),
            direction=check.optional(check.code, "direction", direction, Direction),
            startTime=_time("start_time", start_time),
            endTime=_time("end_time", end_time),
            sortFieldName=_sort(sort_by, ALL_POSITION_SORT),
            sortType=_sort_type(ascending),
        )
        walk = WalkOptions(
            page_size=page_size,
            start_page=start_page,
            max_items=max_items,
            concurrency=concurrency,
            reread_on_drift=reread_on_drift,
        )
        return self._backend.paginate(ALL_POSITIONS, body, walk, key=POSITION_KEY)

    def capital_flow(
        self,
        *,
        customer_id: int,
        customer_group_id: int,
        customer_no: str,
        trade_type: TradeType | int,
        account_id: int | None = None,
        currency: str | None = None,
        business_type: int | None = None,
        status: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        operate: int | None = None,
        assets_id: int | None = None,
        lang: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        start_page: int = 1,
        max_items: int | None = None,
        concurrency: int = DEFAULT_PAGE_CONCURRENCY,
        reread_on_drift: bool = True,
    ) -> Paginator[CapitalFlowEntry]:
        """A customer's ledger in one trading mode, newest first.

        Filters: ``business_type`` (ledger code, e.g. 1 deposit, 4 adjustment, 42 reward),
        ``status`` (1 initialised, 2 succeeded, 3 failed), ``operate`` (1 increase, 2 decrease),
        ``start_time``/``end_time`` (epoch ms), ``lang`` (``"en_US"`` or ``"zh_CN"``).
        Entries are identified by ``(bookkeep_id, subject_id, business_type1)``; an entry
        with any of them null has no identity and is never dropped as a repeat.
        """
        body = check.drop_none(
            customerId=str(check.positive_id("customer_id", customer_id)),
            customerGroupId=str(check.positive_id("customer_group_id", customer_group_id)),
            customerNo=check.text("customer_no", customer_no),
            tradeType=check.trade_type("trade_type", trade_type),
            accountId=check.optional(check.positive_id, "account_id", account_id),
            accountCurrency=check.optional(check.currency, "currency", currency),
            businessType=check.optional(
                check.integer, "business_type", business_type, minimum=0, maximum=check.MAX_INT32
            ),
            status=check.optional(check.integer, "status", status, minimum=0, maximum=3),
            startTime=_time("start_time", start_time),
            endTime=_time("end_time", end_time),
            operate=check.optional(check.integer, "operate", operate, minimum=0, maximum=2),
            assetsId=check.optional(check.positive_id, "assets_id", assets_id),
            lang=check.optional(check.choice, "lang", lang, LANGUAGES),
        )
        walk = WalkOptions(
            page_size=page_size,
            start_page=start_page,
            max_items=max_items,
            concurrency=concurrency,
            reread_on_drift=reread_on_drift,
        )
        return self._backend.paginate(CAPITAL_FLOW, body, walk, key=LEDGER_KEY)

    async def deal(self, deal_id: int) -> TradeDeal | None:
        """One deal (execution) by id, or None if there is none."""
        body = {"dealId": check.positive_id("deal_id", deal_id)}
        return await self._backend.call(DEAL, body)

    async def deals(self, order_id: int, *, trade_type: TradeType | int) -> list[TradeDeal]:
        """The deals that filled an order."""
        body = {
            "orderId": check.positive_id("order_id", order_id),
            "tradeType": check.trade_type("trade_type", trade_type),
        }
        return check.listed(await self._backend.call(ORDER_DEALS, body))

    def _customer_body(
        self,
        trade_type: TradeType | int,
        customer_no: str,
        customer_id: int,
        customer_group_id: int,
    ) -> dict[str, Any]:
        return {
            "tradeType": check.trade_type("trade_type", trade_type),
            "customerNo": check.text("customer_no", customer_no),
            "customerId": check.positive_id("customer_id", customer_id),
            "customerGroupId": check.positive_id("customer_group_id", customer_group_id),
        }

    async def cancel_pending_orders(
        self,
        customer_no: str,
        *,
        customer_id: int,
        customer_group_id: int,
        trade_type: TradeType | int,
    ) -> list[str]:
        """Cancel a customer's pending orders in one mode; returns the cancelled order keys.
        Repeating it is harmless, so it is retried like a read."""
        body = self._customer_body(trade_type, customer_no, customer_id, customer_group_id)
        data = await self._backend.call(CANCEL_PENDING, body)
        return [str(key) for key in data] if isinstance(data, list) else []

    async def force_close(
        self,
        customer_no: str,
        *,
        customer_id: int,
        customer_group_id: int,
        trade_type: TradeType | int,
    ) -> list[ForcedCloseResult]:
        """Close a customer's open positions in one mode at market. Never replayed after an
        ambiguous failure: a second attempt could close positions opened in between."""
        body = self._customer_body(trade_type, customer_no, customer_id, customer_group_id)
        return check.listed(await self._backend.call(FORCE_CLOSE, body))


ENDPOINTS = (
    Endpoint("queryCapitalFlowList", CAPITAL_FLOW, "trade.capital_flow", paged=True),
    Endpoint("queryPositionPage", POSITIONS, "trade.positions", paged=True),
    Endpoint("queryAllPositionPage", ALL_POSITIONS, "trade.all_positions", paged=True),
    Endpoint("getTradeDealInfoByDealId", DEAL, "trade.deal"),
    Endpoint("getTradeDealInfoByOrderId", ORDER_DEALS, "trade.deals"),
    Endpoint("cancelPboOrder", CANCEL_PENDING, "trade.cancel_pending_orders"),
    Endpoint("forcedOrder", FORCE_CLOSE, "trade.force_close"),
)
