"""Value types that tolerate the vendor's drift, and the hooks msgspec needs for them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


class Amount(Decimal):
    """A decimal amount, price or volume.

    The API sends these as strings, as JSON numbers, and now and then as strings with stray
    spaces (``"16620. 0000"``); all decode to an exact ``Decimal``.
    """

    __slots__ = ()


def dec_hook(type_: type, value: Any) -> Any:
    """msgspec decode hook for the custom value types."""
    if type_ is Amount:
        if isinstance(value, str):
            try:
                return Amount("".join(value.split()))
            except InvalidOperation:
                raise ValueError(f"not a decimal amount: {value!r}") from None
        if isinstance(value, Decimal):
            return Amount(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return Amount(repr(value) if isinstance(value, float) else value)
        raise TypeError(f"expected a decimal amount, got {type(value).__name__}")
    raise TypeError(f"no decoder for {type_!r}")  # msgspec reports it as a ValidationError


def enc_hook(value: Any) -> Any:
    """msgspec encode hook: amounts are written as decimal strings, exactly."""
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")  # msgspec's own convention
