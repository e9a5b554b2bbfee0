"""Which handler answers which call: the bizType table, the market-data table, the paths.

A business call is ``POST {base}/{bizType}`` (or ``{base}/global/{bizType}``), the login
``POST {base}/auth/{bizType}``; market data is ``GET {base}/{feed}/{name}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from .handlers import Handler
from .handlers.auth import AuthHandlers
from .handlers.basic import BasicHandlers
from .handlers.customers import CustomerHandlers
from .handlers.funds import FundHandlers
from .handlers.markets import MarketHandlers
from .handlers.messages import MessageHandlers
from .handlers.products import ProductHandlers
from .handlers.trade import TradeHandlers
from .state import Backend

API_PATH = "/openapi-b/{tail:.+}"
MARKET_PATH = "/openapi-b/{feed:quote-b-api|quote-stock-b-api}/{name}"
CONTROL_PATH = "/_sandbox/customers"
PUSH_PATH = "/openapi-b/ws"  # Data Push (a websocket)
AUTH_PREFIX = "auth"
API_PREFIXES = ("", "global")
AUTH_BIZ_TYPE = "admin.admin.CompanyAuthDubboService.auth"

PAGED_LISTINGS = frozenset(
    {
        "customer.admin.WhiteCustomerAdminApiService.page",
        "tradeapi.admin.PositionAdminApiService.queryAllPositionPage",
        "tradeapi.admin.OrderAdminApiService.queryCapitalFlowList",
    }
)
"""Operations answering ``{current, size, total, records}``: paging quirks and page faults
apply to these."""

BIZ_CODES = {
    "customer": "C",
    "fund": "F",
    "tradeapi": "O",
    "report": "O",
    "config": "S",
    "message": "M",
}
"""The module that answers, by bizType prefix (the envelope's ``bizCode``)."""

TRADE_SERVICES = ("tradeapi.", "report.")
"""bizType prefixes the gateway routes by the ``group`` header."""


@dataclass(frozen=True)
class RouteTable:
    """The handlers of one sandbox: logins, business calls, market data."""

    auth: dict[str, Handler]
    api: dict[str, Handler]
    market: dict[str, Handler]

    def handler(self, prefix: str, biz_type: str) -> Handler | None:
        """The handler of a business call or login; None when the gateway knows no such."""
        if prefix == AUTH_PREFIX:
            return self.auth.get(biz_type)
        return self.api.get(biz_type) if prefix in API_PREFIXES else None


ROUTES = web.AppKey("routes", RouteTable)


def route_table(backend: Backend, public_key: Callable[[], str]) -> RouteTable:
    """Every handler of a sandbox on ``backend``, by bizType (market data: by name); the
    login hands out ``public_key()``."""
    return RouteTable(
        auth={AUTH_BIZ_TYPE: AuthHandlers(backend, public_key).login},
        api=_api_routes(backend),
        market=_market_routes(backend),
    )


def _api_routes(backend: Backend) -> dict[str, Handler]:
    customers, basic = CustomerHandlers(backend), BasicHandlers(backend)
    products, funds = ProductHandlers(backend), FundHandlers(backend)
    messages, trade = MessageHandlers(backend), TradeHandlers(backend)
    services: dict[str, dict[str, Handler]] = {
        "customer.admin.WhiteCustomerAdminApiService": {
            "page": customers.page,
            "detail": customers.detail,
            "addCusAndOpenAccountAndKyc": customers.create,
        },
        "customer.admin.CustomerGroupAdminApiService": {"groupList": customers.groups},
        "customer.app.CustomerWebApiService": {"checkCustomerExist": customers.exists},
        "customer.admin.CustomerAdminApiService": {"queryAccountList": funds.accounts},
        "config.admin.AdminDictDubboService": {
            "getListByParentCode": basic.dictionary,
            "getCountryListByParentCode": basic.countries,
        },
        "config.admin.AdminAssetsDubboService": {
            "getAssetsList": basic.assets,
            "getTradeTypeList": basic.trade_types,
        },
        "config.admin.AdminSymbolDubboService": {
            "getSymbolTradeTypeByCompanyId": products.group_products,
            "getSymbolList": products.products,
            "getSymbolGroupList": products.product_groups,
            "getSymbolByCompanyId": products.product_details,
            "getFundByCompanyId": products.funds,
        },
        "fund.admin.CustomerActivityBonusAdminDubboService": {
            "operationBonus": funds.bonus,
            "lockTradeAccount": funds.lock,
            "unlockTradeAccount": funds.unlock,
            "queryOneLockTradeAccount": funds.lock_status,
            "queryTradeTypeLockTradeAccount": funds.lock_states,
        },
        "fund.admin.CustomerFundAdminDubboService": {"getExchangeRate": funds.exchange_rates},
        "fund.admin.CustomerAdjustProposalAdminDubboService": {
            "addCustomerAdjustProposal": funds.adjust,
            "getCustomerAdjustProposalById": funds.proposal,
        },
        "message.admin.PlatFormMessageThirdSendAdminService": {"add": messages.send},
        "message.admin.VerificationAdminService": {"queryCodeSendStatus": messages.code_status},
        "tradeapi.admin.OrderAdminApiService": {
            "queryCapitalFlowList": trade.capital_flow,
            "queryPositionPage": trade.customer_positions,
            "cancelPboOrder": trade.cancel_pending,
            "forcedOrder": trade.force_close,
        },
        "tradeapi.admin.PositionAdminApiService": {"queryAllPositionPage": trade.all_positions},
        "report.admin.CatsTradeDealService": {
            "getTradeDealInfoByDealId": trade.deal,
            "getTradeDealInfoByOrderId": trade.order_deals,
        },
    }
    return {
        f"{service}.{method}": handler
        for service, methods in services.items()
        for method, handler in methods.items()
    }


def _market_routes(backend: Backend) -> dict[str, Handler]:
    markets = MarketHandlers(backend)
    return {
        "depth-tick": markets.depth,
        "trade-tick": markets.trades,
        "kline": markets.kline,
        "batch-kline": markets.batch_kline,
    }
