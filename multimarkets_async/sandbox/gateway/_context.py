"""What the gateway's middlewares share: the sandbox-wide ``Gateway`` and each ``Call``."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from aiohttp import web

from .._faults import ChaosDraw, Fault, FaultPlan
from ..handlers import Handler
from ..routes import AUTH_PREFIX, BIZ_CODES, PAGED_LISTINGS
from ..state import Backend
from ._ratelimit import RateLimiter
from ._secure import SECURE_PREFIX, SandboxKeys

LOG_ENTRIES = 100_000


class Route(Enum):
    """The kinds of route the gateway serves (``aiohttp`` route names)."""

    API = "api"  # business calls and the login: the vendor envelope
    MARKET = "market"  # market data: ``{ret, msg, trace, data}``


@dataclass
class Observations:
    """What tests look at: calls, statuses and concurrency, per bizType (or market feed); the
    secure calls and the latest body of each bizType."""

    calls: Counter[str] = field(default_factory=Counter)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    last_headers: dict[str, Mapping[str, str]] = field(default_factory=dict)
    traces: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_ENTRIES))
    log: deque[tuple[float, str, int]] = field(default_factory=lambda: deque(maxlen=LOG_ENTRIES))
    secure_calls: Counter[str] = field(default_factory=Counter)  # opened and verified
    last_bodies: dict[str, dict[str, Any]] = field(default_factory=dict)  # as handlers get them

    def answered(self, key: str, status: int) -> None:
        """Record the HTTP status of an answered call."""
        self.statuses[(key, status)] += 1
        self.log.append((time.monotonic(), key, status))


class Gateway:
    """The sandbox-wide part of the gateway: faults, rate limit, the company's keys (secure
    mode), observations."""

    def __init__(self, backend: Backend) -> None:
        config = self.config = backend.config
        self.tokens = backend.tokens
        self.faults = FaultPlan()
        self.chaos = ChaosDraw(config)
        self.limiter = (
            RateLimiter(config.rate_limit, config.rate_window) if config.rate_limit else None
        )
        self.keys = SandboxKeys()
        self.seen = Observations()


GATEWAY = web.AppKey("gateway", Gateway)


@dataclass
class Call:
    """One request as the middlewares see it, kept on the request under ``CALL``."""

    route: Route
    key: str  # the bizType, or "feed/name" for market data
    prefix: str = ""  # "auth" for the login, "" or "global" for business calls
    trace: str | None = None  # the `trace` header (business calls)
    started: float = field(default_factory=time.perf_counter)
    fault: Fault | None = None  # the fault this call meets
    headers: dict[str, str] = field(default_factory=dict)  # headers of the reply
    body: dict[str, Any] = field(default_factory=dict)  # the decoded request body (or query)
    handler: Handler | None = None  # what answers the call, once the gateway has found it
    secure: bool = False  # a secure request, opened and verified

    @property
    def is_auth(self) -> bool:
        """Whether this is the login."""
        return self.route is Route.API and self.prefix == AUTH_PREFIX

    @property
    def wants_secure(self) -> bool:
        """Whether the trace asks for secure mode (a signed, encrypted body)."""
        return self.trace is not None and self.trace.startswith(SECURE_PREFIX)

    @property
    def paged(self) -> bool:
        """Whether this is a paged listing."""
        return self.key in PAGED_LISTINGS

    @property
    def biz_code(self) -> str:
        """The envelope's ``bizCode`` of a successful reply."""
        return "" if self.is_auth else BIZ_CODES.get(self.key.partition(".")[0], "")


# Where a request keeps its call: a typed key where aiohttp has them (3.13+), else a string.
_RequestKey = getattr(web, "RequestKey", None)
CALL: Any = "sandbox.call" if _RequestKey is None else _RequestKey("sandbox.call", Call)


def call_of(request: web.Request) -> Call | None:
    """The call a request makes; None for requests the gateway does not handle."""
    call = request.get(CALL)
    return call if isinstance(call, Call) else None


def start_call(request: web.Request) -> Call | None:
    """Make (and keep) the call of a request on a gateway route."""
    route_name = request.match_info.route.name
    if route_name == Route.API.value:
        prefix, _, biz_type = request.match_info["tail"].rpartition("/")
        call = Call(Route.API, biz_type, prefix, trace=request.headers.get("trace"))
    elif route_name == Route.MARKET.value:
        call = Call(Route.MARKET, f"{request.match_info['feed']}/{request.match_info['name']}")
    else:
        return None
    request[CALL] = call
    return call
