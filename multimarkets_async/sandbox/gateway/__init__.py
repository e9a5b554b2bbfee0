"""The sandbox's gateway: aiohttp middlewares for what every call goes through.

In order: counting (calls, statuses, requests in flight), faults, the rate limit and its
headers, the envelopes (the vendor's, and market data's ``{ret, msg, trace, data}``), the
gateway's header and token checks with the body (secure requests opened and verified by
``_secure``), and paging quirks. Business calls and market data share them (market data has
no rate limit, header checks, secure mode or paging).
"""

from __future__ import annotations

from ._checks import decode_body
from ._context import CALL, GATEWAY, Call, Gateway, Observations, Route
from ._middlewares import MIDDLEWARES
from ._replies import encode, json_reply

__all__ = [
    "CALL",
    "GATEWAY",
    "MIDDLEWARES",
    "Call",
    "Gateway",
    "Observations",
    "Route",
    "decode_body",
    "encode",
    "json_reply",
]
