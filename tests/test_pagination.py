"""Paging exactness, order, windows and options, against the sandbox over loopback."""

from __future__ import annotations

import anyio
import pytest
from _operations import PAGE
from conftest import FAST_RETRY

import multimarkets_async as mm
from multimarkets_async.sandbox import Sandbox

pytestmark = [pytest.mark.anyio, pytest.mark.plain_and_secure]

SIZE = 50


def expected_ids(sb: Sandbox) -> list[int]:
    return sb.store.ids(0, len(sb.store))


@pytest.mark.parametrize("count", [0, 1, SIZE - 1, SIZE, SIZE + 1, 20 * SIZE + 7])
@pytest.mark.parametrize("concurrency", [1, 8])
async def test_walk_yields_exactly_n_records_in_order(
    count: int, concurrency: int, secure: bool
) -> None:
    async with (
        Sandbox(secure=secure, customers=count, seed=3) as sb,
        mm.ManagerClient(**sb.credentials()) as c,
    ):
        records = [r async for r in c.customers.list(page_size=SIZE, concurrency=concurrency)]
        assert [r.id for r in records] == expected_ids(sb)
        assert len({r.id for r in records}) == count
        assert all(isinstance(r, mm.Customer) for r in records)
        pages_needed = max(1, -(-count // SIZE))
        # Pages placed before the page above them had arrived are checked at the end by one
        # read of the front of the list.
        check = 1 if concurrency > 1 and pages_needed > 2 else 0
        assert sb.calls[PAGE] == pages_needed + check


async def test_concurrency_1_and_8_give_identical_records(secure: bool) -> None:
    async with (
        Sandbox(secure=secure, customers=3_333, seed=11) as sb,
        mm.ManagerClient(**sb.credentials()) as c,
    ):
        sequential = [r async for r in c.customers.list(page_size=100, concurrency=1)]
        concurrent = [r async for r in c.customers.list(page_size=100, concurrency=8)]
        assert sequential == concurrent
        assert len(sequential) == 3_333


async def test_large_walk_with_default_page_size(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    sandbox.store.insert_generated(9_000)  # 10,000 in all: five pages of 2,000
    ids = [r.id async for r in client.customers.list()]
    assert ids == expected_ids(sandbox)
    assert sandbox.calls[PAGE] == 5 + 1  # and one read of the front to check the walk
    assert sandbox.last_headers(PAGE) is not None


async def test_pages_expose_page_fields(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    pages = [p async for p in client.customers.list(page_size=300).pages()]
    assert [p.current for p in pages] == [1, 2, 3, 4]
    assert all(p.size == 300 and p.total == 1000 for p in pages)
    assert [len(p.records) for p in pages] == [300, 300, 300, 100]


async def test_records_decode_nulls_and_values(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    records = [r async for r in client.customers.list()]
    wire = {r["id"]: r for r in (sandbox.store.record(i) for i in expected_ids(sandbox))}
    for record in records:
        raw = wire[record.id]
        assert record.customer_no == raw["customerNo"]
        assert record.email == raw["email"]
        assert record.phone_area == raw["phoneArea"]
        assert record.first_account_activate_time == raw["firstAccountActivateTime"]
        assert record.third_user_id == raw["thirdUserId"]
    assert any(r.email is None for r in records) and any(r.phone is None for r in records)
    assert any(r.id_card is None for r in records) and any(r.id_card is not None for r in records)


@pytest.mark.parametrize("max_items", [0, 1, 49, 50, 51, 999, 1000, 5000])
async def test_max_items(client: mm.ManagerClient, sandbox: Sandbox, max_items: int) -> None:
    ids = [
        r.id async for r in client.customers.list(page_size=50, max_items=max_items, concurrency=4)
    ]
    assert ids == expected_ids(sandbox)[:max_items]


async def test_max_items_fetches_no_more_pages_than_needed(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    ids = [r.id async for r in client.customers.list(page_size=100, max_items=250, concurrency=8)]
    assert len(ids) == 250
    assert sandbox.calls[PAGE] == 3


async def test_small_max_items_uses_one_small_request(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    ids = [r.id async for r in client.customers.list(max_items=5)]
    assert ids == expected_ids(sandbox)[:5]
    assert sandbox.calls[PAGE] == 1


async def test_start_page(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    ids = [r.id async for r in client.customers.list(page_size=100, start_page=4)]
    assert ids == expected_ids(sandbox)[300:]
    assert [r async for r in client.customers.list(page_size=100, start_page=11)] == []


async def test_a_total_that_promises_more_ends_the_walk_short_and_says_so(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.config.total_bias = 500
    async with mm.ManagerClient(**sandbox.credentials(), retry=FAST_RETRY) as c:
        walk = c.customers.list(page_size=100, concurrency=1)
        ids = [r.id async for r in walk]
    assert ids == expected_ids(sandbox)
    # ten full pages, then the empty page 11, read three more times before it is believed
    assert sandbox.calls[PAGE] == 14
    assert walk.stats.shortfall == 500 and not walk.stats.exact
    assert "500 records short" in walk.stats.problems[0]
    assert "500 records short" in caplog.text


async def test_placeholder_total_of_zero_walks_until_a_short_page(sandbox: Sandbox) -> None:
    sandbox.config.total_bias = -10_000  # every page says total 0 while returning records
    async with mm.ManagerClient(**sandbox.credentials()) as c:
        ids = [r.id async for r in c.customers.list(page_size=300, concurrency=3)]
    assert ids == expected_ids(sandbox)


async def test_in_flight_pages_never_exceed_concurrency(secure: bool) -> None:
    async with (
        Sandbox(secure=secure, customers=2_000, latency=0.02) as sb,
        mm.ManagerClient(**sb.credentials()) as c,
    ):
        count = 0
        async for _ in c.customers.list(page_size=100, concurrency=3):
            count += 1
        assert count == 2_000
        assert sb.max_in_flight == 3


async def test_prefetch_is_bounded_while_the_consumer_is_slow(secure: bool) -> None:
    async with (
        Sandbox(secure=secure, customers=2_000) as sb,
        mm.ManagerClient(**sb.credentials()) as c,
    ):
        pages = c.customers.list(page_size=100, concurrency=4).pages()
        async with pages:
            await pages.__anext__()  # page 1 is read: total known, pages 2..5 prefetched
            await anyio.sleep(0.2)  # a slow consumer: nothing more may be fetched
            assert sb.calls[PAGE] == 5
            second = await pages.__anext__()  # page 2 handed out: one more slot, page 6
            assert second.current == 2
            await anyio.sleep(0.2)
            assert sb.calls[PAGE] == 6


async def test_each_iteration_is_a_fresh_walk(client: mm.ManagerClient) -> None:
    paginator = client.customers.list(page_size=400)
    first = [r.id async for r in paginator]
    second = [r.id async for r in paginator]
    assert first == second and len(first) == 1000


async def test_filter_by_customer_no(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    target = sandbox.store.record(123)["customerNo"]
    records = [r async for r in client.customers.list(customer_no=target)]
    assert [r.customer_no for r in records] == [target]
    assert [r async for r in client.customers.list(customer_no="86999999")] == []


async def test_error_mid_walk_surfaces_in_order(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    sandbox.inject("code", biz_type=PAGE, code="FS51019", after=3)  # the 4th page request fails
    seen = []
    with pytest.raises(mm.BusinessError) as caught:
        async for record in client.customers.list(page_size=100, concurrency=1):
            seen.append(record.id)
    assert seen == expected_ids(sandbox)[:300]
    assert caught.value.code == "FS51019"
