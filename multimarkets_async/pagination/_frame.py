"""Where a page's records sit in a listing that changes while it is read.

The vendor's listings are newest first: sign-ups arrive at the front and push every record
towards later pages. A record's *position* (its offset from the front) therefore changes with
every sign-up, but its *rank* (how many records are older than it) does not. A reply to page
``n`` of ``size`` records, sent with ``total``, holds the records ranked
``[total - n*size, total - (n-1)*size)`` at the moment it was answered.

A walk keeps one number, its *frontier*: how many records were older than everything it has
yielded, when it last looked. Every record ranked at or above the frontier has been yielded;
the walk is done when the frontier reaches 0. Sign-ups never move the frontier; deletions of
older records only lower the true value below the one kept, which makes a later page repeat
records already yielded (they are recognised by their key), never skip one. So a reply is
placed by its ranks alone:

- it *fits* when it holds the record just under the frontier: its records ranked at or above
  the frontier were yielded already (the list moved them here); the rest are new;
- it leaves a *gap* when all its ranks are below the record just under the frontier (it was
  answered before the list grew, e.g. a retried or slow page, or after deletions ahead): the
  page that now holds that record must be read first;
- it is *above* when all its ranks are at or above the frontier (the list grew past it).

Nothing here does I/O; the walk (``_walk``) acts on these answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Fit(Enum):
    FITS = "fits"
    GAP = "gap"
    ABOVE = "above"


@dataclass(frozen=True, slots=True)
class Span:
    """The ranks ``[low, high)`` a reply holds."""

    low: int
    high: int


def span_of(number: int, size: int, total: int, count: int) -> Span:
    """Ranks held by a reply to page ``number`` with ``count`` records under ``total``."""
    high = total - (number - 1) * size
    return Span(high - count, high)


def expected_count(number: int, size: int, total: int) -> int:
    """How many records ``total`` promises on page ``number``."""
    return max(0, min(size, total - (number - 1) * size))


def page_holding(rank: int, size: int, total: int) -> int:
    """The page whose records include the one ranked ``rank`` when the list holds ``total``."""
    position = total - 1 - rank
    return max(1, position // size + 1)


def place(span: Span, frontier: int, *, from_front: bool = False) -> tuple[Fit, int]:
    """How a reply relates to the frontier, and how many of its leading records (ranked at or
    above the frontier) were yielded before. A reply ``from_front`` (page 1) leaves no gap:
    nothing lies above it; deletions have only made the frontier count too many."""
    if span.high < frontier:
        return (Fit.FITS, 0) if from_front else (Fit.GAP, 0)
    if span.low >= frontier:
        return Fit.ABOVE, span.high - span.low
    return Fit.FITS, span.high - frontier


MAX_PAGE = 2000  # the largest page the API serves


def page_covering(start: int, end: int) -> tuple[int, int] | None:
    """A page ``(number, size)`` whose records cover the positions ``[start, end)``, or None
    when no page the API serves does."""
    for size in range(max(end - start, 1), MAX_PAGE + 1):
        number = start // size + 1
        if number * size >= end:
            return number, size
    return None
