"""A throwaway Redis server for the tests.

``throwaway_redis(directory)`` starts ``redis-server`` (no configuration file, nothing saved to
disk, its log in ``directory``) on a free port of 127.0.0.1, waits until it answers ``PING``
and yields a ``RedisServer``; on leaving, the server is stopped (SIGTERM, then SIGKILL should it
linger). Should the test process be killed first, a watchdog process stops the server and
removes the directory.

The server is spoken to here with a few lines of raw RESP over a socket: no client library is
needed to start, check or flush it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

SKIP_VARIABLE = "MULTIMARKETS_SKIP_REDIS"
BINARY = "redis-server"
START_TRIES = 3
START_TIMEOUT = 10.0  # seconds for a started server to answer PING
STOP_TIMEOUT = 3.0  # seconds between SIGTERM and SIGKILL
WATCH_INTERVAL = 0.2  # seconds between the watchdog's looks at the test process
LOG_NAME = "redis-server.log"

Reply = bytes | int | list["Reply"] | None


class RedisMissing(RuntimeError):
    """No ``redis-server`` on this machine."""


class RedisReplyError(RuntimeError):
    """The server answered a command with an error."""


def find_redis_server() -> Path:
    """The ``redis-server`` binary: on PATH, else in ``/usr/bin`` or ``/usr/local/bin``."""
    candidates: list[Path] = []
    on_path = shutil.which(BINARY)
    if on_path is not None:
        candidates.append(Path(on_path))
    candidates += [Path("/usr/bin") / BINARY, Path("/usr/local/bin") / BINARY]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise RedisMissing(
        f"the Redis tests need a Redis server ({BINARY} on PATH): install it, e.g. "
        f"`apt-get install redis-server`, or set {SKIP_VARIABLE}=1 to skip them"
    )


# -- a little RESP --------------------------------------------------------------------------


def _encode(*args: str | bytes | int) -> bytes:
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts += [f"${len(data)}\r\n".encode(), data, b"\r\n"]
    return b"".join(parts)


def _read_reply(stream: BinaryIO) -> Reply:
    """One RESP2 reply from ``stream`` (a buffered binary file of the socket)."""
    line = stream.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("the Redis server closed the connection mid-reply")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest
    if kind == b"-":
        raise RedisReplyError(rest.decode(errors="replace"))
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data = stream.read(size + 2)
        if len(data) != size + 2:
            raise ConnectionError("the Redis server closed the connection mid-reply")
        return bytes(data[:-2])
    if kind == b"*":
        count = int(rest)
        return None if count < 0 else [_read_reply(stream) for _ in range(count)]
    raise ConnectionError(f"not a RESP reply: {line!r}")


def command(
    port: int, *args: str | bytes | int, host: str = "127.0.0.1", timeout: float = 5.0
) -> Reply:
    """Send one command to the server at ``host:port`` on a new connection; its reply."""
    with socket.create_connection((host, port), timeout=timeout) as connection:
        connection.sendall(_encode(*args))
        with connection.makefile("rb") as stream:
            return _read_reply(stream)


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "redis":
        raise ValueError(f"not a redis:// URL: {url!r}")
    return parts.hostname or "127.0.0.1", parts.port or 6379


def flush(url: str) -> None:
    """``FLUSHALL`` on the server of ``url`` (every database of it)."""
    host, port = _address(url)
    reply = command(port, "FLUSHALL", host=host)
    if reply != b"OK":
        raise RedisReplyError(f"FLUSHALL answered {reply!r}")


# -- processes ------------------------------------------------------------------------------


def process_running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (a dead process nobody has reaped:
    an orphan's new parent may be slow to reap, or never)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel, zombies included
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RedisServer:
    """A running ``redis-server``: its port, URL (database 0) and process id."""

    port: int
    url: str
    pid: int
    directory: Path
    _process: subprocess.Popen[bytes] = field(repr=False, compare=False)

    def alive(self) -> bool:
        """Whether the server process is still running."""
        return self._process.poll() is None

    def ping(self) -> bool:
        """Whether the server answers ``PING`` now."""
        try:
            return command(self.port, "PING", timeout=2.0) == b"PONG"
        except (OSError, RedisReplyError):
            return False

    def kill(self) -> None:
        """SIGKILL the server now and wait until it has exited (Redis dying mid-run)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()

    def stop(self) -> None:
        """Stop the server: SIGTERM, then SIGKILL if it has not exited in a few seconds."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process.wait()

    def log(self) -> str:
        """What the server wrote to its log."""
        path = self.directory / LOG_NAME
        return path.read_text(errors="replace") if path.exists() else ""


def _wait_until_up(process: subprocess.Popen[bytes], port: int) -> bool:
    """Whether ``process`` answers ``PING`` on ``port`` in time (``False`` once it exits: the
    port was taken, most likely)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if command(port, "PING", timeout=1.0) == b"PONG":
                # Ours, not some other server that holds the port?
                info = command(port, "INFO", "server", timeout=1.0)
                return isinstance(info, bytes) and f"process_id:{process.pid}\r".encode() in info
        except (OSError, RedisReplyError):
            pass
        time.sleep(0.01)
    return False


def _start(directory: Path) -> RedisServer:
    """Start ``redis-server`` on a free port (a few tries: another process may take the
    port between our probe and the server's bind)."""
    binary = find_redis_server()
    log_path = directory / LOG_NAME
    for _ in range(START_TRIES):
        port = _free_port()
        arguments = [
            str(binary),
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--save", "",
            "--appendonly", "no",
            "--dir", str(directory),
            "--daemonize", "no",
            "--protected-mode", "no",
        ]  # fmt: skip
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                arguments,
                cwd=directory,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Not in our process group: a Ctrl-C there must not take the server down
                # before the fixtures' teardown; the watchdog covers our dying.
                start_new_session=True,
            )
        if _wait_until_up(process, port):
            return RedisServer(port, f"redis://127.0.0.1:{port}/0", process.pid, directory, process)
        if process.poll() is None:
            process.kill()
        process.wait()
    log_text = log_path.read_text(errors="replace") if log_path.exists() else ""
    raise RuntimeError(f"{BINARY} did not start in {START_TRIES} tries:\n{log_text}")


def _watchdog(server: RedisServer, directory: Path) -> subprocess.Popen[bytes]:
    """A process that stops the server and removes ``directory`` should this one die first
    (killed: no ``finally`` runs)."""
    return subprocess.Popen(
        [sys.executable, __file__, str(os.getpid()), str(server.pid), str(directory)],
        cwd=directory,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Outlives a kill of this process group, like the server.
        start_new_session=True,
    )


def _watch(parent: int, server: int, directory: Path) -> None:
    """Wait while ``parent`` and the server run; when ``parent`` dies first, stop the server
    (SIGTERM, then SIGKILL) and remove its directory."""
    while process_running(server):
        if not process_running(parent):
            _signal(server, signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT
            while process_running(server) and time.monotonic() < deadline:
                time.sleep(0.05)
            if process_running(server):
                _signal(server, signal.SIGKILL)
            shutil.rmtree(directory, ignore_errors=True)
            return
        time.sleep(WATCH_INTERVAL)


@contextlib.contextmanager
def throwaway_redis(directory: Path) -> Iterator[RedisServer]:
    """A new ``redis-server`` working in ``directory`` (an empty one); yields it and stops it on
    leaving (unless a test has killed it already)."""
    server = _start(directory)
    try:
        watchdog = _watchdog(server, directory)
    except BaseException:
        server.stop()
        raise
    try:
        yield server
    finally:
        watchdog.terminate()
        watchdog.wait()
        server.stop()


if __name__ == "__main__":
    _watch(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
