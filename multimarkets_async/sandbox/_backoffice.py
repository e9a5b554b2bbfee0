"""The sandbox's back office beyond customers: accounts and balances, the ledger, positions
and deals, transfer locks, adjustments, bonuses, messages, reference data and market data.

Generated data is a pure function of the seed and ids; what clients change (adjustments,
bonuses, closes, locks, cancelled orders, messages) is kept explicitly, so balances move after
an adjustment, the ledger gains the entry, and a forced close shows up in the positions.
"""

from __future__ import annotations

import time
from array import array
from collections import OrderedDict
from decimal import Decimal
from typing import Any

from . import _reference as ref
from ._config import SandboxConfig
from ._data import CUSTOMER_NO_BASE, GROUPS, CustomerStore, _mix
from ._failure import ApiFailure

DEAL_BASE = 5_000_000_000
ORDER_BASE = 7_000_000_000
BIG_LEDGER_EVERY = 500  # customers 1, 501, 1001, ... have long ledgers, to page through
BIG_LEDGER_SIZE = 2_345  # unless `ledger_size` says otherwise
LEDGER_CACHE_ENTRIES = 16
POSITION_TRADE_TYPES = (1, 2)
MAX_KLINES = 1000
MAX_BATCH = 100
KLINE_SECONDS = {
    1: 60,
    2: 300,
    3: 900,
    4: 1800,
    5: 3600,
    6: 7200,
    7: 14400,
    8: 86400,
    9: 604800,
    10: 2_592_000,
}


def _amount(value: Decimal, digits: int = 6) -> str:
    return f"{value:.{digits}f}"


def _int(body: dict[str, Any], name: str, code: str = "GGATEWAY_CODE_015") -> int:
    value = body.get(name)
    if value in (None, ""):
        raise ApiFailure(code)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiFailure("GGATEWAY_CODE_015") from None


def _optional_int(body: dict[str, Any], name: str) -> int | None:
    return None if body.get(name) in (None, "") else _int(body, name)


class Backoffice:
    """State and handlers for every non-customer operation."""

    def __init__(self, store: CustomerStore, config: SandboxConfig) -> None:
        self.store = store
        self.config = config
        self.seed = config.seed
        self.company_id = config.company_id
        self.balance_changes: dict[tuple[int, int, str], Decimal] = {}
        self.ledger_added: dict[tuple[int, int], list[dict[str, Any]]] = {}
        self.closed_positions: set[int] = set()
        self.cancelled_orders: set[int] = set()
        self.locks: dict[tuple[str, int, int], int] = {}  # -> lock end (epoch ms), 0 = open-ended
        self.proposals: dict[str, dict[str, Any]] = {}
        self.bonus_activities: set[tuple[str, str]] = set()
        self.messages: list[dict[str, Any]] = []
        self._position_index: dict[int, tuple[int, array[int]]] = {}
        self._ledger_cache: OrderedDict[tuple[int, int, int], list[dict[str, Any]]] = OrderedDict()

    def _hash(self, *parts: int) -> int:
        value = self.seed
        for part in parts:
            value = _mix((value * 1_000_003) ^ part)
        return value

    # -- customers ------------------------------------------------------------------------

    def customer_id(self, customer_no: Any, code: str = "USCUSTOMER_API_0000003") -> int:
        if not customer_no:
            raise ApiFailure("USCUSTOMER_API_0000501")
        found = self.store.by_customer_no(str(customer_no))
        if found is None:
            raise ApiFailure(code)
        return found

    def _check_customer(self, body: dict[str, Any], code: str = "USCUSTOMER_API_0000003") -> int:
        customer_id = self.customer_id(body.get("customerNo"), code)
        given = body.get("customerId")
        if given not in (None, "") and str(given) != str(self.store.public_id(customer_id)):
            raise ApiFailure(code)
        return customer_id

    # -- accounts and balances ---------------------------------------------------------------

    def account_id(self, customer_id: int, trade_type: int, currency: str = "USDT") -> int:
        return (
            customer_id * 1000 + trade_type * 10 + ref.TRADE_TYPE_ASSETS[trade_type].index(currency)
        )

    def balance(self, customer_id: int, trade_type: int, currency: str) -> Decimal:
        base = Decimal(self._hash(customer_id, trade_type, len(currency)) % 5_000_000) / 100
        if currency != "USDT":
            base = base / 10_000
        return base + self.balance_changes.get((customer_id, trade_type, currency), Decimal(0))

    def _change_balance(
        self, customer_id: int, trade_type: int, currency: str, delta: Decimal
    ) -> None:
        key = (customer_id, trade_type, currency)
        self.balance_changes[key] = self.balance_changes.get(key, Decimal(0)) + delta

    def accounts(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        customer_id = self.customer_id(body.get("customerNo"))
        trade_type = self._trade_type(body, allowed=ref.TRADE_TYPE_ASSETS)
        created = self.store.record(customer_id)["createTime"]
        rows = []
        for currency in ref.TRADE_TYPE_ASSETS[trade_type]:
            balance = self.balance(customer_id, trade_type, currency)
            asset = ref.ASSET_CODES[currency]
            rows.append(
                {
                    "accountId": self.account_id(customer_id, trade_type, currency),
                    "customerId": self.store.public_id(customer_id),
                    "customerNo": str(body["customerNo"]),
                    "companyId": self.company_id,
                    "tradeType": trade_type,
                    "type": 1,
                    "currency": currency,
                    "assetsId": asset["id"],
                    "digits": 6,
                    "status": 1,
                    "activateStatus": 2,
                    "activateTime": created + 3_600_000,
                    "openAccountStatus": True,
                    "balance": _amount(balance),
                    "available": _amount(balance),
                    "frozen": "0.000000",
                    "equity": _amount(balance),
                    "netAssets": _amount(balance),
                    "profit": "0",
                    "margin": "0",
                    "freeMargin": _amount(balance),
                    "lockMargin": "0.000000",
                    "lockAmount": "0.000000",
                    "marginRadio": None,
                    "interest": "0.000000",
                    "interestProportion": None,
                    "liabilities": "0.000000",
                    "liabilitiesPrincipal": "0.000000",
                    "availableLoan": "0",
                    "collateralFrozen": "0",
                    "withdrawAmount": "0.000000",
                    "notWithdrawAmount": "0.000000",
                    "wholeWarehouseBalance": None,
                    "wholeWarehouseRate": None,
                    "firstDepositTime": created + 7_200_000,
                    "firstWithdrawTime": None,
                    "createTime": created,
                    "remark": None,
                }
            )
        return rows

    @staticmethod
    def _trade_type(body: dict[str, Any], allowed: Any, code: str = "GGATEWAY_CODE_015") -> int:
        trade_type = _int(body, "tradeType", "USCUSTOMER_API_0000501")
        if trade_type not in allowed:
            raise ApiFailure(code)
        return trade_type

    # -- ledger (capital flow) ----------------------------------------------------------------

    def _ledger(self, customer_id: int, trade_type: int) -> list[dict[str, Any]]:
        """Newest first: entries added by clients, then the generated history."""
        big = customer_id % BIG_LEDGER_EVERY == 1
        size = self.config.ledger_size
        count = (
            (BIG_LEDGER_SIZE if size is None else size)
            if big
            else 3 + self._hash(customer_id, 7) % 10
        )
        added = self.ledger_added.get((customer_id, trade_type), [])
        rows = [*reversed(added), *self._generated_ledger(customer_id, trade_type, count)]
        if self.config.ledger_null_keys:
            rows = [
                {**r, "bookkeepId": None, "subjectId": None, "businessType1": None} for r in rows
            ]
        return rows

    def _generated_ledger(
        self, customer_id: int, trade_type: int, count: int
    ) -> list[dict[str, Any]]:
        """The generated history, newest first (a pure function of its arguments, cached)."""
        key = (customer_id, trade_type, count)
        cached = self._ledger_cache.get(key)
        if cached is not None:
            self._ledger_cache.move_to_end(key)
            return cached
        created = self.store.record(customer_id)["createTime"]
        account = self.account_id(customer_id, trade_type)
        customer_no = str(CUSTOMER_NO_BASE + customer_id)
        generated = []
        running = Decimal(0)
        for n in range(count):
            h = self._hash(customer_id, trade_type, n)
            kind = (1, 1, 6, 6, 6, 2, 4)[h % 7]
            amount = Decimal(h % 2_000_000) / 100 + 1
            outgoing = kind == 2 or (kind == 6 and h & 1)
            if outgoing and amount > running:
                outgoing = False
            running += -amount if outgoing else amount
            stamp = created + 60_000 * (n + 1)
            generated.append(
                {
                    "bookkeepId": _bookkeep_id(customer_id, trade_type, n),
                    "subjectId": account * 10 + 1,
                    "accountId": account,
                    "customerNo": customer_no,
                    "currency": "USDT",
                    "digits": "6",
                    "amountIn": "0" if outgoing else _amount(amount),
                    "amountOut": _amount(amount) if outgoing else "0",
                    "amountAfter": _amount(running),
                    "businessType": kind,
                    "businessType1": kind * 1000 + 1,
                    "businessTypeName": _LEDGER_NAMES[kind],
                    "businessType1Name": _LEDGER_NAMES[kind],
                    "status": 2,
                    "orderId": ORDER_BASE + n if kind == 6 else None,
                    "dealId": DEAL_BASE + n if kind == 6 else None,
                    "remark": None,
                    "createTime": stamp,
                    "updateTime": stamp,
                }
            )
        generated.reverse()
        self._ledger_cache[key] = generated
        if len(self._ledger_cache) > LEDGER_CACHE_ENTRIES:
            self._ledger_cache.popitem(last=False)
        return generated

    def _add_ledger(
        self,
        customer_id: int,
        trade_type: int,
        currency: str,
        delta: Decimal,
        kind: int,
        sub_kind: int,
        name: str,
        remark: str | None,
    ) -> None:
        entries = self.ledger_added.setdefault((customer_id, trade_type), [])
        now = int(time.time() * 1000)
        if entries:  # one entry per millisecond at most, so entries differ by createTime
            now = max(now, entries[-1]["createTime"] + 1)
        account = self.account_id(customer_id, trade_type, currency)
        entries.append(
            {
                "bookkeepId": _bookkeep_id(customer_id, trade_type, len(entries), added=True),
                "subjectId": account * 10 + 1,
                "accountId": account,
                "customerNo": str(CUSTOMER_NO_BASE + customer_id),
                "currency": currency,
                "digits": "6",
                "amountIn": _amount(delta) if delta > 0 else "0",
                "amountOut": _amount(-delta) if delta < 0 else "0",
                "amountAfter": _amount(self.balance(customer_id, trade_type, currency)),
                "businessType": kind,
                "businessType1": sub_kind,
                "businessTypeName": name,
                "businessType1Name": name,
                "status": 2,
                "orderId": None,
                "dealId": None,
                "remark": remark,
                "createTime": now,
                "updateTime": now,
            }
        )

    def capital_flow(self, body: dict[str, Any]) -> dict[str, Any]:
        for name in ("customerId", "customerGroupId", "customerNo", "tradeType"):
            if body.get(name) in (None, ""):
                raise ApiFailure("GGATEWAY_CODE_015")
        customer_id = self._check_customer(body)
        trade_type = self._trade_type(body, allowed=ref.TRADE_TYPE_ASSETS)
        for _ in range(self.config.ledger_insert_per_call):
            self._deposit(customer_id, trade_type)
        rows = self._ledger(customer_id, trade_type)
        kind = _optional_int(body, "businessType")
        if kind:
            rows = [r for r in rows if r["businessType"] == kind]
        start, end = _optional_int(body, "startTime"), _optional_int(body, "endTime")
        if start is not None:
            rows = [r for r in rows if r["createTime"] >= start]
        if end is not None:
            rows = [r for r in rows if r["createTime"] <= end]
        operate = _optional_int(body, "operate")
        if operate == 1:
            rows = [r for r in rows if r["amountIn"] != "0"]
        elif operate == 2:
            rows = [r for r in rows if r["amountOut"] != "0"]
        return _page_of(rows, body)

    def _deposit(self, customer_id: int, trade_type: int) -> None:
        """A deposit arriving now (``ledger_insert_per_call``)."""
        serial = len(self.ledger_added.get((customer_id, trade_type), []))
        amount = Decimal(self._hash(customer_id, trade_type, serial, 23) % 100_000) / 100 + 1
        self._change_balance(customer_id, trade_type, "USDT", amount)
        self._add_ledger(customer_id, trade_type, "USDT", amount, 1, 1001, "Deposit", None)

    # -- adjustments and bonuses ---------------------------------------------------------------

    def adjust(self, body: dict[str, Any]) -> str:
        customer_id = self.customer_id(body.get("customerNo"), "FS404")
        trade_type = self._trade_type(body, allowed=ref.TRADE_TYPE_ASSETS)
        currency = body.get("accountCurrency")
        if currency not in ref.TRADE_TYPE_ASSETS[trade_type]:
            raise ApiFailure("FS520010")
        account = body.get("accountId")
        if account not in (None, "") and int(account) != self.account_id(
            customer_id, trade_type, currency
        ):
            raise ApiFailure("FS520010")
        if body.get("businessType") not in (4, "4") or body.get("withdraw") is not True:
            raise ApiFailure("FS10002")
        try:
            amount = Decimal(str(body.get("amount")))
        except ArithmeticError:
            raise ApiFailure("FS10002") from None
        if not amount.is_finite() or amount == 0:
            raise ApiFailure("FS10002")
        if amount < 0 and -amount > self.balance(customer_id, trade_type, currency):
            raise ApiFailure("FS52005")
        self._change_balance(customer_id, trade_type, currency, amount)
        self._add_ledger(
            customer_id, trade_type, currency, amount, 4, 4004, "Adjustment", body.get("remark")
        )
        number = f"AP{time.strftime('%Y%m%d')}{len(self.proposals) + 1:06d}"
        now = int(time.time() * 1000)
        self.proposals[number] = {
            "id": len(self.proposals) + 1,
            "proposalNo": number,
            "companyId": self.company_id,
            "customerId": self.store.public_id(customer_id),
            "customerNo": str(body["customerNo"]),
            "accountId": self.account_id(customer_id, trade_type, currency),
            "tradeType": trade_type,
            "accountCurrency": currency,
            "amount": float(amount),
            "businessType": 4,
            "businessTypeText": "Adjustment",
            "withdraw": True,
            "status": 1,
            "checkStatus": 2,
            "checkBy": "system",
            "remark": body.get("remark"),
            "thirdOrderId": None,
            "thirdAccount": None,
            "resetAccount": False,
            "operatorPassword": None,
            "createBy": "openapi",
            "createTime": now,
            "updateBy": "openapi",
            "updateTime": now,
        }
        return number

    def proposal(self, body: dict[str, Any]) -> dict[str, Any] | bool:
        number = body.get("proposalNo")
        if not number:
            raise ApiFailure("FS10001")
        return self.proposals.get(str(number), False)  # the vendor answers `false` when unknown

    def bonus(self, body: dict[str, Any]) -> dict[str, Any]:
        for name in (
            "customerNo",
            "companyId",
            "activityId",
            "currencyBonus",
            "bonus",
            "activityCustomerNo",
            "type",
        ):
            if body.get(name) in (None, ""):
                raise ApiFailure("FS10001")
        customer_id = self.customer_id(body["customerNo"], "FS404")
        if _int(body, "tradeType") != 5:
            raise ApiFailure("FS550006")
        operation = _int(body, "type")
        if operation not in (1, 2):
            raise ApiFailure("FS10002")
        currency = str(body["currencyBonus"])
        if currency not in ref.TRADE_TYPE_ASSETS[5]:
            raise ApiFailure("FS550007")
        try:
            amount = Decimal(str(body["bonus"]))
        except ArithmeticError:
            raise ApiFailure("FS10002") from None
        if not amount.is_finite() or amount <= 0:
            raise ApiFailure("FS10003")
        key = (str(body["activityId"]), str(body["customerNo"]))
        if key in self.bonus_activities:
            raise ApiFailure("FS570001")
        self.bonus_activities.add(key)
        if operation == 2:
            amount = -min(amount, self.balance(customer_id, 5, currency))
        self._change_balance(customer_id, 5, currency, amount)
        self._add_ledger(
            customer_id, 5, currency, amount, 42, 42001, "Reward", str(body["activityId"])
        )
        return {"result": True, "actionAmount": _amount(abs(amount))}

    # -- locks ---------------------------------------------------------------------------------

    def _lock_key(self, body: dict[str, Any]) -> tuple[str, int, list[int]]:
        for name in ("customerNo", "tradeType", "companyId"):
            if body.get(name) in (None, ""):
                raise ApiFailure("FS10001")
        self.customer_id(body["customerNo"], "FS404")
        lock_type = _int(body, "type", "FS10001") if "type" in body else 3
        if lock_type not in (1, 2, 3):
            raise ApiFailure("FS10002")
        return (
            str(body["customerNo"]),
            _int(body, "tradeType"),
            [1, 2] if lock_type == 3 else [lock_type],
        )

    def _locked(self, customer_no: str, trade_type: int, kind: int) -> bool:
        end = self.locks.get((customer_no, trade_type, kind))
        return end is not None and (end == 0 or end > time.time() * 1000)

    def lock(self, body: dict[str, Any]) -> None:
        customer_no, trade_type, kinds = self._lock_key(body)
        seconds, until = _optional_int(body, "lockTime"), _optional_int(body, "lockEndTime")
        end = until if until else (int(time.time() * 1000) + seconds * 1000 if seconds else 0)
        for kind in kinds:
            self.locks[(customer_no, trade_type, kind)] = end
        return None

    def unlock(self, body: dict[str, Any]) -> None:
        customer_no, trade_type, kinds = self._lock_key(body)
        for kind in kinds:
            self.locks.pop((customer_no, trade_type, kind), None)
        return None

    def lock_status(self, body: dict[str, Any]) -> bool:
        customer_no, trade_type, kinds = self._lock_key(body)
        return all(self._locked(customer_no, trade_type, kind) for kind in kinds)

    def lock_states(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        customer_no, trade_type, _ = self._lock_key(body | {"type": 3})
        return [
            {"type": str(kind), "lockStatus": self._locked(customer_no, trade_type, kind)}
            for kind in (1, 2)
        ]

    # -- positions and deals ---------------------------------------------------------------------

    def _position_count(self, customer_id: int) -> int:
        h = self._hash(customer_id, 11)
        return 0 if h % 3 else 1 + (h >> 8) % 5

    def _customer_positions(self, customer_id: int) -> list[int]:
        return [customer_id * 10 + k for k in range(self._position_count(customer_id) - 1, -1, -1)]

    def _position_trade_type(self, position_id: int) -> int:
        return POSITION_TRADE_TYPES[self._hash(position_id, 13) & 1]

    def _all_positions(self, trade_type: int) -> array[int]:
        """Position ids of one trading mode, newest first (built once per data version)."""
        cached = self._position_index.get(trade_type)
        if cached is not None and cached[0] == self.store.version:
            return cached[1]
        ids = array("q")
        for customer_id in self.store.ids(0, len(self.store)):
            ids.extend(
                p
                for p in self._customer_positions(customer_id)
                if self._position_trade_type(p) == trade_type
            )
        self._position_index[trade_type] = (self.store.version, ids)
        return ids

    def position(self, position_id: int) -> dict[str, Any]:
        customer_id = position_id // 10
        h = self._hash(position_id, 17)
        symbol_id, _, name, _, _, _, digits, price = ref.SYMBOLS[h % len(ref.SYMBOLS)]
        open_price = Decimal(str(price)) * (Decimal(9_500 + h % 1_000) / 10_000)
        volume = Decimal((h >> 12) % 500 + 1) / 100
        trade_type = self._position_trade_type(position_id)
        created = self.store.record(customer_id)["createTime"]
        opened = created + 86_400_000 + (h >> 20) % 86_400_000
        closed = position_id in self.closed_positions
        return {
            "positionId": position_id,
            "orderId": ORDER_BASE + position_id,
            "dealId": DEAL_BASE + position_id,
            "accountId": self.account_id(customer_id, trade_type),
            "customerId": self.store.public_id(customer_id),
            "customerNo": str(CUSTOMER_NO_BASE + customer_id),
            "companyId": self.company_id,
            "tradeType": trade_type,
            "bizType": 1,
            "status": "2" if closed else "1",
            "direction": 1 + (h >> 30) % 2,
            "symbolId": symbol_id,
            "symbolName": name,
            "openPrice": f"{open_price:.{digits}f}",
            "openNum": str(volume),
            "openVolume": float(volume),
            "openTime": opened,
            "openFee": _amount(volume * Decimal("0.5"), 4),
            "openMargin": _amount(open_price * volume / 100, 4),
            "openAccountDigits": 4,
            "openSymbolDigits": digits,
            "openContractSize": 1,
            "closePrice": f"{open_price:.{digits}f}" if closed else "0",
            "closeNum": float(volume) if closed else 0,
            "closeVolume": float(volume) if closed else 0,
            "closeTime": opened + 60_000 if closed else 0,
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

    def customer_positions(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        for name in ("tradeType", "customerGroupId", "customerId"):
            if body.get(name) in (None, ""):
                raise ApiFailure("GGATEWAY_CODE_015")
        trade_type = _int(body, "tradeType")
        customer_id = self.store.internal_id(_int(body, "customerId"))
        if customer_id is None or not self.store.alive(customer_id):
            return []
        rows = [self.position(p) for p in self._customer_positions(customer_id)]
        rows = [r for r in rows if r["tradeType"] == trade_type]
        symbol = _optional_int(body, "symbolId")
        if symbol is not None:
            rows = [r for r in rows if r["symbolId"] == symbol]
        current, size = _paging(body)
        return rows[(current - 1) * size : current * size]

    def all_positions(self, body: dict[str, Any]) -> dict[str, Any]:
        trade_type = self._trade_type(body, allowed=POSITION_TRADE_TYPES)
        wire_id = _optional_int(body, "customerId")
        customer_id = None if wire_id is None else self.store.internal_id(wire_id) or -1
        customer_no = body.get("customerNo")
        if customer_no:
            customer_id = self.store.by_customer_no(str(customer_no)) or -1
        if customer_id is not None:
            ids: Any = (
                [
                    p
                    for p in self._customer_positions(customer_id)
                    if self._position_trade_type(p) == trade_type
                ]
                if self.store.alive(customer_id)
                else []
            )
        else:
            ids = self._all_positions(trade_type)
        filters = {
            k: _optional_int(body, k) for k in ("symbolId", "orderId", "direction", "accountId")
        }
        if any(v is not None for v in filters.values()):
            rows = [self.position(p) for p in ids]
            for name, value in filters.items():
                if value is not None:
                    rows = [r for r in rows if r[name] == value]
            return _page_of(rows, body)
        current, size = _paging(body)
        chunk = ids[(current - 1) * size : current * size]
        return {
            "current": current,
            "size": size,
            "total": len(ids),
            "records": [self.position(p) for p in chunk],
        }

    def _deal(self, position_id: int) -> dict[str, Any]:
        row = self.position(position_id)
        digits = row["openSymbolDigits"]
        return {
            "dealId": row["dealId"],
            "id": str(row["dealId"]),
            "orderId": row["orderId"],
            "positionId": position_id,
            "accountId": row["accountId"],
            "companyId": self.company_id,
            "customerId": row["customerId"],
            "customerNo": row["customerNo"],
            "customerGroupId": 1,
            "tradeType": row["tradeType"],
            "bizType": 1,
            "direction": row["direction"],
            "symbolId": row["symbolId"],
            "symbolName": row["symbolName"],
            "executeNum": row["volume"],
            "executePrice": int(Decimal(row["openPrice"]) * 10**digits),
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
            "executeTime": row["openTime"],
            "createTime": row["openTime"],
            "updateTime": row["openTime"],
            "baseCurrency": "USDT",
            "accountCurrency": "USDT",
            "orderInCurrency": None,
        }

    def _position_of(self, number: int, base: int) -> int | None:
        position_id = number - base
        customer_id = position_id // 10
        if position_id < 10 or not self.store.alive(customer_id):
            return None
        return position_id if position_id in self._customer_positions(customer_id) else None

    def deal(self, body: dict[str, Any]) -> dict[str, Any] | None:
        position_id = self._position_of(_int(body, "dealId"), DEAL_BASE)
        return None if position_id is None else self._deal(position_id)

    def order_deals(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        position_id = self._position_of(_int(body, "orderId"), ORDER_BASE)
        trade_type = _int(body, "tradeType")
        if position_id is None or self._position_trade_type(position_id) != trade_type:
            return []
        return [self._deal(position_id)]

    def _trade_customer(self, body: dict[str, Any]) -> tuple[int, int]:
        for name in ("tradeType", "customerNo", "customerId", "customerGroupId"):
            if body.get(name) in (None, ""):
                raise ApiFailure("GGATEWAY_CODE_015")
        return self._check_customer(body), _int(body, "tradeType")

    def cancel_pending(self, body: dict[str, Any]) -> list[str]:
        customer_id, trade_type = self._trade_customer(body)
        orders = [customer_id * 10 + n for n in range(self._hash(customer_id, 19) % 3)]
        cancelled = [o for o in orders if o not in self.cancelled_orders]
        self.cancelled_orders.update(cancelled)
        return [f"CATS:PROORDER:{trade_type}_{ORDER_BASE * 2 + o}" for o in cancelled]

    def force_close(self, body: dict[str, Any]) -> dict[str, Any] | None:
        customer_id, trade_type = self._trade_customer(body)
        open_ids = [
            p
            for p in self._customer_positions(customer_id)
            if self._position_trade_type(p) == trade_type and p not in self.closed_positions
        ]
        if not open_ids:
            return None
        self.closed_positions.update(open_ids)
        row = self.position(open_ids[0])
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

    # -- messages ------------------------------------------------------------------------------

    def send_message(self, body: dict[str, Any]) -> None:
        for name in (
            "customerNo",
            "tradeType",
            "language",
            "content",
            "title",
            "showType",
            "customerId",
            "companyId",
        ):
            if body.get(name) in (None, ""):
                raise ApiFailure("GGATEWAY_CODE_015")
        self._check_customer(body)
        if body["language"] not in ("zh-HK", "en-US", "zh-CN") or len(str(body["title"])) > 100:
            raise ApiFailure("GGATEWAY_CODE_015")
        if _int(body, "showType") not in (0, 1):
            raise ApiFailure("GGATEWAY_CODE_015")
        self.messages.append(dict(body))
        return None

    def code_status(self, body: dict[str, Any]) -> dict[str, Any]:
        for name in ("bizType", "toUser", "code", "sendToken"):
            if body.get(name) in (None, ""):
                raise ApiFailure("GGATEWAY_CODE_015")
        if body["bizType"] not in ref.VERIFICATION_TYPES:
            raise ApiFailure("GGATEWAY_CODE_015")
        used = self._hash(len(str(body["sendToken"])), sum(map(ord, str(body["sendToken"])))) % 2
        return {
            "bizType": body["bizType"],
            "toUser": body["toUser"],
            "sendToken": body["sendToken"],
            "code": body["code"],
            "status": "USED" if used else "SENT",
            "name": body["bizType"],
            "desc": "verified" if used else "delivered, not yet used",
        }

    # -- reference data ------------------------------------------------------------------------

    def dictionary(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        parent = body.get("parentCode")
        if not parent:
            raise ApiFailure("GGATEWAY_CODE_015")
        return ref.dictionary(str(parent))

    def countries(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        if body.get("parentCode") in (None, ""):
            raise ApiFailure("GGATEWAY_CODE_015")
        return ref.countries() if str(body["parentCode"]) == "-1" else []

    def assets(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        return list(ref.ASSETS)

    def trade_types(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "tradeType": trade_type,
                "tradeTypeName": name,
                "customerGroupList": [
                    {
                        "customerGroupId": g["id"],
                        "customerGroupName": g["name"],
                        "assetsVoList": [
                            ref.ASSET_CODES[c] for c in ref.TRADE_TYPE_ASSETS[trade_type]
                        ],
                    }
                    for g in GROUPS
                    if g["tradeType"] == trade_type or trade_type != 5
                ],
            }
            for trade_type, name in ref.TRADE_TYPE_NAMES.items()
        ]

    def group_products(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        for name in ("companyId", "tradeType", "customerGroupId"):
            if body.get(name) in (None, ""):
                raise ApiFailure("GGATEWAY_CODE_015")
        trade_type = _int(body, "tradeType")
        return [
            {
                "symbolId": s[0],
                "symbolCode": s[1],
                "symbolName": s[2],
                "customerGroupId": str(body["customerGroupId"]),
                "tradeType": trade_type,
                "tradeTypeName": ref.TRADE_TYPE_NAMES.get(trade_type, ""),
            }
            for s in ref.SYMBOLS
            if str(trade_type) in s[5].split(",")
        ]

    def products(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        _int(body, "customerGroupId")
        name = str(body.get("name") or "").lower()
        return [
            {
                "id": s[0],
                "code": s[1],
                "name": s[2],
                "status": 1,
                "baseCurrency": s[3],
                "profitCurrency": s[4],
                "sourceId": f"SANDBOX_{s[1]}",
                "tradeTypes": s[5],
                "etf": False,
            }
            for s in ref.SYMBOLS
            if name in s[2].lower() or name in s[1].lower()
        ]

    def product_groups(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        return list(ref.PRODUCT_GROUPS)

    def product_details(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        if body.get("companyId") in (None, ""):
            raise ApiFailure("GGATEWAY_CODE_015")
        return ref.product_details(_optional_int(body, "tradeType"))

    def funds(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        if body.get("companyId") in (None, ""):
            raise ApiFailure("GGATEWAY_CODE_015")
        return list(ref.FUNDS)

    def exchange_rates(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        pairs = body.get("currencyMap")
        if not isinstance(pairs, dict) or not pairs:
            raise ApiFailure("FS10001")
        if len(pairs) > 50:
            raise ApiFailure("FS10005")
        rows = []
        for source, target in pairs.items():
            rate = ref.RATES.get((source, target))
            if rate is None:
                continue
            rows.append(
                {
                    "sourceCurrency": source,
                    "targetCurrency": target,
                    "rate": float(rate),
                    "formulaSymbol": "multiply",
                    "sourceDigits": ref.ASSET_CODES.get(source, {}).get("digits", 2),
                    "targetDigits": ref.ASSET_CODES.get(target, {}).get("digits", 2),
                    "class": "com.cats.fund.api.dto.ExchangeRateConvertDto",
                }
            )
        return rows

    # -- market data ---------------------------------------------------------------------------

    def _price(self, code: str, step: int) -> Decimal:
        base = Decimal(str(ref.QUOTE_PRICES[code]))
        drift = Decimal(self._hash(sum(map(ord, code)), step) % 2001 - 1000) / 100_000
        return (base * (1 + drift)).quantize(Decimal("0.001"))

    def depth(self, data: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time() * 1000)
        ticks = []
        for code in self._codes(data):
            price = self._price(code, now // 1000)
            ticks.append(
                {
                    "code": code,
                    "seq": str(now // 10),
                    "tick_time": str(now),
                    "bids": [
                        {"price": str(price - Decimal("0.001") * n), "volume": f"{100000 * n:.2f}"}
                        for n in (1, 2)
                    ],
                    "asks": [
                        {"price": str(price + Decimal("0.001") * n), "volume": f"{200000 * n:.2f}"}
                        for n in (1, 2)
                    ],
                }
            )
        return {"tick_list": ticks}

    def trades(self, data: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time() * 1000)
        return {
            "tick_list": [
                {
                    "code": code,
                    "seq": str(now // 10),
                    "tick_time": str(now),
                    "price": str(self._price(code, now // 1000)),
                    "volume": "0",
                    "turnover": "0",
                    "trade_direction": 0,
                }
                for code in self._codes(data)
            ]
        }

    @staticmethod
    def _codes(data: dict[str, Any]) -> list[str]:
        symbols = data.get("symbol_list")
        if not isinstance(symbols, list) or not symbols:
            raise ApiFailure("202")
        return [
            str(s.get("code"))
            for s in symbols
            if isinstance(s, dict) and s.get("code") in ref.QUOTE_PRICES
        ]

    def kline(self, data: dict[str, Any]) -> dict[str, Any]:
        code, kind = data.get("code"), data.get("kline_type")
        count = data.get("query_kline_num")
        if code not in ref.QUOTE_PRICES or kind not in KLINE_SECONDS:
            raise ApiFailure("202")
        if not isinstance(count, int) or not 1 <= count <= MAX_KLINES:
            raise ApiFailure("202")
        step = KLINE_SECONDS[kind]
        end = data.get("kline_timestamp_end") or int(time.time())
        last = int(end) // step * step
        bars = []
        for n in range(count - 1, -1, -1):
            start = last - n * step
            open_price, close_price = self._price(code, start), self._price(code, start + step)
            bars.append(
                {
                    "timestamp": str(start),
                    "open_price": str(open_price),
                    "close_price": str(close_price),
                    "high_price": str(max(open_price, close_price)),
                    "low_price": str(min(open_price, close_price)),
                    "volume": "0",
                    "turnover": "0",
                }
            )
        return {"code": code, "kline_type": kind, "kline_list": bars}

    def batch_kline(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        items = data.get("data_list")
        if not isinstance(items, list) or not items or len(items) > MAX_BATCH:
            raise ApiFailure("202")
        return [self.kline(item) for item in items if isinstance(item, dict)]


_LEDGER_NAMES = {1: "Deposit", 2: "Withdrawal", 4: "Adjustment", 6: "Trade", 42: "Reward"}


def _bookkeep_id(customer_id: int, trade_type: int, n: int, added: bool = False) -> int:
    """Unique over all ledgers: entry ``n`` of the generated or added entries of one
    customer's ledger in one trading mode."""
    return (customer_id * 10 + trade_type) * 10**8 + (5 * 10**7 if added else 0) + n


def _paging(body: dict[str, Any]) -> tuple[int, int]:
    current = _optional_int(body, "current") or 1
    size = _optional_int(body, "size") or 20
    if current < 1 or size < 1 or size > 2000:
        raise ApiFailure("GGATEWAY_CODE_015")
    return current, size


def _page_of(rows: list[dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
    current, size = _paging(body)
    return {
        "current": current,
        "size": size,
        "total": len(rows),
        "records": rows[(current - 1) * size : current * size],
    }
