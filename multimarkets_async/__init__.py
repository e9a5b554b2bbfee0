"""Async SDK for the MultiMarkets Manager API.

import multimarkets_async as mm

async with mm.ManagerClient() as client:          # credentials from MULTIMARKETS_* variables
    async for customer in client.customers.list():
        print(customer.customer_no, customer.email)
"""

from ._config import PRODUCTION_BASE_URL, TEST_BASE_URL, TEST_BASE_URL_SPEC, Timeout
from ._retry import Retry
from ._version import __version__
from .client import ManagerClient
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BusinessError,
    ClientClosedError,
    ConfigurationError,
    ConflictError,
    InvalidRequestError,
    MultiMarketsError,
    NotFoundError,
    NoticeError,
    PermissionDeniedError,
    RateLimitError,
    RequestExpiredError,
    ServiceUnavailableError,
    TransportError,
    UndecodableResponseError,
    ValidationError,
)
from .models import (
    CompanyProfile,
    Customer,
    CustomerDetail,
    CustomerGroup,
    CustomerStatus,
    CustomerType,
    DetailSection,
    Page,
    RegisterSource,
    TradeType,
    TradeTypeInfo,
)
from .pagination import PageIterator, Paginator, RecordIterator, WalkStats

__all__ = [
    "PRODUCTION_BASE_URL",
    "TEST_BASE_URL",
    "TEST_BASE_URL_SPEC",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BusinessError",
    "ClientClosedError",
    "CompanyProfile",
    "ConfigurationError",
    "ConflictError",
    "Customer",
    "CustomerDetail",
    "CustomerGroup",
    "CustomerStatus",
    "CustomerType",
    "DetailSection",
    "InvalidRequestError",
    "ManagerClient",
    "MultiMarketsError",
    "NotFoundError",
    "NoticeError",
    "Page",
    "PageIterator",
    "Paginator",
    "PermissionDeniedError",
    "RateLimitError",
    "RecordIterator",
    "RegisterSource",
    "RequestExpiredError",
    "Retry",
    "ServiceUnavailableError",
    "Timeout",
    "TradeType",
    "TradeTypeInfo",
    "TransportError",
    "UndecodableResponseError",
    "ValidationError",
    "WalkStats",
    "__version__",
]
