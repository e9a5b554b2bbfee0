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


class Direction(IntEnum):
    """Side of an order, deal or position."""

    BUY = 1
    SELL = 2


class LockType(IntEnum):
    """Which transfers a trading-account lock blocks."""

    TRANSFER_IN = 1
    TRANSFER_OUT = 2
    BOTH = 3


class BonusOperation(IntEnum):
    """Issue a spot bonus, or claw it back."""

    ISSUE = 1
    CLAW_BACK = 2


class RateType(IntEnum):
    """Exchange rates for deposits or for withdrawals."""

    DEPOSIT = 1
    WITHDRAWAL = 2


class KlineType(IntEnum):
    """K-line interval."""

    MIN_1 = 1
    MIN_5 = 2
    MIN_15 = 3
    MIN_30 = 4
    HOUR_1 = 5
    HOUR_2 = 6
    HOUR_4 = 7
    DAY_1 = 8
    WEEK_1 = 9
    MONTH_1 = 10


class Market(str, Enum):
    """Market-data feed: forex and crypto, or stocks."""

    FX_CRYPTO = "fx_crypto"
    STOCK = "stock"


class MessageLanguage(str, Enum):
    """Language of an in-app message."""

    EN_US = "en-US"
    ZH_CN = "zh-CN"
    ZH_HK = "zh-HK"


class RefreshType(IntEnum):
    """What the customer's app refreshes when a message arrives."""

    NONE = 0
    POSITIONS = 1
    PENDING_ORDERS = 2
    FUNDS = 3
    FORCE_LOGOUT = 4
    PENDING_ORDERS_AND_POSITIONS = 5
    PENDING_ORDERS_AND_FUNDS = 6


class VerificationCodeType(str, Enum):
    """Kinds of verification code whose delivery can be checked."""

    EMAIL_COMMON = "EMAIL_COMMON_VERIFICATION_CODE"
    EMAIL_LOGIN = "EMAIL_LOGIN_VERIFICATION_CODE"
    EMAIL_REGISTER = "EMAIL_REGISTER_VERIFICATION_CODE"
    EMAIL_PASSWORD = "EMAIL_PASSWORD_VERIFICATION_CODE"
    SMS_COMMON = "SMS_COMMON_VERIFICATION_CODE"
    SMS_LOGIN = "SMS_LOGIN_VERIFICATION_CODE"
    SMS_REGISTER = "SMS_REGISTER_VERIFICATION_CODE"
    SMS_PASSWORD = "SMS_PASSWORD_VERIFICATION_CODE"
