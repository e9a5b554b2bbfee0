"""Data Push event models: one frozen msgspec Struct per ``eventType`` (MANAGER_API §12).

Every event is ``{"eventType": "<type>", "data": {...}}``. The event classes are tagged on
``eventType`` so a single msgspec decoder picks the class; ``data`` is a per-event Struct whose
attributes are the vendor's camelCase names in snake_case. Every field is optional: the server may
omit any of them, and a missing field is ``None``.

Value conventions:

* ``id`` is always a ``str`` (the push sends strings, ``"80"``; an integer on the wire is accepted
  and turned into its decimal string).
* Ledger, deal and position money is an integer scaled by a ``digits`` field (``amount_in`` with
  ``digits``, ``execute_price`` with ``digits``, ``fee`` with ``fee_digits`` …); it stays ``int``
  and :func:`scaled_amount` (or the ``*_value`` properties) gives the exact ``Decimal``.
* Deposit, withdrawal and adjustment amounts are decimals on the wire (``50.000000000``) and decode
  to exact :class:`decimal.Decimal` values, scale kept.
* Position margins and take-profit / stop-loss are strings, as sent; ``open_volume`` is a float.
* ``currency`` is an asset id (``int``) in account and ledger events and a code (``str``) in
  position events, so it is typed ``int | str``; ``create_by`` / ``update_by`` are ``str | int``.

This module is pure data: it imports nothing from the client, the pipeline or the CLI.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, TypeAlias

import msgspec

__all__ = [
    "EVENT_TYPES",
    "AccountAdjust",
    "AccountAdjustData",
    "AccountData",
    "AccountUpdate",
    "CustomerInfoData",
    "CustomerInfoInsert",
    "CustomerInfoUpdate",
    "CustomerUpdate",
    "CustomerUpdateData",
    "Deposit",
    "DepositData",
    "Event",
    "EventData",
    "KnownEvent",
    "Kyc",
    "KycData",
    "OpenAccount",
    "PositionData",
    "PositionDelete",
    "PositionInsert",
    "PositionUpdate",
    "Register",
    "RegisterData",
    "SubjectData",
    "SubjectInsert",
    "SubjectUpdate",
    "SubjectWaterData",
    "SubjectWaterInsert",
    "SubjectWaterUpdate",
    "TradeDeal",
    "TradeDealData",
    "Unknown",
    "Withdraw",
    "WithdrawData",
    "scaled_amount",
]

if TYPE_CHECKING:
    _Id = str
else:
    # On the wire an id may be a string or (against the docs) an integer;
    # ``EventData.__post_init__`` turns an integer into its string, so users only ever see ``str``.
    _Id = str | int

_set = msgspec.structs.force_setattr


def scaled_amount(value: int | None, digits: int | None) -> Decimal | None:
    """The exact decimal of an integer scaled by ``digits`` decimal places.

    ``scaled_amount(11210000000, 5) == Decimal("112100.00000")``. ``None`` when either part is
    missing. The result keeps ``digits`` decimal places (the scale the platform uses).
    """
    if value is None or digits is None:
        return None
    return Decimal(value).scaleb(-digits)


class EventData(
    msgspec.Struct, rename="camel", frozen=True, kw_only=True, gc=False, omit_defaults=True
):
    """Base of the per-event ``data`` Structs: the entity ``id`` (always a string). Encoded,
    fields that are ``None`` are left out (the server did not send them)."""

    id: _Id | None = None

    def __post_init__(self) -> None:
        ident: object = self.id
        if type(ident) is int:  # normalise an integer id to its string
            _set(self, "id", str(ident))


# --------------------------------------------------------------------------- customers


class RegisterData(EventData, frozen=True):
    """``register``: a customer registered. ``id`` is the customer id.

    ``register_type``: 1 email, 2 phone, 3 customer number. ``kyc_audit_status``: 0 uncertified,
    1 pending, 2 passed, 3 failed. ``ext2`` / ``ext4``: third-party unique id, raw / decrypted.
    """

    company_id: int | None = None
    country: str | None = None
    create_time: int | None = None
    customer_group_id: int | None = None
    customer_no: str | None = None
    ext2: str | None = None
    ext4: str | None = None
    kyc_audit_remark: str | None = None
    kyc_audit_status: int | None = None
    language: str | None = None
    optional: int | None = None
    phone: str | None = None
    phone_area: str | None = None
    email: str | None = None
    email_area: str | None = None
    register_source: int | None = None
    register_type: int | None = None
    status: int | None = None


class CustomerUpdateData(EventData, frozen=True):
    """``customer_update``: a customer changed. ``id`` is the customer id.

    ``status``: 1 normal, 2 disabled, 3 deleted, 4 cancelled, 5 locked, 6 cancelling.
    """

    birthday: str | None = None
    company_id: int | None = None
    country: str | None = None
    create_by: str | int | None = None
    create_time: int | None = None
    customer_group_id: int | None = None
    customer_no: str | None = None
    email: str | None = None
    email_area: str | None = None
    first_open_account_time: int | None = None
    kyc_audit_remark: str | None = None
    kyc_audit_status: int | None = None
    language: str | None = None
    login_ip: str | None = None
    login_time: int | None = None
    optional: int | None = None
    phone: str | None = None
    phone_area: str | None = None
    revision: int | None = None
    status: int | None = None
    update_by: str | int | None = None
    update_time: int | None = None


class CustomerInfoData(EventData, frozen=True):
    """``customer_info_insert`` / ``customer_info_update``: a customer detail row.

    ``id`` is the detail row id as a string; ``customer_info_id`` is the same id as an integer.
    ``status``: 1 enabled, 2 disabled, 3 deleted.
    """

    company_id: int | None = None
    unit_id: int | None = None
    country: str | None = None
    register_ip: str | None = None
    register_device: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None
    province: str | None = None
    city: str | None = None
    address: str | None = None
    remark: str | None = None
    ext1: str | None = None
    ext2: str | None = None
    ext3: str | None = None
    ext4: str | None = None
    ext5: str | None = None
    create_by: str | int | None = None
    create_time: int | None = None
    update_by: str | int | None = None
    update_time: int | None = None
    customer_info_id: int | None = None
    customer_no: str | None = None
    revision: int | None = None
    status: int | None = None


class KycData(EventData, frozen=True):
    """``kyc``: a KYC level approved. ``status``: 1 pending, 2 approved, 3 rejected.

    ``business_code`` is ``"1"`` (identity page) or the business (``open_account``, ``cashin``,
    ``withdraw``); ``pno`` is the KYC proposal number.
    """

    approval: str | int | None = None
    approval_time: int | None = None
    business_code: str | None = None
    company_id: int | None = None
    create_time: int | None = None
    customer_no: str | None = None
    ext1: str | None = None
    ext2: str | None = None
    level_code: str | None = None
    path_code: str | None = None
    pno: str | None = None
    revision: int | None = None
    status: int | None = None
    update_by: str | int | None = None
    update_time: int | None = None


# --------------------------------------------------------------------------- accounts and ledger


class AccountData(EventData, frozen=True):
    """``open_account`` / ``account_update``: a trading account. ``id`` is the account id.

    ``currency`` is the asset id here (``currency_code`` the code); ``digits`` the decimal places of
    its money. ``status`` / ``activate_status``: 1 unavailable, 2 available; ``type``: 1 user,
    2 merchant, 3 platform.
    """

    activate_status: int | None = None
    company_id: int | None = None
    create_time: int | None = None
    currency: int | str | None = None
    currency_code: str | None = None
    customer_id: int | None = None
    customer_no: str | None = None
    digits: int | None = None
    status: int | None = None
    trade_type: int | None = None
    type: int | None = None
    update_time: int | None = None


class SubjectData(EventData, frozen=True):
    """``subject_insert`` / ``subject_update``: a balance bucket of an account.

    ``type`` is the subject type (1 balance, 2 frozen, 3 available, …); ``amount`` is scaled by
    ``digits`` (see :attr:`amount_value`).
    """

    account_id: int | None = None
    amount: int | None = None
    create_time: int | None = None
    digits: int | None = None
    type: int | None = None
    update_time: int | None = None
    version: int | None = None

    @property
    def amount_value(self) -> Decimal | None:
        """``amount`` as an exact decimal (scaled by ``digits``)."""
        return scaled_amount(self.amount, self.digits)


class SubjectWaterData(EventData, frozen=True):
    """``subject_water_insert`` / ``subject_water_update``: a ledger entry.

    ``amount_in`` / ``amount_out`` / ``amount_after`` are scaled by ``digits`` (the ``*_value``
    properties give decimals); ``currency`` is the asset id. ``business_type`` /
    ``business_type1`` are the (garbled) business and sub-business codes.
    """

    account_id: int | None = None
    account_type: int | None = None
    amount_after: int | None = None
    amount_in: int | None = None
    amount_out: int | None = None
    bookkeep_id: int | None = None
    business_type: int | None = None
    business_type1: int | None = None
    company_id: int | None = None
    create_time: int | None = None
    currency: int | str | None = None
    currency_code: str | None = None
    customer_id: int | None = None
    customer_no: str | None = None
    digits: int | None = None
    order_id: int | None = None
    remark: str | None = None
    status: int | None = None
    subject_id: int | None = None
    subject_type: int | None = None
    trade_type: int | None = None
    update_time: int | None = None
    version: int | None = None

    @property
    def amount_in_value(self) -> Decimal | None:
        """``amount_in`` as an exact decimal (scaled by ``digits``)."""
        return scaled_amount(self.amount_in, self.digits)

    @property
    def amount_out_value(self) -> Decimal | None:
        """``amount_out`` as an exact decimal (scaled by ``digits``)."""
        return scaled_amount(self.amount_out, self.digits)

    @property
    def amount_after_value(self) -> Decimal | None:
        """``amount_after`` as an exact decimal (scaled by ``digits``)."""
        return scaled_amount(self.amount_after, self.digits)


# --------------------------------------------------------------------------- trading


class PositionData(EventData, frozen=True):
    """``position_insert`` / ``position_update`` / ``position_delete``: a position.

    ``id`` is the position id (a string; ``TradeDealData.position_id`` is the same number as an
    int). Prices (``open_price``, ``cost_price``) are integers scaled by ``symbol_digits``; fees
    and ``open_margin`` by ``currency_digits``. ``currency`` is the asset **code**. Margin-type
    fields, ``take_profit`` and ``stop_loss`` are strings as sent. ``status``: 1 holding, 2 done,
    3 partly closed. ``collateral_frozen`` is the vendor's ``collatrealFrozen``.
    """

    account_id: int | None = None
    biz_type: int | None = None
    close_fee: int | None = None
    collateral_frozen: int | None = msgspec.field(default=None, name="collatrealFrozen")
    company_id: int | None = None
    contract_size: int | float | None = None
    cost_price: int | None = None
    create_by: str | int | None = None
    create_time: int | None = None
    currency: int | str | None = None
    currency_digits: int | None = None
    customer_group_id: int | None = None
    customer_id: int | None = None
    customer_no: str | None = None
    deal_id: int | None = None
    direction: int | None = None
    open_fee: int | None = None
    open_margin: int | None = None
    open_price: int | None = None
    open_volume: float | None = None
    order_id: int | None = None
    status: int | None = None
    symbol_digits: int | None = None
    symbol_id: int | None = None
    trade_model: int | None = None
    trade_type: int | None = None
    interest: str | None = None
    open_trade_amount: str | None = None
    lock_num: str | None = None
    cross_level_num: int | None = None
    current_trade_amount: str | None = None
    maintenance_margin: str | None = None
    margin_set_type: str | None = None
    occupy_the_margin: str | None = None
    single_margin: str | None = None
    take_profit: str | None = None
    stop_loss: str | None = None
    warning_margin: str | None = None
    update_by: str | int | None = None
    update_time: int | None = None

    @property
    def open_price_value(self) -> Decimal | None:
        """``open_price`` as an exact decimal (scaled by ``symbol_digits``)."""
        return scaled_amount(self.open_price, self.symbol_digits)

    @property
    def cost_price_value(self) -> Decimal | None:
        """``cost_price`` as an exact decimal (scaled by ``symbol_digits``)."""
        return scaled_amount(self.cost_price, self.symbol_digits)


class TradeDealData(EventData, frozen=True):
    """``trade_deal``: an execution. ``id`` is the deal id.

    ``execute_price`` (and ``spread``) are scaled by ``digits``; ``fee`` by ``fee_digits``;
    ``convert_fee`` (fee in USDT) by ``convert_fee_digits``; ``pnl`` and ``execute_margin`` by
    ``account_digits``. ``execute_num`` is a float (lots). ``direction``: 1 buy, 2 sell.
    """

    account_digits: int | None = None
    account_id: int | None = None
    biz_type: int | None = None
    company_id: int | None = None
    contract_size: int | float | None = None
    convert_exchange_rate: Decimal | None = None
    convert_fee: int | None = None
    convert_fee_digits: int | None = None
    create_time: int | None = None
    customer_group_id: int | None = None
    customer_id: int | None = None
    customer_no: str | None = None
    digits: int | None = None
    direction: int | None = None
    execute_margin: int | None = None
    execute_margin_category_id: int | None = None
    execute_num: float | None = None
    execute_price: int | None = None
    execute_time: int | None = None
    fee: int | None = None
    fee_digits: int | None = None
    order_id: int | None = None
    order_status: int | None = None
    point_ratio: Decimal | None = None
    position_id: int | None = None
    spread: int | None = None
    symbol_id: int | None = None
    symbol_name: str | None = None
    trade_type: int | None = None
    pnl: int | None = None
    source: str | None = None
    third_party_order: str | None = None
    update_time: int | None = None

    @property
    def execute_price_value(self) -> Decimal | None:
        """``execute_price`` as an exact decimal (scaled by ``digits``)."""
        return scaled_amount(self.execute_price, self.digits)

    @property
    def fee_value(self) -> Decimal | None:
        """``fee`` as an exact decimal (scaled by ``fee_digits``)."""
        return scaled_amount(self.fee, self.fee_digits)

    @property
    def pnl_value(self) -> Decimal | None:
        """``pnl`` as an exact decimal (scaled by ``account_digits``)."""
        return scaled_amount(self.pnl, self.account_digits)


# --------------------------------------------------------------------------- money movements


class DepositData(EventData, frozen=True):
    """``deposit``: a deposit proposal. Amounts and rates are exact decimals.

    ``payment_status``: 1 pending, 2 paid, 3 failed. ``deposit_from`` is a terminal type
    (``H5_Android``, ``PCUI_Windows``, …).
    """

    account_id: int | None = None
    actual_amount: Decimal | None = None
    blockchain_name: str | None = None
    check_status: int | None = None
    company_id: int | None = None
    country: str | None = None
    create_by: str | int | None = None
    create_time: int | None = None
    customer_no: str | None = None
    deposit_currency: str | None = None
    deposit_fee: Decimal | None = None
    deposit_from: str | None = None
    deposit_status: int | None = None
    final_amount: Decimal | None = None
    from_payment_amount: Decimal | None = None
    intend_amount: Decimal | None = None
    notify_status: bool | None = None
    payment_channel_client_type: str | None = None
    payment_code: str | None = None
    payment_currency: str | None = None
    payment_status: int | None = None
    payment_type: str | None = None
    proposal_no: str | None = None
    query_max_count: int | None = None
    revision: int | None = None
    to_payment_amount: Decimal | None = None
    to_payment_rate: Decimal | None = None
    trade_type: int | None = None
    update_by: str | int | None = None
    update_time: int | None = None


class AccountAdjustData(EventData, frozen=True):
    """``account_adjust``: a balance adjustment proposal. ``amount`` is an exact decimal.

    ``check_status``: 1 pending, 2 approved, 3 failed; ``business_type`` e.g. 60301;
    ``withdraw``: whether the adjusted money may be withdrawn.
    """

    account_currency: str | None = None
    account_id: int | None = None
    amount: Decimal | None = None
    business_type: int | None = None
    check_by: str | int | None = None
    check_status: int | None = None
    company_id: int | None = None
    create_by: str | int | None = None
    create_time: int | None = None
    customer_no: str | None = None
    proposal_no: str | None = None
    revision: int | None = None
    trade_type: int | None = None
    update_by: str | int | None = None
    update_time: int | None = None
    withdraw: bool | None = None


class WithdrawData(EventData, frozen=True):
    """``withdraw``: a withdrawal proposal created or updated. Amounts are exact decimals.

    ``check_status`` / ``transfer_status``: 1 pending, 2 ok, 3 failed; ``withdraw_type``: 1 cash,
    2 coin; ``withdraw_coin_status``: 1 pending, 2 ok, 3 failed, 4 submission failed.
    """

    company_id: int | None = None
    proposal_no: str | None = None
    customer_no: str | None = None
    account_currency: str | None = None
    withdraw_currency: str | None = None
    account_id: int | None = None
    trade_type: int | None = None
    country: str | None = None
    amount: Decimal | None = None
    rate: Decimal | None = None
    withdraw_fee: Decimal | None = None
    final_amount: Decimal | None = None
    bank_name: str | None = None
    bank_card_no: str | None = None
    bank_account_name: str | None = None
    check_status: int | None = None
    transfer_status: int | None = None
    check_by: str | int | None = None
    remark: str | None = None
    withdraw_type: int | None = None
    withdraw_coin_status: int | None = None
    withdraw_method: str | None = None
    blockchain_name: str | None = None
    third_message: str | None = None
    txid: str | None = None
    raw_amount: Decimal | None = None
    create_by: str | int | None = None
    create_time: int | None = None
    revision: int | None = None
    update_by: str | int | None = None
    update_time: int | None = None
    withdraw: bool | None = None


# --------------------------------------------------------------------------- events


class _EventBase(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    gc=False,
    omit_defaults=True,
    tag_field="eventType",
):
    """Base of the tagged event Structs (tag field ``eventType``): ``msgspec.json.encode(event)``
    gives ``{"eventType": ..., "data": {...}}`` with the fields that are set."""

    event_type: ClassVar[str]
    """The ``eventType`` (the struct's tag, set on each class below)."""


class Register(_EventBase, frozen=True, tag="register"):
    """``register``: a customer registered."""

    data: RegisterData = msgspec.field(default_factory=RegisterData)


class CustomerUpdate(_EventBase, frozen=True, tag="customer_update"):
    """``customer_update``: a customer changed."""

    data: CustomerUpdateData = msgspec.field(default_factory=CustomerUpdateData)


class CustomerInfoInsert(_EventBase, frozen=True, tag="customer_info_insert"):
    """``customer_info_insert``: a customer detail row was created."""

    data: CustomerInfoData = msgspec.field(default_factory=CustomerInfoData)


class CustomerInfoUpdate(_EventBase, frozen=True, tag="customer_info_update"):
    """``customer_info_update``: a customer detail row changed."""

    data: CustomerInfoData = msgspec.field(default_factory=CustomerInfoData)


class Kyc(_EventBase, frozen=True, tag="kyc"):
    """``kyc``: a KYC level was approved."""

    data: KycData = msgspec.field(default_factory=KycData)


class OpenAccount(_EventBase, frozen=True, tag="open_account"):
    """``open_account``: a trading account was opened."""

    data: AccountData = msgspec.field(default_factory=AccountData)


class AccountUpdate(_EventBase, frozen=True, tag="account_update"):
    """``account_update``: a trading account changed."""

    data: AccountData = msgspec.field(default_factory=AccountData)


class SubjectInsert(_EventBase, frozen=True, tag="subject_insert"):
    """``subject_insert``: a balance bucket was created."""

    data: SubjectData = msgspec.field(default_factory=SubjectData)


class SubjectUpdate(_EventBase, frozen=True, tag="subject_update"):
    """``subject_update``: a balance bucket changed."""

    data: SubjectData = msgspec.field(default_factory=SubjectData)


class SubjectWaterInsert(_EventBase, frozen=True, tag="subject_water_insert"):
    """``subject_water_insert``: a ledger entry was created."""

    data: SubjectWaterData = msgspec.field(default_factory=SubjectWaterData)


class SubjectWaterUpdate(_EventBase, frozen=True, tag="subject_water_update"):
    """``subject_water_update``: a ledger entry changed."""

    data: SubjectWaterData = msgspec.field(default_factory=SubjectWaterData)


class PositionInsert(_EventBase, frozen=True, tag="position_insert"):
    """``position_insert``: a position was opened."""

    data: PositionData = msgspec.field(default_factory=PositionData)


class PositionUpdate(_EventBase, frozen=True, tag="position_update"):
    """``position_update``: a position changed."""

    data: PositionData = msgspec.field(default_factory=PositionData)


class PositionDelete(_EventBase, frozen=True, tag="position_delete"):
    """``position_delete``: a position was removed."""

    data: PositionData = msgspec.field(default_factory=PositionData)


class TradeDeal(_EventBase, frozen=True, tag="trade_deal"):
    """``trade_deal``: an execution (not the REST ``multimarkets_async.TradeDeal`` model)."""

    data: TradeDealData = msgspec.field(default_factory=TradeDealData)


class Deposit(_EventBase, frozen=True, tag="deposit"):
    """``deposit``: a deposit succeeded (or its proposal changed)."""

    data: DepositData = msgspec.field(default_factory=DepositData)


class AccountAdjust(_EventBase, frozen=True, tag="account_adjust"):
    """``account_adjust``: a balance adjustment proposal."""

    data: AccountAdjustData = msgspec.field(default_factory=AccountAdjustData)


class Withdraw(_EventBase, frozen=True, tag="withdraw"):
    """``withdraw``: a withdrawal proposal was created or updated."""

    data: WithdrawData = msgspec.field(default_factory=WithdrawData)


class Unknown(msgspec.Struct, frozen=True, gc=False):
    """A frame the SDK could not model: an unknown ``eventType``, a known type whose data did not
    fit its Struct, or a frame that is not JSON at all.

    ``event_type`` is the frame's ``eventType`` when one could be read, else ``""``; ``raw`` is the
    frame exactly as received (text frames encoded as UTF-8). Nothing is ever dropped.
    """

    event_type: str
    raw: bytes


KnownEvent: TypeAlias = (
    Register
    | CustomerUpdate
    | CustomerInfoInsert
    | CustomerInfoUpdate
    | Kyc
    | OpenAccount
    | AccountUpdate
    | SubjectInsert
    | SubjectUpdate
    | SubjectWaterInsert
    | SubjectWaterUpdate
    | PositionInsert
    | PositionUpdate
    | PositionDelete
    | TradeDeal
    | Deposit
    | AccountAdjust
    | Withdraw
)
"""The 18 documented event classes (the tagged union the decoder targets)."""

Event: TypeAlias = KnownEvent | Unknown
"""Anything :func:`~multimarkets_async.events.decode_event` returns: a known event or
:class:`Unknown`. Use it in ``match`` with class patterns (``case Register(data=d):``)."""

_EVENT_CLASSES: tuple[type[KnownEvent], ...] = (
    Register,
    CustomerUpdate,
    CustomerInfoInsert,
    CustomerInfoUpdate,
    Kyc,
    OpenAccount,
    AccountUpdate,
    SubjectInsert,
    SubjectUpdate,
    SubjectWaterInsert,
    SubjectWaterUpdate,
    PositionInsert,
    PositionUpdate,
    PositionDelete,
    TradeDeal,
    Deposit,
    AccountAdjust,
    Withdraw,
)

for _cls in _EVENT_CLASSES:
    _tag = _cls.__struct_config__.tag
    assert isinstance(_tag, str)
    _cls.event_type = _tag  # the tag, not written twice
del _cls, _tag

EVENT_TYPES: dict[str, type[KnownEvent]] = {cls.event_type: cls for cls in _EVENT_CLASSES}
"""``eventType`` → event class, for the 18 documented types."""
