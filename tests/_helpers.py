"""Small helpers shared by the tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import msgspec
import pytest
from _operations import AUTH
from anyio.abc import ByteReceiveStream

from multimarkets_async.sandbox import Sandbox

TRADE_SERVICES = ("tradeapi.", "report.")
"""bizType prefixes the gateway routes by the ``group`` header."""


def other_tasks() -> set[asyncio.Task[Any]]:
    """Client-side tasks still alive apart from the test's own.

    The in-process sandbox's connection handlers (aiohttp ``RequestHandler``) are server
    tasks, not the client's, and are left out.
    """
    current = asyncio.current_task()
    return {
        t
        for t in asyncio.all_tasks()
        if t is not current
        and not t.done()
        and not getattr(t.get_coro(), "__qualname__", "").startswith("RequestHandler.")
    }


async def settle(rounds: int = 20) -> None:
    """Let cancelled tasks finish unwinding."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def environment(sb: Sandbox) -> dict[str, str]:
    """The process environment with ``MULTIMARKETS_*`` pointing at ``sb`` (and secure mode
    on when ``sb`` requires it)."""
    return os.environ | {
        "MULTIMARKETS_APP_ID": sb.app_id,
        "MULTIMARKETS_APP_SECRET": sb.app_secret,
        "MULTIMARKETS_COMPANY_ID": str(sb.company_id),
        "MULTIMARKETS_BASE_URL": sb.base_url,
        "MULTIMARKETS_SECURE": "1" if sb.credentials().get("secure") else "0",
    }


async def drain(stream: ByteReceiveStream) -> str:
    """Everything ``stream`` yields until it ends, as text."""
    data = b""
    with contextlib.suppress(anyio.EndOfStream):
        while True:
            data += await stream.receive()
    return data.decode()


async def interrupt(
    command: list[str], env: dict[str, str], checkpoint: Path, how: int
) -> tuple[int, str]:
    """Start an export, stop it with the signal ``how`` once it has written ``checkpoint``;
    its exit status (never 0) and what it printed on stderr."""
    process = await anyio.open_process(command, env=env)
    async with process:
        with anyio.fail_after(30):
            while not checkpoint.exists():
                await anyio.sleep(0.02)
        process.send_signal(how)
        assert process.stderr is not None
        stderr = await drain(process.stderr)
        await process.wait()
    assert process.returncode is not None and process.returncode != 0
    return process.returncode, stderr


# -- speaking to a sandbox with plain aiohttp ------------------------------------------------


@pytest.fixture(name="http")
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    """The ``http`` fixture: a plain aiohttp session (import it into a test module to use
    it there)."""
    async with aiohttp.ClientSession() as session:
        yield session


async def post(
    http: aiohttp.ClientSession, sb: Sandbox, path: str, body: Any, headers: dict[str, str]
) -> tuple[int, Any, Any]:
    """``POST {base}/{path}``: the status, the headers and the decoded reply."""
    async with http.post(f"{sb.base_url}/{path}", json=body, headers=headers) as response:
        return response.status, response.headers.copy(), msgspec.json.decode(await response.read())


async def login(http: aiohttp.ClientSession, sb: Sandbox) -> str:
    """A fresh token of ``sb`` (checking the login's envelope)."""
    _, _, reply = await post(
        http, sb, f"auth/{AUTH}", {"appId": sb.app_id, "appSecret": sb.app_secret}, {"trace": "t-1"}
    )
    assert reply["code"] == "0" and reply["ok"] is True and reply["fail"] is False
    assert reply["trace"] == "t-1"
    return str(reply["data"]["token"])


def headers_for(
    sb: Sandbox, token: str, changes: dict[str, str | None] | None = None
) -> dict[str, str]:
    """A business call's headers, with ``changes`` (None: leave the header out)."""
    base = {"trace": "t-2", "companyId": str(sb.company_id), "token": token, "version": "0.0.1"}
    merged: dict[str, str | None] = {**base, **(changes or {})}
    return {k: v for k, v in merged.items() if v is not None}


async def call(
    http: aiohttp.ClientSession, sb: Sandbox, token: str, biz_type: str, body: dict[str, Any]
) -> Any:
    """A business call's reply envelope (trade services get their ``group`` header)."""
    group = "tradeApi" if biz_type.startswith(TRADE_SERVICES) else None
    _, _, reply = await post(http, sb, biz_type, body, headers_for(sb, token, {"group": group}))
    return reply


async def call_ok(
    http: aiohttp.ClientSession, sb: Sandbox, token: str, biz_type: str, body: dict[str, Any]
) -> Any:
    """A successful business call's ``data``."""
    reply = await call(http, sb, token, biz_type, body)
    assert reply["code"] == "0", reply
    return reply["data"]
