"""Pure data: msgspec Structs and enums. Imports nothing from the rest of the package."""

from ._envelope import Envelope, LooseEnvelope, Page
from .company import AuthResult, CompanyProfile, TradeTypeInfo
from .customer import Customer, CustomerDetail, CustomerGroup
from .enums import (
    CustomerStatus,
    CustomerType,
    DetailSection,
    LoginNameType,
    RegisterSource,
    TradeType,
)

__all__ = [
    "AuthResult",
    "CompanyProfile",
    "Customer",
    "CustomerDetail",
    "CustomerGroup",
    "CustomerStatus",
    "CustomerType",
    "DetailSection",
    "Envelope",
    "LoginNameType",
    "LooseEnvelope",
    "Page",
    "RegisterSource",
    "TradeType",
    "TradeTypeInfo",
]
