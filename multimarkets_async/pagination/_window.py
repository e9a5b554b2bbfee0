"""The prefetch window: page requests sent ahead of the reader, handed over in page order.

At most ``capacity`` pages are requested and not yet taken. When the client is open
(``async with``) each request runs as a task in the client's task group, so pages arrive while
the reader handles earlier ones. Without it, the reader runs the outstanding requests itself,
concurrently, when it needs the first of them. Either way every request ends with the walk:
taking a later page drops (and cancels) the slots before it, and closing cancels the rest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import anyio

from .._tasks import TaskHost
from ..errors import ClientClosedError
from ..models import Page

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Reply(Generic[T]):
    """One answered page request: the page number and size asked for (never the server's
    echo), the page, its ``total`` (None when the operation answers with a bare list) and the
    request's trace id. ``started`` and ``finished`` (``time.monotonic()``) bracket the moment
    the server answered: a request started after another one finished was answered later."""

    number: int
    size: int
    page: Page[T]
    total: int | None
    trace: str | None
    started: float = 0.0
    finished: float = 0.0


Fetch = Callable[[int, int], Awaitable[Reply[T]]]


class _Slot(Generic[T]):
    """One page requested ahead."""

    __slots__ = ("cancelled", "done", "error", "number", "reply", "scope", "started")

    def __init__(self, number: int) -> None:
        self.number = number
        self.reply: Reply[T] | None = None
        self.error: Exception | None = None
        self.done = anyio.Event()
        self.scope: anyio.CancelScope | None = None
        self.started = False
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        if self.scope is not None:
            with contextlib.suppress(RuntimeError):  # the event loop is already closed
                self.scope.cancel()


class Window(Generic[T]):
    """Pages requested ahead of the reader, in page order."""

    def __init__(
        self, fetch: Fetch[T], size: int, capacity: int, host: Callable[[], TaskHost | None]
    ) -> None:
        self._fetch = fetch
        self._size = size
        self._capacity = capacity
        self._host = host
        self._slots: deque[_Slot[T]] = deque()
        self._running: set[_Slot[T]] = set()

    def plan(self, first: int, last: int) -> None:
        """Request pages from ``first`` (or after the last one requested) up to ``last``,
        keeping at most ``capacity`` outstanding."""
        if self._slots:
            first = max(first, self._slots[-1].number + 1)
        host = self._host()
        while len(self._slots) < self._capacity and first <= last:
            slot: _Slot[T] = _Slot(first)
            self._slots.append(slot)
            first += 1
            if host is not None and host.active:
                slot.started = True
                self._running.add(slot)
                host.start_soon(self._run, slot)

    async def take(self, number: int) -> Reply[T]:
        """The reply for page ``number``: from its slot if it was requested ahead (slots for
        earlier pages are dropped), else requested now."""
        slots = self._slots
        while slots and slots[0].number < number:
            slots.popleft().cancel()
        if not slots or slots[0].number != number:  # not requested ahead (or a page before)
            if slots and len(slots) >= self._capacity:
                slots.pop().cancel()  # stay within `capacity`: the furthest page can wait
            return await self.fetch(number)
        slot = slots.popleft()
        if not slot.started:
            await self._run_outstanding(slot)
        await slot.done.wait()
        if slot.error is not None:
            raise slot.error
        if slot.reply is None:
            raise ClientClosedError("the walk was stopped while this page was loading")
        return slot.reply

    async def fetch(self, number: int, size: int | None = None) -> Reply[T]:
        """Request page ``number`` (of ``size``, default the walk's) now."""
        started = time.monotonic()
        reply = await self._fetch(number, size or self._size)
        return dataclasses.replace(reply, started=started, finished=time.monotonic())

    async def _run_outstanding(self, first: _Slot[T]) -> None:
        """No task group to run requests ahead: run every outstanding one now, together."""
        waiting = [first, *(s for s in self._slots if not s.started)]
        async with anyio.create_task_group() as group:
            for slot in waiting:
                slot.started = True
                self._running.add(slot)
                group.start_soon(self._run, slot)

    async def _run(self, slot: _Slot[T]) -> None:
        try:
            with anyio.CancelScope() as scope:
                slot.scope = scope
                if slot.cancelled:
                    scope.cancel()
                try:
                    slot.reply = await self.fetch(slot.number)
                except Exception as exc:  # handed to the reader, in page order
                    slot.error = exc
        finally:
            self._running.discard(slot)
            slot.done.set()

    def cancel(self) -> None:
        """Drop every outstanding request (synchronous; safe from ``__del__``)."""
        for slot in self._slots:
            slot.cancel()
        for slot in self._running:
            slot.cancel()
        self._slots.clear()

    async def aclose(self) -> None:
        """Drop every outstanding request and wait until their tasks have ended."""
        self.cancel()
        with anyio.CancelScope(shield=True):
            for slot in list(self._running):
                await slot.done.wait()
