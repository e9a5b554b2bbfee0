"""Positions, deals, capital flow (ledger) and forced-close results.

Prices, volumes and money are :class:`Amount` (exact decimals). Some deal fields are scaled
integers, to be divided by ``10 ** digits`` (see each field).
"""

from __future__ import annotations

import msgspec

from ._types import Amount

__all__ = ["CapitalFlowEntry", "ForcedCloseResult", "Position", "TradeDeal"]


class Position(msgspec.Struct, rename="camel", kw_only=True, gc=False):
    """A position (open, partly closed or closed).

    ``status``: 0 initialised, 1 holding, 2 closed, 3 partly closed. ``direction``: 1 buy,
    2 sell. ``stop_loss``/``take_profit`` are raw values; the ``*_decimal`` fields are for display.
    """

    position_id: int | None = None
    order_id: int | None = None
    deal_id: int | None = None
    account_id: int | None = None
    customer_id: int | None = None
    customer_no: str | None = None
    company_id: int | None = None
    trade_type: int | None = None
    biz_type: int | None = None
    status: int | None = None
    direction: int | None = None
    symbol_id: int | None = None
    symbol_name: str | None = None
    open_price: Amount | None = None
    open_num: Amount | None = None
    open_volume: Amount | None = None
    open_time: int | None = None
    open_fee: Amount | None = None
    open_margin: Amount | None = None
    open_account_digits: int | None = None
    open_symbol_digits: int | None = None
    open_contract_size: int | None = None
    close_price: Amount | None = None
    close_num: Amount | None = None
    close_volume: Amount | None = None
    close_time: int | None = None
    close_fee: Amount | None = None
    close_account_digits: int | None = None
    close_symbol_digits: int | None = None
    close_fee_digits: int | None = msgspec.field(default=None, name="closeFreeDigits")
    volume: Amount | None = None
    min_volume: Amount | None = None
    profit: Amount | None = None
    margin: Amount | None = None
    margin_set_type: int | None = None
    interest: Amount | None = None
    stop_loss: Amount | None = None
    take_profit: Amount | None = None
    stop_loss_decimal: Amount | None = None
    take_profit_decimal: Amount | None = None
    cross_level_num: int | None = None
    remark: str | None = None
    source: str | None = None
    query_source: str | None = None
    third_party_order: str | None = None


class TradeDeal(msgspec.Struct, rename="camel", kw_only=True, gc=False):
    """One execution.

    Scaled integers: ``execute_price`` by ``10 ** digits``; ``fee`` by ``10 ** fee_digits``;
    ``convert_fee`` by ``10 ** convert_fee_digits``; ``pnl`` and ``current_trade_amount`` by
    ``10 ** account_digits``. ``id`` is the deal record id (documented as text; the examples
    carry ``deal_id`` instead).
    """

    id: int | str | None = None
    deal_id: int | None = None
    order_id: int | None = None
    position_id: int | None = None
    account_id: int | None = None
    company_id: int | None = None
    customer_id: int | None = None
    customer_no: str | None = None
    customer_group_id: int | None = None
    trade_type: int | None = None
    biz_type: int | None = None
    direction: int | None = None
    symbol_id: int | None = None
    symbol_name: str | None = None
    base_currency: str | None = None
    account_currency: str | None = None
    order_in_currency: str | None = None
    execute_num: Amount | None = None
    execute_price: int | None = None
    digits: int | None = None
    fee: int | None = None
    fee_digits: int | None = None
    convert_fee: int | None = None
    convert_fee_digits: int | None = None
    convert_exchange_rate: Amount | None = None
    pnl: int | None = None
    account_digits: int | None = None
    current_trade_amount: int | None = None
    order_status: int | None = None
    execute_time: int | None = None
    create_time: int | None = None
    update_time: int | None = None
    source: str | None = None
    third_party_order: str | None = None


class CapitalFlowEntry(msgspec.Struct, rename="camel", kw_only=True, gc=False):
    """One ledger (capital flow) entry. ``business_type`` is the ledger code (1 deposit,
    2 withdrawal, 4 adjustment, 6 trade, 42 reward, ...), ``business_type1`` its sub-type."""

    bookkeep_id: int | None = None
    subject_id: int | None = None
    account_id: int | None = None
    customer_no: str | None = None
    currency: str | None = None
    digits: int | None = None
    amount_in: Amount | None = None
    amount_out: Amount | None = None
    amount_after: Amount | None = None
    business_type: int | None = None
    business_type1: int | None = None
    business_type_name: str | None = None
    business_type1_name: str | None = None
    status: int | None = None
    order_id: int | None = None
    deal_id: int | None = None
    remark: str | None = None
    create_time: int | None = None
    update_time: int | None = None


class ForcedCloseResult(msgspec.Struct, rename="camel", kw_only=True):
    """The outcome of a forced close (fields as the vendor's example shows them)."""

    position_id: int | None = None
    order_id: int | None = None
    symbol_id: int | None = None
    symbol_name: str | None = None
    direction: int | None = None
    open_direction: int | None = None
    open_or_close: int | None = None
    trade_volume: Amount | None = None
    open_price: Amount | None = None
    execute_price: Amount | None = None
    profit: Amount | None = None
    fee: Amount | None = None
    interest: Amount | None = None
    stop_loss: Amount | None = None
    take_profit: Amount | None = None
    digits: int | None = None
