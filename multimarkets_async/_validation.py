"""Argument checks shared by resource methods; each raises ValidationError naming the field."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

from .errors import ValidationError

E = TypeVar("E", bound=Enum)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DIGITS = re.compile(r"^[0-9]+$")
_PHONE_AREA = re.compile(r"^\+?[0-9]{1,4}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def integer(
    field: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"must be an integer, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValidationError(field, f"must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValidationError(field, f"must be <= {maximum}, got {value}")
    return value


def text(field: str, value: Any, *, max_length: int | None = None, strip: bool = True) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a string, got {type(value).__name__}")
    result = value.strip() if strip else value
    if not result:
        raise ValidationError(field, "must not be empty")
    if max_length is not None and len(result) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters, got {len(result)}")
    return result


def member(field: str, value: Any, enum: type[E]) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum)
        raise ValidationError(field, f"must be one of {allowed}; got {value!r}") from None


def email(field: str, value: Any) -> str:
    result = text(field, value, max_length=100)
    if not _EMAIL.match(result):
        raise ValidationError(field, "is not an email address")
    return result


def phone(field: str, value: Any) -> str:
    result = text(field, value, max_length=20)
    if not _DIGITS.match(result) or len(result) < 5:
        raise ValidationError(field, "must be 5 to 20 digits, without area code")
    return result


def phone_area(field: str, value: Any) -> str:
    result = text(field, value, max_length=5)
    if not _PHONE_AREA.match(result):
        raise ValidationError(field, "must look like +86")
    return result if result.startswith("+") else "+" + result


def country(field: str, value: Any) -> str:
    result = text(field, value)
    if not _COUNTRY.match(result):
        raise ValidationError(field, "must be an ISO 3166 alpha-2 code such as 'US'")
    return result.upper()


def one_of(fields: Iterable[tuple[str, Any]]) -> None:
    """At least one of the named values must be given."""
    pairs = list(fields)
    if all(value is None for _, value in pairs):
        names = " or ".join(name for name, _ in pairs)
        raise ValidationError(names, "at least one must be given")


def drop_none(**values: Any) -> dict[str, Any]:
    """A request body without the arguments that were not given."""
    return {key: value for key, value in values.items() if value is not None}


def amount(field: str, value: Any, *, positive: bool = False) -> str:
    """A money amount as an exact decimal string (the API's numbers lose precision as floats)."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str, float)):
        raise ValidationError(field, f"must be a decimal amount, got {type(value).__name__}")
    try:
        number = Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation:
        raise ValidationError(field, f"is not a decimal amount: {value!r}") from None
    if not number.is_finite():
        raise ValidationError(field, "must be finite")
    if number == 0 or (positive and number < 0):
        raise ValidationError(field, "must be greater than 0" if positive else "must not be 0")
    return format(number, "f")


def optional_integer(field: str, value: Any, **limits: int) -> int | None:
    return None if value is None else integer(field, value, **limits)


def optional_text(field: str, value: Any, *, max_length: int | None = None) -> str | None:
    return None if value is None else text(field, value, max_length=max_length)
