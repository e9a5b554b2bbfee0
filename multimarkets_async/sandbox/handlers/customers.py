"""Customers: the paged list, details, sign-up, groups and the existence check."""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from typing import Any

import msgspec

from .._failure import ApiFailure
from ..state import Backend
from ..state.accounts import account_id
from ..state.customers import GROUPS
from . import Handlers
from ._fields import BAD_PARAMETER, MAX_PAGE_SIZE, Body, missing, positive_int

PAGE_CACHE_ENTRIES = 256
DETAIL_SECTIONS = (
    "baseInfo",
    "tradeAccount",
    "kyc",
    "allKyc",
    "bankList",
    "walletList",
    "otherInfo",
)
MISSING_FIELD = "USCUSTOMER_API_0000501"

_encode = msgspec.json.encode
_MD5_HEX = re.compile(r"^[0-9a-f]{32}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

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
# Detail fields every sandbox customer has alike.
_DETAIL_CONSTANTS: dict[str, Any] = {
    "loginPassStatus": "1",
    "payPassStatus": "0",
    "assertPassStatus": "0",
    "apiCheckSwitch": False,
    "apiCheckRule": None,
    "companyType": "1",
    "companyKycStatus": 1,
    "associationCompanyId": None,
    "deposit": 1,
    "withdraw": 1,
    "isFund": 0,
    "optional": 0,
    "type": 1,
}


class CustomerHandlers(Handlers):
    """``customer.*``: the customer list and what hangs off a customer."""

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self._page_cache: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()

    def page(self, body: Body) -> bytes:
        """One page of the list, newest first (or the customer of ``customerNo``)."""
        current = positive_int(body.get("current", 1))
        size = positive_int(body.get("size", 20))
        if size > MAX_PAGE_SIZE:
            raise ApiFailure(BAD_PARAMETER)
        store = self.store
        # Live data: sign-ups, deletions and changes happening while clients walk the list.
        self.backend.sign_up(self.config.insert_per_call)
        self.backend.delete_customers(self.config.delete_per_call)
        self.backend.update_customers(self.config.update_per_call)
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
            records = self._records_json((current - 1) * size, size)
        head = f'{{"current":{current},"size":{size},"total":{total},"records":'
        return b"".join((head.encode(), records, b"}"))

    def _records_json(self, offset: int, size: int) -> bytes:
        store = self.store
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

    def detail(self, body: Body) -> dict[str, Any]:
        """One section of a customer's details (``type``)."""
        section, customer_id, customer_no = body.get("type"), body.get("id"), body.get("customerNo")
        if not section or missing(customer_id) or not customer_no:
            raise ApiFailure(MISSING_FIELD)
        if section not in DETAIL_SECTIONS:
            raise ApiFailure(BAD_PARAMETER)
        store = self.store
        found = store.by_customer_no(str(customer_no))
        if found is None or str(store.public_id(found)) != str(customer_id).strip():
            raise ApiFailure("USCUSTOMER_API_0000003")
        detail = self._detail_record(found)
        if section == "tradeAccount":
            detail["accountList"] = [
                _trade_account(account_id(found, 1), 1, "1000.00"),
                _trade_account(account_id(found, 5), 5, "0.00"),
            ]
        return detail

    def _detail_record(self, found: int) -> dict[str, Any]:
        record = self.store.wire_record(found)
        extras = self.store.extras(found)
        detail = {key: value for key, value in record.items() if key not in _LIST_ONLY_FIELDS}
        activated = record["firstAccountActivateTime"]
        kyc = 2 if record["idCard"] else 0
        detail.update(
            country=extras.get("country"),
            registerTime=record["createTime"],
            activateStatus=1 if activated else 0,
            activateTime=activated,
            kycStatus=kyc,
            kycAuditStatus=kyc,
        )
        detail.update(_DETAIL_CONSTANTS)
        detail.update(
            thirdServerCode=extras.get("thirdServerCode"),
            utmSource=extras.get("utmSource"),
            source="sandbox",
            accountRemark=None,
            address=None,
            postalCode=None,
        )
        return detail

    def create(self, body: Body) -> str:
        """Sign a customer up; the new customer number."""
        phone, email = body.get("phone") or None, body.get("email") or None
        if phone is None and email is None:
            raise ApiFailure("USCUSTOMER_API_0000105")
        pwd = _checked_password(body.get("pwd"))
        country = _checked_country(body.get("country"))
        source = body.get("registerSource")
        if not isinstance(source, int) or not 1 <= source <= 9:
            raise ApiFailure(BAD_PARAMETER)
        group = body.get("customerGroupId")
        if group is None:
            raise ApiFailure(MISSING_FIELD)
        if not isinstance(group, (int, str)) or int(group) not in {g["id"] for g in GROUPS}:
            raise ApiFailure("USCUSTOMER_API_0000301")
        third = body.get("thirdServerCode")
        if third is not None and (not isinstance(third, str) or len(third) > 50):
            raise ApiFailure(BAD_PARAMETER)
        self._check_contact(phone, email)
        fields = {
            "phone": phone,
            "email": email,
            "phoneArea": (body.get("phoneArea") or "+86") if phone else None,
            "registerSource": source,
            "customerGroupId": int(group),
            "remark": body.get("remark"),
        }
        extras = {
            "country": country.upper(),
            "thirdServerCode": third,
            "utmSource": body.get("utmSource"),
        }
        record = self.backend.create_customer(fields, extras, pwd, int(time.time() * 1000))
        return str(record["customerNo"])

    def _check_contact(self, phone: Any, email: Any) -> None:
        """A valid phone and e-mail that no customer uses yet."""
        if phone is not None:
            if not isinstance(phone, str) or not phone.isdigit():
                raise ApiFailure("USCUSTOMER_API_0000504")
            if self.store.by_phone(phone) is not None:
                raise ApiFailure("USCUSTOMER_API_0000106")
        if email is not None:
            if not isinstance(email, str) or not _EMAIL.match(email):
                raise ApiFailure("USCUSTOMER_API_0000510")
            if self.store.by_email(email) is not None:
                raise ApiFailure("USCUSTOMER_API_0000107")

    def groups(self, body: Body) -> list[dict[str, Any]]:
        """Customer groups, of one trading mode when ``tradeType`` is given."""
        trade_type = body.get("tradeType")
        if missing(trade_type):
            return list(GROUPS)
        return [g for g in GROUPS if str(g["tradeType"]) == str(trade_type)]

    def exists(self, body: Body) -> int:
        """1 when a customer has the e-mail (type 1), phone (2) or number (3), else 2."""
        kind, login_name = body.get("type"), body.get("loginName")
        if missing(kind) or not login_name:
            raise ApiFailure(MISSING_FIELD)
        store = self.store
        lookups = {"1": store.by_email, "2": store.by_phone, "3": store.by_customer_no}
        lookup = lookups.get(str(kind))
        if lookup is None:
            raise ApiFailure(BAD_PARAMETER)
        return 1 if lookup(str(login_name)) is not None else 2


def _checked_password(pwd: Any) -> str:
    if not pwd:
        raise ApiFailure("USCUSTOMER_API_0000125")
    if not isinstance(pwd, str) or not _MD5_HEX.match(pwd):
        raise ApiFailure(BAD_PARAMETER)
    return pwd


def _checked_country(country: Any) -> str:
    if not country:
        raise ApiFailure("USCUSTOMER_API_0000505")
    if not isinstance(country, str) or len(country) != 2 or not country.isalpha():
        raise ApiFailure("USCUSTOMER_API_0000507")
    return country


def _trade_account(account: int, trade_type: int, balance: str) -> dict[str, Any]:
    return {
        "accountId": account,
        "tradeType": trade_type,
        "currency": "USDT",
        "digits": 2,
        "balance": balance,
        "status": 1,
    }
