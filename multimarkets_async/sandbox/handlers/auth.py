"""The login (``auth``): app credentials for a token and the company's profile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._failure import ApiFailure
from ..state import Backend
from ..state.customers import CUSTOMER_NO_BASE
from . import Handlers
from ._fields import BAD_PARAMETER, Body

_UNSET_FIELDS = (
    "associationCompanyId",
    "adminPassword",
    "adminRoleId",
    "adminUserId",
    "stpLoginUser",
    "stpAccount",
    "stpPassword",
    "dbPassword",
    "demoInitialAmount",
    "codeMd5",
    "bgImage",
    "logo",
    "adImage",
)


class AuthHandlers(Handlers):
    """``admin.admin.CompanyAuthDubboService.auth``; ``public_key`` gives the company's public
    key (secure mode)."""

    def __init__(self, backend: Backend, public_key: Callable[[], str]) -> None:
        super().__init__(backend)
        self.public_key = public_key

    def login(self, body: Body) -> dict[str, Any]:
        """Check the app credentials; the company profile with a new token."""
        app_id, app_secret = body.get("appId"), body.get("appSecret")
        if not app_id or not app_secret:
            raise ApiFailure(BAD_PARAMETER)
        if app_id != self.config.app_id or app_secret != self.config.app_secret:
            raise ApiFailure("GGATEWAY_CODE_101")
        company = self.config.company_id
        profile: dict[str, Any] = {
            "id": company,
            "strId": str(company),
            "code": "SANDBOX",
            "name": "Sandbox Brokerage",
            "bizName": "Sandbox",
            "domain": "sandbox.localhost",
            "lang": "en-US",
            "timezone": 8,
            "companyType": "1",
            "token": self.backend.tokens.issue(),
            "appId": app_id,
            "appSecret": app_secret,
            "publicKey": self.public_key(),
            "tradeTypes": "1,2,5",
            "startNumber": CUSTOMER_NO_BASE,
            "endNumber": CUSTOMER_NO_BASE + 999_999,
            "tradeTypeList": [
                {"id": "1", "code": "CFD_CROSS", "name": "CFD cross margin"},
                {"id": "2", "code": "CFD_ISOLATED", "name": "CFD isolated margin"},
                {"id": "5", "code": "SPOT", "name": "Spot"},
            ],
            "status": 1,
            "initProgress": 100,
            "revision": 3,
            "dataSourceType": 1,
        }
        profile.update(dict.fromkeys(_UNSET_FIELDS))
        profile.update(
            createBy="admin",
            updateBy="admin",
            createTime=1_600_000_000_000,
            updateTime=1_700_000_000_000,
        )
        return profile
