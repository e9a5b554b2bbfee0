"""Secure mode benchmark: what signing and RSA-encrypting every Manager request costs a walk.

    python benchmarks/secure.py            # 200,000 customers, 15 rounds; results/secure.{json,md}
    python benchmarks/secure.py --quick    # 40,000 customers, 2 rounds

``async for customer in client.customers.list()`` (2,000 per page), counting the records, with
``ManagerClient(..., secure=True)`` against a sandbox started with ``--secure`` (it opens each
request with its private key and checks the signature), beside the same walk in plain mode
against a plain sandbox. A secure sandbox refuses plain calls, so there are two sandboxes, each
in its own process, both pre-warmed the same way (one walk, every page cached). Each walk runs
in a fresh process, timed from after the login and a first call of one record (secure mode's
one-time setup, timed apart); the rounds alternate which mode goes first, so drift hits both.
On Linux with 2 CPUs or more the walks run on CPU 1 and the sandboxes on CPU 0. Replies stay
plain JSON: the cost is per request (one per page, and the walk's closing check), not per
record.

Beside the walks, two micro-benchmarks in this process: ``Sealer(key).seal(payload, ts)`` of a
page request ``{"current": N, "size": 2000}`` (what the client adds per request: MD5
signature, URL-encoding, RSA/PKCS#1 v1.5 per 100-character piece, Base64), and the sandbox's
``open_request`` of the sealed body (decrypt with the private key, verify the signature); and
each sandbox's CPU time per walk, from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from run import sandbox

from multimarkets_async._config import DEFAULT_PAGE_CONCURRENCY

HERE = Path(__file__).parent
RESULTS = HERE / "results"
SELF = [sys.executable, str(Path(__file__).resolve())]
PAGE_SIZE = 2000
CONCURRENCY = (DEFAULT_PAGE_CONCURRENCY, 8)
MODES = ("plain", "secure")
APP = ("sandbox-app-id", "sandbox-app-secret", 439)  # what the sandbox CLI hands out


def peak_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


# -- the client processes ----------------------------------------------------------------------


async def walk(mode: str, concurrency: int, base: str) -> dict[str, Any]:
    """One walk, counting records; seconds and CPU seconds from after the login."""
    import multimarkets_async as mm

    async with mm.ManagerClient(*APP, base, secure=mode == "secure") as client:
        await client.company()
        # One call of one record first, in both modes: in secure mode it parses the login's
        # public key and loads the RSA code, once per client; timed apart from the walk.
        started = time.perf_counter()
        async for _ in client.customers.list(page_size=1, max_items=1):
            pass
        first_call = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        listing = client.customers.list(page_size=PAGE_SIZE, concurrency=concurrency)
        records = 0
        async for _ in listing:
            records += 1
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        stats = listing.stats
    return {
        "records": records,
        "seconds": seconds,
        "cpu_s": cpu,
        "requests": stats.pages + stats.rereads,
        "first_call_s": first_call,
        "peak_rss_mib": peak_mib(),
    }


PINNED = sys.platform == "linux" and (os.cpu_count() or 1) > 1 and bool(shutil.which("taskset"))
"""Clients on CPU 1, sandboxes on CPU 0, where the platform allows: unpinned, on a 2-CPU
machine, where the scheduler puts the walk beside its sandbox moves a walk's time by a third
from one process to the next, far more than secure mode does."""


def run_client(mode: str, concurrency: int, base: str, expected: int) -> dict[str, Any]:
    """One walk in a fresh process; exactly ``expected`` records or the benchmark stops."""
    command = [*SELF, "--client", mode, str(concurrency), base]
    done = subprocess.run(
        ["taskset", "-c", "1", *command] if PINNED else command,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{mode} client failed: {done.stderr.strip()}")
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if measured["records"] != expected:
        raise SystemExit(f"{mode} walk read {measured['records']} records, expected {expected}")
    return measured | {
        "mode": mode,
        "concurrency": concurrency,
        "records_per_s": measured["records"] / measured["seconds"],
    }


# -- the sandbox processes' CPU (Linux) --------------------------------------------------------


def sandbox_pid(base: str) -> int | None:
    """The pid of this process's child serving ``base`` (started by ``run.sandbox``), found by
    its ``--port``; None where /proc cannot tell."""
    port = base.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[1]
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(stat(int(entry))[1]) != os.getpid():
                    continue
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    words = cmdline.read().split(b"\0")
                if b"sandbox" in words and port.encode() in words:
                    return int(entry)
    return None


def pin(pid: int | None) -> None:
    """Every thread of the sandbox ``pid`` onto CPU 0 (when ``PINNED``)."""
    if PINNED and pid is not None:
        with contextlib.suppress(OSError):
            for thread in os.listdir(f"/proc/{pid}/task"):
                os.sched_setaffinity(int(thread), {0})


def stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as file:
        return file.read().rsplit(")", 1)[1].split()


def process_cpu(pid: int | None) -> float | None:
    """CPU seconds (user + system) of ``pid`` so far, or None."""
    if pid is None:
        return None
    with contextlib.suppress(OSError, IndexError, ValueError):
        return sum(int(value) for value in stat(pid)[11:13]) / os.sysconf("SC_CLK_TCK")
    return None


# -- per-request costs, in this process ----------------------------------------------------------


def per_request_us(rounds: int) -> dict[str, float]:
    """Median microseconds to seal one page request (client) and to open and verify it
    (sandbox), each over ``rounds`` batches of 100 page requests (pages 1..100)."""
    import msgspec

    from multimarkets_async._secure import Sealer, load_public_key
    from multimarkets_async.sandbox.gateway._secure import SandboxKeys, open_request

    keys = SandboxKeys()
    sealer = Sealer(load_public_key(keys.public_key))
    payloads = [msgspec.json.encode({"current": n, "size": PAGE_SIZE}) for n in range(1, 101)]
    sealed = [sealer.seal(p, int(time.time() * 1000)) for p in payloads]

    def seal() -> None:
        stamp = int(time.time() * 1000)
        for payload in payloads:
            sealer.seal(payload, stamp)

    def open_all() -> None:
        now = time.time()
        for body in sealed:
            open_request(body, keys, now=now, max_skew=300.0)

    result = {}
    for name, batch in (("seal_us", seal), ("open_us", open_all)):
        batch()  # warm
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            batch()
            samples.append((time.perf_counter() - started) / len(payloads) * 1e6)
        result[name] = statistics.median(samples)
    result["sealed_bytes"] = float(len(sealed[0]))
    result["key_bits"] = float(keys.private_key.key_size)
    return result


# -- the measure -------------------------------------------------------------------------------


def measure(quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    customers = 40_000 if quick else 200_000
    rounds = 2 if quick else 15
    started = time.perf_counter()
    runs: list[dict[str, Any]] = []
    with sandbox(customers, 0.0) as plain, sandbox(customers, 0.0, "--secure") as secure:
        bases = {"plain": plain, "secure": secure}
        pids = {mode: sandbox_pid(base) for mode, base in bases.items()}
        for pid in pids.values():
            pin(pid)
        for mode in MODES:  # pre-warm: every page generated and cached, the key pair made
            run_client(mode, 8, bases[mode], customers)
        for round_ in range(rounds):
            order = MODES if round_ % 2 == 0 else MODES[::-1]
            for concurrency in CONCURRENCY:
                for mode in order:
                    before = process_cpu(pids[mode])
                    run = run_client(mode, concurrency, bases[mode], customers)
                    after = process_cpu(pids[mode])
                    spent = None if before is None or after is None else after - before
                    runs.append(run | {"round": round_ + 1, "sandbox_cpu_s": spent})
                    log(
                        f"  round {round_ + 1}  {mode:6s} c={concurrency:<2d} "
                        f"{run['seconds']:6.3f} s  {run['records_per_s']:>9,.0f} rec/s  "
                        f"cpu {run['cpu_s']:.3f} s  {run['requests']} requests"
                        + ("" if spent is None else f"  sandbox cpu {spent:.2f} s")
                    )
    log("per-request costs (micro-benchmark)")
    costs = per_request_us(10 if quick else 50)
    summary = []
    for concurrency in CONCURRENCY:
        mine = {
            m: [r for r in runs if r["mode"] == m and r["concurrency"] == concurrency]
            for m in MODES
        }
        seconds = {m: statistics.median(r["seconds"] for r in mine[m]) for m in MODES}
        cpu = {m: statistics.median(r["cpu_s"] for r in mine[m]) for m in MODES}
        requests = statistics.median(r["requests"] for r in mine["secure"])
        paired = [
            s["seconds"] / p["seconds"] for p, s in zip(mine["plain"], mine["secure"], strict=True)
        ]
        summary.append(
            {
                "concurrency": concurrency,
                "default": concurrency == DEFAULT_PAGE_CONCURRENCY,
                "plain_s": seconds["plain"],
                "secure_s": seconds["secure"],
                "plain_records_per_s": customers / seconds["plain"],
                "secure_records_per_s": customers / seconds["secure"],
                "ratio": seconds["secure"] / seconds["plain"],
                "paired_ratio_median": statistics.median(paired),
                "paired_ratio_quartiles": quartiles(paired),
                "requests": requests,
                "wall_us_per_request": (seconds["secure"] - seconds["plain"]) / requests * 1e6,
                "plain_cpu_s": cpu["plain"],
                "secure_cpu_s": cpu["secure"],
                "client_cpu_us_per_request": (cpu["secure"] - cpu["plain"]) / requests * 1e6,
                **sandbox_cpu(mine, requests),
            }
        )
    return {
        "customers": customers,
        "page_size": PAGE_SIZE,
        "rounds": rounds,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "pinned": bool(PINNED),
        "summary": summary,
        "first_call_ms": {
            m: statistics.median(r["first_call_s"] for r in runs if r["mode"] == m) * 1000
            for m in MODES
        },
        "seal_us_per_request": costs["seal_us"],
        "open_us_per_request": costs["open_us"],
        "sealed_body_bytes": int(costs["sealed_bytes"]),
        "key_bits": int(costs["key_bits"]),
        "runs": runs,
        "seconds": time.perf_counter() - started,
    }


def quartiles(values: list[float]) -> list[float]:
    """The first and third quartiles of ``values`` (both the value itself when only one)."""
    if len(values) < 2:
        return [values[0], values[0]]
    first, _, third = statistics.quantiles(values, n=4)
    return [first, third]


def sandbox_cpu(mine: dict[str, list[dict[str, Any]]], requests: float) -> dict[str, Any]:
    """Median CPU seconds of each sandbox per walk (whole login and walk), and secure minus
    plain per request; None where they could not be read."""
    spent = {m: [r["sandbox_cpu_s"] for r in mine[m]] for m in MODES}
    if any(value is None for values in spent.values() for value in values):
        return {
            "plain_sandbox_cpu_s": None,
            "secure_sandbox_cpu_s": None,
            "sandbox_cpu_us_per_request": None,
        }
    plain, secure = (statistics.median(spent[m]) for m in MODES)
    return {
        "plain_sandbox_cpu_s": plain,
        "secure_sandbox_cpu_s": secure,
        "sandbox_cpu_us_per_request": (secure - plain) / requests * 1e6,
    }


def label(row: dict[str, Any]) -> str:
    return f"{row['concurrency']} (default)" if row["default"] else str(row["concurrency"])


def in_words(row: dict[str, Any]) -> str:
    """The ratio as a sentence fragment: "3% slower", "within 1%", "2% faster"."""
    change = row["ratio"] - 1
    if abs(change) < 0.01:
        return "within 1% of plain"
    return f"{abs(change):.0%} {'slower' if change > 0 else 'faster'} than plain"


def report(result: dict[str, Any]) -> str:
    pinning = " (walks pinned to CPU 1, sandboxes to CPU 0)" if result["pinned"] else ""
    lines = [
        "# Secure mode benchmark",
        "",
        f"A walk of {result['customers']:,} customers, `async for customer in "
        f"client.customers.list()` ({result['page_size']:,} per page), counting records (each "
        "walk checked to read exactly that many), with `ManagerClient(..., secure=True)` "
        "against a sandbox started with `--secure`, beside the same walk in plain mode against "
        "a plain sandbox. Secure mode signs every Manager request (MD5), URL-encodes it, "
        f"encrypts it in 100-character pieces with the company's {result['key_bits']}-bit RSA "
        "public key (PKCS#1 v1.5) and sends them in Base64; the sandbox decrypts them with its "
        "private key and verifies the signature. Replies stay plain JSON, so the cost is per "
        "request, not per record.",
        "",
        "Each sandbox in its own process, pre-warmed (every page cached); each walk in a fresh "
        f"process{pinning}, timed from after the login and a first call of one record (in "
        "secure mode it parses the login's public key and loads the RSA code, once per client: "
        "shown apart below). "
        f"Python {result['python']} on {result['machine']}; {result['rounds']} rounds, plain "
        "and secure alternating which goes first; medians of the rounds; whole run "
        f"{result['seconds']:.0f} s.",
        "",
        "| concurrency | plain s | secure s | plain records/s | secure records/s "
        "| secure / plain | paired median (quartiles) | requests |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in result["summary"]:
        low, high = row["paired_ratio_quartiles"]
        lines.append(
            f"| {label(row)} | {row['plain_s']:.3f} | {row['secure_s']:.3f} | "
            f"{row['plain_records_per_s']:,.0f} | {row['secure_records_per_s']:,.0f} | "
            f"{row['ratio']:.3f}× | {row['paired_ratio_median']:.3f}× "
            f"({low:.3f}–{high:.3f}) | {row['requests']:.0f} |"
        )
    words = "; ".join(
        f"at concurrency {label(row)} the secure walk takes {row['ratio']:.2f}× the plain "
        f"walk's time ({in_words(row)}, {row['wall_us_per_request']:+,.0f} µs of wall time "
        "per request)"
        for row in result["summary"]
    )
    lines += [
        "",
        f'In words: {words}. "Paired median" is the median of each round\'s secure/plain '
        "ratio; their quartiles show how far one round strays.",
        "",
        "## Per request",
        "",
        "| cost | µs per request |",
        "|---|---|",
        f'| client: `Sealer(key).seal(payload, ts)` of `{{"current": N, "size": '
        f"{result['page_size']}}}` ({result['sealed_body_bytes']} bytes sealed) | "
        f"{result['seal_us_per_request']:.0f} |",
        f"| sandbox: `open_request` (decrypt with the private key, verify the signature) | "
        f"{result['open_us_per_request']:.0f} |",
    ]
    for row in result["summary"]:
        lines.append(
            f"| in the walks at c={label(row)}, secure minus plain: client CPU | "
            f"{row['client_cpu_us_per_request']:+,.0f} |"
        )
        if row["sandbox_cpu_us_per_request"] is not None:
            lines.append(
                f"| in the walks at c={label(row)}, secure minus plain: sandbox CPU | "
                f"{row['sandbox_cpu_us_per_request']:+,.0f} |"
            )
    first = result["first_call_ms"]
    default = next(row for row in result["summary"] if row["default"])
    page_us = default["plain_cpu_s"] / default["requests"] * 1e6
    lines += [
        "",
        "The seal and open figures are medians over batches of the 100 page requests of a "
        "200,000-customer walk, in one process. The CPU differences in the walks are between "
        "medians over the rounds, divided by the walk's requests; the sandbox's CPU (read from "
        "/proc in clock ticks) covers each client's whole session, so its figure is rough. In "
        "the plain walk at the default concurrency each page request costs the client "
        f"{page_us:,.0f} µs of CPU (mostly decoding and yielding {result['page_size']:,} "
        f"records); sealing it adds {result['seal_us_per_request']:.0f} µs "
        f"({result['seal_us_per_request'] / page_us:.0%} of that). The sandbox opens each "
        "request in its own process, so the walk waits on that only where the sandbox rather "
        "than the client is the bottleneck.",
        "",
        f"Once per client, the first call: {first['plain']:.1f} ms plain, "
        f"{first['secure']:.1f} ms secure ({first['secure'] - first['plain']:+.1f} ms: the "
        "public key parsed, the RSA code loaded).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="40,000 customers, 2 rounds")
    parser.add_argument("--client", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        mode, concurrency, base = args.client
        print(json.dumps(asyncio.run(walk(mode, int(concurrency), base))))
        return
    log = lambda text: print(text, flush=True)  # noqa: E731
    result = measure(args.quick, log)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "secure.json").write_text(json.dumps(result, indent=1))
    text = report(result)
    (RESULTS / "secure.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
