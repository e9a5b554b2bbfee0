"""Defaults, environment variables and small value types shared by the client."""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import _validation as check
from .errors import ConfigurationError

TEST_BASE_URL = "https://prewppc-3.cmfbl.com/openapi-b"
"""Vendor test ("PRE") environment, as given on the vendor's access page."""

TEST_BASE_URL_SPEC = "https://pre-api-test.cmfbl.com/openapi-b"
"""Test host named in the vendor's OpenAPI ``servers`` entries (differs from the access page)."""

PRODUCTION_BASE_URL = "https://api.multimarkets.org/openapi-b"
"""Vendor production ("PRD") environment."""

ENV_APP_ID = "MULTIMARKETS_APP_ID"
ENV_APP_SECRET = "MULTIMARKETS_APP_SECRET"
ENV_COMPANY_ID = "MULTIMARKETS_COMPANY_ID"
ENV_BASE_URL = "MULTIMARKETS_BASE_URL"
ENV_MARKET_TOKEN = "MULTIMARKETS_MARKET_TOKEN"
ENV_PUSH_URL = "MULTIMARKETS_PUSH_URL"
ENV_SECURE = "MULTIMARKETS_SECURE"
ENV_PUBLIC_KEY = "MULTIMARKETS_PUBLIC_KEY"
ENV_RATE_LIMIT_STORE = "MULTIMARKETS_RATE_LIMIT_STORE"
ENV_RATE_LIMIT_NAMESPACE = "MULTIMARKETS_RATE_LIMIT_NAMESPACE"

API_VERSION = "0.0.1"
TRADE_API_GROUP = "tradeApi"
DEFAULT_LANG = "en-US"

MAX_PAGE_SIZE = 2000
DEFAULT_PAGE_CONCURRENCY = 4
MAX_PAGE_CONCURRENCY = 64
DEFAULT_MAX_CONNECTIONS = 100
DEFAULT_CONNECT_TIMEOUT = 10.0
"""``Timeout.connect``'s default; also the Data Push handshake's limit when it is None."""


@dataclass(frozen=True, slots=True)
class Timeout:
    """Time limits in seconds; ``None`` disables a limit.

    ``connect`` and ``read`` bound each attempt (making the connection; waiting for the next
    bytes of the reply). ``total`` bounds the whole call: every attempt, every backoff wait,
    a login, and any wait for the rate-limit window included; when it runs out the call ends
    with ``APITimeoutError``. The MultiMarkets server abandons work after 15 s, so the default
    ``read`` limit sits a little above that.
    """

    connect: float | None = DEFAULT_CONNECT_TIMEOUT
    read: float | None = 20.0
    total: float | None = 60.0

    def __post_init__(self) -> None:
        for name in ("connect", "read", "total"):
            check.seconds(name, getattr(self, name), optional=True)


DEFAULT_TIMEOUT = Timeout()


class Secret:
    """A string that never shows itself in ``repr``, ``str``, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret value (only for building a request)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> str:  # never pickle the value by accident
        raise TypeError("Secret values cannot be pickled")


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def flag_from_env(env_name: str) -> bool:
    """The environment variable ``env_name`` read as a yes/no flag (``1``/``0``,
    ``true``/``false``, ``yes``/``no``, ``on``/``off``; unset is no)."""
    text = os.environ.get(env_name, "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigurationError(f"${env_name} must be 1 or 0 (true/false, yes/no, on/off)")


def from_env(value: object | None, env_name: str) -> str | None:
    """Return ``value`` as text, or the environment variable ``env_name`` when it is None."""
    if value is not None:
        return str(value)
    found = os.environ.get(env_name)
    return found if found else None
