"""What one event asks of the table: nothing, a few columns in place, or the whole record
read again. Pure decisions, no I/O.

``customer_update`` carries the columns of ``EVENT_COLUMNS``: they are applied in place when
the event is newer than the row. Everything else is read again from the listing
(``customers.list(customer_no=…)``): a customer the table does not hold yet (a sign-up), an
event without an ``updateTime`` to order it by, a move to another customer group (the row's
group name would go stale), or an event the SDK could not decode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from .. import events as ev
from ._schema import EVENT_COLUMNS
from ._store import RowUpdate, StoredVersion

EVENT_TYPES = ("register", "customer_update")
"""The event types a customer sync follows."""


@dataclass(frozen=True)
class Decision:
    """``update``: apply in place; ``fetch``: read the record of ``customer_no`` again;
    neither: nothing to do (``why`` says what)."""

    update: RowUpdate | None = None
    fetch: str | None = None
    why: str = ""


def _blank(value: str | None) -> str | None:
    """Events send "" where the listing has null."""
    return value or None


def _wire_id(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def customer_of(event: ev.Event) -> tuple[int | None, str | None]:
    """The customer an event is about: its wire id and customer number (None: unknown)."""
    if isinstance(event, ev.Register | ev.CustomerUpdate):
        return _wire_id(event.data.id), event.data.customer_no
    if isinstance(event, ev.Unknown):
        try:
            frame = msgspec.json.decode(event.raw)
        except msgspec.DecodeError:
            return None, None
        data = frame.get("data") if isinstance(frame, dict) else None
        if isinstance(data, dict):
            number = data.get("customerNo")
            return _wire_id(data.get("id")), number if isinstance(number, str) else None
    return None, None


def event_time(event: ev.Event) -> int | None:
    """When the change an event tells of happened (epoch ms), if it says."""
    if isinstance(event, ev.CustomerUpdate):
        return event.data.update_time
    if isinstance(event, ev.Register):
        return event.data.create_time
    return None


def decide(event: ev.Event, row: StoredVersion | None) -> Decision:
    """What ``event`` asks of the row it is about (``row``: its stored version, None: no row)."""
    customer_id, customer_no = customer_of(event)
    fetch = Decision(fetch=customer_no, why="read again")
    if customer_id is None:
        return fetch  # undecodable, or without an id: read it by number
    if isinstance(event, ev.Register):
        return fetch if row is None else Decision(why="already held")
    if not isinstance(event, ev.CustomerUpdate):
        return fetch
    data = event.data
    if row is None or data.update_time is None:
        return fetch
    if data.customer_group_id is not None and data.customer_group_id != row.customer_group_id:
        return fetch
    revision = -1 if data.revision is None else data.revision
    if not newer(data.update_time, revision, row):
        return Decision(why="not newer")
    values: dict[str, Any] = {
        "status": data.status,
        "email": _blank(data.email),
        "phone": _blank(data.phone),
        "phone_area": _blank(data.phone_area),
        "login_time": data.login_time,
        "update_time": data.update_time,
    }
    update = RowUpdate(
        id=customer_id,
        values=tuple(values[name] for name in EVENT_COLUMNS),
        update_time=data.update_time,
        revision=revision,
    )
    return Decision(update=update)


def newer(update_time: int, revision: int, row: StoredVersion) -> bool:
    """Whether a change at ``update_time`` (``revision``; -1: none) is later than the row.

    A later ``updateTime`` is newer. At the same ``updateTime``, a row written from the
    listing (no revision) already shows that state; one written from an event is replaced
    only by a later revision.
    """
    stored = row.update_time or 0
    if update_time != stored:
        return update_time > stored
    return row.revision is not None and revision > row.revision


def applied(row: StoredVersion | None, update: RowUpdate) -> StoredVersion:
    """The row's version once ``update`` is applied (for later events of the same batch)."""
    group = None if row is None else row.customer_group_id
    revision = None if update.revision < 0 else update.revision
    return StoredVersion(update.update_time, revision, group)
