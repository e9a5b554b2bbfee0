"""The exception sandbox handlers raise to answer with a failure envelope."""

from __future__ import annotations

from typing import Any


class ApiFailure(Exception):
    """Answer with ``code`` (and optionally ``data``, ``msgParams``) instead of success."""

    def __init__(self, code: str, *, data: Any = None, msg_params: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.data = data
        self.msg_params = msg_params
