"""Reading a request body: required fields, numbers, paging, the customer asked about.

Every reader answers a vendor code (``ApiFailure``) for what the vendor rejects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from .._failure import ApiFailure
from ..state.customers import CustomerStore

T = TypeVar("T")
Body = dict[str, Any]
BAD_PARAMETER = "GGATEWAY_CODE_015"
MAX_PAGE_SIZE = 2000
"""The largest page a paged listing serves."""


def missing(value: Any) -> bool:
    """Whether a field counts as absent (None or the empty string)."""
    return value is None or value == ""


def require(body: Body, *names: str, code: str = BAD_PARAMETER) -> None:
    """Fail with ``code`` unless every field of ``names`` is present."""
    if any(missing(body.get(name)) for name in names):
        raise ApiFailure(code)


def int_field(body: Body, name: str, code: str = BAD_PARAMETER) -> int:
    """A required whole number; ``code`` when absent, a bad parameter when not a number."""
    value: Any = body.get(name)
    if missing(value):
        raise ApiFailure(code)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiFailure(BAD_PARAMETER) from None


def optional_int(body: Body, name: str) -> int | None:
    """A whole number, or None when absent."""
    return None if missing(body.get(name)) else int_field(body, name)


def positive_int(value: Any) -> int:
    """``value`` as a whole number of at least 1 (no fractions)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ApiFailure(BAD_PARAMETER) from None
    if number < 1 or (isinstance(value, float) and value != number):
        raise ApiFailure(BAD_PARAMETER)
    return number


def decimal_field(value: Any, code: str) -> Decimal:
    """An amount; ``code`` when it is not a number."""
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise ApiFailure(code) from None


def trade_type(body: Body, allowed: Any, code: str = BAD_PARAMETER) -> int:
    """The required ``tradeType``, one of ``allowed``."""
    number = int_field(body, "tradeType", "USCUSTOMER_API_0000501")
    if number not in allowed:
        raise ApiFailure(code)
    return number


def paging(body: Body) -> tuple[int, int]:
    """``(current, size)`` of a paged back-office listing (1 and 20 when absent)."""
    current = optional_int(body, "current") or 1
    size = optional_int(body, "size") or 20
    if current < 1 or size < 1 or size > MAX_PAGE_SIZE:
        raise ApiFailure(BAD_PARAMETER)
    return current, size


def paged_reply(items: Sequence[T], body: Body, render: Callable[[T], Any]) -> dict[str, Any]:
    """A paged listing's reply ``{current, size, total, records}``: the page of ``items``
    that ``body`` asks for, each rendered."""
    current, size = paging(body)
    page = items[(current - 1) * size : current * size]
    return {
        "current": current,
        "size": size,
        "total": len(items),
        "records": list(map(render, page)),
    }


def customer_id(store: CustomerStore, customer_no: Any, code: str) -> int:
    """The customer a customer number names; ``code`` when there is none."""
    if not customer_no:
        raise ApiFailure("USCUSTOMER_API_0000501")
    found = store.by_customer_no(str(customer_no))
    if found is None:
        raise ApiFailure(code)
    return found


def checked_customer(store: CustomerStore, body: Body, code: str = "USCUSTOMER_API_0000003") -> int:
    """The customer of ``customerNo``, which ``customerId`` (when given) must match."""
    found = customer_id(store, body.get("customerNo"), code)
    given = body.get("customerId")
    if not missing(given) and str(given) != str(store.public_id(found)):
        raise ApiFailure(code)
    return found
