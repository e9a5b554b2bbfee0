"""The sandbox's operation handlers, one module per vendor tag (mirroring the client's
``resources/``): each reads a request body and renders the wire reply (the envelope's ``data``).

A handler is a method of a class built on the ``Backend``; it raises ``ApiFailure`` to answer a
vendor error code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..state import Backend

Handler = Callable[[dict[str, Any]], Any]
"""Takes the decoded request body; returns the reply's data (JSON-able, or encoded bytes)."""


class Handlers:
    """Base of each tag's handlers: they share the sandbox's back office."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.config = backend.config
        self.store = backend.store
