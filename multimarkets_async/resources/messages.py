"""In-app messages and verification-code status (vendor tags "Activities" and "Message")."""

from __future__ import annotations

from typing import Any

from .. import _validation as check
from .._operation import Operation, op
from ..models import CodeSendStatus, MessageLanguage, RefreshType, TradeType, VerificationCodeType
from ._base import Endpoint, Resource

__all__ = ["MessagesResource"]

SEND: Operation[Any] = op("message.admin.PlatFormMessageThirdSendAdminService.add", Any, write=True)
CODE_STATUS: Operation[CodeSendStatus] = op(
    "message.admin.VerificationAdminService.queryCodeSendStatus", CodeSendStatus
)
TITLE_MAX = 100
SEND_TOKEN_MAX = 1024
CONTENT_MAX = 10_000  # a message body may hold line breaks and tabs, no other controls


class MessagesResource(Resource):
    """Messages to customers."""

    async def send(
        self,
        customer_no: str,
        *,
        customer_id: int,
        trade_type: TradeType | int,
        title: str,
        content: str,
        language: MessageLanguage | str = MessageLanguage.EN_US,
        popup: bool = False,
        refresh: RefreshType | int | None = None,
    ) -> None:
        """Send an in-app message to a customer (``popup`` shows it as a pop-up; ``refresh``
        tells the app what to reload). Not replayed after an ambiguous failure: a second
        attempt would deliver the message twice."""
        body = check.drop_none(
            customerNo=check.text("customer_no", customer_no),
            customerId=check.positive_id("customer_id", customer_id),
            companyId=int(self._backend.company_id),
            tradeType=check.trade_type("trade_type", trade_type),
            title=check.text("title", title, max_length=TITLE_MAX),
            content=check.text("content", content, max_length=CONTENT_MAX, multiline=True),
            language=check.member("language", language, MessageLanguage).value,
            showType=1 if check.boolean("popup", popup) else 0,
            refreshType=check.optional(check.code, "refresh", refresh, RefreshType),
        )
        await self._backend.call(SEND, body)

    async def code_status(
        self,
        code_type: VerificationCodeType | str,
        *,
        to_user: str,
        code: str,
        send_token: str,
    ) -> CodeSendStatus:
        """Delivery state of a verification code sent to ``to_user`` (email or phone)."""
        body = {
            "bizType": check.member("code_type", code_type, VerificationCodeType).value,
            "toUser": check.text("to_user", to_user),
            "code": check.text("code", code),
            "sendToken": check.text("send_token", send_token, max_length=SEND_TOKEN_MAX),
        }
        return await self._backend.call(CODE_STATUS, body)


ENDPOINTS = (
    Endpoint("add", SEND, "messages.send"),
    Endpoint("queryCodeSendStatus", CODE_STATUS, "messages.code_status"),
)
