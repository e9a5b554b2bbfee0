"""What a walk learns at its end from a few extra reads, as pure functions of one reply.

Pages answered in an order the walk could not know are sound as long as no record older than
them was deleted meanwhile. To learn whether any was, the walk finds its own first records
again: each older record deleted since has lowered their rank by one (``deletions_at_head``).
If some were deleted, it reads around each such page's edges (its *seam*): any record not
yielded that lies between two yielded ones was missed, because sign-ups arrive at the front,
never in between (``missed_at_seam``).
"""

from __future__ import annotations

from collections.abc import Container, Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Seam:
    """Where a reply was placed without knowing it was answered after the one before it:
    the keys yielded just before and just after it, and how many records were older than the
    place (its rank) at the time."""

    before: tuple[Hashable, ...]
    after: tuple[Hashable, ...]
    rank: int


def deletions_at_head(
    keys: Sequence[Hashable | None],
    head: Sequence[Hashable],
    head_rank: int,
    first_position: int,
    total: int,
) -> int | None:
    """How many records older than the walk's first ones were deleted since it began, from
    a reply (``keys``, starting at ``first_position`` of ``total``) that holds one of them;
    None if it holds none. ``head_rank``: how many records were older than the first of them
    when the walk began."""
    for index, key in enumerate(keys):
        if key is not None and key in head:
            rank_then = head_rank - list(head).index(key)
            rank_now = total - 1 - (first_position + index)
            return rank_then - rank_now
    return None


def missed_at_seam(
    keys: Sequence[Hashable | None],
    seen: Container[Hashable],
    seam: Seam,
    first_position: int,
    total: int,
    spread: int,
) -> list[int] | None:
    """Indices of the records of a reply (``keys``, starting at ``first_position`` of
    ``total``) that the walk missed at ``seam``; None when the reply does not show both sides
    of it. A side shows as a record yielded just before (after) the seam, or, when those were
    deleted since, a yielded record ranked where only records above the seam can be (at or
    above its rank) or below it (below its rank less ``spread``),
    or the start (end) of the list. ``spread`` is as far as the walk can tell how much the
    seam's rank fell (the older records it counted deleted); the caller widens it when a read
    does not show both sides."""
    ranks = [total - 1 - (first_position + i) for i in range(len(keys))]
    yielded = [key is not None and key in seen for key in keys]
    above = [
        i
        for i, key in enumerate(keys)
        if key in seam.before or (yielded[i] and ranks[i] >= seam.rank)
    ]
    top = above[-1] if above else (-1 if first_position == 0 else None)
    if top is None:
        return None
    end = len(keys) if first_position + len(keys) >= total else None
    bottom = next(
        (
            i
            for i in range(top + 1, len(keys))
            if keys[i] in seam.after or (yielded[i] and ranks[i] < seam.rank - spread)
        ),
        end,
    )
    if bottom is None:
        return None
    return [i for i in range(top + 1, bottom) if keys[i] is not None and not yielded[i]]
