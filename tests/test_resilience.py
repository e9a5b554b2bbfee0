"""Retries, write safety, the rate-limit budget and timeouts, under faults the sandbox injects."""

from __future__ import annotations

import logging
import math
import random
import time
from typing import Any

import anyio
import pytest
from _operations import AUTH, CREATE, GROUPS, PAGE, biz_type

import multimarkets_async as mm
from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

EXISTS = biz_type("customers.exists")
FAST = mm.Retry(max_retries=3, base=0.001, cap=0.01)
NEW_CUSTOMER: dict[str, Any] = {
    "phone": "13912345678",
    "password": "p4ssw0rd",
    "country": "CN",
    "register_source": mm.RegisterSource.PC_WEB,
    "customer_group_id": 1,
}


def retry_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if hasattr(r, "attempt")]


# -- which failures are retried ---------------------------------------------------------------

RETRIED = [
    {"kind": "code", "code": "G500", "status": 500},
    {"kind": "html", "status": 502},
    {"kind": "html", "status": 503},
    {"kind": "html", "status": 504},
    {"kind": "reset"},
    {"kind": "disconnect"},
    {"kind": "delay", "delay": 0.3},
    {"kind": "rate_limit", "delay": 0.05},
    {"kind": "code", "code": "GGATEWAY_CODE_018"},
    {"kind": "code", "code": "GGATEWAY_CODE_011"},
    {"kind": "code", "code": "GGATEWAY_CODE_012"},
    {"kind": "code", "code": "GGATEWAY_CODE_902"},
    {"kind": "code", "code": "GGATEWAY_CODE_014"},
]


@pytest.mark.parametrize(
    "fault", RETRIED, ids=lambda f: f"{f['kind']}-{f.get('code', f.get('status', ''))}"
)
async def test_reads_are_retried(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture, fault: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG, logger="multimarkets_async")
    async with mm.ManagerClient(
        **sandbox.credentials(), retry=FAST, timeout=mm.Timeout(read=0.15)
    ) as client:
        await client.customers.groups()
        sandbox.inject(biz_type=GROUPS, **fault)
        assert len(await client.customers.groups()) == 4
    assert sandbox.calls[GROUPS] == 3
    [record] = retry_records(caplog)
    assert record.biz_type == GROUPS and record.attempt == 1  # type: ignore[attr-defined]
    assert 0 <= record.wait <= FAST.cap  # type: ignore[attr-defined]
    assert record.trace.startswith("mm-")  # type: ignore[attr-defined]
    assert record.levelno == logging.DEBUG


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("GGATEWAY_CODE_019", mm.PermissionDeniedError),
        ("USCUSTOMER_API_0000106", mm.ConflictError),
        ("USCUSTOMER_API_0000003", mm.NotFoundError),
        ("GGATEWAY_CODE_015", mm.InvalidRequestError),
        ("FS51019", mm.BusinessError),
        ("GGATEWAY_CODE_101", mm.AuthenticationError),
    ],
)
async def test_business_errors_are_not_retried(
    sandbox: Sandbox, code: str, cls: type[mm.APIError]
) -> None:
    async with mm.ManagerClient(**sandbox.credentials(), retry=FAST) as client:
        sandbox.inject("code", biz_type=GROUPS, code=code)
        with pytest.raises(cls) as caught:
            await client.customers.groups()
    assert caught.value.attempts == 1 and "attempts" not in str(caught.value)
    assert sandbox.calls[GROUPS] == 1


async def test_gives_up_after_max_retries(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="multimarkets_async")
    async with mm.ManagerClient(**sandbox.credentials(), retry=FAST) as client:
        sandbox.inject("code", biz_type=GROUPS, code="G500", times=10)
        with pytest.raises(mm.ServiceUnavailableError) as caught:
            await client.customers.groups()
        assert caught.value.attempts == 4 and "after 4 attempts" in str(caught.value)
        assert sandbox.calls[GROUPS] == 4
        assert [r.attempt for r in retry_records(caplog)] == [1, 2, 3]  # type: ignore[attr-defined]
        sandbox.clear_faults()
        with pytest.raises(mm.ServiceUnavailableError):  # and per call: no retries at all
            sandbox.inject("code", biz_type=GROUPS, code="G500")
            await client.with_options(max_retries=0).customers.groups()
        assert sandbox.calls[GROUPS] == 5


def test_backoff_schedule_is_exponential_with_full_jitter() -> None:
    random.seed(1)
    policy = mm.Retry(base=0.5, cap=4.0)
    waits = policy.waits()
    samples = [[next(waits) for _ in range(6)] for waits in (policy.waits() for _ in range(300))]
    bounds = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    for n, bound in enumerate(bounds):
        column = [row[n] for row in samples]
        assert all(0 <= w <= bound for w in column)
        assert max(column) > 0.8 * bound and min(column) < 0.2 * bound  # spread over [0, bound]
    assert next(waits) <= 0.5


# -- writes -----------------------------------------------------------------------------------


async def test_write_is_not_replayed_after_an_ambiguous_failure(sandbox: Sandbox) -> None:
    async with mm.ManagerClient(**sandbox.credentials(), retry=FAST) as client:
        sandbox.inject("code", biz_type=GROUPS, code="G500")
        with pytest.raises(mm.ServiceUnavailableError) as caught:
            await client.request(GROUPS, {}, write=True)
        assert caught.value.attempts == 1
        assert sandbox.calls[GROUPS] == 1
        sandbox.inject("code", biz_type=GROUPS, code="G500")  # opting in for one call
        assert await client.with_options(retry_writes=True).request(GROUPS, {}, write=True)
        assert sandbox.calls[GROUPS] == 3


async def test_write_is_replayed_when_the_server_did_not_act(sandbox: Sandbox) -> None:
    async with mm.ManagerClient(**sandbox.credentials(), retry=FAST) as client:
        before = len(sandbox.store)
        sandbox.inject("rate_limit", biz_type=CREATE, delay=0.05)
        sandbox.inject("code", biz_type=CREATE, code="GGATEWAY_CODE_012")
        number = await client.customers.create(**NEW_CUSTOMER)
        assert sandbox.calls[CREATE] == 3
        assert len(sandbox.store) == before + 1
        assert sandbox.customer(number) is not None
        assert sandbox.calls[EXISTS] == 0  # no reconciliation needed


@pytest.mark.parametrize("kind", ["commit_then_disconnect", "disconnect", "reset"])
async def test_create_never_makes_two_customers(sandbox: Sandbox, kind: str) -> None:
    async with mm.ManagerClient(**sandbox.credentials(), retry=FAST) as client:
        before = len(sandbox.store)
        sandbox.inject(kind, biz_type=CREATE)
        number = await client.customers.create(**NEW_CUSTOMER)
    assert len(sandbox.store) == before + 1  # exactly one customer, whatever happened
    record = sandbox.customer(number)
    assert record is not None and record["phone"] == NEW_CUSTOMER["phone"]
    assert sandbox.calls[EXISTS] == 1
    committed_first_time = kind != "disconnect"
    assert sandbox.calls[CREATE] == (1 if committed_first_time else 2)


async def test_create_with_retries_off_still_reports_the_customer(sandbox: Sandbox) -> None:
    async with mm.ManagerClient(**sandbox.credentials(), max_retries=0) as client:
        sandbox.inject("commit_then_disconnect", biz_type=CREATE)
        number = await client.customers.create(**NEW_CUSTOMER | {"phone": None, "email": "x@y.io"})
    assert sandbox.customer(number) is not None
    assert sandbox.calls[CREATE] == 1


# -- timeouts ---------------------------------------------------------------------------------


async def test_timeouts_per_client_and_per_call(sandbox: Sandbox) -> None:
    async with mm.ManagerClient(**sandbox.credentials(), max_retries=0) as client:
        sandbox.inject("delay", biz_type=GROUPS, delay=0.3)
        assert len(await client.customers.groups()) == 4  # default limits are far above 0.3 s
        sandbox.inject("delay", biz_type=GROUPS, delay=0.3)
        quick = client.with_options(timeout=mm.Timeout(read=0.1))
        with pytest.raises(mm.APITimeoutError) as caught:
            await quick.customers.groups()
        assert caught.value.biz_type == GROUPS and caught.value.request_sent
        assert GROUPS in str(caught.value)


# -- rate-limit budget ------------------------------------------------------------------------


async def test_walk_paces_itself_to_the_rate_limit() -> None:
    limit, window, pages = 60, 0.5, 239  # and one read of the front at the end: 240 requests
    async with (
        Sandbox(customers=pages * 10, rate_limit=limit, rate_window=window) as sb,
        mm.ManagerClient(**sb.credentials(), retry=FAST) as client,
    ):
        ids = [c.id async for c in client.customers.list(page_size=10, concurrency=8)]
        assert ids == sb.store.ids(0, pages * 10)
        log = [(t, status) for t, biz, status in sb.request_log if biz == PAGE]
    first = log[0][0]
    assert not [s for t, s in log if s == 429 and t > first + window]
    assert sum(1 for _, s in log if s == 429) == 0
    elapsed = log[-1][0] - first
    assert len(log) == pages + 1
    ideal = (math.ceil(len(log) / limit) - 1) * window  # full windows the limit forces
    assert ideal * 0.95 <= elapsed <= ideal * 1.10 + 0.05, (elapsed, ideal)


async def test_budget_is_shared_by_concurrent_tasks() -> None:
    async with (
        Sandbox(customers=10, rate_limit=5, rate_window=0.3) as sb,
        mm.ManagerClient(**sb.credentials(), retry=FAST) as client,
    ):
        await client.customers.groups()
        started = time.monotonic()
        async with anyio.create_task_group() as group:
            for _ in range(12):
                group.start_soon(client.customers.groups)
        elapsed = time.monotonic() - started
    assert sb.statuses[(GROUPS, 429)] == 0
    assert sb.statuses[(GROUPS, 200)] == 13
    assert elapsed >= 0.5  # 13 calls at 5 per 0.3 s need at least two more windows


async def test_a_429_is_absorbed_by_waiting(sandbox: Sandbox) -> None:
    async with mm.ManagerClient(**sandbox.credentials(), retry=FAST) as client:
        await client.customers.groups()
        sandbox.inject("rate_limit", biz_type=GROUPS, delay=0.25)
        started = time.monotonic()
        assert len(await client.customers.groups()) == 4
        assert time.monotonic() - started >= 0.25  # waited for Retry-After, not the backoff
    assert sandbox.statuses[(GROUPS, 429)] == 1


# -- walks under faults and live data ---------------------------------------------------------


async def test_chaos_walk_is_exact() -> None:
    count = 50_000
    async with (
        Sandbox(
            customers=count,
            seed=42,
            fault_rate=0.10,
            token_ttl=1.0,
            slow_delay=0.3,
            retry_after=0.05,
        ) as sb,
        mm.ManagerClient(
            **sb.credentials(),
            timeout=mm.Timeout(read=0.1),
            retry=mm.Retry(max_retries=8, base=0.002, cap=0.02),
        ) as client,
    ):
        expected = sb.store.ids(0, count)
        walk = client.customers.list(page_size=250, concurrency=8)
        ids = [c.id async for c in walk]
    assert ids == expected  # every customer, once, in order
    assert len(set(ids)) == count
    assert not walk.stats.drifted and walk.stats.duplicates == 0
    faults = sum(n for (biz, status), n in sb.statuses.items() if biz == PAGE and status != 200)
    assert faults >= 5  # the walk really went through faults
    assert sb.calls[PAGE] > count // 250
    assert sb.calls[AUTH] >= 2  # and through token expiry


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_inserts_during_a_walk(caplog: pytest.LogCaptureFixture, concurrency: int) -> None:
    caplog.set_level(logging.INFO, logger="multimarkets_async")
    async with (
        Sandbox(customers=5_000, seed=9, insert_per_call=37) as sb,
        mm.ManagerClient(**sb.credentials(), retry=FAST) as client,
    ):
        present = sb.store.ids(0, 5_000)
        walk = aiter(client.customers.list(page_size=200, concurrency=concurrency))
        ids = [c.id async for c in walk]
    assert len(ids) == len(set(ids))  # nothing yielded twice
    position = {customer_id: n for n, customer_id in enumerate(ids)}
    assert all(customer_id in position for customer_id in present)  # nothing missed
    assert [position[i] for i in present] == sorted(position[i] for i in present)  # in order
    stats = walk.stats
    assert stats.exact and stats.drifted and stats.shifted > 0  # sign-ups moved records along
    assert stats.first_total == 5_000 + 37 and stats.last_total is not None
    assert stats.last_total > stats.first_total
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any(f"total {stats.first_total} at the start" in m for m in infos)


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_deletions_during_a_walk_with_reread(concurrency: int) -> None:
    async with (
        Sandbox(customers=5_000, seed=4, delete_per_call=13) as sb,
        mm.ManagerClient(**sb.credentials(), retry=FAST) as client,
    ):
        present = sb.store.ids(0, 5_000)
        walk = client.customers.list(page_size=200, concurrency=concurrency, reread_on_drift=True)
        ids = [c.id async for c in walk]
        survivors = [i for i in present if i not in sb.store.deleted_ids]
    assert len(ids) == len(set(ids))
    assert set(survivors) <= set(ids)  # no customer present for the whole walk is missed
    assert walk.stats.rereads > 0 and walk.stats.drifted and walk.stats.exact


async def test_deletions_without_reread_are_reported_not_hidden() -> None:
    async with (
        Sandbox(customers=5_000, seed=4, delete_per_call=13) as sb,
        mm.ManagerClient(**sb.credentials(), retry=FAST) as client,
    ):
        present = sb.store.ids(0, 5_000)
        walk = client.customers.list(page_size=200, concurrency=1, reread_on_drift=False)
        ids = {c.id async for c in walk}
        survivors = {i for i in present if i not in sb.store.deleted_ids}
    assert survivors - ids  # customers slid back under the walk and were not read again...
    assert not walk.stats.exact  # ...and the walk says so
    assert walk.stats.unproven >= len(survivors - ids)
    assert "reread_on_drift off" in walk.stats.problems[0]


async def test_fault_rates_per_kind_are_seeded() -> None:
    async def statuses(seed: int) -> list[int]:
        rates = {"502": 0.2, "500": 0.1}
        async with (
            Sandbox(customers=3_000, seed=seed, fault_rates=rates) as sb,
            mm.ManagerClient(**sb.credentials(), retry=mm.Retry(max_retries=20, base=0.0)) as c,
        ):
            ids = [x.id async for x in c.customers.list(page_size=50, concurrency=1)]
            assert ids == sb.store.ids(0, 3_000)
            return [status for _, biz, status in sb.request_log if biz == PAGE]

    first, again, other = await statuses(5), await statuses(5), await statuses(6)
    assert first == again  # the same seed replays the same faults
    assert first != other
    assert {500, 502} <= set(first) and 200 in first
    share = sum(1 for s in first if s != 200) / len(first)
    assert 0.15 < share < 0.45
