"""Products (symbols), product groups and index funds (vendor tag "Product")."""

from __future__ import annotations

import builtins

from .. import _validation as check
from .._operation import Operation, op
from ..models import GroupProduct, IndexFund, Product, ProductDetail, ProductGroup, TradeType
from ._base import Endpoint, Resource

__all__ = ["ProductsResource"]

_SYMBOLS = "config.admin.AdminSymbolDubboService."
LIST: Operation[builtins.list[Product]] = op(_SYMBOLS + "getSymbolList", builtins.list[Product])
BY_TRADE_TYPE: Operation[builtins.list[GroupProduct]] = op(
    _SYMBOLS + "getSymbolTradeTypeByCompanyId", builtins.list[GroupProduct]
)
GROUPS: Operation[builtins.list[ProductGroup]] = op(
    _SYMBOLS + "getSymbolGroupList", builtins.list[ProductGroup]
)
DETAILS: Operation[builtins.list[ProductDetail]] = op(
    _SYMBOLS + "getSymbolByCompanyId", builtins.list[ProductDetail]
)
FUNDS: Operation[builtins.list[IndexFund]] = op(
    _SYMBOLS + "getFundByCompanyId", builtins.list[IndexFund]
)


class ProductsResource(Resource):
    """What customers can trade."""

    async def list(
        self, customer_group_id: int, *, name: str | None = None
    ) -> builtins.list[Product]:
        """Products available to a customer group, optionally matching ``name``."""
        body = check.drop_none(
            customerGroupId=check.positive_id("customer_group_id", customer_group_id),
            name=check.optional(check.text, "name", name),
        )
        return await self._backend.call(LIST, body) or []

    async def by_trade_type(
        self, trade_type: TradeType | int, customer_group_id: int
    ) -> builtins.list[GroupProduct]:
        """Products of a customer group in one trading mode."""
        body = {
            "companyId": self._backend.company_id,
            "tradeType": str(check.trade_type("trade_type", trade_type)),
            "customerGroupId": str(check.positive_id("customer_group_id", customer_group_id)),
        }
        return await self._backend.call(BY_TRADE_TYPE, body) or []

    async def groups(self) -> builtins.list[ProductGroup]:
        """Product groups."""
        return await self._backend.call(GROUPS, {}) or []

    async def details(
        self, *, trade_type: TradeType | int | None = None
    ) -> builtins.list[ProductDetail]:
        """Product master data with trading hours and holidays, optionally of one mode."""
        body = check.drop_none(
            companyId=self._backend.company_id,
            tradeType=check.optional(check.trade_type, "trade_type", trade_type),
        )
        return await self._backend.call(DETAILS, body) or []

    async def funds(self) -> builtins.list[IndexFund]:
        """Index funds and the customer groups that may trade them."""
        return await self._backend.call(FUNDS, {"companyId": self._backend.company_id}) or []


ENDPOINTS = (
    Endpoint("getSymbolList", LIST, "products.list"),
    Endpoint("getSymbolTradeTypeByCompanyId", BY_TRADE_TYPE, "products.by_trade_type"),
    Endpoint("getSymbolGroupList", GROUPS, "products.groups"),
    Endpoint("getSymbolByCompanyId", DETAILS, "products.details"),
    Endpoint("getFundByCompanyId", FUNDS, "products.funds"),
)
