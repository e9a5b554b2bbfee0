"""Token provider: fetches the token lazily, shares one login among concurrent callers.

A login is one request, never a retry loop of its own: it runs inside the attempt of the call
that needed it, so the call's one retry loop and deadline bound it like any other request.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio

from ._config import Secret


class TokenProvider:
    """Holds the current token and renews it single-flight.

    When many tasks need a token at once, the first to take the lock logs in; the others reuse
    its token when they get the lock. A failed login is shared the same way, and for
    ``cooldown`` seconds afterwards callers get its error instead of logging in again, so a
    failing login server sees about one login per retry round, not one per caller.
    """

    def __init__(self, login: Callable[[], Awaitable[str]], cooldown: float) -> None:
        self._login = login
        self._cooldown = cooldown
        self._token: Secret | None = None
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
            if failed is not None and time.monotonic() < failed[1]:
                raise failed[0]
            try:
                token = await self._login()
            except Exception as exc:
                self._failed = (exc, time.monotonic() + self._cooldown)
                self._token = None
                raise
            self._failed = None
            self._token = Secret(token)
            return token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (refused by the server); the next caller logs in again."""
        if self._token is not None and self._token.reveal() == token:
            self._token = None

    @property
    def current(self) -> str | None:
        """The token held now, if any."""
        return None if self._token is None else self._token.reveal()
