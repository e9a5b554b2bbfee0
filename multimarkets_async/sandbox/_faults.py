"""The sandbox's one fault vocabulary: what a fault does (``FaultKind``), scripted faults
(``Fault``, ``FaultPlan``), the named faults drawn at random (``CHAOS``, ``CHAOS_KINDS``), and
the Data Push feed's scripted faults (``FeedFaults``: cuts, replays, stalls, refusals).

It imports nothing of aiohttp, so the CLI reads the vocabulary without loading a server.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._config import SandboxConfig


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


DOWNSTREAM_CODES = ("GGATEWAY_CODE_011", "GGATEWAY_CODE_012", "GGATEWAY_CODE_902", "G500")
"""The codes of a service behind the gateway being unavailable."""


@dataclass(frozen=True)
class Chaos:
    """A named fault a sandbox draws at random: a ``FaultKind`` with its settings.

    A ``CODE`` fault answers one of ``codes`` (drawn when there are several). ``DELAY`` holds
    the reply ``slow_delay`` seconds and ``RATE_LIMIT`` says ``retry_after`` (the config's).
    """

    kind: FaultKind
    status: int | None = None
    codes: tuple[str, ...] = ("G500",)

    def fault(self, rng: random.Random, slow_delay: float, retry_after: float) -> Fault:
        """One fault of this kind; draws from ``rng`` only to pick among several codes."""
        code = self.codes[0] if len(self.codes) == 1 else rng.choice(self.codes)
        delays = {FaultKind.DELAY: slow_delay, FaultKind.RATE_LIMIT: retry_after}
        return Fault(self.kind, code=code, status=self.status, delay=delays.get(self.kind, 0.0))


CHAOS: dict[str, Chaos] = {
    "500": Chaos(FaultKind.CODE, status=500),
    "502": Chaos(FaultKind.HTML, status=502),
    "503": Chaos(FaultKind.HTML, status=503),
    "reset": Chaos(FaultKind.RESET),
    "slow": Chaos(FaultKind.DELAY),
    "429": Chaos(FaultKind.RATE_LIMIT),
    "ratelimit_code": Chaos(FaultKind.CODE, codes=("GGATEWAY_CODE_018",)),
    "downstream": Chaos(FaultKind.CODE, codes=DOWNSTREAM_CODES),
    "token_expiry": Chaos(FaultKind.EXPIRE_TOKENS),
    "empty_page": Chaos(FaultKind.EMPTY_PAGE),
    "short_page": Chaos(FaultKind.SHORT_PAGE),
}
"""The named random faults, each a ``FaultKind`` with settings."""

CHAOS_KINDS = tuple(CHAOS)
"""Faults a sandbox can draw at random (``fault_kinds``, ``fault_rates``): HTTP 500, an HTML
502 from a proxy, 503, a connection reset mid-body, a response slower than a read timeout, a
429 with rate-limit headers, the rate-limit error code, downstream-unavailable codes, token
expiry, and on paged listings a transient empty page or a short page."""

DEFAULT_FAULT_KINDS = tuple(name for name, chaos in CHAOS.items() if chaos.kind not in PAGE_FAULTS)
"""What ``fault_rate`` draws from by default: the chaos kinds a correct client survives without
checking pages (the page faults silently lose records unless the client notices)."""

AUTH_FAULT_KINDS = ("500", "502", "503", "reset")
"""The transient faults a login may meet (``auth_fault_rate``)."""


def chaos_fault(
    name: str, rng: random.Random, slow_delay: float = 2.0, retry_after: float = 1.0
) -> Fault:
    """The fault a random draw of ``name`` produces (see ``CHAOS_KINDS``)."""
    chaos = CHAOS.get(name)
    if chaos is None:
        raise ValueError(f"unknown fault kind {name!r}; choose from {', '.join(CHAOS_KINDS)}")
    return chaos.fault(rng, slow_delay, retry_after)


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
        """Whether this fault applies to a call of ``biz_type`` (and has firings left)."""
        if self.fired >= self.times or (self.kind in PAGE_FAULTS and not paged):
            return False
        return biz_type == self.biz_type if self.biz_type is not None else not is_auth


class FaultPlan:
    """The scripted faults of one sandbox, consumed in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Script ``fault``; it applies after those added before it."""
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Forget every scripted fault."""
        self._faults.clear()

    def take(self, biz_type: str, is_auth: bool, paged: bool = False) -> Fault | None:
        """The fault this call meets, if any (counting it as fired, or as skipped)."""
        for fault in self._faults:
            if fault.matches(biz_type, is_auth, paged):
                if fault.after > 0:
                    fault.after -= 1
                    return None
                fault.fired += 1
                return fault
        return None


class ChaosDraw:
    """Seeded random faults: ``fault_rates`` per kind, else ``fault_rate`` spread evenly over
    ``fault_kinds``; a login meets a transient fault at ``auth_fault_rate``."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)

    def draw(self, is_auth: bool) -> Fault | None:
        """The random fault of one call, or None (the same sequence for the same seed)."""
        config, rng = self.config, self._rng
        if is_auth:
            if config.auth_fault_rate <= 0 or rng.random() >= config.auth_fault_rate:
                return None
            return self._fault(rng.choice(AUTH_FAULT_KINDS))
        if not (config.fault_rate > 0 or config.fault_rates):
            return None
        draw = rng.random()
        rates = config.fault_rates or {
            kind: config.fault_rate / len(config.fault_kinds) for kind in config.fault_kinds
        }
        for kind, rate in rates.items():
            if draw < rate:
                return self._fault(kind)
            draw -= rate
        return None

    def _fault(self, name: str) -> Fault:
        return chaos_fault(name, self._rng, self.config.slow_delay, self.config.retry_after)


# -- Data Push feed faults -------------------------------------------------------------------


@dataclass
class FeedDrop:
    """Cut a connection (no close frame) once ``left`` more frames have been written to it."""

    group: str | None  # None: whichever group's connection writes the frames
    left: int


@dataclass
class FeedStall:
    """Stop answering pings and sending for ``seconds`` from when the connection is accepted
    (None: until it is replaced)."""

    group: str | None
    seconds: float | None


class FeedFaults:
    """The scripted faults of the Data Push feed (what the push handler acts out)."""

    def __init__(self) -> None:
        self.drops: list[FeedDrop] = []
        self.replays: dict[str | None, int] = {}  # group (None: any) -> frames to re-send
        self.stalls: list[FeedStall] = []  # for the next connection of a group
        self.refusals: list[int] = []  # HTTP statuses of the next handshakes

    def drop_after(self, count: int, group: str | None) -> None:
        """Cut ``group``'s connection (None: any) once ``count`` more frames are written."""
        self.drops.append(FeedDrop(group, count))

    def replay(self, count: int, group: str | None) -> None:
        """Re-send ``count`` frames first on the next reconnect of ``group`` (None: any)."""
        self.replays[group] = count

    def stall_next(self, seconds: float | None, group: str | None) -> None:
        """Stall the next connection of ``group`` (None: any) ``seconds`` from its accept."""
        self.stalls.append(FeedStall(group, seconds))

    def refuse(self, times: int, status: int) -> None:
        """Refuse the next ``times`` handshakes with HTTP ``status``."""
        self.refusals.extend([status] * times)

    def take_refusal(self) -> int | None:
        """The status refusing this handshake, or None."""
        return self.refusals.pop(0) if self.refusals else None

    def take_replay(self, group: str) -> int:
        """How many frames a reconnecting ``group`` gets again first (0: none)."""
        if group in self.replays:
            return self.replays.pop(group)
        return self.replays.pop(None, 0)

    def take_stall(self, group: str) -> FeedStall | None:
        """A stall waiting for the next connection of ``group``, if any."""
        for stall in self.stalls:
            if stall.group in (None, group):
                self.stalls.remove(stall)
                return stall
        return None

    def _drop(self, group: str) -> FeedDrop | None:
        return next((d for d in self.drops if d.group in (None, group)), None)

    def drop_due(self, group: str) -> bool:
        """Whether ``group``'s connection is to be cut now (consuming the fault)."""
        drop = self._drop(group)
        if drop is None or drop.left > 0:
            return False
        self.drops.remove(drop)
        return True

    def written(self, group: str) -> bool:
        """Count a frame written to ``group``; whether its connection is to be cut now."""
        drop = self._drop(group)
        if drop is None:
            return False
        drop.left -= 1
        return self.drop_due(group)

    def clear(self) -> None:
        """Forget every feed fault."""
        self.drops.clear()
        self.replays.clear()
        self.stalls.clear()
        self.refusals.clear()
