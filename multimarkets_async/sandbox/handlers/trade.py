"""Trade: capital flow (the ledger), positions, deals, cancelling orders, forced closes."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..state.accounts import DEAL_BASE, ORDER_BASE, LedgerEntry, subject_id
from ..state.customers import customer_no_of
from ..state.positions import POSITION_TRADE_TYPES, Position
from ..state.reference import TRADE_TYPE_ASSETS
from . import Handlers
from ._fields import (
    Body,
    checked_customer,
    int_field,
    optional_int,
    paged_reply,
    paging,
    require,
    trade_type,
)
from .funds import amount_text

POSITION_FILTERS = ("symbolId", "orderId", "direction", "accountId")


class TradeHandlers(Handlers):
    """``tradeapi.admin.*`` and ``report.admin.CatsTradeDealService``."""

    def capital_flow(self, body: Body) -> dict[str, Any]:
        """A page of one customer's ledger in one trading mode, newest first, filtered."""
        require(body, "customerId", "customerGroupId", "customerNo", "tradeType")
        customer_id = checked_customer(self.store, body)
        mode = trade_type(body, allowed=TRADE_TYPE_ASSETS)
        for _ in range(self.config.ledger_insert_per_call):
            self.backend.deposit(customer_id, mode)
        entries = self.backend.accounts.ledger(customer_id, mode)
        kind = optional_int(body, "businessType")
        if kind:
            entries = [e for e in entries if e.kind == kind]
        start, end = optional_int(body, "startTime"), optional_int(body, "endTime")
        if start is not None:
            entries = [e for e in entries if e.created >= start]
        if end is not None:
            entries = [e for e in entries if e.created <= end]
        operate = optional_int(body, "operate")
        if operate == 1:
            entries = [e for e in entries if e.delta > 0]
        elif operate == 2:
            entries = [e for e in entries if e.delta < 0]
        return paged_reply(entries, body, self._ledger_row)

    def _ledger_row(self, entry: LedgerEntry) -> dict[str, Any]:
        keyed = not self.config.ledger_null_keys  # else: without the keys, like some servers
        return {
            "bookkeepId": entry.bookkeep_id if keyed else None,
            "subjectId": subject_id(entry.account_id) if keyed else None,
            "accountId": entry.account_id,
            "customerNo": customer_no_of(entry.customer_id),
            "currency": entry.currency,
            "digits": "6",
            "amountIn": amount_text(entry.delta) if entry.delta > 0 else "0",
            "amountOut": amount_text(-entry.delta) if entry.delta < 0 else "0",
            "amountAfter": amount_text(entry.after),
            "businessType": entry.kind,
            "businessType1": entry.sub_kind if keyed else None,
            "businessTypeName": entry.name,
            "businessType1Name": entry.name,
            "status": 2,
            "orderId": entry.order_id,
            "dealId": entry.deal_id,
            "remark": entry.remark,
            "createTime": entry.created,
            "updateTime": entry.created,
        }

    def customer_positions(self, body: Body) -> list[dict[str, Any]]:
        """A page of one customer's positions in one trading mode."""
        require(body, "tradeType", "customerGroupId", "customerId")
        mode = int_field(body, "tradeType")
        customer_id = self.store.internal_id(int_field(body, "customerId"))
        if customer_id is None or not self.store.alive(customer_id):
            return []
        positions = self.backend.positions
        rows = [positions.get(p) for p in positions.of_customer(customer_id, mode)]
        symbol = optional_int(body, "symbolId")
        if symbol is not None:
            rows = [r for r in rows if r.symbol.id == symbol]
        current, size = paging(body)
        return [self._position_row(r) for r in rows[(current - 1) * size : current * size]]

    def all_positions(self, body: Body) -> dict[str, Any]:
        """A page of every position of one trading mode (of one customer, when asked)."""
        mode = trade_type(body, allowed=POSITION_TRADE_TYPES)
        positions = self.backend.positions
        customer_id = self._customer_asked(body)
        ids: Sequence[int]
        if customer_id is None:
            ids = positions.of_trade_type(mode)
        else:
            alive = self.store.alive(customer_id)
            ids = positions.of_customer(customer_id, mode) if alive else []
        filters = {name: optional_int(body, name) for name in POSITION_FILTERS}
        wanted = {name: value for name, value in filters.items() if value is not None}
        if wanted:
            ids = [p for p in ids if _matches(positions.get(p), wanted)]
        return paged_reply(ids, body, lambda p: self._position_row(positions.get(p)))

    def _customer_asked(self, body: Body) -> int | None:
        """The customer of ``customerNo`` or ``customerId`` (-1: none such), else None."""
        wire_id = optional_int(body, "customerId")
        customer_id = None if wire_id is None else self.store.internal_id(wire_id) or -1
        customer_no = body.get("customerNo")
        if customer_no:
            customer_id = self.store.by_customer_no(str(customer_no)) or -1
        return customer_id

    def _position_row(self, position: Position) -> dict[str, Any]:
        digits = position.symbol.digits
        volume, closed = position.volume, position.closed
        price = f"{position.open_price:.{digits}f}"
        return {
            "positionId": position.position_id,
            "orderId": position.order_id,
            "dealId": position.deal_id,
            "accountId": position.account_id,
            "customerId": self.store.public_id(position.customer_id),
            "customerNo": customer_no_of(position.customer_id),
            "companyId": self.config.company_id,
            "tradeType": position.trade_type,
            "bizType": 1,
            "status": "2" if closed else "1",
            "direction": position.direction,
            "symbolId": position.symbol.id,
            "symbolName": position.symbol.name,
            "openPrice": price,
            "openNum": str(volume),
            "openVolume": float(volume),
            "openTime": position.opened,
            "openFee": amount_text(volume * Decimal("0.5"), 4),
            "openMargin": amount_text(position.open_price * volume / 100, 4),
            "openAccountDigits": 4,
            "openSymbolDigits": digits,
            "openContractSize": 1,
            "closePrice": price if closed else "0",
            "closeNum": float(volume) if closed else 0,
            "closeVolume": float(volume) if closed else 0,
            "closeTime": position.opened + 60_000 if closed else 0,
            "closeFee": "0.0000",
            "closeAccountDigits": 4,
            "closeSymbolDigits": digits,
            "closeFreeDigits": None,
            "volume": float(volume),
            "minVolume": "0.01",
            "profit": None,
            "margin": None,
            "marginSetType": "1",
            "interest": "0.0000",
            "stopLoss": "0",
            "takeProfit": "0",
            "stopLossDecimal": "0.000",
            "takeProfitDecimal": "0.000",
            "crossLevelNum": 1,
            "remark": None,
        }

    def _deal_row(self, position: Position) -> dict[str, Any]:
        digits = position.symbol.digits
        opened = position.opened
        return {
            "dealId": position.deal_id,
            "id": str(position.deal_id),
            "orderId": position.order_id,
            "positionId": position.position_id,
            "accountId": position.account_id,
            "companyId": self.config.company_id,
            "customerId": self.store.public_id(position.customer_id),
            "customerNo": customer_no_of(position.customer_id),
            "customerGroupId": 1,
            "tradeType": position.trade_type,
            "bizType": 1,
            "direction": position.direction,
            "symbolId": position.symbol.id,
            "symbolName": position.symbol.name,
            "executeNum": float(position.volume),
            "executePrice": int(Decimal(f"{position.open_price:.{digits}f}") * 10**digits),
            "digits": digits,
            "fee": 46768,
            "feeDigits": 4,
            "convertFee": 199998,
            "convertFeeDigits": 4,
            "convertExchangeRate": 1.0,
            "pnl": None,
            "accountDigits": 4,
            "currentTradeAmount": 10_000_000,
            "orderStatus": 2,
            "executeTime": opened,
            "createTime": opened,
            "updateTime": opened,
            "baseCurrency": "USDT",
            "accountCurrency": "USDT",
            "orderInCurrency": None,
        }

    def deal(self, body: Body) -> dict[str, Any] | None:
        """The deal of a deal id, or null."""
        position_id = self.backend.positions.find(int_field(body, "dealId"), DEAL_BASE)
        return (
            None if position_id is None else self._deal_row(self.backend.positions.get(position_id))
        )

    def order_deals(self, body: Body) -> list[dict[str, Any]]:
        """The deals of an order in one trading mode."""
        positions = self.backend.positions
        position_id = positions.find(int_field(body, "orderId"), ORDER_BASE)
        mode = int_field(body, "tradeType")
        if position_id is None or positions.trade_type(position_id) != mode:
            return []
        return [self._deal_row(positions.get(position_id))]

    def _trade_customer(self, body: Body) -> tuple[int, int]:
        require(body, "tradeType", "customerNo", "customerId", "customerGroupId")
        return checked_customer(self.store, body), int_field(body, "tradeType")

    def cancel_pending(self, body: Body) -> list[str]:
        """Cancel a customer's pending orders; their keys."""
        customer_id, mode = self._trade_customer(body)
        cancelled = self.backend.positions.cancel_pending(customer_id)
        return [f"CATS:PROORDER:{mode}_{ORDER_BASE * 2 + order}" for order in cancelled]

    def force_close(self, body: Body) -> dict[str, Any] | None:
        """Close a customer's open positions of one trading mode; the first close, or null."""
        customer_id, mode = self._trade_customer(body)
        closed_all = self.backend.force_close(customer_id, mode)
        if not closed_all:
            return None
        row = self._position_row(closed_all[0])
        return {
            "positionId": row["positionId"],
            "orderId": row["orderId"],
            "symbolId": row["symbolId"],
            "symbolName": row["symbolName"],
            "direction": 2 if row["direction"] == 1 else 1,
            "openDirection": row["direction"],
            "openOrClose": 2,
            "tradeVolume": row["openNum"],
            "openPrice": row["openPrice"],
            "executePrice": row["closePrice"],
            "profit": "0.000000",
            "fee": "-0.500000",
            "interest": "0.000000",
            "stopLoss": None,
            "takeProfit": None,
            "digits": row["openSymbolDigits"],
        }


def _matches(position: Position, wanted: dict[str, int]) -> bool:
    """Whether a position has every value of ``wanted`` (names of ``POSITION_FILTERS``)."""
    values = {
        "symbolId": position.symbol.id,
        "orderId": position.order_id,
        "direction": position.direction,
        "accountId": position.account_id,
    }
    return all(values[name] == value for name, value in wanted.items())
