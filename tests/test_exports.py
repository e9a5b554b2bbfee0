"""Exports: every format round-trips, empty exports are valid, an export killed mid-way resumes."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import stat
import sys
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _helpers import environment
from _operations import PAGE
from conftest import FAST_RETRY

import multimarkets_async as mm
from multimarkets_async._progress import PlainProgress, RichProgress, expected_total
from multimarkets_async.models import dec_hook
from multimarkets_async.sandbox import Sandbox

pytestmark = [pytest.mark.anyio, pytest.mark.plain_and_secure]

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
async def test_empty_exports_are_valid_files(tmp_path: Path, suffix: str, secure: bool) -> None:
    async with (
        Sandbox(secure=secure, customers=0) as sb,
        mm.ManagerClient(**sb.credentials()) as client,
    ):
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
async def test_killed_export_resumes_with_each_record_once(
    tmp_path: Path, fmt: str, secure: bool
) -> None:
    count = 20_000
    async with Sandbox(secure=secure, customers=count, latency=0.03) as sb:
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
        pages_before = sb.calls[PAGE]
        assert pages_before < count // 250
        result = await anyio.run_process([*command, "--resume", "--quiet"], env=env, check=False)
        assert result.returncode == 0, result.stderr.decode()
        assert "resumed after" in result.stderr.decode()
        ids = [c.id for c in read_back(target, mm.Customer)]
        assert ids == sb.store.ids(0, count)  # every record exactly once, in order
        assert not checkpoint.exists()
        pages_after = sb.calls[PAGE]
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


# -- file safety ---------------------------------------------------------------------------


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
async def test_every_file_of_an_export_is_the_owners_alone(
    tmp_path: Path, suffix: str, secure: bool
) -> None:
    old = os.umask(0o022)  # the usual umask would leave them readable by everyone
    try:
        async with Sandbox(secure=secure, customers=5_000) as sb:
            target = tmp_path / f"customers{suffix}"
            sb.inject("empty_page", biz_type=PAGE, after=3, times=20)  # page 4 stays empty
            async with mm.ManagerClient(**sb.credentials(), retry=FAST_RETRY) as client:
                walk = client.customers.list(page_size=500, concurrency=1)
                with pytest.raises(mm.IncompleteExportError):
                    await mm.export(walk, target)
                left = sorted(tmp_path.rglob("*"))
                assert {p.name for p in left} >= {
                    f"customers{suffix}.checkpoint",
                    f"customers{suffix}.keys",
                    f"customers{suffix}.keys.other",
                }
                for path in left:
                    assert mode_of(path) == (0o700 if path.is_dir() else 0o600), path
                sb.clear_faults()
                await mm.export(walk, target, resume=True)
    finally:
        os.umask(old)
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    assert mode_of(target) == 0o600


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
async def test_the_caller_can_choose_the_mode(
    client: mm.ManagerClient, tmp_path: Path, suffix: str
) -> None:
    target = tmp_path / f"customers{suffix}"
    await mm.export(client.customers.list(max_items=10), target, mode=0o640)
    assert mode_of(target) == 0o640
    for mode in (0o400, 0o1777, -1, "0o600", True):
        with pytest.raises(mm.ValidationError) as caught:
            await mm.export(client.customers.list(), target, mode=mode)  # type: ignore[arg-type]
        assert caught.value.field == "mode"


# -- argument checks, before anything is requested or written -----------------------------


async def test_export_wants_a_paginator(tmp_path: Path) -> None:
    for wrong in (None, [], "customers"):
        with pytest.raises(mm.ValidationError) as caught:
            await mm.export(wrong, tmp_path / "x.jsonl")  # type: ignore[arg-type]
        assert caught.value.field == "paginator" and isinstance(caught.value, ValueError)
    assert not list(tmp_path.iterdir())


async def test_an_unknown_format_is_a_validation_error(
    client: mm.ManagerClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    for wrong in ("xlsx", "", 3):
        with pytest.raises(mm.ValidationError) as caught:
            await mm.export(client.customers.list(), tmp_path / "x.jsonl", format=wrong)  # type: ignore[arg-type]
        assert caught.value.field == "format" and "jsonl, csv, parquet" in str(caught.value)
    summary = await mm.export(client.customers.list(max_items=5), tmp_path / "y.out", format="CSV")
    assert summary.format is mm.ExportFormat.CSV
    assert sandbox.calls[PAGE] == 1


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
async def test_the_output_path_is_checked_first(
    client: mm.ManagerClient, sandbox: Sandbox, tmp_path: Path, suffix: str
) -> None:
    missing = tmp_path / "missing" / f"x{suffix}"
    with pytest.raises(mm.ValidationError) as caught:
        await mm.export(client.customers.list(), missing)
    assert caught.value.field == "path" and "does not exist" in str(caught.value)
    assert not missing.parent.exists()  # not made, for Parquet either
    (tmp_path / f"dir{suffix}").mkdir()
    with pytest.raises(mm.ValidationError, match="is a directory"):
        await mm.export(client.customers.list(), tmp_path / f"dir{suffix}")
    file = tmp_path / "file"
    file.write_text("")
    with pytest.raises(mm.ValidationError, match="is not a directory"):
        await mm.export(client.customers.list(), file / f"x{suffix}")
    assert sandbox.calls[PAGE] == 0  # nothing requested


async def test_parquet_without_pyarrow_fails_at_once(
    client: mm.ManagerClient, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(mm.ConfigurationError, match=r"multimarkets-async\[parquet\]"):
        await mm.export(client.customers.list(), tmp_path / "x.parquet")
    assert sandbox.calls[PAGE] == 0 and not list(tmp_path.iterdir())


# -- an unfinished export is never discarded silently --------------------------------------


@pytest.mark.parametrize("left", [".partial", ".parts", ".checkpoint", ".keys"])
async def test_an_unfinished_export_is_kept_unless_overwrite(
    client: mm.ManagerClient, sandbox: Sandbox, tmp_path: Path, left: str
) -> None:
    target = tmp_path / "customers.jsonl"
    leftover = tmp_path / f"customers.jsonl{left}"
    if left == ".parts":
        leftover.mkdir()
    else:
        leftover.write_bytes(b"earlier")
    with pytest.raises(mm.ConfigurationError) as caught:
        await mm.export(client.customers.list(), target)
    message = str(caught.value)
    assert leftover.name in message and "resume=True" in message and "overwrite=True" in message
    assert leftover.exists() and sandbox.calls[PAGE] == 0
    with pytest.raises(mm.ValidationError) as both:
        await mm.export(client.customers.list(), target, resume=True, overwrite=True)
    assert both.value.field == "overwrite"
    summary = await mm.export(client.customers.list(), target, overwrite=True)
    assert summary.records == 1000 and not leftover.exists()
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
async def test_a_failed_export_leaves_no_empty_files(
    sandbox: Sandbox, tmp_path: Path, suffix: str
) -> None:
    settings = sandbox.credentials() | {"app_secret": "wrong-secret"}
    async with mm.ManagerClient(**settings, retry=FAST_RETRY) as client:
        with pytest.raises(mm.AuthenticationError):
            await mm.export(client.customers.list(), tmp_path / f"x{suffix}")
    assert not list(tmp_path.iterdir())


# -- progress ------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.totals: list[int | None] = []
        self.done = 0

    def start(self, total: int | None, done: int = 0) -> None:
        self.totals.append(total)

    def advance(self, records: int) -> None:
        self.done += records

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("max_items", "expected"), [(None, 1000), (250, 250), (5000, 1000)])
async def test_progress_expects_at_most_max_items(
    client: mm.ManagerClient, tmp_path: Path, max_items: int | None, expected: int
) -> None:
    recorder = Recorder()
    walk = client.customers.list(page_size=100, max_items=max_items)
    await mm.export(walk, tmp_path / "x.jsonl", progress=recorder)
    assert recorder.totals == [expected] and recorder.done == expected


def test_plain_progress_lines_have_thousands_separators() -> None:
    stream = io.StringIO()
    progress = PlainProgress("customers", stream=stream, interval=0)
    progress.start(expected_total(120_000, 20_000), 0)
    progress.advance(12_345)
    line = stream.getvalue()
    assert line.startswith("customers: 12,345/20,000 records, ") and " s left" in line


def test_rich_progress_labels_its_times_and_separates_thousands() -> None:
    from rich.console import Console

    out = io.StringIO()
    progress = RichProgress("customers", console=Console(file=out, width=160))
    progress.start(20_000, 1_000)
    progress.advance(11_345)
    progress.close()
    text = out.getvalue()
    assert "12,345/20,000" in text and "rec/s" in text
    assert re.search(r"elapsed \d+:\d\d:\d\d", text) and re.search(r"left \S+", text)
