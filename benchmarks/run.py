"""The benchmark suite: one command, a few minutes.

    python benchmarks/run.py            # everything; results in benchmarks/results/
    python benchmarks/run.py --quick    # a smaller, faster pass (no memory run)

The sandbox runs in a separate process, pre-warmed (its pages are cached before timing). Each
client runs in its own process (benchmarks/_clients.py) so its peak RSS is its own; all of them
do the same job: fetch every page of 2,000 customers and write JSON Lines.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

HERE = Path(__file__).parent
RESULTS = HERE / "results"
CLIENT = [sys.executable, str(HERE / "_clients.py")]
PAGE_SIZE = 2000
CONCURRENCY = (1, 4, 8, 16)
SEQUENTIAL = ("naive", "httpx_pydantic")
LABELS = {
    "sdk": "multimarkets-async export",
    "bare": "bare aiohttp + msgspec",
    "naive": "naive aiohttp + json",
    "httpx_pydantic": "httpx + pydantic",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def sandbox(customers: int, latency: float) -> Iterator[str]:
    """A sandbox server in its own process; yields its base URL."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "multimarkets_async.cli",
        "sandbox",
        "--customers",
        str(customers),
        "--port",
        str(port),
        "--latency",
        str(latency),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "MULTIMARKETS_COMPANY_ID" in line:
                break
        yield f"http://127.0.0.1:{port}/openapi-b"
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_median(
    name: str, concurrency: int, base: str, expected: int, repeats: int
) -> dict[str, Any]:
    """The run with the median time out of ``repeats`` (short runs are noisy)."""
    runs = sorted(
        (run_client(name, concurrency, base, expected) for _ in range(repeats)),
        key=lambda run: run["seconds"],
    )
    return runs[len(runs) // 2]


def run_client(name: str, concurrency: int, base: str, expected: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        out = str(Path(scratch) / "out.jsonl")
        result = subprocess.run(
            [*CLIENT, name, str(concurrency), base, out], capture_output=True, text=True, check=True
        )
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    if measured["records"] != expected:
        raise SystemExit(f"{name} exported {measured['records']} records, expected {expected}")
    measured |= {
        "client": name,
        "concurrency": concurrency,
        "records_per_s": measured["records"] / measured["seconds"],
    }
    return measured


def throughput(
    customers: int, latency: float, repeats: int, log: Callable[[str], None]
) -> list[dict[str, Any]]:
    rows = []
    with sandbox(customers, latency) as base:
        run_client("bare", 8, base, customers)  # pre-warm: every page generated and cached
        for name in ("sdk", "bare", *SEQUENTIAL):
            for concurrency in (1,) if name in SEQUENTIAL else CONCURRENCY:
                row = run_median(name, concurrency, base, customers, repeats)
                row["latency_ms"] = latency * 1000
                log(
                    f"  {latency * 1000:3.0f} ms  {LABELS[name]:28s} c={concurrency:<2d} "
                    f"{row['seconds']:6.2f} s  {row['records_per_s']:>9,.0f} rec/s  "
                    f"{row['peak_rss_mib']:6.1f} MiB"
                )
                rows.append(row)
    return rows


def decode_only(rounds: int) -> dict[str, float]:
    """Median milliseconds to decode one 2,000-customer page, several ways."""
    sys.path.insert(0, str(HERE))
    from _clients import _pydantic_envelope, bare_models

    from multimarkets_async.resources.customers import PAGE
    from multimarkets_async.sandbox._data import generate_customer

    records = [generate_customer(0, i) for i in range(1, PAGE_SIZE + 1)]
    body = msgspec.json.encode(
        {
            "code": "0",
            "msg": "Success",
            "ok": True,
            "fail": False,
            "trace": "t",
            "bizCode": "C",
            "tm": 3,
            "msgParams": None,
            "data": {"current": 1, "size": PAGE_SIZE, "total": 200_000, "records": records},
        }
    )
    _, raw_envelope = bare_models()
    raw = msgspec.json.Decoder(raw_envelope)
    pydantic_envelope = _pydantic_envelope()
    ways: dict[str, Callable[[bytes], object]] = {
        "sdk": PAGE.decoder.decode,
        "msgspec": raw.decode,
        "json.loads": json.loads,
        "pydantic": pydantic_envelope.model_validate_json,
    }
    result = {}
    for name, decode in ways.items():
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            decode(body)
            samples.append(time.perf_counter() - started)
        result[name] = statistics.median(samples) * 1000
    return result


def pick(
    rows: list[dict[str, Any]], client: str, concurrency: int, latency_ms: float
) -> dict[str, Any]:
    return next(
        r
        for r in rows
        if r["client"] == client
        and r["concurrency"] == concurrency
        and r["latency_ms"] == latency_ms
    )


def targets(
    rows: list[dict[str, Any]],
    decode: dict[str, float],
    memory: dict[str, float] | None,
    customers: int,
) -> list[tuple[str, str, bool]]:
    best = max(
        (r for r in rows if r["client"] == "sdk" and r["latency_ms"] == 0),
        key=lambda r: r["records_per_s"],
    )
    bare = pick(rows, "bare", best["concurrency"], 0)
    naive, httpx = pick(rows, "naive", 1, 0), pick(rows, "httpx_pydantic", 1, 0)
    pages = math.ceil(customers / PAGE_SIZE)
    bound = (1 + math.ceil((pages - 1) / 8)) * 0.050
    sdk50 = pick(rows, "sdk", 8, 50)
    checks = [
        (
            f"0 ms: SDK (c={best['concurrency']}) vs naive aiohttp + json ≥ 3×",
            f"{best['records_per_s'] / naive['records_per_s']:.1f}×",
            best["records_per_s"] >= 3 * naive["records_per_s"],
        ),
        (
            "0 ms: SDK vs httpx + pydantic ≥ 5×",
            f"{best['records_per_s'] / httpx['records_per_s']:.1f}×",
            best["records_per_s"] >= 5 * httpx["records_per_s"],
        ),
        (
            f"0 ms: SDK vs bare aiohttp + msgspec (c={best['concurrency']}) ≥ 0.9×",
            f"{best['records_per_s'] / bare['records_per_s']:.2f}×",
            best["records_per_s"] >= 0.9 * bare["records_per_s"],
        ),
        (
            f"50 ms, c=8: ≥ 90% of the bound {bound:.2f} s",
            f"{sdk50['seconds']:.2f} s = {bound / sdk50['seconds']:.0%} of the bound",
            bound / sdk50["seconds"] >= 0.9,
        ),
        (
            "decode of one page: SDK ≤ 1.15× raw msgspec typed decode",
            f"{decode['sdk'] / decode['msgspec']:.2f}×",
            decode["sdk"] <= 1.15 * decode["msgspec"],
        ),
    ]
    if memory is not None:
        grow = memory["peak_1m"] - memory["peak_200k"]
        checks.append(
            (
                "peak RSS, 1,000,000 vs 200,000 customers: within 15 MB",
                f"{grow:+.1f} MiB",
                grow <= 15,
            )
        )
    return checks


def chart(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for axis, latency in zip(axes, (0.0, 50.0), strict=True):
        labels, values, colours = [], [], []
        for name, colour in (
            ("sdk", "#2b6cb0"),
            ("bare", "#718096"),
            ("naive", "#c05621"),
            ("httpx_pydantic", "#9c4221"),
        ):
            for concurrency in (1,) if name in SEQUENTIAL else CONCURRENCY:
                row = pick(rows, name, concurrency, latency)
                labels.append(f"{LABELS[name]}\nc={concurrency}")
                values.append(row["records_per_s"] / 1000)
                colours.append(colour)
        axis.barh(labels[::-1], values[::-1], color=colours[::-1])
        axis.set_title(f"{latency:.0f} ms latency per call")
        axis.set_xlabel("thousand records/s (higher is better)")
        axis.tick_params(axis="y", labelsize=7)
    figure.suptitle("Exporting customers to JSON Lines, 2,000 per page")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def report(
    repeats: int,
    rows: list[dict[str, Any]],
    decode: dict[str, float],
    memory: dict[str, float] | None,
    checks: list[tuple[str, str, bool]],
    customers: int,
    elapsed: float,
) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"{customers:,} customers, {PAGE_SIZE:,} per page, sandbox in its own process "
        "(pre-warmed), each client in its own process. "
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs. "
        f"Whole run: {elapsed:.0f} s. Every client writes each record as a JSON line; each "
        f"figure is the median of {repeats} runs, timed from the first page request.",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *(f"| {name} | {value} | {'yes' if ok else '**no**'} |" for name, value, ok in checks),
        "",
        "The latency bound counts the network wait only. Every page also costs about 2 ms of "
        "CPU here (decode into models, encode to JSON Lines), and with at most 8 pages in flight "
        "or buffered that work cannot all hide behind the 50 ms wait; the bare hand-tuned loop, "
        "doing the same work, lands at the same place.",
        "",
        "## Throughput",
        "",
        "| latency | client | concurrency | seconds | records/s | × naive | × bare, same c "
        "| peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        naive = pick(rows, "naive", 1, row["latency_ms"])
        versus_bare = ""
        if row["client"] in ("sdk", "bare"):
            bare = pick(rows, "bare", row["concurrency"], row["latency_ms"])
            versus_bare = f"{row['records_per_s'] / bare['records_per_s']:.2f}"
        lines.append(
            f"| {row['latency_ms']:.0f} ms | {LABELS[row['client']]} | {row['concurrency']} | "
            f"{row['seconds']:.2f} | {row['records_per_s']:,.0f} | "
            f"{row['records_per_s'] / naive['records_per_s']:.1f} | {versus_bare} | "
            f"{row['peak_rss_mib']:.1f} |"
        )
    lines += [
        "",
        "## Decoding one page of 2,000 customers",
        "",
        "| decoder | ms | × msgspec |",
        "|---|---|---|",
    ]
    for name, ms in decode.items():
        lines.append(f"| {name} | {ms:.2f} | {ms / decode['msgspec']:.2f} |")
    if memory is not None:
        lines += [
            "",
            "## Memory",
            "",
            f"SDK export, concurrency 8: peak RSS {memory['peak_200k']:.1f} MiB for 200,000 "
            f"customers, {memory['peak_1m']:.1f} MiB for 1,000,000 "
            f"({memory['peak_1m'] - memory['peak_200k']:+.1f} MiB).",
        ]
    lines += ["", "![records/s by client and concurrency](chart.png)", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20,000 customers, no memory run")
    args = parser.parse_args()
    customers = 20_000 if args.quick else 200_000
    started = time.perf_counter()
    log = lambda text: print(text, flush=True)  # noqa: E731
    log(f"throughput, {customers:,} customers")
    repeats = 1 if args.quick else 3
    rows = throughput(customers, 0.0, repeats, log) + throughput(customers, 0.050, repeats, log)
    log("decode-only")
    decode = decode_only(rounds=30 if args.quick else 100)
    memory = None
    if not args.quick:
        log("memory: 1,000,000 customers")
        with sandbox(1_000_000, 0.0) as base:
            big = run_client("sdk", 8, base, 1_000_000)
        memory = {
            "peak_200k": pick(rows, "sdk", 8, 0)["peak_rss_mib"],
            "peak_1m": big["peak_rss_mib"],
        }
    checks = targets(rows, decode, memory, customers)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "results.json").write_text(
        json.dumps(
            {
                "customers": customers,
                "rows": rows,
                "decode_ms": decode,
                "memory": memory,
                "targets": [{"target": n, "measured": v, "met": ok} for n, v, ok in checks],
            },
            indent=1,
        )
    )
    chart(rows, RESULTS / "chart.png")
    elapsed = time.perf_counter() - started
    text = report(repeats, rows, decode, memory, checks, customers, elapsed)
    (RESULTS / "results.md").write_text(text)
    log(text)


if __name__ == "__main__":
    main()
