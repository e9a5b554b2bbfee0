"""Data Push events: the websocket feed of customer, account, ledger, position and money events.

Each frame is ``{"eventType": "<type>", "data": {...}}`` (MANAGER_API §12). :func:`decode_event`
turns a frame into one of 18 frozen msgspec Structs, chosen by ``eventType`` (a tagged union),
or into :class:`Unknown` — it never raises and never drops a frame::

    from multimarkets_async import events

    match events.decode_event(frame):
        case events.Register(data=d):
            print("new customer", d.customer_no)
        case events.SubjectWaterInsert(data=d):
            print("ledger", d.account_id, d.amount_in_value)
        case events.Unknown(event_type=t):
            print("not modelled:", t)

The model:

* every event class has ``data`` (a per-event Struct) and a class attribute ``event_type``;
  :class:`Unknown` has ``event_type`` (``""`` if unreadable) and ``raw`` (the frame's bytes);
* ``data`` attributes are the vendor's camelCase names in snake_case, all optional (``None`` when
  the server omits them); unknown fields are ignored;
* ``data.id`` is always a ``str``, even where the REST API uses integers;
* money: ledger / deal / position values are integers scaled by a ``digits`` field
  (:func:`scaled_amount`, or ``*_value`` properties such as
  ``SubjectWaterData.amount_in_value``); deposit, withdrawal and adjustment amounts are exact
  :class:`~decimal.Decimal`; position margins are strings; ``currency`` is an asset id (int) in
  account / ledger events and a code (str) in position events.

Delivery is at-least-once with no event id: :func:`dedup_key` gives
``(event_type, data.id, update_time, revision, version)`` to drop replays (``None``, never
dropped, when nothing tells two states of the entity apart).
"""

from ._decode import DedupKey, decode_event, dedup_key

# --- stream (owned by the client-stream work; here, where the import order puts it)
from ._stream import EventStream, StreamStats

# --- end stream imports
from ._types import (
    EVENT_TYPES,
    AccountAdjust,
    AccountAdjustData,
    AccountData,
    AccountUpdate,
    CustomerInfoData,
    CustomerInfoInsert,
    CustomerInfoUpdate,
    CustomerUpdate,
    CustomerUpdateData,
    Deposit,
    DepositData,
    Event,
    EventData,
    KnownEvent,
    Kyc,
    KycData,
    OpenAccount,
    PositionData,
    PositionDelete,
    PositionInsert,
    PositionUpdate,
    Register,
    RegisterData,
    SubjectData,
    SubjectInsert,
    SubjectUpdate,
    SubjectWaterData,
    SubjectWaterInsert,
    SubjectWaterUpdate,
    TradeDeal,
    TradeDealData,
    Unknown,
    Withdraw,
    WithdrawData,
    scaled_amount,
)

__all__ = [
    "EVENT_TYPES",
    "AccountAdjust",
    "AccountAdjustData",
    "AccountData",
    "AccountUpdate",
    "CustomerInfoData",
    "CustomerInfoInsert",
    "CustomerInfoUpdate",
    "CustomerUpdate",
    "CustomerUpdateData",
    "DedupKey",
    "Deposit",
    "DepositData",
    "Event",
    "EventData",
    "EventStream",
    "KnownEvent",
    "Kyc",
    "KycData",
    "OpenAccount",
    "PositionData",
    "PositionDelete",
    "PositionInsert",
    "PositionUpdate",
    "Register",
    "RegisterData",
    "StreamStats",
    "SubjectData",
    "SubjectInsert",
    "SubjectUpdate",
    "SubjectWaterData",
    "SubjectWaterInsert",
    "SubjectWaterUpdate",
    "TradeDeal",
    "TradeDealData",
    "Unknown",
    "Withdraw",
    "WithdrawData",
    "decode_event",
    "dedup_key",
    "scaled_amount",
]
