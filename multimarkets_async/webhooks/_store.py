"""Where the app records each adjustment's outcome, so that none is applied or reversed twice,
across retries and across restarts: in memory (tests), or in SQLite (``sqlite:///path``).

One row per ``requestUniqueNo``: its state, the code the platform was told, and the request's
body (to reverse it after a restart).
"""

from __future__ import annotations

import enum
import sqlite3
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import anyio.to_thread

from ..errors import ConfigurationError


class State(str, enum.Enum):
    """An adjustment's state."""

    RUNNING = "running"  # the wallet was called and has not answered (in doubt after a crash)
    APPLIED = "applied"
    REFUSED = "refused"  # the wallet raised Rejected
    FAILED = "failed"  # the wallet raised anything else
    REVERSING = "reversing"  # the wallet's reverse was called (in doubt after a crash)
    REVERSED = "reversed"  # applied, then reversed by a cancel
    UNSEEN = "unseen"  # a cancel came first: the adjustment must never be applied


@dataclass(frozen=True, slots=True)
class Entry:
    """One adjustment's record."""

    state: State
    code: str = "0"
    msg: str = ""
    body: bytes = b""


class WebhookStore(Protocol):
    """Records of adjustments by ``requestUniqueNo``; each ``put`` is durable on return."""

    async def get(self, unique_no: str) -> Entry | None:
        """The record of ``unique_no``, if any."""
        ...

    async def put(self, unique_no: str, entry: Entry) -> None:
        """Record ``entry`` for ``unique_no``, replacing what was there (but keeping the
        recorded body when ``entry`` has none)."""
        ...

    async def aclose(self) -> None:
        """Release the store."""
        ...


class MemoryStore:
    """Records in memory: for tests and demos (lost with the process)."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}

    async def get(self, unique_no: str) -> Entry | None:
        return self.entries.get(unique_no)

    async def put(self, unique_no: str, entry: Entry) -> None:
        old = self.entries.get(unique_no)
        if old is not None and not entry.body:
            entry = replace(entry, body=old.body)
        self.entries[unique_no] = entry

    async def aclose(self) -> None:
        pass


class SQLiteStore:
    """Records in a SQLite file (WAL, ``synchronous=FULL``: a ``put`` survives a crash),
    used from one worker thread at a time."""

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._lock = threading.Lock()
        self._limiter = anyio.CapacityLimiter(1)
        self._db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS mm_webhook_adjustments ("
            "unique_no TEXT PRIMARY KEY, state TEXT NOT NULL, code TEXT NOT NULL, "
            "msg TEXT NOT NULL, body BLOB NOT NULL)"
        )

    def __repr__(self) -> str:
        return f"<SQLiteStore {self._path!r}>"

    def _get(self, unique_no: str) -> Entry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT state, code, msg, body FROM mm_webhook_adjustments WHERE unique_no = ?",
                (unique_no,),
            ).fetchone()
        return None if row is None else Entry(State(row[0]), row[1], row[2], bytes(row[3]))

    def _put(self, unique_no: str, entry: Entry) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO mm_webhook_adjustments (unique_no, state, code, msg, body) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (unique_no) DO UPDATE SET "
                "state = excluded.state, code = excluded.code, msg = excluded.msg, "
                "body = CASE WHEN excluded.body = x'' THEN body ELSE excluded.body END",
                (unique_no, entry.state.value, entry.code, entry.msg, entry.body),
            )

    async def get(self, unique_no: str) -> Entry | None:
        return await anyio.to_thread.run_sync(self._get, unique_no, limiter=self._limiter)

    async def put(self, unique_no: str, entry: Entry) -> None:
        with anyio.CancelScope(shield=True):  # a record half-made is worse than a late one
            await anyio.to_thread.run_sync(self._put, unique_no, entry, limiter=self._limiter)

    async def aclose(self) -> None:
        with self._lock:
            self._db.close()


def open_store(store: str | WebhookStore) -> WebhookStore:
    """``"memory"``, ``"sqlite:///path"`` or a store object."""
    if not isinstance(store, str):
        return store
    if store == "memory":
        return MemoryStore()
    if store.startswith("sqlite:///"):
        return SQLiteStore(store.removeprefix("sqlite:///"))
    raise ConfigurationError('store must be "memory", "sqlite:///path" or a WebhookStore')
