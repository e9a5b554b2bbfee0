"""Data Push benchmark: events/s through ``client.events()``, and memory with a slow consumer.

    python benchmarks/events.py            # results in benchmarks/results/events.{json,md}
    python benchmarks/events.py --quick    # fewer events, one run each

The sandbox runs in its own process and queues the events for each measured group before any
client connects (a group's backlog is pushed on connect), so the server only writes frames
while a client is timed. Every client runs in its own process (its peak RSS is its own):

* ``stream``: ``async for event in client.events(group)``: frames decoded into typed events,
  de-duplicated, handed over through the bounded buffer; timed from the first event to the
  last.
* ``bare``: the floor: a bare aiohttp websocket loop decoding each frame with the same
  ``decode_event`` (no dedup, no buffer, no heartbeat).
* ``slow``: 100,000 events queued for a consumer that takes one event every 10 ms; peak RSS
  of the process, against its RSS before connecting.
* ``naive``: the same slow consumer behind an unbounded queue that a reader task fills as
  fast as the socket delivers (what a hand-written client often does).
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
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
RESULTS = HERE / "results"
SELF = [sys.executable, str(Path(__file__).resolve())]
TARGET_EVENTS_PER_SECOND = 50_000
SLOW_SECONDS = 4.0


def rss_mib() -> float:
    """The current resident set size (Linux), else the peak."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return peak_mib()


def peak_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


# -- the server process ----------------------------------------------------------------------


async def serve(events: int, groups: list[str]) -> None:
    """A sandbox with ``events`` queued for each of ``groups``; prints its settings, then
    serves until terminated."""
    from multimarkets_async.sandbox import Sandbox

    async with Sandbox(customers=1000, seed=1) as sb:
        for group in groups:
            sb.backoffice.feed.log.join(group)  # the group exists: what follows is queued
        sb.feed.emit(events)
        print(json.dumps({"credentials": sb.credentials(), "push_url": sb.push_url}), flush=True)
        await asyncio.Event().wait()


class Server:
    """The sandbox process."""

    def __init__(self, events: int, groups: list[str]) -> None:
        self.process = subprocess.Popen(
            [*SELF, "--serve", str(events), *groups], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.settings: dict[str, Any] = json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


# -- the client processes ----------------------------------------------------------------------


async def client_stream(settings: dict[str, Any], group: str, events: int) -> dict[str, Any]:
    import multimarkets_async as mm

    async with (
        mm.ManagerClient(**settings["credentials"]) as client,
        client.events(group) as stream,
    ):
        count, started = 0, 0.0
        async for _ in stream:
            if count == 0:
                started = time.perf_counter()
            count += 1
            if count == events:
                break
        seconds = time.perf_counter() - started
        stats = stream.stats
    return {
        "events": count,
        "seconds": seconds,
        "events_per_second": (count - 1) / seconds,
        "duplicates_dropped": stats.duplicates_dropped,
        "reconnects": stats.reconnects,
        "peak_rss_mib": peak_mib(),
    }


async def client_bare(settings: dict[str, Any], group: str, events: int) -> dict[str, Any]:
    import aiohttp

    import multimarkets_async as mm
    from multimarkets_async.events import decode_event
    from multimarkets_async.events._connection import _DECODE_TEXT

    async with mm.ManagerClient(**settings["credentials"]) as client:
        token = await client._pipeline.push_token()
    headers = {"token": token, "group": group}
    async with aiohttp.ClientSession() as session:
        # Bytes, as the stream reads them, where aiohttp can (3.14+); text before.
        kwargs: dict[str, Any] = {"decode_text": False} if _DECODE_TEXT else {}
        async with session.ws_connect(settings["push_url"], headers=headers, **kwargs) as ws:
            count, started = 0, 0.0
            async for message in ws:
                decode_event(message.data)
                if count == 0:
                    started = time.perf_counter()
                count += 1
                if count == events:
                    break
            seconds = time.perf_counter() - started
    return {
        "events": count,
        "seconds": seconds,
        "events_per_second": (count - 1) / seconds,
        "peak_rss_mib": peak_mib(),
    }


async def client_slow(settings: dict[str, Any], group: str, events: int) -> dict[str, Any]:
    import multimarkets_async as mm

    async with mm.ManagerClient(**settings["credentials"]) as client:
        await client.company()  # logged in: what follows is the stream's
        before = rss_mib()
        async with client.events(group) as stream:
            taken = 0
            deadline = time.monotonic() + SLOW_SECONDS
            async for _ in stream:
                taken += 1
                await asyncio.sleep(0.01)  # a slow consumer
                if time.monotonic() > deadline:
                    break
            stats = stream.stats
    return {
        "queued": events,
        "taken": taken,
        "frames_read": stats.frames,
        "buffer": 1000,
        "rss_before_mib": before,
        "peak_rss_mib": peak_mib(),
        "growth_mib": peak_mib() - before,
    }


async def client_naive(settings: dict[str, Any], group: str, events: int) -> dict[str, Any]:
    import aiohttp

    import multimarkets_async as mm
    from multimarkets_async.events import decode_event

    async with mm.ManagerClient(**settings["credentials"]) as client:
        token = await client._pipeline.push_token()
    before = rss_mib()
    queue: asyncio.Queue[Any] = asyncio.Queue()  # unbounded

    async def reader(ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            queue.put_nowait(decode_event(message.data))

    headers = {"token": token, "group": group}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(settings["push_url"], headers=headers) as ws,
    ):
        task = asyncio.create_task(reader(ws))
        taken = 0
        deadline = time.monotonic() + SLOW_SECONDS
        while time.monotonic() < deadline:
            await queue.get()
            taken += 1
            await asyncio.sleep(0.01)
        read = taken + queue.qsize()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return {
        "queued": events,
        "taken": taken,
        "frames_read": read,
        "rss_before_mib": before,
        "peak_rss_mib": peak_mib(),
        "growth_mib": peak_mib() - before,
    }


CLIENTS = {
    "stream": client_stream,
    "bare": client_bare,
    "slow": client_slow,
    "naive": client_naive,
}


def run_client(kind: str, settings: dict[str, Any], group: str, events: int) -> dict[str, Any]:
    """One client in its own process, pinned to one core where the platform allows."""
    command = [*SELF, "--client", kind, group, str(events)]
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        command = ["taskset", "-c", "1", *command]
    done = subprocess.run(
        command, input=json.dumps(settings), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} client failed: {done.stderr.strip()}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- the report ----------------------------------------------------------------------------


def measure(quick: bool) -> dict[str, Any]:
    events = 30_000 if quick else 100_000
    repeats = 1 if quick else 3
    groups = [f"stream-{n}" for n in range(repeats)] + [f"bare-{n}" for n in range(repeats)]
    groups += ["slow", "naive"]
    started = time.perf_counter()
    server = Server(events, groups)
    try:
        runs: dict[str, list[dict[str, Any]]] = {"stream": [], "bare": []}
        for n in range(repeats):
            for kind in ("stream", "bare"):
                result = run_client(kind, server.settings, f"{kind}-{n}", events)
                runs[kind].append(result)
                print(f"{kind}: {result['events_per_second']:,.0f} events/s", flush=True)
        slow = run_client("slow", server.settings, "slow", events)
        print(f"slow consumer: peak RSS {slow['peak_rss_mib']:.1f} MiB", flush=True)
        naive = run_client("naive", server.settings, "naive", events)
        print(f"naive slow consumer: peak RSS {naive['peak_rss_mib']:.1f} MiB", flush=True)
    finally:
        server.close()
    rates = {k: statistics.median(r["events_per_second"] for r in v) for k, v in runs.items()}
    return {
        "events": events,
        "repeats": repeats,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "events_per_second": rates["stream"],
        "bare_events_per_second": rates["bare"],
        "stream_vs_bare": rates["stream"] / rates["bare"],
        "target_events_per_second": TARGET_EVENTS_PER_SECOND,
        "target_met": rates["stream"] >= TARGET_EVENTS_PER_SECOND,
        "runs": runs,
        "slow_consumer": slow,
        "naive_slow_consumer": naive,
        "seconds": time.perf_counter() - started,
    }


def report(result: dict[str, Any]) -> str:
    slow, naive = result["slow_consumer"], result["naive_slow_consumer"]
    met = "yes" if result["target_met"] else "**no**"
    return "\n".join(
        [
            "# Data Push benchmark",
            "",
            f"{result['events']:,} events queued per group in a sandbox in its own process; "
            f"each client in its own process pinned to one core. Python {result['python']} on "
            f"{result['machine']}; median of {result['repeats']} run(s); "
            f"whole run {result['seconds']:.0f} s.",
            "",
            "| measure | value | target | met |",
            "|---|---|---|---|",
            f"| events/s through `client.events()` (decode, dedup, buffer) | "
            f"{result['events_per_second']:,.0f} | ≥ {result['target_events_per_second']:,} "
            f"| {met} |",
            f"| events/s, bare aiohttp loop + `decode_event` | "
            f"{result['bare_events_per_second']:,.0f} | | |",
            f"| stream vs bare | {result['stream_vs_bare']:.2f}× | | |",
            f"| slow consumer, {slow['queued']:,} queued: peak RSS | "
            f"{slow['peak_rss_mib']:.1f} MiB (+{slow['growth_mib']:.1f} MiB while streaming; "
            f"{slow['frames_read']:,} frames read, {slow['taken']:,} taken) | bounded | "
            f"{'yes' if slow['frames_read'] < slow['queued'] // 2 else '**no**'} |",
            f"| naive unbounded queue, same consumer: peak RSS | "
            f"{naive['peak_rss_mib']:.1f} MiB (+{naive['growth_mib']:.1f} MiB; "
            f"{naive['frames_read']:,} frames read) | | |",
            "",
            "The stream stops reading the socket when its buffer (1,000 events by default) is "
            "full, so the server keeps the backlog; the naive reader pulls every queued frame "
            "into memory at once.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="30,000 events, one run each")
    parser.add_argument("--serve", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--client", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(int(args.serve[0]), args.serve[1:]))
        return
    if args.client:
        kind, group, events = args.client
        settings = json.loads(sys.stdin.read())
        result = asyncio.run(CLIENTS[kind](settings, group, int(events)))
        print(json.dumps(result))
        return
    result = measure(args.quick)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "events.json").write_text(json.dumps(result, indent=1))
    text = report(result)
    (RESULTS / "events.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
