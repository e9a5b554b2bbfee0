"""What a walk needs (``WalkSpec``), what it reports (``WalkStats``) and what it needs to
continue later (``WalkCursor``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec

from .._retry import Retry
from .._tasks import TaskHost
from ._seen import RecordKey, SeenKeys, decode_other_keys, encode_other_keys
from ._window import Fetch

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WalkSpec(Generic[T]):
    """Everything a walk needs from its paginator."""

    fetch: Fetch[T]
    biz_type: str
    listing: str
    page_size: int
    start_page: int
    max_items: int | None
    concurrency: int
    key: RecordKey | None
    reread_on_drift: bool
    retry: Retry
    host: Callable[[], TaskHost | None]


@dataclass
class WalkStats:
    """What one walk saw.

    ``exact`` is True when the walk can vouch that it yielded every record present from its
    start to its end; otherwise ``problems`` says why not (and a warning was logged).

    - ``pages``: replies read; ``records``: records yielded.
    - ``shifted``: records not yielded because the list moved them into what was already read;
      ``duplicates``: records not yielded because their key had been yielded before.
    - ``rereads``: requests beyond one per page (re-reading a page that came up short, reading
      the page the list moved a record to, checking the front of the list).
    - ``shortfall``: records ``total`` promised that never came, even after re-reading;
      ``unproven``: records the walk may have missed and cannot tell.
    - ``caught_up``: in a resumed walk, records that signed up since the walk first began (in
      its first run or during the interruption) and were not yielded yet, read from the front
      of the list at its end; ``recovered``: records found missing when the walk checked, at
      its end, pages it had to place without knowing their order. Both come last.
    """

    pages: int = 0
    records: int = 0
    shifted: int = 0
    duplicates: int = 0
    rereads: int = 0
    shortfall: int = 0
    unproven: int = 0
    caught_up: int = 0
    recovered: int = 0
    first_total: int | None = None
    last_total: int | None = None
    min_total: int | None = None
    max_total: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        """Whether ``total`` changed during the walk."""
        return self.min_total != self.max_total

    @property
    def exact(self) -> bool:
        """Whether the walk yielded every record present throughout it, each once."""
        return not self.problems

    def saw_total(self, total: int) -> None:
        if self.first_total is None:
            self.first_total = total
        self.last_total = total
        self.min_total = total if self.min_total is None else min(self.min_total, total)
        self.max_total = total if self.max_total is None else max(self.max_total, total)


class WalkPosition(msgspec.Struct, frozen=True, kw_only=True):
    """The scalar part of a walk's state (see :class:`WalkCursor`)."""

    listing: str
    page_size: int
    start_page: int
    records: int = 0
    frontier: int | None = None  # records older than everything yielded (None: not started)
    total: int | None = None  # the listing's total when the frontier was last placed
    first_total: int | None = None  # total of the walk's first page
    next_page: int = 1  # next page by number, before the first reply or without a total
    by_number: bool = False  # the listing gives no usable total: walked by page number
    repeats: int = 0  # records that came again where new ones were due
    head: list[Any] = []  # keys of the walk's first records
    head_rank: int = 0  # how many records were older than the first of them
    unordered: bool = False  # replies were placed without knowing they were answered later
    seams: tuple[tuple[list[Any], list[Any], int], ...] = ()  # keys around such placements
    open_seams: tuple[tuple[list[Any], list[Any], int], ...] = ()  # still gathering keys after
    tail: list[Any] = []  # keys of the last records yielded
    catching_up: bool = False  # reading the front for sign-ups (a resumed walk's last phase)
    front_frontier: int | None = None
    unproven: int = 0
    problems: tuple[str, ...] = ()


class _CursorWire(msgspec.Struct, frozen=True):
    position: WalkPosition
    int_keys: bytes
    other_keys: bytes


@dataclass(frozen=True)
class WalkCursor:
    """Where a walk stands after the last page it handed out, to continue it later with
    :meth:`Paginator.resume`: the listing and its paging, the frontier in the list, the totals
    seen, and the keys of every record yielded. ``to_bytes``/``from_bytes`` store it."""

    position: WalkPosition
    keys: SeenKeys

    @property
    def records(self) -> int:
        """Records yielded before this point."""
        return self.position.records

    def to_bytes(self) -> bytes:
        wire = _CursorWire(
            self.position,
            self.keys.int_keys().tobytes(),
            encode_other_keys(self.keys.other_keys()),
        )
        return msgspec.json.encode(wire)

    @classmethod
    def from_bytes(cls, data: bytes) -> WalkCursor:
        wire = msgspec.json.decode(data, type=_CursorWire)
        keys = SeenKeys()
        keys.load_int64(wire.int_keys)
        keys.update(decode_other_keys(wire.other_keys))
        return cls(wire.position, keys)
