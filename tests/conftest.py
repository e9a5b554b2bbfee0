from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import multimarkets_async as mm
from multimarkets_async.sandbox import Sandbox

LOOP_PROBLEMS: list[dict[str, Any]] = []

FAST_RETRY = mm.Retry(base=0.001, cap=0.01)  # real retries, without real waiting


def _new_loop() -> asyncio.AbstractEventLoop:
    """An event loop that records what it would otherwise only log (e.g. a task destroyed
    while pending, an exception nobody retrieved), so the test that caused it fails."""
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda _loop, context: LOOP_PROBLEMS.append(context))
    return loop


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return ("asyncio", {"loop_factory": _new_loop})  # aiohttp runs on asyncio only


@pytest.fixture(autouse=True)
def _loop_hygiene() -> Iterator[None]:
    LOOP_PROBLEMS.clear()
    yield
    problems = list(LOOP_PROBLEMS)
    LOOP_PROBLEMS.clear()
    assert not problems, f"event loop reported: {problems}"


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(customers=1000, seed=7) as sb:
        yield sb


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[mm.ManagerClient]:
    async with mm.ManagerClient(**sandbox.credentials(), retry=FAST_RETRY) as c:
        yield c
