"""Every script in examples/ runs against the sandbox, as a user would run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from _helpers import environment

from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


async def run(sb: Sandbox, cwd: Path, script: str, *args: str) -> tuple[int, str]:
    with anyio.fail_after(60):
        result = await anyio.run_process(
            [sys.executable, "-W", "error", str(EXAMPLES / script), *args],
            env=environment(sb),
            cwd=cwd,
            check=False,
        )
    assert result.stderr == b"", result.stderr.decode()
    return result.returncode, result.stdout.decode()


def test_every_example_is_tested() -> None:
    tested = {
        "service_call.py",
        "bulk_export.py",
        "walk_with_progress.py",
        "error_handling.py",
        "webhook_wallet.py",
    }
    assert {path.name for path in EXAMPLES.glob("*.py")} == tested


async def test_service_call(tmp_path: Path) -> None:
    async with Sandbox(customers=50, seed=3, rate_limit=100, rate_window=1) as sb:
        code, out = await run(sb, tmp_path, "service_call.py", "86000001")
        assert code == 0 and "'customer_no': '86000001'" in out and "'balances'" in out
        code, out = await run(sb, tmp_path, "service_call.py", "86999999")
        assert code == 1 and out == "no customer 86999999\n"


async def test_bulk_export_writes_every_customer_once(tmp_path: Path) -> None:
    async with Sandbox(customers=5000, seed=3, insert_per_call=20) as sb:
        code, out = await run(sb, tmp_path, "bulk_export.py", "out.jsonl")
    assert code == 0 and "exact: True" in out
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert len(lines) == len(set(lines)) >= 5000
    assert (tmp_path / "out.jsonl").stat().st_mode & 0o777 == 0o600


async def test_walk_with_progress(tmp_path: Path) -> None:
    async with Sandbox(customers=2500, seed=3) as sb:
        code, out = await run(sb, tmp_path, "walk_with_progress.py")
    assert code == 0
    assert "page 3: 2,500/2,500 customers" in out and "2,500 customers in" in out
    assert out.rstrip().endswith("exact: True")


async def test_error_handling(tmp_path: Path) -> None:
    async with Sandbox(customers=50, seed=3, rate_limit=100, rate_window=1) as sb:
        code, out = await run(sb, tmp_path, "error_handling.py")
    assert code == 0, out
    assert "refused before sending: amount: must be a Decimal" in out
    assert "not found: code USCUSTOMER_API_" in out
    assert "adjusted: proposal " in out
    assert "InvalidRequestError: customer.admin.NoSuchService.call" in out
    assert "99 calls left" in out  # the hook saw the rate-limit headers


async def test_webhook_wallet(tmp_path: Path) -> None:
    async with Sandbox(customers=1) as sb:  # the example plays the platform itself
        code, out = await run(sb, tmp_path, "webhook_wallet.py")
    assert code == 0 and out.rstrip().endswith("reconciled")


def test_a_wallet_written_against_the_protocol_type_checks() -> None:
    """``mypy --strict`` on a user's wallet class (the example) passes."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(EXAMPLES / "webhook_wallet.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
