"""Exports interrupted while the data changes: each record once after a resume, and loud
failures instead of short files."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import anyio
import pytest
from _helpers import environment, interrupt
from _operations import PAGE
from conftest import FAST_RETRY
from test_exports import read_back

import multimarkets_async as mm
from multimarkets_async.sandbox import Sandbox

pytestmark = [pytest.mark.anyio, pytest.mark.plain_and_secure]

CLI = [sys.executable, "-m", "multimarkets_async.cli"]


def export_command(target: Path) -> list[str]:
    """Export customers to ``target``, one page of 250 at a time (slow enough to stop)."""
    command = [*CLI, "export", "customers", "--out", str(target)]
    return [*command, "--page-size", "250", "--concurrency", "1"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
async def test_resume_after_sign_ups_and_deletions_writes_each_customer_once(
    tmp_path: Path, fmt: str, how: int, secure: bool
) -> None:
    async with Sandbox(secure=secure, customers=20_000, latency=0.03) as sb:
        target = tmp_path / f"customers.{fmt}"
        command = export_command(target)
        await interrupt(command, environment(sb), tmp_path / f"{target.name}.checkpoint", how)
        assert not target.exists()  # a half-written file is never mistaken for a finished one
        signed_up = sb.sign_up(100)  # while the export is stopped
        deleted = sb.delete_customers(30)
        result = await anyio.run_process(
            [*command, "--resume", "--quiet"], env=environment(sb), check=False
        )
        assert result.returncode == 0, result.stderr.decode()
        present = sb.store.ids(0, len(sb.store))
        kept = [i for i in signed_up if i in present]  # a few may have been deleted again
        assert "resumed after" in result.stderr.decode()
        assert f"{len(kept)} signed up meanwhile" in result.stderr.decode()
    ids = [c.id for c in read_back(target, mm.Customer)]
    assert len(ids) == len(set(ids))  # none twice
    assert set(present) <= set(ids)  # every customer present at the end, sign-ups included
    assert set(ids) - set(present) <= set(deleted)  # and nothing else
    assert ids[-len(kept) :] == kept  # caught up at the front, last
    assert not list(tmp_path.glob("customers.*.*"))  # checkpoint and key log removed


async def test_resume_does_not_trust_an_echoed_current(tmp_path: Path, secure: bool) -> None:
    async with Sandbox(secure=secure, customers=20_000, latency=0.03, echo_current=1) as sb:
        target = tmp_path / "customers.jsonl"
        command = export_command(target)
        await interrupt(command, environment(sb), tmp_path / "customers.jsonl.checkpoint", 9)
        result = await anyio.run_process([*command, "--resume"], env=environment(sb), check=False)
        assert result.returncode == 0, result.stderr.decode()
        expected = sb.store.ids(0, len(sb.store))
    assert [c.id for c in read_back(target, mm.Customer)] == expected


async def test_resume_with_other_settings_names_them(tmp_path: Path, secure: bool) -> None:
    async with Sandbox(secure=secure, customers=20_000, latency=0.03) as sb:
        target = tmp_path / "customers.jsonl"
        command = export_command(target)
        await interrupt(command, environment(sb), tmp_path / "customers.jsonl.checkpoint", 9)
        other = [*CLI, "export", "customers", "--out", str(target), "--page-size", "500"]
        result = await anyio.run_process([*other, "--resume"], env=environment(sb), check=False)
    assert result.returncode == 2
    message = result.stderr.decode()
    assert "page_size: 250 in the checkpoint, 500 now" in message and "Traceback" not in message


async def test_an_export_that_comes_up_short_fails_and_can_be_resumed(
    tmp_path: Path, secure: bool
) -> None:
    async with Sandbox(secure=secure, customers=5_000) as sb:
        target = tmp_path / "customers.csv"
        sb.inject("empty_page", biz_type=PAGE, after=3, times=20)  # page 4 stays empty
        async with mm.ManagerClient(**sb.credentials(), retry=FAST_RETRY) as client:
            with pytest.raises(mm.IncompleteExportError) as caught:
                await mm.export(client.customers.list(page_size=500, concurrency=1), target)
            error = caught.value
            assert error.resumable and "records short" in str(error)
            assert error.summary.records == 1_500 and error.summary.stats.shortfall == 3_500
            assert not target.exists() and (tmp_path / "customers.csv.partial").exists()
            assert (tmp_path / "customers.csv.checkpoint").exists()
            sb.clear_faults()
            summary = await mm.export(
                client.customers.list(page_size=500, concurrency=1), target, resume=True
            )
    assert summary.exact and summary.records == 5_000 and summary.resumed_from == 1_500
    ids = [c.id for c in read_back(target, mm.Customer)]
    assert ids == list(range(5_000, 0, -1))


async def test_the_export_command_fails_loudly_when_the_listing_comes_up_short(
    tmp_path: Path,
    secure: bool,
) -> None:
    async with Sandbox(secure=secure, customers=5_000, total_override=6_000) as sb:
        target = tmp_path / "customers.jsonl"
        result = await anyio.run_process(
            [*CLI, "export", "customers", "--out", str(target), "--quiet"],
            env=environment(sb),
            check=False,
        )
    message = result.stderr.decode()
    assert result.returncode == 1
    assert "is incomplete" in message and "1000 records short" in message
    assert "--resume" in message and "Traceback" not in message
    assert not target.exists() and (tmp_path / "customers.jsonl.partial").exists()
