"""The client's task group, for work that outlives one call (page prefetch).

``async with ManagerClient(...)`` opens an anyio task group; walks start their page requests
in it so they can run ahead while the caller handles earlier pages. Each task runs in a cancel
scope of its own, so closing the client cancels these tasks, never the code in the ``async
with`` body. The group belongs to the task that entered the client first, and ends when that
task leaves its ``async with`` (a task group must be left by the task that entered it); walks
then fetch as a client without ``async with`` does. A client used without ``async with`` has no
task group: callers then run such work themselves (see ``pagination._window``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.abc

from .errors import ClientClosedError


class TaskHost:
    """Starts background tasks in a task group entered by the client's ``__aenter__``."""

    def __init__(self) -> None:
        self._group: anyio.abc.TaskGroup | None = None
        self._owner: anyio.TaskInfo | None = None  # the task that entered the group
        self._closed = False
        self._scopes: set[anyio.CancelScope] = set()
        self._live = 0
        # Made when the first task starts: a client may be built outside any event loop.
        self._idle: anyio.Event | None = None

    @property
    def active(self) -> bool:
        """Whether tasks can be started (the client is open and was entered)."""
        return self._group is not None and not self._closed

    async def enter(self) -> None:
        """Open the task group, if this is the first ``async with`` of the client."""
        if self._group is not None or self._closed:
            return
        group = anyio.create_task_group()
        await group.__aenter__()
        self._group, self._owner = group, anyio.get_current_task()

    async def exit(self) -> None:
        """Close the task group, if the task leaving is the one that opened it."""
        if self._group is None or anyio.get_current_task() != self._owner:
            return
        self.cancel()
        await self.drain()
        group, self._group = self._group, None
        # The body's own exception is not the task group's to report: handed to anyio it would
        # come back wrapped in an ExceptionGroup. Background tasks never raise.
        await group.__aexit__(None, None, None)

    def start_soon(self, function: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run ``function(*args)`` in the background; it must handle its own errors."""
        if not self.active:
            raise ClientClosedError("the client is closed")
        assert self._group is not None
        if self._live == 0:
            self._idle = anyio.Event()
        self._live += 1
        self._group.start_soon(self._run, function, args)

    async def _run(self, function: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> None:
        try:
            with anyio.CancelScope() as scope:
                self._scopes.add(scope)
                if self._closed:
                    scope.cancel()
                await function(*args)
        finally:
            self._scopes.discard(scope)
            self._live -= 1
            if self._live == 0:
                assert self._idle is not None
                self._idle.set()

    def cancel(self) -> None:
        """Cancel every background task; no new ones can start."""
        self._closed = True
        for scope in list(self._scopes):
            scope.cancel()

    async def drain(self) -> None:
        """Wait until every background task has finished (after :meth:`cancel`)."""
        if self._idle is None:
            return
        with anyio.CancelScope(shield=True):
            await self._idle.wait()
