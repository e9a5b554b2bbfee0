"""Static reference data of the sandbox company (the rows of fixed listings in wire form)."""

from __future__ import annotations

from typing import Any, NamedTuple

from .._config import COMPANY_ID

T0 = 1_616_550_825_827  # creation time of the reference rows

ASSETS: tuple[dict[str, Any], ...] = tuple(
    {
        "id": asset_id,
        "strId": str(asset_id),
        "code": code,
        "name": code,
        "displayName": name,
        "digits": digits,
        "type": kind,
        "fundId": 100 + asset_id,
        "status": 1,
        "initState": None,
        "revision": 1,
        "bizName": "ASSETS",
        "createBy": "admin",
        "createTime": T0,
        "updateBy": "admin",
        "updateTime": T0 + asset_id * 1000,
    }
    for asset_id, code, name, digits, kind in (
        (2, "CNY", "Chinese yuan", 2, 1),
        (3, "USD", "US dollar", 2, 1),
        (13, "USDT", "Tether", 4, 2),
        (14, "BTC", "Bitcoin", 8, 2),
        (15, "ETH", "Ether", 8, 2),
    )
)
ASSET_CODES = {a["code"]: a for a in ASSETS}

TRADE_TYPE_NAMES = {1: "Contract full position", 2: "Contract isolated position", 5: "Spot"}
TRADE_TYPE_ASSETS = {1: ("USDT",), 2: ("USDT",), 5: ("USDT", "BTC", "ETH")}

DICTIONARIES: dict[str, tuple[tuple[str, str], ...]] = {
    "phone_code": (("+86", "China"), ("+852", "Hong Kong"), ("+65", "Singapore"), ("+44", "UK")),
    "register_source": tuple(
        (str(n), name)
        for n, name in enumerate(
            ("H5", "PC web", "System", "Android", "iOS", "HarmonyOS", "Windows", "Mac", "Other"),
            start=1,
        )
    ),
    "bank_code": (("ICBC", "Industrial and Commercial Bank of China"), ("HSBC", "HSBC")),
    "USDT": (("Tron(TRC20)", "Tron"), ("Ethereum(ERC20)", "Ethereum")),
    "Language": (
        ("zh-CN", "Simplified Chinese"),
        ("en-US", "English"),
        ("zh-HK", "Traditional Chinese"),
    ),
}

COUNTRIES: tuple[tuple[str, str, str], ...] = (
    ("AU", "Australia", "+61"),
    ("CN", "China", "+86"),
    ("GB", "United Kingdom", "+44"),
    ("HK", "Hong Kong", "+852"),
    ("ID", "Indonesia", "+62"),
    ("MY", "Malaysia", "+60"),
    ("SG", "Singapore", "+65"),
    ("TH", "Thailand", "+66"),
    ("AE", "United Arab Emirates", "+971"),
    ("VN", "Viet Nam", "+84"),
)


class Symbol(NamedTuple):
    """A product (symbol) the sandbox company trades."""

    id: int
    code: str
    name: str
    base: str
    profit: str  # the profit currency
    trade_types: str  # the trading modes, "1,2,5"
    digits: int
    price: float  # the base price quotes drift around


SYMBOLS: tuple[Symbol, ...] = tuple(
    Symbol(*row)
    for row in (
        (695, "BTCUSDT", "BTC/USDT", "BTC", "USDT", "1,2,5", 2, 42764.0),
        (706, "ETHUSDT", "ETH/USDT", "ETH", "USDT", "1,2,5", 2, 2261.5),
        (2, "USDCHF", "USD/CHF", "USD", "CHF", "1,2", 5, 0.8812),
        (7, "EURUSD", "EUR/USD", "EUR", "USD", "1,2", 5, 1.0875),
        (8, "GBPJPY", "GBP/JPY", "GBP", "JPY", "1,2", 3, 188.42),
        (1352, "XAUUSD", "GOLD", "XAU", "USD", "1,2", 2, 1939.88),
    )
)
STOCKS: tuple[tuple[str, float], ...] = (("857.HK", 136.42), ("700.HK", 301.2), ("AAPL.US", 189.7))
QUOTE_PRICES = {s.code: s.price for s in SYMBOLS} | dict(STOCKS)

PRODUCT_GROUPS: tuple[dict[str, Any], ...] = (
    {
        "id": 109,
        "name": "Crypto",
        "status": 1,
        "companyId": COMPANY_ID,
        "bizName": "SYMBOL_GROUP",
        "strId": "109",
        "createBy": "admin",
        "createTime": T0,
        "updateBy": "admin",
        "updateTime": T0,
        "revision": 0,
    },
    {
        "id": 118,
        "name": "Forex",
        "status": 1,
        "companyId": COMPANY_ID,
        "bizName": "SYMBOL_GROUP",
        "strId": "118",
        "createBy": "admin",
        "createTime": T0,
        "updateBy": "admin",
        "updateTime": T0,
        "revision": 0,
    },
)

FUNDS: tuple[dict[str, Any], ...] = (
    {
        "fundId": 80,
        "shareTokenCode": "V10",
        "fundName": "V10 Index Fund",
        "customerGroupIds": "1,2",
    },
    {"fundId": 81, "shareTokenCode": "DEFI", "fundName": "DeFi Basket", "customerGroupIds": "2,4"},
)

RATES = {
    ("BTC", "USDT"): "42763.99",
    ("ETH", "USDT"): "2261.47",
    ("USDT", "CNY"): "7.1850",
    ("USD", "USDT"): "1.0003",
    ("USDT", "USD"): "0.9997",
}

VERIFICATION_TYPES = (
    "EMAIL_COMMON_VERIFICATION_CODE",
    "EMAIL_LOGIN_VERIFICATION_CODE",
    "EMAIL_REGISTER_VERIFICATION_CODE",
    "EMAIL_PASSWORD_VERIFICATION_CODE",
    "SMS_COMMON_VERIFICATION_CODE",
    "SMS_LOGIN_VERIFICATION_CODE",
    "SMS_REGISTER_VERIFICATION_CODE",
    "SMS_PASSWORD_VERIFICATION_CODE",
)
