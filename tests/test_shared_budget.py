"""The rate-limit budget shared through a real Redis: many processes within one limit, a 429
seen by one pausing all, the store failing without stopping anyone; and the store's scripts
deciding exactly as the in-process budget does."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from _clock import ManualClock
from _operations import GROUPS, PAGE
from _redis import RedisServer
from anyio.abc import TaskGroup
from conftest import FAST_RETRY

import multimarkets_async as mm
from multimarkets_async._budget import BudgetExhausted, RateLimitBudget, Reply, Slot
from multimarkets_async._shared_budget import SharedBudget
from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

WORKERS = 4
LIMIT, WINDOW = 60, 0.5
CUSTOMERS = 1800  # 90 pages of 20 per walk: about 3 s for four walks at 120 calls/s
WALKER = str(Path(__file__).with_name("_budget_walker.py"))
SEEDS = range(int(os.environ.get("MULTIMARKETS_BUDGET_SEEDS", "8")))


async def _walk_together(sb: Sandbox, store: str, kill: RedisServer | None = None) -> list[Any]:
    """``WORKERS`` processes walking ``sb`` at once (the store killed once the sandbox has
    answered 100 pages, if ``kill``); each one's exit status, result and stderr lines."""
    results: list[Any] = [None] * WORKERS

    async def worker(number: int) -> None:
        done = await anyio.run_process(
            [sys.executable, WALKER, sb.base_url, store], check=False, env=_env()
        )
        lines = done.stderr.decode().splitlines()
        output = json.loads(done.stdout) if done.returncode == 0 else None
        results[number] = (done.returncode, output, lines)

    async with anyio.create_task_group() as group:
        for number in range(WORKERS):
            group.start_soon(worker, number)
        if kill is not None:
            while len(_pages(sb)) < 100:
                await anyio.sleep(0.01)
            kill.kill()
    return results


def _env() -> dict[str, str]:
    pythonpath = os.pathsep.join(filter(None, [str(Path(__file__).parent.parent), *sys.path]))
    return os.environ | {"PYTHONPATH": pythonpath}


def _pages(sb: Sandbox) -> list[tuple[float, str, int]]:
    return [entry for entry in sb.request_log if entry[1] == PAGE]


def _check_walks(sb: Sandbox, results: list[Any]) -> None:
    expected = list(sb.customer_records(deleted=False))
    for status, output, lines in results:
        assert status == 0, lines
        assert output["ids"] == expected and output["exact"]


async def test_processes_sharing_the_store_stay_within_the_limit(redis_url: str) -> None:
    async with Sandbox(customers=CUSTOMERS, rate_limit=LIMIT, rate_window=WINDOW) as sb:
        results = await _walk_together(sb, redis_url)
    _check_walks(sb, results)
    log = _pages(sb)
    late = [entry for entry in log if entry[2] == 429 and entry[0] - log[0][0] > WINDOW]
    assert not late, f"{len(late)} 429s after the first window"
    # The sandbox's windows (each starts with the first call after the last one ended): the
    # pace over the full windows after the first, from the start of the second window to
    # the start of the last.
    starts, counts = [], []
    for time, _, status in log:
        if not starts or time - starts[-1] >= WINDOW:
            starts.append(time)
            counts.append(0)
        counts[-1] += status == 200
    assert len(starts) >= 5
    pace = sum(counts[1:-1]) / (starts[-1] - starts[1])
    assert abs(pace / (LIMIT / WINDOW) - 1) <= 0.10, f"{pace:.1f} calls/s; {counts}"
    assert all(not lines for _, _, lines in results)  # no warnings


async def test_processes_without_the_store_draw_429s() -> None:
    """Why the store: each process believes the whole limit is its own."""
    async with Sandbox(customers=CUSTOMERS, rate_limit=LIMIT, rate_window=WINDOW) as sb:
        results = await _walk_together(sb, "-")
    _check_walks(sb, results)
    log = _pages(sb)
    late = [entry for entry in log if entry[2] == 429 and entry[0] - log[0][0] > WINDOW]
    assert len(late) > 10


async def test_the_store_dying_mid_run_stops_no_walk(
    throwaway_redis_server: RedisServer,
) -> None:
    async with Sandbox(customers=CUSTOMERS, rate_limit=LIMIT, rate_window=WINDOW) as sb:
        results = await _walk_together(sb, throwaway_redis_server.url, throwaway_redis_server)
    _check_walks(sb, results)  # every walk complete and exact
    assert len(_pages(sb)) > 200  # most of the walks came after the store died
    for _, _, lines in results:
        assert len(lines) == 1 and "cannot be reached" in lines[0], lines  # one warning each


async def test_a_429_seen_by_one_client_pauses_the_others(redis_url: str) -> None:
    """One client meets a 429 naming 0.5 s; another client (its own process, as far as the
    budget knows) calling just after it waits for the same pause instead of going ahead."""
    async with (
        Sandbox(customers=10) as sb,
        mm.ManagerClient(**sb.credentials(), rate_limit_store=redis_url) as first,
        mm.ManagerClient(**sb.credentials(), rate_limit_store=redis_url) as second,
    ):
        await second.customers.groups()  # logged in, so that its next call goes at once
        sb.inject("rate_limit", biz_type=GROUPS, delay=0.5)
        async with anyio.create_task_group() as group:
            group.start_soon(first.customers.groups)
            while not first._pipeline.budget.blocked(GROUPS):  # the 429 is in the store
                await anyio.sleep(0.005)
            started = anyio.current_time()
            await second.customers.groups()
            waited = anyio.current_time() - started
    assert 0.3 <= waited <= 1.0
    assert sb.statuses[(GROUPS, 429)] == 1 and sb.statuses[(GROUPS, 200)] == 3


async def test_a_store_that_stalls_is_left_and_found_again(
    throwaway_redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis frozen (SIGSTOP): calls go on, paced alone, after one warning; Redis thawed:
    the shared budget again, said at INFO."""
    caplog.set_level(logging.INFO, logger="multimarkets_async")
    budget = SharedBudget(throwaway_redis_server.url, "ns", timeout=0.1, retry_interval=0.05)
    try:
        slot = await budget.acquire(GROUPS, 1.0)
        await slot.settle(Reply({"x-ratelimit-limit": "5"}))
        assert budget.shared
        os.kill(throwaway_redis_server.pid, signal.SIGSTOP)
        try:
            with anyio.fail_after(5):
                for _ in range(20):
                    slot = await budget.acquire(GROUPS, 1.0)  # this process's own budget
                    await slot.settle(Reply(None))
                    await anyio.sleep(0.01)
            assert not budget.shared
        finally:
            os.kill(throwaway_redis_server.pid, signal.SIGCONT)
        with anyio.fail_after(5):
            while not budget.shared:
                slot = await budget.acquire(GROUPS, 1.0)
                await slot.settle(Reply(None))
                await anyio.sleep(0.02)
    finally:
        await budget.aclose()
    levels = [r.levelno for r in caplog.records if "rate-limit store" in r.getMessage()]
    assert levels == [logging.WARNING, logging.INFO]


async def test_namespaces_keep_companies_apart(redis_url: str) -> None:
    one, other = SharedBudget(redis_url, "a"), SharedBudget(redis_url, "b")
    try:
        slot = await one.acquire(PAGE, 1.0)
        await slot.settle(Reply(_headers(limit=1, remaining=0, window=60)))
        with pytest.raises(BudgetExhausted):
            await one.acquire(PAGE, 1.0)
        await other.acquire(PAGE, 1.0)  # another company's budget is untouched
    finally:
        await one.aclose()
        await other.aclose()


async def test_settings(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = {"app_id": "a", "app_secret": "s", "company_id": 7, "base_url": "http://h/x"}
    with pytest.raises(mm.ConfigurationError, match="redis://"):
        mm.ManagerClient(**settings, rate_limit_store="http://redis:6379")
    with pytest.raises(mm.ConfigurationError, match="rate_limit_store"):
        mm.ManagerClient(**settings, rate_limit_namespace="x")
    secret = "s3cret-pa55"
    client = mm.ManagerClient(**settings, rate_limit_store=f"redis://:{secret}@127.0.0.1:1/0")
    budget = client._pipeline.budget
    assert isinstance(budget, SharedBudget) and budget.keys(PAGE)[0].startswith("multimarkets:7:")
    assert secret not in repr(budget)
    monkeypatch.setenv("MULTIMARKETS_RATE_LIMIT_STORE", redis_url)
    monkeypatch.setenv("MULTIMARKETS_RATE_LIMIT_NAMESPACE", "shared-ns")
    budget = mm.ManagerClient(**settings)._pipeline.budget
    assert isinstance(budget, SharedBudget) and budget.keys(PAGE)[0].startswith("shared-ns:")


@pytest.mark.parametrize(
    "url",
    ["redis://:SECRET@127.0.0.1:1/0", "redis://127.0.0.1:1/0?password=SECRET"],
    ids=["in-userinfo", "in-query"],
)
async def test_a_password_never_shows(url: str, caplog: pytest.LogCaptureFixture) -> None:
    async with (
        Sandbox(customers=5) as sb,
        mm.ManagerClient(**sb.credentials(), rate_limit_store=url) as client,
    ):
        await client.customers.groups()  # the store is unreachable: the call still goes
        shown = repr(client._pipeline.budget)
    messages = [record.getMessage() for record in caplog.records]
    assert any("cannot be reached" in m for m in messages)
    assert not any("SECRET" in m for m in [*messages, shown])


def test_a_store_url_redis_cannot_use_is_refused_at_construction() -> None:
    settings = {"app_id": "a", "app_secret": "s", "company_id": 7, "base_url": "http://h/x"}
    url = "redis://:SECRET@127.0.0.1:6379/0?socket_timeout=soon"
    with pytest.raises(mm.ConfigurationError, match="not valid") as caught:
        mm.ManagerClient(**settings, rate_limit_store=url)
    assert "SECRET" not in str(caught.value)


# -- the store's scripts decide as the in-process budget does ------------------------------


def _headers(
    *, limit: int | None = None, remaining: int | None = None, window: float | None = None
) -> dict[str, str]:
    headers = {}
    if limit is not None:
        headers["x-ratelimit-limit"] = str(limit)
    if remaining is not None:
        headers["x-ratelimit-remairing"] = str(remaining)
    if window is not None:
        headers["x-ratelimit-reset"] = f"{window:g}"
    return headers


async def _try(budget: Any) -> tuple[str, Slot | None, float]:
    """Ask for a slot without waiting: taken, ``exhausted`` (and the wait named) or
    ``waiting`` (for a reply in flight to tell)."""
    with anyio.move_on_after(0.05):
        try:
            return "taken", await budget.acquire(PAGE, 0.0), 0.0
        except BudgetExhausted as exhausted:
            return "exhausted", None, round(exhausted.wait, 3)
    return "waiting", None, 0.0


@pytest.mark.parametrize("seed", SEEDS)
async def test_the_scripts_decide_as_the_local_budget_does(redis_url: str, seed: int) -> None:
    """Seeded random sequences of acquires, replies (limits, windows, calls left, 429s with
    and without Retry-After, failures) and time passing, given to both budgets on one clock:
    every decision the same."""
    rng = random.Random(seed)
    clock = ManualClock(1_000.0)
    local = RateLimitBudget(clock=clock)
    shared = SharedBudget(redis_url, f"conformance-{seed}", clock=clock, store_clock=clock)
    slots: list[tuple[Slot, Slot, float]] = []
    seen: set[str] = set()
    try:
        await (await shared.acquire("warm-up", 1.0)).settle(Reply(None))  # connected, loaded
        for step in range(200):
            roll = rng.random()
            if roll < 0.45:
                mine, theirs = await _try(local), await _try(shared)
                assert (mine[0], mine[2]) == (theirs[0], theirs[2]), f"seed {seed} step {step}"
                seen.add(mine[0])
                if mine[1] is not None and theirs[1] is not None:
                    slots.append((mine[1], theirs[1], clock()))
            elif roll < 0.85 and slots:
                mine_slot, their_slot, _ = slots.pop(rng.randrange(len(slots)))
                reply = _random_reply(rng)
                await mine_slot.settle(reply)
                await their_slot.settle(reply)
            else:
                clock.now += rng.choice([0.001, 0.05, 0.2, 0.7, 2.0])
            for mine_slot, their_slot, taken in list(slots):  # no call outlives its lease
                if clock() - taken > 20:
                    slots.remove((mine_slot, their_slot, taken))
                    await mine_slot.settle(Reply(None))
                    await their_slot.settle(Reply(None))
    finally:
        await shared.aclose()
    assert {"taken", "exhausted"} <= seen  # "waiting" too, in all but a few seeds


def _random_reply(rng: random.Random) -> Reply:
    if rng.random() < 0.1:
        return Reply(None)
    headers = _headers(
        limit=rng.choice([None, 1, 3, 5]),
        remaining=rng.choice([None, 0, 1, 2, 4]),
        window=rng.choice([None, 0.5, 1, 3]),
    )
    rate_limited = rng.random() < 0.15
    retry_after = rng.choice([None, 0.3, 1.5]) if rate_limited else None
    return Reply(headers, rate_limited, retry_after, rng.choice([60.0, 2.0]))


async def test_a_group_of_tasks_in_one_process_shares_too(redis_url: str) -> None:
    """Many tasks of one client against a small limit: no 429 after the first window."""
    async with (
        Sandbox(customers=600, rate_limit=20, rate_window=0.3) as sb,
        mm.ManagerClient(**sb.credentials(), rate_limit_store=redis_url, retry=FAST_RETRY) as c,
    ):

        async def walk(group: TaskGroup) -> None:
            assert len([x async for x in c.customers.list(page_size=20, concurrency=8)]) == 600

        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(walk, group)
    log = _pages(sb)
    late = [entry for entry in log if entry[2] == 429 and entry[0] - log[0][0] > 0.3]
    assert not late
