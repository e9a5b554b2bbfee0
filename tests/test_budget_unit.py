"""RateLimitBudget alone, with an injected clock (no HTTP): windows learned from replies,
remaining/reset handling, clamping to the caller's cap, and refusing waits that are too long."""

from __future__ import annotations

import math

import anyio
import pytest
from _clock import ManualClock

from multimarkets_async._budget import BudgetExhausted, RateLimitBudget, RateLimitState

pytestmark = pytest.mark.anyio

KEY = "customer.admin.WhiteCustomerAdminApiService.page"
CAP = 120.0


def headers(limit: object = None, remaining: object = None, reset: object = None) -> dict[str, str]:
    """Rate-limit headers as the gateway sends them (its spelling of "remaining")."""
    values = {
        "x-ratelimit-limit": limit,
        "x-ratelimit-remairing": remaining,
        "x-ratelimit-reset": reset,
    }
    return {name: str(value) for name, value in values.items() if value is not None}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(500.0)


@pytest.fixture
def budget(clock: ManualClock) -> RateLimitBudget:
    return RateLimitBudget(clock=clock)


async def spend(budget: RateLimitBudget, remaining: int, *, window: float = 60) -> None:
    """One call whose reply says ``remaining`` calls are left in a ``window``-second window."""
    await budget.acquire(KEY, CAP)
    budget.settle(KEY, headers(limit=3, remaining=remaining, reset=window))


async def window_ends_in(budget: RateLimitBudget, clock: ManualClock, seconds: float) -> None:
    """The endpoint is blocked, a caller who may not wait ``seconds`` is refused with that
    wait, and once they have passed callers go through."""
    assert budget.blocked(KEY)
    with pytest.raises(BudgetExhausted) as caught:
        await budget.acquire(KEY, cap=seconds / 2)
    assert caught.value.wait == pytest.approx(seconds)
    clock.now += seconds
    assert not budget.blocked(KEY)
    await budget.acquire(KEY, CAP)


async def test_nothing_known_means_no_gating(budget: RateLimitBudget) -> None:
    for _ in range(100):
        await budget.acquire(KEY, CAP)  # no reply seen yet: the server will say
    assert not budget.blocked(KEY)


async def test_calls_in_flight_count_against_the_remaining_budget(
    budget: RateLimitBudget,
) -> None:
    await spend(budget, remaining=2)
    await budget.acquire(KEY, CAP)
    await budget.acquire(KEY, CAP)  # two left, two now in flight
    with pytest.raises(BudgetExhausted) as caught:
        await budget.acquire(KEY, cap=10)
    assert caught.value.wait == pytest.approx(60)


async def test_a_spent_window_blocks_until_it_ends(
    budget: RateLimitBudget, clock: ManualClock
) -> None:
    await spend(budget, remaining=0)
    assert budget.blocked(KEY)
    clock.now += 59
    assert budget.blocked(KEY)
    with pytest.raises(BudgetExhausted) as caught:
        await budget.acquire(KEY, cap=0.5)
    assert caught.value.wait == pytest.approx(1)
    clock.now += 1  # the window ends: the budget is the limit again
    assert not budget.blocked(KEY)
    for _ in range(3):
        await budget.acquire(KEY, CAP)


async def test_the_window_ends_one_length_after_its_first_reply(
    budget: RateLimitBudget, clock: ManualClock
) -> None:
    await spend(budget, remaining=2)
    clock.now += 30
    await spend(budget, remaining=0)  # a later reply does not move the window's end
    clock.now += 30
    assert not budget.blocked(KEY)


async def test_remaining_only_goes_down_within_a_window(budget: RateLimitBudget) -> None:
    await spend(budget, remaining=1)
    await spend(budget, remaining=2)  # out of order: the lower count stands
    await budget.acquire(KEY, CAP)
    with pytest.raises(BudgetExhausted):
        await budget.acquire(KEY, cap=0)


async def test_remaining_without_a_window_length_is_not_gated(budget: RateLimitBudget) -> None:
    await budget.acquire(KEY, CAP)
    budget.settle(KEY, headers(limit=3, remaining=0))
    assert not budget.blocked(KEY)
    await budget.acquire(KEY, CAP)


async def test_a_window_longer_than_the_cap_is_clamped(
    budget: RateLimitBudget, clock: ManualClock
) -> None:
    await budget.acquire(KEY, CAP)
    budget.settle(KEY, headers(limit=3, remaining=0, reset=3600), cap=5)
    await window_ends_in(budget, clock, 5)


async def test_a_rate_limited_reply_empties_the_window_for_its_retry_after(
    budget: RateLimitBudget, clock: ManualClock
) -> None:
    await budget.acquire(KEY, CAP)
    budget.settle(KEY, {}, rate_limited=True, retry_after=7, cap=CAP)
    await window_ends_in(budget, clock, 7)


async def test_a_rate_limited_reply_waits_no_longer_than_the_cap(
    budget: RateLimitBudget, clock: ManualClock
) -> None:
    await budget.acquire(KEY, CAP)
    budget.settle(KEY, {}, rate_limited=True, retry_after=math.inf, cap=30)
    await window_ends_in(budget, clock, 30)


async def test_a_rate_limited_reply_without_any_wait_leaves_it_to_the_backoff(
    budget: RateLimitBudget,
) -> None:
    await budget.acquire(KEY, CAP)
    budget.settle(KEY, {}, rate_limited=True)
    assert not budget.blocked(KEY)
    await budget.acquire(KEY, CAP)


async def test_a_rate_limited_reply_without_retry_after_waits_for_the_known_window(
    budget: RateLimitBudget,
) -> None:
    await spend(budget, remaining=2, window=40)
    await budget.acquire(KEY, CAP)
    budget.settle(KEY, {}, rate_limited=True)
    with pytest.raises(BudgetExhausted) as caught:
        await budget.acquire(KEY, cap=1)
    assert caught.value.wait == pytest.approx(40)


async def test_a_wait_beyond_the_callers_deadline_is_refused_at_once(
    budget: RateLimitBudget,
) -> None:
    await spend(budget, remaining=0, window=30)
    with anyio.fail_after(5):
        with anyio.move_on_after(1):
            with pytest.raises(BudgetExhausted) as caught:
                await budget.acquire(KEY, CAP)  # within the cap, beyond the deadline
    assert caught.value.wait == pytest.approx(30)


@pytest.mark.parametrize("limit", [0, -1, "many"])
async def test_a_limit_below_one_or_unreadable_is_ignored(
    budget: RateLimitBudget, clock: ManualClock, limit: object
) -> None:
    await budget.acquire(KEY, CAP)
    budget.settle(KEY, headers(limit=limit, remaining=0, reset=10))
    assert budget.blocked(KEY)
    clock.now += 10  # a fresh window, with no known limit: not gated
    for _ in range(10):
        await budget.acquire(KEY, CAP)


async def test_a_caller_waits_for_a_reply_in_flight_to_learn_a_new_window(
    budget: RateLimitBudget, clock: ManualClock
) -> None:
    await budget.acquire(KEY, CAP)
    budget.settle(KEY, headers(limit=1, remaining=0, reset=10))
    clock.now += 10
    await budget.acquire(KEY, CAP)  # the fresh window's one call, in flight
    passed = anyio.Event()

    async def second() -> None:
        await budget.acquire(KEY, CAP)
        passed.set()

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(second)
            await anyio.wait_all_tasks_blocked()
            assert not passed.is_set()  # no window end known yet: it waits for the reply
            budget.settle(KEY, None)  # the call failed on the wire: its slot is free again
            await passed.wait()


async def test_endpoints_have_separate_budgets(budget: RateLimitBudget) -> None:
    await spend(budget, remaining=0)
    assert budget.blocked(KEY)
    assert not budget.blocked("customer.admin.CustomerGroupAdminApiService.groupList")


def test_rate_limit_state_reads_both_spellings_and_skips_nonsense() -> None:
    state = RateLimitState.from_headers(headers(limit=10, remaining=4, reset=60))
    assert state == RateLimitState(10, 4, 60.0)
    proper = {"x-ratelimit-remaining": "3"}
    assert RateLimitState.from_headers(proper).remaining == 3
    nonsense = {"x-ratelimit-limit": "-5", "x-ratelimit-reset": "inf", "x-ratelimit-remairing": "x"}
    assert RateLimitState.from_headers(nonsense) == RateLimitState(None, None, None)
