"""Static reference data of the sandbox company, in wire form (vendor field names)."""

from __future__ import annotations

from typing import Any

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

# (symbol id, code, name, base, profit currency, trade types, digits, base price)
SYMBOLS: tuple[tuple[int, str, str, str, str, str, int, float], ...] = (
    (695, "BTCUSDT", "BTC/USDT", "BTC", "USDT", "1,2,5", 2, 42764.0),
    (706, "ETHUSDT", "ETH/USDT", "ETH", "USDT", "1,2,5", 2, 2261.5),
    (2, "USDCHF", "USD/CHF", "USD", "CHF", "1,2", 5, 0.8812),
    (7, "EURUSD", "EUR/USD", "EUR", "USD", "1,2", 5, 1.0875),
    (8, "GBPJPY", "GBP/JPY", "GBP", "JPY", "1,2", 3, 188.42),
    (1352, "XAUUSD", "GOLD", "XAU", "USD", "1,2", 2, 1939.88),
)
STOCKS: tuple[tuple[str, float], ...] = (("857.HK", 136.42), ("700.HK", 301.2), ("AAPL.US", 189.7))
SYMBOL_BY_ID = {s[0]: s for s in SYMBOLS}
QUOTE_PRICES = {s[1]: s[7] for s in SYMBOLS} | dict(STOCKS)

PRODUCT_GROUPS: tuple[dict[str, Any], ...] = (
    {
        "id": 109,
        "name": "Crypto",
        "status": 1,
        "companyId": 439,
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
        "companyId": 439,
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


def dictionary(parent_code: str) -> list[dict[str, Any]]:
    rows = DICTIONARIES.get(parent_code, ())
    return [
        {
            "id": 1000 + n,
            "parentId": 400 + len(parent_code),
            "parentCode": parent_code,
            "code": code,
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
        for n, (code, name) in enumerate(rows, start=1)
    ]


def countries() -> list[dict[str, Any]]:
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


def product_details(trade_type: int | None) -> list[dict[str, Any]]:
    rows = []
    for symbol_id, code, name, base, profit, modes, digits, _ in SYMBOLS:
        for mode in (int(m) for m in modes.split(",")):
            if trade_type is not None and mode != trade_type:
                continue
            rows.append(
                {
                    "tradeType": mode,
                    "symbolId": symbol_id,
                    "symbolCode": code,
                    "symbolName": name,
                    "baseCurrency": base,
                    "profitCurrency": profit,
                    "customerGroupIds": "1,2,3,4",
                    "symbolGroupIds": "109" if profit == "USDT" else "118",
                    "symbolDigits": digits,
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
                    "holidayTimeList": [{"startTime": 1703462400000, "endTime": 1703548800000}],
                    "tradeTimeList": [
                        {"dayOfWeek": day, "startTime": 0, "endTime": 86_399_999}
                        for day in range(1, 6)
                    ],
                }
            )
    return rows
