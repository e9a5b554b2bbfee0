"""Nothing waits without bound: each call ends, within a stated time, with a result or a
typed error, whatever the server asks for or however slowly it answers."""

from __future__ import annotations

import asyncio
import math
import os
import time

import anyio
import pytest
from _hostile import envelope, json_reply, serve
from _operations import AUTH
from aiohttp import web

import multimarkets_async as mm
from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

FAST = mm.Retry(base=0.001, cap=0.01)


def rate_limited(retry_after: str) -> web.Response:
    body = envelope(code="GGATEWAY_CODE_018", msg="too many requests")
    return json_reply(body, 429, {"Retry-After": retry_after})


@pytest.mark.parametrize("retry_after", ["100000", "inf", "1e400", "nan"])
async def test_a_retry_after_beyond_the_cap_is_an_error_at_once(retry_after: str) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return rate_limited(retry_after)

    async with (
        serve(handler) as server,
        mm.ManagerClient(**server.credentials(), retry=FAST) as client,
    ):
        started = time.monotonic()
        with anyio.fail_after(5), pytest.raises(mm.RateLimitError) as caught:
            await client.customers.groups()
    assert time.monotonic() - started < 2
    assert caught.value.retry_after is not None and caught.value.retry_after > 120
    assert caught.value.attempts == 1
    assert server.calls("groupList") == 1  # not retried: the server asked for too long


async def test_a_retry_after_within_the_cap_is_waited_for() -> None:
    answers = iter([rate_limited("0.2"), json_reply(envelope([]))])

    async def handler(request: web.Request) -> web.StreamResponse:
        return next(answers)

    async with (
        serve(handler) as server,
        mm.ManagerClient(**server.credentials(), retry=FAST) as client,
    ):
        started = time.monotonic()
        with anyio.fail_after(5):
            assert await client.customers.groups() == []
    assert 0.2 <= time.monotonic() - started < 2
    assert server.calls("groupList") == 2


async def test_max_retry_after_is_the_cap() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return rate_limited("3")

    async with serve(handler) as server:
        retry = mm.Retry(base=0.001, cap=0.01, max_retry_after=1)
        async with mm.ManagerClient(**server.credentials(), retry=retry) as client:
            with anyio.fail_after(2), pytest.raises(mm.RateLimitError) as caught:
                await client.customers.groups()
    assert caught.value.retry_after == 3


async def test_a_limit_of_zero_does_not_deadlock_the_budget() -> None:
    headers = {"x-ratelimit-limit": "0", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"}

    async def handler(request: web.Request) -> web.StreamResponse:
        return json_reply(envelope([]), headers=headers)

    async with (
        serve(handler) as server,
        mm.ManagerClient(**server.credentials(), retry=FAST) as client,
    ):
        with anyio.fail_after(5):
            for _ in range(4):
                assert await client.customers.groups() == []


async def test_a_day_long_window_is_capped_like_retry_after() -> None:
    headers = {
        "x-ratelimit-limit": "10",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "86400",
    }

    async def handler(request: web.Request) -> web.StreamResponse:
        return json_reply(envelope([]), headers=headers)

    async with serve(handler) as server:
        retry = mm.Retry(base=0.001, cap=0.01, max_retry_after=0.5)
        async with mm.ManagerClient(**server.credentials(), retry=retry) as client:
            with anyio.fail_after(5):
                await client.customers.groups()
                started = time.monotonic()
                await client.customers.groups()  # waits out the capped window, then goes
                assert 0.3 <= time.monotonic() - started < 2
        # With the default cap (120 s), a call whose time limit ends sooner fails at once.
        async with mm.ManagerClient(**server.credentials(), retry=FAST) as client:
            await client.customers.groups()
            quick = client.with_options(timeout=mm.Timeout(total=1))
            with anyio.fail_after(0.5), pytest.raises(mm.RateLimitError) as caught:
                await quick.customers.groups()
    assert caught.value.retry_after is not None and caught.value.retry_after > 1


async def test_a_server_that_never_answers_ends_within_the_total_time() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async with serve(handler) as server:
        timeout = mm.Timeout(connect=10, read=20, total=1)
        async with mm.ManagerClient(**server.credentials(), timeout=timeout) as client:
            started = time.monotonic()
            with anyio.fail_after(3), pytest.raises(mm.APITimeoutError) as caught:
                await client.customers.groups()
    assert 0.9 <= time.monotonic() - started < 1.5
    assert "total time limit of 1 s" in str(caught.value)


async def test_a_trickling_body_ends_within_the_total_time() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = 1000
        await response.prepare(request)
        for _ in range(1000):
            await response.write(b" ")
            await asyncio.sleep(0.2)  # each byte arrives well within the read timeout
        return response

    async with serve(handler) as server:
        timeout = mm.Timeout(read=5, total=1.5)
        async with mm.ManagerClient(**server.credentials(), timeout=timeout) as client:
            started = time.monotonic()
            with anyio.fail_after(4), pytest.raises(mm.APITimeoutError):
                await client.customers.groups()
    assert time.monotonic() - started < 2


async def test_backoff_waits_count_against_the_total_time() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return json_reply(envelope(code="G500", msg="boom"), 500)

    async with serve(handler) as server:
        retry = mm.Retry(max_retries=50, base=0.5, cap=0.5)
        timeout = mm.Timeout(total=1.2)
        async with mm.ManagerClient(**server.credentials(), retry=retry, timeout=timeout) as c:
            with anyio.fail_after(3), pytest.raises(mm.APITimeoutError) as caught:
                await c.customers.groups()
    assert caught.value.attempts >= 1
    assert server.calls("groupList") < 10


async def test_a_failing_login_is_one_bounded_retry_loop_for_many_waiting_tasks() -> None:
    async def broken_login(request: web.Request) -> web.StreamResponse:
        return json_reply(b"<html>oops</html>", 500)

    async with serve(auth=broken_login) as server:
        retry = mm.Retry(max_retries=3, base=0.05, cap=0.2)
        async with mm.ManagerClient(**server.credentials(), retry=retry) as client:
            errors: list[BaseException] = []

            async def one() -> None:
                try:
                    await client.customers.groups()
                except mm.MultiMarketsError as exc:
                    errors.append(exc)

            with anyio.fail_after(10):
                async with anyio.create_task_group() as tg:
                    for _ in range(50):
                        tg.start_soon(one)
    assert len(errors) == 50
    assert all(isinstance(e, mm.UndecodableResponseError) for e in errors)
    assert all(e.attempts <= 4 for e in errors)  # type: ignore[attr-defined]
    assert "after 4 attempts" in str(errors[0]) or errors[0].attempts <= 4  # type: ignore[attr-defined]
    # One loop of at most 4 attempts, shared by the 50 waiting tasks: not 4 x 4 per task.
    assert server.calls("auth") <= 8


AUTH_SEEDS = int(os.environ.get("MULTIMARKETS_AUTH_SEEDS", "12"))


@pytest.mark.parametrize("seed", range(AUTH_SEEDS))
async def test_token_expiry_meets_faults_on_the_login_too(seed: int) -> None:
    """Short-lived tokens, random faults on business calls and on logins, some latency: with
    retries enough, a concurrent walk completes exactly, whatever order the faults come in."""
    async with Sandbox(
        customers=3000,
        seed=seed,
        token_ttl=0.1,
        latency=0.01,
        fault_rate=0.15,
        fault_kinds=("500", "502", "503", "reset", "token_expiry", "downstream"),
        auth_fault_rate=0.3,
    ) as sb:
        retry = mm.Retry(max_retries=8, base=0.001, cap=0.02)
        async with mm.ManagerClient(**sb.credentials(), retry=retry) as client:
            with anyio.fail_after(60):
                ids = [c.id async for c in client.customers.list(page_size=50, concurrency=4)]
        assert len(ids) == len(set(ids)) == 3000
        assert sb.calls[AUTH] >= 3  # tokens did expire


def test_infinite_retry_settings_are_refused() -> None:
    with pytest.raises(mm.ValidationError):
        mm.Retry(base=math.nan)
    with pytest.raises(mm.ValidationError):
        mm.Retry(max_retry_after=math.inf)
    with pytest.raises(mm.ValidationError):
        mm.Timeout(read=-1)
    with pytest.raises(mm.ValidationError):
        mm.Timeout(total=math.inf)
