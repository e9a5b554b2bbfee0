"""The sandbox's settings (the keyword arguments of ``Sandbox``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ._faults import DEFAULT_FAULT_KINDS

COMPANY_ID = 439
"""The sandbox company's id (the default ``company_id``)."""


@dataclass
class SandboxConfig:
    """The sandbox's settings. Most are read on every request, so a test may change one
    while the sandbox runs (``customers``, ``seed``, ``id_style`` and the rate limit are read
    at start)."""

    customers: int = 1000
    seed: int = 0
    app_id: str = "sandbox-app-id"
    app_secret: str = "sandbox-app-secret"
    company_id: int = COMPANY_ID
    token_ttl: float | None = None
    latency: float = 0.0
    rate_limit: int | None = None
    rate_window: float = 60.0
    max_clock_skew: float = 300.0  # seconds a request's timestamp may be off the sandbox's clock
    clock_offset: float = 0.0  # seconds the sandbox's clock runs ahead of the host's
    market_token: str | None = None  # accepted by market data besides any live token
    total_bias: int = 0  # report `total` off by this much (never below 0), like stale counts
    fault_rate: float = 0.0  # share of business calls that get a random fault
    fault_kinds: tuple[str, ...] = DEFAULT_FAULT_KINDS  # drawn evenly for `fault_rate`
    fault_rates: dict[str, float] = field(default_factory=dict)  # or a rate for each kind
    auth_fault_rate: float = 0.0  # share of login calls that get a transient fault (5xx, reset)
    slow_delay: float = 2.0  # seconds a "slow" fault holds the response back
    retry_after: float = 1.0  # Retry-After of a random 429
    insert_per_call: int = 0  # customers signed up before each customer-list call
    delete_per_call: int = 0  # customers deleted before each customer-list call
    update_per_call: int = 0  # customers changed (logins, status, contact) before each list call
    # Paging quirks, applied alike to every paged listing (customers, positions, capital flow):
    ignore_current: bool = False  # answer page 1's records whatever `current` asks for
    echo_current: int | None = None  # the reply's `current`, whatever was asked
    total_override: int | None = None  # the reply's `total`, whatever the data holds
    repeat_pages: dict[int, int] = field(default_factory=dict)  # {b: a}: page b gets a's records
    id_style: str = "small"  # "snowflake": customers carry 64-bit time-ordered ids on the wire
    ledger_null_keys: bool = False  # capital flow without bookkeepId, subjectId, businessType1
    ledger_size: int | None = None  # entries of the long ledgers (customers 1, 501, 1001, ...)
    ledger_insert_per_call: int = 0  # deposits added to the listed ledger before each call
    events_per_second: float = 0.0  # Data Push: background churn events per second (0: none)
    # Secure mode (`x-` traces: signed, RSA-encrypted bodies) is always understood; these ask more:
    secure: bool = False  # refuse business calls that are not secure (GGATEWAY_CODE_016)
    # Successful replies to secure calls carry `data` sealed (pure-Python RSA, ~1.5 ms of CPU
    # per 117 bytes of URL-encoded JSON: keep such pages small).
    seal_replies: bool = False

    def now(self) -> float:
        """The sandbox's clock (epoch seconds): the host's, ``clock_offset`` ahead."""
        return time.time() + self.clock_offset
