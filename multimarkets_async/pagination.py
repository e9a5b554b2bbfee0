"""The generic paginator for every ``current/size/total`` operation.

Page 1 is fetched first to learn ``total``; later pages are fetched concurrently, at most
``concurrency`` in flight or waiting to be read, and handed out strictly in page order.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sys
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import anyio
import msgspec

from ._background import BackgroundTasks
from .errors import ClientClosedError
from .models import Page

T = TypeVar("T")

FetchPage = Callable[[int, int], Awaitable[Page[T]]]


class Paginator(Generic[T]):
    """Walks a paged listing. ``async for record in paginator`` yields records;
    ``async for page in paginator.pages()`` yields whole pages.

    Each iteration is a fresh walk from ``start_page``. A walk that is left early (``break``)
    stops its prefetching as soon as the iterator is dropped; use ``async with`` or
    :meth:`aclose` on the iterator to wait for that to finish.
    """

    def __init__(
        self,
        fetch: FetchPage[T],
        *,
        page_size: int,
        start_page: int,
        max_items: int | None,
        concurrency: int,
        background: BackgroundTasks,
    ) -> None:
        self._fetch = fetch
        self.page_size = page_size
        self.start_page = start_page
        self.max_items = max_items
        self.concurrency = concurrency
        self._background = background

    def __repr__(self) -> str:
        return (
            f"<Paginator page_size={self.page_size} start_page={self.start_page} "
            f"max_items={self.max_items} concurrency={self.concurrency}>"
        )

    def _walk(self) -> _PageWalk[T]:
        return _PageWalk(self, self._fetch, self._background)

    def __aiter__(self) -> RecordIterator[T]:
        return RecordIterator(self._walk())

    def pages(self) -> PageIterator[T]:
        """Iterate over whole pages (``current``, ``size``, ``total``, ``records``)."""
        return PageIterator(self._walk())


class _Slot(Generic[T]):
    """One page of the prefetch window: filled by a fetch task, read by the consumer."""

    __slots__ = ("done", "error", "number", "page")

    def __init__(self, number: int) -> None:
        self.number = number
        self.done = anyio.Event()
        self.page: Page[T] | None = None
        self.error: BaseException | None = None


def _abandon(slot: _Slot[T]) -> None:
    """Mark ``slot`` finished; if it has no page or error yet, it was cut off by a close."""
    if slot.done.is_set():
        return
    if slot.page is None and slot.error is None:
        slot.error = ClientClosedError("the walk was stopped while this page was loading")
    slot.done.set()


class _PageWalk(Generic[T]):
    """State of one walk: the page plan, the prefetch window and its fetcher task."""

    def __init__(
        self, settings: Paginator[T], fetch: FetchPage[T], background: BackgroundTasks
    ) -> None:
        page_size, start_page = settings.page_size, settings.start_page
        max_items = settings.max_items
        self._fetch = fetch
        self._size = page_size
        if max_items is not None and start_page == 1 and max_items < page_size:
            self._size = max(max_items, 1)  # a first page of max_items suffices
        self._start = start_page
        self._remaining = max_items
        self._concurrency = settings.concurrency
        self._background = background
        self._next_number = start_page
        self._last_page: int | None = None  # None until page 1 tells `total`
        self._window: deque[_Slot[T]] = deque()
        self._pending: list[_Slot[T]] = []  # submitted before the fetcher task started
        self._group: anyio.abc.TaskGroup | None = None
        self._task: asyncio.Task[None] | None = None
        self._finished = max_items == 0
        self._open_ended = False

    # -- consumer side -----------------------------------------------------------------

    async def next_page(self) -> Page[T]:
        if self._finished:
            raise StopAsyncIteration
        try:
            if self._last_page is None:
                page = await self._fetch(self._next_number, self._size)
                self._next_number += 1
                self._plan(page)
                if self._concurrency > 1 and page.records:
                    self._fill_window()  # prefetch while the caller reads page 1
            else:
                page = await self._next_from_window()
        except BaseException:
            await self.aclose()
            raise
        return self._deliver(page)

    def _plan(self, first: Page[T]) -> None:
        if first.total < len(first.records):
            # `total` contradicts the page (placeholder zeros): walk until a short page.
            self._open_ended = True
            last = sys.maxsize
        else:
            last = max(math.ceil(first.total / self._size), self._start)
        if self._remaining is not None:
            pages_needed = math.ceil(self._remaining / self._size)
            last = min(last, self._start + pages_needed - 1)
        self._last_page = last

    def _deliver(self, page: Page[T]) -> Page[T]:
        records = page.records
        if not records:
            self._finish()
            raise StopAsyncIteration
        if self._remaining is not None:
            if len(records) >= self._remaining:
                page = msgspec.structs.replace(page, records=records[: self._remaining])
                self._finish()
            self._remaining -= len(page.records)
        assert self._last_page is not None
        exhausted = self._next_number > self._last_page and not self._window
        if exhausted or (self._open_ended and len(records) < self._size):
            self._finish()
        return page

    async def _next_from_window(self) -> Page[T]:
        assert self._last_page is not None
        if self._concurrency == 1:  # strictly sequential: no prefetch, no background task
            if self._next_number > self._last_page:
                self._finish()
                raise StopAsyncIteration
            self._next_number += 1
            return await self._fetch(self._next_number - 1, self._size)
        self._fill_window()
        if not self._window:
            self._finish()
            raise StopAsyncIteration
        slot = self._window.popleft()
        await slot.done.wait()
        if slot.error is not None:
            raise slot.error
        assert slot.page is not None
        if slot.page.records:
            self._fill_window()  # keep `concurrency` pages coming while this one is read
        return slot.page

    def _fill_window(self) -> None:
        assert self._last_page is not None
        while len(self._window) < self._concurrency and self._next_number <= self._last_page:
            slot: _Slot[T] = _Slot(self._next_number)
            self._next_number += 1
            self._window.append(slot)
            self._submit(slot)

    def _submit(self, slot: _Slot[T]) -> None:
        if self._group is not None:
            self._group.start_soon(self._fill_slot, slot)
            return
        if self._task is not None and self._task.done():
            _abandon(slot)
            return
        self._pending.append(slot)
        if self._task is None:
            self._task = self._background.spawn(self._run_fetcher())
            self._task.add_done_callback(self._fetcher_done)

    def _fetcher_done(self, _task: asyncio.Task[None]) -> None:
        # Fetches cancelled before their first step never run their own cleanup.
        for slot in self._window:
            _abandon(slot)
        self._group = None

    def _finish(self) -> None:
        self._finished = True
        self.cancel()

    # -- fetcher side ------------------------------------------------------------------

    async def _run_fetcher(self) -> None:
        """Owns the task group that the page fetches run in, until the walk is cancelled."""
        async with anyio.create_task_group() as group:
            self._group = group
            for slot in self._pending:
                group.start_soon(self._fill_slot, slot)
            self._pending.clear()
            await anyio.sleep_forever()

    async def _fill_slot(self, slot: _Slot[T]) -> None:
        try:
            slot.page = await self._fetch(slot.number, self._size)
        except Exception as exc:
            slot.error = exc
        finally:
            _abandon(slot)

    # -- shutdown ----------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop prefetching now (synchronous; safe from ``__del__``)."""
        self._finished = True
        self._window.clear()
        self._pending.clear()
        task = self._task
        if task is not None and not task.done():
            with contextlib.suppress(RuntimeError):  # the event loop is already closed
                task.cancel()

    async def aclose(self) -> None:
        """Stop prefetching and wait until every in-flight request has been cancelled."""
        self.cancel()
        task = self._task
        if task is not None and not task.done():
            with anyio.CancelScope(shield=True):
                await asyncio.wait({task})


class _WalkIterator(Generic[T]):
    def __init__(self, walk: _PageWalk[T]) -> None:
        self._walk = walk

    def __del__(self) -> None:
        self._walk.cancel()

    async def aclose(self) -> None:
        """Stop the walk and wait for in-flight page requests to be cancelled."""
        await self._walk.aclose()

    async def __aenter__(self) -> _WalkIterator[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class PageIterator(_WalkIterator[T]):
    """Async iterator over the pages of one walk."""

    def __aiter__(self) -> PageIterator[T]:
        return self

    async def __anext__(self) -> Page[T]:
        return await self._walk.next_page()

    async def __aenter__(self) -> PageIterator[T]:
        return self


class RecordIterator(_WalkIterator[T]):
    """Async iterator over the records of one walk, in page order."""

    def __init__(self, walk: _PageWalk[T]) -> None:
        super().__init__(walk)
        self._records: list[T] = []
        self._index = 0

    def __aiter__(self) -> RecordIterator[T]:
        return self

    async def __anext__(self) -> T:
        while self._index >= len(self._records):
            self._records = (await self._walk.next_page()).records
            self._index = 0
        record = self._records[self._index]
        self._index += 1
        return record

    async def __aenter__(self) -> RecordIterator[T]:
        return self


__all__ = ["PageIterator", "Paginator", "RecordIterator"]
