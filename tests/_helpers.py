"""Small helpers shared by the tests."""

from __future__ import annotations

import asyncio
from typing import Any


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
