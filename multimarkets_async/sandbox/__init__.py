"""A local aiohttp implementation of the Manager API, for tests, demos and benchmarks.

It must not import the client's models, pipeline or resources: it speaks the wire format on
its own, so that a wrong field name or type in a client model cannot round-trip unnoticed.

Module map (laid out like moto: routing, request handling and state apart)::

    _server.py     Sandbox: the one public facade (start/stop, control, faults, observation)
    _feed.py       FeedControl (``Sandbox.feed``): Data Push events, groups, feed faults
    _platform.py   Platform (``Sandbox.platform``): the platform calling a broker's webhooks;
                   _platform_wire.py its paths, codes, Outcome and PlatformReport
                   (external wallet settlement: balance, adjustments, cancels), seeded, with
                   timeouts, retries, duplicates and out-of-order cancels; PlatformReport
    _config.py     SandboxConfig: the settings (Sandbox's keyword arguments)
    _faults.py     the fault vocabulary: FaultKind, Fault, FaultPlan, CHAOS_KINDS, and the
                   Data Push feed's FeedFaults (no aiohttp)
    _failure.py    ApiFailure: how a handler or check answers a vendor error code
    _app.py        the aiohttp application: routes behind the gateway, dispatching endpoints,
                   the Data Push websocket beside them
    routes.py      bizType -> handler table, market-data table, paths, paged listings
    gateway/       middlewares: counting, faults, rate limit, envelopes, header/token checks,
                   paging quirks (market data goes through the same ones); _secure.py:
                   secure mode (``x-`` traces) with its own crypto: the company's keys,
                   opening and verifying requests, sealing replies
    handlers/      one module per vendor tag (auth, basic, customers, funds, markets,
                   messages, products, trade): read the body, render the wire reply;
                   push.py: the Data Push websocket ({base}/ws: handshake, groups, sending,
                   feed faults acted out, background churn task)
    state/         the back office's data and rules, no wire formatting: customers,
                   reference data, tokens, accounts and ledger, funds, positions, prices;
                   and the Data Push feed (no aiohttp): feed.py (the log of encoded frames,
                   groups and their cursors), events.py, position_events.py and
                   proposal_events.py (the 18 event types' wire shapes), churn.py (Feed: what
                   state changes publish, the churn)

Names are loaded on first use, so importing the fault vocabulary does not load aiohttp.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._config import SandboxConfig
    from ._faults import CHAOS_KINDS, DEFAULT_FAULT_KINDS, Fault, FaultKind
    from ._platform import Platform
    from ._platform_wire import Outcome, PlatformReport
    from ._server import Sandbox
    from .state.customers import password_md5

__all__ = [
    "CHAOS_KINDS",
    "DEFAULT_FAULT_KINDS",
    "Fault",
    "FaultKind",
    "Outcome",
    "Platform",
    "PlatformReport",
    "Sandbox",
    "SandboxConfig",
    "password_md5",
]

_HOMES = {
    "CHAOS_KINDS": "._faults",
    "DEFAULT_FAULT_KINDS": "._faults",
    "Fault": "._faults",
    "FaultKind": "._faults",
    "Outcome": "._platform_wire",
    "Platform": "._platform",
    "PlatformReport": "._platform_wire",
    "Sandbox": "._server",
    "SandboxConfig": "._config",
    "password_md5": ".state.customers",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
