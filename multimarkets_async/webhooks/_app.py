"""``create_app``: the aiohttp application that serves the platform's three webhooks for a
``Wallet``, exactly once per adjustment and on time.

- An adjustment is looked up by ``requestUniqueNo`` first: a repeat gets the recorded answer
  and the wallet is not called again. A new one is recorded as running, then the wallet is
  called in a task of its own; if it has not answered within ``deadline`` seconds, the
  platform is told it failed (in time for its 3-second limit), the call is let finish and its
  real outcome recorded, so the cancel that follows reverses it if it was applied after all.
- A cancel waits for its adjustment's outcome (one lock per ``requestUniqueNo``, held until
  the wallet answers), then: applied → ``reverse`` once (recorded as reversed; a repeat of the
  cancel gets ``0`` again); refused or failed → ``US_0000001``; never received →
  ``US_0000002``, and the adjustment, should it come later, is refused.
- Every reply is the standard envelope, echoing ``trace``; a request that cannot be read or
  validated gets a failure envelope (never a 500 with a traceback).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import anyio
import msgspec
from aiohttp import web

from ..models import dec_hook
from ._models import Adjustment, BalanceQuery, Cancellation
from ._store import Entry, State, WebhookStore, open_store
from ._wallet import Rejected, Wallet

log = logging.getLogger("multimarkets_async.webhooks")

PATHS = {
    "balance": "/get-user-amount",
    "adjust": "/external-system-credit-limit-adjustment",
    "cancel": "/cancel-external-system-credit-limit-adjustment",
}
OK = "0"
NOT_APPLIED = "US_0000001"
NEVER_RECEIVED = "US_0000002"
BAD_REQUEST = "GGATEWAY_CODE_015"
FORBIDDEN = "GGATEWAY_CODE_019"
FAILED = "G500"
DEFAULT_DEADLINE = 2.5

_decoders: dict[type, msgspec.json.Decoder[Any]] = {
    kind: msgspec.json.Decoder(kind, dec_hook=dec_hook)
    for kind in (BalanceQuery, Adjustment, Cancellation)
}
_encode = msgspec.json.encode


class _Failure(Exception):
    def __init__(self, code: str, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


def _envelope(trace: str | None, started: float, code: str, msg: str, data: Any) -> web.Response:
    ok = code == OK
    body = {
        "code": code,
        "msg": msg or ("Success" if ok else "Failed"),
        "ok": ok,
        "fail": not ok,
        "data": data,
        "trace": trace,
        "bizCode": "",
        "tm": int((time.perf_counter() - started) * 1000),
        "msgParams": None,
    }
    return web.Response(body=_encode(body), content_type="application/json")


class _Locks:
    """One lock per key, kept only while somebody holds or waits for it."""

    def __init__(self) -> None:
        # Semaphores, not locks: an adjustment's is released by the task that runs the wallet.
        self._locks: dict[str, tuple[anyio.Semaphore, int]] = {}

    def acquire(self, key: str) -> anyio.Semaphore:
        lock, users = self._locks.get(key, (None, 0))
        lock = lock or anyio.Semaphore(1)
        self._locks[key] = (lock, users + 1)
        return lock

    def release(self, key: str) -> None:
        lock, users = self._locks[key]
        if users <= 1:
            del self._locks[key]
        else:
            self._locks[key] = (lock, users - 1)


class WebhookService:
    """The three webhooks of one company, over one wallet and one store."""

    def __init__(
        self,
        wallet: Wallet,
        store: WebhookStore,
        *,
        company_id: int,
        deadline: float,
        allow: list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None,
    ) -> None:
        self.wallet, self.store = wallet, store
        self.company_id = str(company_id)
        self.deadline = deadline
        self.allow = allow
        self._locks = _Locks()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the three endpoints ----------------------------------------------------------------

    async def balance(self, query: BalanceQuery) -> tuple[str, str, Any]:
        amount = await self.wallet.balance(query)
        digits = max(0, -int(amount.as_tuple().exponent))
        data = {
            "userName": query.user_name,
            "currency": query.currency,
            "amount": format(amount, "f"),
            "amountDigits": digits,
        }
        return OK, "", data

    async def adjust(self, adjustment: Adjustment, body: bytes) -> tuple[str, str, Any]:
        key = adjustment.request_unique_no
        lock = self._locks.acquire(key)
        released = held = False
        try:
            await lock.acquire()
            held = True
            entry = await self.store.get(key)
            if entry is not None:  # a repeat: the recorded answer
                return _REPEAT_ANSWERS.get(entry.state) or _answer(entry)
            await self.store.put(key, Entry(State.RUNNING, body=body))
            done = anyio.Event()
            outcome: list[Entry] = []

            async def run() -> None:
                try:
                    entry = await self._call_adjust(adjustment)
                    await self.store.put(key, entry)  # durable before the platform is told
                    outcome.append(entry)
                finally:
                    lock.release()
                    self._locks.release(key)
                    done.set()

            task = asyncio.ensure_future(run())  # outlives this request if it must
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            released = True
            with anyio.move_on_after(self.deadline):
                await done.wait()
            if not outcome:
                log.warning("adjustment %s: the wallet did not answer in time", key)
                return FAILED, "the wallet did not answer in time", {}
            return _answer(outcome[0])
        finally:
            if not released:
                if held:
                    lock.release()
                self._locks.release(key)

    async def cancel(self, cancellation: Cancellation) -> tuple[str, str, Any]:
        key = cancellation.reverse_request_unique_no
        lock = self._locks.acquire(key)
        try:
            async with lock:
                entry = await self.store.get(key)
                if entry is None:
                    await self.store.put(key, Entry(State.UNSEEN, NEVER_RECEIVED))
                    return _CANCEL_ANSWERS[State.UNSEEN]
                if entry.state is not State.APPLIED:
                    if entry.state in IN_DOUBT:
                        log.error("adjustment %s: outcome in doubt, cannot reverse it", key)
                    return _CANCEL_ANSWERS[entry.state]
                adjustment = _decoders[Adjustment].decode(entry.body)
                await self.store.put(key, Entry(State.REVERSING, entry.code, entry.msg))
                try:
                    await self.wallet.reverse(adjustment, cancellation)
                except Exception:  # it refused: still applied (cancelled midway: in doubt)
                    await self.store.put(key, Entry(State.APPLIED, entry.code, entry.msg))
                    raise
                await self.store.put(key, Entry(State.REVERSED, entry.code, entry.msg))
                return OK, "", {}
        finally:
            self._locks.release(key)

    # -- helpers ------------------------------------------------------------------------------

    async def _call_adjust(self, adjustment: Adjustment) -> Entry:
        try:
            await self.wallet.adjust(adjustment)
        except Rejected as refused:
            return Entry(State.REFUSED, refused.code, refused.msg)
        except Exception as exc:
            log.exception("adjustment %s: the wallet failed", adjustment.request_unique_no)
            return Entry(State.FAILED, FAILED, f"the wallet failed: {type(exc).__name__}")
        return Entry(State.APPLIED)

    async def drain(self) -> None:
        """Let wallet calls still running finish (on shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.store.aclose()


def _answer(entry: Entry) -> tuple[str, str, Any]:
    """What the platform is told of an adjustment the wallet answered."""
    return (OK, "", {}) if entry.state is State.APPLIED else (entry.code, entry.msg, {})


IN_DOUBT = (State.RUNNING, State.REVERSING)
"""States a crash inside the wallet leaves: the outcome is unknown, never guessed."""

_DOUBT: tuple[str, str, Any] = (FAILED, "the adjustment's outcome is in doubt", {})
_REPEAT_ANSWERS: dict[State, tuple[str, str, Any]] = {
    State.UNSEEN: (FAILED, "the adjustment was cancelled before it arrived", {}),
    State.REVERSED: (FAILED, "the adjustment was cancelled and reversed", {}),
    **dict.fromkeys(IN_DOUBT, _DOUBT),
}
"""A repeated adjustment's answer, where it is not the wallet's recorded one."""

_CANCEL_ANSWERS: dict[State, tuple[str, str, Any]] = {
    State.UNSEEN: (NEVER_RECEIVED, "the adjustment was never received", {}),
    State.REFUSED: (NOT_APPLIED, "the adjustment was received but not applied", {}),
    State.FAILED: (NOT_APPLIED, "the adjustment was received but not applied", {}),
    State.REVERSED: (OK, "", {}),
    **dict.fromkeys(IN_DOUBT, _DOUBT),
}
"""A cancel's answer for each state but applied (which is reversed)."""


SERVICE = web.AppKey("webhook_service", WebhookService)


def create_app(
    wallet: Wallet,
    *,
    company_id: int,
    store: str | WebhookStore = "memory",
    deadline: float = DEFAULT_DEADLINE,
    allow: Iterable[str] | None = None,
    path_prefix: str = "",
) -> web.Application:
    """The webhook application for ``wallet``: ``POST`` the platform's three paths (below
    ``path_prefix``, a secret path if you like; or mount it with ``add_subapp``).

    ``store``: ``"memory"`` (tests), ``"sqlite:///path"`` or a ``WebhookStore``.
    ``deadline``: seconds an adjustment may take before the platform is answered with a
    failure (its limit is 3 s). ``allow``: addresses or networks allowed to call (default
    any). Requests whose ``companyId`` header is not ``company_id`` are refused."""
    networks = None if allow is None else [ipaddress.ip_network(a, strict=False) for a in allow]
    service = WebhookService(
        wallet, open_store(store), company_id=company_id, deadline=deadline, allow=networks
    )
    app = web.Application()
    app[SERVICE] = service
    prefix = "/" + path_prefix.strip("/") if path_prefix.strip("/") else ""
    routes: dict[str, tuple[type, Callable[..., Awaitable[tuple[str, str, Any]]]]] = {
        PATHS["balance"]: (BalanceQuery, lambda q, body: service.balance(q)),
        PATHS["adjust"]: (Adjustment, service.adjust),
        PATHS["cancel"]: (Cancellation, lambda c, body: service.cancel(c)),
    }
    for path, (kind, handle) in routes.items():
        app.router.add_post(prefix + path, _endpoint(service, kind, handle))

    async def on_cleanup(app: web.Application) -> None:
        await service.drain()

    app.on_cleanup.append(on_cleanup)
    return app


def _endpoint(
    service: WebhookService,
    kind: type,
    handle: Callable[..., Awaitable[tuple[str, str, Any]]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def endpoint(request: web.Request) -> web.Response:
        started = time.perf_counter()
        trace = request.headers.get("trace")
        try:
            _check_caller(service, request)
            body = await request.read()
            try:
                parsed = _decoders[kind].decode(body)
            except (msgspec.DecodeError, ValueError) as exc:
                raise _Failure(BAD_REQUEST, f"invalid request: {exc}") from None
            code, msg, data = await handle(parsed, body)
        except _Failure as failure:
            return _envelope(trace, started, failure.code, failure.msg, None)
        except Exception:
            log.exception("webhook %s failed", request.path)
            return _envelope(trace, started, FAILED, "the broker could not process it", None)
        return _envelope(trace, started, code, msg, data)

    return endpoint


def _check_caller(service: WebhookService, request: web.Request) -> None:
    if service.allow is not None:
        try:
            address = ipaddress.ip_address(request.remote or "")
        except ValueError:
            raise _Failure(FORBIDDEN, "caller not allowed") from None
        if not any(address in network for network in service.allow):
            raise _Failure(FORBIDDEN, "caller not allowed")
    if request.headers.get("companyId", "").strip() != service.company_id:
        raise _Failure(FORBIDDEN, "companyId does not match")
