"""Description of one API operation: everything the pipeline needs to send it and decode it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec

from ._config import API_VERSION, TRADE_API_GROUP
from .models import Envelope

T = TypeVar("T")


@dataclass(frozen=True, slots=True, eq=False)
class Operation(Generic[T]):
    """One bizType: how to address it, how to decode its ``data``, and whether it writes.

    ``write`` operations change state on the server; the retry policy never replays them
    blindly once a request may have reached the server.
    """

    biz_type: str
    response_type: Any
    write: bool = False
    version: str | None = API_VERSION
    group: str | None = None
    path_prefix: str = ""
    needs_token: bool = True
    decoder: msgspec.json.Decoder[Envelope[T]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        decoder = msgspec.json.Decoder(Envelope[self.response_type], strict=False)  # type: ignore[name-defined]
        object.__setattr__(self, "decoder", decoder)

    @property
    def path(self) -> str:
        """Path below the base URL, e.g. ``/global/report.admin...``."""
        return f"{self.path_prefix}/{self.biz_type}"


def default_group(biz_type: str) -> str | None:
    """``tradeApi`` for ``tradeapi.*`` and ``report.*`` operations, as the vendor documents."""
    return TRADE_API_GROUP if biz_type.startswith(("tradeapi.", "report.")) else None


def op(
    biz_type: str,
    response_type: Any,
    *,
    write: bool = False,
    version: str | None = API_VERSION,
    path_prefix: str = "",
    needs_token: bool = True,
) -> Operation[Any]:
    """Declare an operation; the ``group`` header follows from the bizType."""
    return Operation(
        biz_type,
        response_type,
        write=write,
        version=version,
        group=default_group(biz_type),
        path_prefix=path_prefix,
        needs_token=needs_token,
    )
