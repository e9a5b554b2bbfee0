"""A bounded window of the event keys already delivered: replays after a reconnect (the push
server re-sends from the group's position) are dropped; keys beyond the window are
forgotten oldest-first."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable


class DedupWindow:
    """Remembers the latest ``size`` keys (0: none, nothing is ever a repeat).

    ``seen(key)`` answers whether ``key`` was delivered already, and remembers it. A key seen
    again moves to the fresh end, so a burst of replays keeps its keys from ageing out.
    """

    __slots__ = ("_keys", "_size")

    def __init__(self, size: int) -> None:
        self._size = size
        self._keys: OrderedDict[Hashable, None] = OrderedDict()

    def seen(self, key: Hashable) -> bool:
        keys = self._keys
        if key in keys:
            keys.move_to_end(key)
            return True
        if self._size:
            keys[key] = None
            if len(keys) > self._size:
                keys.popitem(last=False)
        return False
