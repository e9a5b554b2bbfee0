"""The sandbox's aiohttp application: gateway checks, envelope, rate limit, faults, handlers.

It speaks the wire format on its own (vendor field names, plain dicts) and never imports the
client's models, pipeline or resources, so a wrong model cannot round-trip unnoticed.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import time
import uuid
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web

from .._vendor import error_messages
from ._backoffice import Backoffice
from ._config import SandboxConfig
from ._data import GROUPS, CustomerStore
from ._failure import ApiFailure
from ._faults import CHAOS_KINDS, PAGE_FAULTS, Fault, FaultKind, FaultPlan
from ._ratelimit import RateLimiter

AUTH_BIZ_TYPE = "admin.admin.CompanyAuthDubboService.auth"
MAX_PAGE_SIZE = 2000
PAGE_CACHE_ENTRIES = 256

_encode = msgspec.json.encode
_decode_body = msgspec.json.Decoder(dict[str, Any])
_MD5_HEX = re.compile(r"^[0-9a-f]{32}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

DOWNSTREAM_CODES = ("GGATEWAY_CODE_011", "GGATEWAY_CODE_012", "GGATEWAY_CODE_902", "G500")

PAGED_LISTINGS = frozenset(
    {
        "customer.admin.WhiteCustomerAdminApiService.page",
        "tradeapi.admin.PositionAdminApiService.queryAllPositionPage",
        "tradeapi.admin.OrderAdminApiService.queryCapitalFlowList",
    }
)
"""Operations answering ``{current, size, total, records}``: paging quirks and page faults
apply to these (see ``SandboxApp._paged``)."""
CONTROL_PATH = "/_sandbox/customers"


@dataclass
class _Token:
    company_id: int
    expires_at: float | None


Handler = Callable[[dict[str, Any]], Any]


# The module that answers, by bizType prefix (the envelope's `bizCode`).
_BIZ_CODES = {
    "customer": "C",
    "fund": "F",
    "tradeapi": "O",
    "report": "O",
    "config": "S",
    "message": "M",
}


@dataclass
class SandboxState:
    """Everything tests may look at or change while the sandbox runs."""

    config: SandboxConfig
    store: CustomerStore
    faults: FaultPlan = field(default_factory=FaultPlan)
    calls: Counter[str] = field(default_factory=Counter)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    tokens: dict[str, _Token] = field(default_factory=dict)
    in_flight: int = 0
    max_in_flight: int = 0
    last_headers: dict[str, dict[str, str]] = field(default_factory=dict)
    traces: deque[str] = field(default_factory=lambda: deque(maxlen=100_000))
    log: deque[tuple[float, str, int]] = field(default_factory=lambda: deque(maxlen=100_000))


class SandboxApp:
    """Builds the aiohttp application and implements the documented behaviour."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        store = CustomerStore(config.customers, config.seed, config.id_style)
        self.state = SandboxState(config, store)
        self.limiter = (
            RateLimiter(config.rate_limit, config.rate_window) if config.rate_limit else None
        )
        self._chaos = random.Random(config.seed)
        self._mutations = random.Random(config.seed + 1)
        self._page_cache: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()
        office = self.backoffice = Backoffice(store, config)
        customers, config_ = "customer.admin.WhiteCustomerAdminApiService.", "config.admin."
        symbols, bonus = (
            config_ + "AdminSymbolDubboService.",
            "fund.admin.CustomerActivityBonusAdminDubboService.",
        )
        proposals, orders = (
            "fund.admin.CustomerAdjustProposalAdminDubboService.",
            "tradeapi.admin.OrderAdminApiService.",
        )
        deals = "report.admin.CatsTradeDealService."
        self.routes: dict[str, Handler] = {
            customers + "page": self._page,
            customers + "detail": self._detail,
            customers + "addCusAndOpenAccountAndKyc": self._create,
            "customer.admin.CustomerGroupAdminApiService.groupList": self._groups,
            "customer.app.CustomerWebApiService.checkCustomerExist": self._exists,
            "customer.admin.CustomerAdminApiService.queryAccountList": office.accounts,
            config_ + "AdminDictDubboService.getListByParentCode": office.dictionary,
            config_ + "AdminDictDubboService.getCountryListByParentCode": office.countries,
            config_ + "AdminAssetsDubboService.getAssetsList": office.assets,
            config_ + "AdminAssetsDubboService.getTradeTypeList": office.trade_types,
            symbols + "getSymbolTradeTypeByCompanyId": office.group_products,
            symbols + "getSymbolList": office.products,
            symbols + "getSymbolGroupList": office.product_groups,
            symbols + "getSymbolByCompanyId": office.product_details,
            symbols + "getFundByCompanyId": office.funds,
            bonus + "operationBonus": office.bonus,
            bonus + "lockTradeAccount": office.lock,
            bonus + "unlockTradeAccount": office.unlock,
            bonus + "queryOneLockTradeAccount": office.lock_status,
            bonus + "queryTradeTypeLockTradeAccount": office.lock_states,
            "fund.admin.CustomerFundAdminDubboService.getExchangeRate": office.exchange_rates,
            proposals + "addCustomerAdjustProposal": office.adjust,
            proposals + "getCustomerAdjustProposalById": office.proposal,
            "message.admin.PlatFormMessageThirdSendAdminService.add": office.send_message,
            "message.admin.VerificationAdminService.queryCodeSendStatus": office.code_status,
            orders + "queryCapitalFlowList": office.capital_flow,
            orders + "queryPositionPage": office.customer_positions,
            orders + "cancelPboOrder": office.cancel_pending,
            orders + "forcedOrder": office.force_close,
            "tradeapi.admin.PositionAdminApiService.queryAllPositionPage": office.all_positions,
            deals + "getTradeDealInfoByDealId": office.deal,
            deals + "getTradeDealInfoByOrderId": office.order_deals,
        }
        self.quotes: dict[str, Callable[[dict[str, Any]], Any]] = {
            "depth-tick": office.depth,
            "trade-tick": office.trades,
            "kline": office.kline,
            "batch-kline": office.batch_kline,
        }

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/openapi-b/{feed:quote-b-api|quote-stock-b-api}/{name}", self._quote)
        app.router.add_post("/openapi-b/{tail:.+}", self._handle)
        app.router.add_post(CONTROL_PATH, self._control)
        return app

    # -- token management -----------------------------------------------------------------

    def issue_token(self) -> str:
        ttl = self.config.token_ttl
        token = f"{uuid.uuid4()}admin"
        expires = None if ttl is None else time.monotonic() + ttl
        self.state.tokens[token] = _Token(self.config.company_id, expires)
        return token

    def expire_tokens(self) -> None:
        for token in self.state.tokens.values():
            token.expires_at = 0.0

    # -- request handling -----------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        state = self.state
        state.in_flight += 1
        state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            return await self._respond(request)
        finally:
            state.in_flight -= 1

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        tail = request.match_info["tail"]
        prefix, _, biz_type = tail.rpartition("/")
        is_auth = prefix == "auth"
        state = self.state
        state.calls[biz_type] += 1
        trace = request.headers.get("trace")
        state.last_headers[biz_type] = dict(request.headers)
        if trace:
            state.traces.append(trace)
        headers: dict[str, str] = {}

        paged = biz_type in PAGED_LISTINGS
        fault = state.faults.take(biz_type, is_auth, paged) or self._random_fault(is_auth)
        if fault is not None:
            early = await self._fault_before(request, fault, biz_type, trace)
            if early is not None:
                return self._count(biz_type, early)

        if self.limiter is not None:
            verdict = self.limiter.hit(f"{request.headers.get('companyId')}|{biz_type}")
            headers.update(verdict.headers())
            if not verdict.allowed:
                headers["Retry-After"] = str(max(1, int(verdict.retry_after + 0.999)))
                body = self._failure("GGATEWAY_CODE_018", trace, None, None, "", started)
                return self._count(biz_type, self._json(body, 429, headers))

        if self.config.latency > 0:
            await asyncio.sleep(self.config.latency)

        if fault is not None and fault.kind is FaultKind.CODE:
            body = self._failure(fault.code, trace, biz_type, None, "", started)
            return self._count(biz_type, self._json(body, fault.status or 200, headers))

        try:
            payload, biz_code = await self._dispatch(request, prefix, biz_type, trace, fault)
        except ApiFailure as failure:
            body = self._failure(failure.code, trace, failure.data, failure.msg_params, "", started)
            return self._count(biz_type, self._json(body, 200, headers))

        body = self._success(payload, trace, biz_code, started)
        if fault is not None:
            late = await self._fault_after(request, fault, body, headers)
            if late is not None:
                return self._count(biz_type, late)
        return self._count(biz_type, self._json(body, 200, headers))

    async def _dispatch(
        self,
        request: web.Request,
        prefix: str,
        biz_type: str,
        trace: str | None,
        fault: Fault | None = None,
    ) -> tuple[bytes, str]:
        """Gateway checks in the order a gateway makes them, then the handler."""
        if not trace:
            raise ApiFailure("GGATEWAY_CODE_004")
        if prefix == "auth":
            if biz_type != AUTH_BIZ_TYPE:
                raise ApiFailure("GGATEWAY_CODE_002", data=biz_type)
            return _encode(self._auth(await self._body(request))), ""
        if prefix not in ("", "global"):
            raise ApiFailure("GGATEWAY_CODE_002", data=biz_type)
        handler = self.routes.get(biz_type)
        if handler is None:
            raise ApiFailure("GGATEWAY_CODE_002", data=biz_type)
        headers = request.headers
        company = headers.get("companyId")
        if not company:
            raise ApiFailure("GGATEWAY_CODE_003")
        token_text = headers.get("token")
        if not token_text:
            raise ApiFailure("GGATEWAY_CODE_001")
        token = self.state.tokens.get(token_text)
        if token is None:
            raise ApiFailure("GGATEWAY_CODE_017")
        if token.expires_at is not None and token.expires_at <= time.monotonic():
            raise ApiFailure("GGATEWAY_CODE_005")
        if company.strip() != str(token.company_id):
            raise ApiFailure("GGATEWAY_CODE_019")
        if not headers.get("version"):
            raise ApiFailure("GGATEWAY_CODE_009")
        if biz_type.startswith(("tradeapi.", "report.")) and headers.get("group") != "tradeApi":
            raise ApiFailure("GGATEWAY_CODE_010")  # trade services are routed by `group`
        stamp = headers.get("timestamp")
        if stamp is not None:
            if not stamp.isdigit():
                raise ApiFailure("GGATEWAY_CODE_015")
            if abs(time.time() * 1000 - int(stamp)) > self.config.max_clock_skew * 1000:
                raise ApiFailure("GGATEWAY_CODE_014")
        body = await self._body(request)
        if biz_type in PAGED_LISTINGS and (
            self._quirky() or (fault is not None and fault.kind in PAGE_FAULTS)
        ):
            result = self._paged(handler, body, fault)
        else:
            result = handler(body)
        biz_code = _BIZ_CODES.get(biz_type.partition(".")[0], "")
        return (result if isinstance(result, bytes) else _encode(result)), biz_code

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        try:
            raw = await request.read()
        except ConnectionResetError:  # the client gave up (a cancelled request): end quietly
            raise asyncio.CancelledError from None
        if not raw.strip():
            raise ApiFailure("GGATEWAY_CODE_006")
        try:
            return _decode_body.decode(raw)
        except msgspec.DecodeError:
            raise ApiFailure("GGATEWAY_CODE_015") from None

    # -- paging quirks ----------------------------------------------------------------------

    def _quirky(self) -> bool:
        config = self.config
        return bool(
            config.ignore_current
            or config.echo_current is not None
            or config.total_override is not None
            or config.repeat_pages
        )

    def _paged(self, handler: Handler, body: dict[str, Any], fault: Fault | None) -> Any:
        """A paged listing's reply as a misbehaving server sends it: the paging quirks of the
        config and a page fault, the same way for every paged listing."""
        config = self.config
        requested = _requested_page(body)
        if requested is not None:
            served = 1 if config.ignore_current else config.repeat_pages.get(requested, requested)
            if served != requested:
                body = {**body, "current": served}
        result = handler(body)
        page = dict(_decode_body.decode(result) if isinstance(result, bytes) else result)
        if requested is not None:
            page["current"] = requested
        if config.echo_current is not None:
            page["current"] = config.echo_current
        if config.total_override is not None:
            page["total"] = config.total_override
        kind = fault.kind if fault is not None else None
        if kind is FaultKind.EMPTY_PAGE:
            page["records"] = []
        elif kind is FaultKind.SHORT_PAGE:
            page["records"] = page["records"][: len(page["records"]) // 2]
        return page

    # -- live data and the control route -----------------------------------------------------

    def sign_up(self, count: int) -> list[int]:
        """Add ``count`` generated customers at the front of the list; their ids, newest first."""
        if count < 0:
            raise ValueError("count must not be negative")
        return self.state.store.insert_generated(count) if count else []

    def delete_customers(self, count: int, rng: random.Random | None = None) -> list[int]:
        """Delete ``count`` random customers (all there are, if fewer); their ids."""
        if count < 0:
            raise ValueError("count must not be negative")
        store = self.state.store
        rng = self._mutations if rng is None else rng
        deleted = []
        for _ in range(count):
            if len(store) == 0:
                break
            customer_id = store.ids(rng.randrange(len(store)), 1)[0]
            store.delete(customer_id)
            deleted.append(customer_id)
        return deleted

    async def _control(self, request: web.Request) -> web.Response:
        """``POST /_sandbox/customers`` ``{"signUps": n, "deletions": m}``: change the data of
        a running sandbox; answers ``{"signedUp": [...], "deleted": [...], "total": n}``."""
        raw = await request.read()
        try:
            body = _decode_body.decode(raw) if raw.strip() else {}
        except msgspec.DecodeError:
            return web.json_response({"error": "the body must be a JSON object"}, status=400)
        counts = [body.get("signUps", 0), body.get("deletions", 0)]
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
            return web.json_response(
                {"error": "signUps and deletions must be non-negative integers"}, status=400
            )
        deleted = self.delete_customers(counts[1])
        signed_up = self.sign_up(counts[0])
        total = len(self.state.store)
        return web.json_response({"signedUp": signed_up, "deleted": deleted, "total": total})

    # -- market data ------------------------------------------------------------------------

    async def _quote(self, request: web.Request) -> web.StreamResponse:
        """Market-data GETs: ``token`` and ``query`` (JSON) in the query string, or a JSON body
        for ``batch-kline``; reply ``{ret, msg, trace, data}``."""
        key = f"{request.match_info['feed']}/{request.match_info['name']}"
        state = self.state
        state.calls[key] += 1
        state.last_headers[key] = dict(request.headers)
        state.in_flight += 1
        try:
            fault = state.faults.take(key, False) or self._random_fault(False)
            if fault is not None:
                early = await self._fault_before(request, fault, key, None)
                if early is not None:
                    return self._count(key, early)
                if fault.kind is FaultKind.CODE:
                    ret = int(fault.code) if fault.code.isdigit() else 500
                    return self._count(key, self._quote_reply(ret, "error", None, None))
            if self.config.latency > 0:
                await asyncio.sleep(self.config.latency)
            handler = self.quotes.get(request.match_info["name"])
            if handler is None:
                return self._count(key, self._quote_reply(202, "unknown request", None, None))
            if not self._quote_token_ok(request.query.get("token")):
                return self._count(key, self._quote_reply(201, "invalid token", None, None))
            if request.match_info["name"] == "batch-kline":
                text = (await request.read()).decode("utf-8", "replace")
            else:
                text = request.query.get("query", "")
            try:
                query = _decode_body.decode(text.encode())
            except msgspec.DecodeError:
                return self._count(key, self._quote_reply(202, "bad query", None, None))
            trace, data = query.get("trace"), query.get("data")
            if not trace or not isinstance(data, dict):
                return self._count(key, self._quote_reply(202, "bad query", trace, None))
            try:
                result = handler(data)
            except ApiFailure:
                return self._count(key, self._quote_reply(202, "bad data", trace, None))
            return self._count(key, self._quote_reply(200, "ok", trace, result))
        finally:
            state.in_flight -= 1

    def _quote_token_ok(self, token: str | None) -> bool:
        if not token:
            return False
        if token == self.config.market_token:
            return True
        issued = self.state.tokens.get(token)
        return issued is not None and (
            issued.expires_at is None or issued.expires_at > time.monotonic()
        )

    @staticmethod
    def _quote_reply(ret: int, msg: str, trace: str | None, data: Any) -> web.Response:
        body = _encode({"ret": ret, "msg": msg, "trace": trace, "data": data})
        return web.Response(body=body, content_type="application/json")

    # -- envelope -------------------------------------------------------------------------

    @staticmethod
    def _envelope(
        code: str,
        msg: str,
        ok: bool,
        data: bytes,
        trace: str | None,
        biz_code: str,
        msg_params: str | None,
        started: float,
    ) -> bytes:
        tm = int((time.perf_counter() - started) * 1000)
        return b"".join(
            (
                b'{"code":',
                _encode(code),
                b',"msg":',
                _encode(msg),
                b',"ok":true,"fail":false' if ok else b',"ok":false,"fail":true',
                b',"data":',
                data,
                b',"trace":',
                _encode(trace),
                b',"bizCode":',
                _encode(biz_code),
                b',"tm":',
                str(tm).encode(),
                b',"msgParams":',
                _encode(msg_params),
                b"}",
            )
        )

    def _success(self, data: bytes, trace: str | None, biz_code: str, started: float) -> bytes:
        return self._envelope("0", "Success", True, data, trace, biz_code, None, started)

    def _failure(
        self,
        code: str,
        trace: str | None,
        data: Any,
        msg_params: str | None,
        biz_code: str,
        started: float,
    ) -> bytes:
        message = error_messages().get(code) or "System error"
        return self._envelope(
            code, message, False, _encode(data), trace, biz_code, msg_params, started
        )

    @staticmethod
    def _json(body: bytes, status: int, headers: dict[str, str]) -> web.Response:
        return web.Response(
            body=body, status=status, headers=headers, content_type="application/json"
        )

    def _count(self, biz_type: str, response: web.StreamResponse) -> web.StreamResponse:
        self.state.statuses[(biz_type, response.status)] += 1
        self.state.log.append((time.monotonic(), biz_type, response.status))
        return response

    # -- faults ---------------------------------------------------------------------------

    def _random_fault(self, is_auth: bool) -> Fault | None:
        """A seeded random fault: ``fault_rates`` per kind, else ``fault_rate`` spread evenly
        over ``fault_kinds``. A login gets a transient fault at ``auth_fault_rate``."""
        config = self.config
        if is_auth:
            if config.auth_fault_rate <= 0 or self._chaos.random() >= config.auth_fault_rate:
                return None
            kind = self._chaos.choice(AUTH_FAULT_KINDS)
            return chaos_fault(kind, config.slow_delay, config.retry_after)
        if not (config.fault_rate > 0 or config.fault_rates):
            return None
        draw = self._chaos.random()
        rates = config.fault_rates or {
            kind: config.fault_rate / len(config.fault_kinds) for kind in config.fault_kinds
        }
        for kind, rate in rates.items():
            if draw < rate:
                if kind == "downstream":
                    return Fault(FaultKind.CODE, code=self._chaos.choice(DOWNSTREAM_CODES))
                return chaos_fault(kind, config.slow_delay, config.retry_after)
            draw -= rate
        return None

    async def _fault_before(
        self, request: web.Request, fault: Fault, biz_type: str, trace: str | None
    ) -> web.StreamResponse | None:
        kind = fault.kind
        if kind is FaultKind.EXPIRE_TOKENS:
            self.expire_tokens()
        elif kind is FaultKind.DELAY:
            await asyncio.sleep(fault.delay)
        elif kind is FaultKind.HTML:
            return _html_error(fault.status or 502)
        elif kind is FaultKind.DISCONNECT:
            return self._drop(request)
        elif kind is FaultKind.RATE_LIMIT:
            # Consistent with the limiter when there is one; otherwise a window that ends
            # when Retry-After says.
            retry_after = fault.delay or 1.0
            limited = self.config.rate_limit is not None
            headers = {
                "x-ratelimit-limit": str(self.config.rate_limit or 60),
                "x-ratelimit-remairing": "0",
                "x-ratelimit-reset": f"{self.config.rate_window if limited else retry_after:g}",
                "Retry-After": f"{retry_after:g}",
            }
            body = self._failure("GGATEWAY_CODE_018", trace, None, None, "", time.perf_counter())
            return self._json(body, 429, headers)
        return None

    async def _fault_after(
        self, request: web.Request, fault: Fault, body: bytes, headers: dict[str, str]
    ) -> web.StreamResponse | None:
        kind = fault.kind
        if kind is FaultKind.TRUNCATED:
            return self._json(body[: max(1, len(body) // 2)], fault.status or 200, headers)
        if kind is FaultKind.COMMIT_THEN_DISCONNECT:
            return self._drop(request)
        if kind is FaultKind.RESET:
            response = web.StreamResponse(status=200, headers=headers)
            response.content_type = "application/json"
            response.content_length = len(body)
            await response.prepare(request)
            await response.write(body[: len(body) // 2])
            self._abort(request)
            return response
        return None

    @staticmethod
    def _abort(request: web.Request) -> None:
        transport = request.transport
        if transport is not None:
            transport.abort()

    def _drop(self, request: web.Request) -> web.StreamResponse:
        self._abort(request)
        raise asyncio.CancelledError  # aiohttp ends the handler quietly on a lost connection

    # -- auth -----------------------------------------------------------------------------

    def _auth(self, body: dict[str, Any]) -> dict[str, Any]:
        app_id, app_secret = body.get("appId"), body.get("appSecret")
        if not app_id or not app_secret:
            raise ApiFailure("GGATEWAY_CODE_015")
        if app_id != self.config.app_id or app_secret != self.config.app_secret:
            raise ApiFailure("GGATEWAY_CODE_101")
        company = self.config.company_id
        return {
            "id": company,
            "strId": str(company),
            "code": "SANDBOX",
            "name": "Sandbox Brokerage",
            "bizName": "Sandbox",
            "domain": "sandbox.localhost",
            "lang": "en-US",
            "timezone": 8,
            "companyType": "1",
            "token": self.issue_token(),
            "appId": app_id,
            "appSecret": app_secret,
            "publicKey": "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC7sandboxnotarealkeyAQAB",
            "tradeTypes": "1,2,5",
            "startNumber": 86_000_000,
            "endNumber": 86_999_999,
            "tradeTypeList": [
                {"id": "1", "code": "CFD_CROSS", "name": "CFD cross margin"},
                {"id": "2", "code": "CFD_ISOLATED", "name": "CFD isolated margin"},
                {"id": "5", "code": "SPOT", "name": "Spot"},
            ],
            "status": 1,
            "initProgress": 100,
            "revision": 3,
            "dataSourceType": 1,
            "associationCompanyId": None,
            "adminPassword": None,
            "adminRoleId": None,
            "adminUserId": None,
            "stpLoginUser": None,
            "stpAccount": None,
            "stpPassword": None,
            "dbPassword": None,
            "demoInitialAmount": None,
            "codeMd5": None,
            "bgImage": None,
            "logo": None,
            "adImage": None,
            "createBy": "admin",
            "updateBy": "admin",
            "createTime": 1_600_000_000_000,
            "updateTime": 1_700_000_000_000,
        }

    # -- customers ------------------------------------------------------------------------

    def _page(self, body: dict[str, Any]) -> bytes:
        current = _positive_int(body.get("current", 1), "current")
        size = _positive_int(body.get("size", 20), "size")
        if size > MAX_PAGE_SIZE:
            raise ApiFailure("GGATEWAY_CODE_015")
        store = self.state.store
        self._mutate()
        customer_no = body.get("customerNo")
        if customer_no:
            found = store.by_customer_no(str(customer_no))
            ids = [found] if found is not None else []
            records = _encode(
                [store.wire_record(i) for i in ids][(current - 1) * size : current * size]
            )
            total = len(ids)
        else:
            total = max(0, len(store) + self.config.total_bias)
            records = self._records_json(store, (current - 1) * size, size)
        return b"".join(
            (
                b'{"current":',
                str(current).encode(),
                b',"size":',
                str(size).encode(),
                b',"total":',
                str(total).encode(),
                b',"records":',
                records,
                b"}",
            )
        )

    def _mutate(self) -> None:
        """Live data: sign-ups and deletions happening while clients walk the list."""
        self.sign_up(self.config.insert_per_call)
        self.delete_customers(self.config.delete_per_call)

    def _records_json(self, store: CustomerStore, offset: int, size: int) -> bytes:
        key = (store.version, offset, size)
        cached = self._page_cache.get(key)
        if cached is not None:
            self._page_cache.move_to_end(key)
            return cached
        encoded = _encode([store.wire_record(i) for i in store.ids(offset, size)])
        self._page_cache[key] = encoded
        if len(self._page_cache) > PAGE_CACHE_ENTRIES:
            self._page_cache.popitem(last=False)
        return encoded

    def _detail(self, body: dict[str, Any]) -> dict[str, Any]:
        section, customer_id, customer_no = body.get("type"), body.get("id"), body.get("customerNo")
        if not section or customer_id in (None, "") or not customer_no:
            raise ApiFailure("USCUSTOMER_API_0000501")
        sections = (
            "baseInfo",
            "tradeAccount",
            "kyc",
            "allKyc",
            "bankList",
            "walletList",
            "otherInfo",
        )
        if section not in sections:
            raise ApiFailure("GGATEWAY_CODE_015")
        store = self.state.store
        found = store.by_customer_no(str(customer_no))
        if found is None or str(store.public_id(found)) != str(customer_id).strip():
            raise ApiFailure("USCUSTOMER_API_0000003")
        record = store.wire_record(found)
        extras = store.extras(found)
        detail = {key: value for key, value in record.items() if key not in _LIST_ONLY_FIELDS}
        activated = record["firstAccountActivateTime"]
        detail.update(
            country=extras.get("country"),
            registerTime=record["createTime"],
            activateStatus=1 if activated else 0,
            activateTime=activated,
            kycStatus=2 if record["idCard"] else 0,
            kycAuditStatus=2 if record["idCard"] else 0,
            loginPassStatus="1",
            payPassStatus="0",
            assertPassStatus="0",
            apiCheckSwitch=False,
            apiCheckRule=None,
            companyType="1",
            companyKycStatus=1,
            associationCompanyId=None,
            deposit=1,
            withdraw=1,
            isFund=0,
            optional=0,
            type=1,
            thirdServerCode=extras.get("thirdServerCode"),
            utmSource=extras.get("utmSource"),
            source="sandbox",
            accountRemark=None,
            address=None,
            postalCode=None,
        )
        if section == "tradeAccount":
            detail["accountList"] = [
                {
                    "accountId": found * 10 + 1,
                    "tradeType": 1,
                    "currency": "USDT",
                    "digits": 2,
                    "balance": "1000.00",
                    "status": 1,
                },
                {
                    "accountId": found * 10 + 2,
                    "tradeType": 5,
                    "currency": "USDT",
                    "digits": 2,
                    "balance": "0.00",
                    "status": 1,
                },
            ]
        return detail

    def _create(self, body: dict[str, Any]) -> str:
        phone, email = body.get("phone") or None, body.get("email") or None
        if phone is None and email is None:
            raise ApiFailure("USCUSTOMER_API_0000105")
        pwd = body.get("pwd")
        if not pwd:
            raise ApiFailure("USCUSTOMER_API_0000125")
        if not isinstance(pwd, str) or not _MD5_HEX.match(pwd):
            raise ApiFailure("GGATEWAY_CODE_015")
        country = body.get("country")
        if not country:
            raise ApiFailure("USCUSTOMER_API_0000505")
        if not isinstance(country, str) or len(country) != 2 or not country.isalpha():
            raise ApiFailure("USCUSTOMER_API_0000507")
        source = body.get("registerSource")
        if not isinstance(source, int) or not 1 <= source <= 9:
            raise ApiFailure("GGATEWAY_CODE_015")
        group = body.get("customerGroupId")
        if group is None:
            raise ApiFailure("USCUSTOMER_API_0000501")
        if not isinstance(group, (int, str)) or int(group) not in {g["id"] for g in GROUPS}:
            raise ApiFailure("USCUSTOMER_API_0000301")
        third = body.get("thirdServerCode")
        if third is not None and (not isinstance(third, str) or len(third) > 50):
            raise ApiFailure("GGATEWAY_CODE_015")
        store = self.state.store
        if phone is not None:
            if not isinstance(phone, str) or not phone.isdigit():
                raise ApiFailure("USCUSTOMER_API_0000504")
            if store.by_phone(phone) is not None:
                raise ApiFailure("USCUSTOMER_API_0000106")
        if email is not None:
            if not isinstance(email, str) or not _EMAIL.match(email):
                raise ApiFailure("USCUSTOMER_API_0000510")
            if store.by_email(email) is not None:
                raise ApiFailure("USCUSTOMER_API_0000107")
        record = store.create(
            {
                "phone": phone,
                "email": email,
                "phoneArea": (body.get("phoneArea") or "+86") if phone else None,
                "registerSource": source,
                "customerGroupId": int(group),
                "remark": body.get("remark"),
            },
            {
                "country": country.upper(),
                "thirdServerCode": third,
                "utmSource": body.get("utmSource"),
            },
            pwd,
            int(time.time() * 1000),
        )
        return str(record["customerNo"])

    def _groups(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        trade_type = body.get("tradeType")
        if trade_type in (None, ""):
            return list(GROUPS)
        return [g for g in GROUPS if str(g["tradeType"]) == str(trade_type)]

    def _exists(self, body: dict[str, Any]) -> int:
        kind, login_name = body.get("type"), body.get("loginName")
        if kind in (None, "") or not login_name:
            raise ApiFailure("USCUSTOMER_API_0000501")
        store = self.state.store
        lookups = {"1": store.by_email, "2": store.by_phone, "3": store.by_customer_no}
        lookup = lookups.get(str(kind))
        if lookup is None:
            raise ApiFailure("GGATEWAY_CODE_015")
        return 1 if lookup(str(login_name)) is not None else 2


# Customer-list fields that the detail record (CustomerAllInfoVO) does not carry.
_LIST_ONLY_FIELDS = frozenset(
    {
        "customerGroupName",
        "agentCustomerNo",
        "remark",
        "tgUserId",
        "tgUserName",
        "thirdAccountNo",
        "updateTime",
        "firstAccountActivateTime",
    }
)


def _html_error(status: int) -> web.Response:
    """An error page like the ones a reverse proxy in front of the API serves."""
    reasons = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
    title = f"{status} {reasons.get(status, 'Error')}"
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return web.Response(body=page.encode(), status=status, content_type="text/html")


AUTH_FAULT_KINDS = ("500", "502", "503", "reset")
"""The transient faults a login may meet (``auth_fault_rate``)."""


def chaos_fault(kind: str, slow_delay: float, retry_after: float) -> Fault:
    """The fault a random draw of ``kind`` produces (see ``CHAOS_KINDS``)."""
    faults = {
        "500": Fault(FaultKind.CODE, code="G500", status=500),
        "502": Fault(FaultKind.HTML, status=502),
        "503": Fault(FaultKind.HTML, status=503),
        "reset": Fault(FaultKind.RESET),
        "slow": Fault(FaultKind.DELAY, delay=slow_delay),
        "429": Fault(FaultKind.RATE_LIMIT, delay=retry_after),
        "ratelimit_code": Fault(FaultKind.CODE, code="GGATEWAY_CODE_018"),
        "token_expiry": Fault(FaultKind.EXPIRE_TOKENS),
        "empty_page": Fault(FaultKind.EMPTY_PAGE),
        "short_page": Fault(FaultKind.SHORT_PAGE),
    }
    if kind not in faults:
        raise ValueError(f"unknown fault kind {kind!r}; choose from {', '.join(CHAOS_KINDS)}")
    return faults[kind]


def _requested_page(body: dict[str, Any]) -> int | None:
    """The page a paged call asks for (1 when absent), None when it is not a valid number."""
    if "current" not in body:
        return 1
    value = body["current"]
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 1 and not (isinstance(value, float) and value != number) else None


def _positive_int(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ApiFailure("GGATEWAY_CODE_015") from None
    if number < 1 or (isinstance(value, float) and value != number):
        raise ApiFailure("GGATEWAY_CODE_015")
    return number


def password_md5(plain: str) -> str:
    """What a well-behaved client sends for ``plain`` (for assertions in tests)."""
    return hashlib.md5(plain.encode("utf-8")).hexdigest()
