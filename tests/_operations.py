"""The bizTypes the tests observe, read from the SDK's own operations: one spelling, one source."""

from __future__ import annotations

from multimarkets_async.resources import ENDPOINTS

_BIZ_TYPES = {endpoint.method: endpoint.operation.biz_type for endpoint in ENDPOINTS}


def biz_type(method: str) -> str:
    """The bizType the client method ``method`` (``"customers.list"``) calls."""
    return _BIZ_TYPES[method]


AUTH = biz_type("auth.login")
PAGE = biz_type("customers.list")
DETAIL = biz_type("customers.get")
CREATE = biz_type("customers.create")
GROUPS = biz_type("customers.groups")
BONUS = biz_type("funds.bonus")
CAPITAL_FLOW = biz_type("trade.capital_flow")
CUSTOMER_POSITIONS = biz_type("trade.positions")
ALL_POSITIONS = biz_type("trade.all_positions")
