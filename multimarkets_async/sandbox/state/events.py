"""The Data Push events of the back office's customers, accounts and ledgers, in the vendor's
wire shapes (positions: ``position_events.py``; proposals: ``proposal_events.py``).

Each builder returns ``(eventType, data)`` with the field names and value shapes of the
vendor's samples: ids as strings, ledger and subject amounts as integers scaled by
``digits``, proposal amounts as decimals, ``currency`` an asset id in account and
ledger events but a code in position events. Update events carry an ``updateTime``
that strictly increases per entity (``EventLog.stamp``), so clients can de-duplicate on
``(eventType, data.id, data.updateTime, revision, version)``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .._config import SandboxConfig
from .accounts import (
    DEAL_BASE,
    ORDER_BASE,
    SUBJECT_BALANCE,
    Accounts,
    LedgerEntry,
    account_id,
    subject_id,
)
from .customers import CustomerStore, customer_no_of
from .feed import EventLog
from .reference import ASSET_CODES

Event = tuple[str, dict[str, Any]]
Record = dict[str, Any]  # a customer's list record (``CustomerStore.record``)
ACCOUNT_DIGITS = 6  # the digits of account balances (as the REST account list says)
CLOSE_DEAL_BASE = 2 * DEAL_BASE  # deals and orders of forced closes: base + position id
CLOSE_ORDER_BASE = 3 * ORDER_BASE


def scaled(value: Decimal, digits: int) -> int:
    """An amount as an integer scaled by ``digits``."""
    return int((value * 10**digits).to_integral_value())


def country_of(store: CustomerStore, cid: int) -> str:
    """The country of customer ``cid`` (``CN`` when it has none)."""
    return str(store.extras(cid).get("country") or "CN")


def customer_fields(store: CustomerStore, cid: int) -> dict[str, Any]:
    """``customerId`` (the wire id) and ``customerNo`` of customer ``cid``, as events carry
    them."""
    return {"customerId": store.public_id(cid), "customerNo": customer_no_of(cid)}


class EventBuilder:
    """Builds the events of customers, accounts and ledgers."""

    def __init__(
        self,
        log: EventLog,
        store: CustomerStore,
        accounts: Accounts,
        config: SandboxConfig,
    ) -> None:
        self.log = log
        self.store = store
        self.accounts = accounts
        self.config = config

    # -- customers ------------------------------------------------------------------------

    def _record(self, cid: int, record: Record | None) -> Record:
        """``record`` when the caller has it at hand, else the store's record of ``cid``."""
        return self.store.record(cid) if record is None else record

    def _person(self, cid: int, record: Record) -> dict[str, Any]:
        return {
            "companyId": self.config.company_id,
            "country": country_of(self.store, cid),
            "createTime": record["createTime"],
            "customerGroupId": record["customerGroupId"],
            "customerNo": customer_no_of(cid),
            "email": record["email"] or "",
            "emailArea": "",
            "id": str(self.store.public_id(cid)),
            "kycAuditRemark": "Company has not opened KYC certification, directly passed",
            "language": "en-US",
            "optional": 0,
            "phone": record["phone"] or "",
            "phoneArea": record["phoneArea"] or "",
            "status": record["status"],
        }

    def register(self, cid: int, record: Record | None = None) -> Event:
        """A customer registered."""
        record = self._record(cid, record)
        third = self.store.extras(cid).get("thirdServerCode") or ""
        data = self._person(cid, record)
        data.update(
            ext2=third,
            ext4=third,
            kycAuditStatus=2 if record["idCard"] else 0,
            registerSource=record["registerSource"],
            registerType=2 if record["phone"] else 1,
        )
        return "register", data

    def customer_update(self, cid: int, record: Record | None = None) -> Event:
        """A customer changed (a login, its status, its contact; status 3 when deleted): its
        record's state (``record``, else the store's), a new revision."""
        record = self._record(cid, record)
        login = record["loginTime"]
        data = self._person(cid, record)
        data.update(
            birthday="",
            createBy="admin",
            firstOpenAccountTime=record["firstAccountActivateTime"] or record["createTime"],
            kycAuditStatus=2 if record["idCard"] else 1,
            loginIp=f"10.{cid % 250}.{login % 250}.{cid % 7 + 1}" if login else "",
            loginTime=login,
            revision=self.log.bump("customer", str(cid)),
            updateBy="admin",
            updateTime=record["updateTime"],
        )
        return "customer_update", data

    def _info(self, cid: int, record: Record) -> dict[str, Any]:
        extras = self.store.extras(cid)
        info_id = self.store.public_id(cid)
        customer_no = customer_no_of(cid)
        return {
            "address": "",
            "city": "",
            "companyId": self.config.company_id,
            "country": country_of(self.store, cid),
            "createBy": customer_no,
            "createTime": record["createTime"],
            "customerInfoId": info_id,
            "customerNo": customer_no,
            "ext1": "",
            "ext2": "",
            "ext3": "",
            "ext4": "",
            "ext5": "",
            "id": str(info_id),
            "province": "",
            "registerDevice": "sandbox",
            "registerIp": f"10.0.{cid // 250 % 250}.{cid % 250}",
            "remark": record["remark"] or "",
            "revision": 0,
            "status": 1,
            "unitId": record["unitId"],
            "utmCampaign": "",
            "utmContent": "",
            "utmMedium": "",
            "utmSource": extras.get("utmSource") or "",
            "utmTerm": "",
        }

    def customer_info_insert(self, cid: int, record: Record | None = None) -> Event:
        """A customer's detail row was created."""
        return "customer_info_insert", self._info(cid, self._record(cid, record))

    def customer_info_update(self, cid: int) -> Event:
        """A customer's detail row changed: a new revision."""
        data = self._info(cid, self.store.record(cid))
        key = data["id"]
        data.update(
            revision=self.log.bump("customer_info", key),
            updateBy="admin",
            updateTime=self.log.stamp("customer_info", key),
        )
        return "customer_info_update", data

    def kyc(self, cid: int) -> Event:
        """A KYC level of a customer was approved (a new KYC record)."""
        serial = self.log.serial("kyc")
        stamp = self.log.stamp("kyc", str(serial))
        return "kyc", {
            "approval": "admin",
            "approvalTime": stamp,
            "businessCode": "1",
            "companyId": self.config.company_id,
            "createTime": stamp - 60_000,
            "customerNo": customer_no_of(cid),
            "ext1": "KYC_WEB_ADD",
            "ext2": str(serial),
            "id": str(serial),
            "levelCode": f"level_{1 + serial % 2}",
            "pathCode": "AF",
            "pno": f"K{556_059_077_701_000_000 + serial}",
            "revision": 0,
            "status": 2,
            "updateBy": "admin",
            "updateTime": stamp,
        }

    # -- accounts and ledger --------------------------------------------------------------

    def _account(
        self, cid: int, trade_type: int, currency: str, stamp: int, record: Record
    ) -> dict[str, Any]:
        return {
            "activateStatus": 2,
            "companyId": self.config.company_id,
            "createTime": record["createTime"],
            "currency": ASSET_CODES[currency]["id"],
            "currencyCode": currency,
            **customer_fields(self.store, cid),
            "digits": ACCOUNT_DIGITS,
            "id": str(account_id(cid, trade_type, currency)),
            "status": 2,
            "tradeType": trade_type,
            "type": 1,
            "updateTime": stamp,
        }

    def open_account(
        self, cid: int, trade_type: int, currency: str = "USDT", record: Record | None = None
    ) -> Event:
        """A trading account was opened."""
        key = str(account_id(cid, trade_type, currency))
        stamp = self.log.stamp("account", key)
        return "open_account", self._account(
            cid, trade_type, currency, stamp, self._record(cid, record)
        )

    def account_update(self, cid: int, trade_type: int, currency: str = "USDT") -> Event:
        """A trading account changed."""
        key = str(account_id(cid, trade_type, currency))
        stamp = self.log.stamp("account", key)
        data = self._account(cid, trade_type, currency, stamp, self.store.record(cid))
        data["activateStatus"] = 1 + self.log.bump("account", key) % 2
        return "account_update", data

    def _subject(
        self, cid: int, trade_type: int, currency: str, version: int, record: Record
    ) -> dict[str, Any]:
        account = account_id(cid, trade_type, currency)
        key = str(subject_id(account))
        return {
            "accountId": account,
            "amount": scaled(self.accounts.balance(cid, trade_type, currency), ACCOUNT_DIGITS),
            "createTime": record["createTime"],
            "digits": ACCOUNT_DIGITS,
            "id": key,
            "type": SUBJECT_BALANCE,
            "updateTime": self.log.stamp("subject", key),
            "version": version,
        }

    def subject_insert(
        self, cid: int, trade_type: int, currency: str = "USDT", record: Record | None = None
    ) -> Event:
        """An account's balance subject was created."""
        record = self._record(cid, record)
        return "subject_insert", self._subject(cid, trade_type, currency, 0, record)

    def subject_update(self, cid: int, trade_type: int, currency: str = "USDT") -> Event:
        """An account's balance changed: the new amount, a new version."""
        key = str(subject_id(account_id(cid, trade_type, currency)))
        version = self.log.bump("subject", key)
        record = self.store.record(cid)
        return "subject_update", self._subject(cid, trade_type, currency, version, record)

    def _water(self, entry: LedgerEntry, trade_type: int) -> dict[str, Any]:
        key = str(entry.bookkeep_id)
        delta = entry.delta
        return {
            "accountId": entry.account_id,
            "accountType": 1,
            "amountAfter": scaled(entry.after, ACCOUNT_DIGITS),
            "amountIn": scaled(delta, ACCOUNT_DIGITS) if delta > 0 else 0,
            "amountOut": scaled(-delta, ACCOUNT_DIGITS) if delta < 0 else 0,
            "bookkeepId": entry.bookkeep_id,
            "businessType": entry.kind,
            "businessType1": entry.sub_kind,
            "companyId": self.config.company_id,
            "createTime": entry.created,
            "currency": ASSET_CODES[entry.currency]["id"],
            "currencyCode": entry.currency,
            **customer_fields(self.store, entry.customer_id),
            "digits": ACCOUNT_DIGITS,
            "id": key,
            "orderId": entry.order_id or 0,
            "remark": entry.remark or "",
            "status": 2,
            "subjectId": subject_id(entry.account_id),
            "subjectType": SUBJECT_BALANCE,
            "tradeType": trade_type,
            "updateTime": self.log.stamp("water", key),
            "version": 0,
        }

    def subject_water_insert(self, entry: LedgerEntry, trade_type: int) -> Event:
        """A ledger entry was created."""
        return "subject_water_insert", self._water(entry, trade_type)

    def subject_water_update(self, entry: LedgerEntry, trade_type: int) -> Event:
        """A ledger entry changed (its remark): a new version."""
        data = self._water(entry, trade_type)
        data["version"] = version = self.log.bump("water", data["id"])
        data["remark"] = f"reviewed #{version}"
        return "subject_water_update", data
