"""Secure mode: Manager requests signed and RSA-encrypted with the company's public key.

Per request, the vendor's procedure, with the choices made where its docs and its Java
reference disagree (the README lists them):

1. Top-level ``float`` values of the body become decimal strings (how a JVM renders a double
   differs from Python, and the server signs what it parsed); integers stay integers.
2. ``timestamp`` (epoch milliseconds, the same value as the ``timestamp`` header) is added to
   the body; ``signature`` = upper-case hex MD5 of ``timestamp=<T>&k1=v1&k2=v2&...`` over the
   body's non-empty string and number values, keys in the verifier's order (``timestamp``
   included, so it appears twice; objects, arrays, booleans and nulls left out), added to the
   body.
3. The JSON text is URL-encoded as Java's ``URLEncoder`` does, cut into 100-character pieces,
   each encrypted with the public key (RSA, PKCS#1 v1.5) and Base64-encoded; the pieces,
   joined with ``,``, are sent as ``{"data": "..."}`` with a ``trace`` that starts with ``x-``.

Replies are plain JSON. A reply whose ``data`` is a string of such pieces (each the size of the
key) is opened as the vendor's helper opens one: each piece decrypted with the public key
(PKCS#1 v1.5 block type 1), the bytes joined and URL-decoded into the JSON of ``data``.

``cryptography`` does the RSA (the ``secure`` extra); it is imported only when secure mode is
switched on.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, unquote_plus

import msgspec

from .errors import ConfigurationError, ValidationError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

    from .models import CompanyProfile

PIECE = 100
"""Characters of URL-encoded text per encrypted piece."""

RESERVED = ("timestamp", "signature")
"""Body keys secure mode writes itself."""

MIN_KEY_BITS = 1024
_BASE64_PIECE = re.compile(rb"[A-Za-z0-9+/]+={0,2}")
_decode_object = msgspec.json.Decoder(dict[str, Any])
_INSTALL = "secure mode needs the cryptography package: pip install 'multimarkets-async[secure]'"


def signature(body: Mapping[str, Any], timestamp: int | str) -> str:
    """The signature of ``body`` (a decoded JSON object) sent at ``timestamp``: upper-case hex
    MD5 of ``timestamp=<T>`` and ``&key=value`` for each non-empty string or number, keys in
    the order of the server's verifier (Java's ``TreeMap``: UTF-16 code units, which is byte
    order for the ASCII keys of the API), ``signature`` itself left out."""
    parts = [f"timestamp={timestamp}"]
    for key in sorted(body, key=_java_order):
        value = body[key]
        signed = value != "" if isinstance(value, str) else isinstance(value, int | float)
        if signed and key != "signature" and not isinstance(value, bool):
            parts.append(f"{key}={value}")
    return hashlib.md5("&".join(parts).encode(), usedforsecurity=False).hexdigest().upper()


def _java_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def url_encode(text: str) -> str:
    """``text`` URL-encoded as Java's ``URLEncoder.encode(text, "UTF-8")`` does: space as
    ``+``, ``A-Z a-z 0-9 . - * _`` kept, everything else (``~`` included) as UTF-8 ``%XX``."""
    return quote_plus(text, safe="*").replace("~", "%7E")


def decimal_text(value: float) -> str:
    """A float as plain decimal text (``1e-07`` -> ``0.0000001``)."""
    return format(Decimal(repr(value)), "f")


def check_body(body: Mapping[str, Any] | None) -> None:
    """Refuse a body that sets a key secure mode writes itself (before anything is sent)."""
    clash = [key for key in RESERVED if body is not None and key in body]
    if clash:
        raise ValidationError(
            "body", f"{' and '.join(clash)} cannot be given in secure mode: it is set per request"
        )


class Sealer:
    """Seals request bodies for, and opens replies sealed with, one RSA public key."""

    __slots__ = ("_key", "_piece_length", "_size")

    def __init__(self, key: RSAPublicKey) -> None:
        self._key = key
        self._size = key.key_size // 8
        self._piece_length = 4 * -(-self._size // 3)  # Base64 of one encrypted block

    def __repr__(self) -> str:
        return f"<Sealer RSA-{self._key.key_size}>"

    def seal(self, payload: bytes, timestamp: int) -> bytes:
        """The request body ``{"data": "..."}`` of ``payload`` (a JSON object) sent at
        ``timestamp``."""
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

        body = _decode_object.decode(payload)
        for key, value in body.items():
            if isinstance(value, float):
                body[key] = decimal_text(value)
        body["timestamp"] = timestamp
        body["signature"] = signature(body, timestamp)
        text = url_encode(msgspec.json.encode(body).decode())
        encrypt, padding = self._key.encrypt, PKCS1v15()
        pieces = [
            base64.b64encode(encrypt(text[i : i + PIECE].encode("ascii"), padding))
            for i in range(0, len(text), PIECE)
        ]
        return b'{"data":"' + b",".join(pieces) + b'"}'

    def is_sealed(self, data: str) -> bool:
        """Whether a reply's ``data`` is a string of encrypted pieces for this key."""
        length = self._piece_length
        pieces = data.encode("ascii", "replace").split(b",")
        return all(len(p) == length and _BASE64_PIECE.fullmatch(p) for p in pieces)

    def open(self, data: str) -> bytes:
        """The JSON text a sealed ``data`` holds; ``ValueError`` (saying why, quoting
        nothing) when it cannot be opened with this key."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

        recover, padding = self._key.recover_data_from_signature, PKCS1v15()
        plain = bytearray()
        for number, piece in enumerate(data.split(","), 1):
            try:
                plain += recover(base64.b64decode(piece, validate=True), padding, None)
            except (binascii.Error, InvalidSignature, ValueError):
                raise ValueError(
                    f"piece {number} of the encrypted data cannot be opened with the company "
                    "public key"
                ) from None
        try:
            return unquote_plus(plain.decode("ascii"), errors="strict").encode()
        except UnicodeError:
            raise ValueError("the decrypted data is not URL-encoded UTF-8 text") from None


class SecureMode:
    """Secure mode for one client: a key given at construction, else the company public key
    of the latest login (its parsed form kept until the login's key changes)."""

    __slots__ = ("_configured", "_learned")

    def __init__(self, public_key: str | bytes | None) -> None:
        try:
            import cryptography  # noqa: F401
        except ImportError:
            raise ConfigurationError(_INSTALL) from None
        self._configured = None if public_key is None else Sealer(load_public_key(public_key))
        self._learned: tuple[str, Sealer] | None = None

    def __repr__(self) -> str:
        source = "given" if self._configured is not None else "from login"
        return f"<SecureMode key={source}>"

    def sealer(self, company: CompanyProfile | None) -> Sealer:
        """The sealer to use now; ``ConfigurationError`` when there is no usable key."""
        if self._configured is not None:
            return self._configured
        text = None if company is None else company.public_key
        if not text or not text.strip():
            raise ConfigurationError(
                "secure mode: the login's reply has no company public key (data.publicKey); "
                "pass public_key= (or set $MULTIMARKETS_PUBLIC_KEY)"
            )
        learned = self._learned
        if learned is None or learned[0] != text:
            try:
                learned = self._learned = (text, Sealer(load_public_key(text)))
            except ConfigurationError as exc:
                raise ConfigurationError(f"{exc} (the login reply's publicKey)") from None
        return learned[1]


def load_public_key(key: str | bytes) -> RSAPublicKey:
    """An RSA public key from PEM or Base64 DER text (X.509 SubjectPublicKeyInfo or PKCS#1);
    ``ConfigurationError`` (quoting nothing of it) when it is none, or too small for 100-byte
    pieces."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
    from cryptography.hazmat.primitives.serialization import (
        load_der_public_key,
        load_pem_public_key,
    )

    if not isinstance(key, str | bytes):
        raise ConfigurationError(f"public_key must be PEM or Base64 text, got {type(key).__name__}")
    raw = key.encode() if isinstance(key, str) else key
    try:
        if b"-----BEGIN" in raw:
            parsed = load_pem_public_key(raw.strip())
        else:
            parsed = load_der_public_key(base64.b64decode(b"".join(raw.split()), validate=True))
    except (ValueError, TypeError, binascii.Error, UnsupportedAlgorithm):
        raise ConfigurationError(
            "public_key cannot be read: give the company public key as PEM or as Base64 DER"
        ) from None
    if not isinstance(parsed, RSAPublicKey):
        raise ConfigurationError("public_key must be an RSA key")
    if parsed.key_size < MIN_KEY_BITS:
        raise ConfigurationError(
            f"public_key is a {parsed.key_size}-bit RSA key: {MIN_KEY_BITS} bits or more needed"
        )
    return parsed
