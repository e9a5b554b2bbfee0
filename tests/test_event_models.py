"""Data Push event models: the vendor's 18 samples decode into their classes (MANAGER_API §12).

The samples in ``tests/vendor/data-push-samples.md`` are copied verbatim from the vendor page and
are not JSON; ``_lenient_json`` repairs them the way a forgiving reader must.
"""

from __future__ import annotations

import json
import logging
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

import multimarkets_async as mm
from multimarkets_async import events
from multimarkets_async.events import (
    EVENT_TYPES,
    Deposit,
    Event,
    OpenAccount,
    PositionUpdate,
    Register,
    SubjectWaterInsert,
    Unknown,
    decode_event,
    dedup_key,
    scaled_amount,
)
from multimarkets_async.sandbox import Sandbox

SAMPLES_FILE = Path(__file__).parent / "vendor" / "data-push-samples.md"
_SAMPLE = re.compile(r"^### (\w+)\n\n```[a-z]*\n(.*?)\n```$", re.MULTILINE | re.DOTALL)
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def _samples() -> dict[str, str]:
    text = SAMPLES_FILE.read_text(encoding="utf-8")
    return {m.group(1): m.group(2) for m in _SAMPLE.finditer(text)}


SAMPLES = _samples()


def _strip_comments_and_invisibles(text: str) -> str:
    """Drop ``//`` comments and zero-width characters that are outside JSON strings."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif ch == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif ch not in _INVISIBLE:
            out.append(ch)
        i += 1
    return "".join(out)


def _lenient_json(text: str) -> bytes:
    """Repair a vendor sample into JSON: comments, zero-width spaces, a key with no value
    (becomes ``null``), a missing comma between members. A duplicated key is left in place —
    valid JSON grammar; readers keep the last value."""
    text = _strip_comments_and_invisibles(text)
    text = re.sub(r":\s*(?=[,}\]])", ": null", text)  # "status": <nothing>  ->  null
    # A member that ends a line (string, number, literal, object, array) followed by another
    # member on the next line with no comma between them.
    text = re.sub(r'(["\d\]}el])[ \t]*\n(\s*")', r"\1,\n\2", text)
    json.loads(text)  # now real JSON (raises otherwise)
    return text.encode("utf-8")


def _decoded(event_type: str) -> Any:
    return decode_event(_lenient_json(SAMPLES[event_type]))


# --------------------------------------------------------------------------- the samples file


def test_the_samples_file_holds_the_18_documented_events_in_order() -> None:
    assert list(SAMPLES) == list(EVENT_TYPES)
    assert len(SAMPLES) == 18


def test_the_samples_keep_the_vendor_breakage() -> None:
    register = SAMPLES["register"]
    assert '"status": // 1 Status' in register
    assert register.count("\u200b") == 4  # two before each of the phoneArea / emailArea values
    delete = SAMPLES["position_delete"]
    assert '"companyId": 21 // Company id\n"accountId"' in delete  # missing comma
    assert delete.count('"companyId"') == 2
    for text in SAMPLES.values():
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)  # none is JSON as published (comments)


@pytest.mark.parametrize("event_type", list(EVENT_TYPES))
def test_a_raw_vendor_sample_is_unknown_not_an_error(event_type: str) -> None:
    raw = SAMPLES[event_type]
    event = decode_event(raw)
    assert isinstance(event, Unknown)
    assert event.raw == raw.encode("utf-8")


# --------------------------------------------------------------------------- every type decodes


@pytest.mark.parametrize("event_type", list(EVENT_TYPES))
def test_every_sample_decodes_into_its_own_class(event_type: str) -> None:
    event = _decoded(event_type)
    assert type(event) is EVENT_TYPES[event_type]
    assert event.event_type == event_type
    assert type(event.data.id) is str
    key = dedup_key(event)
    assert key is not None and key[:2] == (event_type, event.data.id)
    mutable: Any = event  # frozen Structs refuse assignment (mypy knows; check the runtime)
    with pytest.raises(AttributeError):
        mutable.data = None
    with pytest.raises(AttributeError):
        mutable.data.id = "x"


EXPECTED: dict[str, dict[str, Any]] = {
    "register": {
        "id": "80",
        "customer_no": "86000079",
        "company_id": 1,
        "country": "CN",
        "customer_group_id": 1,
        "kyc_audit_status": 2,
        "phone": "18451251563",
        "phone_area": "+86",
        "email_area": "",
        "register_source": 4,
        "register_type": 2,
        "status": None,  # "status": // — no value
        "ext2": "",
    },
    "customer_update": {
        "id": "1",
        "customer_no": "86000000",
        "email": "123@163.com",
        "login_ip": "210.22.23.4",
        "login_time": 1640242095732,
        "first_open_account_time": 1640077504157,
        "revision": 0,
        "status": 1,
        "create_by": "admin",
        "update_time": 1640242095735,
    },
    "customer_info_insert": {
        "id": "2813",
        "customer_info_id": 2813,
        "unit_id": 13,
        "register_ip": "1.1.1.1",
        "utm_source": "xxx",
        "utm_term": "xxx",
        "ext5": "",
        "create_by": "86002812",
        "update_time": None,
        "status": 1,
    },
    "customer_info_update": {
        "id": "2813",
        "customer_no": "86002812",
        "update_by": "86002812",
        "update_time": 1704263677778,
        "remark": "xx",
    },
    "kyc": {
        "id": "20",
        "customer_no": "86000018",
        "level_code": "level_2",
        "path_code": "AF",
        "pno": "K556059077701009408",
        "business_code": "1",
        "approval": "admin",
        "approval_time": 1647310823650,
        "status": 2,
        "ext1": "KYC_WEB_ADD",
    },
    "open_account": {
        "id": "1001394",
        "customer_id": 81,
        "customer_no": "86000080",
        "currency": 1,
        "currency_code": "USDT",
        "digits": 6,
        "trade_type": 5,
        "type": 1,
        "activate_status": 1,
        "status": 2,
    },
    "account_update": {
        "id": "1001394",
        "currency": 1,
        "digits": 6,
        "update_time": 1645167254541,
    },
    "subject_insert": {
        "id": "601",
        "account_id": 1000083,
        "amount": 0,
        "digits": 6,
        "type": 7,
        "version": 0,
        "amount_value": Decimal("0.000000"),
    },
    "subject_update": {"id": "601", "update_time": 1658738398244, "version": 0},
    "subject_water_insert": {
        "id": "0",
        "account_id": 1000087,
        "amount_in": 11210000000,
        "amount_out": 11210000000,
        "amount_after": 11210000000,
        "digits": 5,
        "amount_in_value": Decimal("112100.00000"),
        "amount_after_value": Decimal("112100.00000"),
        "bookkeep_id": 2022072500115,
        "business_type": 603,
        "business_type1": 60301,
        "currency": 66,
        "currency_code": "HKD",
        "subject_type": 1,
        "trade_type": 6,
        "remark": "ryder_test",
    },
    "subject_water_update": {"id": "0", "subject_id": 667, "order_id": 10101, "version": 0},
    "position_insert": {
        "id": "2022072600132",
        "account_id": 1000091,
        "currency": "HKD",
        "currency_digits": 5,
        "open_volume": 36.0,
        "cost_price": 10157,
        "cost_price_value": Decimal("101.57"),
        "symbol_digits": 2,
        "create_by": 1000091,
        "update_by": 1000091,
        "collateral_frozen": 0,
        "cross_level_num": 1,
        "maintenance_margin": "10",
        "occupy_the_margin": "100",
        "margin_set_type": "1",
        "take_profit": "0",
        "status": 1,
    },
    "position_update": {"id": "2022072600132", "deal_id": 423, "customer_id": 21882},
    "position_delete": {
        "id": "2022072600132",
        "company_id": 21,  # listed twice
        "account_id": 1000091,  # after the missing comma
        "customer_id": None,  # the delete sample has no customerId
        "warning_margin": "0",
    },
    "trade_deal": {
        "id": "1822307",
        "order_id": 1822307,
        "position_id": 2023071846555,
        "account_digits": 4,
        "execute_num": 0.001,
        "execute_price": 3009452,
        "execute_price_value": Decimal("30094.52"),
        "fee_value": Decimal("0.9028"),
        "pnl_value": Decimal("0.1212"),
        "convert_exchange_rate": Decimal(1),
        "symbol_name": "BINAN_BTC_USDT11",
        "source": "H5",
        "third_party_order": "",
        "order_status": 2,
    },
    "deposit": {
        "id": "89",
        "proposal_no": "D2022031522005",
        "account_id": 1000077,
        "actual_amount": Decimal("50.000000000"),
        "final_amount": Decimal("50.000000000"),
        "intend_amount": Decimal("50.000000000"),
        "from_payment_amount": Decimal("343.5"),
        "to_payment_rate": Decimal("6.87"),
        "deposit_fee": Decimal(0),
        "notify_status": False,
        "payment_status": 1,
        "deposit_from": "H5",
        "revision": 3,
    },
    "account_adjust": {
        "id": "212",
        "proposal_no": "A20221212686244",
        "account_currency": "HKD",
        "amount": Decimal("1000000"),
        "business_type": 60301,
        "check_status": 2,
        "withdraw": False,
        "revision": 2,
    },
    "withdraw": {
        "id": "212",
        "amount": Decimal("1000000"),
        "final_amount": Decimal("1000000"),
        "withdraw_fee": Decimal(0),
        "rate": Decimal(1),
        "raw_amount": Decimal(0),
        "blockchain_name": None,
        "txid": None,
        "withdraw_method": "bank",
        "withdraw_type": 1,
        "transfer_status": 2,
    },
}


@pytest.mark.parametrize("event_type", list(EVENT_TYPES))
def test_documented_fields_are_set(event_type: str) -> None:
    data = _decoded(event_type).data
    for name, value in EXPECTED[event_type].items():
        got = getattr(data, name)
        assert got == value, f"{event_type}.{name}: {got!r} != {value!r}"
        assert type(got) is type(value), f"{event_type}.{name}: {type(got).__name__}"


@pytest.mark.parametrize("event_type", list(EVENT_TYPES))
def test_no_documented_field_is_lost(event_type: str) -> None:
    """Every key of the sample is a field of its data Struct (none silently ignored)."""
    wire = json.loads(_lenient_json(SAMPLES[event_type]))["data"]
    cls = type(_decoded(event_type).data)
    assert set(wire) <= set(cls.__struct_encode_fields__)


def test_decimal_amounts_keep_their_scale() -> None:
    deposit = _decoded("deposit").data
    assert str(deposit.actual_amount) == "50.000000000"
    assert str(deposit.to_payment_amount) == "343.500000000"
    for event_type in ("deposit", "withdraw", "account_adjust"):
        data = _decoded(event_type).data
        names = ("amount", "final_amount", "actual_amount", "intend_amount")
        amounts = [getattr(data, n) for n in names if getattr(data, n, None) is not None]
        assert amounts and all(isinstance(a, Decimal) for a in amounts)
    frame = b'{"eventType":"withdraw","data":{"id":"1","amount":"12.50","finalAmount":12}}'
    withdraw = decode_event(frame)
    assert isinstance(withdraw, events.Withdraw)
    assert withdraw.data.amount == Decimal("12.50") and withdraw.data.final_amount == Decimal(12)


def test_scaled_amount() -> None:
    assert scaled_amount(11210000000, 5) == Decimal("112100.00000")
    assert str(scaled_amount(11210000000, 5)) == "112100.00000"
    assert scaled_amount(-150, 2) == Decimal("-1.50")
    assert scaled_amount(7, 0) == Decimal(7)
    assert scaled_amount(None, 5) is None
    assert scaled_amount(5, None) is None


# --------------------------------------------------------------------------- leniency


def test_an_integer_id_becomes_a_string() -> None:
    event = decode_event(b'{"eventType":"open_account","data":{"id":1001394,"currency":1}}')
    assert isinstance(event, OpenAccount)
    assert event.data.id == "1001394" and type(event.data.id) is str


def test_mixed_typed_fields() -> None:
    frame = (
        b'{"eventType":"position_update","data":{"id":"9","currency":"HKD","createBy":"admin",'
        b'"updateBy":1000091,"status":"3","openVolume":2}}'
    )
    event = decode_event(frame)
    assert isinstance(event, PositionUpdate)
    data = event.data
    assert (data.currency, data.create_by, data.update_by) == ("HKD", "admin", 1000091)
    assert data.status == 3  # numeric string accepted for an int field (strict=False)
    assert data.open_volume == 2.0


@pytest.mark.parametrize("event_type", list(EVENT_TYPES))
def test_an_event_encodes_as_its_frame_without_the_unset_fields(event_type: str) -> None:
    event = _decoded(event_type)
    encoded = msgspec.json.encode(event)
    assert encoded.startswith(b'{"eventType":"%s","data":{' % event_type.encode())
    data = msgspec.json.decode(encoded)["data"]
    assert None not in data.values()
    assert decode_event(encoded) == event
    assert (
        msgspec.json.encode(decode_event(b'{"eventType":"kyc"}'))
        == b'{"eventType":"kyc","data":{}}'
    )


def test_missing_and_extra_fields() -> None:
    event = decode_event('{"eventType": "register", "data": {"id": "5", "brandNew": [1, 2]}}')
    assert isinstance(event, Register)
    assert event.data.id == "5" and event.data.customer_no is None
    empty = decode_event(b'{"eventType": "kyc"}')
    assert isinstance(empty, events.Kyc) and empty.data.id is None
    assert dedup_key(empty) is None


def test_an_unknown_event_type_is_kept_with_its_bytes(caplog: pytest.LogCaptureFixture) -> None:
    frame = b'{"eventType":"brand_new_event","data":{"id":"1","x":2}}'
    with caplog.at_level(logging.DEBUG, logger="multimarkets_async.events"):
        event = decode_event(frame)
    assert event == Unknown(event_type="brand_new_event", raw=frame)
    assert dedup_key(event) is None
    assert any("brand_new_event" in r.getMessage() for r in caplog.records)
    text = '{"eventType":"other","data":{"name":"é"}}'
    assert decode_event(text) == Unknown(event_type="other", raw=text.encode("utf-8"))


def test_a_known_type_that_does_not_fit_is_unknown() -> None:
    for frame in (
        b'{"eventType":"deposit","data":{"id":"1","actualAmount":"lots"}}',
        b'{"eventType":"register","data":[1,2]}',
        b'{"eventType":"register","data":null}',
        b'{"eventType":"trade_deal","data":{"id":{"nested":1}}}',
    ):
        event = decode_event(frame)
        assert isinstance(event, Unknown), frame
        assert event.raw == frame
        assert event.event_type in {"deposit", "register", "trade_deal"}


@pytest.mark.parametrize(
    "frame",
    [b"", b"ping", b"not json at all", b"[1, 2]", b'"register"', b"\xff\xfe\x00", b"{", "pong"],
)
def test_garbage_is_unknown(frame: bytes | str) -> None:
    event = decode_event(frame)
    assert isinstance(event, Unknown)
    assert event.event_type == ""
    assert event.raw == (frame.encode() if isinstance(frame, str) else frame)


def test_an_event_type_that_is_not_a_string_is_unknown() -> None:
    event = decode_event(b'{"eventType": 7, "data": {}}')
    assert event == Unknown(event_type="", raw=b'{"eventType": 7, "data": {}}')
    event = decode_event(b'{"data": {"id": "1"}}')
    assert isinstance(event, Unknown) and event.event_type == ""


# --------------------------------------------------------------------------- de-duplication


def _subject_water(update_time: int, amount_after: int) -> bytes:
    return msgspec.json.encode(
        {
            "eventType": "subject_water_update",
            "data": {"id": "77", "amountAfter": amount_after, "updateTime": update_time},
        }
    )


def test_dedup_key_tells_updates_apart_and_matches_replays() -> None:
    first = decode_event(_subject_water(1000, 5))
    second = decode_event(_subject_water(2000, 6))
    replay = decode_event(_subject_water(1000, 5))
    assert dedup_key(first) == ("subject_water_update", "77", 1000, None, None)
    assert dedup_key(first) != dedup_key(second)
    assert dedup_key(first) == dedup_key(replay)
    # the same entity and time under another event type is another event
    insert = decode_event(_subject_water(1000, 5).replace(b"_update", b"_insert"))
    assert isinstance(insert, SubjectWaterInsert)
    assert dedup_key(insert) != dedup_key(first)


def test_dedup_key_holds_update_time_revision_and_version() -> None:
    by_revision = decode_event(b'{"eventType":"kyc","data":{"id":"3","revision":4}}')
    assert dedup_key(by_revision) == ("kyc", "3", None, 4, None)
    by_version = decode_event(b'{"eventType":"subject_update","data":{"id":"3","version":9}}')
    assert dedup_key(by_version) == ("subject_update", "3", None, None, 9)
    both = b'{"eventType":"subject_update","data":{"id":"3","version":9,"updateTime":11}}'
    assert dedup_key(decode_event(both)) == ("subject_update", "3", 11, None, 9)
    # register documents none of them: the id alone (a customer registers once)
    assert dedup_key(_decoded("register")) == ("register", "80", None, None, None)


def test_dedup_key_tells_versions_apart_at_one_update_time() -> None:
    frame = b'{"eventType":"subject_update","data":{"id":"3","updateTime":11,"version":%d}}'
    first, second = decode_event(frame % 1), decode_event(frame % 2)
    assert dedup_key(first) != dedup_key(second)
    assert dedup_key(first) == dedup_key(decode_event(frame % 1))


def test_an_update_without_update_time_revision_or_version_is_never_a_replay() -> None:
    # Nothing tells two states of the entity apart: each is delivered (at least once).
    for frame in (
        b'{"eventType":"subject_update","data":{"id":"3","amount":5}}',
        b'{"eventType":"customer_update","data":{"id":"3","status":2}}',
        b'{"eventType":"trade_deal","data":{"id":"3"}}',
    ):
        assert dedup_key(decode_event(frame)) is None, frame


def test_dedup_keys_of_the_samples() -> None:
    assert dedup_key(_decoded("customer_update")) == (
        "customer_update",
        "1",
        1640242095735,
        0,
        None,
    )
    assert dedup_key(_decoded("deposit")) == ("deposit", "89", 1647310473479, 3, None)
    assert dedup_key(_decoded("customer_info_insert")) == (
        "customer_info_insert",
        "2813",
        None,
        0,
        None,
    )


# --------------------------------------------------------------------------- the public surface


def _describe(event: Event) -> str:
    match event:
        case Register(data=data):
            return f"register {data.customer_no}"
        case Deposit(data=data):
            return f"deposit {data.actual_amount}"
        case Unknown(event_type=event_type):
            return f"unknown {event_type!r}"
        case _:
            return event.event_type


def test_events_work_in_match() -> None:
    assert _describe(_decoded("register")) == "register 86000079"
    assert _describe(_decoded("deposit")) == "deposit 50.000000000"
    assert _describe(_decoded("kyc")) == "kyc"
    assert _describe(decode_event(b"junk")) == "unknown ''"


def test_public_names() -> None:
    assert mm.events is events
    assert mm.events.Register is Register
    for name in events.__all__:
        assert getattr(events, name) is not None, name
    assert set(EVENT_TYPES) == {cls.event_type for cls in EVENT_TYPES.values()}
    for name in (
        "Register",
        "CustomerUpdate",
        "CustomerInfoInsert",
        "CustomerInfoUpdate",
        "Kyc",
        "OpenAccount",
        "AccountUpdate",
        "SubjectInsert",
        "SubjectUpdate",
        "SubjectWaterInsert",
        "SubjectWaterUpdate",
        "PositionInsert",
        "PositionUpdate",
        "PositionDelete",
        "TradeDeal",
        "Deposit",
        "AccountAdjust",
        "Withdraw",
        "Unknown",
        "decode_event",
        "dedup_key",
        "scaled_amount",
    ):
        assert name in events.__all__, name


def test_every_type_decodes_from_sandbox_frames() -> None:
    """The sandbox speaks the wire format on its own: every one of the 18 types it emits
    decodes into its own class, never ``Unknown``, with the dedup key's id a string."""
    frames = Sandbox(customers=200, seed=3).feed.emit(2_000)
    events = [decode_event(frame) for frame in frames]
    assert not [e for e in events if isinstance(e, Unknown)]
    assert {type(e) for e in events} == set(EVENT_TYPES.values())
    assert all(isinstance(e.data.id, str) for e in events if not isinstance(e, Unknown))
