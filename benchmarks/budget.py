"""Shared rate-limit budget benchmark: what keeping the budget in Redis costs per call.

    python benchmarks/budget.py            # 5,000 / 2,000 calls, 5 rounds; results/budget.{json,md}
    python benchmarks/budget.py --quick    # 1,000 / 500 calls, 2 rounds

Starts its own ``redis-server`` on a free loopback port (no persistence, in a temporary
directory) and stops it at the end. Two measurements, each run in a fresh process per round:

(a) the budget alone: sequential ``acquire`` + ``settle`` pairs (settled with the gateway's
    rate-limit headers) on the in-process ``RateLimitBudget`` against ``SharedBudget`` on the
    Redis store;
(b) whole calls: sequential ``await client.customers.groups()`` against a sandbox in its own
    process (limit 1,000,000 calls a minute, so every reply carries rate-limit headers and
    nothing waits), ``ManagerClient`` with and without ``rate_limit_store=``.

Rounds alternate which variant goes first; each figure is the median over the rounds, in µs
per call. The target: the shared budget adds under 1 ms per call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from run import free_port, sandbox

HERE = Path(__file__).parent
RESULTS = HERE / "results"
SELF = [sys.executable, str(Path(__file__).resolve())]
APP = ("sandbox-app-id", "sandbox-app-secret", 439)  # what the sandbox CLI hands out
HEADERS = {
    "x-ratelimit-limit": "100000",
    "x-ratelimit-remairing": "99999",
    "x-ratelimit-reset": "60",
}
TARGET_US = 1000.0
WARMUP = 50


# -- the child processes -----------------------------------------------------------------------


async def budget_child(kind: str, calls: int, store: str) -> float:
    """Seconds for ``calls`` sequential acquire + settle pairs (after a short warm-up)."""
    from multimarkets_async._budget import RateLimitBudget, Reply
    from multimarkets_async._shared_budget import SharedBudget

    namespace = f"bench:{secrets.token_hex(4)}"
    budget = RateLimitBudget() if kind == "local" else SharedBudget(store, namespace)
    try:
        for _ in range(WARMUP):
            slot = await budget.acquire("customer.groups", 60.0)
            await slot.settle(Reply(HEADERS))
        started = time.perf_counter()
        for _ in range(calls):
            slot = await budget.acquire("customer.groups", 60.0)
            await slot.settle(Reply(HEADERS))
        elapsed = time.perf_counter() - started
        if kind == "shared" and not budget.shared:  # type: ignore[attr-defined]
            raise SystemExit("the shared budget fell back to the local one")
    finally:
        await budget.aclose()
    return elapsed


async def calls_child(kind: str, calls: int, store: str, base: str) -> float:
    """Seconds for ``calls`` sequential ``customers.groups()`` calls (after a warm-up)."""
    import multimarkets_async as mm

    app_id, secret, company = APP
    extra: dict[str, Any] = {}
    if kind == "shared":
        extra = {
            "rate_limit_store": store,
            "rate_limit_namespace": f"bench:{secrets.token_hex(4)}",
        }
    async with mm.ManagerClient(
        app_id=app_id, app_secret=secret, company_id=company, base_url=base, **extra
    ) as client:
        for _ in range(WARMUP):
            await client.customers.groups()
        started = time.perf_counter()
        for _ in range(calls):
            await client.customers.groups()
        elapsed = time.perf_counter() - started
        budget = client._pipeline.budget
        if kind == "shared" and not getattr(budget, "shared", False):
            raise SystemExit("the client's shared budget fell back to the local one")
    return elapsed


def child(args: argparse.Namespace) -> None:
    if args.what == "budget":
        seconds = asyncio.run(budget_child(args.kind, args.calls, args.store))
    else:
        seconds = asyncio.run(calls_child(args.kind, args.calls, args.store, args.base))
    print(json.dumps({"seconds": seconds, "calls": args.calls}))


# -- the parent --------------------------------------------------------------------------------


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on a free loopback port; yields its URL."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        command = [binary, "--port", str(port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", scratch]
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            import redis

            probe = redis.Redis(host="127.0.0.1", port=port)
            for _ in range(200):
                try:
                    probe.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.025)
            else:
                raise SystemExit("redis-server did not start")
            probe.close()
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)


def run_child(what: str, kind: str, calls: int, store: str, base: str = "") -> float:
    """Microseconds per call, from one fresh process."""
    command = [*SELF, "--child", what, kind, str(calls), store, base]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{what}/{kind} failed:\n{result.stderr}")
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    return float(measured["seconds"]) / calls * 1e6


def measure(what: str, calls: int, rounds: int, store: str, base: str = "") -> dict[str, Any]:
    samples: dict[str, list[float]] = {"local": [], "shared": []}
    for index in range(rounds):
        order = ("local", "shared") if index % 2 == 0 else ("shared", "local")
        for kind in order:
            samples[kind].append(run_child(what, kind, calls, store, base))
    local, shared = (statistics.median(samples[k]) for k in ("local", "shared"))
    return {
        "calls": calls,
        "rounds": rounds,
        "local_us": local,
        "shared_us": shared,
        "overhead_us": shared - local,
        "ratio": shared / local,
        "samples_us": samples,
    }


def report(result: dict[str, Any]) -> str:
    a, b = result["budget_alone"], result["whole_calls"]
    worst = max(a["overhead_us"], b["overhead_us"])
    met = worst < TARGET_US
    lines = [
        "# Shared rate-limit budget: overhead per call",
        "",
        "What keeping the per-endpoint rate-limit budget in Redis "
        '(`ManagerClient(..., rate_limit_store="redis://...")`, `SharedBudget`) costs per call, '
        "against the default in-process `RateLimitBudget`, on loopback. A throwaway "
        "`redis-server` (no persistence) on 127.0.0.1.",
        "",
        f"- **Budget alone**: {a['calls']:,} sequential `acquire` + `settle` pairs, settled "
        "with the gateway's rate-limit headers, in a fresh process per run.",
        f"- **Whole calls**: {b['calls']:,} sequential `await client.customers.groups()` "
        "against the sandbox (its own process, 0 ms latency, a limit of 1,000,000 calls a "
        "minute so every reply carries rate-limit headers and nothing waits), a fresh client "
        "process per run.",
        "",
        f"Each figure is the median of {a['rounds']} rounds (alternating which variant goes "
        f"first), after {WARMUP} warm-up calls. Python {result['python']} on "
        f"{result['machine']}, {result['cpus']} CPUs ({result['platform']}).",
        "",
        "| measurement | calls | local µs/call | shared µs/call | overhead µs/call | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in (("budget alone", a), ("whole call (groups)", b)):
        lines.append(
            f"| {name} | {row['calls']:,} | {row['local_us']:.1f} | {row['shared_us']:.1f} | "
            f"{row['overhead_us']:+.1f} | {row['ratio']:.2f}× |"
        )
    verdict = (
        f"The target is met: the shared budget adds about {b['overhead_us']:.0f} µs to a whole "
        f"call ({a['overhead_us']:.0f} µs for the budget alone), under the 1 ms target, with "
        f"{TARGET_US - worst:.0f} µs to spare."
        if met
        else f"The target is **not** met: the shared budget adds {worst:.0f} µs per call, over "
        "the 1 ms target."
    )
    lines += [
        "",
        f"Target: under 1 ms ({TARGET_US:.0f} µs) added per call — "
        f"{'met' if met else '**not met**'}.",
        "",
        f"{verdict} The shared budget makes two round trips to the store per call (one script to "
        "acquire, one to settle); on a network store each adds that link's latency."
        + (
            " Whole calls pay more than the budget alone: the client, the sandbox and Redis "
            "share this machine's CPUs."
            if b["overhead_us"] > a["overhead_us"]
            else ""
        ),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 / 500 calls, 2 rounds")
    parser.add_argument("--child", nargs=5, metavar=("WHAT", "KIND", "CALLS", "STORE", "BASE"))
    args = parser.parse_args()
    if args.child:
        what, kind, calls, store, base = args.child
        child(argparse.Namespace(what=what, kind=kind, calls=int(calls), store=store, base=base))
        return
    budget_calls, client_calls, rounds = (1000, 500, 2) if args.quick else (5000, 2000, 5)
    started = time.perf_counter()
    with redis_server() as store:
        print(f"redis at {store}; budget alone: {budget_calls:,} calls × {rounds} rounds")
        alone = measure("budget", budget_calls, rounds, store)
        print(f"whole calls: {client_calls:,} calls × {rounds} rounds")
        with sandbox(100, 0.0, "--rate-limit", "1000000") as base:
            whole = measure("calls", client_calls, rounds, store, base)
    result = {
        "quick": args.quick,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "target_us": TARGET_US,
        "budget_alone": alone,
        "whole_calls": whole,
        "met": max(alone["overhead_us"], whole["overhead_us"]) < TARGET_US,
        "seconds": time.perf_counter() - started,
    }
    print()
    print(f"{'':22s} {'local µs':>10s} {'shared µs':>10s} {'overhead':>10s} {'ratio':>7s}")
    for name, row in (("budget alone", alone), ("whole call (groups)", whole)):
        print(
            f"{name:22s} {row['local_us']:10.1f} {row['shared_us']:10.1f} "
            f"{row['overhead_us']:+10.1f} {row['ratio']:6.2f}×"
        )
    print(f"target < {TARGET_US:.0f} µs added per call: {'met' if result['met'] else 'NOT met'}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "budget.json").write_text(json.dumps(result, indent=1))
    (RESULTS / "budget.md").write_text(report(result))
    print(f"({result['seconds']:.0f} s) wrote {RESULTS / 'budget.json'} and budget.md")


if __name__ == "__main__":
    main()
