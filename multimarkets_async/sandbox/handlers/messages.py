"""Messages to customers and the delivery status of verification codes."""

from __future__ import annotations

from typing import Any

from .._failure import ApiFailure
from ..state.reference import VERIFICATION_TYPES
from . import Handlers
from ._fields import BAD_PARAMETER, Body, checked_customer, int_field, require

LANGUAGES = ("zh-HK", "en-US", "zh-CN")
MAX_TITLE = 100


class MessageHandlers(Handlers):
    """``message.admin.*``."""

    def send(self, body: Body) -> None:
        """Send a message to a customer (kept in ``Backend.messages``)."""
        require(
            body,
            "customerNo",
            "tradeType",
            "language",
            "content",
            "title",
            "showType",
            "customerId",
            "companyId",
        )
        checked_customer(self.store, body)
        if body["language"] not in LANGUAGES or len(str(body["title"])) > MAX_TITLE:
            raise ApiFailure(BAD_PARAMETER)
        if int_field(body, "showType") not in (0, 1):
            raise ApiFailure(BAD_PARAMETER)
        self.backend.messages.append(dict(body))

    def code_status(self, body: Body) -> dict[str, Any]:
        """Whether a verification code sent was used (seeded, per send token)."""
        require(body, "bizType", "toUser", "code", "sendToken")
        if body["bizType"] not in VERIFICATION_TYPES:
            raise ApiFailure(BAD_PARAMETER)
        send_token = str(body["sendToken"])
        used = self.backend.hash(len(send_token), sum(map(ord, send_token))) % 2
        return {
            "bizType": body["bizType"],
            "toUser": body["toUser"],
            "sendToken": body["sendToken"],
            "code": body["code"],
            "status": "USED" if used else "SENT",
            "name": body["bizType"],
            "desc": "verified" if used else "delivered, not yet used",
        }
