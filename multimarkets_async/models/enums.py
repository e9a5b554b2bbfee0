"""Documented code sets. Model fields stay plain ``int`` so that new or placeholder values
still decode; compare them with these enums (``customer.status == CustomerStatus.NORMAL``)."""

from __future__ import annotations

from enum import Enum, IntEnum


class RegisterSource(IntEnum):
    """Channel a customer registered through."""

    H5 = 1
    PC_WEB = 2
    SYSTEM = 3
    ANDROID = 4
    IOS = 5
    HARMONY_OS = 6
    WINDOWS = 7
    MAC = 8
    OTHER = 9


class CustomerStatus(IntEnum):
    """Lifecycle state of a customer."""

    NORMAL = 1
    DISABLED = 2
    DELETED = 3
    CLOSED = 4
    LOCKED = 5
    CLOSING = 6


class CustomerType(IntEnum):
    """Kind of customer."""

    DEFAULT = 0
    AGENT = 1
    CREDIT = 2
    ACTIVITY_SETTLEMENT = 3


class TradeType(IntEnum):
    """Trading mode ("gameplay") of an account or product."""

    CFD_CROSS = 1
    CFD_ISOLATED = 2
    LEVERAGE = 3
    SPOT = 5
    STOCK = 6


class DetailSection(str, Enum):
    """Which block of a customer's data ``customers.get`` returns."""

    BASE_INFO = "baseInfo"
    TRADE_ACCOUNT = "tradeAccount"
    KYC = "kyc"
    ALL_KYC = "allKyc"
    BANK_LIST = "bankList"
    WALLET_LIST = "walletList"
    OTHER_INFO = "otherInfo"


class LoginNameType(IntEnum):
    """What ``checkCustomerExist`` looks up."""

    EMAIL = 1
    PHONE = 2
    CUSTOMER_NO = 3
