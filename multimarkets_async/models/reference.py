"""Reference data: dictionaries, countries, assets, trading modes, products and funds."""

from __future__ import annotations

import msgspec

from ._types import Amount

__all__ = [
    "Asset",
    "Country",
    "DictEntry",
    "GroupAssets",
    "GroupProduct",
    "Holiday",
    "IndexFund",
    "Product",
    "ProductDetail",
    "ProductGroup",
    "TradeTypeAssets",
    "TradingSession",
]


class DictEntry(msgspec.Struct, rename="camel", kw_only=True):
    """One entry of a dictionary (phone codes, register sources, bank codes, chains, ...)."""

    id: int | None = None
    parent_id: int | None = None
    parent_code: str | None = None
    code: str | None = None
    name: str | None = None
    display_name: str | None = None
    sort: int | None = None
    show_type: str | None = None
    extend: str | None = None
    status: int | None = None
    has_leaf: int | None = None
    create_time: int | None = None
    update_time: int | None = None


class Country(msgspec.Struct, rename="camel", kw_only=True):
    """A country; ``national_code`` is ISO alpha-2, ``country_code`` the phone prefix."""

    id: int | None = None
    parent_id: int | None = None
    parent_code: str | None = None
    code: str | None = None
    name: str | None = None
    display_name: str | None = None
    national_code: str | None = None
    country_code: str | None = None
    extend: str | None = None
    sort: int | None = None
    status: int | None = None
    has_leaf: int | None = None
    children: list[Country] | None = msgspec.field(default=None, name="childs")
    create_time: int | None = None
    update_time: int | None = None


class Asset(msgspec.Struct, rename="camel", kw_only=True):
    """A currency or asset enabled for the company; amounts in it have ``digits`` decimals."""

    id: int | None = None
    code: str | None = None
    name: str | None = None
    display_name: str | None = None
    digits: int | None = None
    type: int | None = None
    fund_id: int | None = None
    status: int | None = None
    init_state: int | None = None
    create_time: int | None = None
    update_time: int | None = None


class GroupAssets(msgspec.Struct, rename="camel", kw_only=True):
    """The assets a customer group may hold in one trading mode."""

    customer_group_id: int | None = None
    customer_group_name: str | None = None
    assets: list[Asset] = msgspec.field(default_factory=list, name="assetsVoList")


class TradeTypeAssets(msgspec.Struct, rename="camel", kw_only=True):
    """A trading mode with the assets of each customer group."""

    trade_type: int | None = None
    trade_type_name: str | None = None
    customer_groups: list[GroupAssets] = msgspec.field(
        default_factory=list, name="customerGroupList"
    )


class Product(msgspec.Struct, rename="camel", kw_only=True):
    """A product (symbol) available to a customer group; ``trade_types`` is comma-separated."""

    id: int | None = None
    code: str | None = None
    name: str | None = None
    status: int | None = None
    base_currency: str | None = None
    profit_currency: str | None = None
    source_id: str | None = None
    trade_types: str | None = None
    etf: bool | None = None


class GroupProduct(msgspec.Struct, rename="camel", kw_only=True):
    """A product of a customer group in one trading mode."""

    symbol_id: int | None = None
    symbol_code: str | None = None
    symbol_name: str | None = None
    customer_group_id: int | None = None
    trade_type: int | None = None
    trade_type_name: str | None = None


class ProductGroup(msgspec.Struct, rename="camel", kw_only=True):
    """A group of products."""

    id: int | None = None
    name: str | None = None
    status: int | None = None
    company_id: int | None = None
    create_time: int | None = None
    update_time: int | None = None


class TradingSession(msgspec.Struct, rename="camel", kw_only=True):
    """Trading hours on one weekday (times as the vendor sends them)."""

    day_of_week: int | None = None
    start_time: int | None = None
    end_time: int | None = None


class Holiday(msgspec.Struct, rename="camel", kw_only=True):
    """A holiday closure, epoch milliseconds."""

    start_time: int | None = None
    end_time: int | None = None


class ProductDetail(msgspec.Struct, rename="camel", kw_only=True):
    """Product master data, including trading hours and holidays.

    ``customer_group_ids`` and ``symbol_group_ids`` are comma-separated.
    """

    symbol_id: int | None = None
    symbol_code: str | None = None
    symbol_name: str | None = None
    trade_type: int | None = None
    base_currency: str | None = None
    profit_currency: str | None = None
    symbol_digits: int | None = None
    ask_spread: Amount | None = None
    bid_spread: Amount | None = None
    point_ratio: int | None = None
    deal_mode: int | None = None
    etf: bool | None = None
    fund_id: int | None = None
    labels: str | None = None
    sort_num: int | None = None
    enable_short_loan: int | None = None
    enable_long_loan: int | None = None
    dividend: int | None = None
    in_holiday_time: int | None = None
    in_trade_time: int | None = None
    customer_group_ids: str | None = None
    symbol_group_ids: str | None = None
    trade_times: list[TradingSession] | None = msgspec.field(default=None, name="tradeTimeList")
    holidays: list[Holiday] | None = msgspec.field(default=None, name="holidayTimeList")


class IndexFund(msgspec.Struct, rename="camel", kw_only=True):
    """An index fund and the customer groups (comma-separated) that may trade it."""

    fund_id: int | None = None
    fund_name: str | None = None
    share_token_code: str | None = None
    customer_group_ids: str | None = None
