"""The Redis test servers themselves (``tests/_redis.py`` and the fixtures of conftest.py): the
session's server answers through ``redis.asyncio``, each test starts on an empty database, a
throwaway server can be killed and then refuses connections, and a killed test process leaves
no server behind."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from _redis import RedisServer, process_running
from redis.exceptions import ConnectionError as RedisConnectionError

TESTS = Path(__file__).resolve().parent


@pytest.mark.anyio
async def test_session_server_answers(redis_url: str) -> None:
    r = aioredis.from_url(redis_url)
    try:
        assert await r.ping() is True
        assert await r.set("greeting", "hello") is True
        assert await r.get("greeting") == b"hello"
    finally:
        await r.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize("turn", ["first", "second"])
async def test_each_test_starts_empty(redis_url: str, turn: str) -> None:
    """Whichever runs second sees nothing the other left, in database 0 or 1: the server is
    flushed (``FLUSHALL``) in between."""
    assert redis_url.endswith("/0")
    for url in (redis_url, redis_url[: -len("/0")] + "/1"):
        r = aioredis.from_url(url)
        try:
            assert await r.dbsize() == 0
            await r.set(f"left-by-{turn}", "1")
        finally:
            await r.aclose()


@pytest.mark.anyio
async def test_throwaway_server_can_be_killed(
    throwaway_redis_server: RedisServer, redis_url: str
) -> None:
    server = throwaway_redis_server
    assert server.url == f"redis://127.0.0.1:{server.port}/0"
    assert server.url != redis_url
    r = aioredis.from_url(server.url)
    try:
        assert await r.set("doomed", "1") is True
        assert server.alive()
        server.kill()
        assert not server.alive()
        assert not process_running(server.pid)
        with pytest.raises(RedisConnectionError):
            await r.get("doomed")
    finally:
        await r.aclose()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
    server.kill()  # again: harmless
    # The session's server is another process, untouched.
    other = aioredis.from_url(redis_url)
    try:
        assert await other.ping() is True
    finally:
        await other.aclose()


# The killed test process: starts a server and sleeps.
_VICTIM = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from _redis import throwaway_redis
with throwaway_redis(Path(sys.argv[2])) as server:
    print(server.pid, server.port, flush=True)
    time.sleep(60)
"""

# Runs the victim and kills it with SIGKILL. A child subreaper, so that the orphaned server and
# watchdog become its children and are reaped as they exit (else they would linger as zombies
# until whatever init this machine has reaps them); it ends once they have all exited.
_SCENARIO = """
import ctypes, json, os, signal, subprocess, sys
signal.alarm(20)
sys.path.insert(0, sys.argv[1])
from _redis import command
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
    print(json.dumps({"skip": "cannot become a child subreaper"}))
    sys.exit()
victim = subprocess.Popen(
    [sys.executable, "-c", sys.argv[3], sys.argv[1], sys.argv[2]],
    stdin=subprocess.DEVNULL,
    stdout=subprocess.PIPE,
)
pid, port = map(int, victim.stdout.readline().split())
pong = command(port, "PING")
os.kill(victim.pid, signal.SIGKILL)
victim.wait()
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
print(json.dumps({"pid": pid, "port": port, "pong": pong.decode()}))
"""


def test_watchdog_stops_server_of_killed_process(redis_server_session: RedisServer) -> None:
    """A test process killed with SIGKILL (no teardown runs) leaves no server behind: the
    watchdog stops it and removes its directory. (The session's server, taken for its skip or
    fail without ``redis-server``, is untouched.)"""
    directory = Path(tempfile.mkdtemp(prefix="multimarkets-redis-"))
    try:
        done = subprocess.run(
            [sys.executable, "-c", _SCENARIO, str(TESTS), str(directory), _VICTIM],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outcome = json.loads(done.stdout)
        if "skip" in outcome:
            pytest.skip(outcome["skip"])
        assert outcome["pong"] == "PONG"
        assert not process_running(outcome["pid"]), "the watchdog did not stop the orphaned server"
        assert not directory.exists(), "the watchdog did not remove the server's directory"
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", outcome["port"]), timeout=1).close()
        assert redis_server_session.ping()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
