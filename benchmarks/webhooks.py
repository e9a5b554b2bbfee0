"""Webhooks benchmark: adjustments/s through ``webhooks.create_app``, SQLite store vs memory.

    python benchmarks/webhooks.py            # results in benchmarks/results/webhooks.{json,md}
    python benchmarks/webhooks.py --quick    # 1,000 adjustments, one round

The app (``MemoryWallet``) runs in its own process, started fresh for every measured run
(``python benchmarks/webhooks.py --serve STORE PORT``; the SQLite file lives in a temporary
directory). The platform (``sandbox.Platform``) runs in this process: ``Platform.run`` with
50 users and N adjustments (duplicates, out-of-order cancels and cancels of orders never sent
included), 16 or 64 orders at once; the run is timed. Adjustments/s counts the calls to the
adjustment path, calls/s every call. The ledger lives in the other process, so the
reconciliation checked here is the platform's side: every adjustment ends applied or
cancelled (or cancelled before it arrived), none unresolved, every one not applied was
cancelled, and no reply is a pseudo-code (timeout, transport, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
RESULTS = HERE / "results"
SELF = [sys.executable, str(Path(__file__).resolve())]
COMPANY_ID = 439
USERS = [(f"c-{n}", f"86{n:08d}") for n in range(1, 51)]
STORES = ("sqlite", "memory")
CONCURRENCY = (16, 64)
PSEUDO = {"timeout", "transport", "malformed"}
NEVER = "US_0000002"  # a cancel of an adjustment never received


# -- the app process -------------------------------------------------------------------------


async def serve(store: str, port: int) -> None:
    """The webhook app for a ``MemoryWallet`` on 127.0.0.1:``port``; prints ``ready``, then
    serves until SIGTERM (then cleans up, the temporary directory included)."""
    from aiohttp import web

    from multimarkets_async import webhooks

    with tempfile.TemporaryDirectory() as tmp:
        spec = f"sqlite:///{tmp}/webhooks.db" if store == "sqlite" else "memory"
        app = webhooks.create_app(webhooks.MemoryWallet(), company_id=COMPANY_ID, store=spec)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        print("ready", flush=True)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The app process."""

    def __init__(self, store: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [*SELF, "--serve", store, str(self.port)], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            self.stop()
            raise RuntimeError(f"the {store} app did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- the platform (this process) -------------------------------------------------------------


async def measure(url: str, count: int, concurrency: int, seed: int) -> dict[str, Any]:
    from multimarkets_async.sandbox import Platform
    from multimarkets_async.sandbox._platform import ADJUST_PATH

    async with Platform(url, company_id=COMPANY_ID, seed=seed, timeout=3.0) as p:
        started = time.perf_counter()
        report = await p.run(USERS, count, concurrency=concurrency)
        seconds = time.perf_counter() - started
    adjustments = [o for o in report.outcomes if o.sent]
    unexpected = {
        code: n for code, n in report.codes.items() if code in PSEUDO or code.startswith("HTTP")
    }
    # Settled: applied, cancelled (reversed or never applied: ``0``/``US_0000001``), or
    # cancelled before it arrived (the cancel got ``US_0000002``; the adjustment is refused).
    never = [o for o in adjustments if not (o.applied or o.cancelled) and _last_cancel(o) == NEVER]
    exact = (
        len(adjustments) == count
        and all(o.applied or o.cancelled or o in never for o in adjustments)
        and not any(o.unresolved for o in report.outcomes)
        and all(_last_cancel(o) for o in adjustments if not o.applied)
        and not unexpected
    )
    calls = sum(report.calls.values())
    return {
        "seconds": round(seconds, 3),
        "adjust_calls": report.calls[ADJUST_PATH],
        "calls": calls,
        "adjust_per_s": round(report.calls[ADJUST_PATH] / seconds, 1),
        "calls_per_s": round(calls / seconds, 1),
        "applied": sum(o.applied for o in adjustments),
        "cancelled": sum(o.cancelled for o in adjustments),
        "cancelled_before_arrival": len(never),
        "codes": dict(sorted(report.codes.items())),
        "unexpected": unexpected,
        "exact": exact,
    }


def _last_cancel(outcome: Any) -> str | None:
    codes = [code for call, code in outcome.codes if call == "cancel"]
    return codes[-1] if codes else None


def run_one(store: str, count: int, concurrency: int, seed: int) -> dict[str, Any]:
    server = Server(store)
    try:
        return asyncio.run(measure(server.url, count, concurrency, seed))
    finally:
        server.stop()


# -- report ----------------------------------------------------------------------------------


def machine() -> str:
    import os

    return (
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs "
        f"({platform.system()} {platform.release()})"
    )


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# Webhooks benchmark",
        "",
        f"`webhooks.create_app(MemoryWallet(), store=...)` served by aiohttp in its own process "
        f"(a fresh app and store per run); `sandbox.Platform.run` in another process playing "
        f"the platform: {results['count']:,} adjustments over {len(USERS)} users, with ~5% "
        f"sent twice, ~2% raced by a cancel, failed ones cancelled, and cancels of orders never "
        f"sent. {results['machine']}; median of {results['rounds']} round(s); whole run "
        f"{results['seconds']:.0f} s.",
        "",
        "| store | concurrency | adjustments/s | calls/s | seconds | adjust calls | calls "
        "| reconciled |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in results["rows"]:
        lines.append(
            f"| {row['store']} | {row['concurrency']} | {row['adjust_per_s']:,.0f} "
            f"| {row['calls_per_s']:,.0f} | {row['seconds']:.2f} | {row['adjust_calls']:,} "
            f"| {row['calls']:,} | {'exact' if row['exact'] else 'NOT exact'} |"
        )
    lines += [
        "",
        "Adjustments/s is calls to the adjustment path (duplicates included) per second of "
        "`Platform.run`; calls/s counts every webhook call (adjustments and cancels). "
        "Reconciled: every adjustment ended applied or cancelled (reversed, never applied, or "
        "cancelled before it arrived: `US_0000002`, its late copies then get `G500`), none "
        "unresolved, and no reply was a timeout, transport failure or malformed (checked in "
        "every round; the ledger itself lives in the app's process).",
        "",
        "The SQLite store runs WAL with `synchronous=FULL`: each adjustment is two durable "
        "writes (recorded as running before the wallet is called, then its outcome), each "
        "synced before the reply, through one writer thread; the memory store keeps nothing "
        "across a restart.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 adjustments, one round")
    parser.add_argument("--serve", nargs=2, metavar=("STORE", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        store, port = args.serve
        asyncio.run(serve(store, int(port)))
        return
    count, rounds = (1_000, 1) if args.quick else (5_000, 3)
    started = time.perf_counter()
    rows = []
    for store in STORES:
        for concurrency in CONCURRENCY:
            runs = [run_one(store, count, concurrency, seed) for seed in range(rounds)]
            row = {
                key: statistics.median(run[key] for run in runs)
                for key in ("seconds", "adjust_per_s", "calls_per_s", "adjust_calls", "calls")
            }
            row.update(
                store=store,
                concurrency=concurrency,
                exact=all(run["exact"] for run in runs),
                runs=runs,
            )
            rows.append(row)
            print(
                f"{store:6} c={concurrency:<3} {row['adjust_per_s']:>8,.0f} adjustments/s "
                f"{row['calls_per_s']:>8,.0f} calls/s  exact={row['exact']}",
                flush=True,
            )
    results = {
        "machine": machine(),
        "count": count,
        "users": len(USERS),
        "rounds": rounds,
        "seconds": round(time.perf_counter() - started, 1),
        "rows": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "webhooks.json").write_text(json.dumps(results, indent=1))
    (RESULTS / "webhooks.md").write_text(markdown(results))


if __name__ == "__main__":
    main()
