"""The Data Push events of proposals (``account_adjust``, ``deposit``, ``withdraw``), wire shapes
as the vendor's samples: amounts as decimals of 9 places, ids as strings."""

from __future__ import annotations

from decimal import Decimal

from .._config import SandboxConfig
from .accounts import LedgerEntry
from .customers import CustomerStore, customer_no_of
from .events import Event, country_of
from .feed import EventLog
from .funds import Proposal

PROPOSAL_PLACES = Decimal("0.000000001")  # proposal amounts: 9 decimals, like the samples


def proposal_amount(value: Decimal) -> Decimal:
    """A proposal amount as the samples write it (``50.000000000``)."""
    return value.quantize(PROPOSAL_PLACES)


class ProposalEvents:
    """Builds ``account_adjust``, ``deposit`` and ``withdraw``."""

    def __init__(self, log: EventLog, store: CustomerStore, config: SandboxConfig) -> None:
        self.log = log
        self.store = store
        self.config = config

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
            "country": country_of(self.store, entry.customer_id),
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
            "country": country_of(self.store, entry.customer_id),
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
