"""``Sandbox.feed``: control and observe the Data Push feed (events, groups, feed faults)."""

from __future__ import annotations

from collections import Counter

from .handlers.push import GOING_AWAY, PushServer
from .state.churn import EVENT_TYPES


class FeedControl:
    """The Data Push side of a sandbox, reached as ``sb.feed``.

    Frames are the encoded text frames ``{"eventType": ..., "data": {...}}`` (bytes). A group
    is created by its first connection and owes only what is emitted after that.
    """

    EVENT_TYPES = EVENT_TYPES

    def __init__(self, push: PushServer) -> None:
        self._push = push
        self._feed = push.backend.feed
        self._log = self._feed.log

    # -- events ---------------------------------------------------------------------------

    def emit(self, count: int) -> list[bytes]:
        """Emit ``count`` background-churn events now (synchronously); their frames."""
        if count < 0:
            raise ValueError("count must not be negative")
        return self._feed.emit(count)

    # -- observation ----------------------------------------------------------------------

    @property
    def groups(self) -> list[str]:
        """The groups created so far, in order of creation."""
        return list(self._log.groups)

    def emitted(self, group: str) -> list[bytes]:
        """Every frame emitted for ``group`` since it was created, in order: what a perfect
        consumer receives exactly once."""
        return self._log.emitted(group)

    def queued(self, group: str) -> int:
        """Frames emitted for ``group`` and not yet written to it."""
        return self._log.queued(group)

    @property
    def connections(self) -> Counter[str]:
        """Accepted handshakes per group."""
        return Counter({name: g.handshakes for name, g in self._log.groups.items()})

    @property
    def live(self) -> dict[str, int]:
        """The group's handshake number of each group's live connection."""
        return {name: conn.number for name, conn in self._push.live.items()}

    @property
    def pongs(self) -> Counter[str]:
        """Text ``ping`` frames answered with a pong, per group."""
        return self._push.pongs

    # -- faults ---------------------------------------------------------------------------

    def drop_after(self, count: int, group: str | None = None) -> None:
        """Cut the connection (no close frame) once ``count`` more frames have been written
        to it (to ``group``'s; None: whichever group's connection writes them)."""
        if count < 0:
            raise ValueError("count must not be negative")
        self._push.faults.drop_after(count, group)
        self._push.poke()

    def replay(self, count: int, group: str | None = None) -> None:
        """On the next reconnect (of ``group``), first re-send its last ``count`` frames."""
        if count < 0:
            raise ValueError("count must not be negative")
        self._push.faults.replay(count, group)

    def stall(self, seconds: float | None = None, group: str | None = None) -> None:
        """Stop answering pings and sending on the live connections (of ``group``; with none
        live, the next connection): for ``seconds``, or (None) until it is replaced."""
        self._push.stall(seconds, group)

    def refuse_handshake(self, times: int = 1, status: int = 503) -> None:
        """Answer the next ``times`` handshakes with HTTP ``status`` instead of upgrading."""
        self._push.faults.refuse(times, status)

    def kick(self, group: str) -> bool:
        """Close ``group``'s live connection as a second connection would (code 4001);
        whether it had one."""
        return self._push.kick(group)

    def restart(self) -> None:
        """Close every connection with 1001 (going away), like a restarting server; groups
        and their queues stay."""
        self._push.close_all(GOING_AWAY, "server restart")

    def clear_faults(self) -> None:
        """Forget the feed faults not yet acted out."""
        self._push.faults.clear()
