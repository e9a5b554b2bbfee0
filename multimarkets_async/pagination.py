"""The generic paginator for every ``current/size/total`` operation.

Page 1 is fetched first to learn ``total``; later pages are fetched concurrently, at most
``concurrency`` in flight or waiting to be read, and handed out strictly in page order.

Offset paging over live data shifts records between pages. A walk watches ``total``: once it
changes, records are de-duplicated by id (in a compact bitmap, not a set of objects), the page
plan grows with the data, and with ``reread_on_drift`` the pages that records may have slid
back into are read again so that no record present for the whole walk is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import math
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import anyio
import anyio.abc
import msgspec

from ._background import BackgroundTasks
from .errors import ClientClosedError
from .models import Page

T = TypeVar("T")

FetchPage = Callable[[int, int], Awaitable[Page[T]]]
KeyFunc = Callable[[T], Hashable | None]

log = logging.getLogger("multimarkets_async")

RECENT_PAGES = 2  # pages remembered before any drift, to de-duplicate the first shift


@dataclass
class WalkStats:
    """What one walk saw. ``drifted`` is True when ``total`` changed during the walk."""

    pages: int = 0
    records: int = 0
    duplicates: int = 0
    rereads: int = 0
    first_total: int | None = None
    last_total: int | None = None
    min_total: int | None = None
    max_total: int | None = None

    @property
    def drifted(self) -> bool:
        return self.min_total != self.max_total

    def _saw(self, total: int) -> None:
        if self.first_total is None:
            self.first_total = total
        self.last_total = total
        self.min_total = total if self.min_total is None else min(self.min_total, total)
        self.max_total = total if self.max_total is None else max(self.max_total, total)


class Paginator(Generic[T]):
    """Walks a paged listing. ``async for record in paginator`` yields records;
    ``async for page in paginator.pages()`` yields whole pages.

    Each iteration is a fresh walk from ``start_page``; ``stats`` describes the latest one.
    A walk left early (``break``) stops its prefetching as soon as the iterator is dropped;
    use ``async with`` or ``aclose()`` on the iterator to wait for that to finish.
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
        key: KeyFunc[T] | None = None,
        reread_on_drift: bool = False,
        record_type: type[T] | None = None,
        name: str = "",
    ) -> None:
        self._fetch = fetch
        self.record_type: type[Any] = record_type or object
        self.name = name
        self.page_size = page_size
        self.start_page = start_page
        self.max_items = max_items
        self.concurrency = concurrency
        self.reread_on_drift = reread_on_drift
        self._key = key
        self._background = background
        self.stats = WalkStats()

    def __repr__(self) -> str:
        return (
            f"<Paginator page_size={self.page_size} start_page={self.start_page} "
            f"max_items={self.max_items} concurrency={self.concurrency}>"
        )

    def describe(self) -> str:
        """What this listing is (operation and filters) and how it is paged."""
        return f"{self.name}|size={self.page_size}|start={self.start_page}|max={self.max_items}"

    def resumed(self, start_page: int, already: int) -> Paginator[T]:
        """The same listing continued at ``start_page``, ``already`` records having been read."""
        remaining = None if self.max_items is None else max(self.max_items - already, 0)
        clone = copy.copy(self)
        clone.start_page, clone.max_items, clone.stats = start_page, remaining, WalkStats()
        return clone

    def _walk(self) -> _PageWalk[T]:
        walk = _PageWalk(self, self._fetch, self._background, self._key)
        self.stats = walk.stats
        return walk

    def __aiter__(self) -> RecordIterator[T]:
        return RecordIterator(self._walk())

    def pages(self) -> PageIterator[T]:
        """Iterate over whole pages (``current``, ``size``, ``total``, ``records``)."""
        return PageIterator(self._walk())


class _IdSet:
    """Ids seen in a walk: non-negative integers in a chunked bitmap (1 bit each), anything
    else by its hash."""

    __slots__ = ("_chunks", "_hashes")

    def __init__(self) -> None:
        self._chunks: dict[int, bytearray] = {}
        self._hashes: set[int] = set()

    def add(self, key: Hashable | None) -> bool:
        """Record ``key``; False if it was already there. Records without a key always pass."""
        if key is None:
            return True
        if type(key) is int and key >= 0:
            chunk = self._chunks.get(key >> 16)
            if chunk is None:
                chunk = self._chunks[key >> 16] = bytearray(8192)
            index, bit = (key & 0xFFFF) >> 3, 1 << (key & 7)
            if chunk[index] & bit:
                return False
            chunk[index] |= bit
            return True
        digest = hash(key)
        if digest in self._hashes:
            return False
        self._hashes.add(digest)
        return True


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
    """State of one walk: the page plan, the prefetch window, drift handling."""

    def __init__(
        self,
        settings: Paginator[T],
        fetch: FetchPage[T],
        background: BackgroundTasks,
        key: KeyFunc[T] | None,
    ) -> None:
        page_size, start_page = settings.page_size, settings.start_page
        max_items = settings.max_items
        self._fetch = fetch
        self._size = page_size
        if max_items is not None and start_page == 1 and max_items < page_size:
            self._size = max(max_items, 1)  # a first page of max_items suffices
        self._start = start_page
        self._max_items = max_items
        self._remaining = max_items
        self._concurrency = settings.concurrency
        self._reread = settings.reread_on_drift and key is not None
        self._key = key
        self._background = background
        self.stats = WalkStats()
        self._next_number = start_page
        self._last_page: int | None = None  # None until page 1 tells `total`
        self._open_ended = False
        self._window: deque[_Slot[T]] = deque()
        self._pending: list[_Slot[T]] = []  # submitted before the fetcher task started
        self._group: anyio.abc.TaskGroup | None = None
        self._task: asyncio.Task[None] | None = None
        self._finished = max_items == 0
        self._ready: deque[Page[T]] = deque()  # re-read pages waiting to be handed out
        self._recent: deque[list[T]] = deque(maxlen=RECENT_PAGES)
        self._seen: _IdSet | None = None  # created when drift is first seen
        self._previous_total: int | None = None

    # -- consumer side -----------------------------------------------------------------

    async def next_page(self) -> Page[T]:
        while True:
            if self._ready:
                return self._ready.popleft()
            if self._finished:
                raise StopAsyncIteration
            try:
                page = await self._next_fetched()
                delivered = await self._accept(page)
            except BaseException:
                await self.aclose()
                raise
            if delivered is not None:
                return delivered

    async def _next_fetched(self) -> Page[T]:
        if self._last_page is None:
            page = await self._fetch(self._next_number, self._size)
            self._next_number += 1
            self.stats.pages += 1
            self._plan(page)
            if self._concurrency > 1 and page.records:
                self._fill_window()  # prefetch while the caller reads page 1
            return page
        return await self._next_from_window()

    def _plan(self, first: Page[T]) -> None:
        if first.total < len(first.records):
            # `total` contradicts the page (placeholder zeros): walk until a short page.
            self._open_ended = True
            self._last_page = sys.maxsize
        else:
            self._last_page = max(math.ceil(first.total / self._size), self._start)
        self._cap_plan()

    def _cap_plan(self) -> None:
        assert self._last_page is not None
        if self._max_items is not None:
            wanted = self._max_items + self.stats.duplicates
            self._last_page = min(self._last_page, self._start + math.ceil(wanted / self._size) - 1)

    async def _accept(self, page: Page[T]) -> Page[T] | None:
        """Apply drift handling, de-duplication and ``max_items`` to a fetched page."""
        stats = self.stats
        records = page.records
        number = page.current or self._next_number - 1
        if not records:
            self._finish()
            raise StopAsyncIteration
        if not self._open_ended:
            self._track_total(page.total)
        if self._seen is not None:
            fresh = [r for r in records if self._seen.add(self._key(r))]  # type: ignore[misc]
            stats.duplicates += len(records) - len(fresh)
        else:
            fresh = records
            if self._key is not None:
                self._recent.append(records)
        if self._reread and self._previous_total is not None and page.total < self._previous_total:
            await self._reread_before(number, self._previous_total - page.total)
        self._previous_total = page.total
        if self._remaining is not None and len(fresh) >= self._remaining:
            fresh = fresh[: self._remaining]
            self._finish()
        if self._remaining is not None:
            self._remaining -= len(fresh)
        assert self._last_page is not None
        exhausted = self._next_number > self._last_page and not self._window
        if exhausted or (self._open_ended and len(records) < self._size):
            self._finish()
        if fresh is not records:
            page = msgspec.structs.replace(page, records=fresh)
        stats.records += len(fresh)
        if not fresh:
            return None
        if self._ready:  # re-read records come first: they belong before this page
            self._ready.append(page)
            return self._ready.popleft()
        return page

    def _track_total(self, total: int) -> None:
        stats = self.stats
        before = stats.max_total
        stats._saw(total)
        if stats.first_total != total and self._seen is None and self._key is not None:
            log.warning(
                "listing changed during the walk: total was %d, now %d; de-duplicating by id",
                stats.first_total,
                total,
            )
            seen = self._seen = _IdSet()
            key = self._key
            for records in self._recent:
                for record in records:
                    seen.add(key(record))
            self._recent.clear()
        if before is not None and total > before and self._last_page is not None:
            self._last_page = max(self._last_page, math.ceil(total / self._size))
            self._cap_plan()

    async def _reread_before(self, number: int, shift: int) -> None:
        """Read again the pages that records may have slid back into (deletions ahead)."""
        assert self._seen is not None
        frontier = (number - 1) * self._size
        first = max(self._start, (max(frontier - shift, 0) // self._size) + 1)
        for again in range(first, number):
            page = await self._fetch(again, self._size)
            self.stats.pages += 1
            self.stats.rereads += 1
            fresh = [r for r in page.records if self._seen.add(self._key(r))]  # type: ignore[misc]
            if fresh:
                self.stats.records += len(fresh)
                self._ready.append(msgspec.structs.replace(page, records=fresh))

    async def _next_from_window(self) -> Page[T]:
        assert self._last_page is not None
        if self._concurrency == 1:  # strictly sequential: no prefetch, no background task
            if self._next_number > self._last_page:
                self._finish()
                raise StopAsyncIteration
            self._next_number += 1
            self.stats.pages += 1
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
        self.stats.pages += 1
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
        if not self._finished and self.stats.drifted:
            stats = self.stats
            log.warning(
                "walk finished with drift: total %s at the start, %s at the end "
                "(%d duplicates skipped, %d pages re-read)",
                stats.first_total,
                stats.last_total,
                stats.duplicates,
                stats.rereads,
            )
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
        self._ready.clear()
        task = self._task
        if task is not None and not task.done():
            with anyio.CancelScope(shield=True):
                await asyncio.wait({task})


class _WalkIterator(Generic[T]):
    def __init__(self, walk: _PageWalk[T]) -> None:
        self._walk = walk

    def __del__(self) -> None:
        self._walk.cancel()

    @property
    def stats(self) -> WalkStats:
        """What this walk saw so far (pages, records, drift, duplicates, re-reads)."""
        return self._walk.stats

    async def aclose(self) -> None:
        """Stop the walk and wait for in-flight page requests to be cancelled."""
        await self._walk.aclose()


class PageIterator(_WalkIterator[T]):
    """Async iterator over the pages of one walk."""

    def __aiter__(self) -> PageIterator[T]:
        return self

    async def __anext__(self) -> Page[T]:
        return await self._walk.next_page()

    async def __aenter__(self) -> PageIterator[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


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

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


__all__ = ["KeyFunc", "PageIterator", "Paginator", "RecordIterator", "WalkStats"]
