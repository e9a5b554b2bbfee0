"""Accounts, balance adjustments, bonuses, exchange rates and transfer locks (vendor tags
"Fund" and, for accounts and adjustments, "Activities")."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .. import _validation as check
from .._operation import Operation, op
from ..errors import ValidationError
from ..models import (
    Account,
    AdjustProposal,
    BonusOperation,
    BonusResult,
    ExchangeRate,
    LockState,
    LockType,
    RateType,
    TradeType,
)
from ._base import Endpoint, Resource

__all__ = ["FundsResource"]

_BONUS = "fund.admin.CustomerActivityBonusAdminDubboService."
_PROPOSAL = "fund.admin.CustomerAdjustProposalAdminDubboService."
ACCOUNTS: Operation[list[Account] | Account | None] = op(
    "customer.admin.CustomerAdminApiService.queryAccountList", list[Account] | Account | None
)
ADJUST: Operation[str | bool] = op(_PROPOSAL + "addCustomerAdjustProposal", str | bool, write=True)
ADJUSTMENT: Operation[AdjustProposal | bool | None] = op(
    _PROPOSAL + "getCustomerAdjustProposalById", AdjustProposal | bool | None
)
BONUS: Operation[BonusResult] = op(_BONUS + "operationBonus", BonusResult, write=True)
RATES: Operation[list[ExchangeRate]] = op(
    "fund.admin.CustomerFundAdminDubboService.getExchangeRate", list[ExchangeRate]
)
LOCK: Operation[Any] = op(_BONUS + "lockTradeAccount", Any, write=True, idempotent=True)
UNLOCK: Operation[Any] = op(_BONUS + "unlockTradeAccount", Any, write=True, idempotent=True)
LOCK_STATUS: Operation[bool] = op(_BONUS + "queryOneLockTradeAccount", bool)
LOCK_STATES: Operation[list[LockState]] = op(
    _BONUS + "queryTradeTypeLockTradeAccount", list[LockState]
)

ADJUSTMENT_BUSINESS_TYPE = 4  # the only value the API accepts for adjustments
MAX_RATE_PAIRS = 50
REMARK_MAX = 200


def _digits(account_id: int | None) -> str | None:
    """An account id as the decimal text the bonus operation wants."""
    return None if account_id is None else str(account_id)


class FundsResource(Resource):
    """Money: balances, adjustments, bonuses, rates, transfer locks."""

    async def accounts(self, customer_no: str, trade_type: TradeType | int) -> list[Account]:
        """A customer's trading accounts in one mode, one per currency, with balances."""
        body = {
            "customerNo": check.text("customer_no", customer_no),
            "tradeType": check.trade_type("trade_type", trade_type),
        }
        return check.listed(await self._backend.call(ACCOUNTS, body))

    async def adjust(
        self,
        customer_no: str,
        *,
        trade_type: TradeType | int,
        currency: str,
        amount: Decimal | int | str,
        account_id: int | None = None,
        remark: str | None = None,
    ) -> str | None:
        """Adjust a balance (bonus, rebate, correction; negative to deduct).

        ``amount`` is a ``Decimal``, ``int`` or decimal string, never a float (binary floats
        are not exact money), with at most 18 digits before the point and 18 after it.

        Returns the proposal number (None from servers older than release 2.6.5). A write that
        moves money: after an ambiguous failure it is not sent again; look the outcome up with
        :meth:`adjustment` or in the ledger before retrying.
        """
        body = check.drop_none(
            customerNo=check.text("customer_no", customer_no),
            tradeType=check.trade_type("trade_type", trade_type),
            accountCurrency=check.currency("currency", currency),
            amount=check.amount("amount", amount),
            accountId=check.optional(check.positive_id, "account_id", account_id),
            businessType=ADJUSTMENT_BUSINESS_TYPE,
            withdraw=True,
            remark=check.optional(check.text, "remark", remark, max_length=REMARK_MAX),
        )
        number = await self._backend.call(ADJUST, body)
        return number if isinstance(number, str) else None

    async def adjustment(self, proposal_no: str) -> AdjustProposal | None:
        """An adjustment by its proposal number, or None if there is none."""
        body = {
            "proposalNo": check.text("proposal_no", proposal_no),
            "companyId": self._backend.company_id,
        }
        data = await self._backend.call(ADJUSTMENT, body)
        return data if isinstance(data, AdjustProposal) else None

    async def bonus(
        self,
        customer_no: str,
        *,
        activity_id: str,
        activity_customer_no: str,
        currency: str,
        amount: Decimal | int | str,
        operation: BonusOperation | int = BonusOperation.ISSUE,
        account_id: str | int | None = None,
    ) -> BonusResult:
        """Issue (or claw back) a spot bonus. ``activity_id`` identifies the campaign; the
        server refuses a second bonus for the same activity and customer. ``amount`` is
        positive and given as for :meth:`adjust`."""
        body = check.drop_none(
            customerNo=check.text("customer_no", customer_no),
            tradeType=int(TradeType.SPOT),
            companyId=self._backend.company_id,
            activityId=check.text("activity_id", activity_id, max_length=64),
            activityCustomerNo=check.text("activity_customer_no", activity_customer_no),
            currencyBonus=check.currency("currency", currency),
            bonus=check.amount("amount", amount, positive=True),
            type=check.code("operation", operation, BonusOperation),
            accountId=_digits(
                check.optional(check.positive_id, "account_id", account_id, digits=True)
            ),
        )
        return await self._backend.call(BONUS, body)

    async def exchange_rates(
        self, pairs: Mapping[str, str], *, rate_type: RateType | int = RateType.DEPOSIT
    ) -> list[ExchangeRate]:
        """Conversion rates for ``{source: target}`` currency pairs (at most 50)."""
        if not check.mapping("pairs", pairs, max_items=MAX_RATE_PAIRS):
            raise ValidationError("pairs", "give at least one {source: target} pair")
        body = {
            "companyId": self._backend.company_id,
            "currencyMap": {
                check.currency("pairs", source): check.currency("pairs", target)
                for source, target in pairs.items()
            },
            "type": check.code("rate_type", rate_type, RateType),
        }
        return await self._backend.call(RATES, body) or []

    def _account_body(self, customer_no: str, trade_type: TradeType | int) -> dict[str, Any]:
        """The trading account a lock call is about."""
        return {
            "customerNo": check.text("customer_no", customer_no),
            "tradeType": check.trade_type("trade_type", trade_type),
            "companyId": self._backend.company_id,
        }

    def _lock_body(
        self, customer_no: str, trade_type: TradeType | int, lock_type: LockType | int
    ) -> dict[str, Any]:
        body = self._account_body(customer_no, trade_type)
        body["type"] = check.code("lock_type", lock_type, LockType)
        return body

    async def lock(
        self,
        customer_no: str,
        *,
        trade_type: TradeType | int,
        lock_type: LockType | int = LockType.BOTH,
        seconds: int | None = None,
        until_ms: int | None = None,
    ) -> None:
        """Block transfers into and/or out of a trading account, for ``seconds`` or until
        ``until_ms`` (epoch ms), or until unlocked."""
        body = self._lock_body(customer_no, trade_type, lock_type)
        body.update(
            check.drop_none(
                lockTime=check.optional(
                    check.integer, "seconds", seconds, minimum=1, maximum=check.MAX_INT32
                ),
                lockEndTime=check.optional(
                    check.integer, "until_ms", until_ms, minimum=1, maximum=check.MAX_EPOCH_MS
                ),
            )
        )
        await self._backend.call(LOCK, body)

    async def unlock(
        self,
        customer_no: str,
        *,
        trade_type: TradeType | int,
        lock_type: LockType | int = LockType.BOTH,
    ) -> None:
        """Lift a transfer lock."""
        await self._backend.call(UNLOCK, self._lock_body(customer_no, trade_type, lock_type))

    async def is_locked(
        self,
        customer_no: str,
        *,
        trade_type: TradeType | int,
        lock_type: LockType | int = LockType.BOTH,
    ) -> bool:
        """Whether transfers of ``lock_type`` are locked for the account."""
        body = self._lock_body(customer_no, trade_type, lock_type)
        locked = await self._backend.call(LOCK_STATUS, body)
        return bool(locked)

    async def lock_states(
        self, customer_no: str, *, trade_type: TradeType | int
    ) -> list[LockState]:
        """Lock state of each transfer direction of the account."""
        body = self._account_body(customer_no, trade_type)
        return await self._backend.call(LOCK_STATES, body) or []


ENDPOINTS = (
    Endpoint("queryAccountList", ACCOUNTS, "funds.accounts"),
    Endpoint("addCustomerAdjustProposal", ADJUST, "funds.adjust"),
    Endpoint("getCustomerAdjustProposalById", ADJUSTMENT, "funds.adjustment"),
    Endpoint("operationBonus", BONUS, "funds.bonus"),
    Endpoint("getExchangeRate", RATES, "funds.exchange_rates"),
    Endpoint("lockTradeAccount", LOCK, "funds.lock"),
    Endpoint("unlockTradeAccount", UNLOCK, "funds.unlock"),
    Endpoint("queryOneLockTradeAccount", LOCK_STATUS, "funds.is_locked"),
    Endpoint("queryTradeTypeLockTradeAccount", LOCK_STATES, "funds.lock_states"),
)
