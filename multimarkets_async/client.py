"""ManagerClient: configuration, session lifecycle, resources and the raw ``request`` call."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Concatenate, ParamSpec

import aiohttp
from yarl import URL

from . import _validation as check
from ._backend import ClientBackend
from ._budget import Budget, RateLimitBudget
from ._call import CallOptions, ResponseHook
from ._config import (
    API_VERSION,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_LANG,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_TIMEOUT,
    ENV_APP_ID,
    ENV_APP_SECRET,
    ENV_BASE_URL,
    ENV_COMPANY_ID,
    ENV_MARKET_TOKEN,
    ENV_PUBLIC_KEY,
    ENV_PUSH_URL,
    ENV_RATE_LIMIT_NAMESPACE,
    ENV_RATE_LIMIT_STORE,
    ENV_SECURE,
    PRODUCTION_BASE_URL,
    Secret,
    Timeout,
    flag_from_env,
    from_env,
)
from ._operation import Operation, op
from ._pipeline import Pipeline
from ._retry import Retry
from ._secure import SecureMode
from ._shared_budget import SharedBudget
from ._tasks import TaskHost
from ._version import __version__
from .errors import ClientClosedError, ConfigurationError, ValidationError
from .events._stream import EventStream, StreamHost, push_url_for, stop_streams, stream_options
from .models import CompanyProfile
from .resources import (
    AuthResource,
    BasicResource,
    CustomersResource,
    FundsResource,
    MarketsResource,
    MessagesResource,
    ProductsResource,
    TradeResource,
)

USER_AGENT = f"multimarkets-async/{__version__}"

P = ParamSpec("P")


class _Shared:
    """What a client and its ``with_options`` views share: pool, token, budget, tasks."""

    def __init__(
        self, session: aiohttp.ClientSession | None, max_connections: int, trust_env: bool
    ) -> None:
        self.session = session
        self.owns_session = session is None
        self.max_connections = max_connections
        self.trust_env = trust_env
        self.closed = False
        self.tasks = TaskHost()
        self.entered = 0  # `async with` blocks open on the client (or its views)
        self.streams: set[EventStream] = set()  # open Data Push streams

    def get_session(self) -> aiohttp.ClientSession:
        if self.closed:
            raise ClientClosedError("the client is closed")
        if self.session is None:
            connector = aiohttp.TCPConnector(limit=self.max_connections)
            self.session = aiohttp.ClientSession(connector=connector, trust_env=self.trust_env)
        return self.session

    async def aclose(self, abort: Callable[[], None], budget: Budget) -> None:
        if self.closed:
            return
        self.closed = True  # calls starting from now on are refused
        try:
            abort()  # calls in progress end
            await stop_streams(self.streams)  # event streams end, with ClientClosedError
            self.tasks.cancel()
            await self.tasks.drain()
            if self.owns_session and self.session is not None:
                await self.session.close()
        finally:
            await budget.aclose()  # shielded inside: also when this task is cancelled


class ManagerClient:
    """Async client for the MultiMarkets Manager API.

    Every argument falls back to an environment variable (``MULTIMARKETS_APP_ID``,
    ``MULTIMARKETS_APP_SECRET``, ``MULTIMARKETS_COMPANY_ID``, ``MULTIMARKETS_BASE_URL``,
    ``MULTIMARKETS_MARKET_TOKEN``); the base URL defaults to :data:`PRODUCTION_BASE_URL`.
    ``market_token`` is the market-data token, if the vendor issued one; market data
    otherwise uses the Manager API token.

    Resources: ``auth``, ``basic``, ``products``, ``customers``, ``funds``, ``messages``,
    ``trade``, ``markets``.

    Use it as an async context manager, or call :meth:`aclose` when done. One client is meant
    to be shared by all tasks of a program: it holds one connection pool, one token and one
    rate-limit budget. A ``session`` passed in is used as is and left open on close.
    ``async with`` also opens a task group in which walks fetch pages ahead of the reader;
    a client used without it fetches ``concurrency`` pages at a time, when they are needed.

    ``timeout`` and ``retry`` are the defaults for every call; :meth:`with_options` gives a
    view of the same client with other settings for particular calls. ``on_response`` is
    called with a :class:`ResponseInfo` (status, headers, trace) for every HTTP response.

    ``proxy`` sends every request through that HTTP proxy; ``trust_env=True`` (off by
    default) takes proxies from ``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY`` (and ``~/.netrc``)
    instead. Redirects are never followed: the API never redirects.

    ``secure=True`` (or ``$MULTIMARKETS_SECURE=1``) signs and RSA-encrypts every Manager call
    (the vendor's secure mode; the login and market data stay plain) with ``public_key`` (PEM
    or Base64 DER; or ``$MULTIMARKETS_PUBLIC_KEY``), else with the company public key of the
    login's reply. It needs the ``secure`` extra (``cryptography``).

    ``rate_limit_store="redis://host:6379/0"`` (or ``$MULTIMARKETS_RATE_LIMIT_STORE``) keeps
    the rate-limit budget in Redis, shared by every client (any process, any machine) with the
    same store and ``rate_limit_namespace`` (default ``multimarkets:<company_id>``; or
    ``$MULTIMARKETS_RATE_LIMIT_NAMESPACE``); while the store cannot be reached, the client
    paces itself alone. It needs the ``redis`` extra.
    """

    def __init__(
        self,
        app_id: str | None = None,
        app_secret: str | None = None,
        company_id: str | int | None = None,
        base_url: str | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retry: Retry | None = None,
        max_retries: int | None = None,
        lang: str | None = DEFAULT_LANG,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        market_token: str | None = None,
        on_response: ResponseHook | None = None,
        proxy: str | None = None,
        trust_env: bool = False,
        secure: bool | None = None,
        public_key: str | bytes | None = None,
        rate_limit_store: str | None = None,
        rate_limit_namespace: str | None = None,
    ) -> None:
        app_id = from_env(app_id, ENV_APP_ID)
        secret = from_env(app_secret, ENV_APP_SECRET)
        company = from_env(company_id, ENV_COMPANY_ID)
        url = from_env(base_url, ENV_BASE_URL) or PRODUCTION_BASE_URL
        quote_token = from_env(market_token, ENV_MARKET_TOKEN)
        missing = [
            f"{arg} (or ${env})"
            for arg, env, value in (
                ("app_id", ENV_APP_ID, app_id),
                ("app_secret", ENV_APP_SECRET, secret),
                ("company_id", ENV_COMPANY_ID, company),
            )
            if not value
        ]
        if missing:
            raise ConfigurationError("missing settings: " + ", ".join(missing))
        assert app_id is not None and secret is not None and company is not None
        _check_settings(
            app_id=app_id,
            company_id=company,
            base_url=url,
            lang=lang,
            market_token=quote_token,
            session=session,
            proxy=proxy,
        )
        check.integer("max_connections", max_connections, minimum=1, maximum=10_000)
        check.boolean("trust_env", trust_env)
        secure_mode = _secure_mode(secure, public_key)
        budget = _budget(rate_limit_store, rate_limit_namespace, company=company.strip())
        self.app_id = app_id
        self.company_id = company.strip()
        self.secure = secure_mode is not None
        """Whether Manager calls are signed and encrypted (secure mode)."""
        self.base_url = url.rstrip("/")
        self._proxy = proxy
        self._options = CallOptions(
            _timeout("timeout", timeout),
            _retry_policy(_retry("retry", retry or Retry()), max_retries),
            _hook(on_response),
        )
        self._shared = _Shared(session, max_connections, trust_env)
        self._pipeline = Pipeline(
            base_url=self.base_url,
            company_id=self.company_id,
            app_id=app_id,
            app_secret=Secret(secret),
            lang=lang,
            user_agent=USER_AGENT,
            session=self._shared.get_session,
            closed=lambda: self._shared.closed,
            login_options=self._options,
            market_token=None if quote_token is None else Secret(quote_token),
            proxy=proxy,
            secure=secure_mode,
            budget=budget,
        )
        self._raw_operations: dict[tuple[Any, ...], Operation[Any]] = {}
        self._bind_resources()

    def _bind_resources(self) -> None:
        backend = ClientBackend(
            self._pipeline, self._options, company_id=self.company_id, host=self._task_host
        )
        self.auth = AuthResource(backend)
        self.basic = BasicResource(backend)
        self.products = ProductsResource(backend)
        self.customers = CustomersResource(backend)
        self.funds = FundsResource(backend)
        self.messages = MessagesResource(backend)
        self.trade = TradeResource(backend)
        self.markets = MarketsResource(backend)

    def __repr__(self) -> str:
        return (
            f"<ManagerClient base_url={self.base_url!r} company_id={self.company_id!r} "
            f"app_id={self.app_id!r}{' secure' if self.secure else ''}"
            f"{' closed' if self.closed else ''}>"
        )

    def with_options(
        self,
        *,
        timeout: Timeout | None = None,
        retry: Retry | None = None,
        max_retries: int | None = None,
        retry_writes: bool | None = None,
        on_response: ResponseHook | None = None,
    ) -> ManagerClient:
        """A view of this client with other per-call settings.

        The view shares the connection pool, token, rate-limit budget and lifecycle::

            await client.with_options(max_retries=0).customers.groups()
            await client.with_options(timeout=mm.Timeout(read=60)).customers.get(...)
        """
        base = self._options
        policy = _retry_policy(_retry("retry", retry or base.retry), max_retries)
        if retry_writes is not None:
            policy = dataclasses.replace(policy, retry_writes=retry_writes)
        view = copy.copy(self)
        view._options = CallOptions(
            _timeout("timeout", timeout or base.timeout),
            policy,
            _hook(on_response) if on_response is not None else base.on_response,
        )
        view._bind_resources()
        return view

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> ManagerClient:
        """Open the client. The first ``async with`` also opens the task group that walks
        fetch pages ahead in; several tasks may enter the same client (each block closes the
        client when it is the last one open)."""
        shared = self._shared
        if shared.closed:
            raise ClientClosedError("the client is closed")
        await shared.tasks.enter()
        shared.entered += 1
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        shared = self._shared
        shared.entered -= 1
        try:
            if shared.entered <= 0:
                await self.aclose()
        finally:
            await shared.tasks.exit()

    async def aclose(self) -> None:
        """End the calls in progress (with ``ClientClosedError``), stop background page
        fetches and close the connection pool (if the client owns it)."""
        await self._shared.aclose(abort=self._pipeline.abort, budget=self._pipeline.budget)

    @property
    def closed(self) -> bool:
        return self._shared.closed

    def _task_host(self) -> TaskHost | None:
        host = self._shared.tasks
        return host if host.active else None

    # -- Data Push ------------------------------------------------------------------------

    def events(
        self,
        group: str,
        *,
        types: Iterable[str | type[Any]] | str | type[Any] | None = None,
        heartbeat: float = 10.0,
        silence: float = 30.0,
        reconnect: Retry | None = None,
        max_reconnects: int | None = None,
        push_url: str | None = None,
        dedup_window: int = 100_000,
        buffer: int = 1000,
        connect_deadline: float | None = None,
    ) -> EventStream:
        """The Data Push events of ``group``: typed, de-duplicated and in order::

            async with client.events(group="crm-sync") as stream:
                async for event in stream:
                    match event:
                        case mm.events.Register(data=d): ...
                        case mm.events.Unknown(event_type=t, raw=raw): ...

        The push server keeps one live connection per group and queues a group's events
        while it is offline (a new group starts at "now"), so use one stable group name per
        consumer. Entering the stream connects (the token from the client's login); leaving
        it, breaking out of the loop and leaving the block, or cancelling the task closes the
        connection.

        The connection heals itself: a drop, a server restart, a stall (no pong and no data
        for ``silence`` seconds; a text ``ping`` goes out every ``heartbeat`` seconds) or a
        refused handshake (HTTP 401: the token is renewed once per refusal; 5xx: backoff)
        leads to a reconnect after a full-jitter wait from ``reconnect`` (an ``mm.Retry``:
        its ``base`` and ``cap``; default 0.5 s doubling to 30 s), without end unless
        ``max_reconnects`` (reconnects in a row that never got a working connection) is set.
        The loop does not see reconnects; ``stream.stats`` (a :class:`StreamStats`) counts
        them, and each is logged once at INFO on the ``multimarkets_async`` logger.

        Events replayed after a reconnect are dropped: the latest ``dedup_window`` keys
        ``(eventType, data.id, updateTime, revision, version)`` are remembered; events without
        an id or without any of the last three are always delivered. ``types`` keeps only
        those events (names such as ``"register"`` or classes such as ``mm.events.Register``;
        ``mm.events.Unknown`` keeps the types this version does not know). At most ``buffer``
        events wait for the consumer: when they do, the stream stops reading the socket, and
        the rest stays queued on the server.

        ``push_url`` defaults to ``$MULTIMARKETS_PUSH_URL``, else the base URL with
        ``ws(s)://`` and ``/ws``. Entering waits at most ``connect_deadline`` seconds (default:
        the client's ``Timeout.total``, else 60) for the first connection. Errors:
        ``GroupConflictError`` when another consumer is connected with the same group,
        ``EventStreamError`` when the server refuses the stream for good, ``max_reconnects``
        ran out or no first connection came within ``connect_deadline``,
        ``ClientClosedError`` when the client is closed, ``AuthenticationError`` when the
        credentials are refused. Arguments are checked here (``ValidationError``), before
        anything is sent.
        """
        url = push_url if push_url is not None else from_env(None, ENV_PUSH_URL)
        options = stream_options(
            group=group,
            url=url if url is not None else push_url_for(self.base_url),
            types=types,
            heartbeat=heartbeat,
            silence=silence,
            reconnect=reconnect,
            max_reconnects=max_reconnects,
            dedup_window=dedup_window,
            buffer=buffer,
            connect_deadline=self._options.timeout.total
            if connect_deadline is None
            else connect_deadline,
        )
        shared = self._shared
        host = StreamHost(
            session=shared.get_session,
            token=self._pipeline.push_token,
            closed=lambda: shared.closed,
            streams=shared.streams,
            user_agent=USER_AGENT,
            proxy=self._proxy,
            connect_timeout=self._options.timeout.connect or DEFAULT_CONNECT_TIMEOUT,
        )
        return EventStream(host, options)

    # -- calls ----------------------------------------------------------------------------

    async def company(self) -> CompanyProfile:
        """The company profile from authentication (logs in if not done yet)."""
        return await self._pipeline.login(renew=False)

    async def request(
        self,
        biz_type: str,
        body: Mapping[str, Any] | None = None,
        *,
        data_type: Any = Any,
        write: bool = True,
        version: str | None = API_VERSION,
        path_prefix: str = "",
        timeout: Timeout | None = None,
        max_retries: int | None = None,
    ) -> Any:
        """Call any bizType directly and return its ``data`` decoded as ``data_type``.

        The escape hatch for operations this SDK does not wrap yet. ``write`` (default True:
        the safe assumption) keeps the retry policy from replaying a call that may have
        reached the server; pass ``write=False`` for reads.
        """
        check.biz_type("biz_type", biz_type)
        check.boolean("write", write)
        check.optional(check.header_text, "version", version)
        if path_prefix not in PATH_PREFIXES:
            raise ValidationError(
                "path_prefix", f"must be one of {', '.join(map(repr, PATH_PREFIXES))}"
            )
        check.optional(check.mapping, "body", body, max_items=MAX_BODY_ITEMS)
        operation = self._raw_operation(biz_type, data_type, write, version, path_prefix)
        options = self._options
        if timeout is not None or max_retries is not None:
            options = CallOptions(
                _timeout("timeout", timeout or options.timeout),
                _retry_policy(options.retry, max_retries),
                options.on_response,
            )
        return await self._pipeline.call(operation, body, options)

    def _raw_operation(
        self, biz_type: str, data_type: Any, write: bool, version: str | None, path_prefix: str
    ) -> Operation[Any]:
        """The operation ``request`` sends (declared once per set of arguments)."""
        try:
            key = (biz_type, data_type, write, version, path_prefix)
            operation = self._raw_operations.get(key)
        except TypeError:  # an unhashable data_type, such as [int]
            raise ValidationError("data_type", f"is not a type: {data_type!r}") from None
        if operation is None:
            try:
                operation = op(
                    biz_type, data_type, write=write, version=version, path_prefix=path_prefix
                )
            except TypeError as exc:  # msgspec cannot decode into it
                reason = f"is not a type msgspec can decode: {exc}"
                raise ValidationError("data_type", reason) from None
            self._raw_operations[key] = operation
        return operation


PATH_PREFIXES = ("", "/auth", "/global")  # where the vendor's operations live
MAX_BODY_ITEMS = 10_000  # top-level fields of a raw request's body


def _check_settings(
    *,
    app_id: str,
    company_id: str,
    base_url: str,
    lang: str | None,
    market_token: str | None,
    session: object,
    proxy: str | None,
) -> None:
    """Client settings that would otherwise fail late (in a header, after the login went out)
    or mislead (a company id that is not a number fails as "no access rights")."""
    _setting(check.header_text, "app_id", app_id)
    _setting(check.positive_id, "company_id", company_id.strip(), digits=True)
    _http_url("base_url", base_url)
    if lang is not None:
        _setting(check.header_text, "lang", lang, max_length=35)
    if market_token is not None:
        _setting(check.header_text, "market_token", market_token)
    if session is not None and not isinstance(session, aiohttp.ClientSession):
        raise ConfigurationError(f"session must be an aiohttp.ClientSession, got {session!r}")
    if proxy is not None:
        _http_url("proxy", proxy)


def _secure_mode(secure: bool | None, public_key: str | bytes | None) -> SecureMode | None:
    """Secure mode as the arguments (else the environment) ask for it, its key read now."""
    if secure is None:
        secure = flag_from_env(ENV_SECURE)
    else:
        _setting(check.boolean, "secure", secure)
    if not secure:
        if public_key is not None:
            raise ConfigurationError("public_key is used only in secure mode: pass secure=True")
        return None
    return SecureMode(public_key if public_key is not None else from_env(None, ENV_PUBLIC_KEY))


def _budget(store: str | None, namespace: str | None, *, company: str) -> Budget:
    """The rate-limit budget: this process's own, or one shared through the store named by
    the arguments (else the environment)."""
    url = from_env(store, ENV_RATE_LIMIT_STORE)
    if url is None:
        if namespace is not None:
            raise ConfigurationError("rate_limit_namespace is used only with rate_limit_store")
        return RateLimitBudget()
    namespace = from_env(namespace, ENV_RATE_LIMIT_NAMESPACE) or f"multimarkets:{company}"
    _setting(check.text, "rate_limit_namespace", namespace, max_length=200)
    return SharedBudget(url, namespace)


def _setting(
    rule: Callable[Concatenate[str, Any, P], object],
    name: str,
    value: Any,
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> None:
    """``rule(name, value, ...)``, failing as ``ConfigurationError``."""
    try:
        rule(name, value, *args, **kwargs)
    except ValidationError as exc:
        raise ConfigurationError(str(exc)) from None


def _http_url(name: str, value: object) -> None:
    """An absolute http(s) URL with a host that can be sent as is (no spaces or control
    characters), refused here rather than failing (and being retried) at send time."""
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ConfigurationError(f"{name} must be an http:// or https:// URL, got {value!r}")
    if not check.header_safe(value):
        raise ConfigurationError(
            f"{name} must hold visible ASCII characters only (no spaces or control "
            f"characters), got {value!r}"
        )
    try:
        host = URL(value).host
    except ValueError as exc:  # an unclosed IPv6 bracket, a port out of range, ...
        raise ConfigurationError(f"{name} is not a valid URL ({exc}): {value!r}") from None
    if not host:
        raise ConfigurationError(f"{name} has no host: {value!r}")


def _timeout(field: str, value: object) -> Timeout:
    if not isinstance(value, Timeout):
        raise ValidationError(field, f"must be mm.Timeout(...), got {value!r}")
    return value


def _retry(field: str, value: object) -> Retry:
    if not isinstance(value, Retry):
        raise ValidationError(field, f"must be mm.Retry(...), got {value!r}")
    return value


def _hook(value: object) -> ResponseHook | None:
    if value is not None and not callable(value):
        raise ValidationError("on_response", f"must be callable, got {value!r}")
    return value


def _retry_policy(base: Retry, max_retries: int | None) -> Retry:
    """``base`` with ``max_retries``, if given (``Retry`` checks it)."""
    if max_retries is None:
        return base
    return dataclasses.replace(base, max_retries=max_retries)
