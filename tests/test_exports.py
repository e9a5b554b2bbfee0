"""Exports: every format round-trips, empty exports are valid, an export killed mid-way resumes."""

from __future__ import annotations

import csv
import signal
import sys
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _helpers import environment

import multimarkets_async as mm
from multimarkets_async.models import dec_hook
from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

CLI = [sys.executable, "-m", "multimarkets_async.cli"]


def read_back(path: Path, model: type[Any]) -> list[Any]:
    """Records of an export file, decoded into ``model`` with the same rules as the API."""
    if path.suffix == ".jsonl":
        decoder = msgspec.json.Decoder(model, dec_hook=dec_hook)
        return [decoder.decode(line) for line in path.read_bytes().splitlines()]
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as source:
            rows = [
                {k: (v if v != "" else None) for k, v in row.items()}
                for row in csv.DictReader(source)
            ]
        return msgspec.convert(rows, list[model], strict=False, dec_hook=dec_hook)
    rows = pq.read_table(path).to_pylist()
    return msgspec.convert(rows, list[model], strict=False, dec_hook=dec_hook)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
async def test_customers_round_trip(
    client: mm.ManagerClient, sandbox: Sandbox, tmp_path: Path, suffix: str
) -> None:
    expected = [c async for c in client.customers.list(page_size=300)]
    target = tmp_path / f"customers{suffix}"
    summary = await mm.export(client.customers.list(page_size=300), target)
    assert summary.records == 1000 and summary.pages == 4 and not summary.drifted
    assert summary.format.value == suffix[1:]
    assert read_back(target, mm.Customer) == expected  # same records, same types, nulls kept
    assert any(c.email is None for c in expected)
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob("*.checkpoint"))


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
async def test_positions_round_trip_with_decimals(
    client: mm.ManagerClient, tmp_path: Path, suffix: str
) -> None:
    walk = client.trade.all_positions(trade_type=1, page_size=100)
    expected = [p async for p in walk]
    target = tmp_path / f"positions{suffix}"
    await mm.export(client.trade.all_positions(trade_type=1, page_size=100), target)
    back = read_back(target, mm.Position)
    assert back == expected
    assert (
        isinstance(back[0].open_price, mm.Amount) and back[0].open_price == expected[0].open_price
    )


async def test_parquet_schema_comes_from_the_model(
    client: mm.ManagerClient, tmp_path: Path
) -> None:
    target = tmp_path / "flow.parquet"
    number = "86000001"
    walk = client.trade.capital_flow(
        customer_id=1, customer_group_id=1, customer_no=number, trade_type=1
    )
    summary = await mm.export(walk, target)
    schema = pq.read_schema(target)
    assert schema.field("bookkeepId").type == pa.int64()
    assert schema.field("customerNo").type == pa.string()
    assert pa.types.is_decimal(schema.field("amountIn").type)
    assert all(field.nullable for field in schema)
    assert pq.ParquetFile(target).metadata.num_row_groups == summary.pages
    assert pq.ParquetFile(target).metadata.num_rows == summary.records == 2_345


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
async def test_empty_exports_are_valid_files(tmp_path: Path, suffix: str) -> None:
    async with Sandbox(customers=0) as sb, mm.ManagerClient(**sb.credentials()) as client:
        target = tmp_path / f"none{suffix}"
        summary = await mm.export(client.customers.list(), target)
    assert summary.records == 0
    assert target.exists()
    assert read_back(target, mm.Customer) == []
    if suffix == ".csv":
        header = target.read_text().splitlines()
        assert len(header) == 1 and header[0].split(",")[:2] == ["id", "customerNo"]
    if suffix == ".parquet":
        assert pq.read_schema(target).names[:2] == ["id", "customerNo"]
        assert pq.read_table(target).num_rows == 0


async def test_format_is_explicit_or_from_extension(
    client: mm.ManagerClient, tmp_path: Path
) -> None:
    target = tmp_path / "customers.data"
    with pytest.raises(mm.ValidationError):
        await mm.export(client.customers.list(), target)
    summary = await mm.export(client.customers.list(max_items=10), target, format="csv")
    assert summary.records == 10 and len(target.read_text().splitlines()) == 11


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
async def test_killed_export_resumes_with_each_record_once(tmp_path: Path, fmt: str) -> None:
    count = 20_000
    async with Sandbox(customers=count, latency=0.03) as sb:
        env = environment(sb)
        target = tmp_path / f"customers.{fmt}"
        command = [
            *CLI,
            "export",
            "customers",
            "--out",
            str(target),
            "--page-size",
            "250",
            "--concurrency",
            "1",
        ]
        checkpoint = tmp_path / f"customers.{fmt}.checkpoint"
        process = await anyio.open_process(command, env=env)
        async with process:
            with anyio.fail_after(30):
                while not checkpoint.exists():
                    await anyio.sleep(0.05)
            process.send_signal(signal.SIGKILL)  # kill -9, mid-export
            await process.wait()
        assert not target.exists()  # a half-written file is never mistaken for a finished one
        pages_before = sb.calls["customer.admin.WhiteCustomerAdminApiService.page"]
        assert pages_before < count // 250
        result = await anyio.run_process([*command, "--resume", "--quiet"], env=env, check=False)
        assert result.returncode == 0, result.stderr.decode()
        assert "resumed after" in result.stderr.decode()
        ids = [c.id for c in read_back(target, mm.Customer)]
        assert ids == sb.store.ids(0, count)  # every record exactly once, in order
        assert not checkpoint.exists()
        pages_after = sb.calls["customer.admin.WhiteCustomerAdminApiService.page"]
        assert pages_after - pages_before < count // 250  # it did not start over


async def test_progress_lines_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    result = await anyio.run_process(
        [
            *CLI,
            "demo",
            "--customers",
            "30000",
            "--page-size",
            "500",
            "--concurrency",
            "1",
            "--out",
            str(tmp_path / "d.jsonl"),
        ],
        check=False,
    )
    quiet = await anyio.run_process(
        [*CLI, "demo", "--customers", "3000", "--quiet", "--out", str(tmp_path / "q.jsonl")],
        check=False,
    )
    assert result.returncode == 0 and quiet.returncode == 0
    assert "exported 30,000 records" in result.stderr.decode()
    assert "customers: " not in quiet.stderr.decode()


async def test_export_command_for_positions_and_capital_flow(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    env = environment(sandbox)
    positions = tmp_path / "positions.csv"
    result = await anyio.run_process(
        [*CLI, "export", "positions", "--trade-type", "2", "--out", str(positions), "--quiet"],
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    rows = read_back(positions, mm.Position)
    assert rows and all(p.trade_type == 2 for p in rows)
    flow = tmp_path / "flow.jsonl"
    missing = await anyio.run_process(
        [*CLI, "export", "capital-flow", "--trade-type", "1", "--out", str(flow)],
        env=env,
        check=False,
    )
    assert missing.returncode == 2 and "--customer-id" in missing.stderr.decode()
    result = await anyio.run_process(
        [
            *CLI,
            "export",
            "capital-flow",
            "--customer-id",
            "1",
            "--customer-group-id",
            "1",
            "--customer-no",
            "86000001",
            "--trade-type",
            "1",
            "--out",
            str(flow),
            "--quiet",
        ],
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert len(read_back(flow, mm.CapitalFlowEntry)) == 2_345
