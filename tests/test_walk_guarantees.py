"""Seeded randomized walks against a sandbox that changes and fails while it is read.

Every walk is checked against what the README promises: no record twice, ever; every customer
present from the walk's start to its end yielded (or the walk says it cannot vouch for that,
in ``stats.problems``); survivors in list order. The scenario of each seed mixes sign-ups at
the front, deletions anywhere, every fault kind, concurrency 1..16, page sizes, re-reading on
and off, records or ``pages()``, and plain or secure mode.

CI runs ``WALK_SEEDS`` seeds (default 300); more on demand, e.g.
``MULTIMARKETS_WALK_SEEDS=5000 python -m pytest tests/test_walk_guarantees.py``.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Any

import anyio
import pytest

import multimarkets_async as mm
from multimarkets_async.sandbox import CHAOS_KINDS, Sandbox

pytestmark = pytest.mark.anyio

WALK_SEEDS = int(os.environ.get("MULTIMARKETS_WALK_SEEDS", "300"))
PAGE_FAULTS = ("empty_page", "short_page")
RETRY = mm.Retry(max_retries=12, base=0.001, cap=0.004)


@dataclass(frozen=True)
class Scenario:
    seed: int
    customers: int
    page_size: int
    concurrency: int
    inserts: int  # sign-ups before each list call
    deletions: int  # deletions before each list call
    faults: dict[str, float]
    reread: bool
    pages: bool  # walk pages() instead of records
    interrupt: int | None  # stop after this many pages, change the data, resume from a cursor
    between: tuple[int, int]  # sign-ups and deletions while the walk is interrupted
    secure: bool  # against a sandbox that requires secure mode (signed, encrypted requests)

    @classmethod
    def draw(cls, seed: int) -> Scenario:
        rng = random.Random(seed)
        customers = rng.choice([0, 1, rng.randrange(2, 300), rng.randrange(300, 3000)])
        sizes = [s for s in (1, 2, 7, 20, 50, 100, 333, 2000) if customers // s <= 60]
        page_size = rng.choice(sizes or [2000])
        concurrency = rng.choice([1, 1, 2, 4, 8, 16, rng.randint(1, 16)])
        churn = max(1, page_size // (4 * concurrency))
        inserts = rng.choice([0, 0, rng.randint(1, churn)])
        deletions = rng.choice([0, 0, rng.randint(1, max(1, churn // 2))])
        kinds = rng.sample(CHAOS_KINDS, rng.randint(0, 4))
        faults = {kind: rng.uniform(0.02, 0.1) for kind in kinds}
        pages = rng.random() < 0.5
        interrupt = rng.randint(1, 5) if pages and rng.random() < 0.5 else None
        between = (rng.choice([0, rng.randint(1, 50)]), rng.choice([0, rng.randint(1, 20)]))
        return cls(
            seed,
            customers,
            page_size,
            concurrency,
            inserts,
            deletions,
            faults,
            reread=rng.random() < 0.8,
            pages=pages,
            interrupt=interrupt,
            between=between,
            secure=rng.random() < 0.5,
        )


async def walk(scenario: Scenario) -> tuple[list[int], mm.WalkStats, list[int], set[int]]:
    """Run one walk (interrupted and resumed, if the scenario says so); returns the ids
    yielded, the stats, the ids the walk must yield if present at the end (those present at
    its start and those that signed up while it was interrupted), and the ids at the end."""
    async with (
        Sandbox(
            customers=scenario.customers,
            seed=scenario.seed,
            insert_per_call=scenario.inserts,
            delete_per_call=scenario.deletions,
            fault_rates=scenario.faults,
            slow_delay=0.01,
            retry_after=0.001,
            secure=scenario.secure,
        ) as sb,
        mm.ManagerClient(**sb.credentials(), retry=RETRY) as client,
    ):
        start = sb.store.ids(0, len(sb.store))
        paginator = client.customers.list(
            page_size=scenario.page_size,
            concurrency=scenario.concurrency,
            reread_on_drift=scenario.reread,
        )
        ids: list[int] = []
        with anyio.fail_after(60):
            if scenario.pages:
                cursor = None
                async with paginator.pages() as pages:
                    async for page in pages:
                        assert page.records
                        ids.extend(c.id for c in page.records if c.id is not None)
                        if scenario.interrupt and pages.stats.pages >= scenario.interrupt:
                            cursor = mm.WalkCursor.from_bytes(pages.cursor().to_bytes())
                            break
                if cursor is not None:
                    start += sb.sign_up(scenario.between[0])
                    sb.delete_customers(scenario.between[1])
                    paginator = paginator.resume(cursor)
                    async with paginator.pages() as pages:
                        async for page in pages:
                            assert page.records
                            ids.extend(c.id for c in page.records if c.id is not None)
            else:
                ids = [c.id async for c in paginator if c.id is not None]
        end = set(sb.store.ids(0, len(sb.store)))
    return ids, paginator.stats, start, end


def check(
    scenario: Scenario, ids: list[int], stats: mm.WalkStats, start: list[int], end: Any
) -> None:
    assert len(ids) == len(set(ids)), "a record was yielded twice"
    survivors = [i for i in start if i in end]
    missing = set(survivors) - set(ids)
    assert not missing or not stats.exact, f"{len(missing)} missed silently: {stats}"
    changed = (
        scenario.inserts or scenario.deletions or (scenario.interrupt and any(scenario.between))
    )
    shortfall_only = all("records short" in p for p in stats.problems)
    if scenario.reread or not changed:
        # Nothing may be left unproven: a shortfall is allowed only after pages that kept
        # coming back empty or short (four reads in a row).
        assert not stats.problems or (shortfall_only and set(scenario.faults) & set(PAGE_FAULTS)), (
            stats.problems
        )
    if stats.exact and not scenario.interrupt:
        # Survivors come in list order; records recovered at a seam check come last.
        ordered = ids[: len(ids) - stats.recovered]
        at = {i: n for n, i in enumerate(ordered)}
        placed = [at[i] for i in survivors if i in at]
        assert placed == sorted(placed)


@pytest.mark.parametrize("seed", range(WALK_SEEDS))
async def test_walk_keeps_its_guarantees(seed: int) -> None:
    scenario = Scenario.draw(seed)
    ids, stats, start, end = await walk(scenario)
    check(scenario, ids, stats, start, end)
