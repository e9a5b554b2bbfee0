"""Customer records, customer detail and customer groups."""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["Customer", "CustomerDetail", "CustomerGroup"]


class Customer(msgspec.Struct, rename="camel", kw_only=True, gc=False):
    """One row of the customer list (``WhiteCustomerAdminPageVO``).

    Timestamps are epoch milliseconds. Every field may be null on the wire.
    """

    id: int | None = None
    customer_no: str | None = None
    company_id: int | None = None
    customer_group_id: int | None = None
    customer_group_name: str | None = None
    customer_type: int | None = None
    agent_customer_no: str | None = None
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    phone_area: str | None = None
    id_card: str | None = None
    id_card_type: str | None = None
    register_source: int | None = None
    open_account_type: int | None = None
    status: int | None = None
    remark: str | None = None
    unit_id: int | None = None
    unit_name: str | None = None
    tg_user_id: str | None = None
    tg_user_name: str | None = None
    third_account_no: str | None = None
    third_login_source: str | None = None
    third_user_id: str | None = None
    create_time: int | None = None
    update_time: int | None = None
    login_time: int | None = None
    first_account_activate_time: int | None = None


class CustomerDetail(msgspec.Struct, rename="camel", kw_only=True):
    """One customer's data (``CustomerAllInfoVO``); which fields are filled depends on the
    section asked for. ``account_list`` is typed as an object by the vendor but sent as a list."""

    id: int | None = None
    customer_no: str | None = None
    company_id: int | None = None
    association_company_id: int | None = None
    company_type: str | None = None
    company_kyc_status: int | None = None
    customer_group_id: int | None = None
    customer_type: int | None = None
    customer_agent_mark: str | None = None
    type: int | None = None
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    phone_area: str | None = None
    country: str | None = None
    address: str | None = None
    postal_code: str | None = None
    id_card: str | None = None
    id_card_type: str | None = None
    status: int | None = None
    register_source: int | None = None
    register_time: int | None = None
    create_time: int | None = None
    login_time: int | None = None
    activate_status: int | None = None
    activate_time: int | None = None
    open_account_type: int | None = None
    kyc_status: int | None = None
    kyc_audit_status: int | None = None
    kyc_audit_remark: str | None = None
    kyc_remark: str | None = None
    login_pass_status: str | None = None
    pay_pass_status: str | None = None
    assert_pass_status: str | None = None
    api_check_rule: str | None = None
    api_check_switch: bool | None = None
    google_id: int | None = None
    deposit: int | None = None
    withdraw: int | None = None
    is_fund: int | None = None
    optional: int | None = None
    relation_customer_id: int | None = None
    source: str | None = None
    utm_source: str | None = None
    third_server_code: str | None = None
    third_user_id: str | None = None
    third_login_source: str | None = None
    third_intact_msg: str | None = None
    unit_id: int | None = None
    unit_name: str | None = None
    account_remark: str | None = None
    account_list: list[dict[str, Any]] | dict[str, Any] | None = None
    early_warning_level: dict[str, Any] | None = None
    force_level: dict[str, Any] | None = None
    withdraw_level: dict[str, Any] | None = None


class CustomerGroup(msgspec.Struct, rename="camel", kw_only=True):
    """A customer group; ``assets`` is a comma-separated list of asset codes."""

    id: int | None = None
    name: str | None = None
    open_account_type: int | None = None
    type: int | None = None
    trade_type: int | None = None
    assets: str | None = None
