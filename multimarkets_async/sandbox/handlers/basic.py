"""Basic data: dictionaries, countries, assets and trading modes."""

from __future__ import annotations

from typing import Any

from .._failure import ApiFailure
from ..state.customers import GROUPS
from ..state.reference import (
    ASSET_CODES,
    ASSETS,
    COUNTRIES,
    DICTIONARIES,
    T0,
    TRADE_TYPE_ASSETS,
    TRADE_TYPE_NAMES,
)
from . import Handlers
from ._fields import BAD_PARAMETER, Body, require

SPOT = 5


class BasicHandlers(Handlers):
    """``config.admin.AdminDictDubboService`` and ``AdminAssetsDubboService``."""

    def dictionary(self, body: Body) -> list[dict[str, Any]]:
        """The entries of one dictionary (``parentCode``)."""
        parent = body.get("parentCode")
        if not parent:
            raise ApiFailure(BAD_PARAMETER)
        code = str(parent)
        return [
            {
                "id": 1000 + n,
                "parentId": 400 + len(code),
                "parentCode": code,
                "code": entry,
                "name": name,
                "displayName": name,
                "sort": n,
                "showType": None,
                "extend": "",
                "status": 1,
                "hasLeaf": 0,
                "createTime": T0,
                "updateTime": T0,
                "createBy": "admin",
                "updateBy": "admin",
                "revision": 1,
            }
            for n, (entry, name) in enumerate(DICTIONARIES.get(code, ()), start=1)
        ]

    def countries(self, body: Body) -> list[dict[str, Any]]:
        """The countries (under parent code -1; nothing under any other)."""
        require(body, "parentCode")
        if str(body["parentCode"]) != "-1":
            return []
        return [
            {
                "id": n,
                "parentId": 0,
                "parentCode": "-1",
                "code": iso,
                "nationalCode": iso,
                "name": name,
                "displayName": None,
                "countryCode": phone,
                "extend": "",
                "sort": 1,
                "status": 1,
                "hasLeaf": None,
                "childs": None,
                "createTime": T0,
                "updateTime": T0,
            }
            for n, (iso, name, phone) in enumerate(COUNTRIES, start=2)
        ]

    def assets(self, body: Body) -> list[dict[str, Any]]:
        """Every asset (currency)."""
        return list(ASSETS)

    def trade_types(self, body: Body) -> list[dict[str, Any]]:
        """Trading modes with their customer groups and assets."""
        return [
            {
                "tradeType": trade_type,
                "tradeTypeName": name,
                "customerGroupList": [
                    {
                        "customerGroupId": g["id"],
                        "customerGroupName": g["name"],
                        "assetsVoList": [ASSET_CODES[c] for c in TRADE_TYPE_ASSETS[trade_type]],
                    }
                    for g in GROUPS
                    if g["tradeType"] == trade_type or trade_type != SPOT
                ],
            }
            for trade_type, name in TRADE_TYPE_NAMES.items()
        ]
