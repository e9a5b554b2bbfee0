"""Customer changes in the sandbox: a customer's list record and its ``customer_update`` events
describe the same states (logins, status, contact, deletion), through the client, over
loopback."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterable
from typing import Any

import aiohttp
import anyio
import pytest
from _operations import biz_type

import multimarkets_async as mm
from multimarkets_async.events import CustomerUpdate, CustomerUpdateData, EventStream, decode_event
from multimarkets_async.sandbox import Sandbox
from multimarkets_async.sandbox.state.customers import (
    CHANGED_DOMAIN,
    EPOCH_MS,
    customer_no_of,
    generate_customer,
)

pytestmark = pytest.mark.anyio

FAST = mm.Retry(base=0.001, cap=0.01)
QUICK: dict[str, Any] = {"heartbeat": 0.1, "silence": 0.5, "reconnect": FAST}
PAGE = biz_type("customers.list")
STATE = {
    "status": "status",
    "email": "email",
    "phone": "phone",
    "phone_area": "phoneArea",
    "login_time": "loginTime",
    "update_time": "updateTime",
}
"""What a ``customer_update`` carries of the list record: event field -> wire field."""
TEXT = ("email", "phone", "phone_area")  # "" in events where the record has null
LIVE_STATUSES = {1, 2, 4, 5}
CHANGES: dict[str | None, set[str]] = {
    "login": {"loginTime", "updateTime"},
    "status": {"status", "updateTime"},
    "contact": {"email", "phone", "phoneArea", "updateTime"},
    None: {"loginTime", "status", "email", "phone", "phoneArea", "updateTime"},
}
"""The wire fields each kind of change may set."""
DELETED = 3


def _seeds() -> list[int]:
    """``MULTIMARKETS_CHANGE_SEEDS``: seeds such as ``1,2,3`` or ranges such as ``0-99``."""
    text = os.environ.get("MULTIMARKETS_CHANGE_SEEDS", "").strip() or "0-11"
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        seeds.extend(range(int(low), int(high or low) + 1))
    return seeds


def event_state(data: CustomerUpdateData) -> dict[str, Any]:
    """The list-record fields an event carries."""
    return {name: getattr(data, name) for name in STATE}


def record_state(record: dict[str, Any]) -> dict[str, Any]:
    """The same fields of a wire record, as an event carries them."""
    state = {name: record[wire] for name, wire in STATE.items()}
    return state | {name: state[name] or "" for name in TEXT}


def customer_state(customer: mm.Customer) -> dict[str, Any]:
    """The same fields of a record the client listed, as an event carries them."""
    state = {name: getattr(customer, name) for name in STATE}
    return state | {name: state[name] or "" for name in TEXT}


def updates(events: Iterable[Any]) -> list[CustomerUpdateData]:
    """The data of the ``customer_update`` events among ``events``, in order."""
    return [e.data for e in events if isinstance(e, CustomerUpdate)]


def emitted_updates(sb: Sandbox, group: str) -> list[CustomerUpdateData]:
    """The data of every ``customer_update`` the sandbox emitted for ``group``."""
    return updates(decode_event(frame) for frame in sb.feed.emitted(group))


def latest(events: Iterable[CustomerUpdateData]) -> dict[int, CustomerUpdateData]:
    """Each customer's last event, by wire id."""
    return {int(str(data.id)): data for data in events}


async def take(stream: EventStream, count: int) -> list[Any]:
    """The next ``count`` events of ``stream``."""
    got: list[Any] = []
    with anyio.fail_after(10):
        async for event in stream:
            got.append(event)
            if len(got) == count:
                break
    return got


async def listed(client: mm.ManagerClient, customer_no: str) -> list[mm.Customer]:
    """What the customer list shows for one customer number."""
    return [c async for c in client.customers.list(customer_no=customer_no)]


def assert_increasing(events: Iterable[CustomerUpdateData]) -> None:
    """``updateTime`` and ``revision`` strictly increase per customer."""
    last: dict[str, tuple[int, int]] = {}
    for data in events:
        assert data.update_time is not None and data.revision is not None
        now = (data.update_time, data.revision)
        before = last.get(str(data.id))
        assert before is None or (now[0] > before[0] and now[1] > before[1]), (before, now)
        last[str(data.id)] = now


def assert_contacts_unique_and_found(sb: Sandbox) -> None:
    """No two live customers share an e-mail address or phone number, and the lookups find
    each live customer by its own."""
    store = sb.store
    alive = sb.customer_records(deleted=False)
    emails = [r["email"].lower() for r in alive.values() if r["email"]]
    phones = [r["phone"] for r in alive.values() if r["phone"]]
    assert len(set(emails)) == len(emails) and len(set(phones)) == len(phones)
    for wire_id, record in alive.items():
        cid = store.internal_id(wire_id)
        assert record["email"] is None or store.by_email(record["email"]) == cid
        assert record["phone"] is None or store.by_phone(record["phone"]) == cid


# -- a change and its event ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["login", "status", "contact", None])
async def test_an_update_and_its_event_agree_with_the_list(
    sandbox: Sandbox, client: mm.ManagerClient, kind: str | None
) -> None:
    before = {cid: dict(sandbox.store.record(cid)) for cid in range(1, 1001)}
    async with client.events("sync", **QUICK) as stream:
        changed = sandbox.update_customers(5, seed=3, kind=kind)
        got = updates(await take(stream, 5))
    assert len(set(changed)) == 5
    assert [int(str(d.id)) for d in got] == [sandbox.store.public_id(c) for c in changed]
    for cid, data in zip(changed, got, strict=True):
        (record,) = await listed(client, customer_no_of(cid))
        assert customer_state(record) == event_state(data)
        assert data.revision == 1 and data.customer_no == customer_no_of(cid)
        old, new = before[cid], sandbox.store.record(cid)
        assert new["updateTime"] > old["updateTime"]
        assert {k: v for k, v in new.items() if k not in CHANGES[kind]} == {
            k: v for k, v in old.items() if k not in CHANGES[kind]
        }
        if kind == "login":
            assert new["loginTime"] == new["updateTime"] == data.login_time
        if kind == "status":
            assert new["status"] in LIVE_STATUSES - {old["status"]}
        if kind == "contact":
            assert new["email"].endswith(f"@{CHANGED_DOMAIN}") and new["phone"] != old["phone"]
            assert new["phoneArea"] == (old["phoneArea"] or new["phoneArea"])
            assert sandbox.store.by_email(new["email"]) == cid
            assert sandbox.store.by_phone(new["phone"]) == cid
            assert old["email"] is None or sandbox.store.by_email(old["email"]) is None
            assert old["phone"] is None or sandbox.store.by_phone(old["phone"]) is None
    assert_contacts_unique_and_found(sandbox)


async def test_a_deletion_and_its_event_agree_with_the_kept_record(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    async with client.events("sync", **QUICK) as stream:
        changed = sandbox.update_customers(20, seed=1)
        deleted = sandbox.delete_customers(10, seed=1)
        got = updates(await take(stream, 30))
    records = sandbox.customer_records()
    deletions = got[20:]
    assert len(records) == 1000 and len(sandbox.customer_records(deleted=False)) == 990
    for cid, data in zip(deleted, deletions, strict=True):
        assert await listed(client, customer_no_of(cid)) == []  # gone from the list
        record = records[sandbox.store.public_id(cid)]
        assert record["status"] == data.status == DELETED
        assert record_state(record) == event_state(data)
        assert sandbox.store.record(cid) == record
    assert_increasing(got)
    survivors = set(changed) - set(deleted)
    for cid, data in latest(got[:20]).items():
        if cid in survivors:
            (shown,) = await listed(client, customer_no_of(cid))
            assert customer_state(shown) == event_state(data)


async def test_contact_changes_free_the_old_addresses() -> None:
    async with (
        Sandbox(customers=0, seed=8) as sb,
        mm.ManagerClient(**sb.credentials(), retry=FAST) as client,
    ):
        contact = {"phone": "13912345678", "email": "Ann.Lee@example.com"}

        async def create(phone: str, email: str) -> str:
            return await client.customers.create(
                phone=phone,
                email=email,
                password="secret",
                country="SG",
                register_source=2,
                customer_group_id=1,
            )

        customer_no = await create(**contact)
        history = [contact]
        for _ in range(3):  # the only customer: changed each time, old addresses let go
            (cid,) = sb.update_customers(1, kind="contact")
            record = sb.store.record(cid)
            history.append({"phone": record["phone"], "email": record["email"]})
        (shown,) = await listed(client, customer_no)
        assert (shown.phone, shown.email) == (history[-1]["phone"], history[-1]["email"])
        assert len({h["email"].lower() for h in history}) == len({h["phone"] for h in history}) == 4
        for old in history[:-1]:
            assert not await client.customers.exists(email=old["email"].lower())
            assert not await client.customers.exists(phone=old["phone"])
        assert await client.customers.exists(email=history[-1]["email"])
        assert await client.customers.exists(phone=history[-1]["phone"])
        again = await create(**history[0])  # free again
        assert again != customer_no and len(sb.store) == 2
        assert_contacts_unique_and_found(sb)


async def test_changes_without_a_listener_still_stamp_the_records() -> None:
    async with Sandbox(customers=5, seed=2) as sb:
        times: dict[int, list[int]] = {cid: [] for cid in range(1, 6)}
        for round_ in range(40):
            for cid in sb.update_customers(5, seed=round_):
                times[cid].append(sb.store.record(cid)["updateTime"])
        assert all(len(t) == 40 and t == sorted(set(t)) for t in times.values())
        assert sb.feed.groups == [] and sb.backoffice.feed.log.frames == []


async def test_update_time_is_later_than_every_generated_time() -> None:
    # Generated customers are "created" 90 s apart from 2020 on: the newest of these, from
    # about 100 days ahead.
    count = (int(time.time() * 1000) - EPOCH_MS) // 90_000 + 100_000
    sb = Sandbox(customers=count, seed=4)
    store, feed = sb.store, sb.backoffice.feed
    for cid in store.ids(0, 3):
        old = store.record(cid)
        latest_time = max(old[k] or 0 for k in ("createTime", "updateTime", "loginTime"))
        assert latest_time > time.time() * 1000
        first = feed.change_customer(cid, "login", random.Random(cid))["updateTime"]
        second = feed.change_customer(cid, "status", random.Random(cid))["updateTime"]
        assert latest_time < first < second
        assert store.record(cid)["loginTime"] == first
    (gone,) = sb.delete_customers(1, seed=1)
    assert store.record(gone)["updateTime"] > generate_customer(4, gone)["updateTime"]


async def test_update_per_call_changes_records_during_a_walk() -> None:
    async with (
        Sandbox(customers=300, seed=6, update_per_call=7) as sb,
        mm.ManagerClient(**sb.credentials(), retry=FAST) as client,
    ):
        before = sb.customer_records()
        async with client.events("sync", **QUICK) as stream:
            walked = [c async for c in client.customers.list(page_size=50, concurrency=1)]
            calls = sb.calls[PAGE]
            events = updates(await take(stream, 7 * calls))
        assert sorted(c.id for c in walked if c.id is not None) == sorted(before)
        assert calls >= 6 and len(events) == 7 * calls
        assert_increasing(events)
        # A table kept from the walk and the events ends where the sandbox is.
        table = {c.id: customer_state(c) for c in walked}
        for data in events:
            row = table[int(str(data.id))]
            if data.update_time is not None and data.update_time >= row["update_time"]:
                row.update(event_state(data))
        after = sb.customer_records()
        assert table == {wire_id: record_state(r) for wire_id, r in after.items()}
        assert sum(after[i] != before[i] for i in before) == len(latest(events))
        seen = {c.id: c.update_time for c in walked}
        assert any(seen[int(str(d.id))] == d.update_time for d in events)  # walked, changed


async def test_deleted_customers_keep_their_final_record_with_status_3() -> None:
    sb = Sandbox(customers=50, seed=3, id_style="snowflake")
    updated = sb.update_customers(10, seed=5, kind="contact")
    deleted = set(sb.delete_customers(12, seed=5))
    records = sb.customer_records()
    alive = sb.customer_records(deleted=False)
    store = sb.store
    assert len(records) == 50 and len(alive) == 38
    assert set(records) == {store.public_id(cid) for cid in range(1, 51)}
    for cid in range(1, 51):
        record = records[store.public_id(cid)]
        assert record["id"] == store.public_id(cid)
        assert (record["status"] == DELETED) is (cid in deleted)
        assert (store.public_id(cid) in alive) is (cid not in deleted)
    for cid in deleted & set(updated):  # a deleted customer's contact is free again
        record = records[store.public_id(cid)]
        assert record["email"].endswith(f"@{CHANGED_DOMAIN}")
        assert store.by_email(record["email"]) is None and store.by_phone(record["phone"]) is None
    assert sb.update_customers(100) and len(sb.customer_records()) == 50
    assert all(r["status"] == DELETED for i, r in sb.customer_records().items() if i not in alive)


async def test_update_arguments_are_checked() -> None:
    sb = Sandbox(customers=3)
    with pytest.raises(ValueError, match="negative"):
        sb.update_customers(-1)
    with pytest.raises(ValueError, match="kind must be one of login, status, contact"):
        sb.update_customers(1, kind="birthday")
    assert sorted(sb.update_customers(10)) == [1, 2, 3]  # all there are, each once
    sb.delete_customers(3)
    assert sb.update_customers(2) == []


async def test_the_control_route_changes_customers() -> None:
    async with Sandbox(customers=40, seed=1) as sb, aiohttp.ClientSession() as http:
        body = {"updates": 4, "updateKind": "contact", "deletions": 1}
        async with http.post(sb.control_url, json=body) as response:
            assert response.status == 200
            answer = await response.json()
        assert len(answer["updated"]) == 4 and answer["total"] == 39
        assert not set(answer["updated"]) & set(answer["deleted"])
        for cid in answer["updated"]:
            assert sb.store.record(cid)["email"].endswith(f"@{CHANGED_DOMAIN}")
        for bad in ({"updates": -1}, {"updates": True}, {"updates": 1, "updateKind": "x"}):
            async with http.post(sb.control_url, json=bad) as response:
                assert response.status == 400
                assert "error" in await response.json()


# -- churn ---------------------------------------------------------------------------------


async def test_churn_customer_updates_change_the_records(
    sandbox: Sandbox, client: mm.ManagerClient
) -> None:
    async with client.events("churn", **QUICK):
        sandbox.feed.emit(800)
    events = emitted_updates(sandbox, "churn")
    assert len(events) > 20
    assert_increasing(events)
    records = sandbox.customer_records()
    for wire_id, data in latest(events).items():
        assert record_state(records[wire_id]) == event_state(data)
    sample = list(latest(events).items())[:5]
    for wire_id, data in sample:
        (record,) = await listed(client, str(data.customer_no))
        assert record.id == wire_id and customer_state(record) == event_state(data)


# -- many random sequences -----------------------------------------------------------------


def random_step(sb: Sandbox, rng: random.Random) -> None:
    """One random change of the sandbox's data."""
    step = rng.choice(["update", "update", "update", "delete", "sign_up", "churn"])
    if step == "update":
        kind = rng.choice([None, "login", "status", "contact"])
        sb.update_customers(rng.randrange(1, 6), seed=rng.randrange(1 << 30), kind=kind)
    elif step == "delete":
        sb.delete_customers(rng.randrange(1, 3), seed=rng.randrange(1 << 30))
    elif step == "sign_up":
        sb.sign_up(rng.randrange(1, 3))
    else:
        sb.feed.emit(rng.randrange(1, 30))


@pytest.mark.parametrize("seed", _seeds())
async def test_random_change_sequences_keep_list_and_events_coherent(seed: int) -> None:
    rng = random.Random(seed)
    style = rng.choice(["small", "snowflake"])
    async with (
        Sandbox(customers=rng.randrange(0, 120), seed=seed, id_style=style) as sb,
        mm.ManagerClient(**sb.credentials(), retry=FAST) as client,
    ):
        before = sb.customer_records()
        async with client.events("g", **QUICK):
            for _ in range(rng.randrange(20, 60)):
                random_step(sb, rng)
        events = emitted_updates(sb, "g")
        assert_increasing(events)
        records, alive = sb.customer_records(), sb.customer_records(deleted=False)
        last = latest(events)
        for wire_id, data in last.items():
            assert record_state(records[wire_id]) == event_state(data), (seed, wire_id)
        for wire_id, record in records.items():
            if wire_id in before and record != before[wire_id]:  # each change was published
                assert wire_id in last, (seed, wire_id)
            assert (record["status"] == DELETED) is (wire_id not in alive)
        walked = [c async for c in client.customers.list(page_size=37)]
        assert {c.id: customer_state(c) for c in walked} == {
            i: record_state(r) for i, r in alive.items()
        }
        assert_contacts_unique_and_found(sb)
