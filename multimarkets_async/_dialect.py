"""The two envelope styles the API speaks, each described in one place.

- **Standard** operations: ``POST`` of the JSON body (in secure mode signed and encrypted,
  ``_secure``); the token, company, time, version, group and language go in headers; replies
  are ``{code, msg, data, ...}``, successful when ``code == "0"``.
- **Market data**: ``GET``; the token goes in the query string and the request is wrapped as
  ``{"trace", "data"}``, sent in the ``query`` parameter or as the body; replies are
  ``{ret, msg, data}``, successful when ``ret == 200``; failures read as code
  ``QUOTE_<ret>``. The client's market-data token is used when it has one.

An operation picks its dialect once (``Operation.dialect``); the pipeline and the reply reader
ask it and never test which one it is.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

from .models import Envelope, LooseEnvelope, QuoteEnvelope, dec_hook, enc_hook

if TYPE_CHECKING:
    from ._operation import Operation
    from ._secure import Sealer

QUOTE_OK = 200

ENCODER = msgspec.json.Encoder(enc_hook=enc_hook)
"""Writes request bodies (amounts as exact decimal strings) and the market-data wrapper."""


@dataclass(frozen=True, slots=True)
class Failure:
    """A failure reply, whichever envelope it came in."""

    code: str
    msg: str | None = None
    msg_params: str | None = None
    biz_code: str | None = None
    data: Any = None


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the standard headers say is calling."""

    company_id: str
    lang: str | None


@dataclass(frozen=True, slots=True)
class Request:
    """One attempt to send: the operation, its encoded body, the token, the trace id, who is
    calling, and in secure mode the sealer that signs and encrypts the body."""

    operation: Operation[Any]
    payload: bytes = field(repr=False)  # the login's holds the app secret
    token: str | None = field(repr=False)
    trace: str
    identity: Identity
    sealer: Sealer | None = None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What one attempt sends besides the URL and the common headers."""

    params: dict[str, str] | None = field(repr=False)  # the market-data token goes here
    data: bytes | None = field(repr=False)  # the login's holds the app secret
    headers: dict[str, str] = field(repr=False)  # the standard token goes here


class Dialect(ABC):
    """How one envelope style sends a request and reads its reply."""

    method = "POST"
    market_token = False
    """Whether the client's market-data token, when it has one, replaces the login's."""
    sealable = False
    """Whether secure mode signs and encrypts this dialect's requests."""

    def __init__(self, envelope: Any, loose: type[Any]) -> None:
        self._envelope = envelope
        self.loose: msgspec.json.Decoder[Any] = msgspec.json.Decoder(loose, strict=False)

    def decoder(self, response_type: Any) -> msgspec.json.Decoder[Any]:
        """The fast decoder of a reply whose ``data`` is ``response_type``."""
        return data_decoder(self._envelope[response_type])

    @abstractmethod
    def outgoing(self, request: Request) -> Outgoing:
        """The request of one attempt: query parameters, body and the dialect's headers."""

    @abstractmethod
    def recognised(self, envelope: Any) -> bool:
        """Whether a loosely decoded reply is this dialect's envelope at all."""

    @abstractmethod
    def verdict(self, envelope: Any) -> Failure | None:
        """None for a successful envelope (typed or loose), else its failure."""


def data_decoder(data_type: Any) -> msgspec.json.Decoder[Any]:
    """A decoder of JSON that is ``data_type`` (amounts as exact decimals, lenient about
    numbers given as strings)."""
    return msgspec.json.Decoder(data_type, strict=False, dec_hook=dec_hook)


class _Standard(Dialect):
    sealable = True

    def outgoing(self, request: Request) -> Outgoing:
        operation, identity = request.operation, request.identity
        headers: dict[str, str] = {}
        timestamp = int(time.time() * 1000)
        payload = request.payload
        if request.sealer is not None:
            payload = request.sealer.seal(payload, timestamp)
        if operation.needs_token:
            headers["companyId"] = identity.company_id
            headers["timestamp"] = str(timestamp)
            if request.token is not None:
                headers["token"] = request.token
            if operation.version is not None:
                headers["version"] = operation.version
            if operation.group is not None:
                headers["group"] = operation.group
            if identity.lang is not None:
                headers["lang"] = identity.lang
        return Outgoing(None, payload, headers)

    def recognised(self, envelope: Any) -> bool:
        return envelope.code is not None

    def verdict(self, envelope: Any) -> Failure | None:
        if envelope.code is not None and str(envelope.code) == "0":
            return None
        return Failure(
            str(envelope.code), envelope.msg, envelope.msg_params, envelope.biz_code, envelope.data
        )


class _LooseQuote(msgspec.Struct):
    ret: int | None = None
    msg: str | None = None


class _MarketData(Dialect):
    method = "GET"
    market_token = True

    def __init__(self, *, in_query: bool) -> None:
        super().__init__(QuoteEnvelope, _LooseQuote)
        self._in_query = in_query

    def outgoing(self, request: Request) -> Outgoing:
        trace = ENCODER.encode(request.trace)
        wrapped = b'{"trace":' + trace + b',"data":' + request.payload + b"}"
        params = {"token": request.token or ""}
        if self._in_query:
            params["query"] = wrapped.decode()
            return Outgoing(params, None, {})
        return Outgoing(params, wrapped, {})

    def recognised(self, envelope: Any) -> bool:
        return envelope.ret is not None

    def verdict(self, envelope: Any) -> Failure | None:
        if envelope.ret == QUOTE_OK:
            return None
        return Failure(f"QUOTE_{envelope.ret}", envelope.msg)


STANDARD: Dialect = _Standard(Envelope, LooseEnvelope)
MARKET_DATA_QUERY: Dialect = _MarketData(in_query=True)
MARKET_DATA_BODY: Dialect = _MarketData(in_query=False)
