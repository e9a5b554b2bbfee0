"""What the sync needs from a database (``SyncStore``), the batches it writes, and the choice
of store by URL.

A store does no deciding: the sync decides which rows and columns to write, and the store
writes each batch in one transaction with the newer-wins guards of ``_schema``.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol
from urllib.parse import urlsplit

from ..errors import ConfigurationError

LOCK_KEY = "lock"
LOCK_LEASE = 60.0
"""Seconds a lock held from another machine stays valid without a heartbeat."""
HEARTBEAT_EVERY = 15.0


@dataclass(frozen=True)
class RowUpdate:
    """An event's columns (``EVENT_COLUMNS`` order) for one customer, applied only when the
    event is newer than the row: a later ``update_time``, or the same with a later
    ``revision`` (-1: none)."""

    id: int
    values: tuple[Any, ...]
    update_time: int
    revision: int


def update_params(update: RowUpdate, now: int) -> tuple[Any, ...]:
    """The parameters of ``Statements.update_columns`` for ``update`` written at ``now``."""
    revision = None if update.revision < 0 else update.revision
    return (*update.values, revision, now, update.id, update.update_time, update.revision)


@dataclass(frozen=True)
class WriteBatch:
    """One transaction's worth of changes."""

    rows: Sequence[tuple[Any, ...]] = ()  # full records (``DATA_NAMES`` order), newer wins
    source: str = "walk"  # what the rows come from: walk or fetch
    walk: int | None = None  # the walk the rows were listed in (None: leave as is)
    updates: Sequence[RowUpdate] = ()
    sweep_before: int | None = None  # mark deleted what no walk saw since this one
    state: Mapping[str, str] = field(default_factory=dict)

    def row_params(self, now: int) -> list[tuple[Any, ...]]:
        """The parameters of ``Statements.upsert_rows`` for the rows, written at ``now``."""
        tail = (None, self.source, self.walk, now)
        return [row + tail for row in self.rows]


@dataclass(frozen=True)
class WriteResult:
    """What a batch changed: rows inserted or replaced, event updates applied, rows swept."""

    rows: int = 0
    updates: int = 0
    swept: int = 0


@dataclass(frozen=True)
class StoredVersion:
    """What the sync compares an event with."""

    update_time: int | None
    revision: int | None
    customer_group_id: int | None


@dataclass(frozen=True)
class LockOwner:
    """Who holds a table: written into the state table, shown to a second process."""

    token: str
    pid: int
    host: str
    group: str
    since: float
    heartbeat: float
    boot: str = ""  # the process's start time on its host (tells a reused pid apart)

    @classmethod
    def me(cls, group: str) -> LockOwner:
        now = time.time()
        pid = os.getpid()
        return cls(uuid.uuid4().hex, pid, socket.gethostname(), group, now, now, _started(pid))

    def beaten(self) -> LockOwner:
        """This owner with its heartbeat now."""
        return replace(self, heartbeat=time.time())

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LockOwner | None:
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError):
            return None

    def describe(self) -> str:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))
        return f"process {self.pid} on {self.host} (group {self.group!r}, since {since})"

    def alive(self) -> bool:
        """Whether this owner may still be running (same host: its process exists; another
        host: its heartbeat is recent)."""
        if self.host != socket.gethostname():
            return time.time() - self.heartbeat < LOCK_LEASE
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return not self.boot or _started(self.pid) == self.boot


def _started(pid: int) -> str:
    """The start time of process ``pid`` in clock ticks since boot ("" where unknown)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


class SyncStore(Protocol):
    """A database holding one synced table and its state."""

    @property
    def display(self) -> str:
        """The database, for messages (no password)."""
        ...

    async def open(self) -> None:
        """Connect; create the tables or add the columns a newer model has."""
        ...

    async def close(self) -> None:
        """Release the lock (if held) and disconnect."""
        ...

    async def lock(self, owner: LockOwner) -> None:
        """Take the table for ``owner``, or raise :class:`SyncLockedError`."""
        ...

    async def heartbeat(self, owner: LockOwner) -> None:
        """Tell other machines the lock's owner still runs."""
        ...

    async def state(self) -> dict[str, str]:
        """The state table's rows."""
        ...

    async def write(self, batch: WriteBatch) -> WriteResult:
        """Write ``batch`` in one transaction (durable on return)."""
        ...

    async def versions(self, ids: Sequence[int]) -> dict[int, StoredVersion]:
        """The stored versions of those of ``ids`` that have a row."""
        ...

    async def walk_keys(self, walk: int) -> bytes:
        """The ids of the rows listed in walk ``walk``, as native int64s."""
        ...


def redacted(url: str) -> str:
    """``url`` without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def open_store(url: str, table: str) -> SyncStore:
    """The store for ``url``: ``sqlite:///path.db`` or ``postgresql://user@host/db``."""
    if not isinstance(url, str) or "://" not in url:
        raise ConfigurationError(
            "the database must be a URL: sqlite:///path/to/file.db or "
            "postgresql://user:password@host:5432/dbname"
        )
    scheme = url.split("://", 1)[0].lower()
    if scheme == "sqlite":
        from ._sqlite import SQLiteStore

        return SQLiteStore(url, table)
    if scheme in ("postgresql", "postgres"):
        from ._postgres import PostgresStore

        return PostgresStore(url, table)
    raise ConfigurationError(
        f"unsupported database {redacted(url)!r}: use sqlite:///… or postgresql://…"
    )
