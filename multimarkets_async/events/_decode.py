"""Decoding Data Push frames into event models, and the key used to drop replayed events."""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from ._types import EVENT_TYPES, Event, KnownEvent, Unknown

# ``Event`` and ``Unknown`` are re-exported for the stream module, which imports them from here.
__all__ = ["DedupKey", "Event", "Unknown", "decode_event", "dedup_key"]

log = logging.getLogger("multimarkets_async.events")

DedupKey = tuple[str, str, Any, Any, Any]
"""``(event_type, data.id, update_time, revision, version)`` (each of the last three ``None`` when
absent)."""

_VERSIONS = ("update_time", "revision", "version")

# Types whose data documents none of ``_VERSIONS`` (``register``): an entity has one such event
# (a customer registers once), so the id alone tells a replay.
_ONCE = frozenset(
    name
    for name, cls in EVENT_TYPES.items()
    if not set(_VERSIONS) & set(type(cls().data).__struct_fields__)
)

# One decoder for the whole tagged union; ``strict=False`` lets numeric strings fill int fields
# and integral floats fill int fields (the vendor drifts between them).
_decoder: msgspec.json.Decoder[KnownEvent] = msgspec.json.Decoder(KnownEvent, strict=False)


class _TypeOnly(msgspec.Struct):
    """Just the ``eventType`` of a frame, read when the full decode failed."""

    event_type: Any = msgspec.field(default="", name="eventType")


_type_decoder = msgspec.json.Decoder(_TypeOnly)


def _unknown(frame: bytes | str, why: str) -> Unknown:
    raw = frame.encode("utf-8", "surrogatepass") if isinstance(frame, str) else bytes(frame)
    try:
        event_type = _type_decoder.decode(raw).event_type
    except (msgspec.DecodeError, msgspec.ValidationError):
        event_type = ""
    if not isinstance(event_type, str):
        event_type = ""
    if log.isEnabledFor(logging.DEBUG):
        log.debug(
            "data push: unmodelled frame (eventType %r): %s; %d bytes: %.200r",
            event_type,
            why,
            len(raw),
            raw,
        )
    return Unknown(event_type=event_type, raw=raw)


def decode_event(frame: bytes | str) -> Event:
    """Decode one Data Push frame into its event class, never raising.

    A frame with an undocumented ``eventType``, a documented type whose data does not fit its
    model, or text that is not JSON at all becomes :class:`Unknown` (with the frame's bytes), and
    is logged at DEBUG on the ``multimarkets_async.events`` logger. Fields the model does not know
    are ignored; fields the frame omits are ``None``.
    """
    try:
        return _decoder.decode(frame)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return _unknown(frame, str(exc))


def dedup_key(event: Event) -> DedupKey | None:
    """The identity of one delivery of an entity's state, for dropping replays.

    ``(event_type, data.id, data.update_time, data.revision, data.version)`` (``None`` for those
    absent). A replayed copy has the same key; two updates of one entity differ in at least one of
    the last three. ``None`` — cannot be de-duplicated, always delivered — for :class:`Unknown`,
    for events whose ``data`` has no ``id``, and for events with none of ``update_time``,
    ``revision`` and ``version`` (nothing tells two states of the entity apart), except for the
    types that have none of them at all (``register``: once per entity, keyed on the id).
    """
    if isinstance(event, Unknown):
        return None
    data = event.data
    entity_id = data.id
    if entity_id is None:
        return None
    update_time = getattr(data, "update_time", None)
    revision = getattr(data, "revision", None)
    version = getattr(data, "version", None)
    event_type = event.event_type
    if update_time is None and revision is None and version is None and event_type not in _ONCE:
        return None
    return (event_type, entity_id, update_time, revision, version)
