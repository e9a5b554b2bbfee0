"""The console commands' failure paths, run as real subprocesses with warnings as errors:
each prints one clear line on stderr and exits non-zero, never a traceback."""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from pathlib import Path

import anyio
import pytest
from _helpers import drain, environment, interrupt
from _operations import PAGE
from test_exports import read_back

import multimarkets_async as mm
from multimarkets_async._version import __version__
from multimarkets_async.cli import _parser
from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

CLI = [sys.executable, "-W", "error", "-m", "multimarkets_async.cli"]
NO_PYARROW = [
    sys.executable,
    "-W",
    "error",
    "-c",
    "import sys; sys.modules['pyarrow'] = None; "
    "from multimarkets_async.cli import main; sys.exit(main(sys.argv[1:]))",
]


async def run(command: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    result = await anyio.run_process(command, env=env, check=False)
    return result.returncode, result.stderr.decode()


def one_line(stderr: str) -> str:
    """The only line of ``stderr``: a failure says one thing, and never with a traceback."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["sandbox", "--customers", "-5"], "--customers"),
        (["sandbox", "--fault-rate", "2"], "--fault-rate"),
        (["sandbox", "--fault-rate", "nan"], "--fault-rate"),
        (["sandbox", "--port", "99999"], "--port"),
        (["sandbox", "--latency", "-0.5"], "--latency"),
        (["sandbox", "--slow-delay", "-1"], "--slow-delay"),
        (["sandbox", "--retry-after", "-1"], "--retry-after"),
        (["sandbox", "--rate-window", "0"], "--rate-window"),
        (["sandbox", "--rate-limit", "0"], "--rate-limit"),
        (["sandbox", "--insert-per-call", "-1"], "--insert-per-call"),
        (["sandbox", "--fault", "502=1.5"], "--fault"),
        (["sandbox", "--repeat-page", "0=1"], "--repeat-page"),
        (["demo", "--customers", "-1"], "--customers"),
        (["export", "customers", "--page-size", "0"], "--page-size"),
        (["export", "customers", "--page-size", "5000"], "--page-size"),
        (["export", "customers", "--concurrency", "0"], "--concurrency"),
        (["export", "customers", "--concurrency", "100"], "--concurrency"),
        (["export", "customers", "--max-items", "-1"], "--max-items"),
        (["export", "customers", "--resume", "--overwrite"], "--overwrite"),
        (["export", "customers", "--format", "xlsx"], "--format"),
        (["export", "customers", "--customer-group-id", "2"], "--customer-group-id"),
        (["export", "customers", "--customer-id", "2"], "--customer-id"),
        (["export", "customers", "--trade-type", "1"], "--trade-type"),
        (["export", "customers", "--symbol-id", "1"], "--symbol-id"),
        (["export", "customers", "--business-type", "1"], "--business-type"),
        (["export", "customers", "--start-time", "1"], "--start-time"),
        (["export", "customers", "--end-time", "1"], "--end-time"),
        (["export", "positions", "--trade-type", "1", "--business-type", "3"], "--business-type"),
        (["export", "capital-flow", "--trade-type", "1", "--symbol-id", "3"], "--symbol-id"),
        (["export", "capital-flow", "--trade-type", "1"], "--customer-id"),
    ],
)
async def test_bad_options_are_rejected_with_one_line(
    tmp_path: Path, options: list[str], named: str
) -> None:
    if options[0] == "export":
        options = [*options, "--out", str(tmp_path / "x.jsonl")]
    code, stderr = await run([*CLI, *options])
    assert code == 2
    line = one_line(stderr)
    assert named in line and "error" in line
    assert not list(tmp_path.iterdir())


async def test_options_a_listing_does_not_take_are_all_named(tmp_path: Path) -> None:
    out = str(tmp_path / "x.jsonl")
    command = ["export", "customers", "--start-time", "1", "--symbol-id", "3", "--out", out]
    code, stderr = await run([*CLI, *command])
    assert code == 2
    assert "export customers does not take --symbol-id, --start-time" in one_line(stderr)


async def test_sandbox_on_a_busy_port_says_so() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, stderr = await run([*CLI, "sandbox", "--port", str(port)])
    assert code == 1
    line = one_line(stderr)
    assert f"cannot listen on 127.0.0.1:{port}" in line and "in use" in line


async def test_version() -> None:
    result = await anyio.run_process([*CLI, "--version"], check=False)
    assert result.returncode == 0
    assert result.stdout.decode().strip() == f"multimarkets-async {__version__}"


async def test_export_help_names_the_credentials_and_defaults() -> None:
    result = await anyio.run_process([*CLI, "export", "--help"], check=False)
    text = " ".join(result.stdout.decode().split())
    assert result.returncode == 0
    for variable in ("APP_ID", "APP_SECRET", "COMPANY_ID", "BASE_URL"):
        assert f"MULTIMARKETS_{variable}" in text
    assert "--base-url" in text and "--overwrite" in text
    assert "(default: 2000)" in text and "(default: 4)" in text


def test_every_option_has_help_and_shows_its_default() -> None:
    parser = _parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in commands.choices.items():
        formatter = command._get_formatter()
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"{name} {action.dest} has no help"
            text = formatter._get_help_string(action)
            if action.option_strings and not action.required:
                assert "(default" in text, f"{name} {action.option_strings} hides its default"


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
async def test_a_missing_directory_fails_alike_for_every_format(
    sandbox: Sandbox, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / "missing" / f"x{suffix}"
    code, stderr = await run([*CLI, "export", "customers", "--out", str(out)], environment(sandbox))
    assert code == 2
    line = one_line(stderr)
    assert line == f"error: path: the directory {str(out.parent)!r} of {str(out)!r} does not exist"
    assert not out.parent.exists() and sandbox.calls[PAGE] == 0


async def test_a_directory_as_output_fails_before_the_download(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    code, stderr = await run(
        [*CLI, "export", "customers", "--out", str(tmp_path), "--format", "csv"],
        environment(sandbox),
    )
    assert code == 2
    assert "is a directory" in one_line(stderr)
    assert sandbox.calls[PAGE] == 0


async def test_parquet_without_pyarrow_names_the_extra(sandbox: Sandbox, tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    code, stderr = await run(
        [*NO_PYARROW, "export", "customers", "--out", str(out)], environment(sandbox)
    )
    assert code == 2
    line = one_line(stderr)
    assert "pyarrow" in line and "multimarkets-async[parquet]" in line
    assert not list(tmp_path.iterdir()) and sandbox.calls[PAGE] == 0


async def test_failed_authentication_leaves_no_files(sandbox: Sandbox, tmp_path: Path) -> None:
    env = environment(sandbox) | {"MULTIMARKETS_APP_SECRET": "wrong"}
    for suffix in (".jsonl", ".csv", ".parquet"):
        code, stderr = await run(
            [*CLI, "export", "customers", "--out", str(tmp_path / f"x{suffix}")], env
        )
        assert code == 1
        assert one_line(stderr).startswith("error: ")
    assert not list(tmp_path.iterdir())  # no empty .partial, .parts, key log or checkpoint


async def test_an_unfinished_export_is_not_discarded_silently(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    out = tmp_path / "customers.jsonl"
    partial = tmp_path / "customers.jsonl.partial"
    partial.write_bytes(b'{"id": 1}\n')
    command = [*CLI, "export", "customers", "--out", str(out), "--quiet"]
    code, stderr = await run(command, environment(sandbox))
    assert code == 2
    line = one_line(stderr)
    assert "customers.jsonl.partial" in line and "--resume" in line and "--overwrite" in line
    assert partial.read_bytes() == b'{"id": 1}\n' and sandbox.calls[PAGE] == 0
    code, stderr = await run([*command, "--overwrite"], environment(sandbox))
    assert code == 0, stderr
    assert len(read_back(out, mm.Customer)) == 1000 and not partial.exists()


async def test_base_url_option_overrides_the_environment(sandbox: Sandbox, tmp_path: Path) -> None:
    env = environment(sandbox) | {"MULTIMARKETS_BASE_URL": "http://127.0.0.1:9/openapi-b"}
    out = tmp_path / "x.jsonl"
    command = [*CLI, "export", "customers", "--out", str(out), "--quiet"]
    code, stderr = await run([*command, "--base-url", sandbox.base_url], env)
    assert code == 0, stderr
    assert len(read_back(out, mm.Customer)) == 1000


@pytest.mark.parametrize(("how", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
async def test_a_stopped_export_says_how_to_continue_and_keeps_its_checkpoint(
    tmp_path: Path, how: int, status: int
) -> None:
    async with Sandbox(customers=20_000, latency=0.03) as sb:
        env = environment(sb)
        target = tmp_path / "customers.csv"
        checkpoint = tmp_path / "customers.csv.checkpoint"
        command = ["export", "customers", "--out", str(target), "--page-size", "250"]
        command += ["--concurrency", "1", "--quiet"]
        code, stderr = await interrupt([*CLI, *command], env, checkpoint, how)
        assert code == status
        line = one_line(stderr)
        again = f"multimarkets-async {' '.join(command)} --resume"
        assert line.startswith("interrupted: ") and line.endswith(f"continue it with: {again}")
        assert checkpoint.exists() and not target.exists()
        pages_before = sb.calls[PAGE]
        code, stderr = await run([*CLI, *command, "--resume"], env)
        assert code == 0, stderr
        assert "resumed after" in stderr
        assert sb.calls[PAGE] - pages_before < 20_000 // 250  # it did not start over
        expected = sb.store.ids(0, 20_000)
    assert [c.id for c in read_back(target, mm.Customer)] == expected
    assert not checkpoint.exists()


async def test_a_stopped_sandbox_says_so() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = await anyio.open_process([*CLI, "sandbox", "--customers", "10", "--port", str(port)])
    async with process:
        assert process.stdout is not None and process.stderr is not None
        banner = b""
        with anyio.fail_after(20):
            while b"MULTIMARKETS_COMPANY_ID" not in banner:
                banner += await process.stdout.receive()
        process.terminate()
        await process.wait()
        stderr = await drain(process.stderr)
    assert process.returncode == 143
    assert one_line(stderr) == "sandbox stopped"


LIMITED_FILE_SIZE = [
    sys.executable,
    "-W",
    "error",
    "-c",
    "import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
    "resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000)); "
    "from multimarkets_async.cli import main; sys.exit(main(sys.argv[1:]))",
]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
async def test_a_full_disk_is_one_line_and_the_export_resumes_once_there_is_room(
    sandbox: Sandbox, tmp_path: Path, suffix: str
) -> None:
    """A write that fails midway (here: a file size limit, like a full disk) ends the export
    with ``ExportFileError``, one line and exit 1; what was written stays resumable."""
    out = tmp_path / f"customers{suffix}"
    command = ["export", "customers", "--out", str(out), "--quiet", "--page-size", "100"]
    code, stderr = await run([*LIMITED_FILE_SIZE, *command], environment(sandbox))
    assert code == 1
    line = one_line(stderr)
    assert "could not be written" in line and "File too large" in line, line
    assert not out.exists()
    code, stderr = await run([*CLI, *command, "--resume"], environment(sandbox))
    assert code == 0, stderr
    records = read_back(out, mm.Customer)
    assert len(records) == len({r.id for r in records}) == 1000
