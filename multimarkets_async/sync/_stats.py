"""What a customer sync has done so far (``CustomerSync.stats``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SyncStats:
    """Counters of one :class:`CustomerSync` since it was entered.

    ``phase``: ``"starting"``, ``"walking"`` (the copy, or the re-read of a restart),
    ``"following"`` (applying events) or ``"stopped"``. ``walk`` numbers the walks the table
    has seen (1: the first copy); ``walk_records`` and ``walk_total`` tell how far the
    current one is (records listed so far, including before a resume, of about how many).
    ``rows_upserted``: rows written from the listing (walks and reads of single customers);
    ``events_applied`` / ``events_skipped``: events that changed the table / that were older
    than the row, about a customer already held, or about one no longer listed;
    ``fetches``: customers read again because an event could not be applied in place;
    ``swept``: rows marked deleted because a complete walk no longer listed them;
    ``lag``: seconds from the latest applied event's ``updateTime`` to its commit;
    ``last_event_time``: that ``updateTime`` (epoch ms).
    """

    phase: str = "starting"
    walk: int = 0
    resumed: bool = False
    walk_records: int = 0
    walk_total: int | None = None
    rows_upserted: int = 0
    events_received: int = 0
    events_applied: int = 0
    events_skipped: int = 0
    fetches: int = 0
    swept: int = 0
    lag: float | None = None
    last_event_time: int | None = None

    def __str__(self) -> str:
        lag = "" if self.lag is None else f", lag {self.lag:.2f} s"
        return (
            f"walk {self.walk}: {self.walk_records:,} customers listed, "
            f"{self.rows_upserted:,} rows written, {self.swept:,} marked deleted; "
            f"events: {self.events_received:,} received, {self.events_applied:,} applied, "
            f"{self.events_skipped:,} skipped, {self.fetches:,} customers read again{lag}"
        )
