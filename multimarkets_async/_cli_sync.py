"""``multimarkets-async sync customers``: keep a database table equal to the API's customers.

A progress bar while the listing is copied, then a live line (events/s, lag); Ctrl-C or
SIGTERM stops cleanly (exit 0, a summary); a second signal stops at once. Any failure is one
line on stderr and a non-zero exit (see ``cli.main``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

import anyio

from ._progress import progress_for
from .client import ManagerClient
from .sync import CustomerSync, SyncStats

LIVE_EVERY = 1.0  # seconds between live lines on a terminal
LOG_EVERY = 30.0  # seconds between live lines written to a file or pipe

SYNC_EPILOG_TAIL = """\
The table (default "customers") has the customer list's columns in snake_case plus mm_revision,
mm_source, mm_walk and mm_synced_at; <table>_sync holds the sync's state. Every start re-reads
the listing (continuing an interrupted copy from its checkpoint) and then applies the group's
queued events. One process per table: a second one exits with status 1.
Exit status: 0 done or stopped by Ctrl-C/SIGTERM, 1 failed, 2 bad usage or settings."""


def add_sync_parser(
    commands: Any,
    *,
    epilog_head: str,
    formatter: type[argparse.HelpFormatter],
    run: Callable[[argparse.Namespace], Awaitable[int]],
) -> None:
    """The ``sync`` command's options."""
    sync = commands.add_parser(
        "sync",
        help="keep a database table of customers equal to the API (SQLite or PostgreSQL)",
        description="Copy every customer into a database table, then follow the Data Push "
        "events of a group to keep it equal to the API, until Ctrl-C (or, with --once, return "
        "after the copy and the events queued so far).",
        epilog=f"{epilog_head}\n\n{SYNC_EPILOG_TAIL}",
        formatter_class=formatter,
    )
    sync.add_argument("what", choices=["customers"], help="what to sync")
    sync.add_argument(
        "--db",
        required=True,
        metavar="URL",
        help="sqlite:///path/to/file.db or postgresql://user:password@host:5432/dbname",
    )
    sync.add_argument(
        "--group",
        required=True,
        help="the Data Push group this table follows (one stable name per table)",
    )
    sync.add_argument("--table", default="customers", help="the table's name")
    sync.add_argument("--once", action="store_true", help="copy, apply the queued events, and exit")
    sync.add_argument("--page-size", type=int, default=2000, metavar="N", help="records per page")
    sync.add_argument(
        "--concurrency", type=int, default=4, metavar="N", help="pages in flight during the copy"
    )
    sync.add_argument("--base-url", metavar="URL", help="the API's base URL")
    sync.add_argument("--quiet", action="store_true", help="no progress output")
    sync.set_defaults(run=run, check=lambda _args: None)


async def run_sync(args: argparse.Namespace) -> int:
    """Run the sync until done (``--once``) or until a signal asks it to stop."""
    out: TextIO = sys.stderr
    progress = progress_for("customers", quiet=args.quiet)
    stopped = anyio.CancelScope()
    args.on_signal = lambda _signum: stopped.cancel()  # a clean stop; a second one is forceful
    async with ManagerClient(base_url=args.base_url) as client:
        sync = CustomerSync(
            client,
            args.db,
            group=args.group,
            table=args.table,
            page_size=args.page_size,
            concurrency=args.concurrency,
            progress=progress,
        )
        async with sync, anyio.create_task_group() as tasks:
            if not args.quiet:
                tasks.start_soon(_live_lines, sync, out)
            with stopped:
                await (sync.backfill() if args.once else sync.run())
            tasks.cancel_scope.cancel()
    ending = "stopped" if stopped.cancel_called else "done"
    print(f"sync of {args.table} {ending}: {sync.stats}", file=out)
    if stopped.cancel_called:
        print("run the same command to continue", file=out)
    return 0


async def _live_lines(sync: CustomerSync, out: TextIO) -> None:
    """Once the copy is done: a line with events/s and lag (rewritten in place on a
    terminal; every ``LOG_EVERY`` seconds otherwise)."""
    terminal = out.isatty()
    every = LIVE_EVERY if terminal else LOG_EVERY
    last_count, last_time = 0, time.monotonic()
    try:
        while True:
            await anyio.sleep(every)
            stats = sync.stats
            if stats.phase != "following":
                last_count, last_time = stats.events_received, time.monotonic()
                continue
            now = time.monotonic()
            rate = (stats.events_received - last_count) / max(now - last_time, 1e-9)
            last_count, last_time = stats.events_received, now
            line = _live_line(sync.group, stats, rate)
            out.write(f"\r{line}\x1b[K" if terminal else f"{line}\n")
            out.flush()
    finally:
        if terminal:
            out.write("\n")
            out.flush()


def _live_line(group: str, stats: SyncStats, rate: float) -> str:
    lag = "-" if stats.lag is None else f"{stats.lag:.2f} s"
    return (
        f"following {group!r}: {rate:,.0f} events/s, lag {lag}, "
        f"{stats.events_applied:,} applied, {stats.events_skipped:,} skipped, "
        f"{stats.fetches:,} read again"
    )
