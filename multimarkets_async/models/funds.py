"""Trading accounts, balance adjustments, bonuses, exchange rates and transfer locks."""

from __future__ import annotations

import msgspec

from ._types import Amount

__all__ = ["Account", "AdjustProposal", "BonusResult", "ExchangeRate", "LockState"]


class Account(msgspec.Struct, rename="camel", kw_only=True):
    """A customer's trading account in one currency (``QueryAccountVo``)."""

    account_id: int | None = None
    customer_id: int | None = None
    customer_no: str | None = None
    company_id: int | None = None
    trade_type: int | None = None
    type: int | None = None
    currency: str | None = None
    assets_id: int | None = None
    digits: int | None = None
    status: int | None = None
    activate_status: int | None = None
    activate_time: int | None = None
    open_account_status: bool | None = None
    balance: Amount | None = None
    available: Amount | None = None
    frozen: Amount | None = None
    equity: Amount | None = None
    net_assets: Amount | None = None
    profit: Amount | None = None
    margin: Amount | None = None
    free_margin: Amount | None = None
    lock_margin: Amount | None = None
    lock_amount: Amount | None = None
    margin_ratio: Amount | None = msgspec.field(default=None, name="marginRadio")
    interest: Amount | None = None
    interest_proportion: Amount | None = None
    liabilities: Amount | None = None
    liabilities_principal: Amount | None = None
    available_loan: Amount | None = None
    collateral_frozen: Amount | None = None
    withdraw_amount: Amount | None = None
    not_withdraw_amount: Amount | None = None
    whole_warehouse_balance: Amount | None = None
    whole_warehouse_rate: Amount | None = None
    first_deposit_time: int | None = None
    first_withdraw_time: int | None = None
    create_time: int | None = None
    remark: str | None = None


class AdjustProposal(msgspec.Struct, rename="camel", kw_only=True):
    """A balance adjustment (bonus, rebate, correction) and its review state.

    ``check_status``: 1 pending, 2 approved, 3 failed.
    """

    id: int | None = None
    proposal_no: str | None = None
    company_id: int | None = None
    customer_id: int | None = None
    customer_no: str | None = None
    account_id: int | None = None
    trade_type: int | None = None
    account_currency: str | None = None
    amount: Amount | None = None
    business_type: int | None = None
    business_type_text: str | None = None
    withdraw: bool | None = None
    status: int | None = None
    check_status: int | None = None
    check_by: str | None = None
    remark: str | None = None
    third_order_id: str | None = None
    third_account: str | None = None
    reset_account: bool | None = None
    create_by: str | None = None
    create_time: int | None = None
    update_by: str | None = None
    update_time: int | None = None


class BonusResult(msgspec.Struct, rename="camel", kw_only=True):
    """Outcome of issuing or clawing back a spot bonus."""

    result: bool | None = None
    action_amount: Amount | None = None


class ExchangeRate(msgspec.Struct, rename="camel", kw_only=True):
    """A deposit or withdrawal conversion rate; ``formula_symbol`` says how to apply it."""

    source_currency: str | None = None
    target_currency: str | None = None
    rate: Amount | None = None
    formula_symbol: str | None = None
    source_digits: int | None = None
    target_digits: int | None = None


class LockState(msgspec.Struct, rename="camel", kw_only=True):
    """Whether transfers of one kind (``type``: 1 in, 2 out, 3 both) are locked."""

    type: int | None = None
    lock_status: bool | None = None
