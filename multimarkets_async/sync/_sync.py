"""``CustomerSync``: a database table that follows the API's customers.

A run takes the table (a lock in the database), makes sure the event group exists on the
push server (a new group starts at "now": it is joined once before the first copy, so every
change from then on is queued for it), walks the customer listing exactly into the table,
and then applies the group's events. Each page of the walk is written in one transaction with
the walk's checkpoint; each batch of events in one transaction.

Why every start walks: the push protocol has no acknowledgements, so the server counts a
frame as delivered once it has written it. Frames in flight when a process stops (kill -9, a
crash, a lost machine, even a clean close) are gone for that group. The walk at the next
start reads every listed customer's current state and writes only what is newer than the
row, so whatever those frames said of them is in the table before the group's queued events
are applied; a customer no longer listed is marked deleted (its other columns keep their
last known values). A walk that was interrupted continues from its checkpoint.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import msgspec
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .. import _validation as check
from .. import events as ev
from .._progress import Progress
from ..errors import MultiMarketsError, SyncError, ValidationError
from ..pagination import PageIterator, WalkCursor, WalkPosition
from ..pagination._seen import SeenKeys
from ._changes import EVENT_TYPES, applied, customer_of, decide, event_time
from ._schema import row_of
from ._stats import SyncStats
from ._store import HEARTBEAT_EVERY, LockOwner, RowUpdate, WriteBatch, open_store

if TYPE_CHECKING:
    from ..client import ManagerClient
    from ..models import Customer

logger = logging.getLogger("multimarkets_async")

MAX_GROUP = 128
FETCH_CONCURRENCY = 4  # customers read again at once
HEAD_READ_MIN = 3  # customers to read again from which the front of the listing is read first
HEAD_READ_FACTOR = 4  # records read from the front per customer to read again

# Keys of the state table.
JOINED = "joined_group"
WALK = "walk"
POSITION = "walk_position"
WALKED_AT = "walk_finished_at"


class CustomerSync:
    """Keep a database table equal to the API's customers::

        async with mm.CustomerSync(client, "sqlite:///customers.db", group="crm-sync") as sync:
            await sync.run()        # copy, then follow the events until cancelled
            # or: await sync.backfill()   # one exact copy (and the events so far), then return

    ``database``: ``sqlite:///path.db`` or ``postgresql://user:password@host/db`` (the
    ``postgres`` extra). ``group``: the Data Push group this table follows (one stable name
    per table). ``table``: the table's name (default ``customers``; its state lives in
    ``<table>_sync``). ``page_size`` and ``concurrency`` are the walk's; ``settle``: seconds
    without events after which :meth:`backfill` returns; ``progress``: the walk's progress
    (``start``/``advance``/``close``).

    One process per table: a second one gets :class:`SyncLockedError`. Errors are typed:
    :class:`SyncError` (and its subclasses) or the client's own; what was committed stays,
    and running again continues.
    """

    def __init__(
        self,
        client: ManagerClient,
        database: str,
        *,
        group: str,
        table: str = "customers",
        page_size: int = 2000,
        concurrency: int = 4,
        batch_size: int = 2000,
        settle: float = 1.0,
        progress: Progress | None = None,
    ) -> None:
        check.header_text("group", group, max_length=MAX_GROUP)
        check.integer("batch_size", batch_size, minimum=1, maximum=100_000)
        check.seconds("settle", settle)
        if not settle > 0:
            raise ValidationError("settle", f"must be more than 0 seconds, got {settle!r}")
        client.customers.list(page_size=page_size, concurrency=concurrency)  # checks both
        self._client = client
        self._store = open_store(database, table)
        self._group = group
        self._table = table
        self._page_size = page_size
        self._concurrency = concurrency
        self._batch_size = batch_size
        self._settle = float(settle)
        self._progress = progress
        self._stats = SyncStats()
        self._owner = LockOwner.me(group)
        self._tasks: anyio.abc.TaskGroup | None = None
        self._entered = False
        self._copied = False
        self._received: MemoryObjectReceiveStream[ev.Event] | None = None
        self._stream_error: MultiMarketsError | None = None
        self._arrived: anyio.Event | None = None  # set by the reader after each event
        self._reader: anyio.CancelScope | None = None  # the reader's (see _stop_reader)

    def __repr__(self) -> str:
        return (
            f"<CustomerSync {self._store.display} table={self._table!r} group={self._group!r} "
            f"{self._stats.phase}>"
        )

    @property
    def stats(self) -> SyncStats:
        """What the sync has done so far (a :class:`SyncStats`)."""
        return self._stats

    @property
    def group(self) -> str:
        """The Data Push group the table follows."""
        return self._group

    @property
    def database(self) -> str:
        """The database (without its password)."""
        return self._store.display

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> CustomerSync:
        if self._entered:
            raise RuntimeError("a CustomerSync can be entered once; create another")
        self._entered = True
        await self._store.open()
        try:
            await self._store.lock(self._owner)
            tasks = anyio.create_task_group()
            await tasks.__aenter__()
            self._tasks = tasks
            tasks.start_soon(self._heartbeat)
        except BaseException:
            await self._store.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tasks, self._tasks = self._tasks, None
        try:
            if tasks is not None:
                tasks.cancel_scope.cancel()
                await tasks.__aexit__(None, None, None)
        finally:
            self._stats.phase = "stopped"
            if self._received is not None:
                self._received.close()
            await self._store.close()

    async def _heartbeat(self) -> None:
        while True:
            await anyio.sleep(HEARTBEAT_EVERY)
            await self._store.heartbeat(self._owner)

    def _check_entered(self) -> None:
        if self._tasks is None:
            raise RuntimeError("use the sync in `async with mm.CustomerSync(...) as sync:` first")

    # -- the two ways to run ----------------------------------------------------------------

    async def backfill(self) -> SyncStats:
        """Copy every customer into the table (continuing an interrupted copy), apply the
        events queued for the group during the copy, and return the stats.

        The events are applied until one tells of a change made after the copy ended, or
        none has come for ``settle`` seconds. Later events stay queued for the group."""
        self._check_entered()
        await self._copy_once()
        await self._follow(until=int(time.time() * 1000))
        return self._stats

    async def run(self) -> None:
        """Copy (as :meth:`backfill` does, unless it already ran on this object), then apply
        the group's events until cancelled."""
        self._check_entered()
        await self._copy_once()
        await self._follow(until=None)

    async def _copy_once(self) -> None:
        """Join the group and walk the listing, once per entered sync."""
        if not self._copied:
            await self._join()
            await self._walk()
            self._copied = True

    # -- joining the group ------------------------------------------------------------------

    async def _join(self) -> None:
        """Connect the group once, so that the push server queues its events from now on."""
        state = await self._store.state()
        if state.get(JOINED) == self._group:
            return
        async with self._client.events(group=self._group, types=EVENT_TYPES):
            pass  # whatever arrived meanwhile happened before the walk, which reads it anew
        await self._store.write(WriteBatch(state={JOINED: self._group}))

    # -- the walk ---------------------------------------------------------------------------

    async def _walk(self) -> None:
        stats, store = self._stats, self._store
        state = await store.state()
        number = int(state.get(WALK) or 0)
        saved = state.get(POSITION) or ""
        stats.phase = "walking"
        if saved:
            position = msgspec.json.decode(saved, type=WalkPosition)
            keys = SeenKeys()
            keys.load_int64(await store.walk_keys(number))
            listing = self._client.customers.list(
                page_size=position.page_size, concurrency=self._concurrency
            ).resume(WalkCursor(position, keys))
            stats.resumed = True
            stats.walk_records = len(keys)
        else:
            number += 1
            listing = self._client.customers.list(
                page_size=self._page_size, concurrency=self._concurrency
            )
            stats.walk_records = 0
        stats.walk = number
        logger.info(
            "customer sync %s walk %d of %s (group %r)",
            "continues" if saved else "starts",
            number,
            self._table,
            self._group,
        )
        async with listing.pages() as pages:
            await self._copy(pages, number)
            walk = pages.stats
            position_now = pages.position()
        if not walk.exact:
            if position_now.problems:  # cannot tell where: the next run walks anew
                await store.write(WriteBatch(state={POSITION: ""}))
            raise SyncError(
                f"the walk of the customer listing could not vouch for every customer "
                f"({'; '.join(walk.problems)}); the table keeps what was written, and running "
                "the sync again continues"
            )
        done = WriteBatch(
            sweep_before=number,
            state={WALK: str(number), POSITION: "", WALKED_AT: str(int(time.time() * 1000))},
        )
        stats.swept += (await store.write(done)).swept

    async def _copy(self, pages: PageIterator[Customer], number: int) -> None:
        stats, progress = self._stats, self._progress
        started = False
        try:
            async for page in pages:
                if not started:
                    started = True
                    stats.walk_total = page.total
                    if progress is not None:
                        progress.start(page.total, stats.walk_records)
                rows = [row_of(customer) for customer in page.records]
                batch = WriteBatch(
                    rows=rows,
                    walk=number,
                    state={WALK: str(number), POSITION: _encode(pages.position())},
                )
                await self._store.write(batch)
                stats.walk_records += len(rows)
                stats.rows_upserted += len(rows)
                if progress is not None:
                    progress.advance(len(rows))
        finally:
            if progress is not None:
                progress.close()

    # -- following the events ---------------------------------------------------------------

    async def _follow(self, *, until: int | None) -> None:
        """Apply the group's events; with ``until`` (epoch ms), only until an event tells of
        a later change or none has come for ``settle`` seconds."""
        self._stats.phase = "following"
        events = await self._events()
        wait = None if until is None else self._settle
        while True:
            batch = await self._next_batch(events, wait)
            if not batch:
                return
            try:
                await self._apply(batch)
            except BaseException:
                # The batch is taken off the stream and not written: the next run() or
                # backfill() of this sync walks the listing again, as a new start does, with
                # the reader stopped (a walk must not run while events are taken: cut short,
                # it would continue without reading again what those events changed).
                self._copied = False
                self._stop_reader()
                raise
            if until is not None and any((event_time(e) or 0) > until for e in batch):
                return

    async def _events(self) -> MemoryObjectReceiveStream[ev.Event]:
        """The group's events, from a reader that runs until the sync is left (so that no
        event is taken off the stream and dropped between ``backfill()`` and ``run()``)."""
        if self._received is None:
            assert self._tasks is not None
            send, receive = anyio.create_memory_object_stream[ev.Event](self._batch_size)
            self._arrived = anyio.Event()
            self._reader = anyio.CancelScope()
            try:
                await self._tasks.start(self._read_events, send, self._reader)
            except BaseException:  # no connection (or cancelled while connecting)
                receive.close()
                raise
            self._received = receive
        return self._received

    def _stop_reader(self) -> None:
        """Stop taking events (those taken and not applied are left to the next walk)."""
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None
        if self._received is not None:
            self._received.close()
            self._received = None

    async def _read_events(
        self,
        send: MemoryObjectSendStream[ev.Event],
        scope: anyio.CancelScope,
        *,
        task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        try:
            with scope, send:
                async with self._client.events(group=self._group, types=EVENT_TYPES) as stream:
                    task_status.started()
                    try:
                        async for event in stream:
                            await send.send(event)
                            self._signal()
                    except MultiMarketsError as exc:  # handed to the consumer, which raises it
                        self._stream_error = exc
        finally:
            self._signal()  # the end is news too

    def _signal(self) -> None:
        if self._arrived is not None:
            self._arrived.set()

    async def _next_batch(
        self, events: MemoryObjectReceiveStream[ev.Event], wait: float | None
    ) -> list[ev.Event]:
        """Up to ``batch_size`` events already received; when there are none, the first to
        come within ``wait`` seconds (None: however long) and those with it.

        Events are only ever taken without waiting, and the wait is for a signal, not for
        an event: a wait cut short by its deadline or a cancellation takes nothing.
        """
        while True:
            self._arrived = arrived = anyio.Event()  # before looking: later sends signal it
            batch: list[ev.Event] = []
            try:
                while len(batch) < self._batch_size:
                    batch.append(events.receive_nowait())
            except anyio.WouldBlock:
                pass
            except anyio.EndOfStream:
                if not batch:
                    raise self._stream_error or SyncError(
                        f"the event stream of group {self._group!r} ended"
                    ) from None
            if batch:
                return batch
            with anyio.move_on_after(math.inf if wait is None else wait) as waited:
                await arrived.wait()
            if waited.cancelled_caught:
                return batch

    async def _apply(self, batch: Sequence[ev.Event]) -> None:
        stats, store = self._stats, self._store
        stats.events_received += len(batch)
        ids = {cid for cid, _ in map(customer_of, batch) if cid is not None}
        stored = await store.versions(sorted(ids))
        updates: list[RowUpdate] = []
        numbers: dict[str, None] = {}
        skipped = 0
        for event in batch:
            customer_id, _ = customer_of(event)
            decision = decide(event, None if customer_id is None else stored.get(customer_id))
            update = decision.update
            if update is not None:
                updates.append(update)
                stored[update.id] = applied(stored.get(update.id), update)
            elif decision.fetch is not None:
                numbers[decision.fetch] = None
            elif decision.why == "read again":
                skipped += 1
                logger.warning(
                    "customer sync: a %s event names no customer number; it cannot be applied",
                    getattr(event, "event_type", "?"),
                )
            else:
                skipped += 1
        rows = await self._fetch(list(numbers))
        stats.fetches += len(numbers)
        result = await store.write(
            WriteBatch(rows=rows, source="fetch", walk=stats.walk, updates=updates)
        )
        stats.rows_upserted += result.rows
        stats.events_applied += result.updates + result.rows
        stats.events_skipped += skipped + (len(updates) - result.updates)
        stats.events_skipped += len(numbers) - len(rows)
        times = [u.update_time for u in updates]
        if times:
            newest = max(times)
            stats.last_event_time = newest
            stats.lag = max(0.0, time.time() - newest / 1000)

    async def _fetch(self, numbers: list[str]) -> list[tuple[Any, ...]]:
        """The listed records of these customer numbers (those still listed): several at
        once from the front of the listing, where sign-ups are, the rest one by one."""
        rows: list[tuple[Any, ...]] = []
        if not numbers:
            return rows
        if len(numbers) >= HEAD_READ_MIN:
            size = min(2000, HEAD_READ_FACTOR * len(numbers))
            wanted = set(numbers)
            head = self._client.customers.list(page_size=size, max_items=size, concurrency=1)
            async for customer in head:
                if customer.customer_no in wanted:
                    wanted.discard(customer.customer_no)
                    rows.append(row_of(customer))
            numbers = [number for number in numbers if number in wanted]
        limiter = anyio.CapacityLimiter(FETCH_CONCURRENCY)
        failed: list[BaseException] = []

        async def one(number: str) -> None:
            async with limiter:
                try:
                    listing = self._client.customers.list(customer_no=number, concurrency=1)
                    async for customer in listing:
                        if customer.customer_no == number:
                            rows.append(row_of(customer))
                except MultiMarketsError as exc:  # raised as itself, not in a group
                    failed.append(exc)
                    tasks.cancel_scope.cancel()

        async with anyio.create_task_group() as tasks:
            for number in numbers:
                tasks.start_soon(one, number)
        if failed:
            raise failed[0]
        return rows


def _encode(position: WalkPosition) -> str:
    return msgspec.json.encode(position).decode()
