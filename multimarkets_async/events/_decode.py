"""Decoding Data Push frames into event models, and the key used to drop replayed events."""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from ._types import Event, KnownEvent, Unknown

# ``Event`` and ``Unknown`` are re-exported for the stream module, which imports them from here.
__all__ = ["DedupKey", "Event", "Unknown", "decode_event", "dedup_key"]

log = logging.getLogger("multimarkets_async.events")

DedupKey = tuple[str, str, Any]
"""``(event_type, data.id, version)``; ``version`` is ``update_time``, ``revision`` or ``version``
(the first present) or ``None``."""

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

    ``(event_type, data.id, v)`` where ``v`` is the first of ``data.update_time``,
    ``data.revision``, ``data.version`` that is present (``None`` if none is). A replayed copy has
    the same key; two updates of one entity differ in ``v``. ``None`` — cannot be de-duplicated —
    for :class:`Unknown` and for events whose ``data`` has no ``id``.
    """
    if isinstance(event, Unknown):
        return None
    data = event.data
    entity_id = data.id
    if entity_id is None:
        return None
    version = getattr(data, "update_time", None)
    if version is None:
        version = getattr(data, "revision", None)
        if version is None:
            version = getattr(data, "version", None)
    return (event.event_type, entity_id, version)
