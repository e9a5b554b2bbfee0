from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from _postgres import SKIP_VARIABLE, PostgresMissing, find_bin_dir, throwaway_postgres
from _redis import SKIP_VARIABLE as SKIP_REDIS_VARIABLE
from _redis import RedisMissing, RedisServer, find_redis_server, flush, throwaway_redis

import multimarkets_async as mm
from multimarkets_async import _config as mm_config
from multimarkets_async.sandbox import Sandbox

LOOP_PROBLEMS: list[dict[str, Any]] = []

FAST_RETRY = mm.Retry(base=0.001, cap=0.01)  # real retries, without real waiting

_TABLES = itertools.count(1)


def _new_loop() -> asyncio.AbstractEventLoop:
    """An event loop that records what it would otherwise only log (e.g. a task destroyed
    while pending, an exception nobody retrieved), so the test that caused it fails."""
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda _loop, context: LOOP_PROBLEMS.append(context))
    return loop


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return ("asyncio", {"loop_factory": _new_loop})  # aiohttp runs on asyncio only


_CLIENT_SETTINGS = [name for name in vars(mm_config) if name.startswith("ENV_")]


@pytest.fixture(autouse=True)
def _no_client_settings_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see none of the ``MULTIMARKETS_*`` client settings of the shell they run in (a
    developer's ``MULTIMARKETS_SECURE=1`` would turn every plain test secure)."""
    for name in _CLIENT_SETTINGS:
        monkeypatch.delenv(getattr(mm_config, name), raising=False)


@pytest.fixture(autouse=True)
def _loop_hygiene() -> Iterator[None]:
    LOOP_PROBLEMS.clear()
    yield
    problems = list(LOOP_PROBLEMS)
    LOOP_PROBLEMS.clear()
    assert not problems, f"event loop reported: {problems}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``plain_and_secure`` that take ``secure`` run twice: against a plain
    sandbox and against one that requires secure mode (whose ``credentials()`` switch the
    client's secure mode on)."""
    wanted = metafunc.definition.get_closest_marker("plain_and_secure") is not None
    if wanted and "secure" in metafunc.fixturenames:
        metafunc.parametrize("secure", [False, True], ids=["plain", "secure"])


@pytest.fixture
def secure() -> bool:
    """Whether the test's sandbox requires secure mode (both, for ``plain_and_secure``)."""
    return False


@pytest.fixture
async def sandbox(secure: bool) -> AsyncIterator[Sandbox]:
    async with Sandbox(customers=1000, seed=7, secure=secure) as sb:
        yield sb


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[mm.ManagerClient]:
    async with mm.ManagerClient(**sandbox.credentials(), retry=FAST_RETRY) as c:
        yield c


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database on a PostgreSQL server started for this test session (stopped at its end).

    Without the server's binaries the tests that use it fail, saying what to install; set
    ``MULTIMARKETS_SKIP_POSTGRES=1`` to skip them instead.
    """
    if os.environ.get(SKIP_VARIABLE) == "1":
        pytest.skip(f"{SKIP_VARIABLE}=1: the PostgreSQL tests are skipped")
    try:
        find_bin_dir()
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    # Not under pytest's temporary directory: that is root's alone, and under root the server
    # runs as another user.
    directory = Path(tempfile.mkdtemp(prefix="multimarkets-postgres-"))
    try:
        with throwaway_postgres(directory) as url:
            yield url
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def sync_table() -> str:
    """A table name no other test of the session uses (the tests share one database)."""
    return f"sync_{next(_TABLES)}"


def _redis_or_skip() -> None:
    """Skip (``MULTIMARKETS_SKIP_REDIS=1``) or fail, saying what to install, without a
    ``redis-server``."""
    if os.environ.get(SKIP_REDIS_VARIABLE) == "1":
        pytest.skip(f"{SKIP_REDIS_VARIABLE}=1: the Redis tests are skipped")
    try:
        find_redis_server()
    except RedisMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@contextlib.contextmanager
def _redis_in_temporary_directory() -> Iterator[RedisServer]:
    directory = Path(tempfile.mkdtemp(prefix="multimarkets-redis-"))
    try:
        with throwaway_redis(directory) as server:
            yield server
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server_session() -> Iterator[RedisServer]:
    """A ``redis-server`` started for this test session on a free loopback port (stopped at
    its end). Tests take ``redis_url`` (flushed for each), not this, unless they need the
    server itself; none may kill it (``throwaway_redis_server`` is for that).

    Without ``redis-server`` the tests that use it fail, saying what to install; set
    ``MULTIMARKETS_SKIP_REDIS=1`` to skip them instead.
    """
    _redis_or_skip()
    with _redis_in_temporary_directory() as server:
        yield server


@pytest.fixture
def redis_url(redis_server_session: RedisServer) -> str:
    """The URL (database 0) of the session's Redis server, emptied (``FLUSHALL``) for this
    test."""
    if not redis_server_session.alive():
        pytest.fail(
            "the session's redis-server has died (a test killed it? use "
            f"throwaway_redis_server for that):\n{redis_server_session.log()}",
            pytrace=False,
        )
    flush(redis_server_session.url)
    return redis_server_session.url


@pytest.fixture
def throwaway_redis_server() -> Iterator[RedisServer]:
    """A ``redis-server`` of this test's own, free to kill (``.kill()``); stopped at teardown
    if still running."""
    _redis_or_skip()
    with _redis_in_temporary_directory() as server:
        yield server
