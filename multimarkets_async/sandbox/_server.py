"""Runs the sandbox application on a loopback port, in-process or as a command."""

from __future__ import annotations

import os
import random
from collections import Counter
from types import TracebackType
from typing import Any

from aiohttp import web

from ._app import CONTROL_PATH, SandboxApp
from ._backoffice import Backoffice
from ._config import SandboxConfig
from ._data import CustomerStore
from ._faults import Fault, FaultKind

SHUTDOWN_GRACE = 0.25
"""Seconds a stopping sandbox lets requests in progress finish."""


class Sandbox:
    """A local, faithful stand-in for the MultiMarkets Manager API.

    ::

        async with Sandbox(customers=10_000) as sb:
            client = ManagerClient(**sb.credentials())

    Settings are the fields of :class:`SandboxConfig`: ``customers`` (generated,
    deterministic for a ``seed``), ``token_ttl`` (seconds a token lives; None = forever),
    ``latency`` (seconds added to every call), ``rate_limit`` (calls per ``rate_window``
    seconds per endpoint; None = unlimited), ``total_bias`` (page totals off by this much),
    ``fault_rate`` / ``fault_kinds`` / ``slow_delay`` / ``retry_after`` (seeded random faults),
    ``insert_per_call`` / ``delete_per_call`` (live changes while clients walk the list);
    paging quirks of every paged listing: ``ignore_current``, ``echo_current``,
    ``total_override``, ``repeat_pages``; ``id_style`` ("snowflake": 64-bit customer ids on
    the wire); ledgers: ``ledger_null_keys``, ``ledger_size``, ``ledger_insert_per_call``.

    ``calls`` counts requests per bizType; ``statuses`` counts ``(bizType, HTTP status)``;
    ``inject`` scripts a fault for the next matching requests; ``sign_up`` and
    ``delete_customers`` change the data (``control_url`` does it over HTTP).
    """

    def __init__(
        self, customers: int = 1000, *, host: str = "127.0.0.1", port: int = 0, **settings: Any
    ) -> None:
        self._app = SandboxApp(SandboxConfig(customers=customers, **settings))
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def __repr__(self) -> str:
        return (
            f"<Sandbox {self.base_url if self.port else 'not started'} customers={len(self.store)}>"
        )

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        # Stopping abandons requests still held (slow faults, long latency) after a short grace,
        # rather than aiohttp's default minute.
        runner = web.AppRunner(
            self._app.make_app(),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=SHUTDOWN_GRACE,
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        try:
            await site.start()
        except OSError as exc:  # the port is taken or not ours, the host unknown
            await runner.cleanup()
            reason = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else exc.strerror
            raise OSError(
                exc.errno,
                f"the sandbox cannot listen on {self._host}:{self._port}: {reason or exc}",
            ) from None
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- what a client needs ----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the sandbox is not started")
        return f"http://{self._host}:{self.port}/openapi-b"

    @property
    def app_id(self) -> str:
        return self._app.config.app_id

    @property
    def app_secret(self) -> str:
        return self._app.config.app_secret

    @property
    def company_id(self) -> int:
        return self._app.config.company_id

    @property
    def control_url(self) -> str:
        """``POST`` ``{"signUps": n, "deletions": m}`` here to change the customers."""
        if self.port is None:
            raise RuntimeError("the sandbox is not started")
        return f"http://{self._host}:{self.port}{CONTROL_PATH}"

    def credentials(self) -> dict[str, Any]:
        """Keyword arguments for ``ManagerClient`` pointing at this sandbox."""
        return {
            "app_id": self.app_id,
            "app_secret": self.app_secret,
            "company_id": self.company_id,
            "base_url": self.base_url,
        }

    # -- observation and control ------------------------------------------------------------

    @property
    def calls(self) -> Counter[str]:
        return self._app.state.calls

    @property
    def statuses(self) -> Counter[tuple[str, int]]:
        return self._app.state.statuses

    @property
    def max_in_flight(self) -> int:
        """The most requests this sandbox has served at the same time."""
        return self._app.state.max_in_flight

    @property
    def in_flight(self) -> int:
        return self._app.state.in_flight

    def last_headers(self, biz_type: str) -> dict[str, str]:
        """Headers of the latest request for ``biz_type``."""
        return self._app.state.last_headers[biz_type]

    @property
    def request_log(self) -> list[tuple[float, str, int]]:
        """``(time.monotonic(), bizType, HTTP status)`` of answered requests, oldest first."""
        return list(self._app.state.log)

    @property
    def traces(self) -> list[str]:
        """Trace ids seen, oldest first (the latest 100,000)."""
        return list(self._app.state.traces)

    @property
    def backoffice(self) -> Backoffice:
        """Accounts, ledger, positions, locks, proposals and messages (for inspection)."""
        return self._app.backoffice

    @property
    def store(self) -> CustomerStore:
        return self._app.state.store

    @property
    def config(self) -> SandboxConfig:
        return self._app.config

    @property
    def issued_tokens(self) -> list[str]:
        """Every token handed out so far."""
        return list(self._app.state.tokens)

    def expire_tokens(self) -> None:
        """Make every issued token expired from now on."""
        self._app.expire_tokens()

    def inject(
        self,
        kind: FaultKind | str,
        *,
        biz_type: str | None = None,
        times: int = 1,
        after: int = 0,
        code: str = "G500",
        status: int | None = None,
        delay: float = 0.0,
    ) -> Fault:
        """Script a fault for the next matching requests (see :class:`FaultKind`)."""
        fault = Fault(
            FaultKind(kind),
            biz_type=biz_type,
            times=times,
            after=after,
            code=code,
            status=status,
            delay=delay,
        )
        return self._app.state.faults.add(fault)

    def clear_faults(self) -> None:
        self._app.state.faults.clear()

    def customer(self, customer_no: str) -> dict[str, Any] | None:
        """A customer's list record in wire form, or None."""
        found = self.store.by_customer_no(customer_no)
        return None if found is None else dict(self.store.wire_record(found))

    def sign_up(self, count: int) -> list[int]:
        """Add ``count`` generated customers at the front of the list; their (internal) ids,
        newest first."""
        return self._app.sign_up(count)

    def delete_customers(self, count: int, *, seed: int | None = None) -> list[int]:
        """Delete ``count`` random customers (all, if fewer); their (internal) ids. Without a
        ``seed`` the sandbox's own seeded generator picks them."""
        rng = None if seed is None else random.Random(seed)
        return self._app.delete_customers(count, rng)
