"""Argument checks shared by resource methods; each raises ValidationError naming the field.

Every check looks at the argument's type first (``bool`` is never taken for a number, a float
never for money, a number never for text) and bounds its size before converting it, so that
no argument reaches the server as something other than what the method documents, and none
makes the client do unbounded work.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from enum import Enum, IntEnum
from typing import Any, Concatenate, ParamSpec, TypeVar

from .errors import ValidationError
from .models import TradeType

E = TypeVar("E", bound=Enum)
IE = TypeVar("IE", bound=IntEnum)
P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

MAX_ID = 2**63 - 1
"""Ids (customers, groups, accounts, orders, symbols, ...) are the API's int64."""
MAX_INT32 = 2**31 - 1
"""Codes the API types as int32 (ledger business types), and durations in seconds."""
MAX_EPOCH_MS = 253_402_300_799_999
"""Epoch-millisecond timestamps end at 9999-12-31T23:59:59.999Z."""
MAX_EPOCH_S = MAX_EPOCH_MS // 1000
"""The same bound for epoch-second timestamps."""
MAX_START_PAGE = 10_000_000
"""Page numbers a walk may start from: 10**7 pages, far beyond any real listing."""
MAX_ITEMS = 10**12
"""``max_items`` of a walk: a trillion records, more than any listing holds."""
MAX_TEXT = 255
"""Default maximum length of a text argument (identifiers, codes, UTM parameters, ...)."""
MAX_CURRENCY = 16
"""Currency and asset codes (``"USDT"``)."""
AMOUNT_DIGITS = 18
"""Amounts have at most this many digits before the decimal point, and as many after it."""
MAX_AMOUNT_TEXT = 100
"""Longest amount string looked at; anything longer is refused before it is parsed."""

# C0 and C1 controls (CR, LF, NUL, ESC, ...), line/paragraph separators, and lone surrogates
# (which cannot be encoded as UTF-8); multi-line text may hold tabs and line breaks.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DIGITS = re.compile(r"^[0-9]+$")
_ID_TEXT = re.compile(r"[0-9]{1,19}")
_PHONE_AREA = re.compile(r"^\+?[0-9]{1,4}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_BIZ_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+")
_HEADER_TEXT = re.compile(r"[\x21-\x7e]+")
_AMOUNT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _shown(value: Any) -> str:
    """A short repr of a bad value for an error message (never the whole of a huge one)."""
    try:
        text = repr(value)
    except Exception:  # e.g. an int too long to write out
        return f"<{type(value).__name__} too large to show>"
    return text if len(text) <= 40 else text[:37] + "..."


def integer(
    field: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"must be an integer, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValidationError(field, f"must be >= {minimum}, got {_shown(value)}")
    if maximum is not None and value > maximum:
        raise ValidationError(field, f"must be <= {maximum}, got {_shown(value)}")
    return value


def positive_id(field: str, value: Any, *, digits: bool = False) -> int:
    """An id: an integer from 1 to ``MAX_ID``; with ``digits``, also its decimal string."""
    if digits and isinstance(value, str) and _ID_TEXT.fullmatch(value):
        value = int(value)
    return integer(field, value, minimum=1, maximum=MAX_ID)


def seconds(
    field: str, value: Any, *, positive: bool = True, optional: bool = False
) -> float | None:
    """A finite number of seconds (never a bool): greater than 0, or with ``positive=False``
    at least 0. With ``optional``, None passes too (and the messages say so)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        either = " or None" if optional else ""
        raise ValidationError(field, f"must be seconds (a number){either}, got {value!r}")
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        shape = "a positive number of seconds" if positive else "a finite, non-negative number"
        raise ValidationError(field, f"must be {shape}, got {value}")
    return value


def boolean(field: str, value: Any) -> bool:
    """A real ``bool``: ``"yes"``, ``1`` or ``None`` are not taken for one."""
    if not isinstance(value, bool):
        raise ValidationError(field, f"must be True or False, got {type(value).__name__}")
    return value


def text(
    field: str,
    value: Any,
    *,
    max_length: int = MAX_TEXT,
    strip: bool = True,
    multiline: bool = False,
) -> str:
    """Non-empty text of at most ``max_length`` characters, without control characters
    (``multiline`` text may hold tabs and line breaks)."""
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a string, got {type(value).__name__}")
    result = value.strip() if strip else value
    if not result:
        raise ValidationError(field, "must not be empty")
    if len(result) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters, got {len(result)}")
    bad = (_CONTROL_MULTILINE if multiline else _CONTROL).search(result)
    if bad:
        raise ValidationError(
            field, f"must not contain control characters (U+{ord(bad.group()):04X})"
        )
    return result


def biz_type(field: str, value: Any) -> str:
    """An operation name in the vendor's shape (``customer.admin.Service.method``): dotted
    identifiers only, so that it can never become another path on the host."""
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a string, got {type(value).__name__}")
    if len(value) > MAX_TEXT or not _BIZ_TYPE.fullmatch(value):
        raise ValidationError(
            field, f"must be dotted names like 'customer.admin.Service.page', got {_shown(value)}"
        )
    return value


def header_safe(value: object, *, max_length: int | None = None) -> bool:
    """Whether ``value`` can be sent as an HTTP header value: a non-empty string of visible
    ASCII only (no spaces, CR, LF or other control characters, which would break or forge
    headers), of at most ``max_length`` characters if given."""
    return (
        isinstance(value, str)
        and (max_length is None or len(value) <= max_length)
        and _HEADER_TEXT.fullmatch(value) is not None
    )


def header_text(field: str, value: Any, *, max_length: int = MAX_TEXT) -> str:
    """Text sent as an HTTP header value (see ``header_safe``)."""
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a string, got {type(value).__name__}")
    if not header_safe(value, max_length=max_length):
        raise ValidationError(
            field,
            f"must be 1 to {max_length} visible ASCII characters (no spaces or control "
            f"characters), got {_shown(value)}",
        )
    return value


def choice(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    """One of a fixed set of strings."""
    if not isinstance(value, str) or value not in allowed:
        raise ValidationError(field, f"must be one of {', '.join(allowed)}; got {_shown(value)}")
    return value


def member(field: str, value: Any, enum: type[E]) -> E:
    """A member of ``enum``, or one of its values of the same type (an ``int`` for an
    ``IntEnum``, never a ``bool``, a float or another enum's member)."""
    if isinstance(value, enum):
        return value
    kinds = tuple({type(m.value) for m in enum})
    if not isinstance(value, (bool, Enum)) and isinstance(value, kinds):
        try:
            return enum(value)
        except ValueError:
            pass
    allowed = ", ".join(str(m.value) for m in enum)
    raise ValidationError(field, f"must be one of {allowed}; got {_shown(value)}")


def mapping(field: str, value: Any, *, max_items: int) -> Mapping[Any, Any]:
    """A mapping (``dict``) of at most ``max_items`` entries."""
    if not isinstance(value, Mapping):
        raise ValidationError(field, f"must be a mapping, got {type(value).__name__}")
    if len(value) > max_items:
        raise ValidationError(field, f"must have at most {max_items} entries, got {len(value)}")
    return value


def collection(field: str, value: Any, *, max_items: int) -> Collection[Any]:
    """A list, tuple or set of 1 to ``max_items`` values (not a string, not a mapping)."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Collection):
        raise ValidationError(field, f"must be a list, got {type(value).__name__}")
    if not 1 <= len(value) <= max_items:
        raise ValidationError(field, f"must hold 1 to {max_items} values, got {len(value)}")
    return value


def currency(field: str, value: Any) -> str:
    return text(field, value, max_length=MAX_CURRENCY)


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
    """A money amount, price or volume as an exact decimal string.

    Takes a ``Decimal``, an ``int`` or a decimal string (``"-5.75"``, ``"1e3"``); never a
    float (binary floats are not exact money) or a bool. At most ``AMOUNT_DIGITS`` digits
    before the decimal point and as many after it (trailing zeros aside); the size is checked
    before the number is ever written out in full.
    """
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        hint = " (binary floats are not exact: pass a Decimal or a str)"
        hint = hint if isinstance(value, float) else ""
        raise ValidationError(
            field, f"must be a Decimal, int or decimal string, got {type(value).__name__}{hint}"
        )
    if isinstance(value, int) and abs(value) >= 10**AMOUNT_DIGITS:
        raise ValidationError(field, f"must have at most {AMOUNT_DIGITS} digits before the point")
    if isinstance(value, str):
        literal = value.strip()
        if len(literal) > MAX_AMOUNT_TEXT or not _AMOUNT.fullmatch(literal):
            raise ValidationError(field, f"is not a decimal amount: {_shown(value)}")
        value = literal
    try:
        number = Decimal(value)
    except InvalidOperation:  # an exponent beyond what Decimal holds
        raise ValidationError(field, f"is out of range: {_shown(value)}") from None
    if not number.is_finite():
        raise ValidationError(field, "must be finite")
    if number.is_zero() or (positive and number < 0):
        raise ValidationError(field, "must be greater than 0" if positive else "must not be 0")
    sign, digits, exponent = number.as_tuple()
    if len(digits) > MAX_AMOUNT_TEXT:
        raise ValidationError(field, f"has more than {MAX_AMOUNT_TEXT} digits")
    end, places = len(digits), -int(exponent)
    while places > 0 and digits[end - 1] == 0:  # 1.500 has 1 decimal place
        end, places = end - 1, places - 1
    if end - places > AMOUNT_DIGITS:
        raise ValidationError(field, f"must have at most {AMOUNT_DIGITS} digits before the point")
    if places > AMOUNT_DIGITS:
        raise ValidationError(field, f"must have at most {AMOUNT_DIGITS} digits after the point")
    return format(number if end == len(digits) else Decimal((sign, digits[:end], -places)), "f")


def optional(
    check: Callable[Concatenate[str, Any, P], R],
    field: str,
    value: Any,
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> R | None:
    """``check(field, value, ...)`` for an argument that may be left out (None)."""
    return None if value is None else check(field, value, *args, **kwargs)


def code(field: str, value: Any, enum: type[IE]) -> int:
    """The number of a member of the ``IntEnum`` ``enum`` (given as the member or its number)."""
    return int(member(field, value, enum))


def trade_type(
    field: str, value: Any, *, allowed: Collection[TradeType] = (), reason: str = ""
) -> int:
    """A trading mode (a ``TradeType`` or its number) as its number; with ``allowed``, one of
    those (else ``reason`` is the complaint)."""
    mode = member(field, value, TradeType)
    if allowed and mode not in allowed:
        raise ValidationError(field, reason or f"must be one of {', '.join(map(str, allowed))}")
    return int(mode)


def listed(value: T | list[T] | None) -> list[T]:
    """A reply that may hold one item, a list of them or nothing, as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
