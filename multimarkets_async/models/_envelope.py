"""The response envelope and the page shape shared by every paged operation."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")
R = TypeVar("R")


class Envelope(msgspec.Struct, Generic[T], rename="camel"):
    """``{code, msg, ok, fail, data, trace, bizCode, tm, msgParams}`` with a typed ``data``.

    Success is ``code == "0"`` and nothing else; ``ok``/``fail`` are kept as sent.
    ``code`` arrives as a string but is accepted as a number too.
    """

    code: str | int
    data: T
    msg: str | None = None
    ok: bool | None = None
    fail: bool | None = None
    trace: str | None = None
    biz_code: str | None = None
    tm: int | float | str | None = None
    msg_params: str | None = None


class LooseEnvelope(msgspec.Struct, rename="camel"):
    """The envelope with an untyped ``data``, to read failures (whose ``data`` may be anything)."""

    code: str | int | None = None
    data: Any = None
    msg: str | None = None
    trace: str | None = None
    biz_code: str | None = None
    msg_params: str | None = None


class Page(msgspec.Struct, Generic[R]):
    """One page of a ``current/size/total`` listing."""

    current: int = 0
    size: int = 0
    total: int = 0
    records: list[R] = []
