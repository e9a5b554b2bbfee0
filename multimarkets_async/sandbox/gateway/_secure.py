"""Secure mode as the vendor's gateway does it (its Java ``decrypt4LongText`` and
``verifySign``): open a request sealed with the company's public key and check its signature;
seal a reply with the private key, for ``decrypt4LongTextByPublicKey``.

The sandbox's own code, sharing nothing with the client's: a mistake on one side cannot hide
behind the same mistake on the other. ``cryptography`` (the ``secure`` extra) is imported on
first use, so a sandbox without it still serves plain requests.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, unquote_plus

import msgspec

from .._failure import ApiFailure

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

SECURE_PREFIX = "x-"
"""A request whose ``trace`` starts with this is secure: signed and encrypted."""

INVALID = "GGATEWAY_CODE_015"
EXPIRED = "GGATEWAY_CODE_014"
KEY_BITS = 1024
PLACEHOLDER_PUBLIC_KEY = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC7sandboxnotarealkeyAQAB"
"""What the login advertises when ``cryptography`` is missing."""

_INSTALL = "secure mode needs the cryptography package: pip install 'multimarkets-async[secure]'"
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_object = msgspec.json.Decoder(dict[str, Any])
_exact = msgspec.json.Decoder(dict[str, Any], float_hook=Decimal)  # numbers as Java keeps them


class SecureModeUnavailable(ImportError):
    """``cryptography`` cannot be imported."""

    def __init__(self) -> None:
        super().__init__(_INSTALL, name="cryptography")


def require_cryptography() -> None:
    """Raise :class:`SecureModeUnavailable` unless ``cryptography`` can be imported."""
    try:
        from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: F401
    except ImportError:
        raise SecureModeUnavailable from None


class SandboxKeys:
    """The company's RSA key pair (1024 bits, like the vendor's), made on first use."""

    def __init__(self) -> None:
        self._private: RSAPrivateKey | None = None
        self._public: str | None = None
        self._missing = False

    @property
    def private_key(self) -> RSAPrivateKey:
        """The private key (made now if needed); :class:`SecureModeUnavailable` without
        ``cryptography``."""
        if self._private is None:
            if self._missing:
                raise SecureModeUnavailable
            try:
                require_cryptography()
            except SecureModeUnavailable:
                self._missing = True
                raise
            from cryptography.hazmat.primitives.asymmetric import rsa

            self._private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        return self._private

    @property
    def public_key(self) -> str:
        """The public key as the vendor hands it out: Base64 of the X.509
        SubjectPublicKeyInfo DER."""
        if self._public is None:
            key = self.private_key.public_key()  # first: it checks cryptography is there
            from cryptography.hazmat.primitives import serialization

            der = key.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            self._public = base64.b64encode(der).decode("ascii")
        return self._public

    def advertised_key(self) -> str:
        """The login's ``publicKey``: the public key, or a placeholder without
        ``cryptography``."""
        try:
            return self.public_key
        except SecureModeUnavailable:
            return PLACEHOLDER_PUBLIC_KEY


# -- Java's URLEncoder / URLDecoder (UTF-8) ------------------------------------------------------


def java_url_encode(text: str | bytes) -> str:
    """``URLEncoder.encode(text, "UTF-8")``: space as ``+``; only ``A-Za-z0-9.-*_`` kept."""
    return quote_plus(text, safe="*").replace("~", "%7E")


def java_url_decode(text: str) -> str:
    """``URLDecoder.decode(text, "UTF-8")``: ``+`` as space; a malformed escape is an error
    (``ValueError``), bad UTF-8 becomes U+FFFD."""
    if _BAD_ESCAPE.search(text):
        raise ValueError("malformed %-escape")
    return unquote_plus(text)


# -- the signature (verifySign) -------------------------------------------------------------------


def _java_text(value: Any) -> str | None:
    """A value as the verifier signs it (Java's ``toString`` of what its JSON parser made),
    or None when it is not signed: only non-empty strings and numbers are."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | Decimal):
        return str(value)  # Decimal's text follows the same rules as BigDecimal.toString
    if isinstance(value, float):
        return repr(value)  # not from the exact parser; Java's Double.toString for most values
    return None


def _java_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")  # String.compareTo: UTF-16 code units


def signing_text(params: Mapping[str, Any]) -> str:
    """What the verifier signs: ``timestamp=<body timestamp>`` then ``&k=v`` for each signed
    value in key order (``signature`` left out; ``timestamp`` is a key too, so it appears
    twice)."""
    stamp = params.get("timestamp")
    parts = [f"timestamp={'null' if stamp is None else _java_text(stamp) or ''}"]
    for key in sorted(params, key=_java_order):
        text = None if key == "signature" else _java_text(params[key])
        if text is not None:
            parts.append(f"{key}={text}")
    return "&".join(parts)


def signature_of(params: Mapping[str, Any]) -> str:
    """The signature the verifier expects: upper-case hex MD5 of :func:`signing_text`."""
    text = signing_text(params).encode("utf-8", "replace")
    return hashlib.md5(text, usedforsecurity=False).hexdigest().upper()


def verify_signature(params: Mapping[str, Any]) -> bool:
    """Whether ``params`` (parsed with numbers kept exact) carry the right ``signature``."""
    given = params.get("signature")
    return isinstance(given, str) and given == signature_of(params)


# -- opening a request, sealing a reply -------------------------------------------------------


def _sealed_data(body: bytes | Mapping[str, Any]) -> str:
    if not isinstance(body, Mapping):
        try:
            body = _object.decode(body)
        except msgspec.DecodeError:
            raise ApiFailure(INVALID) from None
    data = body.get("data")
    if not isinstance(data, str):
        raise ApiFailure(INVALID)
    return data


def _decrypt(data: str, keys: SandboxKeys) -> str:
    """``decrypt4LongText``: each Base64 piece decrypted with the private key, the bytes
    joined, then URL-decoded."""
    try:
        key = keys.private_key
    except SecureModeUnavailable:
        raise ApiFailure(INVALID) from None
    from cryptography.hazmat.primitives.asymmetric import padding

    scheme = padding.PKCS1v15()
    plain = bytearray()
    try:
        for piece in data.split(","):
            plain += key.decrypt(base64.b64decode(piece, validate=True), scheme)
        return java_url_decode(plain.decode("utf-8"))
    except ValueError:  # bad Base64, a piece refused by the padding check, bad UTF-8 or escapes
        # (OpenSSL may instead answer a bad piece with random bytes, which the UTF-8, JSON and
        # signature checks that follow refuse.)
        raise ApiFailure(INVALID) from None


def _whole(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def open_request(
    body: bytes | Mapping[str, Any],
    keys: SandboxKeys,
    *,
    now: float,
    max_skew: float,
    header_stamp: str | None = None,
) -> dict[str, Any]:
    """Open a secure request's body ``{"data": "<b64>,<b64>,..."}`` and verify it; the body
    the handlers get (without ``signature`` and ``timestamp``).

    ``now`` is the sandbox's clock (epoch seconds); the body's ``timestamp`` (epoch ms) may be
    ``max_skew`` seconds off it, and must be the ``timestamp`` header's value when there is
    one (``header_stamp``). Raises ``ApiFailure``: ``GGATEWAY_CODE_015`` when the body cannot
    be opened, is not a JSON object, or its signature or timestamp is missing or wrong (or
    not the header's); ``GGATEWAY_CODE_014`` when the timestamp is too far off.
    """
    text = _decrypt(_sealed_data(body), keys)
    try:
        opened, exact = _object.decode(text), _exact.decode(text)
    except msgspec.DecodeError:
        raise ApiFailure(INVALID) from None
    stamp = _whole(exact.get("timestamp"))
    if stamp is None or not verify_signature(exact):
        raise ApiFailure(INVALID)
    if header_stamp is not None and _whole(header_stamp) != stamp:
        raise ApiFailure(INVALID)
    if abs(now * 1000 - stamp) > max_skew * 1000:
        raise ApiFailure(EXPIRED)
    opened.pop("signature", None)
    opened.pop("timestamp", None)
    return opened


def seal_reply(data: bytes, keys: SandboxKeys) -> str:
    """A reply's ``data`` (encoded JSON) sealed for ``decrypt4LongTextByPublicKey``: the JSON
    URL-encoded, cut into pieces of at most 117 bytes, each padded (PKCS#1 v1.5 block type 1)
    and raised to the private exponent, in Base64, joined with ``,``.

    ``cryptography`` signs but does not "encrypt" with a private key, hence the arithmetic.
    """
    key = keys.private_key
    numbers, size = key.private_numbers(), key.key_size // 8
    p, q = numbers.p, numbers.q
    room = size - 11  # PKCS#1 v1.5: at least 8 bytes of padding, and 3 of framing
    text = java_url_encode(data).encode("ascii")
    pieces = []
    for start in range(0, max(len(text), 1), room):
        piece = text[start : start + room]
        padded = b"\x00\x01" + b"\xff" * (size - 3 - len(piece)) + b"\x00" + piece
        block = int.from_bytes(padded, "big")
        # block ** d mod n, by the Chinese remainder theorem
        m1, m2 = pow(block, numbers.dmp1, p), pow(block, numbers.dmq1, q)
        sealed = m2 + (numbers.iqmp * (m1 - m2) % p) * q
        pieces.append(base64.b64encode(sealed.to_bytes(size, "big")).decode("ascii"))
    return ",".join(pieces)
