"""``Sandbox``: the sandbox's one public face: it runs the application on a loopback port, and
controls and observes it (settings, faults, data, what clients sent)."""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from aiohttp import web

from ._app import make_app
from ._config import SandboxConfig
from ._faults import Fault, FaultKind
from ._feed import FeedControl
from ._platform import Platform
from .gateway import Gateway
from .gateway._secure import require_cryptography
from .handlers.push import PushServer
from .routes import CONTROL_PATH, PUSH_PATH
from .state import Backend
from .state.customers import CustomerStore

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
    ``insert_per_call`` / ``delete_per_call`` / ``update_per_call`` (live sign-ups, deletions
    and changes of customers while clients walk the list);
    paging quirks of every paged listing: ``ignore_current``, ``echo_current``,
    ``total_override``, ``repeat_pages``; ``id_style`` ("snowflake": 64-bit customer ids on
    the wire); ledgers: ``ledger_null_keys``, ``ledger_size``, ``ledger_insert_per_call``;
    clocks: ``max_clock_skew`` (seconds a request's timestamp may be off), ``clock_offset``
    (seconds the sandbox's clock runs ahead of the host's: stale timestamps on demand).

    Secure mode (needs ``cryptography``: ``multimarkets-async[secure]``): a request whose
    ``trace`` starts with ``x-`` carries ``{"data": "<b64>,<b64>,..."}``, its signed body
    encrypted with the company's ``public_key`` (the login's ``publicKey``); the sandbox
    always opens and verifies such requests (``GGATEWAY_CODE_015``: cannot be opened or bad
    signature; ``GGATEWAY_CODE_014``: stale timestamp). ``secure`` makes it required: plain
    business calls get ``GGATEWAY_CODE_016`` (not the login, market data or the Data Push);
    ``seal_replies`` seals the ``data`` of successful secure replies with the private key.

    ``calls`` counts requests per bizType; ``statuses`` counts ``(bizType, HTTP status)``;
    ``secure_calls`` the verified secure requests; ``last_body`` is a call's decoded body;
    ``inject`` scripts a fault for the next matching requests; ``sign_up``,
    ``update_customers`` and ``delete_customers`` change the data (``control_url`` does it
    over HTTP); ``customer_records`` shows every customer's latest record, deleted ones too.
    A customer's list record and its ``customer_update`` events describe the same states: a
    change stamps the record's ``updateTime`` (strictly increasing per customer) and the event
    carries the record's ``status``, contact, ``loginTime`` and ``updateTime``.

    Data Push: a websocket at ``push_url`` (``token`` header, optional ``group``) streams
    ``{"eventType", "data"}`` frames of the sandbox's state changes (sign-ups, customer
    creation, adjustments, bonuses, ledger deposits, forced closes) and of a seeded churn of
    all 18 event types (``events_per_second``). ``feed`` (:class:`FeedControl`) emits churn
    on demand (``feed.emit(n)``), observes each group (``emitted``, ``queued``,
    ``connections``, ``live``, ``pongs``) and scripts feed faults (``drop_after``, ``replay``,
    ``stall``, ``refuse_handshake``, ``kick``, ``restart``).

    Webhooks: ``platform(url)`` is the company's platform calling a broker's external wallet
    settlement webhooks (:class:`Platform`: balances, adjustments, cancels, seeded races).
    """

    def __init__(
        self, customers: int = 1000, *, host: str = "127.0.0.1", port: int = 0, **settings: Any
    ) -> None:
        config = SandboxConfig(customers=customers, **settings)
        if config.secure:
            require_cryptography()
        self._backend = Backend(config)
        self._gateway = Gateway(self._backend)
        self._push = PushServer(self._backend)
        self.feed = FeedControl(self._push)
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
        """Listen on ``host``:``port`` (0: a free port, then in ``port``)."""
        # Stopping abandons requests still held (slow faults, long latency) after a short grace,
        # rather than aiohttp's default minute.
        runner = web.AppRunner(
            make_app(self._backend, self._gateway, self._push),
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
        """Stop listening; requests still held get a short grace."""
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
        """The API's base URL (``.../openapi-b``) of the started sandbox."""
        if self.port is None:
            raise RuntimeError("the sandbox is not started")
        return f"http://{self._host}:{self.port}/openapi-b"

    @property
    def push_url(self) -> str:
        """The Data Push websocket (``ws://.../openapi-b/ws``) of the started sandbox."""
        if self.port is None:
            raise RuntimeError("the sandbox is not started")
        return f"ws://{self._host}:{self.port}{PUSH_PATH}"

    @property
    def app_id(self) -> str:
        """The app id a login needs."""
        return self._backend.config.app_id

    @property
    def app_secret(self) -> str:
        """The app secret a login needs."""
        return self._backend.config.app_secret

    @property
    def company_id(self) -> int:
        """The sandbox company's id."""
        return self._backend.config.company_id

    @property
    def control_url(self) -> str:
        """``POST`` ``{"signUps": n, "deletions": m, "updates": k}`` here to change the
        customers (``"updateKind"``: one kind of change for every update)."""
        if self.port is None:
            raise RuntimeError("the sandbox is not started")
        return f"http://{self._host}:{self.port}{CONTROL_PATH}"

    @property
    def public_key(self) -> str:
        """The company's RSA public key for secure mode, as the login's ``publicKey`` gives it
        (Base64 of the X.509 DER); made on first use."""
        return self._gateway.keys.public_key

    def credentials(self) -> dict[str, Any]:
        """Keyword arguments for ``ManagerClient`` pointing at this sandbox; when the sandbox
        requires secure mode, also ``secure=True`` and its ``public_key`` (as an operator
        hands it out: a key in the environment is not picked up instead)."""
        credentials: dict[str, Any] = {
            "app_id": self.app_id,
            "app_secret": self.app_secret,
            "company_id": self.company_id,
            "base_url": self.base_url,
        }
        if self.config.secure:
            credentials.update(secure=True, public_key=self.public_key)
        return credentials

    # -- observation and control ------------------------------------------------------------

    @property
    def calls(self) -> Counter[str]:
        """Requests per bizType (market data: per ``feed/name``)."""
        return self._gateway.seen.calls

    @property
    def statuses(self) -> Counter[tuple[str, int]]:
        """Answered requests per ``(bizType, HTTP status)``."""
        return self._gateway.seen.statuses

    @property
    def max_in_flight(self) -> int:
        """The most requests this sandbox has served at the same time."""
        return self._gateway.seen.max_in_flight

    @property
    def in_flight(self) -> int:
        """The requests being served now."""
        return self._gateway.seen.in_flight

    def last_headers(self, biz_type: str) -> Mapping[str, str]:
        """Headers of the latest request for ``biz_type`` (read-only, any case)."""
        return self._gateway.seen.last_headers[biz_type]

    @property
    def secure_calls(self) -> Counter[str]:
        """Secure requests (``x-`` traces) that passed verification, per bizType."""
        return self._gateway.seen.secure_calls

    def last_body(self, biz_type: str) -> dict[str, Any] | None:
        """The decoded body of the latest request for ``biz_type`` that got past the gateway's
        checks, as it passed it on (secure: opened, without ``signature`` and ``timestamp``);
        None when there was none. The body itself, not a copy: do not change it."""
        return self._gateway.seen.last_bodies.get(biz_type)

    @property
    def request_log(self) -> list[tuple[float, str, int]]:
        """``(time.monotonic(), bizType, HTTP status)`` of answered requests, oldest first."""
        return list(self._gateway.seen.log)

    @property
    def traces(self) -> list[str]:
        """Trace ids seen, oldest first (the latest 100,000)."""
        return list(self._gateway.seen.traces)

    @property
    def backoffice(self) -> Backend:
        """Accounts, ledger, positions, locks, proposals and messages (for inspection)."""
        return self._backend

    @property
    def store(self) -> CustomerStore:
        """The customers."""
        return self._backend.store

    @property
    def config(self) -> SandboxConfig:
        """The settings; most are read on every request, so a test may change them."""
        return self._backend.config

    @property
    def issued_tokens(self) -> list[str]:
        """Every token handed out so far."""
        return list(self._backend.tokens.issued)

    def expire_tokens(self) -> None:
        """Make every issued token expired from now on."""
        self._backend.tokens.expire_all()

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
        return self._gateway.faults.add(fault)

    def clear_faults(self) -> None:
        """Forget every scripted fault."""
        self._gateway.faults.clear()

    def platform(self, base_url: str, **settings: Any) -> Platform:
        """The platform of this sandbox's company calling a broker's webhooks at ``base_url``
        (use it with ``async with``), seeded from the sandbox's seed; ``settings`` are
        :class:`Platform`'s (``timeout``, ``retries``, or another ``seed``)."""
        settings.setdefault("company_id", self.company_id)
        settings.setdefault("seed", self._backend.config.seed)
        return Platform(base_url, **settings)

    def customer(self, customer_no: str) -> dict[str, Any] | None:
        """A customer's list record in wire form, or None."""
        found = self.store.by_customer_no(customer_no)
        return None if found is None else dict(self.store.wire_record(found))

    def sign_up(self, count: int) -> list[int]:
        """Add ``count`` generated customers at the front of the list; their (internal) ids,
        newest first."""
        return self._backend.sign_up(count)

    def delete_customers(self, count: int, *, seed: int | None = None) -> list[int]:
        """Delete ``count`` random customers (all, if fewer); their (internal) ids. Without a
        ``seed`` the sandbox's own seeded generator picks them."""
        rng = None if seed is None else random.Random(seed)
        return self._backend.delete_customers(count, rng)

    def update_customers(
        self, count: int, *, seed: int | None = None, kind: str | None = None
    ) -> list[int]:
        """Change ``count`` random customers (all, if fewer), each once; their (internal) ids.
        ``kind``: ``"login"`` (``loginTime``), ``"status"`` (another of 1, 2, 4, 5) or
        ``"contact"`` (a new e-mail address and phone number); None draws one per customer,
        mostly logins. Each change stamps ``updateTime`` and publishes a ``customer_update``.
        Without a ``seed`` the sandbox's own seeded generator picks them."""
        rng = None if seed is None else random.Random(seed)
        return self._backend.update_customers(count, rng, kind)

    def customer_records(self, *, deleted: bool = True) -> dict[int, dict[str, Any]]:
        """Every customer's latest list record in wire form, keyed by wire id: the listed
        ones and, with ``deleted``, the deleted ones (status 3)."""
        store = self.store
        ids = store.ids(0, len(store))
        if deleted:
            ids += sorted(store.deleted_ids)
        return {store.public_id(i): dict(store.wire_record(i)) for i in ids}
