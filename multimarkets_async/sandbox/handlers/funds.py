"""Funds: accounts and balances, adjustments, bonuses, transfer locks, exchange rates."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from .._failure import ApiFailure
from ..state.accounts import account_id
from ..state.funds import BONUS_TRADE_TYPE, LOCK_KINDS, Proposal
from ..state.reference import ASSET_CODES, RATES, TRADE_TYPE_ASSETS
from . import Handlers
from ._fields import (
    Body,
    customer_id,
    decimal_field,
    int_field,
    missing,
    optional_int,
    require,
    trade_type,
)

MISSING = "FS10001"
INVALID = "FS10002"
UNKNOWN_CUSTOMER = "FS404"
MAX_RATE_PAIRS = 50
ADJUSTMENT = 4


def amount_text(value: Decimal, digits: int = 6) -> str:
    """An amount as the back office writes it: fixed ``digits`` decimals."""
    return f"{value:.{digits}f}"


class FundHandlers(Handlers):
    """``fund.admin.*`` and the account list."""

    def accounts(self, body: Body) -> list[dict[str, Any]]:
        """A customer's accounts of one trading mode, one per currency."""
        found = customer_id(self.store, body.get("customerNo"), "USCUSTOMER_API_0000003")
        mode = trade_type(body, allowed=TRADE_TYPE_ASSETS)
        created = self.store.record(found)["createTime"]
        return [
            self._account(found, mode, currency, str(body["customerNo"]), created)
            for currency in TRADE_TYPE_ASSETS[mode]
        ]

    def _account(
        self, found: int, mode: int, currency: str, customer_no: str, created: int
    ) -> dict[str, Any]:
        balance = amount_text(self.backend.accounts.balance(found, mode, currency))
        return {
            "accountId": account_id(found, mode, currency),
            "customerId": self.store.public_id(found),
            "customerNo": customer_no,
            "companyId": self.config.company_id,
            "tradeType": mode,
            "type": 1,
            "currency": currency,
            "assetsId": ASSET_CODES[currency]["id"],
            "digits": 6,
            "status": 1,
            "activateStatus": 2,
            "activateTime": created + 3_600_000,
            "openAccountStatus": True,
            "balance": balance,
            "available": balance,
            "frozen": "0.000000",
            "equity": balance,
            "netAssets": balance,
            "profit": "0",
            "margin": "0",
            "freeMargin": balance,
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

    def adjust(self, body: Body) -> str:
        """Adjust a balance (an approved proposal); the proposal number."""
        found = customer_id(self.store, body.get("customerNo"), UNKNOWN_CUSTOMER)
        mode = trade_type(body, allowed=TRADE_TYPE_ASSETS)
        currency = body.get("accountCurrency")
        if currency not in TRADE_TYPE_ASSETS[mode]:
            raise ApiFailure("FS520010")
        account: Any = body.get("accountId")
        if not missing(account) and int(account) != account_id(found, mode, currency):
            raise ApiFailure("FS520010")
        if body.get("businessType") not in (ADJUSTMENT, str(ADJUSTMENT)):
            raise ApiFailure(INVALID)
        if body.get("withdraw") is not True:
            raise ApiFailure(INVALID)
        amount = decimal_field(body.get("amount"), INVALID)
        if not amount.is_finite() or amount == 0:
            raise ApiFailure(INVALID)
        remark = body.get("remark")
        customer_no = str(body["customerNo"])
        return self.backend.adjust(found, customer_no, mode, currency, amount, remark).number

    def proposal(self, body: Body) -> dict[str, Any] | bool:
        """A proposal by number; ``false`` when unknown (as the vendor answers)."""
        number = body.get("proposalNo")
        if not number:
            raise ApiFailure(MISSING)
        proposal = self.backend.funds.proposals.get(str(number))
        return False if proposal is None else self._proposal(proposal)

    def _proposal(self, proposal: Proposal) -> dict[str, Any]:
        return {
            "id": proposal.serial,
            "proposalNo": proposal.number,
            "companyId": self.config.company_id,
            "customerId": self.store.public_id(proposal.customer_id),
            "customerNo": proposal.customer_no,
            "accountId": proposal.account_id,
            "tradeType": proposal.trade_type,
            "accountCurrency": proposal.currency,
            "amount": float(proposal.amount),
            "businessType": ADJUSTMENT,
            "businessTypeText": "Adjustment",
            "withdraw": True,
            "status": 1,
            "checkStatus": 2,
            "checkBy": "system",
            "remark": proposal.remark,
            "thirdOrderId": None,
            "thirdAccount": None,
            "resetAccount": False,
            "operatorPassword": None,
            "createBy": "openapi",
            "createTime": proposal.created,
            "updateBy": "openapi",
            "updateTime": proposal.created,
        }

    def bonus(self, body: Body) -> dict[str, Any]:
        """Pay (``type`` 1) or take back (2) an activity's spot bonus."""
        fields = ("customerNo", "companyId", "activityId", "currencyBonus", "bonus")
        require(body, *fields, "activityCustomerNo", "type", code=MISSING)
        found = customer_id(self.store, body["customerNo"], UNKNOWN_CUSTOMER)
        if int_field(body, "tradeType") != BONUS_TRADE_TYPE:
            raise ApiFailure("FS550006")
        operation = int_field(body, "type")
        if operation not in (1, 2):
            raise ApiFailure(INVALID)
        currency = str(body["currencyBonus"])
        if currency not in TRADE_TYPE_ASSETS[BONUS_TRADE_TYPE]:
            raise ApiFailure("FS550007")
        amount = decimal_field(body["bonus"], INVALID)
        if not amount.is_finite() or amount <= 0:
            raise ApiFailure("FS10003")
        activity = (str(body["activityId"]), str(body["customerNo"]))
        signed = amount if operation == 1 else -amount
        moved = self.backend.bonus(found, activity, currency, signed)
        return {"result": True, "actionAmount": amount_text(abs(moved))}

    def _lock_key(self, body: Body) -> tuple[str, int, list[int]]:
        """``(customer number, trading mode, lock kinds)``; ``type`` 3 (default) means both."""
        require(body, "customerNo", "tradeType", "companyId", code=MISSING)
        customer_id(self.store, body["customerNo"], UNKNOWN_CUSTOMER)
        lock_type = int_field(body, "type", MISSING) if "type" in body else 3
        if lock_type not in (1, 2, 3):
            raise ApiFailure(INVALID)
        kinds = list(LOCK_KINDS) if lock_type == 3 else [lock_type]
        return str(body["customerNo"]), int_field(body, "tradeType"), kinds

    def lock(self, body: Body) -> None:
        """Lock transfers for ``lockTime`` seconds, until ``lockEndTime``, or until unlocked."""
        customer_no, mode, kinds = self._lock_key(body)
        seconds, until = optional_int(body, "lockTime"), optional_int(body, "lockEndTime")
        end = until if until else (int(time.time() * 1000) + seconds * 1000 if seconds else 0)
        self.backend.funds.lock(customer_no, mode, kinds, end)

    def unlock(self, body: Body) -> None:
        """Lift transfer locks."""
        self.backend.funds.unlock(*self._lock_key(body))

    def lock_status(self, body: Body) -> bool:
        """Whether every asked kind of transfer is locked."""
        customer_no, mode, kinds = self._lock_key(body)
        return all(self.backend.funds.locked(customer_no, mode, kind) for kind in kinds)

    def lock_states(self, body: Body) -> list[dict[str, Any]]:
        """The lock state of each kind of transfer."""
        customer_no, mode, kinds = self._lock_key(body | {"type": 3})
        return [
            {"type": str(kind), "lockStatus": self.backend.funds.locked(customer_no, mode, kind)}
            for kind in kinds
        ]

    def exchange_rates(self, body: Body) -> list[dict[str, Any]]:
        """Rates of the asked ``currencyMap`` pairs the sandbox knows."""
        pairs = body.get("currencyMap")
        if not isinstance(pairs, dict) or not pairs:
            raise ApiFailure(MISSING)
        if len(pairs) > MAX_RATE_PAIRS:
            raise ApiFailure("FS10005")
        return [
            {
                "sourceCurrency": source,
                "targetCurrency": target,
                "rate": float(RATES[(source, target)]),
                "formulaSymbol": "multiply",
                "sourceDigits": ASSET_CODES.get(source, {}).get("digits", 2),
                "targetDigits": ASSET_CODES.get(target, {}).get("digits", 2),
                "class": "com.cats.fund.api.dto.ExchangeRateConvertDto",
            }
            for source, target in pairs.items()
            if (source, target) in RATES
        ]
