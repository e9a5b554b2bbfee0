"""Small helpers shared by the tests."""

from __future__ import annotations

import asyncio
import os
from typing import Any

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
