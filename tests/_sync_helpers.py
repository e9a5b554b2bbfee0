"""Reading a synced table straight from its database, and comparing it with the sandbox.

The comparison does not use the SDK's model: the sandbox's wire names (camelCase) are turned
into column names here, so a misnamed column fails every comparison.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import anyio

from multimarkets_async.sandbox import Sandbox
from multimarkets_async.sandbox.state.customers import WIRE_FIELDS

DELETED = 3
Row = dict[str, Any]


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


COLUMNS = tuple(snake(name) for name in WIRE_FIELDS)


async def table_rows(url: str, table: str = "customers") -> dict[int, Row]:
    """Every row of ``table`` keyed by id (data columns and bookkeeping)."""
    if url.startswith("sqlite:"):
        path = url.split("://", 1)[1][1:]

        def read() -> dict[int, Row]:
            connection = sqlite3.connect(path)
            try:
                connection.row_factory = sqlite3.Row
                rows = connection.execute(f"SELECT * FROM {table}").fetchall()
                return {row["id"]: dict(row) for row in rows}
            finally:
                connection.close()

        return await anyio.to_thread.run_sync(read)
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        records = await connection.fetch(f"SELECT * FROM {table}")
        return {record["id"]: dict(record) for record in records}
    finally:
        await connection.close()


def differences(rows: dict[int, Row], sb: Sandbox, *, limit: int = 5) -> list[str]:
    """How the table differs from the sandbox's customers (empty: equal).

    Every listed customer has a row equal in every column; every other row is a customer
    the sandbox deleted, kept with status 3 (a row marked by a walk's sweep, whose last
    events were lost, keeps its last known values: nothing newer can be read of it).
    """
    problems: list[str] = []
    alive = sb.customer_records(deleted=False)
    everyone = sb.customer_records(deleted=True)
    for wire_id, record in alive.items():
        row = rows.get(wire_id)
        if row is None:
            problems.append(f"customer {wire_id} ({record['customerNo']}) has no row")
            continue
        problems += _column_differences(wire_id, row, record, swept=False)
    for wire_id, row in rows.items():
        if wire_id in alive:
            continue
        record = everyone.get(wire_id)
        if record is None:
            problems.append(f"row {wire_id} is no customer of the sandbox")
        elif row["status"] != DELETED:
            problems.append(f"row {wire_id}: deleted customer kept with status {row['status']}")
        else:
            problems += _column_differences(wire_id, row, record, swept=row["mm_source"] == "sweep")
    return problems[:limit] + (
        [f"... {len(problems) - limit} more"] if len(problems) > limit else []
    )


def _column_differences(
    wire_id: int, row: Row, record: dict[str, Any], *, swept: bool
) -> list[str]:
    out = []
    for wire_name, column in zip(WIRE_FIELDS, COLUMNS, strict=True):
        want, got = record[wire_name], row[column]
        if swept and column not in ("id", "customer_no", "company_id", "create_time", "status"):
            # Deleted while its last events were lost: the listing no longer shows it, so
            # its other columns keep their last known values (never later ones).
            if column == "update_time" and got is not None and want is not None and got > want:
                out.append(f"row {wire_id}.{column}: {got!r} is later than the sandbox's {want!r}")
            continue
        if got != want:
            out.append(f"row {wire_id}.{column}: {got!r}, the sandbox has {want!r}")
    return out


async def wait_until_equal(
    url: str, sb: Sandbox, *, table: str = "customers", within: float = 20
) -> None:
    """Wait until the table equals the sandbox's customers; fail with the differences."""
    problems: list[str] = ["never read"]
    with anyio.move_on_after(within):
        while problems:
            problems = differences(await table_rows(url, table), sb)
            if problems:
                await anyio.sleep(0.1)
    assert not problems, problems
