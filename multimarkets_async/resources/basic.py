"""Dictionaries, countries, assets and trading modes (vendor tag "Basic")."""

from __future__ import annotations

from .. import _validation as check
from .._operation import Operation, op
from ..models import Asset, Country, DictEntry, TradeTypeAssets
from ._base import Endpoint, Resource

__all__ = ["BasicResource"]

DICTIONARY: Operation[list[DictEntry]] = op(
    "config.admin.AdminDictDubboService.getListByParentCode", list[DictEntry]
)
COUNTRIES: Operation[list[Country]] = op(
    "config.admin.AdminDictDubboService.getCountryListByParentCode", list[Country]
)
ASSETS: Operation[list[Asset]] = op(
    "config.admin.AdminAssetsDubboService.getAssetsList", list[Asset]
)
TRADE_TYPES: Operation[list[TradeTypeAssets]] = op(
    "config.admin.AdminAssetsDubboService.getTradeTypeList", list[TradeTypeAssets]
)


class BasicResource(Resource):
    """Reference data of the company."""

    async def dictionary(self, parent_code: str) -> list[DictEntry]:
        """Entries of one dictionary, e.g. ``"phone_code"``, ``"register_source"``,
        ``"bank_code"``, or a currency code for its chains (``"USDT"``)."""
        body = {"parentCode": check.text("parent_code", parent_code)}
        return await self._backend.call(DICTIONARY, body) or []

    async def countries(self, parent_code: str = "-1") -> list[Country]:
        """Countries (``parent_code`` ``"-1"``: the top level) with ISO and phone codes."""
        body = {"parentCode": check.text("parent_code", parent_code)}
        return await self._backend.call(COUNTRIES, body) or []

    async def assets(self) -> list[Asset]:
        """Currencies and assets enabled for the company."""
        return await self._backend.call(ASSETS, {"companyId": self._backend.company_id}) or []

    async def trade_types(self) -> list[TradeTypeAssets]:
        """Trading modes, with the assets each customer group may hold in them."""
        return await self._backend.call(TRADE_TYPES, {"companyId": self._backend.company_id}) or []


ENDPOINTS = (
    Endpoint("getListByParentCode", DICTIONARY, "basic.dictionary"),
    Endpoint("getCountryListByParentCode", COUNTRIES, "basic.countries"),
    Endpoint("getAssetsList", ASSETS, "basic.assets"),
    Endpoint("getTradeTypeList", TRADE_TYPES, "basic.trade_types"),
)
