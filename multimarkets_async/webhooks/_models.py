"""The platform's webhook requests, as typed Structs (wire names in camelCase)."""

from __future__ import annotations

import contextlib
import enum
from typing import Annotated, Any

import msgspec

from ..models import Amount

__all__ = ["Adjustment", "BalanceQuery", "Cancellation", "OperationType", "OrderType"]


class OperationType(str, enum.Enum):
    """Why the platform moves money: opening and normal closing move a positive amount,
    abnormal overtrading a negative one."""

    OPEN_POSITION = "OPEN_POSITION"
    NORMAL_CLOSE = "NORMAL_CLOSE"
    ABNORMAL_OVERTRADING = "ABNORMAL_OVERTRADING"


class OrderType(enum.IntEnum):
    """The order an adjustment belongs to (the vendor's ``bizType``)."""

    MARKET_OPEN = 1
    MARKET_CLOSE = 2
    LIMIT_PENDING = 10
    STOP_PENDING = 11
    LIMIT_OPEN = 12


UserName = Annotated[str, msgspec.Meta(min_length=1, max_length=48)]
Currency = Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
UniqueNo = Annotated[str, msgspec.Meta(min_length=1, max_length=48)]
Digits = Annotated[int, msgspec.Meta(ge=0, le=18)]
Text200 = Annotated[str, msgspec.Meta(max_length=200)]


class BalanceQuery(msgspec.Struct, rename="camel", kw_only=True, frozen=True):
    """``/get-user-amount``: one currency's balance of one user."""

    third_server_code: str
    user_name: str
    currency: str


class _Money(msgspec.Struct, rename="camel", kw_only=True, frozen=True):
    third_server_code: str
    user_name: UserName
    currency: Currency
    biz_type: OrderType
    amount: Amount
    amount_digits: Digits
    request_unique_no: UniqueNo
    request_time: int
    ip: str
    metadata: Any = None
    """The request's ``metadata``: parsed when it is JSON, else the text as sent."""


def _checked(money: _Money) -> None:
    """``amount`` must have no more decimals than ``amount_digits``; JSON ``metadata`` is
    parsed."""
    exponent = money.amount.as_tuple().exponent
    if not isinstance(exponent, int) or -exponent > money.amount_digits:
        raise ValueError("amount has more decimals than amountDigits")
    if isinstance(money.metadata, str):
        if len(money.metadata) > 200:
            raise ValueError("metadata is longer than 200 characters")
        with contextlib.suppress(msgspec.DecodeError):  # not JSON: kept as the text it is
            msgspec.structs.force_setattr(money, "metadata", msgspec.json.decode(money.metadata))


class Adjustment(_Money, frozen=True):
    """``/external-system-credit-limit-adjustment``: move ``amount`` (exact, signed) of
    ``currency`` for ``user_name``; ``request_unique_no`` is the idempotency key."""

    operation_type: OperationType
    order_id: int

    def __post_init__(self) -> None:
        _checked(self)
        negative = self.operation_type is OperationType.ABNORMAL_OVERTRADING
        if self.amount and (self.amount < 0) != negative:
            raise ValueError(
                f"amount must be {'negative' if negative else 'positive'} for "
                f"{self.operation_type.value}"
            )


class Cancellation(_Money, frozen=True):
    """``/cancel-external-system-credit-limit-adjustment``: reverse the adjustment
    ``reverse_request_unique_no`` (``amount`` is positive)."""

    reverse_request_unique_no: UniqueNo
    cancel_remark: Text200
    order_id: int | None = None

    def __post_init__(self) -> None:
        _checked(self)
