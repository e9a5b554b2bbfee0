"""The PostgreSQL store (asyncpg): one connection for the table, one more holding the lock.

The lock is a session-level advisory lock keyed on the table's name (advisory locks are per
database), held by a connection of its own: the server drops it when that session ends,
however the process ends (``kill -9`` included). Its owner is written to the state table too,
so that a second process can say who holds the table.

Each batch is one transaction. Its rows are copied (``COPY``) into a temporary staging table
and upserted from there with one ``INSERT … SELECT`` under the rules of ``upsert_rows``: for
2,000-row pages, two to three times the rows per second of an ``executemany`` of
``upsert_rows``. Event updates run one statement each, as each must tell whether it applied.

Every call on an open connection runs shielded from cancellation: cancelling the caller
waits for the call to end (each statement is bounded by ``COMMAND_TIMEOUT``), so a batch is
committed or rolled back, never left half way with the caller unsure which, and the
connection stays usable; as with SQLite. Connecting can be cancelled.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from array import array
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import anyio

from ..errors import ConfigurationError, SyncDatabaseError, SyncLockedError
from ._schema import COLUMNS, NAMES, SCHEMA_VERSION, staging, statements
from ._store import (
    LOCK_KEY,
    LockOwner,
    StoredVersion,
    WriteBatch,
    WriteResult,
    update_params,
)

T = TypeVar("T")
CONNECT_TIMEOUT = 30.0
COMMAND_TIMEOUT = 300.0
CLOSE_TIMEOUT = 10.0
APPLICATION_NAME = "multimarkets-async sync"


def _asyncpg() -> Any:
    """The ``asyncpg`` module, or a :class:`ConfigurationError` telling how to install it."""
    try:
        import asyncpg
    except ImportError:
        raise ConfigurationError(
            "a PostgreSQL sync needs asyncpg: pip install 'multimarkets-async[postgres]'"
        ) from None
    return asyncpg


def postgres_display(url: str) -> str:
    """``postgresql://user@host:port/db`` of ``url``: no password, no query string."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("postgresql", "postgres"):
        raise ConfigurationError(f"not a PostgreSQL URL (postgresql://…): {parts.scheme}://…")
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError("the PostgreSQL URL's port is not a number") from None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    user = f"{parts.username}@" if parts.username else ""
    return f"postgresql://{user}{host}{'' if port is None else f':{port}'}{parts.path}"


def advisory_key(purpose: str, table: str) -> int:
    """A stable signed 64-bit advisory lock key for ``table`` (``purpose``: what it guards)."""
    text = f"multimarkets_async.sync:{purpose}:{table}".encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big", signed=True)


def _count(status: str) -> int:
    """The row count of a command status such as ``UPDATE 3``."""
    return int(status.rsplit(" ", 1)[-1])


class PostgresStore:
    """A synced table in a PostgreSQL database."""

    def __init__(self, url: str, table: str) -> None:
        self._pg = _asyncpg()
        self._direct = True  # walk pages may be copied straight into the table (see _upsert)
        self._url = url
        self._display = postgres_display(url)
        password = urlsplit(url).password
        self._secrets = tuple({password, unquote(password)} - {""}) if password else ()
        self._sql = statements(table, lambda i: f"${i}", big_int="BIGINT")
        self._staging = staging(table, big_int="BIGINT")
        self._lock_key = advisory_key("lock", self._sql.table)
        self._migrate_key = advisory_key("migrate", self._sql.table)
        self._errors: tuple[type[BaseException], ...] = (
            self._pg.PostgresError,
            self._pg.InterfaceError,
            self._pg.exceptions.InternalClientError,
            OSError,
            asyncio.TimeoutError,
        )
        self._connection: Any = None  # the table's
        self._locker: Any = None  # the session holding the advisory lock
        self._busy = anyio.Lock()
        self._locker_busy = anyio.Lock()
        self._owner: LockOwner | None = None

    @property
    def display(self) -> str:
        return self._display

    def __repr__(self) -> str:
        return f"<PostgresStore {self.display} table={self._sql.table}>"

    def _message(self, exc: BaseException) -> str:
        """``exc``'s text, with the password (should it be there) blanked."""
        text = str(exc) or type(exc).__name__
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    async def _connect(self) -> Any:
        try:
            return await self._pg.connect(
                self._url,
                timeout=CONNECT_TIMEOUT,
                command_timeout=COMMAND_TIMEOUT,
                server_settings={"application_name": APPLICATION_NAME},
            )
        except ValueError as exc:  # asyncpg's ClientConfigurationError among them
            raise ConfigurationError(
                f"the database URL {self.display} is not usable: {self._message(exc)}"
            ) from None
        except self._errors as exc:
            raise SyncDatabaseError(
                f"{self.display} cannot be opened: {self._message(exc)}"
            ) from None

    async def _on(self, connection: Any, guard: anyio.Lock, fn: Callable[[Any], Awaitable[T]]) -> T:
        """``fn(connection)``, one call at a time per connection, never abandoned half way."""
        if connection is None:
            raise RuntimeError("the store is not open")
        async with guard:
            with anyio.CancelScope(shield=True):
                try:
                    result = await fn(connection)
                except self._errors as exc:
                    raise SyncDatabaseError(f"{self.display}: {self._message(exc)}") from None
        return result

    async def _run(self, fn: Callable[[Any], Awaitable[T]]) -> T:
        """``fn`` on the table's connection."""
        return await self._on(self._connection, self._busy, fn)

    async def _close_connection(self, connection: Any) -> None:
        with anyio.CancelScope(shield=True):
            try:
                await connection.close(timeout=CLOSE_TIMEOUT)
            except self._errors:
                connection.terminate()

    async def open(self) -> None:
        if self._connection is not None:
            return
        self._connection = await self._connect()
        try:
            await self._run(self._migrate)
        except BaseException:
            await self.close()
            raise

    async def _migrate(self, connection: Any) -> None:
        sql = self._sql
        async with connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", self._migrate_key)
            for statement in sql.create:
                await connection.execute(statement)
            rows = await connection.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = $1",
                sql.table,
            )
            present = {row[0] for row in rows}
            for name, kind in COLUMNS:
                if name not in present:
                    await connection.execute(f"ALTER TABLE {sql.table} ADD COLUMN {name} {kind}")
            for statement in sql.indexes:
                await connection.execute(statement)
            await connection.execute(sql.set_state, "schema_version", str(SCHEMA_VERSION))
        await connection.execute(self._staging.create)

    async def close(self) -> None:
        connection, locker, owner = self._connection, self._locker, self._owner
        try:
            if locker is not None and owner is not None:
                with anyio.CancelScope(shield=True):
                    await self._on(locker, self._locker_busy, lambda c: self._release(c, owner))
        finally:
            self._connection = self._locker = self._owner = None
            for each in (locker, connection):
                if each is not None:
                    await self._close_connection(each)

    async def lock(self, owner: LockOwner) -> None:
        if self._connection is None:
            raise RuntimeError("the store is not open")
        if self._locker is None:
            locker = await self._connect()
            try:
                await self._on(locker, self._locker_busy, self._take)
            except BaseException:
                await self._close_connection(locker)
                raise
            self._locker = locker
        await self._on(self._locker, self._locker_busy, lambda c: self._write_owner(c, owner))
        self._owner = owner

    async def _take(self, connection: Any) -> None:
        """The advisory lock for ``connection``'s session, or :class:`SyncLockedError`."""
        if await connection.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key):
            return
        sql = self._sql
        found = await connection.fetchval(
            f"SELECT value FROM {sql.state_table} WHERE key = $1", LOCK_KEY
        )
        holder = None if found is None else LockOwner.from_json(found)
        described = "another session of this database" if holder is None else holder.describe()
        raise SyncLockedError(
            f"table {sql.table!r} in {self.display} is synced by {described}; "
            "one sync per table (give this one another table or database)",
            owner=described,
        )

    async def _write_owner(self, connection: Any, owner: LockOwner) -> None:
        await connection.execute(self._sql.set_state, LOCK_KEY, owner.to_json())

    async def _release(self, connection: Any, owner: LockOwner) -> None:
        sql = self._sql
        async with connection.transaction():
            found = await connection.fetchval(
                f"SELECT value FROM {sql.state_table} WHERE key = $1 FOR UPDATE", LOCK_KEY
            )
            holder = None if found is None else LockOwner.from_json(found)
            if holder is not None and holder.token == owner.token:
                await connection.execute(f"DELETE FROM {sql.state_table} WHERE key = $1", LOCK_KEY)
        await connection.execute("SELECT pg_advisory_unlock($1)", self._lock_key)

    async def heartbeat(self, owner: LockOwner) -> None:
        beat = owner.beaten()
        if self._locker is not None:  # the lock's own session: a lost lock shows here
            await self._on(self._locker, self._locker_busy, lambda c: self._write_owner(c, beat))
        else:
            await self._run(lambda c: self._write_owner(c, beat))

    async def state(self) -> dict[str, str]:
        async def rows(connection: Any) -> dict[str, str]:
            return {key: value for key, value in await connection.fetch(self._sql.get_state)}

        return await self._run(rows)

    async def write(self, batch: WriteBatch) -> WriteResult:
        return await self._run(lambda c: self._write(c, batch))

    async def _write(self, connection: Any, batch: WriteBatch) -> WriteResult:
        sql = self._sql
        now = int(time.time() * 1000)
        async with connection.transaction():
            if batch.rows:
                await self._upsert(connection, batch, now)
            updates = 0
            for update in batch.updates:  # one by one: each tells whether it applied
                status = await connection.execute(sql.update_columns, *update_params(update, now))
                updates += _count(status)
            swept = 0
            if batch.sweep_before is not None:
                swept = _count(await connection.execute(sql.sweep, now, batch.sweep_before))
            if batch.state:
                await connection.executemany(sql.set_state, list(batch.state.items()))
        return WriteResult(rows=len(batch.rows), updates=updates, swept=swept)

    async def _upsert(self, connection: Any, batch: WriteBatch, now: int) -> None:
        """The batch's rows: copied to the staging table, then upserted in one statement."""
        records = batch.row_params(now)
        width = len(self._staging.columns) - 1
        for record in records:
            if len(record) != width:  # COPY would take a wrong-length row's values as they come
                raise SyncDatabaseError(
                    f"{self.display}: a row has {len(record)} values with the bookkeeping, "
                    f"the table {width} columns"
                )
        if batch.source == "walk" and self._direct:
            # A walk never lists a customer twice, so into a table without its rows (the
            # first copy) the rows go straight in; the first conflict ends that for good.
            try:
                async with connection.transaction():  # a savepoint
                    await connection.copy_records_to_table(
                        self._sql.table, columns=list(NAMES), records=records
                    )
                return
            except self._pg.UniqueViolationError:
                self._direct = False
            except (TypeError, ValueError) as exc:
                raise SyncDatabaseError(
                    f"{self.display}: a row does not fit the table: {exc}"
                ) from None
        schema, table = self._staging.table.split(".")
        try:
            await connection.copy_records_to_table(
                table,
                schema_name=schema,
                columns=list(self._staging.columns),
                records=[(order, *record) for order, record in enumerate(records)],
            )
        except (TypeError, ValueError) as exc:  # a value of the wrong type, found while copying
            raise SyncDatabaseError(
                f"{self.display}: a row does not fit the table: {exc}"
            ) from None
        await connection.execute(self._staging.upsert)

    async def versions(self, ids: Sequence[int]) -> dict[int, StoredVersion]:
        async def found(connection: Any) -> dict[int, StoredVersion]:
            rows = await connection.fetch(
                f"SELECT id, update_time, mm_revision, customer_group_id FROM {self._sql.table} "
                "WHERE id = ANY($1::bigint[])",
                list(ids),
            )
            return {row[0]: StoredVersion(row[1], row[2], row[3]) for row in rows}

        return await self._run(found)

    async def walk_keys(self, walk: int) -> bytes:
        async def keys(connection: Any) -> bytes:
            chunks: list[bytes] = []

            async def collect(chunk: bytes) -> None:
                chunks.append(chunk)

            await connection.copy_from_query(
                f"SELECT id FROM {self._sql.table} WHERE mm_walk = {int(walk)}", output=collect
            )
            return array("q", map(int, b"".join(chunks).split())).tobytes()

        return await self._run(keys)
