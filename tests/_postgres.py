"""A throwaway PostgreSQL server for the test session.

``throwaway_postgres(directory)`` runs ``initdb`` in ``directory``, starts the server on a free
port of 127.0.0.1 (its unix socket in ``directory`` too, ``fsync`` off), creates a database and
yields its URL; on leaving, the server is stopped at once (``pg_ctl stop -m immediate``). Should
the test process be killed first, a watchdog process stops the server and removes the directory.

PostgreSQL refuses to run as root: under root the binaries run as the ``postgres`` system user
(else ``nobody``), owning ``directory``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SKIP_VARIABLE = "MULTIMARKETS_SKIP_POSTGRES"
BINARIES = ("initdb", "pg_ctl", "postgres")
USER = "mm"
DATABASE = "mm_test"
START_TRIES = 3


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


@dataclass(frozen=True)
class Server:
    """A server: its binaries, data directory, the user running them, port and password."""

    bin_dir: Path
    data: Path
    run_as: str | None
    port: int
    password: str

    def url(self, database: str) -> str:
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"


def _version_key(path: str) -> tuple[int, ...]:
    """``/usr/lib/postgresql/15/bin`` → ``(15,)``, for picking the newest."""
    return tuple(int(part) for part in re.findall(r"\d+", path))


def find_bin_dir() -> Path:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``: that of ``initdb`` on
    PATH, else the newest ``/usr/lib/postgresql/*/bin``."""
    candidates: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path is not None:
        candidates.append(Path(on_path).resolve().parent)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    candidates += [Path(path) for path in found]
    for directory in candidates:
        if all(os.access(directory / name, os.X_OK) for name in BINARIES):
            return directory
    raise PostgresMissing(
        "the PostgreSQL tests need a PostgreSQL server (initdb, pg_ctl and postgres on PATH or "
        "in /usr/lib/postgresql/*/bin): install it, e.g. `apt-get install postgresql`, or set "
        f"{SKIP_VARIABLE}=1 to skip them"
    )


def _unprivileged_user() -> str | None:
    """Who runs the binaries: ``None`` (this process's user) unless that is root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise PostgresMissing("running as root and neither a `postgres` nor a `nobody` user exists")


def _as_user(user: str | None, command: list[str]) -> list[str]:
    """``command`` run as ``user`` (``runuser``, else ``setpriv``)."""
    if user is None:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--", *command]
    entry = pwd.getpwnam(user)
    return [
        "setpriv",
        f"--reuid={entry.pw_uid}",
        f"--regid={entry.pw_gid}",
        "--clear-groups",
        *command,
    ]


def _run(server_user: str | None, command: list[str], cwd: Path) -> None:
    """Run ``command`` (as ``server_user``), failing with its output when it fails."""
    done = subprocess.run(
        _as_user(server_user, command),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout}{done.stderr}"
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _give(path: Path, user: str | None) -> None:
    """Make ``path`` (and what is in it) ``user``'s."""
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for item in [path, *path.rglob("*")]:
        os.chown(item, entry.pw_uid, entry.pw_gid)


def _init(directory: Path) -> Server:
    """``initdb`` in ``directory / "data"``, with a password for TCP connections."""
    bin_dir = find_bin_dir()
    user = _unprivileged_user()
    password = secrets.token_urlsafe(12)
    (directory / "password").write_text(password + "\n")
    _give(directory, user)
    directory.chmod(0o700)
    data = directory / "data"
    _run(
        user,
        [
            str(bin_dir / "initdb"),
            "--pgdata",
            str(data),
            "--username",
            USER,
            "--pwfile",
            str(directory / "password"),
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        ],
        directory,
    )
    return Server(bin_dir, data, user, 0, password)


def _start(server: Server, directory: Path) -> Server:
    """Start ``server`` on a free port (a few tries: another process may take the port)."""
    failure: Exception | None = None
    for _ in range(START_TRIES):
        port = _free_port()
        settings = (
            "listen_addresses = '127.0.0.1'\n"
            f"port = {port}\n"
            f"unix_socket_directories = '{directory}'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        )
        (directory / "test.conf").write_text(settings)
        _give(directory / "test.conf", server.run_as)
        conf = server.data / "postgresql.conf"
        include = f"include = '{directory / 'test.conf'}'\n"
        if include not in conf.read_text():
            with conf.open("a") as lines:
                lines.write("\n" + include)
        try:
            _run(
                server.run_as,
                [
                    str(server.bin_dir / "pg_ctl"),
                    "start",
                    "--pgdata",
                    str(server.data),
                    "--wait",
                    "--timeout=60",
                    "--log",
                    str(directory / "server.log"),
                ],
                directory,
            )
        except RuntimeError as exc:
            failure = exc
            continue
        return Server(server.bin_dir, server.data, server.run_as, port, server.password)
    log = directory / "server.log"
    raise RuntimeError(f"{failure}\n{log.read_text() if log.exists() else ''}")


def _stop_command(server: Server) -> list[str]:
    pg_ctl = str(server.bin_dir / "pg_ctl")
    return _as_user(
        server.run_as, [pg_ctl, "stop", "--pgdata", str(server.data), "-m", "immediate"]
    )


def _stop(server: Server, directory: Path) -> None:
    subprocess.run(
        _stop_command(server),
        cwd=directory,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )


def _watchdog(server: Server, directory: Path) -> subprocess.Popen[bytes]:
    """A process that stops the server and removes ``directory`` should this one die first
    (killed: no ``finally`` runs)."""
    return subprocess.Popen(
        [sys.executable, __file__, str(os.getpid()), str(directory), *_stop_command(server)],
        cwd=directory,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # pg_ctl starts the server in a session of its own, so it outlives a kill of this
        # process group: so must the watchdog.
        start_new_session=True,
    )


def _watch(parent: int, directory: Path, stop: list[str]) -> None:
    """Wait while ``parent`` lives and the server runs; when ``parent`` dies first, stop the
    server and remove its directory."""
    pid_file = directory / "data" / "postmaster.pid"
    while pid_file.exists():
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            subprocess.run(
                stop, cwd="/", stdin=subprocess.DEVNULL, capture_output=True, check=False
            )
            shutil.rmtree(directory, ignore_errors=True)
            return
        time.sleep(1)


def _create_database(server: Server, directory: Path) -> None:
    """``CREATE DATABASE`` with ``psql`` through the unix socket (trusted: no password)."""
    psql = server.bin_dir / "psql"
    _run(
        server.run_as,
        [
            str(psql) if psql.exists() else "psql",
            "--quiet",
            "--no-psqlrc",
            "--set=ON_ERROR_STOP=1",
            "--host",
            str(directory),
            "--port",
            str(server.port),
            "--username",
            USER,
            "--dbname",
            "postgres",
            "--command",
            f"CREATE DATABASE {DATABASE}",
        ],
        directory,
    )


@contextlib.contextmanager
def throwaway_postgres(directory: Path) -> Iterator[str]:
    """A new server with data in ``directory`` (empty, on a path every user may reach); yields
    the URL of its database ``mm_test`` and stops the server on leaving."""
    server = _start(_init(directory), directory)
    watchdog = _watchdog(server, directory)
    try:
        _create_database(server, directory)
        yield server.url(DATABASE)
    finally:
        watchdog.terminate()
        watchdog.wait()
        _stop(server, directory)


if __name__ == "__main__":
    _watch(int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:])
