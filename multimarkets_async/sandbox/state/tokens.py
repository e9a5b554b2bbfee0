"""The tokens the sandbox has issued, and when each expires."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from .._config import SandboxConfig


@dataclass
class Token:
    """An issued token: the company it belongs to and when it expires (monotonic seconds)."""

    company_id: int
    expires_at: float | None

    @property
    def expired(self) -> bool:
        """Whether the token has expired by now."""
        return self.expires_at is not None and self.expires_at <= time.monotonic()


class Tokens:
    """Tokens handed out by logins, living ``token_ttl`` seconds (read when one is issued)."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.issued: dict[str, Token] = {}

    def issue(self) -> str:
        """A new token for the sandbox company."""
        ttl = self.config.token_ttl
        token = f"{uuid.uuid4()}admin"
        expires = None if ttl is None else time.monotonic() + ttl
        self.issued[token] = Token(self.config.company_id, expires)
        return token

    def get(self, token: str) -> Token | None:
        """The token ``token``, if the sandbox issued it."""
        return self.issued.get(token)

    def live(self, token: str | None) -> bool:
        """Whether ``token`` was issued here and has not expired."""
        found = self.issued.get(token) if token else None
        return found is not None and not found.expired

    def expire_all(self) -> None:
        """Make every issued token expired from now on."""
        for token in self.issued.values():
            token.expires_at = 0.0
