"""What tells records apart (``RecordKey``), and the keys of the records a walk has yielded,
kept compactly so that none is yielded twice (``SeenKeys``).

Integer keys (the usual case: customer ids, position ids, 64-bit snowflake ids) cost 8 bytes
each once they leave a small hot set: they are frozen into sorted ``array('q')`` runs, each with
its smallest and largest key. A page is checked against the hot set in one C-level set operation
and against a frozen run only when its keys fall inside that run's range. Ids that grow with
creation (a newest-first listing then yields ever smaller ids) never fall inside an older run, so
checking a page costs about as much as building one small set. Ids with no such order are
still exact, at the price of a binary search per key in each run.

Any other hashable key (text, tuples) is kept exactly in an ordinary set.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeGuard

import msgspec

HOT_LIMIT = 1 << 16  # keys held in the hot set before they are frozen into a sorted run
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


class RecordKey:
    """How records of one type are told apart: one or more attributes. A record with any of
    them null has no identity: it is never taken for a repeat of another record."""

    __slots__ = ("_fields", "keys")

    def __init__(self, *fields: str) -> None:
        if not fields or not all(field.isidentifier() for field in fields):
            raise ValueError(f"a record key needs attribute names, got {fields!r}")
        self._fields = fields
        self.keys: Callable[[Sequence[Any]], list[Hashable | None]] = _key_function(fields)
        """The key of each record, None where the record has none."""

    @property
    def fields(self) -> tuple[str, ...]:
        return self._fields

    def __repr__(self) -> str:
        return f"RecordKey{self._fields!r}"


def _key_function(fields: tuple[str, ...]) -> Callable[[Sequence[Any]], list[Hashable | None]]:
    """A function listing the keys of a page's records: a plain list comprehension, which
    runs on every page of every walk (about three times as fast as ``attrgetter``)."""
    if len(fields) == 1:
        source = f"lambda records: [record.{fields[0]} for record in records]"
    else:
        parts = ", ".join(f"record.{field}" for field in fields)
        source = (
            "lambda records: [None if None in key else key "
            f"for key in (({parts}) for record in records)]"
        )
    # Built from attribute names checked to be identifiers, as `dataclasses` builds methods.
    function: Callable[[Sequence[Any]], list[Hashable | None]] = eval(source)
    return function


class _Run:
    """A frozen, sorted run of distinct int64 keys and its range."""

    __slots__ = ("high", "keys", "low")

    def __init__(self, keys: array[int]) -> None:
        self.keys = keys
        self.low = keys[0]
        self.high = keys[-1]

    def __contains__(self, key: int) -> bool:
        keys = self.keys
        at = bisect_left(keys, key)
        return at < len(keys) and keys[at] == key

    def overlaps(self, low: int, high: int) -> bool:
        return low <= self.high and high >= self.low


def is_int64(key: object) -> TypeGuard[int]:
    return type(key) is int and INT64_MIN <= key <= INT64_MAX


class SeenKeys:
    """Keys of records already yielded; ``admit`` decides which of a page's records are new."""

    __slots__ = ("_hot", "_other", "_runs")

    def __init__(self) -> None:
        self._hot: set[int] = set()
        self._runs: list[_Run] = []
        self._other: set[Hashable] = set()

    def __len__(self) -> int:
        return len(self._hot) + sum(len(run.keys) for run in self._runs) + len(self._other)

    def __contains__(self, key: Hashable) -> bool:
        if is_int64(key):
            return key in self._hot or any(
                run.low <= key <= run.high and key in run for run in self._runs
            )
        return key in self._other

    def admit(self, keys: Sequence[Hashable | None]) -> list[bool] | None:
        """Record the keys of one page, in order. Returns None when every record is new (the
        common case), else one flag per record: True for a record to yield, False for one whose
        key was seen before (earlier, or earlier on this page). A None key (a record without
        identity) is always yielded and never recorded."""
        if not keys:
            return None
        fresh = self._admit_fast(keys)
        if fresh:
            return None
        return self._admit_each(keys)

    def _admit_fast(self, keys: Sequence[Hashable | None]) -> bool:
        """Admit the whole page at C speed if its keys are distinct int64 keys, none seen yet."""
        try:
            ordered: list[Any] = sorted(keys)  # type: ignore[type-var,unused-ignore]
        except TypeError:  # None among the keys, or keys that do not compare
            return False
        low, high = ordered[0], ordered[-1]
        if not (is_int64(low) and is_int64(high)):
            return False
        if any(run.overlaps(low, high) for run in self._runs):
            return False
        page = set(ordered)
        if len(page) != len(ordered) or not self._hot.isdisjoint(page):
            return False
        self._hot |= page
        if len(self._hot) >= HOT_LIMIT:
            self._freeze()
        return True

    def _admit_each(self, keys: Sequence[Hashable | None]) -> list[bool]:
        flags = []
        for key in keys:
            if key is None:
                flags.append(True)
            elif key in self:
                flags.append(False)
            else:
                self._add(key)
                flags.append(True)
        if len(self._hot) >= HOT_LIMIT:
            self._freeze()
        return flags

    def _add(self, key: Hashable) -> None:
        if is_int64(key):
            self._hot.add(key)
        else:
            self._other.add(key)

    def _freeze(self) -> None:
        run = _Run(array("q", sorted(self._hot)))
        self._hot = set()
        # Runs whose ranges overlap (ids in no particular order) are merged while they are of
        # similar size, so that a key is looked up in few runs; disjoint runs stay apart.
        runs = self._runs
        while (
            runs
            and runs[-1].overlaps(run.low, run.high)
            and len(runs[-1].keys) <= 2 * len(run.keys)
        ):
            older = runs.pop()
            run = _Run(array("q", sorted(older.keys.tolist() + run.keys.tolist())))
        runs.append(run)

    # -- persistence (resumable walks and exports) ------------------------------------------

    def int_keys(self) -> array[int]:
        """Every int64 key, in no particular order (for saving)."""
        keys = array("q", self._hot)
        for run in self._runs:
            keys.extend(run.keys)
        return keys

    def other_keys(self) -> list[Hashable]:
        """Every key that is not an int64 (for saving)."""
        return list(self._other)

    def load_int64(self, data: bytes) -> None:
        """Add int64 keys saved by :meth:`int_keys` (distinct keys, in any order)."""
        saved = array("q")
        saved.frombytes(data)
        for start in range(0, len(saved), HOT_LIMIT):
            self._hot.update(saved[start : start + HOT_LIMIT])
            self._freeze()

    def copy(self) -> SeenKeys:
        """An independent copy (frozen runs are immutable and shared)."""
        clone = SeenKeys()
        clone._hot = set(self._hot)
        clone._runs = list(self._runs)
        clone._other = set(self._other)
        return clone

    def update(self, keys: Iterable[Hashable]) -> None:
        """Record keys of records yielded (or restored from a saved walk), whatever their
        kind; unlike :meth:`admit`, says nothing about repeats."""
        for key in keys:
            self._add(restored_key(key))
            if len(self._hot) >= HOT_LIMIT:
                self._freeze()


def restored_key(key: Any) -> Hashable:
    """A key read back from JSON: tuples come back as lists."""
    return tuple(restored_key(k) for k in key) if isinstance(key, list) else key


def encode_other_keys(keys: Iterable[Hashable]) -> bytes:
    """JSON Lines of non-integer keys (tuples become arrays)."""
    return msgspec.json.Encoder().encode_lines(list(keys))


def decode_other_keys(data: bytes) -> list[Hashable]:
    return [restored_key(msgspec.json.decode(line)) for line in data.splitlines() if line.strip()]
