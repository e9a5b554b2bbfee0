"""A clock for unit tests that moves only when told."""

from __future__ import annotations


class ManualClock:
    """Returns ``now``; tests advance it by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
