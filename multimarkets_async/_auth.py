"""The token provider: the login call, and the token and company profile it gives, shared
single-flight among concurrent callers.

A login is one request, never a retry loop of its own: it runs inside the attempt of the call
that needed it, so the call's one retry loop and deadline bound it like any other request. It
is sent through the pipeline's one send path (``SendLogin``), which this module does not know.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio
import msgspec

from . import _replies
from . import _validation as check
from ._call import ReplyInfo
from ._config import Secret
from ._operation import Operation, op
from .models import AuthResult, CompanyProfile

log = logging.getLogger("multimarkets_async")

AUTH: Operation[msgspec.Raw] = op(
    "admin.admin.CompanyAuthDubboService.auth",
    msgspec.Raw,
    version=None,
    path_prefix="/auth",
    needs_token=False,
    secret_reply=True,
)

_auth_result_decoder = msgspec.json.Decoder(AuthResult, strict=False)
_profile_decoder = msgspec.json.Decoder(CompanyProfile, strict=False)


@dataclass(frozen=True, slots=True)
class Grant:
    """What a login gives: the token and the company profile."""

    token: str
    company: CompanyProfile


Login = Callable[[], Awaitable[Grant]]
"""One login request (no retries of its own)."""

SendLogin = Callable[[Operation[msgspec.Raw], Mapping[str, Any], ReplyInfo], Awaitable[msgspec.Raw]]
"""Sends one request and returns its ``data``, filling in the reply's trace."""


class CredentialsLogin:
    """Logs in with the app id and secret: sends the login operation through ``send`` and
    reads the token and the company profile from its reply."""

    def __init__(self, app_id: str, app_secret: Secret, send: SendLogin) -> None:
        self._app_id = app_id
        self._app_secret = app_secret
        self._send = send

    def __repr__(self) -> str:
        return f"<CredentialsLogin app_id={self._app_id!r}>"

    async def __call__(self) -> Grant:
        body = {"appId": self._app_id, "appSecret": self._app_secret.reveal()}
        reply = ReplyInfo()
        raw = await self._send(AUTH, body, reply)
        trace = reply.trace or ""
        try:
            result = _auth_result_decoder.decode(raw)
            profile = _profile_decoder.decode(raw)
        except (*_replies.UNREADABLE, TypeError) as exc:
            raise _replies.unreadable(AUTH, raw, trace, exc) from None
        if not check.header_safe(result.token):
            reason = ValueError("the token is empty or not a valid header value")
            raise _replies.unreadable(AUTH, raw, trace, reason)
        log.debug("logged in for company %s", result.id)
        return Grant(result.token, profile)


class TokenProvider:
    """Holds the current token (and the company profile of its login) and renews it
    single-flight.

    When many tasks need a token at once, the first to take the lock logs in; the others reuse
    its token when they get the lock. A failed login is shared the same way, and for
    ``cooldown`` seconds afterwards callers get its error instead of logging in again, so a
    failing login server sees about one login per retry round, not one per caller.
    """

    def __init__(
        self, login: Login, cooldown: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._login = login
        self._cooldown = cooldown
        self._clock = clock
        self._token: Secret | None = None
        self._company: CompanyProfile | None = None
        self._lock = anyio.Lock()
        self._failed: tuple[Exception, float] | None = None  # the error, and until when

    def __repr__(self) -> str:
        state = "set" if self._token is not None else "unset"
        return f"<TokenProvider token={state}>"

    async def get(self) -> str:
        """The current token, logging in first if there is none."""
        token = self._token
        if token is not None:
            return token.reveal()
        return await self.renew(stale=None)

    async def renew(self, stale: str | None) -> str:
        """A token other than ``stale`` (the one a request was refused with): the one another
        task fetched meanwhile, or a new login's."""
        async with self._lock:
            current = self._token
            if current is not None and current.reveal() != stale:
                return current.reveal()
            failed = self._failed
            if failed is not None and self._clock() < failed[1]:
                raise _fresh(failed[0])
            try:
                grant = await self._login()
            except Exception as exc:
                self._failed = (_fresh(exc), self._clock() + self._cooldown)  # kept unchanged
                self._token = None
                raise
            self._failed = None
            self._token = Secret(grant.token)
            self._company = grant.company
            return grant.token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (refused by the server); the next caller logs in again."""
        if self._token is not None and self._token.reveal() == token:
            self._token = None

    @property
    def current(self) -> str | None:
        """The token held now, if any."""
        return None if self._token is None else self._token.reveal()

    @property
    def company(self) -> CompanyProfile | None:
        """The company profile of the latest successful login (None before the first)."""
        return self._company


def _fresh(error: Exception) -> Exception:
    """A copy of a shared login failure for one caller: the pipeline sets the attempts that
    caller made on the error it raises."""
    try:
        return copy.copy(error)
    except Exception:  # an exception type that cannot be copied: share it
        return error
