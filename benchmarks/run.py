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
    "sdk_walk": "multimarkets-async pages()",
    "bare_walk": "bare aiohttp + msgspec loop",
    "naive": "naive aiohttp + json",
    "httpx_pydantic": "httpx + pydantic",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def sandbox(customers: int, latency: float, *extra: str) -> Iterator[str]:
    """A sandbox server in its own process (``extra``: more of its flags); yields its URL."""
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
        *extra,
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


def run_client(
    name: str, concurrency: int, base: str, expected: int, *, growing: bool = False
) -> dict[str, Any]:
    """One run in a fresh process. ``expected`` records, or at least that many when the
    listing is ``growing`` (sign-ups during the walk may be read too)."""
    with tempfile.TemporaryDirectory() as scratch:
        out = str(Path(scratch) / "out.jsonl")
        result = subprocess.run(
            [*CLIENT, name, str(concurrency), base, out], capture_output=True, text=True, check=True
        )
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    if measured["records"] != expected and not (growing and measured["records"] >= expected):
        raise SystemExit(f"{name} read {measured['records']} records, expected {expected}")
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


WALK_CONCURRENCY = (4, 8, 16)


def walk_only(customers: int, repeats: int, log: Callable[[str], None]) -> list[dict[str, Any]]:
    """The walk alone (every page decoded, records counted), SDK against the bare loop."""
    rows = []
    with sandbox(customers, 0.0) as base:
        run_client("bare_walk", 8, base, customers)  # pre-warm
        for concurrency in WALK_CONCURRENCY:
            for name in ("sdk_walk", "bare_walk"):
                row = run_median(name, concurrency, base, customers, repeats)
                log(
                    f"  walk only  {LABELS[name]:28s} c={concurrency:<2d} {row['seconds']:6.2f} s"
                    f"  {row['records_per_s']:>9,.0f} rec/s  {row['peak_rss_mib']:6.1f} MiB"
                )
                rows.append(row)
    return rows


def id_memory(customers: int, log: Callable[[str], None]) -> dict[str, float]:
    """Peak RSS of a walk over ``customers`` while 10 sign up per call (the list drifts the
    whole time), with small ids and with 64-bit snowflake-style ids."""
    peaks = {}
    for style in ("small", "snowflake"):
        with sandbox(customers, 0.0, "--id-style", style, "--insert-per-call", "10") as base:
            run = run_client("sdk_walk", 8, base, customers, growing=True)
        peaks[style] = run["peak_rss_mib"]
        log(f"  {customers:,} customers, {style} ids, drifting: peak {run['peak_rss_mib']:.1f} MiB")
    return peaks


def decode_only(rounds: int) -> dict[str, float]:
    """Median milliseconds to decode one 2,000-customer page, several ways."""
    sys.path.insert(0, str(HERE))
    from _clients import _pydantic_envelope, bare_models

    from multimarkets_async.resources.customers import PAGE
    from multimarkets_async.sandbox.state.customers import generate_customer

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
    walks: list[dict[str, Any]],
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
    walk, bare_walk = pick(walks, "sdk_walk", 8, 0), pick(walks, "bare_walk", 8, 0)
    checks.append(
        (
            "0 ms, c=8, walk only: SDK pages() vs bare aiohttp + msgspec loop ≥ 0.9×",
            f"{walk['records_per_s'] / bare_walk['records_per_s']:.2f}×",
            walk["records_per_s"] >= 0.9 * bare_walk["records_per_s"],
        )
    )
    if memory is not None:
        grow = memory["peak_1m"] - memory["peak_200k"]
        checks.append(
            (
                "peak RSS, 1,000,000 vs 200,000 customers: within 15 MB",
                f"{grow:+.1f} MiB",
                grow <= 15,
            )
        )
        ids = memory["walk_snowflake"] - memory["walk_small"]
        checks.append(
            (
                "peak RSS, 1,000,000-customer walk with drift, 64-bit vs small ids: within 50 MB",
                f"{ids:+.1f} MiB",
                ids <= 50,
            )
        )
    return checks


def chart(rows: list[dict[str, Any]], walks: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(17, 4.5))
    walk_axis = axes[2]
    labels, values, colours = [], [], []
    for name, colour in (("sdk_walk", "#2b6cb0"), ("bare_walk", "#718096")):
        for concurrency in WALK_CONCURRENCY:
            row = pick(walks, name, concurrency, 0)
            labels.append(f"{LABELS[name]}\nc={concurrency}")
            values.append(row["records_per_s"] / 1000)
            colours.append(colour)
    walk_axis.barh(labels[::-1], values[::-1], color=colours[::-1])
    walk_axis.set_title("walk only (decode, count), 0 ms")
    walk_axis.set_xlabel("thousand records/s (higher is better)")
    walk_axis.tick_params(axis="y", labelsize=7)
    for axis, latency in zip(axes[:2], (0.0, 50.0), strict=True):
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
    figure.suptitle("Exporting customers to JSON Lines, and walking them, 2,000 per page")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def report(
    repeats: int,
    rows: list[dict[str, Any]],
    walks: list[dict[str, Any]],
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
        "doing the same work, lands at the same place. The SDK's walk also ends with one small "
        "read that proves no record was deleted under pages read concurrently (one more round "
        "trip).",
        "",
        "Every export client makes its file durable (`fsync`) before it stops, as a finished "
        "export must be; the SDK also de-duplicates every page by key, keeps a log of the keys "
        "written for `--resume`, and checks the walk at its end. Those costs show most against "
        "the sequential clients' ratios at 0 ms.",
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
        "## The walk alone",
        "",
        "Every page fetched and decoded into models, the records counted, nothing written: "
        "the SDK's `pages()` walk (ordering, de-duplication by id, the check at the end) "
        "against the bare loop at the same concurrency, 0 ms latency.",
        "",
        "| client | concurrency | seconds | records/s | × bare, same c | peak RSS MiB |",
        "|---|---|---|---|---|---|",
    ]
    for row in walks:
        bare = pick(walks, "bare_walk", row["concurrency"], 0)
        lines.append(
            f"| {LABELS[row['client']]} | {row['concurrency']} | {row['seconds']:.2f} | "
            f"{row['records_per_s']:,.0f} | {row['records_per_s'] / bare['records_per_s']:.2f} | "
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
            "",
            "SDK `pages()` walk of 1,000,000 customers, concurrency 8, while 10 sign up per "
            "call (the list drifts throughout, so every page is de-duplicated by id): peak RSS "
            f"{memory['walk_small']:.1f} MiB with small ids, {memory['walk_snowflake']:.1f} MiB "
            "with 64-bit snowflake-style ids "
            f"({memory['walk_snowflake'] - memory['walk_small']:+.1f} MiB). Integer keys are "
            "kept in sorted 8-byte arrays whatever their size.",
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
    log("walk only")
    walks = walk_only(customers, repeats, log)
    for row in walks:
        row["latency_ms"] = 0.0
    log("decode-only")
    decode = decode_only(rounds=30 if args.quick else 100)
    memory = None
    if not args.quick:
        log("memory: 1,000,000 customers")
        with sandbox(1_000_000, 0.0) as base:
            big = run_client("sdk", 8, base, 1_000_000)
        log("memory: 1,000,000-customer walks with drift, small and 64-bit ids")
        peaks = id_memory(1_000_000, log)
        memory = {
            "peak_200k": pick(rows, "sdk", 8, 0)["peak_rss_mib"],
            "peak_1m": big["peak_rss_mib"],
            "walk_small": peaks["small"],
            "walk_snowflake": peaks["snowflake"],
        }
    log("data push events (benchmarks/events.py)")
    quick = ["--quick"] if args.quick else []
    subprocess.run([sys.executable, str(HERE / "events.py"), *quick], check=True)
    events = json.loads((RESULTS / "events.json").read_text())
    log("secure mode (benchmarks/secure.py)")
    subprocess.run([sys.executable, str(HERE / "secure.py"), *quick], check=True)
    secure = json.loads((RESULTS / "secure.json").read_text())
    checks = targets(rows, walks, decode, memory, customers)
    RESULTS.mkdir(exist_ok=True)
    kept_sync, kept_sync_text = kept_sync_results()
    (RESULTS / "results.json").write_text(
        json.dumps(
            {
                "customers": customers,
                "rows": rows,
                "walks": walks,
                "decode_ms": decode,
                "memory": memory,
                "events": events,
                "secure": secure,
                **kept_sync,
                "targets": [{"target": n, "measured": v, "met": ok} for n, v, ok in checks],
            },
            indent=1,
        )
    )
    chart(rows, walks, RESULTS / "chart.png")
    elapsed = time.perf_counter() - started
    text = report(repeats, rows, walks, decode, memory, checks, customers, elapsed)
    text += (
        f"\n## Data Push\n\n{events['events_per_second']:,.0f} events/s through "
        f"`client.events()` (bare aiohttp loop: {events['bare_events_per_second']:,.0f}); "
        f"a slow consumer with {events['slow_consumer']['queued']:,} events queued peaks at "
        f"{events['slow_consumer']['peak_rss_mib']:.1f} MiB. See [events.md](events.md).\n"
    )
    ratios = ", ".join(
        f"{row['ratio']:.2f}× (concurrency {row['concurrency']})" for row in secure["summary"]
    )
    text += (
        f"\n## Secure mode\n\nA walk of {secure['customers']:,} customers with every request "
        f"signed and RSA-encrypted (`secure=True`) takes {ratios} the plain walk's time; "
        f"sealing one page request costs {secure['seal_us_per_request']:.0f} µs. "
        "See [secure.md](secure.md).\n"
    )
    (RESULTS / "results.md").write_text(text + kept_sync_text)
    log(text)


def kept_sync_results() -> tuple[dict[str, Any], str]:
    """The customer sync's key of ``results.json`` and section of ``results.md``, as
    ``benchmarks/sync.py`` (run on its own: it takes minutes) last wrote them."""
    data_path, text_path = RESULTS / "results.json", RESULTS / "results.md"
    data = json.loads(data_path.read_text()) if data_path.exists() else {}
    text = text_path.read_text() if text_path.exists() else ""
    start = text.find("\n## Customer sync\n")
    section = ""
    if start >= 0:
        end = text.find("\n## ", start + 1)
        section = text[start : end if end >= 0 else len(text)].rstrip("\n") + "\n"
    return ({"sync": data["sync"]} if "sync" in data else {}), section


if __name__ == "__main__":
    main()
