"""The sandbox's customers: deterministic generated data, in the vendor's wire format (camelCase).

Customers are a pure function of ``(seed, id)``: nothing is materialised until a page asks for
it, so a sandbox of millions of customers starts instantly and stays small. Created customers
are kept explicitly, and so are the changed fields of generated ones (logins, status, contact;
a deletion's status 3). Listing order is newest first, like the real back office.
"""

from __future__ import annotations

import hashlib
import random
import re
from array import array
from typing import Any

from .._config import COMPANY_ID
from ._hash import mix

CUSTOMER_NO_BASE = 86_000_000
EPOCH_MS = 1_577_836_800_000  # 2020-01-01
ID_STYLES = ("small", "snowflake")
SNOWFLAKE_BASE = 1 << 60  # snowflake-style wire ids: base + (id << 22) + a 22-bit hash of id
SNOWFLAKE_SHIFT = 22

# fmt: off
FIRST_NAMES = (
    "Wei", "Li", "Min", "Jun", "Hui", "Ying", "Chen", "Mei", "Hao", "Lan", "Ahmad", "Siti",
    "Nguyen", "Anh", "Somchai", "Ploy", "James", "Olivia", "Liam", "Emma", "Noah", "Ava", "Raj",
    "Priya", "Omar", "Layla", "Kenji", "Yuki", "Carlos", "Sofia", "Ivan", "Anna",
)
LAST_NAMES = (
    "Wang", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Tan", "Lim",
    "Ng", "Wong", "Tran", "Le", "Pham", "Saetang", "Smith", "Brown", "Taylor", "Wilson",
    "Sharma", "Patel", "Khan", "Haddad", "Sato", "Suzuki", "Garcia", "Lopez", "Petrov",
    "Ivanova",
)
COUNTRIES = (
    ("CN", "+86"), ("CN", "+86"), ("CN", "+86"), ("HK", "+852"), ("SG", "+65"), ("MY", "+60"),
    ("TH", "+66"), ("VN", "+84"), ("ID", "+62"), ("GB", "+44"), ("AU", "+61"), ("AE", "+971"),
)
# fmt: on
DOMAINS = ("example.com", "mail.example.net", "inbox.example.org", "example.co.uk")
ID_CARD_TYPES = ("ID_CARD", "PASSPORT", "DRIVER_LICENSE")
UNITS = ((11, "Singapore Desk"), (12, "Hong Kong Desk"), (13, "Dubai Desk"))
STATUSES = (1,) * 46 + (2, 2, 4, 5)
LIVE_STATUSES = (1, 2, 4, 5)  # normal, disabled, closed, locked
DELETED = 3  # the status of a deleted customer
CHANGE_KINDS = ("login", "status", "contact")
CHANGE_WEIGHTS = (8, 1, 1)  # how often each kind is drawn: mostly logins
CHANGED_DOMAIN = "changed.example.com"  # the domain of e-mail addresses given by a change
CHANGED_PHONE_PREFIX = "17"  # new phone numbers: this prefix and a 9-digit serial

GROUPS: tuple[dict[str, Any], ...] = (
    {"id": 1, "name": "Default", "openAccountType": 1, "type": 1, "tradeType": 1, "assets": "USDT"},
    {"id": 2, "name": "VIP", "openAccountType": 1, "type": 1, "tradeType": 1, "assets": "USDT,USD"},
    {
        "id": 3,
        "name": "Isolated margin",
        "openAccountType": 1,
        "type": 1,
        "tradeType": 2,
        "assets": "USDT",
    },
    {
        "id": 4,
        "name": "Spot",
        "openAccountType": 1,
        "type": 1,
        "tradeType": 5,
        "assets": "USDT,BTC,ETH",
    },
)
GROUP_NAMES = {g["id"]: g["name"] for g in GROUPS}
GROUP_TRADE_TYPES = {g["id"]: g["tradeType"] for g in GROUPS}

_EMAIL_ID = re.compile(r"(\d+)@")


def customer_no_of(customer_id: int) -> str:
    """The customer number of customer ``customer_id`` (the one place numbers are made)."""
    return str(CUSTOMER_NO_BASE + customer_id)


def trade_type_of(record: dict[str, Any]) -> int:
    """The trading mode of a customer's first account (by its customer group)."""
    return int(GROUP_TRADE_TYPES.get(record["customerGroupId"], 1))


def customer_id_of(customer_no: str) -> int | None:
    """The id behind a customer number, None when it is not one."""
    return int(customer_no) - CUSTOMER_NO_BASE if customer_no.isdigit() else None


def password_md5(plain: str) -> str:
    """What a well-behaved client sends for ``plain`` (for assertions in tests)."""
    return hashlib.md5(plain.encode("utf-8")).hexdigest()


def generate_customer(seed: int, customer_id: int) -> dict[str, Any]:
    """The wire record of generated customer ``customer_id`` (same output for the same seed)."""
    h1 = mix((seed << 32) ^ customer_id)
    h2 = mix(h1)
    first = FIRST_NAMES[h1 % 32]
    last = LAST_NAMES[(h1 >> 5) % 32]
    area = COUNTRIES[(h1 >> 10) % 12][1]
    created = EPOCH_MS + customer_id * 90_000 + (h1 >> 14) % 60_000
    contact = (h1 >> 20) % 20  # 0: email only, 1: phone only, else both
    group_id = 1 + (h2 % 10 == 0) + (h2 % 25 == 0) * 2
    activated = (h1 >> 25) % 5 != 0
    unit = UNITS[(h2 >> 8) % 3] if (h2 >> 10) % 10 < 3 else None
    agent = (h2 >> 14) % 8 == 0
    has_third = (h2 >> 17) % 10 == 0
    return {
        "id": customer_id,
        "customerNo": customer_no_of(customer_id),
        "companyId": COMPANY_ID,
        "customerGroupId": group_id,
        "customerGroupName": GROUP_NAMES[group_id],
        "customerType": 1 if agent else 0,
        "agentCustomerNo": customer_no_of(1 + (h2 >> 20) % max(customer_id, 1)) if agent else None,
        "name": f"{first} {last}",
        "firstName": first,
        "lastName": last,
        "email": None
        if contact == 1
        else f"{first.lower()}.{last.lower()}{customer_id}@{DOMAINS[(h1 >> 30) % 4]}",
        "phone": None if contact == 0 else f"13{customer_id:09d}",
        "phoneArea": None if contact == 0 else area,
        "idCard": f"{(h2 >> 24) % 10**9:09d}" if (h2 >> 40) % 20 < 9 else None,
        "idCardType": ID_CARD_TYPES[(h2 >> 45) % 3] if (h2 >> 40) % 20 < 9 else None,
        "registerSource": 1 + (h1 >> 35) % 9,
        "openAccountType": 1,
        "status": STATUSES[(h1 >> 40) % 50],
        "remark": "imported from legacy CRM" if (h2 >> 50) % 16 == 0 else None,
        "unitId": unit[0] if unit else None,
        "unitName": unit[1] if unit else None,
        "tgUserId": str(5_000_000_000 + customer_id) if (h2 >> 55) % 20 == 0 else None,
        "tgUserName": f"{first.lower()}_{customer_id}" if (h2 >> 55) % 20 == 0 else None,
        "thirdAccountNo": f"EXT-{customer_id:08d}" if has_third else None,
        "thirdLoginSource": "google" if has_third else None,
        "thirdUserId": f"g-{h2 % 10**12:012d}" if has_third else None,
        "createTime": created,
        "updateTime": created + (h2 >> 30) % 86_400_000,
        "loginTime": created + (h1 >> 45) % 5_000_000_000 if (h1 >> 50) % 20 else None,
        "firstAccountActivateTime": created + 3_600_000 if activated else None,
    }


def draw_change_kind(rng: random.Random) -> str:
    """A kind of change (``CHANGE_KINDS``), mostly a login."""
    return rng.choices(CHANGE_KINDS, CHANGE_WEIGHTS)[0]


def generated_country(seed: int, customer_id: int) -> str:
    """Country of a generated customer (a detail field, not part of list records)."""
    return COUNTRIES[(mix((seed << 32) ^ customer_id) >> 10) % 12][0]


# fmt: off
WIRE_FIELDS = (
    "id", "customerNo", "companyId", "customerGroupId", "customerGroupName", "customerType",
    "agentCustomerNo", "name", "firstName", "lastName", "email", "phone", "phoneArea", "idCard",
    "idCardType", "registerSource", "openAccountType", "status", "remark", "unitId", "unitName",
    "tgUserId", "tgUserName", "thirdAccountNo", "thirdLoginSource", "thirdUserId", "createTime",
    "updateTime", "loginTime", "firstAccountActivateTime",
)
"""The 30 fields of a customer-list record (``WhiteCustomerAdminPageVO``)."""
# fmt: on


class CustomerStore:
    """The sandbox's customers: generated ones plus those created, changed or deleted."""

    def __init__(self, count: int, seed: int, id_style: str = "small") -> None:
        if id_style not in ID_STYLES:
            raise ValueError(f"id_style must be one of {', '.join(ID_STYLES)}, not {id_style!r}")
        self.seed = seed
        self.id_style = id_style
        self._max_id = count
        self._order = array("q", range(count, 0, -1))  # display order: newest first
        self._created: dict[int, dict[str, Any]] = {}
        self._changes: dict[int, dict[str, Any]] = {}  # changed fields of generated customers
        self._extras: dict[int, dict[str, Any]] = {}
        self._deleted: set[int] = set()
        self._by_phone: dict[str, int] = {}
        self._by_email: dict[str, int] = {}
        self._contacts = 0  # contact changes so far (numbers the new addresses)
        self.passwords: dict[int, str] = {}
        self.version = 0  # bumped on every change; keys the page cache

    def __len__(self) -> int:
        return len(self._order)

    @property
    def deleted_ids(self) -> frozenset[int]:
        """Ids of the customers deleted so far."""
        return frozenset(self._deleted)

    def record(self, customer_id: int) -> dict[str, Any]:
        """The latest list record of a customer (with the internal id); a deleted customer's
        is its final state (status 3)."""
        created = self._created.get(customer_id)
        if created is not None:
            return created
        record = generate_customer(self.seed, customer_id)
        changes = self._changes.get(customer_id)
        if changes:
            record.update(changes)
        return record

    def public_id(self, customer_id: int) -> int:
        """The id customer ``customer_id`` carries on the wire (itself unless snowflake style)."""
        if self.id_style == "small":
            return customer_id
        low = mix(customer_id) & ((1 << SNOWFLAKE_SHIFT) - 1)
        return SNOWFLAKE_BASE + (customer_id << SNOWFLAKE_SHIFT) + low

    def internal_id(self, wire_id: int) -> int | None:
        """The store's id for a wire id, None if no customer could carry it."""
        if self.id_style == "small":
            return wire_id
        customer_id = (wire_id - SNOWFLAKE_BASE) >> SNOWFLAKE_SHIFT
        if customer_id < 1 or self.public_id(customer_id) != wire_id:
            return None
        return customer_id

    def wire_record(self, customer_id: int) -> dict[str, Any]:
        """The list record as it goes on the wire (with the public id)."""
        record = self.record(customer_id)
        if self.id_style == "small":
            return record
        return {**record, "id": self.public_id(customer_id)}

    def extras(self, customer_id: int) -> dict[str, Any]:
        """Detail-only fields (country, third-party code, ...)."""
        extra = self._extras.get(customer_id)
        if extra is None:
            extra = {"country": generated_country(self.seed, customer_id)}
        return extra

    def ids(self, offset: int, size: int) -> list[int]:
        """``size`` ids from position ``offset`` of the listing (newest first)."""
        return self._order[offset : offset + size].tolist()

    def exists(self, customer_id: int) -> bool:
        """Whether the customer was ever listed (deleted or not)."""
        return 1 <= customer_id <= self._max_id

    def alive(self, customer_id: int) -> bool:
        """Whether the customer exists (and is not deleted)."""
        return self.exists(customer_id) and customer_id not in self._deleted

    def by_customer_no(self, customer_no: str) -> int | None:
        """The customer with this number, if alive."""
        customer_id = customer_id_of(customer_no)
        return customer_id if customer_id is not None and self.alive(customer_id) else None

    def by_phone(self, phone: str) -> int | None:
        """The customer with this phone number, if alive."""
        found = self._by_phone.get(phone)
        if found is None and len(phone) == 11 and phone.startswith("13") and phone.isdigit():
            candidate = int(phone[2:])
            if candidate not in self._created and self.alive(candidate):
                found = candidate if self.record(candidate)["phone"] == phone else None
        return found if found is not None and self.alive(found) else None

    def by_email(self, email: str) -> int | None:
        """The customer with this e-mail (any case), if alive."""
        email = email.lower()
        found = self._by_email.get(email)
        match = _EMAIL_ID.search(email)
        if found is None and match:
            candidate = int(match.group(1))
            if candidate not in self._created and self.alive(candidate):
                found = candidate if self.record(candidate)["email"] == email else None
        return found if found is not None and self.alive(found) else None

    def create(
        self, fields: dict[str, Any], extras: dict[str, Any], password_md5: str, now_ms: int
    ) -> dict[str, Any]:
        """Add a customer at the front of the listing; returns its list record."""
        self._max_id += 1
        customer_id = self._max_id
        record: dict[str, Any] = dict.fromkeys(WIRE_FIELDS)
        record.update(
            id=customer_id,
            customerNo=customer_no_of(customer_id),
            companyId=COMPANY_ID,
            customerType=0,
            openAccountType=1,
            status=1,
            createTime=now_ms,
            updateTime=now_ms,
        )
        record.update(fields)
        record["customerGroupName"] = GROUP_NAMES.get(record["customerGroupId"])
        first, last = record.get("firstName"), record.get("lastName")
        if first or last:
            record["name"] = " ".join(p for p in (first, last) if p)
        self._created[customer_id] = record
        self._extras[customer_id] = extras
        self.passwords[customer_id] = password_md5
        if record.get("phone"):
            self._by_phone[record["phone"]] = customer_id
        if record.get("email"):
            self._by_email[record["email"].lower()] = customer_id
        self._order[0:0] = array("q", [customer_id])
        self.version += 1
        return record

    def insert_generated(self, count: int) -> list[int]:
        """Add ``count`` generated customers at the front (a busy sign-up day); their ids,
        newest first."""
        first = self._max_id + 1
        self._max_id += count
        added = array("q", range(self._max_id, first - 1, -1))
        self._order[0:0] = added
        self.version += 1
        return added.tolist()

    def delete(self, customer_id: int, stamp: int) -> bool:
        """Delete a customer: it leaves the listing, and its kept record gets status 3 and
        ``updateTime`` ``stamp``; whether it was alive."""
        if not self.alive(customer_id):
            return False
        del self._order[self._order.index(customer_id)]
        self._deleted.add(customer_id)
        self.change(customer_id, {"status": DELETED}, stamp)
        return True

    def change(self, customer_id: int, fields: dict[str, Any], stamp: int) -> dict[str, Any]:
        """Set ``fields`` (wire names) of a customer and ``updateTime`` to ``stamp``; its
        record now."""
        if not self.exists(customer_id):
            raise KeyError(f"no customer {customer_id}")
        self._reindex(customer_id, fields)
        changed = {**fields, "updateTime": stamp}
        created = self._created.get(customer_id)
        if created is not None:
            created.update(changed)
        else:
            self._changes.setdefault(customer_id, {}).update(changed)
        self.version += 1
        return self.record(customer_id)

    def _reindex(self, customer_id: int, fields: dict[str, Any]) -> None:
        """Point the phone and e-mail lookups at the customer's new contact in ``fields``."""
        old = self.record(customer_id)
        for name, index in (("phone", self._by_phone), ("email", self._by_email)):
            if name not in fields:
                continue
            before, after = old[name], fields[name]
            if before and index.get(_index_key(name, before)) == customer_id:
                del index[_index_key(name, before)]
            if after:
                index[_index_key(name, after)] = customer_id

    def draw_change(
        self, customer_id: int, kind: str, stamp: int, rng: random.Random
    ) -> dict[str, Any]:
        """The fields a change of ``kind`` (``CHANGE_KINDS``) at ``stamp`` sets: a login's
        ``loginTime``; another live status; or a new, unused e-mail address and phone
        number."""
        if kind == "login":
            return {"loginTime": stamp}
        if kind == "status":
            status = self.record(customer_id)["status"]
            return {"status": rng.choice([s for s in LIVE_STATUSES if s != status])}
        if kind != "contact":
            raise ValueError(f"kind must be one of {', '.join(CHANGE_KINDS)}, not {kind!r}")
        return self._new_contact(customer_id, rng)

    def _new_contact(self, customer_id: int, rng: random.Random) -> dict[str, Any]:
        """A new e-mail address and phone number that no live customer has."""
        area = self.record(customer_id)["phoneArea"] or rng.choice(COUNTRIES)[1]
        while True:
            self._contacts += 1
            serial = self._contacts
            email = f"{customer_no_of(customer_id)}.v{serial}@{CHANGED_DOMAIN}"
            phone = f"{CHANGED_PHONE_PREFIX}{serial:09d}"
            if self.by_email(email) is None and self.by_phone(phone) is None:
                return {"email": email, "phone": phone, "phoneArea": area}


def _index_key(name: str, value: str) -> str:
    """How the lookup of contact field ``name`` keys ``value`` (e-mail: in lower case)."""
    return value.lower() if name == "email" else value
