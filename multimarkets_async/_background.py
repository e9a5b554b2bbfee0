"""Background tasks owned by a client (page prefetchers), cancelled when the client closes."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from .errors import ClientClosedError


class BackgroundTasks:
    """A set of asyncio tasks that the owner cancels and awaits on close.

    Page prefetchers must outlive a single ``__anext__`` call, which a task group scoped to
    that call cannot give; this registry makes sure none of them outlives the client.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        if self._closed:
            coro.close()
            raise ClientClosedError("the client is closed")
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def aclose(self) -> None:
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
