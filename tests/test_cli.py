"""The console commands, run as real subprocesses."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import anyio
import msgspec
import pytest
from _helpers import environment

import multimarkets_async as mm
from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

CLI = [sys.executable, "-m", "multimarkets_async.cli"]


def ids_in(path: Path) -> list[int]:
    return [msgspec.json.decode(line)["id"] for line in path.read_bytes().splitlines()]


async def test_demo_exports_every_customer(tmp_path: Path) -> None:
    out = tmp_path / "demo.jsonl"
    result = await anyio.run_process(
        [*CLI, "demo", "--customers", "12345", "--page-size", "1000", "--out", str(out)],
        check=False,
    )
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    ids = ids_in(out)
    assert len(ids) == len(set(ids)) == 12_345
    assert "verified" in stderr and "12,345 unique customer ids" in stderr
    assert "records/s" in stderr
    assert not (tmp_path / "demo.jsonl.partial").exists()


async def test_export_uses_environment_credentials(sandbox: Sandbox, tmp_path: Path) -> None:
    out = tmp_path / "customers.jsonl"
    env = environment(sandbox)
    result = await anyio.run_process(
        [*CLI, "export", "customers", "--out", str(out), "--page-size", "300"],
        env=env,
        check=False,
    )
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    assert ids_in(out) == sandbox.store.ids(0, 1000)
    assert "exported 1,000 records" in stderr
    assert sandbox.app_secret not in stderr + result.stdout.decode()


async def test_export_without_credentials_fails_clearly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MULTIMARKETS_")}
    result = await anyio.run_process(
        [*CLI, "export", "customers", "--out", str(tmp_path / "x.jsonl")], env=env, check=False
    )
    assert result.returncode == 2
    assert "MULTIMARKETS_APP_SECRET" in result.stderr.decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--fault-rate", "0.3", "--faults", "500,502,reset,downstream", "--seed", "3"],
        ["--fault", "503=0.2", "--fault", "slow=0.05", "--slow-delay", "0.05"],
    ],
)
async def test_sandbox_command_serves_the_api(options: list[str]) -> None:
    port = free_port()
    async with await anyio.open_process(
        [*CLI, "sandbox", "--customers", "2500", "--port", str(port), *options]
    ) as process:
        try:
            assert process.stdout is not None
            banner = b""
            with anyio.fail_after(20):
                while b"MULTIMARKETS_COMPANY_ID" not in banner:
                    banner += await process.stdout.receive()
            base_url = f"http://127.0.0.1:{port}/openapi-b"
            assert base_url.encode() in banner
            retry = mm.Retry(max_retries=10, base=0.001, cap=0.01)
            async with mm.ManagerClient(
                "sandbox-app-id", "sandbox-app-secret", 439, base_url, retry=retry
            ) as client:
                ids = [c.id async for c in client.customers.list(page_size=100)]
                assert ids == list(range(2500, 0, -1))
        finally:
            process.terminate()
            await process.wait()


async def test_sandbox_command_rejects_unknown_faults() -> None:
    result = await anyio.run_process(
        [*CLI, "sandbox", "--port", str(free_port()), "--faults", "500,meteor"], check=False
    )
    assert result.returncode == 2
    assert "meteor" in result.stderr.decode()
