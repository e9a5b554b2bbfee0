"""Decode time of one 2,000-record customer page: the SDK's operation decoder against a raw
msgspec typed decode of the same bytes and the standard library's ``json.loads``.

    python benchmarks/decode_page.py
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import msgspec

from multimarkets_async.resources.customers import PAGE
from multimarkets_async.sandbox._data import generate_customer

RECORDS = 2000
ROUNDS = 200


def page_bytes() -> bytes:
    records = [generate_customer(0, i) for i in range(1, RECORDS + 1)]
    envelope = {
        "code": "0",
        "msg": "Success",
        "ok": True,
        "fail": False,
        "trace": "mm-bench",
        "bizCode": "C",
        "tm": 3,
        "msgParams": None,
        "data": {"current": 1, "size": RECORDS, "total": 200_000, "records": records},
    }
    return msgspec.json.encode(envelope)


class RawPage(msgspec.Struct):
    current: int
    size: int
    total: int
    records: list[dict[str, Any]]


def timed(decode: Callable[[bytes], object], data: bytes) -> float:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        decode(data)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    data = page_bytes()
    raw_typed = msgspec.json.Decoder(msgspec.defstruct("Env", [("data", RawPage)]))
    results = {
        "SDK (Envelope[Page[Customer]])": timed(PAGE.decoder.decode, data),
        "msgspec typed, dict records": timed(raw_typed.decode, data),
        "json.loads": timed(json.loads, data),
    }
    base = results["SDK (Envelope[Page[Customer]])"]
    print(f"one page: {RECORDS} records, {len(data) / 1e6:.2f} MB, median of {ROUNDS} rounds")
    for name, ms in results.items():
        print(f"  {name:34s} {ms:7.2f} ms   {ms / base:5.2f}x SDK")


if __name__ == "__main__":
    main()
