"""Description of one API operation: everything the pipeline needs to send it and decode it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

import msgspec

from ._config import API_VERSION, TRADE_API_GROUP
from ._dialect import MARKET_DATA_BODY, MARKET_DATA_QUERY, STANDARD, Dialect, data_decoder

T = TypeVar("T")

Transport = Literal["biz", "quote-query", "quote-body"]
"""``biz``: POST JSON with the standard headers and envelope. ``quote-query``: market-data GET
with ``token`` and the JSON request in the ``query`` parameter. ``quote-body``: market-data GET
with the JSON request as the body."""

DIALECTS: dict[Transport, Dialect] = {
    "biz": STANDARD,
    "quote-query": MARKET_DATA_QUERY,
    "quote-body": MARKET_DATA_BODY,
}


@dataclass(frozen=True, slots=True, eq=False)
class Operation(Generic[T]):
    """One operation: how to address it, how to decode its ``data``, and whether it writes.

    ``write`` operations change state on the server; the retry policy never replays them
    blindly once a request may have reached the server, unless they are ``idempotent`` (a
    repeat has no further effect: setting a lock, cancelling pending orders). Errors never
    quote the reply of a ``secret_reply`` operation (the login's holds the token and echoes
    the app secret). ``dialect`` follows from ``transport``: how requests are sent and replies
    read; ``data_decoder`` reads a ``data`` on its own (one that came encrypted).
    """

    biz_type: str
    response_type: Any
    write: bool = False
    idempotent: bool = False
    version: str | None = API_VERSION
    group: str | None = None
    path_prefix: str = ""
    needs_token: bool = True
    transport: Transport = "biz"
    secret_reply: bool = False
    dialect: Dialect = field(init=False, repr=False)
    decoder: msgspec.json.Decoder[Any] = field(init=False, repr=False)
    data_decoder: msgspec.json.Decoder[Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        dialect = DIALECTS[self.transport]
        object.__setattr__(self, "dialect", dialect)
        object.__setattr__(self, "decoder", dialect.decoder(self.response_type))
        object.__setattr__(self, "data_decoder", data_decoder(self.response_type))

    @property
    def is_quote(self) -> bool:
        """Whether this is a market-data operation."""
        return self.transport != "biz"

    @property
    def sealable(self) -> bool:
        """Whether secure mode signs and encrypts this operation: every Manager call but the
        login; market data never."""
        return self.dialect.sealable and self.needs_token

    @property
    def http_method(self) -> str:
        """``POST`` or ``GET``, as the operation's dialect sends it."""
        return self.dialect.method

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
    idempotent: bool = False,
    version: str | None = API_VERSION,
    path_prefix: str = "",
    needs_token: bool = True,
    transport: Transport = "biz",
    secret_reply: bool = False,
) -> Operation[Any]:
    """Declare an operation; the ``group`` header follows from the bizType."""
    return Operation(
        biz_type,
        response_type,
        write=write,
        idempotent=idempotent,
        version=version,
        group=default_group(biz_type),
        path_prefix=path_prefix,
        needs_token=needs_token,
        transport=transport,
        secret_reply=secret_reply,
    )
