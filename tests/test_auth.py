"""Lazy login, token reuse, single-flight re-authentication on expiry."""

from __future__ import annotations

import anyio
import pytest
from _operations import AUTH, GROUPS, PAGE

import multimarkets_async as mm
from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def test_login_is_lazy_and_token_reused(sandbox: Sandbox) -> None:
    async with mm.ManagerClient(**sandbox.credentials()) as c:
        assert sandbox.calls[AUTH] == 0
        for _ in range(5):
            await c.customers.groups()
        assert sandbox.calls[AUTH] == 1
        profile = await c.company()
        assert profile.id == sandbox.company_id
        assert sandbox.calls[AUTH] == 1


async def test_expired_token_is_renewed_once_and_request_replayed(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    await client.customers.groups()
    sandbox.expire_tokens()
    assert len(await client.customers.groups()) == 4
    assert sandbox.calls[AUTH] == 2
    assert sandbox.calls[GROUPS] == 3  # first call, rejected call, replay


async def test_fifty_concurrent_callers_share_one_reauth(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    await client.customers.groups()
    sandbox.expire_tokens()
    results: list[int] = []

    async def call() -> None:
        results.append(len(await client.customers.groups()))

    async with anyio.create_task_group() as group:
        for _ in range(50):
            group.start_soon(call)
    assert results == [4] * 50
    assert sandbox.calls[AUTH] == 2  # the first login and exactly one re-login


async def test_token_expiry_mid_walk_with_fifty_concurrent_walkers() -> None:
    async with Sandbox(customers=2_000, seed=5) as sb, mm.ManagerClient(**sb.credentials()) as c:
        expected = sb.store.ids(0, 2_000)
        await c.customers.groups()  # log in before the walks start
        sb.inject("expire_tokens", biz_type=PAGE, after=120)  # mid-way through the walks
        results: list[list[int]] = []

        async def walk() -> None:
            results.append([r.id async for r in c.customers.list(page_size=200, concurrency=4)])

        async with anyio.create_task_group() as group:
            for _ in range(50):
                group.start_soon(walk)
        assert len(results) == 50
        assert all(ids == expected for ids in results)
        assert sb.calls[AUTH] == 2
        assert sb.statuses[(PAGE, 200)] == sb.calls[PAGE]


async def test_token_lifetime_from_the_sandbox() -> None:
    async with (
        Sandbox(customers=10, token_ttl=0.2) as sb,
        mm.ManagerClient(**sb.credentials()) as c,
    ):
        await c.customers.groups()
        await anyio.sleep(0.3)
        await c.customers.groups()
        assert sb.calls[AUTH] == 2


async def test_bad_credentials_raise_authentication_error_once_for_all_callers(
    sandbox: Sandbox,
) -> None:
    settings = sandbox.credentials() | {"app_secret": "wrong-secret"}
    async with mm.ManagerClient(**settings) as c:
        errors: list[BaseException] = []

        async def call() -> None:
            try:
                await c.customers.groups()
            except mm.AuthenticationError as exc:
                errors.append(exc)

        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(call)
        assert len(errors) == 20
        assert sandbox.calls[AUTH] == 1
        first = errors[0]
        assert isinstance(first, mm.AuthenticationError)
        assert first.code == "GGATEWAY_CODE_101"
        assert first.biz_type == AUTH
        assert not first.token_expired


async def test_a_second_expiry_after_replay_is_retried_with_backoff(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    await client.customers.groups()
    sandbox.inject("code", biz_type=GROUPS, code="GGATEWAY_CODE_005", times=2)
    assert len(await client.customers.groups()) == 4  # refused twice, then a retry succeeds
    sandbox.inject("code", biz_type=GROUPS, code="GGATEWAY_CODE_005", times=2)
    with pytest.raises(mm.AuthenticationError) as caught:
        await client.with_options(max_retries=0).customers.groups()
    assert caught.value.token_expired


async def test_a_token_refused_for_ever_ends_after_the_retries(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    await client.customers.groups()
    logins = sandbox.calls[AUTH]
    sandbox.inject("code", biz_type=GROUPS, code="GGATEWAY_CODE_005", times=1_000)
    with pytest.raises(mm.AuthenticationError) as caught:
        await client.customers.groups()
    # The first refusal is renewed at once and free; then the 3 retries of the policy.
    assert caught.value.token_expired and caught.value.attempts == 5
    assert sandbox.calls[AUTH] - logins <= 5  # one fresh login per attempt at most
