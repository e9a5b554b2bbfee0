"""Token provider: fetches the token lazily, shares one login among concurrent callers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from ._config import Secret


class TokenProvider:
    """Holds the current token and refreshes it single-flight.

    When many tasks find the token expired at once, the first to take the lock logs in; the
    others see that the token has changed since they used it and reuse the new one. A failed
    login is shared the same way, so bad credentials cost one auth call, not one per caller.
    """

    def __init__(self, login: Callable[[], Awaitable[str]]) -> None:
        self._login = login
        self._token: Secret | None = None
        self._lock = anyio.Lock()
        self._attempts = 0
        self._last_error: BaseException | None = None

    def __repr__(self) -> str:
        state = "set" if self._token is not None else "unset"
        return f"<TokenProvider token={state}>"

    async def get(self) -> str:
        """The current token, logging in first if there is none."""
        token = self._token
        if token is not None:
            return token.reveal()
        return await self.refresh(stale=None)

    async def refresh(self, stale: str | None) -> str:
        """Replace ``stale`` (the token a request was rejected with) by a fresh one."""
        attempts_seen = self._attempts
        async with self._lock:
            current = self._token
            if current is not None and current.reveal() != stale:
                return current.reveal()
            if self._attempts != attempts_seen and self._last_error is not None:
                raise self._last_error
            self._attempts += 1
            try:
                token = await self._login()
            except Exception as exc:
                self._last_error = exc
                self._token = None
                raise
            self._last_error = None
            self._token = Secret(token)
            return token

    @property
    def current(self) -> str | None:
        """The token held now, if any."""
        return None if self._token is None else self._token.reveal()

    def clear(self) -> None:
        """Forget the token (the next call logs in again)."""
        self._token = None
