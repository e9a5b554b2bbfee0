"""Leaving a walk early, cancelling its task, closing the client: nothing left behind."""

from __future__ import annotations

import gc

import anyio
import pytest
from _helpers import other_tasks, settle
from _operations import AUTH, PAGE

import multimarkets_async as mm
from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def test_break_cancels_prefetch_and_leaves_no_task() -> None:
    async with (
        Sandbox(customers=20_000, latency=0.05) as sb,
        mm.ManagerClient(**sb.credentials()) as c,
    ):
        before = other_tasks()
        async for record in c.customers.list(page_size=100, concurrency=8):
            if record.id is not None:
                break
        await settle()
        assert other_tasks() - before == set()
        await anyio.sleep(0.1)  # cancelled requests never reach a handler's reply
        assert sb.in_flight == 0
        assert sb.calls[PAGE] <= 9


async def test_break_out_of_pages_leaves_no_task(client: mm.ManagerClient) -> None:
    before = other_tasks()
    async for page in client.customers.list(page_size=10, concurrency=6).pages():
        assert page.current == 1
        break
    await settle()
    assert other_tasks() - before == set()


async def test_aclose_waits_for_prefetch_to_stop() -> None:
    async with (
        Sandbox(customers=5_000, latency=0.05) as sb,
        mm.ManagerClient(**sb.credentials()) as c,
    ):
        before = other_tasks()
        records = aiter(c.customers.list(page_size=100, concurrency=8))
        async with records:
            await anext(records)
            await anyio.sleep(0.01)
            assert len(other_tasks() - before) == 8  # the next eight pages are on their way
        assert other_tasks() - before == set()


async def test_cancelling_the_consumer_cancels_in_flight_requests() -> None:
    async with (
        Sandbox(customers=20_000, latency=0.2) as sb,
        mm.ManagerClient(**sb.credentials()) as c,
    ):
        before = other_tasks()
        seen = 0
        with anyio.move_on_after(0.5) as scope:
            async for _ in c.customers.list(page_size=100, concurrency=8):
                seen += 1
        assert scope.cancelled_caught
        assert 0 < seen < 20_000
        await settle()
        assert other_tasks() - before == set()


async def test_cancelling_a_task_group_of_walkers() -> None:
    async with (
        Sandbox(customers=20_000, latency=0.1) as sb,
        mm.ManagerClient(**sb.credentials()) as c,
    ):
        before = other_tasks()

        async def walk() -> None:
            async for _ in c.customers.list(page_size=50, concurrency=4):
                pass

        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(walk)
            await anyio.sleep(0.35)
            group.cancel_scope.cancel()
        await settle()
        assert other_tasks() - before == set()


async def test_closing_the_client_stops_an_abandoned_walk() -> None:
    async with Sandbox(customers=5_000, latency=0.05) as sb:
        c = mm.ManagerClient(**sb.credentials())
        before = other_tasks()
        records = aiter(c.customers.list(page_size=100, concurrency=8))
        await anext(records)  # prefetch is running; the iterator is kept alive
        await c.aclose()
        assert other_tasks() - before == set()
        buffered = 0
        with pytest.raises(mm.ClientClosedError):
            while True:  # the rest of page 1 is already here; page 2 never comes
                await anext(records)
                buffered += 1
        assert buffered == 99
        del records
        gc.collect()


async def test_closed_client_refuses_calls(sandbox: Sandbox) -> None:
    c = mm.ManagerClient(**sandbox.credentials())
    await c.aclose()
    with pytest.raises(mm.ClientClosedError):
        await c.customers.groups()
    with pytest.raises(mm.ClientClosedError):
        async for _ in c.customers.list():
            pass
    assert "closed" in repr(c)


async def test_caller_session_is_left_open(sandbox: Sandbox) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with mm.ManagerClient(**sandbox.credentials(), session=session) as c:
            assert len(await c.customers.groups()) == 4
        assert not session.closed
        async with mm.ManagerClient(**sandbox.credentials(), session=session) as c:
            assert await c.customers.exists(customer_no="86000001")


async def test_many_tasks_share_one_client(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    results: list[int] = []

    async def walk() -> None:
        results.append(len([r async for r in client.customers.list(page_size=250, concurrency=2)]))

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(walk)
    assert results == [1000] * 20
    assert sandbox.calls[AUTH] == 1


async def test_an_error_in_the_body_leaves_the_client_unwrapped(sandbox: Sandbox) -> None:
    class Mine(Exception):
        pass

    with pytest.raises(Mine):  # not an ExceptionGroup from the client's task group
        async with mm.ManagerClient(**sandbox.credentials()) as c:
            async for _ in c.customers.list(page_size=10, concurrency=4):
                raise Mine


async def test_workers_share_a_client_entered_around_them(sandbox: Sandbox) -> None:
    counts: list[int] = []
    async with mm.ManagerClient(**sandbox.credentials()) as c:

        async def worker() -> None:
            async with c:  # entering again, from another task, is harmless
                counts.append(len([r async for r in c.customers.list(page_size=100)]))

        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(worker)
        assert counts == [1000, 1000, 1000]
        assert not c.closed  # the outer block is still open
    assert c.closed  # the last block to close closes the client
