"""What the gateway checks before a handler runs: headers and token, the body, the
market-data query; and how a misbehaving server pages (the paging quirks)."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from aiohttp import web

from .._config import SandboxConfig
from .._failure import ApiFailure
from ..handlers._fields import BAD_PARAMETER, positive_int
from ..routes import TRADE_SERVICES
from ._context import Call, Gateway
from ._secure import open_request

decode_body = msgspec.json.Decoder(dict[str, Any])


def check_headers(request: web.Request, gateway: Gateway, biz_type: str) -> None:
    """The gateway's header checks of a business call, in the order the gateway makes them."""
    headers = request.headers
    company = headers.get("companyId")
    if not company:
        raise ApiFailure("GGATEWAY_CODE_003")
    token_text = headers.get("token")
    if not token_text:
        raise ApiFailure("GGATEWAY_CODE_001")
    token = gateway.tokens.get(token_text)
    if token is None:
        raise ApiFailure("GGATEWAY_CODE_017")
    if token.expired:
        raise ApiFailure("GGATEWAY_CODE_005")
    if company.strip() != str(token.company_id):
        raise ApiFailure("GGATEWAY_CODE_019")
    if not headers.get("version"):
        raise ApiFailure("GGATEWAY_CODE_009")
    if biz_type.startswith(TRADE_SERVICES) and headers.get("group") != "tradeApi":
        raise ApiFailure("GGATEWAY_CODE_010")  # trade services are routed by `group`
    stamp = headers.get("timestamp")
    if stamp is not None:
        if not stamp.isdigit():
            raise ApiFailure(BAD_PARAMETER)
        config = gateway.config
        if abs(config.now() * 1000 - int(stamp)) > config.max_clock_skew * 1000:
            raise ApiFailure("GGATEWAY_CODE_014")


async def read_body(request: web.Request, gateway: Gateway, call: Call) -> dict[str, Any]:
    """The body the handlers get: the request's JSON object, or a secure request's opened
    and verified (``call.secure``). A company that requires secure mode refuses a plain
    business call."""
    try:
        raw = await request.read()
    except ConnectionResetError:  # the client gave up (a cancelled request): end quietly
        raise asyncio.CancelledError from None
    if not raw.strip():
        raise ApiFailure("GGATEWAY_CODE_006")
    config = gateway.config
    if call.wants_secure:
        body = open_request(
            raw,
            gateway.keys,
            now=config.now(),
            max_skew=config.max_clock_skew,
            header_stamp=request.headers.get("timestamp"),
        )
        call.secure = True
        return body
    if config.secure and not call.is_auth:
        raise ApiFailure("GGATEWAY_CODE_016")
    try:
        return decode_body.decode(raw)
    except msgspec.DecodeError:
        raise ApiFailure(BAD_PARAMETER) from None


class MarketRefusal(Exception):
    """A market-data request the feed refuses: answer ``{ret, msg, trace}``."""

    def __init__(self, ret: int, msg: str, trace: Any = None) -> None:
        super().__init__(msg)
        self.ret, self.msg, self.trace = ret, msg, trace


async def read_market_query(request: web.Request, gateway: Gateway) -> tuple[Any, dict[str, Any]]:
    """The ``trace`` and ``data`` of a market-data query (in the query string, or the body of
    ``batch-kline``), after checking the token: a live one, or the configured market token."""
    token = request.query.get("token")
    if not token or not (token == gateway.config.market_token or gateway.tokens.live(token)):
        raise MarketRefusal(201, "invalid token")
    if request.match_info["name"] == "batch-kline":
        raw = await request.read()
    else:
        raw = request.query.get("query", "").encode()
    try:
        query = decode_body.decode(raw)
    except msgspec.DecodeError:
        raise MarketRefusal(202, "bad query") from None
    trace, data = query.get("trace"), query.get("data")
    if not trace or not isinstance(data, dict):
        raise MarketRefusal(202, "bad query", trace)
    return trace, data


def quirky(config: SandboxConfig) -> bool:
    """Whether the config asks paged listings to misbehave."""
    return bool(
        config.ignore_current
        or config.echo_current is not None
        or config.total_override is not None
        or config.repeat_pages
    )


def requested_page(body: dict[str, Any]) -> int | None:
    """The page a paged call asks for (1 when absent), None when it is not a valid number."""
    if "current" not in body:
        return 1
    try:
        return positive_int(body["current"])
    except ApiFailure:
        return None
