"""The generic walk over every ``current/size/total`` operation.

``_frame`` places a reply in the list by rank (the list changes while it is read);
``_window`` keeps page requests in flight ahead of the reader; ``_seen`` remembers the keys of
records yielded, compactly; ``_walk`` ties them into one walk; ``_state`` holds what a walk
reports and what it needs to continue; ``_paginator`` is the public face.
"""

from ._paginator import PageIterator, Paginator, RecordIterator
from ._seen import RecordKey
from ._state import WalkCursor, WalkPosition, WalkSpec, WalkStats
from ._window import Fetch, Reply

__all__ = [
    "Fetch",
    "PageIterator",
    "Paginator",
    "RecordIterator",
    "RecordKey",
    "Reply",
    "WalkCursor",
    "WalkPosition",
    "WalkSpec",
    "WalkStats",
]
