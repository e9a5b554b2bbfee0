"""One walk over a paged listing: which page to read next, what of it to yield, when to stop.

The walk asks the window (``_window``) for the page that holds the record just under its
frontier, places the reply by its ranks (``_frame``), yields the records that are new by rank
and by key (``_seen``), and moves the frontier down.

Ranks stay put while the list grows at the front, so while nothing older than the frontier is
deleted, a reply can be placed against the frontier whenever it was answered. When older
records are deleted, ranks drop, and only a reply answered after the one that set the frontier
(its request started after that reply arrived) can be placed safely. Replies placed without
that order leave a *seam*: the keys yielded just before and just after it. At the end the
walk finds its own first records again, and from their rank now learns how many older records
were deleted while it ran (``_checks``). If none were, every placement was sound. Otherwise
each seam is checked by reading a few records around it: any record found between the two
sides was missed, and is yielded then. A resumed walk also reads the front of the list, down
to its first records, for those that signed up since it began.

Within a step, everything awaited comes before the walk's state changes: a cursor taken after
any step, even one that failed or was cancelled, is true.

Replies that do not line up with the frontier (the list moved) are answered by reading the
right page; short pages are read again before they are believed; a listing without a usable
``total`` is walked by page number. Whatever the walk cannot vouch for ends up in
``WalkStats.problems`` and a warning.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

import anyio
import msgspec

from ..errors import InconsistentListingError
from ..models import Page
from ._checks import Seam, deletions_at_head, missed_at_seam
from ._frame import Fit, Span, expected_count, page_covering, page_holding, place, span_of
from ._seen import SeenKeys, restored_key
from ._state import WalkCursor, WalkPosition, WalkSpec, WalkStats
from ._window import Reply, Window

T = TypeVar("T")

log = logging.getLogger("multimarkets_async")

SHORT_PAGE_READS = 3  # extra reads of a page that holds fewer records than `total` promises
REPEAT_STRIKES = 3  # new pages in a row answered with the first page: `current` is ignored
MAX_REALIGNS = 12  # replies in a row that did not line up with the frontier
SEAM_KEYS = 8  # keys kept on each side of a seam (some of them may be deleted by the end)
SEAM_MARGIN = 2  # records read beyond a seam's expected place on each side
SEAM_READS = 4  # reads to find a seam while the list keeps changing
HEAD_READS = 6  # reads to find the walk's first records again
UNBOUNDED = 1 << 62


@dataclass
class _Front:
    """A resumed walk reading the front of the list, down to its first records, for the
    records that signed up since the walk began."""

    frontier: int | None = None
    keys: set[Hashable] = field(default_factory=set)  # read at the front so far


class _Phase(Enum):
    MAIN = "main"  # down from the start page to the oldest record
    FRONT = "front"  # the front of the list: sign-ups since a resumed walk began
    HEAD = "head"  # finding the walk's first records again, to count deletions since
    SEAMS = "seams"  # checking the seams of replies placed out of order
    DONE = "done"


class Walk(Generic[T]):
    """State of one walk; ``next_page`` hands out pages of records to yield, in order."""

    def __init__(self, spec: WalkSpec[T], cursor: WalkCursor | None = None) -> None:
        self._spec = spec
        size = spec.page_size
        if spec.max_items is not None and spec.start_page == 1 and spec.max_items < size:
            size = max(spec.max_items, 1)  # a first page of max_items suffices
        at = cursor.position if cursor is not None else None
        if at is not None:
            size = at.page_size
        else:
            at = WalkPosition(listing=spec.listing, page_size=size, start_page=spec.start_page)
        self._size = size
        self._key = spec.key
        capacity = spec.concurrency if spec.concurrency > 1 else 0
        self._window: Window[T] = Window(spec.fetch, size, capacity, spec.host)
        self.stats = WalkStats(unproven=at.unproven, problems=list(at.problems))
        self._lasting = list(at.problems)
        self._resumed = cursor is not None
        self._seen = cursor.keys.copy() if cursor is not None else SeenKeys()
        self._records_before = at.records
        self._frontier = at.frontier
        self._frontier_at = 0.0  # when the reply that set the frontier arrived
        self._frontier_started = 0.0  # and when it was requested
        self._frontier_total: int | None = None
        self._ordered_only = False  # deletions seen: place only replies known to come later
        self._total = at.total
        self._first_total = at.first_total
        self._next_page = at.next_page if cursor is not None else spec.start_page
        self._by_number = at.by_number
        self._repeats = at.repeats
        self._head: tuple[Hashable, ...] = tuple(map(restored_key, at.head))
        self._head_rank = at.head_rank
        self._seams = [
            Seam(tuple(map(restored_key, before)), tuple(map(restored_key, after)), rank)
            for before, after, rank in at.seams
        ]
        self._remaining = None if spec.max_items is None else max(spec.max_items - at.records, 0)
        self._tail: deque[Hashable] = deque(map(restored_key, at.tail), maxlen=SEAM_KEYS)
        # Seams still collecting the keys yielded after them (a resumed walk goes on with them).
        self._open_seams: list[tuple[tuple[Hashable, ...], list[Hashable], int]] = [
            (tuple(map(restored_key, before)), list(map(restored_key, after)), rank)
            for before, after, rank in at.open_seams
        ]
        self._unordered = at.unordered  # replies placed without knowing they came later
        self._realign_read: tuple[int, int] | None = None  # (page, size) to read across a gap
        self._highest = 0  # the highest page number read so far
        self._strikes = 0
        self._realigns = 0
        self._keyless = False
        self._first_page: object = None  # the first reply's keys (or records, without keys)
        self._suspect: Reply[T] | None = None  # a reply that may show `current` ignored
        self._numbered_pages = 0
        self._deleted: int | None = None  # older records deleted during the walk, once known
        self._front: _Front | None = None
        self._phase = _Phase.MAIN if self._remaining != 0 else _Phase.DONE
        if at.catching_up:
            self._phase = _Phase.FRONT
            self._front = _Front(at.front_frontier)
        elif self._frontier is not None and self._frontier <= 0 and not self._by_number:
            self._after_main()

    # -- the reader's side -------------------------------------------------------------------

    async def next_page(self) -> Page[T]:
        """The next page of records to yield; StopAsyncIteration when the walk is over."""
        try:
            while True:
                phase = self._phase
                if phase is _Phase.DONE:
                    raise StopAsyncIteration
                if phase is _Phase.FRONT:
                    page = await self._front_step()
                elif phase is _Phase.HEAD:
                    page = await self._find_head()
                elif phase is _Phase.SEAMS:
                    page = await self._check_seams()
                elif self._by_number:
                    page = await self._numbered_step()
                else:
                    page = await self._ranked_step()
                if page is not None:
                    return page
        except BaseException:
            await self.aclose()
            raise

    def position(self) -> WalkPosition:
        """The walk's state after the last page handed out (scalars only)."""
        front = self._front if self._phase is _Phase.FRONT else None
        return WalkPosition(
            listing=self._spec.listing,
            page_size=self._size,
            start_page=self._spec.start_page,
            records=self._records_before + self.stats.records,
            frontier=self._frontier,
            total=self._total,
            first_total=self._first_total,
            next_page=self._next_page,
            by_number=self._by_number,
            repeats=self._repeats,
            head=[_saved(key) for key in self._head],
            head_rank=self._head_rank,
            unordered=self._unordered,
            seams=tuple(
                ([_saved(k) for k in seam.before], [_saved(k) for k in seam.after], seam.rank)
                for seam in self._seams
            ),
            open_seams=tuple(
                ([_saved(k) for k in b], [_saved(k) for k in a], rank)
                for b, a, rank in self._open_seams
            ),
            tail=[_saved(key) for key in self._tail],
            catching_up=front is not None,
            front_frontier=None if front is None else front.frontier,
            unproven=self.stats.unproven,
            problems=tuple(self._lasting),
        )

    def cursor(self) -> WalkCursor:
        """A snapshot to continue this walk later (see ``Paginator.resume``)."""
        return WalkCursor(self.position(), self._seen.copy())

    # -- main phase, placed by rank ------------------------------------------------------------

    async def _ranked_step(self) -> Page[T] | None:
        if self._suspect is not None:
            await self._confirm_ignored()
        if self._realign_read is not None:  # the list moved under the walk: read across it
            reply = await self._read_now(*self._realign_read)
            self._realign_read = None
        else:
            number = self._wanted()
            self._plan_from(number)
            reply = await self._read(number)
            if self._frontier is not None and not self._usable(reply):
                reply = await self._read_now(number, self._size, extra=False)
        number, size = reply.number, reply.size
        total, records = reply.total, reply.page.records
        if total is None or total < 0 or len(records) > expected_count(number, size, total):
            return self._start_numbering(reply)
        self._saw_total(total)
        if not records and expected_count(number, size, total) > 0:
            self._come_up_short(reply, total if self._frontier is None else self._frontier)
            return None
        span = span_of(number, size, total, len(records))
        ordered = True
        if self._frontier is None:
            skip = 0
            if self._first_total is None:
                self._first_total, self._head_rank = total, span.high - 1
        else:
            fit, skip = place(span, self._frontier, from_front=number == 1)
            if fit is not Fit.FITS and not self._realign(reply, fit, span, self._frontier):
                return None
            ordered = reply.started > self._frontier_at
            if ordered and self._frontier_total is not None and total < self._frontier_total:
                self._ordered_only = self._spec.reread_on_drift  # deletions: see `_usable`
        self._realigns = 0
        if not ordered:
            self._unordered = True
            if self._tail:  # a seam needs keys on both sides: keyless records rely on rank
                self._open_seams.append((tuple(self._tail), [], self._frontier or 0))
        if ordered and self._keyless and total < (self._frontier_total or 0):
            self._problem(
                0,
                "the listing shrank while records without a key were read; such records "
                "cannot be told apart, so some may have been yielded twice or skipped",
                once=True,
            )
        # From here to the end of the step nothing is awaited: the walk's state moves with the
        # page it hands out, so a cursor taken after any step is true.
        previous = self._frontier
        repeats = self._repeats
        page = self._take(reply, skip, by_rank=ordered)
        if self._repeats > repeats:
            self._ordered_only = self._spec.reread_on_drift
        self._total = total
        self._frontier = span.low
        self._frontier_at, self._frontier_started = reply.finished, reply.started
        self._frontier_total = total
        if self._phase is _Phase.DONE:  # `max_items` reached
            return page
        if len(records) < expected_count(number, size, total):
            # Which of the page's records are missing is unknown: resuming reads it again.
            self._frontier = previous
            self._come_up_short(reply, span.low)
        elif span.low <= 0:
            self._after_main()
        elif self._phase is _Phase.MAIN:
            self._plan_from(self._wanted())  # keep pages coming while this one is read
        return page

    def _wanted(self) -> int:
        """The page to read next: the start page, then the one holding the record just under
        the frontier (as far as the latest reply tells where the list stands)."""
        if self._frontier is None:
            return self._next_page
        assert self._total is not None
        return page_holding(self._frontier - 1, self._size, self._total)

    def _plan_from(self, number: int) -> None:
        if self._frontier is None or self._total is None:
            return  # `total` is not known before the first reply
        last = math.ceil(self._total / self._size)
        if self._remaining is not None:
            last = min(last, number + math.ceil(self._remaining / self._size) - 1)
        self._window.plan(number, last)

    def _realign(
        self, reply: Reply[T], fit: Fit, span: Span, frontier: int, *, may_skip: bool = True
    ) -> bool:
        """A reply that does not hold the record under ``frontier``. Returns True to use it
        anyway (a gap left unread when re-reading is off); else the next step reads the right
        page, from this reply's view of the list."""
        assert reply.total is not None
        self._realigns += 1
        if self._realigns > MAX_REALIGNS:
            raise InconsistentListingError(
                f"{MAX_REALIGNS} replies in a row did not line up with the records already "
                "read: the listing changes faster than it can be read, or its order is unstable",
                biz_type=self._spec.biz_type,
                trace=reply.trace,
                page=reply.number,
            )
        if fit is Fit.GAP and may_skip and not self._spec.reread_on_drift:
            self._problem(
                frontier - span.high,
                f"the list moved back under the walk at page {reply.number}; up to "
                f"{frontier - span.high} records were not read again (reread_on_drift off)",
            )
            return True
        self._total = reply.total
        if fit is Fit.ABOVE:
            self.stats.shifted += len(reply.page.records)
        # Read across the place this reply says holds the record under the frontier, with room
        # on both sides for the list to move as much again before the read is answered.
        moved = frontier - span.high if fit is Fit.GAP else span.low - frontier + 1
        margin = 2 * max(moved, 1) + SEAM_MARGIN
        start = max(reply.total - frontier - margin, 0)
        self._realign_read = page_covering(start, start + self._size + 2 * margin)
        return False

    def _come_up_short(self, reply: Reply[T], missing: int) -> None:
        assert reply.total is not None
        promised = expected_count(reply.number, reply.size, reply.total)
        self.stats.shortfall += missing
        self._problem(
            missing,
            f"page {reply.number} held {len(reply.page.records)} records where total "
            f"{reply.total} promised {promised}, after {SHORT_PAGE_READS + 1} reads; the walk "
            f"ends {missing} records short",
            lasting=False,
        )
        self._finish()

    # -- walking by page number (no usable total) ------------------------------------------------

    def _start_numbering(self, reply: Reply[T]) -> Page[T] | None:
        if self._frontier is not None:
            self._problem(
                0,
                f"page {reply.number} came with total {reply.total}, which does not match its "
                "records; the rest of the walk goes by page number and cannot be checked",
            )
        self._by_number = True
        return self._take_numbered(reply)

    async def _numbered_step(self) -> Page[T] | None:
        if self._suspect is not None:
            await self._confirm_ignored()
        number = self._next_page
        self._window.plan(number + 1, UNBOUNDED)
        return self._take_numbered(await self._read(number))

    def _take_numbered(self, reply: Reply[T]) -> Page[T] | None:
        self._next_page = reply.number + 1
        self._numbered_pages += 1
        duplicates = self.stats.duplicates
        page = self._take(reply, 0)
        if self.stats.duplicates > duplicates:
            self._problem(
                0,
                "records came again on a later page: the listing moved during the walk and "
                "gives no total to tell how far",
                once=True,
            )
        if len(reply.page.records) < self._size:
            if self._numbered_pages > 1 and not self.stats.problems:
                self._problem(
                    0,
                    "the listing gives no total, so a walk over several pages cannot tell "
                    "whether records moved between them",
                )
            self._finish()
        return page

    # -- after the main walk -----------------------------------------------------------------------

    def _after_main(self) -> None:
        """The main walk reached the oldest record. A resumed walk then reads the front of the
        list for sign-ups; a walk that placed replies out of order, or saw records again, looks
        for its first records to learn how many older records were deleted meanwhile."""
        self._window.cancel()
        self._close_seams()
        catch_up = self._resumed and self._spec.start_page == 1
        check = self._key is not None and (self._unordered or self._repeats > 0)
        if self._remaining is not None or not (catch_up or check):
            self._finish()
        elif catch_up:
            self._phase = _Phase.FRONT
            self._front = _Front()
        else:
            self._phase = _Phase.HEAD

    async def _find_head(self) -> Page[T] | None:
        """Find the walk's first records in the list as it is now, to count the older records
        deleted since the walk began: they were ranked ``head_rank`` and below when read, and
        each such deletion has lowered their rank by one (see ``_checks``)."""
        assert self._key is not None and self._total is not None
        head, rank = self._head, self._head_rank
        total, spread = self._total, 0
        for attempt in range(HEAD_READS):
            margin = SEAM_MARGIN << attempt
            start = max(total - 1 - rank - margin, 0)
            read = page_covering(start, total - rank + spread + len(head) + margin)
            if read is None or not head:
                break
            reply = await self._read_now(*read)
            if reply.total is None:
                break
            keys = self._key.keys(reply.page.records)
            first = (read[0] - 1) * read[1]
            self._deleted = deletions_at_head(keys, head, rank, first, reply.total)
            if self._deleted is not None:
                break
            # Not there: older deletions moved the head further than thought, or the list
            # changed since `total`. Look again, wider, from this reply.
            total, spread = reply.total, max(spread * 4, 4 * SEAM_MARGIN)
        self._after_front()
        return None

    async def _front_step(self) -> Page[T] | None:
        front = self._front
        assert front is not None
        if self._realign_read is not None:  # the list moved under the walk: read across it
            reply = await self._read_now(*self._realign_read)
            self._realign_read = None
        else:
            number = 1
            if front.frontier is not None:
                assert self._total is not None
                number = page_holding(front.frontier - 1, self._size, self._total)
            reply = await self._read_now(number, self._size, extra=False)
        number, size = reply.number, reply.size
        total, records = reply.total, reply.page.records
        if total is None or total < 0 or len(records) > expected_count(number, size, total):
            self._problem(0, "the front of the list could not be read to check the walk")
            self._finish()
            return None
        self._saw_total(total)
        span = span_of(number, size, total, len(records))
        skip = 0
        if front.frontier is not None:
            fit, skip = place(span, front.frontier, from_front=number == 1)
            if fit is not Fit.FITS:
                self._realign(reply, fit, span, front.frontier, may_skip=False)
                return None
        self._realigns = 0
        self._total = total
        fresh, deleted = self._front_records(front, records, skip, span)
        front.frontier = span.low
        if deleted is not None or span.low <= 0 or len(records) < size:
            if deleted is not None and self._head:
                self._deleted = deleted
            self._after_front()
        if not fresh:
            return None
        self.stats.caught_up += len(fresh)
        self.stats.records += len(fresh)
        return _page_of(reply, fresh)

    def _front_records(
        self, front: _Front, records: list[T], skip: int, span: Span
    ) -> tuple[list[T], int | None]:
        """The records above the walk's first ones (sign-ups since it began) not yielded yet;
        and, once the scan reaches the walk's first records, how many older records were
        deleted since the walk began (0 when that cannot be told), else None."""
        fresh: list[T] = []
        keys = self._key.keys(records) if self._key is not None else [None] * len(records)
        head = self._head
        first_total = self._first_total or 0
        for index in range(skip, len(records)):
            key = keys[index]
            if key is None:
                if span.high - 1 - index < first_total:  # no key: only rank tells what is new
                    return fresh, 0
            elif key in head:
                # It was ranked `head_rank - index` when the walk began; each older record
                # deleted since has lowered its rank by one.
                return fresh, self._head_rank - head.index(key) - (span.high - 1 - index)
            elif not head and key in self._seen:  # no first records known: the first seen
                return fresh, 0
            elif key in front.keys:
                continue  # moved into this page again
            else:
                front.keys.add(key)
                if key in self._seen:
                    continue  # read during the walk already
            fresh.append(records[index])
        if fresh and self._key is not None:
            self._seen.update(k for k in self._key.keys(fresh) if k is not None)
        return fresh, None

    def _after_front(self) -> None:
        deleted = self._deleted
        if deleted is not None and deleted <= 0 and self._repeats:
            self._problem(
                self._repeats,
                f"{self._repeats} records came again where new ones were due, but the front "
                "of the list shows no deletion to explain it: the server repeated records, so "
                "as many others may be missing",
            )
        if self._seams and (deleted is None or deleted > 0):
            if self._spec.reread_on_drift:
                self._phase = _Phase.SEAMS
                return
            self._problem(
                0,
                "older records were deleted while pages answered out of order were placed, "
                "and re-reading is off, so the walk did not check them",
            )
        self._finish()

    # -- seams -------------------------------------------------------------------------------------

    async def _check_seams(self) -> Page[T] | None:
        """Read a few records around each seam; yield any record found between its sides.
        The walk's state changes only once every read is done, so a walk stopped meanwhile
        still holds its seams."""
        assert self._key is not None
        seams = self._seams
        deleted = max(self._deleted, 0) if self._deleted is not None else None
        found: list[tuple[list[T], list[Hashable | None]] | None] = [None] * len(seams)
        errors: list[Exception] = []
        limiter = anyio.CapacityLimiter(max(self._spec.concurrency, 1))

        async def check(index: int) -> None:
            async with limiter:
                try:
                    found[index] = await self._seam_records(seams[index], deleted)
                except Exception as exc:  # raised below, unwrapped, once the others stopped
                    errors.append(exc)

        async with anyio.create_task_group() as group:
            for index in range(len(seams)):
                group.start_soon(check, index)
        if errors:
            raise errors[0]
        lost = sum(1 for missed in found if missed is None)
        if lost:
            self._problem(
                0,
                f"{lost} of {len(seams)} places where replies were read out of order while "
                "older records were deleted could not be checked again; records there may "
                "have been missed",
            )
        recovered: list[T] = []
        keys: list[Hashable | None] = []
        for records, record_keys in filter(None, found):
            for record, key in zip(records, record_keys, strict=True):
                if key not in keys:  # two seams' reads may show the same missed record
                    recovered.append(record)
                    keys.append(key)
        self._seams = []
        self._seen.update(keys)
        self.stats.recovered += len(recovered)
        self.stats.records += len(recovered)
        self._finish()
        if not recovered:
            return None
        assert self._total is not None
        return Page(current=0, size=len(recovered), total=self._total, records=recovered)

    async def _seam_records(
        self, seam: Seam, deleted: int | None
    ) -> tuple[list[T], list[Hashable | None]] | None:
        """The records missed at one seam, with their keys (often none), or None when it
        cannot be found. A few records around its place are read (see
        ``_checks.missed_at_seam``); nothing of the walk changes here."""
        assert self._key is not None and self._total is not None
        # The records older than the seam numbered `rank` when it was placed; deletions since
        # have lowered that by as many as were counted, or more while the list keeps changing:
        # each new look widens the range.
        total = self._total
        spread = deleted if deleted is not None else self._size
        for attempt in range(SEAM_READS):
            margin = (SEAM_MARGIN + len(seam.before)) << (2 * attempt)
            start = max(total - seam.rank - margin, 0)
            read = page_covering(start, total - seam.rank + spread + margin + self._size)
            if read is None:
                return None
            reply = await self._read_now(*read)
            if reply.total is None:
                return None
            records = reply.page.records
            keys = self._key.keys(records)
            first = (read[0] - 1) * read[1]
            missed = missed_at_seam(keys, self._seen, seam, first, reply.total, spread)
            if missed is not None:
                return [records[i] for i in missed], [keys[i] for i in missed]
            total, spread = reply.total, spread + margin
        return None

    # -- shared steps --------------------------------------------------------------------------

    def _usable(self, reply: Reply[T]) -> bool:
        """Whether a reply may be placed against the frontier. One answered before the reply
        that set the frontier was even requested is stale when older records may have been
        deleted since (its ranks would be too high); once deletions are seen, only replies
        requested after that reply arrived are placed."""
        if reply.started > self._frontier_at:
            return True
        if self._ordered_only:
            return False
        return not (self._deletions_possible() and reply.finished < self._frontier_started)

    def _deletions_possible(self) -> bool:
        return self._key is not None and self._spec.reread_on_drift and self.stats.drifted

    async def _read(self, number: int) -> Reply[T]:
        """The reply for page ``number``, read again (with backoff) while it holds fewer
        records than its ``total`` promises."""
        reply = await self._window.take(number)
        self.stats.pages += 1
        return await self._reread_short(reply)

    async def _read_now(self, number: int, size: int, *, extra: bool = True) -> Reply[T]:
        """Page ``number`` of ``size`` records, requested now; ``extra``: a read beyond one
        per page (realigning, checking), counted in ``stats.rereads``."""
        reply = await self._window.fetch(number, size)
        self.stats.pages += 1
        self.stats.rereads += extra
        return await self._reread_short(reply)

    async def _reread_short(self, reply: Reply[T]) -> Reply[T]:
        number, size = reply.number, reply.size
        waits: Iterator[float] | None = None
        for attempt in range(1, SHORT_PAGE_READS + 1):
            if not self._short(reply):
                break
            waits = waits or self._spec.retry.waits()
            wait = next(waits)
            log.debug(
                "%s: page %d holds %d records where total %s promises more; reading it again "
                "in %.3f s (trace %s)",
                self._spec.biz_type,
                number,
                len(reply.page.records),
                reply.total,
                wait,
                reply.trace,
                extra={"biz_type": self._spec.biz_type, "attempt": attempt, "wait": wait},
            )
            await anyio.sleep(wait)
            reply = await self._window.fetch(number, size)
            self.stats.pages += 1
            self.stats.rereads += 1
        return reply

    def _short(self, reply: Reply[T]) -> bool:
        total = reply.total
        if total is None or total < 0 or self._by_number:
            return False
        return len(reply.page.records) < expected_count(reply.number, reply.size, total)

    def _take(self, reply: Reply[T], skip: int, *, by_rank: bool = True) -> Page[T] | None:
        """The records of ``reply`` to yield, within ``max_items``: not seen before (by key),
        and not among the first ``skip``, which rank at or above the frontier (read before).
        Without ``by_rank`` (a reply whose moment is not known to follow the frontier's, so
        its ranks may be stale) those first ``skip`` are dropped only if their key was seen."""
        records = reply.page.records
        all_keys: list[Hashable | None] = (
            self._key.keys(records) if self._key is not None else [None] * len(records)
        )
        if by_rank or not skip:
            candidates, keys, above = records[skip:] if skip else records, all_keys[skip:], 0
        else:  # keyed records ranked above the frontier go to the keys; keyless ones by rank
            kept = [i for i in range(skip) if all_keys[i] is not None]
            candidates = [records[i] for i in kept] + records[skip:]
            keys = [all_keys[i] for i in kept] + all_keys[skip:]
            above = len(kept)
        self.stats.shifted += len(records) - len(candidates)
        fresh = candidates
        keyed = any(key is not None for key in keys)
        identity: object = tuple(keys) if keyed else candidates
        if keyed:
            self._keyless = self._keyless or None in keys
            flags = self._seen.admit(keys)
            if flags is not None:
                repeats = flags[above:].count(False)
                self.stats.shifted += flags[:above].count(False)
                self.stats.duplicates += repeats
                self._repeats += repeats
                fresh = [record for record, new in zip(candidates, flags, strict=True) if new]
                keys = [key for key, new in zip(keys, flags, strict=True) if new]
        else:
            self._keyless = self._keyless or bool(candidates)
            keys = []
        # A server that ignores `current` answers every page with the first page's records.
        if self._first_page is None:
            self._first_page = identity
        elif candidates and reply.number > self._highest:
            repeated = identity == self._first_page and (not fresh or not keyed)
            self._check_repeats(reply, repeated)
        self._highest = max(self._highest, reply.number)
        if self._remaining is not None:
            if len(fresh) >= self._remaining:
                fresh, keys = fresh[: self._remaining], keys[: self._remaining]
                self._finish()
            self._remaining -= len(fresh)
        if keys:
            self._note_yielded(keys)
            if len(self._head) < SEAM_KEYS and self._frontier is None:
                self._head += tuple(k for k in keys[:SEAM_KEYS] if k is not None)
        self.stats.records += len(fresh)
        return _page_of(reply, fresh) if fresh else None

    def _note_yielded(self, keys: list[Hashable | None]) -> None:
        """Keep the last keys yielded; give open seams the first keys yielded after them."""
        named = [key for key in keys[:SEAM_KEYS] if key is not None]
        if self._open_seams and named:
            still_open = []
            for before, after, rank in self._open_seams:
                after.extend(named[: SEAM_KEYS - len(after)])
                if len(after) < SEAM_KEYS:
                    still_open.append((before, after, rank))
                else:
                    self._seams.append(Seam(before, tuple(after), rank))
            self._open_seams = still_open
        self._tail.extend(key for key in keys[-SEAM_KEYS:] if key is not None)

    def _close_seams(self) -> None:
        self._seams.extend(
            Seam(before, tuple(after), rank) for before, after, rank in self._open_seams
        )
        self._open_seams = []

    def _check_repeats(self, reply: Reply[T], repeated: bool) -> None:
        self._strikes = self._strikes + 1 if repeated else 0
        if self._strikes >= REPEAT_STRIKES:
            self._suspect = reply

    async def _confirm_ignored(self) -> None:
        """Pages in a row came back as the first page. Sign-ups arriving exactly as fast as
        the walk reads can do that to small pages; a server that ignores ``current`` answers
        the last page with the first page's records too."""
        reply, self._suspect = self._suspect, None
        assert reply is not None
        self._strikes = 0
        total = reply.total
        if total is not None and 0 <= total <= 2 * reply.size:
            return  # too few records to tell
        # The last page, or without a usable total one far beyond this one.
        last = math.ceil(total / reply.size) if total is not None and total > 0 else 0
        last = last or 4 * reply.number
        check = await self._read_now(last, reply.size)
        keys = self._key.keys(check.page.records) if self._key is not None else []
        identity: object = tuple(keys) if any(k is not None for k in keys) else check.page.records
        if identity == self._first_page:
            raise InconsistentListingError(
                f"pages {reply.number - REPEAT_STRIKES + 1} to {reply.number}, and the last page "
                f"{last}, came back with the first page's records: the server appears to ignore "
                "`current`",
                biz_type=self._spec.biz_type,
                trace=check.trace,
                page=reply.number,
            )

    def _saw_total(self, total: int) -> None:
        self.stats.saw_total(total)

    def _problem(
        self, records: int, text: str, *, once: bool = False, lasting: bool = True
    ) -> None:
        """Record what the walk cannot vouch for. ``lasting`` problems stay with the walk when
        it is resumed; a shortfall does not (resuming reads the missing part again)."""
        if once and text in self.stats.problems:
            return
        self.stats.problems.append(text)
        if lasting:
            self.stats.unproven += records
            self._lasting.append(text)
        log.warning("%s: %s", self._spec.biz_type, text, extra={"biz_type": self._spec.biz_type})

    def _finish(self) -> None:
        if self._phase is _Phase.DONE:
            return
        self._phase = _Phase.DONE
        self._window.cancel()
        stats = self.stats
        if stats.drifted or stats.duplicates or stats.rereads:
            log.info(
                "%s: walk finished; total %s at the start, %s at the end; %d records yielded, "
                "%d skipped as already read (the list moved), %d repeats skipped, "
                "%d extra reads, %d recovered at seams",
                self._spec.biz_type,
                stats.first_total,
                stats.last_total,
                stats.records,
                stats.shifted,
                stats.duplicates,
                stats.rereads,
                stats.recovered,
            )

    # -- shutdown --------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop prefetching now (synchronous; safe from ``__del__``)."""
        self._phase = _Phase.DONE
        self._window.cancel()

    async def aclose(self) -> None:
        """Stop prefetching and wait until every request in flight has been cancelled."""
        self.cancel()
        await self._window.aclose()


def _page_of(reply: Reply[T], records: list[T]) -> Page[T]:
    page = reply.page
    if records is page.records and page.current == reply.number:
        return page
    return msgspec.structs.replace(page, current=reply.number, records=records)


def _saved(key: Hashable) -> Any:
    return [_saved(part) for part in key] if isinstance(key, tuple) else key
