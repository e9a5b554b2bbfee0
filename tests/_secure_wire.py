"""A tiny secure-mode encoder for the sandbox's tests, independent of the client's and the
sandbox's code: sign, URL-encode like Java, encrypt 100-character pieces with the public key
(PKCS#1 v1.5), Base64, join with ``,``; and open a sealed reply."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

PIECE = 100


def load_public_key(text: str) -> RSAPublicKey:
    """A Base64 X.509 public key (the login's ``publicKey``)."""
    key = serialization.load_der_public_key(base64.b64decode(text))
    assert isinstance(key, RSAPublicKey)
    return key


def java_url_encode(text: str) -> str:
    """``URLEncoder.encode(text, "UTF-8")``."""
    return quote_plus(text, safe="*").replace("~", "%7E")


def sign(body: dict[str, Any]) -> str:
    """Upper-case hex MD5 of ``timestamp=T&k=v&...`` over non-empty strings and numbers."""

    def signed(value: Any) -> bool:
        if isinstance(value, bool):
            return False
        return isinstance(value, int | float) or (isinstance(value, str) and value != "")

    pairs = [f"{k}={body[k]}" for k in sorted(body) if k != "signature" and signed(body[k])]
    text = "&".join([f"timestamp={body['timestamp']}", *pairs])
    return hashlib.md5(text.encode()).hexdigest().upper()


def signed(body: dict[str, Any], timestamp: int | None = None) -> dict[str, Any]:
    """``body`` with its ``signature``, and ``timestamp`` (now, in ms) unless it has one or
    one is given."""
    stamped = dict(body)
    if timestamp is not None or "timestamp" not in body:
        stamped["timestamp"] = int(time.time() * 1000) if timestamp is None else timestamp
    return {**stamped, "signature": sign(stamped)}


def encrypt(plain: bytes, key: RSAPublicKey) -> str:
    """``plain`` in 100-byte pieces, each encrypted with ``key`` (PKCS#1 v1.5), in Base64,
    joined with ``,``."""
    pieces = [plain[i : i + PIECE] for i in range(0, len(plain), PIECE)]
    return ",".join(
        base64.b64encode(key.encrypt(piece, padding.PKCS1v15())).decode() for piece in pieces
    )


def encrypt_text(text: str, key: RSAPublicKey) -> str:
    """JSON text URL-encoded, then encrypted (:func:`encrypt`)."""
    return encrypt(java_url_encode(text).encode("ascii"), key)


def seal(body: dict[str, Any], key: RSAPublicKey, timestamp: int | None = None) -> dict[str, str]:
    """A secure request's body ``{"data": ...}`` for ``body`` (signed and encrypted)."""
    return {"data": encrypt_text(msgspec.json.encode(signed(body, timestamp)).decode(), key)}


def open_reply(data: str, key: RSAPublicKey) -> Any:
    """A sealed reply's ``data``: each piece recovered with the public key, joined,
    URL-decoded, parsed."""
    raw = b"".join(
        key.recover_data_from_signature(base64.b64decode(piece), padding.PKCS1v15(), None)
        for piece in data.split(",")
    )
    return msgspec.json.decode(unquote_plus(raw.decode("ascii")))
