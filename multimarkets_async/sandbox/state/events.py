"""The Data Push events of the back office's entities, in the vendor's wire shapes.

Each builder returns ``(eventType, data)`` with the field names and value shapes of the
vendor's samples: ids as strings, ledger and subject amounts as integers scaled by
``digits``, proposal amounts as decimals, ``currency`` an asset id in account and
ledger events but a code in position events. Update events carry an ``updateTime``
that strictly increases per entity (``EventLog.stamp``), so clients can de-duplicate on
``(eventType, data.id, data.updateTime|revision|version)``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .._config import SandboxConfig
from .accounts import DEAL_BASE, ORDER_BASE, Accounts, LedgerEntry, account_id
from .customers import GROUPS, CustomerStore, customer_no_of
from .feed import EventLog
from .funds import Proposal
from .reference import ASSET_CODES

Event = tuple[str, dict[str, Any]]
ACCOUNT_DIGITS = 6  # the digits of account balances (as the REST account list says)
SUBJECT_BALANCE = 1  # subject type 1: the balance
CLOSE_DEAL_BASE = 2 * DEAL_BASE  # deals and orders of forced closes: base + position id
CLOSE_ORDER_BASE = 3 * ORDER_BASE
GROUP_TRADE_TYPES = {g["id"]: g["tradeType"] for g in GROUPS}
PROPOSAL_PLACES = Decimal("0.000000001")  # proposal amounts: 9 decimals, like the samples


def scaled(value: Decimal, digits: int) -> int:
    """An amount as an integer scaled by ``digits``."""
    return int((value * 10**digits).to_integral_value())


def proposal_amount(value: Decimal) -> Decimal:
    """A proposal amount as the samples write it (``50.000000000``)."""
    return value.quantize(PROPOSAL_PLACES)


class EventBuilder:
    """Builds the events of customers, accounts, ledgers, proposals and positions."""

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

    def _person(self, cid: int) -> dict[str, Any]:
        record = self.store.record(cid)
        return {
            "companyId": self.config.company_id,
            "country": self.store.extras(cid).get("country") or "CN",
            "createTime": record["createTime"],
            "customerGroupId": record["customerGroupId"],
            "customerNo": record["customerNo"],
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

    def register(self, cid: int) -> Event:
        """A customer registered."""
        record = self.store.record(cid)
        third = self.store.extras(cid).get("thirdServerCode") or ""
        data = self._person(cid)
        data.update(
            ext2=third,
            ext4=third,
            kycAuditStatus=2 if record["idCard"] else 0,
            registerSource=record["registerSource"],
            registerType=2 if record["phone"] else 1,
        )
        return "register", data

    def customer_update(self, cid: int, status: int | None = None) -> Event:
        """A customer changed (a login; or its ``status``, 3 when deleted): a new revision."""
        key = str(cid)
        stamp = self.log.stamp("customer", key)
        record = self.store.record(cid)
        data = self._person(cid)
        data.update(
            birthday="",
            createBy="admin",
            firstOpenAccountTime=record["firstAccountActivateTime"] or record["createTime"],
            kycAuditStatus=2 if record["idCard"] else 1,
            loginIp=f"10.{cid % 250}.{stamp % 250}.{cid % 7 + 1}",
            loginTime=stamp,
            revision=self.log.bump("customer", key),
            updateBy="admin",
            updateTime=stamp,
        )
        if status is not None:
            data["status"] = status
        return "customer_update", data

    def _info(self, cid: int) -> dict[str, Any]:
        record, extras = self.store.record(cid), self.store.extras(cid)
        info_id = self.store.public_id(cid)
        return {
            "address": "",
            "city": "",
            "companyId": self.config.company_id,
            "country": extras.get("country") or "CN",
            "createBy": record["customerNo"],
            "createTime": record["createTime"],
            "customerInfoId": info_id,
            "customerNo": record["customerNo"],
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

    def customer_info_insert(self, cid: int) -> Event:
        """A customer's detail row was created."""
        return "customer_info_insert", self._info(cid)

    def customer_info_update(self, cid: int) -> Event:
        """A customer's detail row changed: a new revision."""
        data = self._info(cid)
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

    def trade_type_of(self, cid: int) -> int:
        """The trading mode of a customer's first account (by its customer group)."""
        return int(GROUP_TRADE_TYPES.get(self.store.record(cid)["customerGroupId"], 1))

    def _account(self, cid: int, trade_type: int, currency: str, stamp: int) -> dict[str, Any]:
        return {
            "activateStatus": 2,
            "companyId": self.config.company_id,
            "createTime": self.store.record(cid)["createTime"],
            "currency": ASSET_CODES[currency]["id"],
            "currencyCode": currency,
            "customerId": self.store.public_id(cid),
            "customerNo": customer_no_of(cid),
            "digits": ACCOUNT_DIGITS,
            "id": str(account_id(cid, trade_type, currency)),
            "status": 2,
            "tradeType": trade_type,
            "type": 1,
            "updateTime": stamp,
        }

    def open_account(self, cid: int, trade_type: int, currency: str = "USDT") -> Event:
        """A trading account was opened."""
        key = str(account_id(cid, trade_type, currency))
        return "open_account", self._account(
            cid, trade_type, currency, self.log.stamp("account", key)
        )

    def account_update(self, cid: int, trade_type: int, currency: str = "USDT") -> Event:
        """A trading account changed."""
        key = str(account_id(cid, trade_type, currency))
        data = self._account(cid, trade_type, currency, self.log.stamp("account", key))
        data["activateStatus"] = 1 + self.log.bump("account", key) % 2
        return "account_update", data

    def _subject(self, cid: int, trade_type: int, currency: str, version: int) -> dict[str, Any]:
        account = account_id(cid, trade_type, currency)
        key = str(account * 10 + SUBJECT_BALANCE)
        return {
            "accountId": account,
            "amount": scaled(self.accounts.balance(cid, trade_type, currency), ACCOUNT_DIGITS),
            "createTime": self.store.record(cid)["createTime"],
            "digits": ACCOUNT_DIGITS,
            "id": key,
            "type": SUBJECT_BALANCE,
            "updateTime": self.log.stamp("subject", key),
            "version": version,
        }

    def subject_insert(self, cid: int, trade_type: int, currency: str = "USDT") -> Event:
        """An account's balance subject was created."""
        return "subject_insert", self._subject(cid, trade_type, currency, 0)

    def subject_update(self, cid: int, trade_type: int, currency: str = "USDT") -> Event:
        """An account's balance changed: the new amount, a new version."""
        key = str(account_id(cid, trade_type, currency) * 10 + SUBJECT_BALANCE)
        version = self.log.bump("subject", key)
        return "subject_update", self._subject(cid, trade_type, currency, version)

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
            "customerId": self.store.public_id(entry.customer_id),
            "customerNo": customer_no_of(entry.customer_id),
            "digits": ACCOUNT_DIGITS,
            "id": key,
            "orderId": entry.order_id or 0,
            "remark": entry.remark or "",
            "status": 2,
            "subjectId": entry.account_id * 10 + SUBJECT_BALANCE,
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

    # -- proposals ------------------------------------------------------------------------

    def account_adjust(self, proposal: Proposal, sub_kind: int) -> Event:
        """A balance adjustment (approved)."""
        stamp = self.log.stamp("adjust", str(proposal.serial))
        return "account_adjust", {
            "accountCurrency": proposal.currency,
            "accountId": proposal.account_id,
            "amount": proposal_amount(proposal.amount),
            "businessType": sub_kind,
            "checkBy": "system",
            "checkStatus": 2,
            "companyId": self.config.company_id,
            "createBy": "openapi",
            "createTime": proposal.created,
            "customerNo": proposal.customer_no,
            "id": str(proposal.serial),
            "proposalNo": proposal.number,
            "revision": 1,
            "tradeType": proposal.trade_type,
            "updateBy": "openapi",
            "updateTime": stamp,
            "withdraw": True,
        }

    def deposit(self, entry: LedgerEntry, trade_type: int, serial: int) -> Event:
        """A deposit succeeded (the proposal behind ledger entry ``entry``)."""
        amount = proposal_amount(entry.delta)
        return "deposit", {
            "accountId": entry.account_id,
            "actualAmount": amount,
            "blockchainName": "",
            "checkStatus": 2,
            "companyId": self.config.company_id,
            "country": self.store.extras(entry.customer_id).get("country") or "CN",
            "createBy": customer_no_of(entry.customer_id),
            "createTime": entry.created - 250_000,
            "customerNo": customer_no_of(entry.customer_id),
            "depositCurrency": entry.currency,
            "depositFee": proposal_amount(Decimal(0)),
            "depositFrom": ("H5_Android", "PCUI_Windows", "APP_IOS")[serial % 3],
            "depositStatus": 2,
            "finalAmount": amount,
            "fromPaymentAmount": proposal_amount(entry.delta * Decimal("7.185")),
            "id": str(serial),
            "intendAmount": amount,
            "notifyStatus": True,
            "paymentChannelClientType": "mobile",
            "paymentCode": "mdpay",
            "paymentCurrency": "CNY",
            "paymentStatus": 2,
            "paymentType": "bank",
            "proposalNo": f"D{entry.created // 1000}{serial:05d}",
            "queryMaxCount": 20,
            "revision": 3,
            "toPaymentAmount": proposal_amount(entry.delta * Decimal("7.185")),
            "toPaymentRate": proposal_amount(Decimal("7.185")),
            "tradeType": trade_type,
            "updateBy": "admin",
            "updateTime": self.log.stamp("deposit", str(serial)),
        }

    def withdraw(self, entry: LedgerEntry, trade_type: int, serial: int) -> Event:
        """A withdrawal proposal, approved and transferred (ledger entry ``entry``)."""
        amount = proposal_amount(-entry.delta)
        return "withdraw", {
            "accountCurrency": entry.currency,
            "accountId": entry.account_id,
            "amount": amount,
            "bankAccountName": "",
            "bankCardNo": "",
            "bankName": "",
            "blockchainName": "TRC20",
            "checkBy": "admin",
            "checkStatus": 2,
            "companyId": self.config.company_id,
            "country": self.store.extras(entry.customer_id).get("country") or "CN",
            "createBy": "admin",
            "createTime": entry.created - 60_000,
            "customerNo": customer_no_of(entry.customer_id),
            "finalAmount": amount,
            "id": str(serial),
            "proposalNo": f"W{entry.created // 1000}{serial:05d}",
            "rate": 1,
            "rawAmount": amount,
            "remark": "",
            "revision": 2,
            "thirdMessage": "",
            "tradeType": trade_type,
            "transferStatus": 2,
            "txid": f"{entry.bookkeep_id:064x}",
            "updateBy": "admin",
            "updateTime": self.log.stamp("withdraw", str(serial)),
            "withdraw": True,
            "withdrawCoinStatus": 2,
            "withdrawCurrency": entry.currency,
            "withdrawFee": proposal_amount(Decimal(0)),
            "withdrawMethod": "digit_wallet",
            "withdrawType": 2,
        }
