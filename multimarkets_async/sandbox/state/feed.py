"""The Data Push feed's log: every event encoded once, and each subscriber group's place in it.

One list of pre-encoded frames is shared by every group: a group is a start (where it joined,
"now") and a cursor (the next frame to deliver). What a group has not been sent yet is
``frames[cursor:]``; what it should see exactly once is ``frames[start:]``. Nothing here knows
about sockets: the push handler moves cursors as it writes frames.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

_encode = msgspec.json.Encoder(decimal_format="number").encode


@dataclass
class Group:
    """A subscriber group: where it joined the log and the next frame it is owed."""

    name: str
    start: int
    cursor: int
    handshakes: int = 0  # connections accepted so far

    def rewind(self, count: int) -> None:
        """Owe again the last ``count`` frames already sent (not before the start)."""
        self.cursor -= min(count, self.cursor - self.start)


class Stamps:
    """Update times (epoch ms) that strictly increase per entity, near the real clock.

    A stamp is the current millisecond unless this entity already has one as late; the
    per-entity memory is dropped whenever the clock passes every stamp handed out.
    """

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], int] = {}
        self._high = 0

    def __call__(self, kind: str, key: str) -> int:
        now = int(time.time() * 1000)
        if now > self._high:
            self._last.clear()
        stamp = max(now, self._last.get((kind, key), -1) + 1)
        self._last[(kind, key)] = stamp
        self._high = max(self._high, stamp)
        return stamp


class EventLog:
    """The frames emitted since the first group joined, and the groups."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.groups: dict[str, Group] = {}
        self.on_publish: Callable[[], None] | None = None  # the push server's wake-up
        self.stamp = Stamps()
        self._counters: dict[tuple[str, str], int] = {}

    @property
    def active(self) -> bool:
        """Whether any group listens (else events need not be built at all)."""
        return bool(self.groups)

    def publish(self, event_type: str, data: dict[str, Any]) -> bytes:
        """Encode one event once; queue it for every group (none yet: for nobody)."""
        frame = _encode({"eventType": event_type, "data": data})
        if self.groups:
            self.frames.append(frame)
            if self.on_publish is not None:
                self.on_publish()
        return frame

    def join(self, name: str) -> Group:
        """The group ``name``, created now (owed nothing earlier) on its first connection."""
        group = self.groups.get(name)
        if group is None:
            end = len(self.frames)
            group = self.groups[name] = Group(name, end, end)
        group.handshakes += 1
        return group

    def emitted(self, name: str) -> list[bytes]:
        """Every frame emitted for group ``name`` since it was created, in order."""
        group = self.groups.get(name)
        return [] if group is None else self.frames[group.start :]

    def queued(self, name: str) -> int:
        """Frames waiting to be sent to group ``name``."""
        group = self.groups.get(name)
        return 0 if group is None else len(self.frames) - group.cursor

    def bump(self, kind: str, key: str) -> int:
        """The next revision/version of an entity (1, 2, ...; 0 is its creation)."""
        value = self._counters.get((kind, key), 0) + 1
        self._counters[(kind, key)] = value
        return value

    def serial(self, kind: str) -> int:
        """A fresh number for new records of ``kind`` (1, 2, ...)."""
        return self.bump("serial", kind)
