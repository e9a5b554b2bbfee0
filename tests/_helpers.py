"""Small helpers shared by the tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import ByteReceiveStream

from multimarkets_async.sandbox import Sandbox


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
    """The process environment with ``MULTIMARKETS_*`` pointing at ``sb``."""
    return os.environ | {
        "MULTIMARKETS_APP_ID": sb.app_id,
        "MULTIMARKETS_APP_SECRET": sb.app_secret,
        "MULTIMARKETS_COMPANY_ID": str(sb.company_id),
        "MULTIMARKETS_BASE_URL": sb.base_url,
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
