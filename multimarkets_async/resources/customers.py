"""Customer operations: list, create, detail, groups, existence check."""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Mapping
from typing import Any

from .. import _validation as check
from .._call import ReplyInfo
from .._config import DEFAULT_PAGE_CONCURRENCY, MAX_PAGE_SIZE
from .._operation import Operation, op
from .._walk_options import WalkOptions
from ..errors import ConflictError, NotFoundError, ValidationError
from ..models import (
    Customer,
    CustomerDetail,
    CustomerGroup,
    DetailSection,
    LoginNameType,
    Page,
    RegisterSource,
    TradeType,
)
from ..pagination import Paginator, RecordKey
from ._base import Endpoint, Resource

__all__ = ["CustomersResource"]

PAGE: Operation[Page[Customer]] = op(
    "customer.admin.WhiteCustomerAdminApiService.page", Page[Customer]
)
DETAIL: Operation[CustomerDetail] = op(
    "customer.admin.WhiteCustomerAdminApiService.detail", CustomerDetail
)
CREATE: Operation[str] = op(
    "customer.admin.WhiteCustomerAdminApiService.addCusAndOpenAccountAndKyc", str, write=True
)
GROUPS: Operation[builtins.list[CustomerGroup] | CustomerGroup | None] = op(
    "customer.admin.CustomerGroupAdminApiService.groupList",
    list[CustomerGroup] | CustomerGroup | None,
)
EXISTS: Operation[int] = op("customer.app.CustomerWebApiService.checkCustomerExist", int)

CUSTOMER_KEY = RecordKey("id")  # what tells customers apart in walks
CUSTOMER_NOT_FOUND = "USCUSTOMER_API_0000003"
THIRD_SERVER_CODE_MAX = 50
REMARK_MAX = 500
RECONCILE_SEARCH = 500  # newest customers searched for one whose creation reply was lost


class CustomersResource(Resource):
    """Customers of the white-label company (vendor tag "Customer")."""

    def list(
        self,
        *,
        customer_no: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        start_page: int = 1,
        max_items: int | None = None,
        concurrency: int = DEFAULT_PAGE_CONCURRENCY,
        reread_on_drift: bool = True,
    ) -> Paginator[Customer]:
        """Every customer, page after page, newest first.

        ``page_size`` is 1..2000 (default 2000); ``concurrency`` pages are fetched ahead in
        parallel (1 = strictly sequential); ``max_items`` stops after that many records.
        ``customer_no`` narrows the listing to one customer number. Customers are identified
        by ``id``: none is yielded twice in one walk, and every customer present from the
        walk's start to its end is yielded while others sign up or are deleted.
        ``reread_on_drift`` (default on) reads a page again when the list moved back under the
        walk; turned off, such a walk is reported inexact (``stats.problems``) instead.
        """
        body = check.drop_none(customerNo=check.optional(check.text, "customer_no", customer_no))
        walk = WalkOptions(
            page_size=page_size,
            start_page=start_page,
            max_items=max_items,
            concurrency=concurrency,
            reread_on_drift=reread_on_drift,
        )
        return self._backend.paginate(PAGE, body, walk, key=CUSTOMER_KEY)

    async def create(
        self,
        *,
        password: str,
        country: str,
        register_source: RegisterSource | int,
        customer_group_id: int,
        phone: str | None = None,
        email: str | None = None,
        phone_area: str | None = None,
        email_area: str | None = None,
        third_server_code: str | None = None,
        remark: str | None = None,
        register_device: str | None = None,
        utm_source: str | None = None,
        utm_medium: str | None = None,
        utm_campaign: str | None = None,
        utm_content: str | None = None,
        utm_term: str | None = None,
        trade_type_currencies: Mapping[TradeType | int, str] | None = None,
    ) -> str:
        """Register a customer and open their trading accounts; returns the customer number.

        Give ``phone`` or ``email`` (or both). ``password`` is the plain login password: it is
        sent as its MD5 hex digest, as the API requires, and is never stored or logged.
        ``trade_type_currencies`` maps trading modes to the account currency to open.
        ``remark``, ``register_device`` and the ``utm_*`` fields are single-line text without
        control characters, at most 255 characters (``remark`` 500).
        """
        check.one_of([("phone", phone), ("email", email)])
        body: dict[str, Any] = check.drop_none(
            phone=check.optional(check.phone, "phone", phone),
            email=check.optional(check.email, "email", email),
            phoneArea=check.optional(check.phone_area, "phone_area", phone_area),
            emailArea=check.optional(check.phone_area, "email_area", email_area),
            pwd=_md5_hex(check.text("password", password, max_length=128, strip=False)),
            country=check.country("country", country),
            registerSource=check.code("register_source", register_source, RegisterSource),
            customerGroupId=check.positive_id("customer_group_id", customer_group_id),
            thirdServerCode=check.optional(
                check.text, "third_server_code", third_server_code, max_length=THIRD_SERVER_CODE_MAX
            ),
            remark=check.optional(check.text, "remark", remark, max_length=REMARK_MAX),
            registerDevice=check.optional(check.text, "register_device", register_device),
            utmSource=check.optional(check.text, "utm_source", utm_source),
            utmMedium=check.optional(check.text, "utm_medium", utm_medium),
            utmCampaign=check.optional(check.text, "utm_campaign", utm_campaign),
            utmContent=check.optional(check.text, "utm_content", utm_content),
            utmTerm=check.optional(check.text, "utm_term", utm_term),
            tradeTypeCurrencyList=_account_currencies(trade_type_currencies) or None,
        )

        async def reconcile() -> str | None:
            """After an ambiguous failure: did the first attempt create the customer?"""
            return await self._created_customer_no(body.get("phone"), body.get("email"), phone_area)

        return await self._backend.call(CREATE, body, reconcile=reconcile)

    async def get(
        self,
        *,
        customer_no: str,
        customer_id: int | None = None,
        section: DetailSection | str = DetailSection.BASE_INFO,
    ) -> CustomerDetail:
        """One customer's data; ``section`` picks the block (base info, trading accounts, KYC, ...).

        The API wants both the customer number and the customer id; when ``customer_id`` is not
        given it is looked up first (one extra request).
        """
        number = check.text("customer_no", customer_no)
        block = check.member("section", section, DetailSection)
        check.optional(check.positive_id, "customer_id", customer_id)
        if customer_id is None:
            customer_id = await self._id_of(number)
        body = {"type": block.value, "id": str(customer_id), "customerNo": number}
        return await self._backend.call(DETAIL, body)

    async def groups(
        self, *, trade_type: TradeType | int | None = None, customer_no: str | None = None
    ) -> builtins.list[CustomerGroup]:
        """The company's customer groups, optionally those of one trading mode or customer."""
        body = check.drop_none(
            tradeType=check.optional(check.trade_type, "trade_type", trade_type),
            customerNo=check.optional(check.text, "customer_no", customer_no),
        )
        return check.listed(await self._backend.call(GROUPS, body))

    async def exists(
        self,
        *,
        phone: str | None = None,
        email: str | None = None,
        customer_no: str | None = None,
        phone_area: str | None = None,
    ) -> bool:
        """Whether a customer with this phone, email or customer number exists (give one)."""
        given = [
            (n, v)
            for n, v in (("phone", phone), ("email", email), ("customer_no", customer_no))
            if v is not None
        ]
        if len(given) != 1:
            raise ValidationError("phone/email/customer_no", "give exactly one of them")
        name, value = given[0]
        kind = {"email": LoginNameType.EMAIL, "phone": LoginNameType.PHONE}.get(
            name, LoginNameType.CUSTOMER_NO
        )
        login_name = {"email": check.email, "phone": check.phone}.get(name, check.text)(name, value)
        body = check.drop_none(
            type=int(kind),
            loginName=login_name,
            phoneArea=check.optional(check.phone_area, "phone_area", phone_area),
        )
        return await self._backend.call(EXISTS, body) == 1

    async def _created_customer_no(
        self, phone: str | None, email: str | None, phone_area: str | None
    ) -> str | None:
        """The number of the customer with this phone or email if one exists now, else None.

        New customers are listed first, so the newest page is searched for the match.
        """
        if phone is not None:
            exists = await self.exists(phone=phone, phone_area=phone_area)
        else:
            exists = await self.exists(email=email)
        if not exists:
            return None
        wanted = phone if phone is not None else (email or "").lower()
        async for customer in self.list(page_size=RECONCILE_SEARCH, max_items=RECONCILE_SEARCH):
            found = customer.phone if phone is not None else (customer.email or "").lower()
            if found == wanted and customer.customer_no is not None:
                return customer.customer_no
        raise ConflictError(
            "USCUSTOMER_API_0000106" if phone is not None else "USCUSTOMER_API_0000107",
            biz_type=CREATE.biz_type,
            server_message="the customer exists but is not among the newest; it may predate this",
        )

    async def _id_of(self, customer_no: str) -> int:
        """The id of a customer, for :meth:`get`; NotFoundError names ``get``'s operation."""
        reply = ReplyInfo()
        body = {"customerNo": customer_no, "current": 1, "size": 1}
        page = await self._backend.call(PAGE, body, reply=reply)
        for record in page.records:
            if record.customer_no == customer_no and record.id is not None:
                return record.id
        raise NotFoundError(
            CUSTOMER_NOT_FOUND,
            biz_type=DETAIL.biz_type,
            server_message=f"no customer with customer_no {customer_no!r}",
            trace=reply.trace,
            data={"customerNo": customer_no},
        )


def _account_currencies(value: Any) -> list[dict[str, str]]:
    """``trade_type_currencies`` (a mapping of trading mode to currency, or None) as the
    API's ``tradeTypeCurrencyList``."""
    if value is None:
        return []
    field = "trade_type_currencies"
    modes = check.mapping(field, value, max_items=len(TradeType))
    return [
        {
            "tradeType": str(check.trade_type(field, mode)),
            "allCurrency": check.currency(field, currency),
        }
        for mode, currency in modes.items()
    ]


def _md5_hex(password: str) -> str:
    return hashlib.md5(password.encode("utf-8")).hexdigest()


ENDPOINTS = (
    Endpoint("page", PAGE, "customers.list", paged=True),
    Endpoint("addCusAndOpenAccountAndKyc", CREATE, "customers.create"),
    Endpoint("detail", DETAIL, "customers.get"),
    Endpoint("groupList", GROUPS, "customers.groups"),
    Endpoint("checkCustomerExist", EXISTS, "customers.exists"),
)
