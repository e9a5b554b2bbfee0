"""Verification-code delivery status."""

from __future__ import annotations

import msgspec

__all__ = ["CodeSendStatus"]


class CodeSendStatus(msgspec.Struct, rename="camel", kw_only=True):
    """Delivery state of a verification code sent by email or SMS."""

    biz_type: str | None = None
    to_user: str | None = None
    send_token: str | None = None
    code: str | None = None
    status: str | None = None
    name: str | None = None
    desc: str | None = None
