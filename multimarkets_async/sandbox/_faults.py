"""Faults the sandbox can inject on demand, to exercise a client's error handling."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class FaultKind(str, Enum):
    """What an injected fault does to a request."""

    CODE = "code"  # a failure envelope with `code` (and `status`, default 200)
    HTML = "html"  # an HTML error page from a "proxy" (`status`, default 502)
    TRUNCATED = "truncated"  # a success response cut off halfway (still a complete HTTP message)
    DISCONNECT = "disconnect"  # the connection is closed before any response is sent
    RESET = "reset"  # headers and half the body are sent, then the connection is dropped
    COMMIT_THEN_DISCONNECT = "commit_then_disconnect"  # the request takes effect, the reply is lost
    DELAY = "delay"  # the response is held back `delay` seconds, then sent normally
    EXPIRE_TOKENS = "expire_tokens"  # every token expires just before this request is checked
    RATE_LIMIT = "rate_limit"  # HTTP 429 with the gateway's rate-limit headers and Retry-After
    EMPTY_PAGE = "empty_page"  # a paged listing answers `records: []` with the true `total`
    SHORT_PAGE = "short_page"  # a paged listing answers the first half of the page's records


PAGE_FAULTS = frozenset({FaultKind.EMPTY_PAGE, FaultKind.SHORT_PAGE})
"""Faults that change a paged listing's reply; other calls are neither affected nor count."""


CHAOS_KINDS = (
    "500",
    "502",
    "503",
    "reset",
    "slow",
    "429",
    "ratelimit_code",
    "downstream",
    "token_expiry",
    "empty_page",
    "short_page",
)
"""Faults a sandbox can draw at random (``fault_kinds``, ``fault_rates``): HTTP 500, an HTML
502 from a proxy, 503, a connection reset mid-body, a response slower than a read timeout, a
429 with rate-limit headers, the rate-limit error code, downstream-unavailable codes, token
expiry, and on paged listings a transient empty page or a short page."""

DEFAULT_FAULT_KINDS = tuple(
    kind for kind in CHAOS_KINDS if kind not in ("empty_page", "short_page")
)
"""What ``fault_rate`` draws from by default: the chaos kinds a correct client survives without
checking pages (the page faults silently lose records unless the client notices)."""


@dataclass
class Fault:
    """One scripted fault: fires on ``times`` matching requests after skipping ``after``.

    ``biz_type`` None matches every business call (not the auth call); the page faults
    (``EMPTY_PAGE``, ``SHORT_PAGE``) match paged listings only.
    """

    kind: FaultKind
    biz_type: str | None = None
    times: int = 1
    after: int = 0
    code: str = "G500"
    status: int | None = None
    delay: float = 0.0
    fired: int = 0

    def matches(self, biz_type: str, is_auth: bool, paged: bool = False) -> bool:
        if self.fired >= self.times or (self.kind in PAGE_FAULTS and not paged):
            return False
        return biz_type == self.biz_type if self.biz_type is not None else not is_auth


class FaultPlan:
    """The scripted faults of one sandbox, consumed in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        self._faults.clear()

    def take(self, biz_type: str, is_auth: bool, paged: bool = False) -> Fault | None:
        for fault in self._faults:
            if fault.matches(biz_type, is_auth, paged):
                if fault.after > 0:
                    fault.after -= 1
                    return None
                fault.fired += 1
                return fault
        return None

    @property
    def pending(self) -> int:
        return sum(f.times - f.fired for f in self._faults)
