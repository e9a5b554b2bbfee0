"""The company profile returned by authentication (secrets left out on purpose)."""

from __future__ import annotations

import msgspec

__all__ = ["CompanyProfile", "TradeTypeInfo"]


class TradeTypeInfo(msgspec.Struct, rename="camel", kw_only=True):
    """A trading mode enabled for the company."""

    id: int | None = None
    code: str | None = None
    name: str | None = None


class CompanyProfile(msgspec.Struct, rename="camel", kw_only=True):
    """Public part of the white-label company's profile.

    The auth reply also echoes ``appSecret`` and carries the token; those are deliberately not
    fields here, so a profile can be logged or printed safely.
    """

    id: int | None = None
    code: str | None = None
    name: str | None = None
    biz_name: str | None = None
    domain: str | None = None
    lang: str | None = None
    timezone: int | None = None
    company_type: str | None = None
    public_key: str | None = None
    trade_types: str | None = None
    trade_type_list: list[TradeTypeInfo] = []
    start_number: int | None = None
    end_number: int | None = None
    status: int | None = None


class AuthResult(msgspec.Struct, rename="camel", kw_only=True):
    """What the client needs from the auth reply: the token (kept private) and the company id."""

    token: str
    id: int | None = None
