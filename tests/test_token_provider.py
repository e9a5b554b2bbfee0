"""TokenProvider alone: lazy single-flight login, renewal, invalidation and the cooldown after
a failed login, with a fake login and an injected clock (no HTTP)."""

from __future__ import annotations

import anyio
import pytest
from _clock import ManualClock

import multimarkets_async as mm
from multimarkets_async._auth import Grant, TokenProvider

pytestmark = pytest.mark.anyio

COOLDOWN = 0.5


class FakeLogin:
    """Hands out ``token-1``, ``token-2``, ... (or raises ``failure``), after ``delay``."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls = 0
        self.delay = delay
        self.failure: Exception | None = None

    async def __call__(self) -> Grant:
        self.calls += 1
        await anyio.sleep(self.delay)
        if self.failure is not None:
            raise self.failure
        return Grant(f"token-{self.calls}", mm.CompanyProfile(id=self.calls))


def provider(login: FakeLogin, clock: ManualClock | None = None) -> TokenProvider:
    return TokenProvider(login, COOLDOWN, clock=clock or ManualClock())


async def test_the_first_get_logs_in_and_later_ones_reuse_the_token() -> None:
    login = FakeLogin()
    tokens = provider(login)
    assert tokens.current is None and tokens.company is None
    assert login.calls == 0  # lazy: nothing before the first get
    assert [await tokens.get() for _ in range(3)] == ["token-1"] * 3
    assert login.calls == 1
    assert tokens.current == "token-1"
    assert tokens.company == mm.CompanyProfile(id=1)


async def test_concurrent_callers_share_one_login() -> None:
    login = FakeLogin(delay=0.01)
    tokens = provider(login)
    got: list[str] = []

    async def get() -> None:
        got.append(await tokens.get())

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(get)
    assert got == ["token-1"] * 20
    assert login.calls == 1


async def test_renewing_a_stale_token_logs_in_again_once_for_all_callers() -> None:
    login = FakeLogin(delay=0.01)
    tokens = provider(login)
    stale = await tokens.get()
    got: list[str] = []

    async def renew() -> None:
        got.append(await tokens.renew(stale=stale))

    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(renew)
    assert got == ["token-2"] * 10  # the first renewed; the others took its token
    assert login.calls == 2


async def test_renewing_an_older_token_returns_the_current_one_without_a_login() -> None:
    login = FakeLogin()
    tokens = provider(login)
    await tokens.get()
    await tokens.renew(stale="token-1")
    assert await tokens.renew(stale="token-1") == "token-2"
    assert login.calls == 2


async def test_renew_without_a_stale_token_reuses_a_held_one() -> None:
    login = FakeLogin()
    tokens = provider(login)
    await tokens.get()
    assert await tokens.renew(stale=None) == "token-1"
    assert login.calls == 1


async def test_invalidate_forgets_only_the_refused_token() -> None:
    login = FakeLogin()
    tokens = provider(login)
    await tokens.get()
    tokens.invalidate("some-other-token")
    assert tokens.current == "token-1"
    tokens.invalidate("token-1")
    assert tokens.current is None
    assert await tokens.get() == "token-2"
    assert login.calls == 2
    assert tokens.company == mm.CompanyProfile(id=2)


async def test_a_failed_login_is_shared_until_the_cooldown_ends() -> None:
    login = FakeLogin()
    clock = ManualClock()
    tokens = provider(login, clock)
    failure = RuntimeError("login server down")
    login.failure = failure
    for _ in range(5):
        with pytest.raises(RuntimeError) as caught:
            await tokens.get()
        assert caught.value.args == failure.args  # the same error (a copy), no new login
    assert login.calls == 1
    clock.now += COOLDOWN / 2
    with pytest.raises(RuntimeError):
        await tokens.get()
    assert login.calls == 1
    clock.now += COOLDOWN  # the cooldown is over: the next caller tries again
    login.failure = None
    assert await tokens.get() == "token-2"
    assert login.calls == 2


async def test_concurrent_callers_of_a_failing_login_make_one_login() -> None:
    login = FakeLogin(delay=0.01)
    login.failure = RuntimeError("down")
    tokens = provider(login)
    errors: list[Exception] = []

    async def get() -> None:
        try:
            await tokens.get()
        except RuntimeError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        for _ in range(50):
            tg.start_soon(get)
    assert len(errors) == 50
    assert login.calls == 1


async def test_a_failed_renewal_drops_the_token_but_keeps_the_company() -> None:
    login = FakeLogin()
    tokens = provider(login)
    stale = await tokens.get()
    login.failure = RuntimeError("down")
    with pytest.raises(RuntimeError):
        await tokens.renew(stale=stale)
    assert tokens.current is None
    assert tokens.company == mm.CompanyProfile(id=1)


async def test_the_token_never_shows_in_repr() -> None:
    tokens = provider(FakeLogin())
    assert repr(tokens) == "<TokenProvider token=unset>"
    await tokens.get()
    assert "token-1" not in repr(tokens)
    assert repr(tokens) == "<TokenProvider token=set>"


async def test_each_caller_in_the_cooldown_gets_its_own_copy_of_the_failure() -> None:
    login = FakeLogin()
    tokens = provider(login)
    login.failure = mm.ServiceUnavailableError("G500", biz_type="auth", trace="t-1")
    caught: list[mm.ServiceUnavailableError] = []
    for _ in range(3):
        with pytest.raises(mm.ServiceUnavailableError) as info:
            await tokens.get()
        caught.append(info.value)
        info.value.attempts = 7  # what the pipeline does to the error it raises
    assert login.calls == 1
    assert len({id(error) for error in caught}) == 3
    assert [error.attempts for error in caught] == [7, 7, 7]
    with pytest.raises(mm.ServiceUnavailableError) as info:
        await tokens.get()
    assert info.value.attempts == 1 and "after 7 attempts" not in str(info.value)
    assert (info.value.code, info.value.trace) == ("G500", "t-1")
