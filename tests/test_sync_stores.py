"""The sync store contract, one set of tests run on SQLite (a file) and on PostgreSQL (the
session's throwaway server): tables created and migrated, newer-wins upserts, event updates,
the sweep, state, versions, walk keys, whole batches, and the one-sync-per-table lock against
a real second process."""

from __future__ import annotations

import os
import re
import sqlite3
import sys
import textwrap
from array import array
from collections.abc import AsyncIterator
from pathlib import Path
from subprocess import PIPE
from typing import Any
from urllib.parse import urlsplit

import anyio
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream

from multimarkets_async.errors import ConfigurationError, SyncDatabaseError, SyncLockedError
from multimarkets_async.sync._schema import COLUMNS, DATA_NAMES, DELETED, EVENT_COLUMNS, NAMES
from multimarkets_async.sync._sqlite import sqlite_path
from multimarkets_async.sync._store import (
    LOCK_KEY,
    LockOwner,
    RowUpdate,
    StoredVersion,
    SyncStore,
    WriteBatch,
    open_store,
)

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[1]

HOLDER = textwrap.dedent(
    """
    import sys

    import anyio

    from multimarkets_async.sync._store import LockOwner, open_store


    async def main() -> None:
        store = open_store(sys.argv[1], sys.argv[2])
        await store.open()
        await store.lock(LockOwner.me("elsewhere"))
        print("locked", flush=True)
        await anyio.sleep(600)


    anyio.run(main)
    """
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database of one test: a new SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sync.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def store(url: str, sync_table: str) -> AsyncIterator[SyncStore]:
    opened = open_store(url, sync_table)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


async def query(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """``sql`` (``$n`` parameters) run on ``url``'s database directly, not through a store."""
    if url.startswith("sqlite:"):
        connection = sqlite3.connect(sqlite_path(url))
        try:
            with connection:
                rows = connection.execute(re.sub(r"\$(\d+)", r"?\1", sql), args).fetchall()
        finally:
            connection.close()
        return [tuple(row) for row in rows]
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await connection.fetch(sql, *args)]
    finally:
        await connection.close()


async def read(url: str, table: str, id: int) -> dict[str, Any]:
    """Row ``id`` of ``table``, every column by name."""
    rows = await query(url, f"SELECT {', '.join(NAMES)} FROM {table} WHERE id = $1", id)
    assert len(rows) == 1, rows
    return dict(zip(NAMES, rows[0], strict=True))


async def store_state(url: str, table: str) -> dict[str, str]:
    """The state table of ``table``, read directly."""
    return {key: value for key, value in await query(url, f"SELECT key, value FROM {table}_sync")}


def record(id: int, update_time: int | None, **values: Any) -> tuple[Any, ...]:
    """A full record (``DATA_NAMES`` order) of customer ``id``."""
    data: dict[str, Any] = dict.fromkeys(DATA_NAMES)
    data.update(id=id, customer_no=f"C{id}", status=1, update_time=update_time)
    data.update(values)
    return tuple(data[name] for name in DATA_NAMES)


def event(id: int, update_time: int, revision: int, **values: Any) -> RowUpdate:
    """An event's columns for customer ``id``."""
    data: dict[str, Any] = dict.fromkeys(EVENT_COLUMNS)
    data.update(status=1, update_time=update_time)
    data.update(values)
    return RowUpdate(id, tuple(data[name] for name in EVENT_COLUMNS), update_time, revision)


async def test_create_and_reopen(url: str, sync_table: str) -> None:
    first = open_store(url, sync_table)
    password = urlsplit(url).password
    assert password is None or password not in first.display
    await first.open()
    try:
        assert (await first.state())["schema_version"] == "1"
        await first.write(WriteBatch(rows=[record(1, 10, email="a@x")], walk=1))
    finally:
        await first.close()
    for _ in range(2):  # opening again changes nothing
        again = open_store(url, sync_table)
        await again.open()
        try:
            assert await again.state() == {"schema_version": "1"}
            assert await again.versions([1]) == {1: StoredVersion(10, None, None)}
        finally:
            await again.close()
    assert (await read(url, sync_table, 1))["email"] == "a@x"


async def test_migration_adds_missing_columns(url: str, sync_table: str) -> None:
    # The table of an older version: two of today's fields and an indexed column missing.
    missing = ("login_time", "unit_name", "mm_walk")
    older = [(name, kind) for name, kind in COLUMNS if name not in missing]
    columns = ", ".join(
        f"{name} {kind}" + (" PRIMARY KEY" if name == "id" else "") for name, kind in older
    )
    await query(url, f"CREATE TABLE {sync_table} ({columns})")
    await query(url, f"INSERT INTO {sync_table} (id, update_time, email) VALUES (1, 5, 'old')")
    store = open_store(url, sync_table)
    await store.open()
    try:
        old = await read(url, sync_table, 1)  # every column is there now
        assert (old["email"], old["login_time"], old["unit_name"]) == ("old", None, None)
        assert (await store.state())["schema_version"] == "1"
        await store.write(WriteBatch(rows=[record(1, 6, email="new", login_time=9)], walk=3))
        new = await read(url, sync_table, 1)
        assert (new["email"], new["login_time"], new["mm_walk"]) == ("new", 9, 3)
    finally:
        await store.close()
    again = open_store(url, sync_table)  # and once added, opening again is quiet
    await again.open()
    await again.close()


async def test_newer_record_wins(store: SyncStore, url: str, sync_table: str) -> None:
    result = await store.write(WriteBatch(rows=[record(1, 100, email="a")], walk=1))
    assert result.rows == 1
    first = await read(url, sync_table, 1)
    assert (first["email"], first["mm_source"], first["mm_walk"]) == ("a", "walk", 1)
    assert first["mm_synced_at"] is not None

    # An older record keeps the data, but the walk that listed it marks the row.
    await store.write(WriteBatch(rows=[record(1, 50, email="b")], source="fetch", walk=2))
    kept = await read(url, sync_table, 1)
    assert (kept["email"], kept["update_time"], kept["mm_source"], kept["mm_walk"]) == (
        "a",
        100,
        "walk",
        2,
    )
    # A record without updateTime is older than any.
    await store.write(WriteBatch(rows=[record(1, None, email="n")], walk=2))
    assert (await read(url, sync_table, 1))["email"] == "a"

    # As new: replaced; no walk: the row's walk stays.
    await store.write(WriteBatch(rows=[record(1, 100, email="c")], source="fetch"))
    same = await read(url, sync_table, 1)
    assert (same["email"], same["mm_source"], same["mm_walk"]) == ("c", "fetch", 2)

    # One id twice or more in a batch ends as if written one by one.
    rows = [record(2, 5, email="x"), record(2, 9, email="y"), record(2, 9, email="z")]
    await store.write(WriteBatch(rows=[*rows, record(2, 7, email="w")], walk=4))
    assert (await read(url, sync_table, 2))["email"] == "z"


async def test_event_updates_only_when_newer(store: SyncStore, url: str, sync_table: str) -> None:
    await store.write(WriteBatch(rows=[record(7, 100, email="listed", name="Ann")], walk=1))
    # At the listed record's updateTime the row already shows that state.
    assert (await store.write(WriteBatch(updates=[event(7, 100, 5, email="same")]))).updates == 0
    applied = await store.write(WriteBatch(updates=[event(7, 101, 5, email="e1", status=2)]))
    assert applied.updates == 1
    row = await read(url, sync_table, 7)
    assert (row["email"], row["status"], row["update_time"], row["mm_revision"]) == (
        "e1",
        2,
        101,
        5,
    )
    assert (row["mm_source"], row["name"]) == ("event", "Ann")  # what events lack stays

    stale = [
        event(7, 101, 5, email="same revision"),
        event(7, 101, 4, email="older revision"),
        event(7, 100, 9, email="older time"),
        event(8, 500, 1, email="no such row"),
    ]
    assert (await store.write(WriteBatch(updates=stale))).updates == 0
    assert (await read(url, sync_table, 7))["email"] == "e1"

    newer = [event(7, 101, 6, email="e2", login_time=42), event(7, 102, -1, email="e3")]
    assert (await store.write(WriteBatch(updates=newer))).updates == 2
    row = await read(url, sync_table, 7)
    assert (row["email"], row["login_time"], row["update_time"], row["mm_revision"]) == (
        "e3",
        None,
        102,
        None,
    )
    assert await store.versions([7, 8]) == {7: StoredVersion(102, None, None)}


async def test_sweep_marks_what_no_walk_saw(store: SyncStore, url: str, sync_table: str) -> None:
    await store.write(WriteBatch(rows=[record(1, 1), record(5, 1, status=DELETED)], walk=1))
    await store.write(WriteBatch(rows=[record(2, 1)], walk=2))
    await store.write(WriteBatch(rows=[record(3, 1)], walk=3))
    await store.write(WriteBatch(rows=[record(4, 1)]))  # never listed by a walk
    result = await store.write(WriteBatch(sweep_before=2, state={"walk": "done"}))
    assert result.swept == 2
    rows = {id: await read(url, sync_table, id) for id in range(1, 6)}
    assert {id: (row["status"], row["mm_source"]) for id, row in rows.items()} == {
        1: (DELETED, "sweep"),
        2: (1, "walk"),
        3: (1, "walk"),
        4: (DELETED, "sweep"),
        5: (DELETED, "walk"),  # already deleted: left as it is
    }
    assert (await store.state())["walk"] == "done"
    assert (await store.write(WriteBatch(sweep_before=2))).swept == 0


async def test_state_round_trip(store: SyncStore) -> None:
    await store.write(WriteBatch(state={"position": "p1", "group": "g/1 ü"}))
    await store.write(WriteBatch(state={"position": "p2"}))
    assert await store.state() == {"schema_version": "1", "position": "p2", "group": "g/1 ü"}


async def test_versions_and_walk_keys(store: SyncStore) -> None:
    big = [2**40 + 1, 2**63 - 1]
    await store.write(
        WriteBatch(rows=[record(1, 10, customer_group_id=3), *(record(i, 20) for i in big)], walk=6)
    )
    await store.write(WriteBatch(rows=[record(2, None)], walk=7))
    await store.write(WriteBatch(updates=[event(2, 30, 4)], rows=[record(3, 1)]))  # 3: no walk
    assert await store.versions([1, 2, 3, 99, *big]) == {
        1: StoredVersion(10, None, 3),
        2: StoredVersion(30, 4, None),
        3: StoredVersion(1, None, None),
        big[0]: StoredVersion(20, None, None),
        big[1]: StoredVersion(20, None, None),
    }
    assert await store.versions([]) == {}
    keys = array("q")
    keys.frombytes(await store.walk_keys(6))
    assert sorted(keys) == [1, *big]
    assert list(array("q", await store.walk_keys(7))) == [2]
    assert await store.walk_keys(8) == b""


async def test_a_batch_is_whole_or_nothing(store: SyncStore) -> None:
    await store.write(WriteBatch(rows=[record(1, 1, email="kept")], walk=1))
    short = record(3, 1)[:-1]
    failing = [
        WriteBatch(rows=[record(2, 1), short], walk=2, state={"k": "v"}),
        WriteBatch(rows=[record(2, 1), record(4, 1, status=object())], sweep_before=9),
        WriteBatch(
            rows=[record(2, 1)],
            updates=[event(1, 9, 1), RowUpdate(1, (1, 2), 9, 1)],
            sweep_before=9,
            state={"k": "v"},
        ),
    ]
    for batch in failing:
        with pytest.raises(SyncDatabaseError):
            await store.write(batch)
    assert await store.versions([1, 2, 3, 4]) == {1: StoredVersion(1, None, None)}
    assert "k" not in await store.state()
    assert (await store.write(WriteBatch(rows=[record(2, 1)], walk=2))).rows == 1


async def test_a_cancelled_batch_is_whole(store: SyncStore, url: str, sync_table: str) -> None:
    rows = [record(i, 1, email=f"{i}@x", name="n" * 50) for i in range(1, 20_001)]
    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(store.write, WriteBatch(rows=rows, walk=1, state={"k": "v"}))
            await anyio.sleep(0.01)
            scope.cancel()
    (count,) = (await query(url, f"SELECT COUNT(*) FROM {sync_table}"))[0]
    assert count in (0, len(rows))
    assert ("k" in await store.state()) == (count == len(rows))
    assert (await store.write(WriteBatch(rows=[record(1, 2)], walk=2))).rows == 1


async def test_lock_is_one_per_table(store: SyncStore, url: str, sync_table: str) -> None:
    me = LockOwner.me("here")
    await store.lock(me)
    await store.lock(me)  # taking it again is fine
    await store.heartbeat(me)
    held = LockOwner.from_json((await store.state())[LOCK_KEY])
    assert held is not None
    assert (held.token, held.pid) == (me.token, os.getpid())
    assert held.heartbeat >= me.heartbeat

    other = open_store(url, sync_table)
    await other.open()
    try:
        with pytest.raises(SyncLockedError) as caught:
            await other.lock(LockOwner.me("there"))
        assert "'here'" in caught.value.owner and sync_table in str(caught.value)
    finally:
        await other.close()

    await store.close()
    assert LOCK_KEY not in await store_state(url, sync_table)
    again = open_store(url, sync_table)
    await again.open()
    try:
        await again.lock(LockOwner.me("there"))
    finally:
        await again.close()


async def test_lock_held_by_another_process(url: str, sync_table: str) -> None:
    command = [sys.executable, "-c", HOLDER, url, sync_table]
    mine = open_store(url, sync_table)
    await mine.open()
    try:
        async with await anyio.open_process(command, cwd=ROOT, stdout=PIPE, stderr=PIPE) as holder:
            try:
                assert holder.stdout is not None and holder.stderr is not None
                lines = BufferedByteReceiveStream(holder.stdout)
                try:
                    with anyio.fail_after(30):
                        assert await lines.receive_until(b"\n", 100) == b"locked"
                except (anyio.IncompleteRead, TimeoutError):
                    holder.kill()
                    errors = b"".join([chunk async for chunk in holder.stderr])
                    pytest.fail(f"the holder did not lock: {errors.decode()}")

                with pytest.raises(SyncLockedError) as caught:
                    await mine.lock(LockOwner.me("here"))
                assert f"process {holder.pid} on " in caught.value.owner
                assert "'elsewhere'" in caught.value.owner
                assert caught.value.owner in str(caught.value)
            finally:
                if holder.returncode is None:
                    holder.kill()  # kill -9: no chance to let go
                await holder.wait()

        # SQLite: the holder's pid is gone; PostgreSQL: the server ends its session when it
        # sees the connection closed, which takes a moment.
        with anyio.fail_after(20):
            while True:
                try:
                    await mine.lock(LockOwner.me("here"))
                    break
                except SyncLockedError:
                    await anyio.sleep(0.05)
        held = LockOwner.from_json((await mine.state())[LOCK_KEY])
        assert held is not None and held.pid == os.getpid()
    finally:
        await mine.close()


async def test_postgres_messages_name_the_database_not_the_password(postgres_url: str) -> None:
    parts = urlsplit(postgres_url)
    assert parts.password
    wrong = parts._replace(path="/no_such_database").geturl()
    store = open_store(wrong, "customers")
    assert (
        store.display
        == f"postgresql://{parts.username}@{parts.netloc.split('@')[1]}/no_such_database"
    )
    with pytest.raises(SyncDatabaseError) as caught:
        await store.open()
    assert store.display in str(caught.value)
    assert parts.password not in str(caught.value)

    refused = parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:1").geturl()
    with pytest.raises(SyncDatabaseError) as caught:
        await open_store(refused, "customers").open()
    assert "postgresql://mm@127.0.0.1:1/" in str(caught.value)
    assert parts.password not in str(caught.value)


def test_postgres_without_asyncpg_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # as if not installed
    with pytest.raises(ConfigurationError, match=r"pip install 'multimarkets-async\[postgres\]'"):
        open_store("postgresql://someone@localhost/db", "customers")
