"""The SQLite store: one file, WAL journal, one writer, each batch one durable transaction.

The standard library's ``sqlite3`` runs in a worker thread, one call at a time; a call is
never abandoned half way (cancelling the caller waits for its transaction to end), so a
batch is either wholly in the file or not at all.
"""

from __future__ import annotations

import os
import sqlite3
import time
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import anyio

from ..errors import ConfigurationError, SyncDatabaseError, SyncLockedError
from ._schema import COLUMNS, SCHEMA_VERSION, statements
from ._store import (
    LOCK_KEY,
    LockOwner,
    StoredVersion,
    WriteBatch,
    WriteResult,
    update_params,
)

T = TypeVar("T")
BUSY_TIMEOUT_MS = 10_000
IN_CHUNK = 500  # ids per `IN (...)` query


def sqlite_path(url: str) -> str:
    """The file of ``sqlite:///relative.db`` or ``sqlite:////absolute.db``."""
    rest = url.split("://", 1)[1]
    if not rest.startswith("/") or "?" in rest or len(rest) < 2:
        raise ConfigurationError(
            f"a SQLite URL is sqlite:///relative/path.db or sqlite:////absolute/path.db, "
            f"not {url!r}"
        )
    path = rest[1:]
    if path == ":memory:":
        raise ConfigurationError("an in-memory SQLite database cannot hold a sync; use a file")
    return path


class SQLiteStore:
    """A synced table in a SQLite file."""

    def __init__(self, url: str, table: str) -> None:
        self._path = sqlite_path(url)
        self._sql = statements(table, lambda i: f"?{i}", big_int="INTEGER")
        self._connection: sqlite3.Connection | None = None
        self._limiter = anyio.CapacityLimiter(1)
        self._owner: LockOwner | None = None

    @property
    def display(self) -> str:
        return f"sqlite:///{self._path}"

    def __repr__(self) -> str:
        return f"<SQLiteStore {self.display} table={self._sql.table}>"

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        connection = self._connection
        if connection is None:
            raise RuntimeError("the store is not open")

        def call() -> T:
            try:
                return fn(connection)
            except BaseException as exc:
                if connection.in_transaction:  # never leave a batch half-written and open
                    connection.rollback()
                if isinstance(exc, sqlite3.Error):
                    raise SyncDatabaseError(f"{self.display}: {exc}") from None
                raise

        return await anyio.to_thread.run_sync(call, limiter=self._limiter)

    async def open(self) -> None:
        def connect() -> sqlite3.Connection:
            path = Path(self._path)
            if not path.exists():
                try:
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                except FileExistsError:
                    pass
                except OSError as exc:
                    raise ConfigurationError(
                        f"the database {self.display} cannot be created: {exc.strerror or exc}"
                    ) from None
            try:
                connection = sqlite3.connect(
                    path, isolation_level=None, check_same_thread=False, timeout=0
                )
                connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = FULL")
                return connection
            except sqlite3.Error as exc:
                raise SyncDatabaseError(f"{self.display} cannot be opened: {exc}") from None

        self._connection = await anyio.to_thread.run_sync(connect, limiter=self._limiter)
        try:
            await self._run(self._migrate)
        except BaseException:
            await self.close()
            raise

    def _migrate(self, connection: sqlite3.Connection) -> None:
        sql = self._sql
        connection.execute("BEGIN IMMEDIATE")
        for statement in sql.create:
            connection.execute(statement)
        present = {row[1] for row in connection.execute(f"PRAGMA table_info({sql.table})")}
        for name, kind in COLUMNS:
            if name not in present:
                sql_kind = "INTEGER" if kind == "BIGINT" else kind
                connection.execute(f"ALTER TABLE {sql.table} ADD COLUMN {name} {sql_kind}")
        for statement in sql.indexes:
            connection.execute(statement)
        connection.execute(sql.set_state, ("schema_version", str(SCHEMA_VERSION)))
        connection.execute("COMMIT")

    async def close(self) -> None:
        connection = self._connection
        if connection is None:
            return
        owner = self._owner
        try:
            if owner is not None:
                with anyio.CancelScope(shield=True):
                    await self._run(lambda c: self._release(c, owner))
        finally:
            self._owner = None
            self._connection = None
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(connection.close, limiter=self._limiter)

    async def lock(self, owner: LockOwner) -> None:
        await self._run(lambda c: self._take(c, owner))
        self._owner = owner

    def _take(self, connection: sqlite3.Connection, owner: LockOwner) -> None:
        sql = self._sql
        connection.execute("BEGIN IMMEDIATE")
        holder = self._holder(connection)
        if holder is not None and holder.token != owner.token and holder.alive():
            connection.rollback()
            raise SyncLockedError(
                f"table {sql.table!r} in {self.display} is synced by {holder.describe()}; "
                "one sync per table (give this one another table or database)",
                owner=holder.describe(),
            )
        connection.execute(sql.set_state, (LOCK_KEY, owner.to_json()))
        connection.execute("COMMIT")

    def _holder(self, connection: sqlite3.Connection) -> LockOwner | None:
        """Who holds the table now, per the state table (None: nobody)."""
        found = connection.execute(
            f"SELECT value FROM {self._sql.state_table} WHERE key = ?", (LOCK_KEY,)
        ).fetchone()
        return None if found is None else LockOwner.from_json(found[0])

    def _release(self, connection: sqlite3.Connection, owner: LockOwner) -> None:
        sql = self._sql
        connection.execute("BEGIN IMMEDIATE")
        holder = self._holder(connection)
        if holder is not None and holder.token == owner.token:
            connection.execute(f"DELETE FROM {sql.state_table} WHERE key = ?", (LOCK_KEY,))
        connection.execute("COMMIT")

    async def heartbeat(self, owner: LockOwner) -> None:
        beat = owner.beaten()
        await self._run(lambda c: self._beat(c, beat))

    def _beat(self, connection: sqlite3.Connection, owner: LockOwner) -> None:
        connection.execute(self._sql.set_state, (LOCK_KEY, owner.to_json()))

    async def state(self) -> dict[str, str]:
        return await self._run(lambda c: dict(c.execute(self._sql.get_state).fetchall()))

    async def write(self, batch: WriteBatch) -> WriteResult:
        return await self._run(lambda c: self._write(c, batch))

    def _write(self, connection: sqlite3.Connection, batch: WriteBatch) -> WriteResult:
        sql = self._sql
        now = int(time.time() * 1000)
        connection.execute("BEGIN IMMEDIATE")
        if batch.rows:
            connection.executemany(sql.upsert_rows, batch.row_params(now))
        updates = 0
        if batch.updates:
            before = connection.total_changes
            connection.executemany(
                sql.update_columns, [update_params(u, now) for u in batch.updates]
            )
            updates = connection.total_changes - before
        swept = 0
        if batch.sweep_before is not None:
            swept = connection.execute(sql.sweep, (now, batch.sweep_before)).rowcount
        for key, value in batch.state.items():
            connection.execute(sql.set_state, (key, value))
        connection.execute("COMMIT")
        return WriteResult(rows=len(batch.rows), updates=updates, swept=swept)

    async def versions(self, ids: Sequence[int]) -> dict[int, StoredVersion]:
        return await self._run(lambda c: self._versions(c, list(ids)))

    def _versions(self, connection: sqlite3.Connection, ids: list[int]) -> dict[int, StoredVersion]:
        found: dict[int, StoredVersion] = {}
        table = self._sql.table
        for start in range(0, len(ids), IN_CHUNK):
            chunk = ids[start : start + IN_CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = connection.execute(
                f"SELECT id, update_time, mm_revision, customer_group_id FROM {table} "
                f"WHERE id IN ({marks})",
                chunk,
            )
            for row in rows:
                found[row[0]] = StoredVersion(row[1], row[2], row[3])
        return found

    async def walk_keys(self, walk: int) -> bytes:
        def keys(connection: sqlite3.Connection) -> bytes:
            ids = array("q")
            cursor = connection.execute(
                f"SELECT id FROM {self._sql.table} WHERE mm_walk = ?", (walk,)
            )
            while chunk := cursor.fetchmany(10_000):
                ids.extend(row[0] for row in chunk)
            return ids.tobytes()

        return await self._run(keys)
