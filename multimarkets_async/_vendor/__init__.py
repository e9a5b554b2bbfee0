"""Vendor data shipped verbatim with the package (shared by the client and the sandbox)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f"}


def _unescape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match.group(1)
        if token[0] == "u" and len(token) == 5:
            return chr(int(token[1:], 16))
        return _SIMPLE_ESCAPES.get(token, token)

    return _ESCAPE.sub(replace, text)


def parse_error_codes(text: str) -> dict[str, str]:
    """Parse the vendor's error-code list line by line.

    The file is not a valid ``.properties`` file: one line ends in a stray backslash, which a
    spec-following parser would treat as a continuation and so lose the next code. Each line is
    therefore read on its own; a trailing backslash is dropped and escapes are decoded.
    """
    codes: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#!" or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.rstrip()
        if value.endswith("\\") and not value.endswith("\\\\"):
            value = value[:-1]
        codes[key.strip()] = _unescape(value).strip()
    return codes


@cache
def error_messages() -> dict[str, str]:
    """Every documented error code mapped to the vendor's English message."""
    text = resources.files(__name__).joinpath("error-codes.properties").read_text("utf-8")
    return parse_error_codes(text)
