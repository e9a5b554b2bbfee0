"""CustomerSync against the sandbox, into real SQLite files and a real PostgreSQL server.

Every scenario ends with the table compared with the sandbox's customers row for row, every
column (``_sync_helpers.differences``). The randomized scenarios run ``SYNC_SEEDS`` seeds
(default 4); more on demand with ``MULTIMARKETS_SYNC_SEEDS=40``.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import sys
from typing import Any

import anyio
import pytest
from _helpers import drain, environment
from _operations import PAGE
from _sync_helpers import differences, table_rows, wait_until_equal
from conftest import FAST_RETRY

import multimarkets_async as mm
from multimarkets_async.sandbox import Sandbox

SYNC_SEEDS = int(os.environ.get("MULTIMARKETS_SYNC_SEEDS", "4"))
CLI = [sys.executable, "-m", "multimarkets_async.cli"]


_DATABASES = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A new, empty database: a SQLite file, or a database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/sync.db"
    import asyncpg

    server = str(request.getfixturevalue("postgres_url"))
    name = f"sync_test_{os.getpid()}_{next(_DATABASES)}"
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f"CREATE DATABASE {name}")
    finally:
        await connection.close()
    return server.rsplit("/", 1)[0] + "/" + name


def _client(sb: Sandbox) -> mm.ManagerClient:
    return mm.ManagerClient(**sb.credentials(), retry=FAST_RETRY)


def _sync(client: mm.ManagerClient, url: str, **options: Any) -> mm.CustomerSync:
    options.setdefault("group", "crm-sync")
    options.setdefault("page_size", 500)
    options.setdefault("settle", 0.3)
    return mm.CustomerSync(client, url, **options)


async def _follow_until_equal(sync: mm.CustomerSync, url: str, sb: Sandbox, **kw: Any) -> None:
    """Run the sync until the table equals the sandbox, then stop it."""
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(sync.run)
        await wait_until_equal(url, sb, **kw)
        tasks.cancel_scope.cancel()


# -- the copy ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_backfill_copies_every_customer_exactly(db_url: str) -> None:
    async with Sandbox(customers=3000, seed=11) as sb, _client(sb) as client:
        async with _sync(client, db_url) as sync:
            stats = await sync.backfill()
        assert not differences(await table_rows(db_url), sb)
        assert stats.walk == 1 and stats.walk_records == 3000 and stats.rows_upserted == 3000
        rows = await table_rows(db_url)
        assert {row["mm_source"] for row in rows.values()} == {"walk"}
        assert {row["mm_walk"] for row in rows.values()} == {1}


@pytest.mark.anyio
async def test_changes_during_the_copy_are_not_lost(db_url: str) -> None:
    async with Sandbox(customers=4000, seed=12) as sb, _client(sb) as client:
        config = sb.config
        config.insert_per_call, config.delete_per_call, config.update_per_call = 3, 2, 6
        async with _sync(client, db_url, concurrency=4) as sync:
            await sync.backfill()
            config.insert_per_call = config.delete_per_call = config.update_per_call = 0
            await _follow_until_equal(sync, db_url, sb)
            assert sync.stats.events_applied > 0


@pytest.mark.anyio
async def test_live_sign_ups_updates_and_deletions_follow(db_url: str) -> None:
    async with Sandbox(customers=2000, seed=13) as sb, _client(sb) as client:
        async with _sync(client, db_url) as sync:
            await sync.backfill()
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(sync.run)
                await anyio.sleep(0.3)
                sb.sign_up(25)
                sb.update_customers(60, seed=1)
                deleted = sb.delete_customers(15, seed=2)
                sb.update_customers(40, seed=3, kind="status")
                await wait_until_equal(db_url, sb)
                tasks.cancel_scope.cancel()
        rows = await table_rows(db_url)
        assert all(rows[sb.store.public_id(cid)]["status"] == 3 for cid in deleted)
        assert sync.stats.events_applied >= 100


@pytest.mark.anyio
async def test_drops_and_replays_apply_nothing_twice_in_effect(db_url: str) -> None:
    async with (
        Sandbox(customers=1500, seed=14) as sb,
        _client(sb) as client,
        _sync(client, db_url) as sync,
    ):
        await sync.backfill()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(sync.run)
            await anyio.sleep(0.3)
            sb.feed.drop_after(20, group="crm-sync")
            sb.update_customers(80, seed=4)
            await wait_until_equal(db_url, sb)
            sb.feed.replay(60, group="crm-sync")
            sb.feed.restart()  # reconnects: the last 60 events come again
            sb.update_customers(30, seed=5, kind="contact")
            await wait_until_equal(db_url, sb)
            tasks.cancel_scope.cancel()


@pytest.mark.anyio
async def test_an_older_event_never_overwrites_a_newer_row(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/order.db"
    async with Sandbox(customers=300, seed=15) as sb, _client(sb) as client:
        async with _sync(client, url) as sync:
            await sync.backfill()
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(sync.run)
                await anyio.sleep(0.3)
                for round_ in range(4):  # few customers, each changed several times
                    sb.update_customers(30, seed=round_ % 2)
                await wait_until_equal(url, sb)
                tasks.cancel_scope.cancel()
        # A new process (its stream remembers nothing) is sent those events again: every
        # one is older than (or as old as) its row and changes nothing.
        sb.feed.replay(120, group="crm-sync")
        async with _sync(client, url) as again:
            await again.backfill()
            assert again.stats.events_skipped >= 120
            assert again.stats.events_applied == 0
        assert not differences(await table_rows(url), sb)


@pytest.mark.anyio
async def test_a_failed_batch_is_raised_typed_and_the_next_walk_misses_nothing(
    tmp_path: Any,
) -> None:
    url = f"sqlite:///{tmp_path}/failed.db"
    async with Sandbox(customers=3000, seed=23) as sb, _client(sb) as client:
        async with _sync(client, url, page_size=100, concurrency=1) as sync:
            await sync.backfill()
            sb.inject("code", biz_type=PAGE, code="FS10301", times=1)  # a sign-up's read fails
            sb.sign_up(1)
            with pytest.raises(mm.BusinessError):
                await sync.run()
            # run() again walks the listing anew; cut short, with changes meanwhile to
            # customers it had already read: they must still reach the table.
            sb.config.latency = 0.04
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(sync.run)
                await anyio.sleep(0.6)
                sb.update_customers(400, seed=23)
                await anyio.sleep(0.2)
                tasks.cancel_scope.cancel()
            assert 0 < sync.stats.walk_records < 3001
        sb.config.latency = 0.0
        async with _sync(client, url) as again:
            await _follow_until_equal(again, url, sb)


# -- restarts ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_stopped_sync_continues_its_copy_from_the_checkpoint(db_url: str) -> None:
    async with Sandbox(customers=6000, seed=16, latency=0.1) as sb, _client(sb) as client:
        async with _sync(client, db_url, page_size=200, concurrency=1) as sync:
            with anyio.move_on_after(1.2):
                await sync.backfill()
            copied = sync.stats.walk_records
        assert 0 < copied < 6000
        sb.update_customers(50, seed=7)
        sb.sign_up(10)
        sb.config.latency = 0.0
        async with _sync(client, db_url, page_size=200, concurrency=4) as again:
            stats = await again.backfill()
            assert stats.resumed and stats.walk == 1
            assert stats.rows_upserted < 6010 - copied + 200  # not copied anew
            await _follow_until_equal(again, db_url, sb)


@pytest.mark.anyio
async def test_every_start_after_the_copy_reads_the_listing_again(db_url: str) -> None:
    async with Sandbox(customers=2000, seed=17) as sb, _client(sb) as client:
        async with _sync(client, db_url) as sync:
            await sync.backfill()
        # Changes while no sync runs; some of their events are lost for the group (as
        # frames in flight at a crash would be): the next start's walk reads them anyway.
        sb.update_customers(40, seed=8)
        deleted = sb.delete_customers(5, seed=9)
        async with _sync(client, db_url) as again:
            stats = await again.backfill()
            assert stats.walk == 2 and not stats.resumed
            await _follow_until_equal(again, db_url, sb)
        rows = await table_rows(db_url)
        assert all(rows[sb.store.public_id(cid)]["status"] == 3 for cid in deleted)


async def _start_cli(sb: Sandbox, url: str, *extra: str) -> Any:
    command = [*CLI, "sync", "customers", "--db", url, "--group", "crm-sync", "--quiet", *extra]
    return await anyio.open_process(command, env=environment(sb))


async def _state(url: str) -> dict[str, str]:
    if url.startswith("sqlite:"):
        import sqlite3

        path = url.split("://", 1)[1][1:]

        def read() -> dict[str, str]:
            connection = sqlite3.connect(path)
            try:
                return dict(connection.execute("SELECT key, value FROM customers_sync"))
            except sqlite3.OperationalError:
                return {}
            finally:
                connection.close()

        return await anyio.to_thread.run_sync(read)
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return dict(await connection.fetch("SELECT key, value FROM customers_sync"))
    except asyncpg.UndefinedTableError:
        return {}
    finally:
        await connection.close()


async def _kill_when(process: Any, url: str, ready: str) -> None:
    """SIGKILL the sync process once its state has ``ready`` set."""
    async with process:
        with anyio.fail_after(60):
            while not (await _state(url)).get(ready):
                assert process.returncode is None, "the sync ended before it could be killed"
                await anyio.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.anyio
async def test_kill_9_during_the_copy_then_restart(db_url: str) -> None:
    async with Sandbox(customers=20_000, seed=18, latency=0.02) as sb, _client(sb) as client:
        sb.config.update_per_call = 2
        process = await _start_cli(sb, db_url, "--page-size", "500", "--concurrency", "2")
        await _kill_when(process, db_url, "walk_position")
        before = len(await table_rows(db_url))
        assert 0 < before < 20_000
        sb.config.update_per_call = 0
        sb.sign_up(10)
        async with _sync(client, db_url, concurrency=4) as again:
            stats = await again.backfill()
            assert stats.resumed
            await _follow_until_equal(again, db_url, sb)


@pytest.mark.anyio
async def test_kill_9_while_following_then_restart(db_url: str) -> None:
    async with Sandbox(customers=3000, seed=19) as sb, _client(sb) as client:
        process = await _start_cli(sb, db_url)

        async def churn() -> None:
            rng = random.Random(19)
            while True:
                sb.update_customers(rng.randrange(1, 20))
                if rng.random() < 0.2:
                    sb.delete_customers(1, seed=rng.randrange(10**6))
                if rng.random() < 0.3:
                    sb.sign_up(rng.randrange(1, 4))
                await anyio.sleep(0.01)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(churn)
            await _kill_when(process, db_url, "walk_finished_at")
            await anyio.sleep(0.5)
            tasks.cancel_scope.cancel()
        async with _sync(client, db_url) as again:
            await _follow_until_equal(again, db_url, sb)
            assert again.stats.walk == 2


# -- one sync per table; many tables -------------------------------------------------------


@pytest.mark.anyio
async def test_a_second_sync_of_the_same_table_is_refused(db_url: str) -> None:
    async with Sandbox(customers=200, seed=20) as sb, _client(sb) as client:
        async with _sync(client, db_url):
            with pytest.raises(mm.SyncLockedError, match="one sync per table") as caught:
                async with _sync(client, db_url):
                    pass
            assert str(os.getpid()) in caught.value.owner
        async with _sync(client, db_url) as after:  # released on exit
            await after.backfill()


@pytest.mark.anyio
async def test_several_tables_with_their_own_groups_do_not_interfere(db_url: str) -> None:
    async with (
        Sandbox(customers=1500, seed=21) as sb,
        _client(sb) as client,
        _sync(client, db_url, table="crm_a", group="crm-a") as a,
        _sync(client, db_url, table="crm_b", group="crm-b") as b,
    ):
        await a.backfill()
        await b.backfill()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(a.run)
            tasks.start_soon(b.run)
            await anyio.sleep(0.3)
            sb.update_customers(50, seed=10)
            sb.sign_up(5)
            await wait_until_equal(db_url, sb, table="crm_a")
            await wait_until_equal(db_url, sb, table="crm_b")
            tasks.cancel_scope.cancel()


# -- randomized ------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("seed", range(SYNC_SEEDS))
async def test_randomized_changes_faults_and_restarts(db_url: str, seed: int) -> None:
    rng = random.Random(seed)
    async with Sandbox(customers=rng.randrange(200, 3000), seed=seed) as sb, _client(sb) as client:
        for _round in range(rng.randrange(2, 5)):
            config = sb.config
            config.insert_per_call = rng.choice((0, 0, 1, 5))
            config.delete_per_call = rng.choice((0, 0, 1, 3))
            config.update_per_call = rng.choice((0, 2, 10))
            options = {
                "page_size": rng.choice((100, 500, 2000)),
                "concurrency": rng.randrange(1, 9),
            }
            async with _sync(client, db_url, **options) as sync:
                with anyio.move_on_after(rng.choice((0.2, 0.5, 30))):
                    await sync.backfill()
                config.insert_per_call = config.delete_per_call = config.update_per_call = 0
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(sync.run)
                    for _ in range(rng.randrange(1, 6)):
                        await anyio.sleep(rng.random() * 0.3)
                        match rng.randrange(6):
                            case 0:
                                sb.sign_up(rng.randrange(1, 30))
                            case 1:
                                sb.delete_customers(rng.randrange(1, 10), seed=rng.randrange(10**6))
                            case 2:
                                sb.feed.drop_after(rng.randrange(1, 20), group="crm-sync")
                            case 3:
                                sb.feed.replay(rng.randrange(1, 50), group="crm-sync")
                                sb.feed.restart()
                            case _:
                                sb.update_customers(rng.randrange(1, 60), seed=rng.randrange(10**6))
                    await anyio.sleep(rng.random() * 0.3)
                    tasks.cancel_scope.cancel()  # a stop at a random moment
        async with _sync(client, db_url) as last:
            await _follow_until_equal(last, db_url, sb, within=30)


# -- the command line --------------------------------------------------------------------


@pytest.mark.anyio
async def test_cli_once_then_a_second_process_is_refused(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    async with Sandbox(customers=800, seed=22) as sb:
        done = await anyio.run_process(
            [*CLI, "sync", "customers", "--db", url, "--group", "g", "--once"],
            env=environment(sb),
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert b"sync of customers done: walk 1: 800 customers listed" in done.stderr
        assert not differences(await table_rows(url), sb)

        holder = await _start_cli(sb, url)
        async with holder:
            with anyio.fail_after(30):
                while not (await _state(url)).get("walk_finished_at", "").isdigit() or not (
                    await _state(url)
                ).get("lock"):
                    await anyio.sleep(0.05)
            second = await anyio.run_process(
                [*CLI, "sync", "customers", "--db", url, "--group", "g", "--once"],
                env=environment(sb),
                check=False,
            )
            assert second.returncode == 1
            assert b"is synced by process" in second.stderr
            assert len(second.stderr.strip().splitlines()) == 1
            holder.send_signal(signal.SIGINT)  # a clean stop: exit 0 and a summary
            assert holder.stderr is not None
            stderr = await drain(holder.stderr)
            await holder.wait()
        assert holder.returncode == 0, stderr
        assert "sync of customers stopped" in stderr and "run the same command" in stderr


@pytest.mark.anyio
async def test_cli_rejects_a_bad_database_url(tmp_path: Any) -> None:
    async with Sandbox(customers=10) as sb:
        bad = await anyio.run_process(
            [*CLI, "sync", "customers", "--db", "mysql://x/y", "--group", "g"],
            env=environment(sb),
            check=False,
        )
    assert bad.returncode == 2
    assert b"unsupported database" in bad.stderr
