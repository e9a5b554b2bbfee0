"""Customer sync benchmark: backfill throughput, event apply latency, memory.

    python benchmarks/sync.py                  # 1,000,000 customers; results in benchmarks/results/
    python benchmarks/sync.py --quick          # 100,000 customers, one run each, shorter drive
    python benchmarks/sync.py --customers N    # another size

Three measures of ``mm.CustomerSync``, into SQLite (a file) and into PostgreSQL (a throwaway
cluster started for the run, see ``tests/_postgres.py``):

1. Backfill: ``await sync.backfill()`` of every customer into an empty table, in records/s,
   beside ``mm.export(client.customers.list(...), "x.jsonl")`` of the same customers (the
   ``sdk`` client of ``benchmarks/_clients.py``), same page size and concurrency. Target: at
   least half the export's rate. Beside them the floor of each database: a bare loop writing
   the same walk's pages the plainest way (SQLite ``executemany`` of an ``INSERT``,
   PostgreSQL ``COPY`` into the table).
2. Event apply latency: ``sync.backfill()`` then ``sync.run()`` while the sandbox changes customers
   (a login each) at 1,000 per second; each event's latency is from its ``updateTime`` (the
   change, stamped by the sandbox on this machine's clock) to the commit of the transaction
   that applied it. The table's ``mm_synced_at - update_time`` (taken when the transaction
   starts) is shown beside it.
3. Peak RSS of the syncing process, backfilling into SQLite a tenth of the customers (quick:
   a fifth) and all of them.

The sandbox runs in its own process, pre-warmed, with every page of the listing cached, so the
measures are of the clients. Each measured client runs in a fresh process; its peak RSS is its
own. Before each run the parent flushes the page cache's dirty pages (``os.sync``), so a run
does not pay for the writes of the one before it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
ROOT = HERE.parent
RESULTS = HERE / "results"
SELF = [sys.executable, str(Path(__file__).resolve())]
EXPORT_CLIENT = [sys.executable, str(HERE / "_clients.py"), "sdk"]
PAGE_SIZE = 2000
CONCURRENCY = 4  # CustomerSync's default; the export runs with the same
EVENT_RATE = 1000  # customer changes per second while following
TICK = 0.01  # seconds between the driver's batches of changes
TARGET_RATIO = 0.5  # backfill records/s against the export's
IDLE_SECONDS = 1.0  # no writes for this long: the sync is waiting for events
DRAIN_TIMEOUT = 30.0  # seconds to wait for the last events to be applied
SERIAL = itertools.count(1)  # numbers the tables and SQLite files of a run


def peak_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def emit(value: dict[str, Any]) -> None:
    """One protocol line on stdout."""
    print(json.dumps(value), flush=True)


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    """Count, p50, p90, p99 and max of ``values`` (milliseconds)."""
    if not values:
        return {"count": 0, "p50": None, "p90": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    return {
        "count": len(ordered),
        "p50": rank(0.50),
        "p90": rank(0.90),
        "p99": rank(0.99),
        "max": ordered[-1],
    }


# -- CPU time of other processes (Linux) ------------------------------------------------------


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def process_cpu(pid: int, *, reaped: bool = False) -> float:
    """CPU seconds (user + system) of ``pid``; with ``reaped``, plus those of the children it
    has waited for."""
    fields = _stat(pid)
    ticks = sum(int(value) for value in fields[11 : 15 if reaped else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_cpu(root: int) -> float:
    """CPU seconds of ``root``, its live children and the children it has reaped (a
    PostgreSQL server: the postmaster and its backends)."""
    total = process_cpu(root, reaped=True)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(_stat(int(entry))[1]) == root:
                    total += process_cpu(int(entry))
    return total


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """CPU seconds spent by the sandbox, the PostgreSQL server and the waited-for client
    process between ``start`` and ``stop`` (None where this platform cannot tell)."""

    def __init__(self, sandbox_pid: int, postgres_pid: int | None) -> None:
        self.sandbox_pid = sandbox_pid
        self.postgres_pid = postgres_pid
        self._before: dict[str, float | None] = {}

    def _read(self) -> dict[str, float | None]:
        readings: dict[str, float | None] = {"client": children_cpu()}
        for name, pid, read in (
            ("sandbox", self.sandbox_pid, process_cpu),
            ("postgres", self.postgres_pid, tree_cpu),
        ):
            readings[name] = None
            if pid is not None:
                with contextlib.suppress(OSError, IndexError, ValueError):
                    readings[name] = read(pid)
        return readings

    def start(self) -> None:
        self._before = self._read()

    def stop(self) -> dict[str, float | None]:
        after = self._read()
        spent: dict[str, float | None] = {}
        for name, value in after.items():
            before = self._before.get(name)
            spent[f"cpu_{name}_s"] = None if value is None or before is None else value - before
        return spent


# -- the sandbox process -----------------------------------------------------------------------


async def serve(customers: int) -> None:
    """A sandbox of ``customers`` with every page of the listing cached once read; prints its
    settings, then answers ``drive RATE SECONDS`` lines on stdin until stdin closes."""
    import multimarkets_async.sandbox.handlers.customers as listing
    from multimarkets_async.sandbox import Sandbox

    listing.PAGE_CACHE_ENTRIES = max(listing.PAGE_CACHE_ENTRIES, customers // PAGE_SIZE + 64)
    async with Sandbox(customers=customers, seed=1) as sb:
        emit({"credentials": sb.credentials(), "pid": os.getpid()})
        while line := await asyncio.to_thread(sys.stdin.readline):
            command, *values = line.split()
            if command == "drive":
                emit(await drive(sb, float(values[0]), float(values[1])))


async def drive(sb: Any, rate: float, seconds: float) -> dict[str, Any]:
    """Change customers (a login each) at ``rate`` per second for ``seconds``, in ticks."""
    started_ms = time.time() * 1000
    started = time.perf_counter()
    done = ticks = 0
    while True:
        elapsed = min(time.perf_counter() - started, seconds)
        due = int(rate * elapsed) - done
        if due > 0:
            sb.update_customers(due, kind="login")
            done += due
            ticks += 1
        if elapsed >= seconds:
            break
        await asyncio.sleep(TICK)
    took = time.perf_counter() - started
    return {"changes": done, "ticks": ticks, "seconds": took, "started_ms": started_ms}


class Server:
    """The sandbox process."""

    def __init__(self, customers: int) -> None:
        self.process = subprocess.Popen(
            [*SELF, "--serve", str(customers)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        settings = self._reply()
        self.credentials: dict[str, Any] = settings["credentials"]
        self.pid = int(settings["pid"])
        self.base = str(self.credentials["base_url"])

    def _reply(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the sandbox process exited ({self.process.wait()})")
        return dict(json.loads(line))

    def drive(self, rate: float, seconds: float) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(f"drive {rate} {seconds}\n")
        self.process.stdin.flush()
        return self._reply()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            assert self.process.stdin is not None
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(timeout=10)


# -- the client processes ----------------------------------------------------------------------


def time_writes(sync: Any, committed: Callable[[Any], None] | None = None) -> dict[str, Any]:
    """Time every batch the sync writes (each one transaction): seconds inside writes, their
    number, and when the walk's last write (the one that sweeps) returned."""
    store = sync._store
    write = store.write
    timing: dict[str, Any] = {"write_s": 0.0, "writes": 0, "walked_at": None}

    async def timed(batch: Any) -> Any:
        started = time.perf_counter()
        result = await write(batch)
        ended = time.perf_counter()
        timing["write_s"] += ended - started
        timing["writes"] += 1
        if batch.sweep_before is not None:
            timing["walked_at"] = ended
        if committed is not None:
            committed(batch)
        return result

    store.write = timed
    return timing


async def table_rows(database: str, table: str, *, drop: bool = False) -> int:
    """The rows of ``table``; with ``drop``, a PostgreSQL table is dropped after counting (so
    the next run meets the same server)."""
    rows = int((await query(database, f"SELECT count(*) FROM {table}"))[0][0])
    if drop and not database.startswith("sqlite"):
        await query(database, f"DROP TABLE {table}")
        await query(database, f"DROP TABLE IF EXISTS {table}_sync")
    return rows


async def query(database: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` in the synced database (a connection of its own)."""
    if database.startswith("sqlite"):
        import sqlite3

        connection = sqlite3.connect(database.split("://", 1)[1][1:])
        try:
            return list(connection.execute(sql.replace("$1", "?"), args))
        finally:
            connection.close()
    import asyncpg

    connection = await asyncpg.connect(database)
    try:
        return [tuple(row) for row in await connection.fetch(sql, *args)]
    finally:
        await connection.close()


def new_sync(client: Any, settings: dict[str, Any]) -> Any:
    import multimarkets_async as mm

    return mm.CustomerSync(
        client,
        settings["database"],
        group=settings["group"],
        table=settings["table"],
        page_size=PAGE_SIZE,
        concurrency=CONCURRENCY,
    )


async def client_backfill(settings: dict[str, Any]) -> dict[str, Any]:
    """``backfill()`` into an empty table; timed from entering the sync (after login)."""
    import multimarkets_async as mm

    async with mm.ManagerClient(**settings["credentials"]) as client:
        await client.company()
        started = time.perf_counter()
        sync = new_sync(client, settings)
        timing = time_writes(sync)
        async with sync:
            stats = await sync.backfill()
            seconds = time.perf_counter() - started
    rows = await table_rows(settings["database"], settings["table"], drop=True)
    copy = (timing["walked_at"] or started + seconds) - started
    return {
        "records": stats.walk_records,
        "rows": rows,
        "seconds": seconds,
        "copy_seconds": copy,
        "write_s": timing["write_s"],
        "writes": timing["writes"],
        "peak_rss_mib": peak_mib(),
        "stats": str(stats),
    }


async def client_bare(settings: dict[str, Any]) -> dict[str, Any]:
    """The floor: the same walk (``pages()``, same page size and concurrency), each page
    written in one transaction the plainest way its database takes it: SQLite, an
    ``executemany`` of a plain ``INSERT`` in a worker thread (same pragmas as the sync);
    PostgreSQL, a ``COPY`` straight into the table. Same table, columns and index as the
    sync's; no checkpoint, no upsert rules, no events."""
    import anyio

    import multimarkets_async as mm
    from multimarkets_async.sync._schema import NAMES, row_of, statements

    database, table = settings["database"], settings["table"]
    sqlite = database.startswith("sqlite")
    sql = statements(
        table, (lambda i: f"?{i}") if sqlite else (lambda i: f"${i}"), big_int="BIGINT"
    )
    insert = f"INSERT INTO {table} ({', '.join(NAMES)}) VALUES ({', '.join('?' * len(NAMES))})"
    async with mm.ManagerClient(**settings["credentials"]) as client:
        await client.company()
        started = time.perf_counter()
        if sqlite:
            import sqlite3

            connection = sqlite3.connect(
                database.split("://", 1)[1][1:], isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")
            for statement in (*sql.create, *sql.indexes):
                connection.execute(statement)

            def write(rows: list[tuple[Any, ...]]) -> None:
                connection.execute("BEGIN IMMEDIATE")
                connection.executemany(insert, rows)
                connection.execute("COMMIT")

        else:
            import asyncpg

            pg = await asyncpg.connect(database)
            for statement in (*sql.create, *sql.indexes):
                await pg.execute(statement)
        records = 0
        listing = client.customers.list(page_size=PAGE_SIZE, concurrency=CONCURRENCY)
        async with listing.pages() as pages:
            async for page in pages:
                now = int(time.time() * 1000)
                tail = (None, "walk", 1, now)
                rows = [row_of(customer) + tail for customer in page.records]
                if sqlite:
                    await anyio.to_thread.run_sync(write, rows)
                else:
                    async with pg.transaction():
                        await pg.copy_records_to_table(table, columns=list(NAMES), records=rows)
                records += len(rows)
        seconds = time.perf_counter() - started
        if sqlite:
            connection.close()
        else:
            await pg.close()
    return {
        "records": records,
        "rows": await table_rows(database, table, drop=True),
        "seconds": seconds,
        "peak_rss_mib": peak_mib(),
    }


async def client_follow(settings: dict[str, Any]) -> dict[str, Any]:
    """``backfill()`` into an empty table, then ``run()``: prints ``ready`` once it waits for
    events, then applies what the driver changes; reads ``{"expect": n}`` and stops once ``n``
    events are committed. Latency per event: its ``updateTime`` to the commit of its batch."""
    import multimarkets_async as mm

    latencies: list[float] = []
    since = math.inf  # events of changes from this epoch ms on are the driver's

    def committed(batch: Any) -> None:
        now = time.time() * 1000
        latencies.extend(
            now - update.update_time for update in batch.updates if update.update_time >= since
        )

    async with mm.ManagerClient(**settings["credentials"]) as client:
        await client.company()
        sync = new_sync(client, settings)
        timing = time_writes(sync, committed)
        async with sync:
            started = time.perf_counter()
            await sync.backfill()
            backfilled = time.perf_counter() - started
            task = asyncio.create_task(sync.run())
            writes = -1
            while writes != timing["writes"]:  # whatever was queued is applied: idle
                writes = timing["writes"]
                await asyncio.sleep(IDLE_SECONDS)
                if task.done():
                    task.result()
            since = time.time() * 1000
            emit({"ready": True, "backfill_seconds": backfilled})
            expected = int(json.loads(await asyncio.to_thread(sys.stdin.readline))["expect"])
            seen, quiet_since = -1, time.monotonic()
            while len(latencies) < expected and time.monotonic() - quiet_since < DRAIN_TIMEOUT:
                if len(latencies) != seen:
                    seen, quiet_since = len(latencies), time.monotonic()
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            stats = sync.stats
    table = await query(
        settings["database"],
        f"SELECT mm_synced_at - update_time FROM {settings['table']} "
        "WHERE mm_source = 'event' AND update_time >= $1",
        int(since),
    )
    return {
        "per_event_ms": percentiles(latencies),
        "table_ms": percentiles([float(row[0]) for row in table]),
        "events_received": stats.events_received,
        "events_applied": stats.events_applied,
        "events_skipped": stats.events_skipped,
        "backfill_seconds": backfilled,
        "peak_rss_mib": peak_mib(),
    }


CLIENTS = {"backfill": client_backfill, "bare": client_bare, "follow": client_follow}


def child_main(kind: str) -> None:
    settings = json.loads(sys.stdin.readline())
    emit(asyncio.run(CLIENTS[kind](settings)))


class Child:
    """A client in its own process; settings on its stdin, JSON lines back."""

    def __init__(self, kind: str, settings: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [*SELF, "--client", kind], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.send(settings)

    def send(self, value: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(value) + "\n")
        self.process.stdin.flush()

    def reply(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with contextlib.suppress(ValueError):
                value = json.loads(line)
                if isinstance(value, dict):
                    return value
        raise RuntimeError(f"the client process failed (exit {self.process.wait()})")

    def finish(self) -> dict[str, Any]:
        value = self.reply()
        self.process.wait(timeout=60)
        return value


# -- the measures ------------------------------------------------------------------------------


class Bench:
    """The sandbox, the databases and the scratch directory of one measure."""

    def __init__(self, server: Server, scratch: Path, postgres: str | None, pg_pid: int | None):
        self.server = server
        self.scratch = scratch
        self.postgres = postgres
        self.meter = CpuMeter(server.pid, pg_pid)

    def database(self, kind: str, serial: int) -> str:
        if kind == "postgresql":
            assert self.postgres is not None
            return self.postgres
        return f"sqlite:///{self.scratch / f'sync-{serial}.db'}"

    def export(self, expected: int) -> dict[str, Any]:
        out = self.scratch / "export.jsonl"
        os.sync()
        self.meter.start()
        done = subprocess.run(
            [*EXPORT_CLIENT, str(CONCURRENCY), self.server.base, str(out)],
            capture_output=True,
            text=True,
            check=True,
        )
        cpu = self.meter.stop()
        out.unlink(missing_ok=True)
        run: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        if run["records"] != expected:
            raise SystemExit(f"the export wrote {run['records']} records, expected {expected}")
        return {**run, **cpu, "records_per_s": run["records"] / run["seconds"]}

    def settings(self, kind: str) -> dict[str, Any]:
        """A new table (and SQLite file) and group."""
        serial = next(SERIAL)
        return {
            "credentials": self.server.credentials,
            "database": self.database(kind, serial),
            "table": f"customers_{serial}",
            "group": f"bench-sync-{serial}",
        }

    def forget(self, settings: dict[str, Any]) -> None:
        """Delete the SQLite file of ``settings`` (its PostgreSQL table is dropped by the
        client that made it)."""
        database = str(settings["database"])
        if database.startswith("sqlite"):
            path = database.split("://", 1)[1][1:]
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)

    def backfill(self, kind: str, expected: int, client: str = "backfill") -> dict[str, Any]:
        """``client`` (``backfill``: the sync; ``bare``: the floor) into a new table."""
        settings = self.settings(kind)
        os.sync()
        self.meter.start()
        run = Child(client, settings).finish()
        cpu = self.meter.stop()
        self.forget(settings)
        if run["records"] != expected or run["rows"] != expected:
            raise SystemExit(
                f"{client} into {kind}: {run['records']} customers listed, {run['rows']} rows "
                f"in the table, expected {expected}"
            )
        run |= cpu
        run["records_per_s"] = run["records"] / run["seconds"]
        if "copy_seconds" in run:
            run["copy_records_per_s"] = run["records"] / run["copy_seconds"]
        return run

    def follow(self, kind: str, seconds: float) -> dict[str, Any]:
        """A backfill, then ``run()`` while the sandbox changes customers for ``seconds``."""
        settings = self.settings(kind)
        child = Child("follow", settings)
        child.reply()  # ready
        driven = self.server.drive(EVENT_RATE, seconds)
        child.send({"expect": driven["changes"]})
        run = child.finish()
        self.forget(settings)
        return {**run, "driven": driven}


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]


@contextlib.contextmanager
def postgres_server(scratch: Path, log: Callable[[str], None]) -> Iterator[tuple[str, int] | None]:
    """A throwaway PostgreSQL cluster (``tests/_postgres.py``): its URL and postmaster pid;
    None where this machine has no PostgreSQL."""
    sys.path.insert(0, str(ROOT / "tests"))
    from _postgres import PostgresMissing, throwaway_postgres

    directory = scratch / "postgres"
    directory.mkdir()
    try:
        with throwaway_postgres(directory) as url:
            pid = int((directory / "data" / "postmaster.pid").read_text().split()[0])
            yield url, pid
    except PostgresMissing as missing:
        log(f"PostgreSQL not measured: {missing}")
        yield None


def measure(customers: int, quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    repeats = 1 if quick else 3
    drive_seconds = 5.0 if quick else 20.0
    small = max(PAGE_SIZE, customers // (5 if quick else 10))
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="mm-sync-bench-"))
    scratch.chmod(0o755)  # the PostgreSQL server's user reaches its directory inside
    try:
        with postgres_server(scratch, log) as postgres:
            url, pg_pid = postgres if postgres is not None else (None, None)
            kinds = ["sqlite"] + (["postgresql"] if url else [])
            log(f"backfill of {customers:,} customers, median of {repeats}")
            server = Server(customers)
            try:
                bench = Bench(server, scratch, url, pg_pid)
                bench.export(customers)  # pre-warm: every page generated and cached
                names = ["export"] + [
                    f"{prefix}{kind}" for kind in kinds for prefix in ("", "bare_")
                ]
                runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
                for _ in range(repeats):
                    runs["export"].append(bench.export(customers))
                    rate = runs["export"][-1]["records_per_s"]
                    log(f"  {NAMES['export']:30s} {rate:>9,.0f} rec/s")
                    for kind in kinds:
                        for client, name in (("backfill", kind), ("bare", f"bare_{kind}")):
                            runs[name].append(bench.backfill(kind, customers, client))
                            rate = runs[name][-1]["records_per_s"]
                            log(f"  {NAMES[name]:30s} {rate:>9,.0f} rec/s")
                backfill = {name: median_run(done) for name, done in runs.items()}
                latency = {}
                for kind in kinds:
                    log(f"event apply latency, {kind}, {EVENT_RATE:,}/s for {drive_seconds:.0f} s")
                    latency[kind] = bench.follow(kind, drive_seconds)
                    found = latency[kind]["per_event_ms"]
                    log(f"  p50 {found['p50']:.1f} ms, p99 {found['p99']:.1f} ms")
            finally:
                server.close()
            log(f"peak RSS, SQLite backfill of {small:,} customers")
            server = Server(small)
            try:
                bench = Bench(server, scratch, None, None)
                bench.export(small)  # pre-warm
                small_run = median_run([bench.backfill("sqlite", small) for _ in range(repeats)])
            finally:
                server.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    big_peak = backfill["sqlite"]["peak_rss_mib"]
    memory = {
        "small_customers": small,
        "big_customers": customers,
        "small_peak_mib": small_run["peak_rss_mib"],
        "big_peak_mib": big_peak,
        "ratio": big_peak / small_run["peak_rss_mib"],
        "growth_mib": big_peak - small_run["peak_rss_mib"],
        "ids_mib": 8 * (customers - small) / 2**20,
        "small_run": small_run,
    }
    return {
        "customers": customers,
        "quick": quick,
        "page_size": PAGE_SIZE,
        "concurrency": CONCURRENCY,
        "repeats": repeats,
        "event_rate": EVENT_RATE,
        "drive_seconds": drive_seconds,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "postgres": bool(url),
        "backfill": backfill,
        "runs": runs,
        "latency": latency,
        "memory": memory,
        "seconds": time.perf_counter() - started,
    }


# -- the report --------------------------------------------------------------------------------

NAMES = {
    "export": "JSONL export",
    "sqlite": "SQLite",
    "postgresql": "PostgreSQL",
    "bare_sqlite": "bare loop → SQLite (floor)",
    "bare_postgresql": "bare loop → PostgreSQL (floor)",
}


def targets(result: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    export = result["backfill"]["export"]["records_per_s"]
    checks: list[tuple[str, str, bool | None]] = []
    for kind in ("sqlite", "postgresql"):
        run = result["backfill"].get(kind)
        if run is None:
            checks.append((f"backfill into {NAMES[kind]} ≥ 0.5× JSONL export", "not run", None))
            continue
        ratio = run["records_per_s"] / export
        checks.append(
            (
                f"backfill into {NAMES[kind]} ≥ {TARGET_RATIO}× JSONL export (records/s)",
                f"{ratio:.2f}× ({run['records_per_s']:,.0f} vs {export:,.0f})",
                ratio >= TARGET_RATIO,
            )
        )
    memory = result["memory"]
    checks.append(
        (
            f"peak RSS flat: SQLite backfill, {memory['big_customers']:,} vs "
            f"{memory['small_customers']:,} customers, growth within the walk's ids "
            f"(8 B each: {memory['ids_mib']:.1f} MiB) + 15 MiB",
            f"{memory['ratio']:.2f}× ({memory['growth_mib']:+.1f} MiB)",
            memory["growth_mib"] <= memory["ids_mib"] + 15,
        )
    )
    return checks


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}"


def _cpu(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def report(result: dict[str, Any], checks: list[tuple[str, str, bool | None]]) -> str:
    backfill, memory = result["backfill"], result["memory"]
    export = backfill["export"]
    more = memory["big_customers"] - memory["small_customers"]
    met = {True: "yes", False: "**no**", None: "not run"}
    lines = [
        "# Customer sync benchmark",
        "",
        f"{result['customers']:,} customers, {result['page_size']:,} per page, concurrency "
        f"{result['concurrency']} for every client; sandbox in its own process (pre-warmed, "
        f"every page cached), each client in a fresh process. Python {result['python']} on "
        f"{result['machine']}; median of {result['repeats']} run(s); whole run "
        f"{result['seconds']:.0f} s.",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *(f"| {name} | {value} | {met[ok]} |" for name, value, ok in checks),
        "",
        "## Backfill",
        "",
        "`await sync.backfill()` into an empty table, timed from entering the sync (after "
        "login) to its return: the copy (every page one transaction with the walk's checkpoint, "
        "then the sweep), then the events queued meanwhile, which ends after "
        '`settle` (1 s) without one. "copy" stops at the copy\'s last commit. The export is '
        "`mm.export(client.customers.list(...), 'x.jsonl')`, timed from its first page "
        "request to the file made durable. SQLite: WAL, `synchronous = FULL`; PostgreSQL: the "
        "test cluster of `tests/_postgres.py` (`fsync = off`, `synchronous_commit = off`). "
        'The floor ("bare loop"): the same walk (`pages()`), each page written in one '
        "transaction the plainest way: SQLite, `executemany` of a plain `INSERT` in a worker "
        "thread, same pragmas; PostgreSQL, `COPY` straight into the table; same table and "
        "index, no checkpoint, no upsert rules. "
        '"× floor": the sync against the floor of its database. "in writes": seconds the '
        "sync spent awaiting its database writes; CPU: seconds of the client process, the "
        "sandbox and the PostgreSQL server during the run.",
        "",
        "| client | seconds | records/s | × export | × floor | copy s | copy records/s "
        "| in writes s | CPU client s | CPU sandbox s | CPU PostgreSQL s | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind in ("export", "sqlite", "bare_sqlite", "postgresql", "bare_postgresql"):
        run = backfill.get(kind)
        if run is None:
            continue
        floor = backfill.get(f"bare_{kind}")
        versus = "" if floor is None else f"{run['records_per_s'] / floor['records_per_s']:.2f}"
        copy = ["", "", ""]
        if "copy_seconds" in run:
            copy = [
                f"{run['copy_seconds']:.2f}",
                f"{run['copy_records_per_s']:,.0f}",
                f"{run['write_s']:.2f}",
            ]
        cells = [
            NAMES[kind],
            f"{run['seconds']:.2f}",
            f"{run['records_per_s']:,.0f}",
            f"{run['records_per_s'] / export['records_per_s']:.2f}",
            versus,
            *copy,
            _cpu(run["cpu_client_s"]),
            _cpu(run["cpu_sandbox_s"]),
            _cpu(run["cpu_postgres_s"]) if kind.endswith("postgresql") else "",
            f"{run['peak_rss_mib']:.1f}",
        ]
        lines.append(f"| {' | '.join(cells)} |")
    lines += [
        "",
        "Every run (records/s): "
        + "; ".join(
            f"{NAMES[kind]} "
            + ", ".join(f"{run['records'] / run['seconds']:,.0f}" for run in result["runs"][kind])
            for kind in result["runs"]
        )
        + ".",
        "",
        "## Event apply latency",
        "",
        "`await sync.backfill()` into an empty table, then `await sync.run()` on the same "
        f"sync, while the sandbox changes {result['event_rate']:,} "
        f"customers a second (a login each, in {TICK * 1000:.0f} ms ticks) for "
        f"{result['drive_seconds']:.0f} s. Per event: from its `updateTime` (the change) to "
        "the commit of the transaction that applied it. Table: `mm_synced_at - update_time` "
        "of the rows the events wrote last (`mm_synced_at` is taken as the transaction starts).",
        "",
        "| database | changes | rate /s | events applied | p50 ms | p90 ms | p99 ms | max ms "
        "| table p50 ms | table p99 ms | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, run in result["latency"].items():
        event, table, driven = run["per_event_ms"], run["table_ms"], run["driven"]
        lines.append(
            f"| {NAMES[kind]} | {driven['changes']:,} | "
            f"{driven['changes'] / driven['seconds']:,.0f} | {event['count']:,} | "
            f"{_ms(event['p50'])} | {_ms(event['p90'])} | {_ms(event['p99'])} | "
            f"{_ms(event['max'])} | {_ms(table['p50'])} | {_ms(table['p99'])} | "
            f"{run['peak_rss_mib']:.1f} |"
        )
    lines += [
        "",
        "## Memory",
        "",
        "Peak RSS (`ru_maxrss`) of the syncing process, backfilling into SQLite:",
        "",
        "| customers | peak RSS MiB |",
        "|---|---|",
        f"| {memory['small_customers']:,} | {memory['small_peak_mib']:.1f} |",
        f"| {memory['big_customers']:,} | {memory['big_peak_mib']:.1f} |",
        "",
        f"{memory['ratio']:.2f}× for {memory['big_customers'] / memory['small_customers']:.0f}× "
        f"the customers ({memory['growth_mib']:+.1f} MiB). By design the walk keeps every "
        "customer id it has listed, 8 bytes each (de-duplication and the exact walk's proof), "
        f"{memory['ids_mib']:.1f} MiB for the {more:,} more.",
        "",
    ]
    return "\n".join(lines)


def summary(result: dict[str, Any], checks: list[tuple[str, str, bool | None]]) -> str:
    """The section of ``results.md``."""
    backfill, memory = result["backfill"], result["memory"]
    export = backfill["export"]["records_per_s"]
    parts = [
        f"{NAMES[kind]} {backfill[kind]['records_per_s']:,.0f} records/s "
        f"({backfill[kind]['records_per_s'] / export:.2f}× the export, "
        f"{backfill[kind]['records_per_s'] / backfill[f'bare_{kind}']['records_per_s']:.2f}× "
        "a bare loop into the same database)"
        for kind in ("sqlite", "postgresql")
        if kind in backfill
    ]
    latency = "; ".join(
        f"{NAMES[kind]} p50 {_ms(run['per_event_ms']['p50'])} ms, "
        f"p99 {_ms(run['per_event_ms']['p99'])} ms"
        for kind, run in result["latency"].items()
    )
    failed = [name for name, _, ok in checks if ok is False]
    return (
        f"Backfill of {result['customers']:,} customers: {', '.join(parts)}, against the JSONL "
        f"export's {export:,.0f}. Event apply latency at {result['event_rate']:,} changes/s: "
        f"{latency}. Peak RSS of a SQLite backfill: {memory['small_peak_mib']:.1f} MiB for "
        f"{memory['small_customers']:,} customers, {memory['big_peak_mib']:.1f} MiB for "
        f"{memory['big_customers']:,} ({memory['growth_mib']:+.1f} MiB). "
        + (f"Targets missed: {'; '.join(failed)}. " if failed else "All targets met. ")
        + "See [sync.md](sync.md)."
    )


SECTION = "## Customer sync"


def merge(result: dict[str, Any], checks: list[tuple[str, str, bool | None]]) -> None:
    """Add (or replace) the sync's key of ``results.json`` and section of ``results.md``,
    leaving the rest of both as they are."""
    data_path, text_path = RESULTS / "results.json", RESULTS / "results.md"
    data = json.loads(data_path.read_text()) if data_path.exists() else {}
    data["sync"] = {
        "customers": result["customers"],
        "records_per_s": {k: v["records_per_s"] for k, v in result["backfill"].items()},
        "latency_ms": {
            k: {q: v["per_event_ms"][q] for q in ("p50", "p99")}
            for k, v in result["latency"].items()
        },
        "peak_rss_mib": {
            str(result["memory"]["small_customers"]): result["memory"]["small_peak_mib"],
            str(result["memory"]["big_customers"]): result["memory"]["big_peak_mib"],
        },
        "targets": [{"target": n, "measured": v, "met": ok} for n, v, ok in checks],
    }
    data_path.write_text(json.dumps(data, indent=1))
    text = text_path.read_text() if text_path.exists() else ""
    start = text.find(f"\n{SECTION}\n")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + (text[end:] if end >= 0 else "\n")
    text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{summary(result, checks)}\n"
    text_path.write_text(text)


def print_table(result: dict[str, Any], checks: list[tuple[str, str, bool | None]]) -> None:
    export = result["backfill"]["export"]["records_per_s"]
    print()
    print(f"{'measure':50s} {'value':>14s} {'× export':>9s} {'× floor':>8s}")
    for kind, run in result["backfill"].items():
        floor = result["backfill"].get(f"bare_{kind}")
        versus = "" if floor is None else f"{run['records_per_s'] / floor['records_per_s']:.2f}×"
        print(
            f"{'backfill ' + NAMES[kind] + ' (records/s)':50s} {run['records_per_s']:>14,.0f} "
            f"{run['records_per_s'] / export:>8.2f}× {versus:>8s}"
        )
    for kind, run in result["latency"].items():
        event = run["per_event_ms"]
        print(
            f"{'apply latency ' + NAMES[kind] + ' p50 / p99 (ms)':50s} "
            f"{_ms(event['p50']):>6s} / {_ms(event['p99']):>6s}"
        )
    memory = result["memory"]
    label = f"peak RSS SQLite {memory['small_customers']:,} → {memory['big_customers']:,} (MiB)"
    print(
        f"{label:50s} {memory['small_peak_mib']:>5.1f} → {memory['big_peak_mib']:>5.1f} "
        f"{memory['ratio']:>8.2f}×"
    )
    print()
    for name, value, ok in checks:
        print(f"[{ {True: 'met', False: 'MISSED', None: 'not run'}[ok] }] {name}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 customers, one run each")
    parser.add_argument("--customers", type=int, help="customers in the sandbox")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        asyncio.run(serve(args.serve))
        return
    if args.client:
        child_main(args.client)
        return
    customers = args.customers or (100_000 if args.quick else 1_000_000)
    log = lambda text: print(text, flush=True)  # noqa: E731
    result = measure(customers, args.quick, log)
    checks = targets(result)
    result["targets"] = [{"target": n, "measured": v, "met": ok} for n, v, ok in checks]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sync.json").write_text(json.dumps(result, indent=1))
    (RESULTS / "sync.md").write_text(report(result, checks))
    merge(result, checks)
    print_table(result, checks)


if __name__ == "__main__":
    main()
