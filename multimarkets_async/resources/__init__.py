"""One resource class per vendor tag; each only describes its calls.

``ENDPOINTS`` lists every vendor operation with the client method that calls it.
"""

from . import auth, basic, customers, funds, markets, messages, products, trade
from ._base import Endpoint
from .auth import AuthResource
from .basic import BasicResource
from .customers import CustomersResource
from .funds import FundsResource
from .markets import MarketsResource
from .messages import MessagesResource
from .products import ProductsResource
from .trade import TradeResource

ENDPOINTS: tuple[Endpoint, ...] = (
    *auth.ENDPOINTS,
    *basic.ENDPOINTS,
    *products.ENDPOINTS,
    *customers.ENDPOINTS,
    *funds.ENDPOINTS,
    *messages.ENDPOINTS,
    *trade.ENDPOINTS,
    *markets.ENDPOINTS,
)

__all__ = [
    "ENDPOINTS",
    "AuthResource",
    "BasicResource",
    "CustomersResource",
    "Endpoint",
    "FundsResource",
    "MarketsResource",
    "MessagesResource",
    "ProductsResource",
    "TradeResource",
]
