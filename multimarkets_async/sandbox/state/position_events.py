"""The Data Push events of positions and deals (``position_*``, ``trade_deal``), wire shapes as
the vendor's samples: prices as integers scaled by the symbol's digits, margins as strings,
``openVolume`` a float, ``currency`` a code."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .._config import SandboxConfig
from .customers import CustomerStore
from .events import CLOSE_DEAL_BASE, CLOSE_ORDER_BASE, Event, customer_fields, scaled
from .feed import EventLog
from .positions import Position

POSITION_CURRENCY_DIGITS = 4  # the account digits of position amounts (as REST says)
OPEN, DONE = 1, 2  # push position statuses
FEE_PER_LOT = Decimal("0.5")


def _fee(position: Position) -> int:
    """The fee of opening (or closing) ``position``, scaled."""
    return scaled(position.volume * FEE_PER_LOT, POSITION_CURRENCY_DIGITS)


def _margin(position: Position) -> int:
    """The margin ``position`` takes (1% of its value), scaled."""
    return scaled(position.open_price * position.volume / 100, POSITION_CURRENCY_DIGITS)


class PositionEvents:
    """Builds ``position_insert`` / ``_update`` / ``_delete`` and ``trade_deal``."""

    def __init__(self, log: EventLog, store: CustomerStore, config: SandboxConfig) -> None:
        self.log = log
        self.store = store
        self.config = config

    def _position(self, position: Position, status: int) -> dict[str, Any]:
        digits, volume = position.symbol.digits, position.volume
        price = scaled(position.open_price, digits)
        amount = str(scaled(position.open_price * volume, POSITION_CURRENCY_DIGITS))
        margin_value = _margin(position)
        margin = str(margin_value)
        key = str(position.position_id)
        return {
            "accountId": position.account_id,
            "bizType": 1,
            "closeFee": 0,
            "collatrealFrozen": 0,
            "companyId": self.config.company_id,
            "contractSize": 1,
            "costPrice": price,
            "createBy": position.account_id,
            "createTime": position.opened,
            "crossLevelNum": 1,
            "currency": "USDT",
            "currencyDigits": POSITION_CURRENCY_DIGITS,
            "currentTradeAmount": amount,
            "customerGroupId": self.store.record(position.customer_id)["customerGroupId"],
            **customer_fields(self.store, position.customer_id),
            "dealId": position.deal_id,
            "direction": position.direction,
            "id": key,
            "interest": "0",
            "lockNum": "0",
            "maintenanceMargin": margin,
            "marginSetType": "1",
            "occupyTheMargin": margin,
            "openFee": _fee(position),
            "openMargin": margin_value,
            "openPrice": price,
            "openTradeAmount": amount,
            "openVolume": float(volume),
            "orderId": position.order_id,
            "singleMargin": margin,
            "status": status,
            "stopLoss": "0",
            "symbolDigits": digits,
            "symbolId": position.symbol.id,
            "takeProfit": "0",
            "tradeModel": 1,
            "tradeType": position.trade_type,
            "updateBy": position.account_id,
            "updateTime": self.log.stamp("position", key),
            "warningMargin": "0",
        }

    def position_insert(self, position: Position) -> Event:
        """A position was opened."""
        return "position_insert", self._position(position, OPEN)

    def position_update(self, position: Position, *, done: bool = False) -> Event:
        """A position changed: its take-profit moved, or (``done``) it was closed."""
        data = self._position(position, DONE if done else OPEN)
        if not done:
            step = self.log.bump("position", data["id"])
            data["takeProfit"] = str(data["openPrice"] * (100 + step) // 100)
        return "position_update", data

    def position_delete(self, position: Position) -> Event:
        """A position was removed (closed)."""
        return "position_delete", self._position(position, DONE)

    def trade_deal(self, position: Position, *, closing: bool = False) -> Event:
        """The deal opening a position, or (``closing``) the forced close of it."""
        digits, volume = position.symbol.digits, position.volume
        deal_id = CLOSE_DEAL_BASE + position.position_id if closing else position.deal_id
        order_id = CLOSE_ORDER_BASE + position.position_id if closing else position.order_id
        stamp = self.log.stamp("deal", str(deal_id))
        fee = _fee(position)
        return "trade_deal", {
            "accountDigits": POSITION_CURRENCY_DIGITS,
            "accountId": position.account_id,
            "bizType": 8 if closing else 1,
            "companyId": self.config.company_id,
            "contractSize": 1,
            "convertExchangeRate": 1,
            "convertFee": fee,
            "convertFeeDigits": POSITION_CURRENCY_DIGITS,
            "createTime": stamp if closing else position.opened,
            "customerGroupId": self.store.record(position.customer_id)["customerGroupId"],
            **customer_fields(self.store, position.customer_id),
            "digits": digits,
            "direction": (3 - position.direction) if closing else position.direction,
            "executeMargin": _margin(position),
            "executeMarginCategoryId": 3,
            "executeNum": float(volume),
            "executePrice": scaled(position.open_price, digits),
            "executeTime": stamp if closing else position.opened,
            "fee": fee,
            "feeDigits": POSITION_CURRENCY_DIGITS,
            "id": str(deal_id),
            "orderId": order_id,
            "orderStatus": 2,
            "pnl": 0 if closing else None,
            "pointRatio": 1,
            "positionId": position.position_id,
            "source": "System" if closing else "H5",
            "spread": 0,
            "symbolId": position.symbol.id,
            "symbolName": position.symbol.name,
            "thirdPartyOrder": "",
            "tradeType": position.trade_type,
            "updateTime": stamp,
        }
