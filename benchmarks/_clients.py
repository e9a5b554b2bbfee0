"""One benchmark run in its own process.

    python benchmarks/_clients.py CLIENT CONCURRENCY BASE_URL OUT

Prints one JSON line: records, seconds, peak RSS (MiB) of this process. The export clients do
the same job: fetch all pages (2,000 records each), write each record as one JSON line, and
make the file durable (``fsync``) before they stop, as a finished export must be. The
walk clients (``sdk_walk``, ``bare_walk``) only count the records of every page, so the cost of
the walk itself shows. The clock starts once a client has logged in, so the times compare
paging, not one auth round trip.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import msgspec
import pydantic

import multimarkets_async as mm
from multimarkets_async.sandbox.state.customers import WIRE_FIELDS

# Every client's process imports the same modules, so peak RSS compares like with like.
_ = (httpx, pydantic)

APP = {"appId": "sandbox-app-id", "appSecret": "sandbox-app-secret"}
AUTH = "/auth/admin.admin.CompanyAuthDubboService.auth"
PAGE = "/customer.admin.WhiteCustomerAdminApiService.page"
SIZE = 2000
FIELDS = WIRE_FIELDS  # the 30 fields of a customer-list record
INTS = {
    "id",
    "companyId",
    "customerGroupId",
    "customerType",
    "registerSource",
    "openAccountType",
    "status",
    "unitId",
    "createTime",
    "updateTime",
    "loginTime",
    "firstAccountActivateTime",
}


CLOCK: dict[str, float] = {}


def logged_in() -> None:
    CLOCK["start"] = time.perf_counter()


def headers(token: str, n: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "trace": f"bench-{n}",
        "companyId": "439",
        "token": token,
        "version": "0.0.1",
        "timestamp": str(int(time.time() * 1000)),
    }


async def sdk(base: str, concurrency: int, out: str) -> int:
    async with mm.ManagerClient("sandbox-app-id", "sandbox-app-secret", 439, base) as client:
        await client.company()
        logged_in()
        walk = client.customers.list(page_size=SIZE, concurrency=concurrency)
        summary = await mm.export(walk, out, format="jsonl")
    return summary.records


async def naive(base: str, concurrency: int, out: str) -> int:
    """What a first attempt looks like: sequential aiohttp, json.loads, json.dumps."""
    records = 0
    async with aiohttp.ClientSession() as session:
        async with session.post(base + AUTH, json=APP, headers={"trace": "b"}) as r:
            token = json.loads(await r.read())["data"]["token"]
        logged_in()
        with open(out, "w") as target:
            current = 1
            while True:
                body = {"current": current, "size": SIZE}
                async with session.post(
                    base + PAGE, json=body, headers=headers(token, current)
                ) as r:
                    page = json.loads(await r.read())["data"]
                for record in page["records"]:
                    target.write(json.dumps(record) + "\n")
                records += len(page["records"])
                if current * SIZE >= page["total"] or not page["records"]:
                    durable(target)
                    return records
                current += 1


def durable(target: Any) -> None:
    target.flush()
    os.fsync(target.fileno())


def _pydantic_envelope() -> Any:
    from pydantic import BaseModel, ConfigDict, create_model

    fields: dict[str, Any] = {
        name: ((int | None) if name in INTS else (str | None), None) for name in FIELDS
    }
    customer = create_model("Customer", __config__=ConfigDict(extra="ignore"), **fields)

    class Page(BaseModel):
        current: int
        size: int
        total: int
        records: list[customer]  # type: ignore[valid-type]

    class Envelope(BaseModel):
        code: str
        data: Page

    return Envelope


def httpx_pydantic(base: str, concurrency: int, out: str) -> int:
    """A typical hand-written SDK: sequential httpx and pydantic models."""
    envelope = _pydantic_envelope()
    records = 0
    with httpx.Client(timeout=60) as session, open(out, "w") as target:
        token = session.post(base + AUTH, json=APP, headers={"trace": "b"}).json()["data"]["token"]
        logged_in()
        current = 1
        while True:
            body = {"current": current, "size": SIZE}
            reply = session.post(base + PAGE, json=body, headers=headers(token, current))
            page = envelope.model_validate_json(reply.content).data
            for record in page.records:
                target.write(record.model_dump_json() + "\n")
            records += len(page.records)
            if current * SIZE >= page.total or not page.records:
                durable(target)
                return records
            current += 1


def bare_models() -> tuple[Any, Any]:
    """Plain msgspec Structs with the wire names: the practical limit for this data."""
    fields = [(name, (int | None) if name in INTS else (str | None), None) for name in FIELDS]
    customer = msgspec.defstruct("Customer", fields)
    page = msgspec.defstruct("Page", [("total", int), ("records", list[customer])])  # type: ignore[valid-type]
    envelope = msgspec.defstruct("Envelope", [("data", page)])
    return customer, envelope


async def bare_pages(base: str, concurrency: int) -> AsyncIterator[Any]:
    """Hand-tuned: aiohttp, msgspec typed decode, `concurrency` pages in flight, in order."""
    _, envelope = bare_models()
    decoder = msgspec.json.Decoder(envelope)
    async with aiohttp.ClientSession() as session:
        async with session.post(base + AUTH, json=APP, headers={"trace": "b"}) as r:
            token = msgspec.json.decode(await r.read())["data"]["token"]
        logged_in()

        async def fetch(current: int) -> Any:
            body = msgspec.json.encode({"current": current, "size": SIZE})
            async with session.post(base + PAGE, data=body, headers=headers(token, current)) as r:
                return decoder.decode(await r.read()).data

        first = await fetch(1)
        yield first
        last = -(-first.total // SIZE)
        window: list[asyncio.Task[Any]] = []
        next_page = 2
        while next_page <= last or window:
            while len(window) < concurrency and next_page <= last:
                window.append(asyncio.ensure_future(fetch(next_page)))
                next_page += 1
            yield await window.pop(0)


async def bare(base: str, concurrency: int, out: str) -> int:
    """The hand-tuned loop, writing each record as a JSON line with msgspec."""
    encoder = msgspec.json.Encoder()
    records = 0
    with open(out, "wb") as target:
        async for page in bare_pages(base, concurrency):
            target.write(encoder.encode_lines(page.records))
            records += len(page.records)
        durable(target)
    return records


async def sdk_walk(base: str, concurrency: int, out: str) -> int:
    """``client.customers.list().pages()``, counting records."""
    async with mm.ManagerClient("sandbox-app-id", "sandbox-app-secret", 439, base) as client:
        await client.company()
        logged_in()
        records = 0
        async for page in client.customers.list(page_size=SIZE, concurrency=concurrency).pages():
            records += len(page.records)
    return records


async def bare_walk(base: str, concurrency: int, out: str) -> int:
    """The hand-tuned loop, counting records instead of writing them."""
    records = 0
    async for page in bare_pages(base, concurrency):
        records += len(page.records)
    return records


CLIENTS: dict[str, Any] = {
    "sdk": sdk,
    "naive": naive,
    "httpx_pydantic": httpx_pydantic,
    "bare": bare,
    "sdk_walk": sdk_walk,
    "bare_walk": bare_walk,
}


def main() -> None:
    name, concurrency, base, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    run = CLIENTS[name]
    if asyncio.iscoroutinefunction(run):
        records = asyncio.run(run(base, concurrency, out))
    else:
        records = run(base, concurrency, out)
    seconds = time.perf_counter() - CLOCK["start"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"records": records, "seconds": seconds, "peak_rss_mib": peak}))


if __name__ == "__main__":
    main()
