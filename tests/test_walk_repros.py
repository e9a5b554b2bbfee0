"""The measured ways walks used to lose or repeat records, each as a test that must pass.

1. concurrency + a retried page + sign-ups; 3. one transient empty page; 4. a server that
repeats ids, or ignores ``current``; 5. ledger entries whose key fields are null; 6. the
memory of de-duplication with 64-bit ids. Exports across a resume (2 and 7) are in
``test_exports_resume.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
import msgspec
import pytest
from _operations import PAGE
from conftest import FAST_RETRY

import multimarkets_async as mm
from multimarkets_async.pagination._seen import HOT_LIMIT, SeenKeys
from multimarkets_async.sandbox import CHAOS_KINDS, Sandbox

pytestmark = [pytest.mark.anyio, pytest.mark.plain_and_secure]

CLI = [sys.executable, "-m", "multimarkets_async.cli"]
RETRY = mm.Retry(max_retries=10, base=0.001, cap=0.01)


# -- 1. concurrency + retried pages + sign-ups ---------------------------------------------------


@pytest.mark.parametrize("kind", CHAOS_KINDS)
@pytest.mark.parametrize("concurrency", [4, 16])
async def test_sign_ups_and_faults_lose_nothing(kind: str, concurrency: int, secure: bool) -> None:
    async with (
        Sandbox(
            secure=secure,
            customers=20_000,
            seed=3,
            insert_per_call=50,
            fault_rates={kind: 0.1},
            slow_delay=0.02,
            retry_after=0.01,
        ) as sb,
        mm.ManagerClient(**sb.credentials(), retry=RETRY) as client,
    ):
        original = sb.store.ids(0, len(sb.store))
        walk = client.customers.list(page_size=500, concurrency=concurrency)
        ids = [c.id async for c in walk]
    assert len(ids) == len(set(ids))
    assert not set(original) - set(ids)
    assert walk.stats.exact and walk.stats.drifted


async def test_the_export_command_reads_every_customer_at_any_concurrency(
    tmp_path: Path,
) -> None:
    """The command-line repro: a sandbox of 200,000 customers in its own process, 10% 429s,
    50 sign-ups per call; the export holds every original customer, none twice."""
    port = free_port()
    sandbox = await anyio.open_process(
        [
            *CLI,
            "sandbox",
            "--customers",
            "200000",
            "--port",
            str(port),
            "--fault",
            "429=0.1",
            "--retry-after",
            "0.02",
            "--insert-per-call",
            "50",
        ]
    )
    try:
        await wait_for_port(port)
        env = os.environ | credentials(port)
        for concurrency in ("4", "16"):
            out = tmp_path / f"d{concurrency}.jsonl"
            result = await anyio.run_process(
                [*CLI, "export", "customers", "--out", str(out), "--concurrency", concurrency],
                env=env,
                check=False,
            )
            assert result.returncode == 0, result.stderr.decode()
            ids = [msgspec.json.decode(line)["id"] for line in out.read_bytes().splitlines()]
            assert len(ids) == len(set(ids))
            assert not set(range(1, 200_001)) - set(ids)
            assert "every record was still read once" in result.stderr.decode()
    finally:
        sandbox.terminate()
        await sandbox.wait()


# -- 3. short and empty pages ------------------------------------------------------------------


async def test_a_transient_empty_page_is_read_again(secure: bool) -> None:
    async with (
        Sandbox(secure=secure, customers=10_000) as sb,
        mm.ManagerClient(**sb.credentials(), retry=FAST_RETRY) as client,
    ):
        sb.inject("empty_page", biz_type=PAGE, after=2)
        walk = client.customers.list(page_size=2000, concurrency=1)
        ids = [c.id async for c in walk]
    assert ids == list(range(10_000, 0, -1))
    assert walk.stats.exact and walk.stats.rereads == 1


@pytest.mark.parametrize("kind", ["empty_page", "short_page"])
async def test_a_page_that_stays_short_ends_the_walk_loudly(
    kind: str, caplog: pytest.LogCaptureFixture, secure: bool
) -> None:
    async with (
        Sandbox(secure=secure, customers=10_000) as sb,
        mm.ManagerClient(**sb.credentials(), retry=FAST_RETRY) as client,
    ):
        sb.inject(kind, biz_type=PAGE, after=2, times=100)
        walk = client.customers.list(page_size=2000, concurrency=4)
        ids = [c.id async for c in walk]
    assert len(ids) < 10_000 and len(ids) == len(set(ids))
    stats = walk.stats
    assert not stats.exact and stats.shortfall == 10_000 - len(ids)
    assert "records short" in stats.problems[0] and "records short" in caplog.text


# -- 4. servers that repeat records or ignore `current` -----------------------------------------


async def test_records_repeated_on_two_pages_come_once_and_the_walk_says_so(secure: bool) -> None:
    async with (
        Sandbox(secure=secure, customers=6_000, repeat_pages={2: 1}) as sb,
        mm.ManagerClient(**sb.credentials(), retry=FAST_RETRY) as client,
    ):
        walk = client.customers.list(page_size=2000, concurrency=1)
        ids = [c.id async for c in walk]
    assert len(ids) == len(set(ids)) == 4_000
    assert walk.stats.duplicates == 2_000
    assert not walk.stats.exact
    assert "repeated records" in walk.stats.problems[0]


@pytest.mark.parametrize("total", [None, 10**12, -5])
@pytest.mark.parametrize("concurrency", [1, 8])
async def test_a_server_that_ignores_current_is_caught(
    total: int | None, concurrency: int, secure: bool
) -> None:
    async with (
        Sandbox(secure=secure, customers=6_000, ignore_current=True, total_override=total) as sb,
        mm.ManagerClient(**sb.credentials(), retry=FAST_RETRY) as client,
    ):
        seen = 0
        with anyio.fail_after(10), pytest.raises(mm.InconsistentListingError) as caught:
            async for _ in client.customers.list(page_size=500, concurrency=concurrency):
                seen += 1
    assert seen == 500  # the first page, once
    error = caught.value
    assert error.page <= 5 and "ignore `current`" in str(error)
    assert error.biz_type == PAGE and error.trace and error.trace in str(error)


async def test_an_echoed_current_is_not_believed(secure: bool) -> None:
    async with (
        Sandbox(secure=secure, customers=5_000, echo_current=1) as sb,
        mm.ManagerClient(**sb.credentials(), retry=FAST_RETRY) as client,
    ):
        pages = [p async for p in client.customers.list(page_size=1000).pages()]
    assert [p.current for p in pages] == [1, 2, 3, 4, 5]  # the pages asked for, not the echo
    assert [c.id for p in pages for c in p.records] == list(range(5_000, 0, -1))


# -- 5. records without identity ---------------------------------------------------------------


async def test_ledger_entries_without_keys_are_never_dropped_as_repeats(secure: bool) -> None:
    async with (
        Sandbox(
            secure=secure,
            customers=1_000,
            ledger_size=5_000,
            ledger_null_keys=True,
            ledger_insert_per_call=7,
        ) as sb,
        mm.ManagerClient(**sb.credentials(), retry=FAST_RETRY) as client,
    ):
        number = sb.store.record(1)["customerNo"]
        walk = client.trade.capital_flow(
            customer_id=1, customer_group_id=1, customer_no=number, trade_type=1, page_size=500
        )
        entries = [e async for e in walk]
    assert all(e.bookkeep_id is None for e in entries)
    generated = [e for e in entries if e.business_type1 is None and e.remark is None]
    stamps = [(e.create_time, e.amount_in, e.amount_out) for e in entries]
    assert len(stamps) == len(set(stamps))  # distinct entries, none twice
    assert len(generated) >= 5_000  # every entry present at the start, none dropped
    assert walk.stats.drifted and walk.stats.duplicates == 0 and walk.stats.exact


# -- 6. the memory of de-duplication ---------------------------------------------------------------


def test_keys_are_kept_in_eight_bytes_each_whatever_they_look_like() -> None:
    snowflake = SeenKeys()
    base = 1 << 60
    ids = [base + (i << 22) + (i * 2654435761) % (1 << 22) for i in range(300_000, 0, -1)]
    for start in range(0, len(ids), 2000):
        assert snowflake.admit(ids[start : start + 2000]) is None  # the fast path, every page
    assert len(snowflake) == 300_000
    assert len(snowflake._hot) < HOT_LIMIT
    assert sum(run.keys.itemsize * len(run.keys) for run in snowflake._runs) >= 8 * (
        300_000 - HOT_LIMIT
    )
    assert ids[123] in snowflake and base not in snowflake
    flags = snowflake.admit([ids[5], base, ids[70_000], None, base])
    assert flags == [False, True, False, True, False]


def test_keys_in_no_order_are_still_exact() -> None:
    import random

    rng = random.Random(5)
    keys = rng.sample(range(1 << 62), 150_000)
    seen = SeenKeys()
    for start in range(0, len(keys), 1000):
        flags = seen.admit(keys[start : start + 1000])
        assert flags is None or all(flags)  # all new (checked key by key once runs overlap)
    again = [*rng.sample(keys, 500), 7, 8]
    flags = seen.admit(again)
    assert flags is not None and flags[:500] == [False] * 500 and flags[500:] == [True, True]
    assert len(seen._runs) <= 4  # overlapping runs are merged


def test_text_and_composite_keys() -> None:
    seen = SeenKeys()
    assert seen.admit(["a", "b", ("x", 1)]) == [True, True, True]
    assert seen.admit(["b", ("x", 1), ("x", 2), 1 << 70]) == [False, False, True, True]
    assert (1 << 70) in seen and ("x", 2) in seen


# -- helpers -------------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_for_port(port: int) -> None:
    with anyio.fail_after(20):
        while True:
            try:
                stream = await anyio.connect_tcp("127.0.0.1", port)
            except OSError:
                await anyio.sleep(0.05)
            else:
                await stream.aclose()
                return


def credentials(port: int) -> dict[str, str]:
    return {
        "MULTIMARKETS_BASE_URL": f"http://127.0.0.1:{port}/openapi-b",
        "MULTIMARKETS_APP_ID": "sandbox-app-id",
        "MULTIMARKETS_APP_SECRET": "sandbox-app-secret",
        "MULTIMARKETS_COMPANY_ID": "439",
    }


# -- the checks at the end of a walk, by themselves ------------------------------------------------


def test_a_record_between_two_yielded_ones_was_missed() -> None:
    from multimarkets_async.pagination._checks import Seam, deletions_at_head, missed_at_seam

    seam = Seam(before=(10, 9), after=(6, 5), rank=90)
    # positions 5..11 of a list of 100: 10, 9 yielded; 8 and 7 not; then 6, 5 yielded
    keys = [11, 10, 9, 8, 7, 6, 5]
    assert missed_at_seam(keys, {11, 10, 9, 6, 5}, seam, 5, 100, spread=0) == [3, 4]
    assert missed_at_seam(keys, {11, 10, 9, 8, 7, 6, 5}, seam, 5, 100, spread=0) == []
    # both sides deleted since: ranks tell which yielded records lie above and below it
    gone = Seam(before=(99,), after=(98,), rank=93)
    assert missed_at_seam(keys, {11, 10, 9, 6, 5}, gone, 5, 100, spread=1) == [3, 4]
    assert missed_at_seam([8, 7], {10}, seam, 8, 100, spread=0) is None  # neither side shows
    # the walk's first record, ranked 50 then, is at position 11 of 60 now: ranked 48
    assert deletions_at_head([3, 2, 1], head=(2, 1), head_rank=50, first_position=10, total=60) == 2
    assert deletions_at_head([3, 4], head=(2, 1), head_rank=50, first_position=10, total=60) is None
