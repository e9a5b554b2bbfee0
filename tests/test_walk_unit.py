"""The walk planner tested alone: its pure placement rules, its end-of-walk checks, and whole
walks over an in-memory listing that changes between reads (no HTTP, no sandbox).

The in-memory listing answers each page at a random moment between the request's start and
end, so that pages read concurrently are answered out of order, as a real server may. CI runs
``UNIT_SEEDS`` seeds (default 400); more on demand with ``MULTIMARKETS_UNIT_SEEDS``.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field

import anyio
import msgspec
import pytest

import multimarkets_async as mm
from multimarkets_async.models import Page
from multimarkets_async.pagination._checks import Seam, deletions_at_head, missed_at_seam
from multimarkets_async.pagination._frame import (
    MAX_PAGE,
    Fit,
    Span,
    expected_count,
    page_covering,
    page_holding,
    place,
    span_of,
)
from multimarkets_async.pagination._state import WalkSpec
from multimarkets_async.pagination._window import Reply

pytestmark = pytest.mark.anyio

UNIT_SEEDS = int(os.environ.get("MULTIMARKETS_UNIT_SEEDS", "400"))
RETRY = mm.Retry(max_retries=3, base=0.001, cap=0.002)


# -- placement by rank -------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(50))
def test_the_page_holding_a_rank_spans_it(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        total = rng.randint(1, 10_000)
        size = rng.randint(1, MAX_PAGE)
        rank = rng.randrange(total)
        number = page_holding(rank, size, total)
        span = span_of(number, size, total, expected_count(number, size, total))
        assert span.low <= rank < span.high


def test_expected_count_is_what_total_promises() -> None:
    assert [expected_count(n, 10, 25) for n in (1, 2, 3, 4)] == [10, 10, 5, 0]
    assert expected_count(1, 2000, 0) == 0


def test_placement_against_the_frontier() -> None:
    # Ranks [90, 100) against a frontier of 95: five were yielded before, five are new.
    assert place(Span(90, 100), 95) == (Fit.FITS, 5)
    assert place(Span(90, 100), 100) == (Fit.FITS, 0)
    # Entirely below the record just under the frontier: a gap, unless it is page 1.
    assert place(Span(80, 90), 95) == (Fit.GAP, 0)
    assert place(Span(80, 90), 95, from_front=True) == (Fit.FITS, 0)
    # Entirely at or above the frontier: everything in it was yielded already.
    assert place(Span(95, 105), 95) == (Fit.ABOVE, 10)


@pytest.mark.parametrize("seed", range(20))
def test_page_covering_returns_a_servable_page(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(300):
        start = rng.randrange(50_000)
        end = start + rng.randint(1, 2 * MAX_PAGE)
        found = page_covering(start, end)
        if found is None:
            assert end - start > MAX_PAGE or all(
                (start // s + 1) * s < end for s in range(end - start, MAX_PAGE + 1)
            )
            continue
        number, size = found
        assert 1 <= size <= MAX_PAGE
        assert (number - 1) * size <= start and number * size >= end


# -- the checks at a walk's end ------------------------------------------------------------------


def test_deletions_at_head_counts_older_records_deleted() -> None:
    head = ("a", "b", "c")  # the walk's first records, newest first; "a" ranked 99 then
    # Now "b" sits at position 3 of 98: rank 94; it was ranked 98, so four older ones went.
    assert deletions_at_head(["x", "y", "z", "b"], head, 99, 0, 98) == 4
    assert deletions_at_head(["x", "y"], head, 99, 0, 98) is None
    assert deletions_at_head([None, "c"], head, 99, 1, 100) == 0


def test_missed_at_seam_finds_a_record_between_two_yielded_ones() -> None:
    seen = {"p", "q", "s", "t"}
    seam = Seam(before=("q",), after=("s",), rank=50)
    # Positions 48..52 of 100 (ranks 51..47): "r" lies between both sides and was not yielded.
    assert missed_at_seam(["p", "q", "r", "s", "t"], seen, seam, 48, 100, 0) == [2]
    assert missed_at_seam(["p", "q", "s", "t"], seen, seam, 48, 100, 0) == []
    # Only one side shows: the reply cannot tell.
    assert missed_at_seam(["p", "q", "r"], seen, seam, 48, 100, 0) is None
    # The records just before the seam were deleted since; a yielded record ranked above the
    # seam still shows that side.
    assert missed_at_seam(["p", "r", "s"], {"p", "s"}, seam, 48, 99, 0) == [1]


# -- whole walks over an in-memory listing -------------------------------------------------------


class Record(msgspec.Struct):
    id: int


@dataclass
class Listing:
    """A newest-first listing with sign-ups at the front and deletions anywhere, changed by
    ``inserts``/``deletions`` before each answer."""

    rng: random.Random
    ids: list[int]
    inserts: int
    deletions: int
    next_id: int = 0
    reads: int = 0
    ever: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.next_id = max(self.ids, default=0) + 1
        self.ever.update(self.ids)

    def change(self) -> None:
        for _ in range(self.rng.randint(0, self.inserts)):
            self.ids.insert(0, self.next_id)
            self.ever.add(self.next_id)
            self.next_id += 1
        for _ in range(self.rng.randint(0, self.deletions)):
            if self.ids:
                del self.ids[self.rng.randrange(len(self.ids))]

    async def fetch(self, number: int, size: int) -> Reply[Record]:
        started = time.monotonic()
        await anyio.sleep(self.rng.choice((0, 0, 0.001, 0.003)))
        self.reads += 1
        self.change()
        offset = (number - 1) * size
        records = [Record(i) for i in self.ids[offset : offset + size]]
        total = len(self.ids)
        await anyio.sleep(self.rng.choice((0, 0, 0.001, 0.003)))
        page = Page(current=number, size=size, total=total, records=records)
        return Reply(number, size, page, total, f"t{self.reads}", started, time.monotonic())


def paginator(listing: Listing, size: int, concurrency: int, reread: bool) -> mm.Paginator[Record]:
    spec: WalkSpec[Record] = WalkSpec(
        fetch=listing.fetch,
        biz_type="unit.walk",
        listing="unit.walk|[]",
        page_size=size,
        start_page=1,
        max_items=None,
        concurrency=concurrency,
        key=mm.RecordKey("id"),
        reread_on_drift=reread,
        retry=RETRY,
        host=lambda: None,
    )
    return mm.Paginator(spec, record_type=Record)


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_still_listing_is_read_once_page_by_page(concurrency: int) -> None:
    listing = Listing(random.Random(0), list(range(1000, 0, -1)), 0, 0)
    walk = paginator(listing, 100, concurrency, reread=True)
    ids = [r.id async for r in walk]
    assert ids == list(range(1000, 0, -1))
    assert walk.stats.exact and listing.reads == walk.stats.pages
    # Ten pages; pages read ahead add one read at the end, finding the walk's first records
    # again to prove that no older record was deleted while they were placed.
    assert listing.reads == (10 if concurrency == 1 else 11)


@pytest.mark.parametrize("seed", range(UNIT_SEEDS))
async def test_walks_over_a_changing_listing_keep_their_guarantees(seed: int) -> None:
    rng = random.Random(seed)
    count = rng.choice([0, 1, rng.randrange(2, 200), rng.randrange(200, 2000)])
    size = rng.choice([1, 3, 10, 50, 200, 2000]) if count < 2000 else rng.choice([50, 200, 2000])
    while count // size > 60:
        size *= 2
    concurrency = rng.choice([1, 2, 4, 8, 16])
    churn = max(1, size // (4 * concurrency))
    inserts = rng.choice([0, rng.randint(1, churn)])
    deletions = rng.choice([0, rng.randint(1, max(1, churn // 2))])
    listing = Listing(rng, list(range(count, 0, -1)), inserts, deletions)
    start = list(listing.ids)
    walk = paginator(listing, min(size, MAX_PAGE), concurrency, reread=True)
    with anyio.fail_after(30):
        ids = [r.id async for r in walk]
    end = set(listing.ids)
    stats = walk.stats
    assert len(ids) == len(set(ids)), "a record was yielded twice"
    assert set(ids) <= listing.ever, "a record that never existed"
    survivors = [i for i in start if i in end]
    missing = set(survivors) - set(ids)
    assert not missing or not stats.exact, f"{len(missing)} missed silently: {stats}"
    assert not stats.problems, stats.problems  # re-reading on drift leaves nothing unproven
    assert not missing
