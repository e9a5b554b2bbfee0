"""``Paginator``: a paged listing and how to walk it; the iterators that walk it."""

from __future__ import annotations

import dataclasses
from typing import Any, Generic, TypeVar

from ..errors import ValidationError
from ..models import Page
from ._seen import RecordKey
from ._state import WalkCursor, WalkPosition, WalkSpec, WalkStats
from ._walk import Walk

T = TypeVar("T")


class Paginator(Generic[T]):
    """Walks a paged listing. ``async for record in paginator`` yields records;
    ``async for page in paginator.pages()`` yields pages of them.

    Each iteration is a fresh walk from ``start_page``; ``stats`` describes the latest one.
    A walk yields every record present from its start to its end exactly once, while the
    list grows at the front and shrinks anywhere; what it cannot vouch for it reports in
    ``stats.problems`` (and logs a warning), never silently. A walk left early (``break``)
    stops its requests as soon as the iterator is dropped; use ``async with`` or ``aclose()``
    on the iterator to wait for that to finish.
    """

    def __init__(self, spec: WalkSpec[T], *, record_type: type[Any] | None = None) -> None:
        self._spec = spec
        self._cursor: WalkCursor | None = None
        self.record_type: type[Any] = record_type or object
        self.stats = WalkStats()

    @property
    def name(self) -> str:
        """The listing: operation and filters."""
        return self._spec.listing

    @property
    def page_size(self) -> int:
        return self._spec.page_size

    @property
    def start_page(self) -> int:
        return self._spec.start_page

    @property
    def max_items(self) -> int | None:
        return self._spec.max_items

    @property
    def concurrency(self) -> int:
        return self._spec.concurrency

    @property
    def reread_on_drift(self) -> bool:
        return self._spec.reread_on_drift

    @property
    def record_key(self) -> RecordKey | None:
        """What identifies a record in walks (None: records of this listing have no key)."""
        return self._spec.key

    def __repr__(self) -> str:
        return (
            f"<Paginator {self._spec.biz_type} page_size={self.page_size} "
            f"start_page={self.start_page} max_items={self.max_items} "
            f"concurrency={self.concurrency}>"
        )

    def settings(self) -> dict[str, Any]:
        """What identifies the walk: the listing (operation and filters) and its paging."""
        return {
            "listing": self.name,
            "page_size": self.page_size,
            "start_page": self.start_page,
            "max_items": self.max_items,
        }

    def resume(self, cursor: WalkCursor) -> Paginator[T]:
        """The same listing, continued from ``cursor`` (from ``PageIterator.cursor()``).

        The continued walk picks up where the list, however it changed meanwhile, now holds
        the next record not yet yielded; it yields no record that was yielded before, and ends
        by reading the front of the list for records that signed up since the walk began
        (they come last). Raises :class:`ValidationError` naming any setting that differs from
        the walk the cursor came from.
        """
        at = cursor.position
        saved = {"listing": at.listing, "page_size": at.page_size, "start_page": at.start_page}
        for name, value in saved.items():
            mine = getattr(self, "name" if name == "listing" else name)
            if name == "page_size" and self.max_items is not None and self.start_page == 1:
                mine = min(mine, max(self.max_items, 1))
            if mine != value:
                raise ValidationError(
                    name, f"the cursor is for {name} {value!r}, this walk has {mine!r}"
                )
        clone = Paginator(self._spec, record_type=self.record_type)
        clone._cursor = cursor
        return clone

    def with_concurrency(self, concurrency: int) -> Paginator[T]:
        """The same listing, read with another number of pages in flight."""
        clone = Paginator(
            dataclasses.replace(self._spec, concurrency=concurrency), record_type=self.record_type
        )
        clone._cursor = self._cursor
        return clone

    def _walk(self) -> Walk[T]:
        walk = Walk(self._spec, self._cursor)
        self.stats = walk.stats
        return walk

    def __aiter__(self) -> RecordIterator[T]:
        return RecordIterator(self._walk())

    def pages(self) -> PageIterator[T]:
        """Iterate over pages (``current``, ``size``, ``total``, ``records``). A page holds the
        records to yield from one reply; ``current`` is the page number that was requested."""
        return PageIterator(self._walk())


class _WalkIterator(Generic[T]):
    def __init__(self, walk: Walk[T]) -> None:
        self._walk = walk

    def __del__(self) -> None:
        self._walk.cancel()

    @property
    def stats(self) -> WalkStats:
        """What this walk saw so far."""
        return self._walk.stats

    async def aclose(self) -> None:
        """Stop the walk and wait for its page requests in flight to be cancelled."""
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

    def cursor(self) -> WalkCursor:
        """Where the walk stands after the last page handed out, to continue it later with
        :meth:`Paginator.resume` (``to_bytes()`` stores it)."""
        return self._walk.cursor()

    def position(self) -> WalkPosition:
        """The cursor without the keys of the records yielded (cheap; for callers that keep
        those keys themselves, as exports do)."""
        return self._walk.position()


class RecordIterator(_WalkIterator[T]):
    """Async iterator over the records of one walk, in order."""

    def __init__(self, walk: Walk[T]) -> None:
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
