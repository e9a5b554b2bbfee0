"""Secure mode: requests signed and RSA-encrypted by the client, opened and verified by the
sandbox's own code; failures typed; nothing secret in logs or errors."""

from __future__ import annotations

import base64
import logging
import os
import random
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from _operations import CREATE, DETAIL, GROUPS, PAGE
from aiohttp import ClientSession, web
from conftest import FAST_RETRY
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

import multimarkets_async as mm
from multimarkets_async._secure import Sealer, load_public_key, signature, url_encode
from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

SEEDS = range(int(os.environ.get("MULTIMARKETS_SECURE_SEEDS", "4")))
TRICKY = [
    "+86",
    " ",
    "&",
    "=",
    "%",
    "~",
    "*",
    "+",
    "é",
    "中文",
    "😀",
    "ｚ",
    "a b",
    "%2B",
    "\\",
    '"',
    "/",
]


def _key_pair() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def _base64_der(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


# -- the procedure, piece by piece --------------------------------------------------------


def test_the_digests_md5_vector() -> None:
    body = {"parentCode": "USDT", "timestamp": 1722093946335}
    assert signature(body, 1722093946335) == "5EF9837436D52991C79B7C0C4B007DAE"


def test_only_non_empty_strings_and_numbers_are_signed_in_byte_order() -> None:
    body: dict[str, Any] = {
        "b": 2,
        "a": "x",
        "B": "upper first",
        "empty": "",
        "flag": True,
        "none": None,
        "nested": {"a": 1},
        "list": [1, 2],
        "signature": "old",
        "timestamp": 5,
    }
    import hashlib

    expected = "timestamp=5&B=upper first&a=x&b=2&timestamp=5"
    assert signature(body, 5) == hashlib.md5(expected.encode()).hexdigest().upper()


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("+86 138", "%2B86+138"),
        ("a*b~c", "a*b%7Ec"),
        ("A-Z_a.z09", "A-Z_a.z09"),
        ("&=%/?#", "%26%3D%25%2F%3F%23"),
        ("é中😀", "%C3%A9%E4%B8%AD%F0%9F%98%80"),
        ('{"k":"v"}', "%7B%22k%22%3A%22v%22%7D"),
    ],
)
def test_url_encoding_is_javas(text: str, encoded: str) -> None:
    assert url_encode(text) == encoded


def test_sealed_pieces_open_with_the_private_key() -> None:
    key = _key_pair()
    sealer = Sealer(key.public_key())
    body = {"name": "x" * 450 + "😀", "n": 7, "amount": 0.1}
    sealed = msgspec.json.decode(sealer.seal(msgspec.json.encode(body), 1_700_000_000_000))
    pieces = sealed["data"].split(",")
    assert len(pieces) > 5
    text = b"".join(key.decrypt(base64.b64decode(p), padding.PKCS1v15()) for p in pieces)
    assert all(len(key.decrypt(base64.b64decode(p), padding.PKCS1v15())) <= 100 for p in pieces)
    from urllib.parse import unquote_plus

    opened = msgspec.json.decode(unquote_plus(text.decode()))
    assert opened["name"] == body["name"] and opened["n"] == 7
    assert opened["amount"] == "0.1"  # decimals go as strings
    assert opened["timestamp"] == 1_700_000_000_000
    assert opened["signature"] == signature(opened, 1_700_000_000_000)


@pytest.mark.parametrize(
    "make",
    [
        lambda k: _base64_der(k),
        lambda k: (
            k.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        ),
        lambda k: k.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
        ),
    ],
    ids=["base64-der", "pem", "pkcs1-pem-bytes"],
)
def test_public_keys_as_pem_or_base64_der(make: Callable[[rsa.RSAPrivateKey], Any]) -> None:
    key = _key_pair()
    loaded = load_public_key(make(key))
    assert loaded.public_numbers() == key.public_key().public_numbers()


def _credentials() -> dict[str, Any]:
    return {"app_id": "a", "app_secret": "s", "company_id": 1, "base_url": "http://127.0.0.1:9"}


@pytest.mark.parametrize(
    ("public_key", "says"),
    [
        ("not a key at all", "cannot be read"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "cannot be read"),
        ("AAAA", "cannot be read"),
        (12345, "PEM or Base64"),
        ("small", "1024 bits or more"),
        ("ec", "RSA"),
    ],
)
def test_a_key_that_cannot_be_used_fails_at_construction(public_key: Any, says: str) -> None:
    if public_key == "small":  # 512 bits: cryptography makes none that small, so build one
        small = rsa.RSAPublicNumbers(65537, (1 << 511) | 0xABCDEF1).public_key()
        der = small.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        public_key = base64.b64encode(der).decode()
    elif public_key == "ec":
        der = (
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        public_key = base64.b64encode(der).decode()
    with pytest.raises(mm.ConfigurationError, match=says) as caught:  # quoting nothing of it
        mm.ManagerClient(**_credentials(), secure=True, public_key=public_key)
    if isinstance(public_key, str) and len(public_key) > 10:
        assert public_key not in str(caught.value)


def test_a_key_without_secure_mode_is_refused() -> None:
    with pytest.raises(mm.ConfigurationError, match="secure=True"):
        mm.ManagerClient(**_credentials(), public_key=_base64_der(_key_pair()))


def test_secure_mode_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MULTIMARKETS_SECURE", "yes")
    monkeypatch.setenv("MULTIMARKETS_PUBLIC_KEY", "garbage")
    with pytest.raises(mm.ConfigurationError, match="cannot be read"):
        mm.ManagerClient(**_credentials())
    monkeypatch.setenv("MULTIMARKETS_PUBLIC_KEY", _base64_der(_key_pair()))
    assert mm.ManagerClient(**_credentials()).secure
    monkeypatch.setenv("MULTIMARKETS_SECURE", "0")
    assert not mm.ManagerClient(**_credentials()).secure
    monkeypatch.setenv("MULTIMARKETS_SECURE", "perhaps")
    with pytest.raises(mm.ConfigurationError, match="MULTIMARKETS_SECURE"):
        mm.ManagerClient(**_credentials())
    with pytest.raises(mm.ConfigurationError, match="secure"):
        mm.ManagerClient(**_credentials(), secure=1)  # type: ignore[arg-type]


def test_without_cryptography_secure_mode_says_what_to_install() -> None:
    script = (
        "import sys; sys.modules['cryptography'] = None\n"
        "import multimarkets_async as mm\n"
        "mm.ManagerClient('a', 's', 1, 'http://127.0.0.1:9')\n"  # plain mode needs none
        "try:\n"
        "    mm.ManagerClient('a', 's', 1, 'http://127.0.0.1:9', secure=True)\n"
        "except mm.ConfigurationError as exc:\n"
        "    print(exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MULTIMARKETS_")}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert "multimarkets-async[secure]" in done.stdout


# -- against the sandbox ------------------------------------------------------------------


@pytest.fixture
async def secure_sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(customers=300, seed=5, secure=True) as sb:
        yield sb


async def test_every_call_is_secure_and_the_login_plain(secure_sandbox: Sandbox) -> None:
    """With no key given, the company public key of the login's reply is used."""
    sb = secure_sandbox
    settings = sb.credentials() | {"public_key": None}
    async with mm.ManagerClient(**settings, retry=FAST_RETRY) as client:
        assert client.secure and " secure" in repr(client)
        walked = [c.id async for c in client.customers.list(page_size=50)]
        await client.customers.groups()
    assert walked == list(sb.customer_records(deleted=False))
    assert sb.secure_calls[PAGE] == sb.calls[PAGE] >= 6
    assert sb.secure_calls[GROUPS] == 1
    assert sb.last_headers(PAGE)["trace"].startswith("x-")


async def test_a_plain_client_is_refused_by_a_secure_sandbox(secure_sandbox: Sandbox) -> None:
    plain = secure_sandbox.credentials() | {"secure": False, "public_key": None}
    async with mm.ManagerClient(**plain, retry=FAST_RETRY) as client:
        with pytest.raises(mm.InvalidRequestError) as caught:
            await client.customers.groups()
    assert caught.value.code == "GGATEWAY_CODE_016"
    assert caught.value.biz_type == GROUPS and caught.value.trace


async def test_a_key_in_the_environment_does_not_replace_the_sandboxs(
    secure_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MULTIMARKETS_PUBLIC_KEY", _base64_der(_key_pair()))
    async with mm.ManagerClient(**secure_sandbox.credentials()) as client:
        assert await client.customers.groups()


async def test_a_plain_sandbox_serves_secure_clients_too() -> None:
    async with Sandbox(customers=20) as sb:
        async with mm.ManagerClient(**sb.credentials(), secure=True) as client:
            assert len([c async for c in client.customers.list()]) == 20
        assert sb.secure_calls[PAGE] == 1


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(10 if depth < 2 else 7)
    if kind <= 2:
        size = rng.choice([0, 1, 5, 40, 300])
        return "".join(rng.choice([*TRICKY, "a", "Z", "9"]) for _ in range(size))
    if kind == 3:
        return rng.choice([0, -1, 7, 2**31, 2**53 + 1, -(2**62)])
    if kind == 4:
        return rng.choice([True, False, None])
    if kind == 5:
        return Decimal(rng.choice(["0.1", "-12.50", "100", "1E-7", "123456789.123456789"]))
    if kind == 6:
        return rng.choice([0.5, 1e-07, 1e16, -2.25])
    if kind in (7, 8):
        return {f"k{i}{rng.choice(TRICKY)}": _random_value(rng, depth + 1) for i in range(3)}
    return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]


def _as_sent(body: dict[str, Any]) -> dict[str, Any]:
    """What the sandbox should receive for ``body``: decimals as strings, top-level floats as
    decimal strings; everything else as JSON has it."""
    return {key: _value_as_sent(value, top=True) for key, value in body.items()}


def _value_as_sent(value: Any, top: bool) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float) and top:
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dict):
        return {k: _value_as_sent(v, False) for k, v in value.items()}
    if isinstance(value, list):
        return [_value_as_sent(v, False) for v in value]
    return value


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_bodies_arrive_byte_for_byte(secure_sandbox: Sandbox, seed: int) -> None:
    """Bodies of every shape and awkward character (``+86``, spaces, ``&``, ``=``, ``%``,
    ``~``, ``*``, non-ASCII, emoji; empty; long, of many pieces) reach the sandbox, through
    its own decryption, URL-decoding and signature check, exactly as given."""
    rng = random.Random(seed)
    sb = secure_sandbox
    async with mm.ManagerClient(**sb.credentials(), retry=FAST_RETRY) as client:
        for number in range(12):
            size = rng.choice([0, 1, 3, 8])
            body = {f"{rng.choice(TRICKY)}{i}": _random_value(rng) for i in range(size)}
            if number == 0:
                body = {}
            elif number == 1:
                body = {"long": "".join(rng.choice(TRICKY) for _ in range(3_000))}
            await client.request(GROUPS, body, write=False)
            assert sb.last_body(GROUPS) == _as_sent(body), f"seed {seed}, body {number}"
    assert sb.secure_calls[GROUPS] == 12


async def test_created_values_round_trip(secure_sandbox: Sandbox) -> None:
    code = "crm &=%~*+86 é中😀"
    async with mm.ManagerClient(**secure_sandbox.credentials()) as client:
        number = await client.customers.create(
            email="o.neil+test~1@example.com",
            password="P a&s=s%w*rd~😀",
            country="CN",
            register_source=1,
            customer_group_id=1,
            third_server_code=code,
        )
        detail = await client.customers.get(customer_no=number)
    sent = secure_sandbox.last_body(CREATE)
    assert sent is not None and sent["thirdServerCode"] == code
    assert detail.email == "o.neil+test~1@example.com" and detail.third_server_code == code
    assert secure_sandbox.secure_calls[CREATE] == secure_sandbox.secure_calls[DETAIL] == 1


async def test_reserved_keys_are_refused_before_sending(secure_sandbox: Sandbox) -> None:
    async with mm.ManagerClient(**secure_sandbox.credentials()) as client:
        with pytest.raises(mm.ValidationError, match="timestamp"):
            await client.request(GROUPS, {"timestamp": 1}, write=False)
    assert secure_sandbox.calls[GROUPS] == 0


async def test_encrypted_replies_are_opened() -> None:
    async with (
        Sandbox(customers=120, seed=3, secure=True, seal_replies=True) as sb,
        mm.ManagerClient(**sb.credentials()) as client,
    ):
        walked = [c async for c in client.customers.list(page_size=50)]
        groups = await client.customers.groups()
    assert [c.id for c in walked] == list(sb.customer_records(deleted=False))
    assert walked[0].customer_no and groups


# -- failures: typed, naming the operation and the trace ----------------------------------


async def test_a_wrong_key_is_the_sandboxs_invalid_request(secure_sandbox: Sandbox) -> None:
    other = _base64_der(_key_pair())
    settings = secure_sandbox.credentials() | {"public_key": other}
    async with mm.ManagerClient(**settings) as client:
        with pytest.raises(mm.InvalidRequestError) as caught:
            await client.customers.groups()
    error = caught.value
    assert error.code == "GGATEWAY_CODE_015" and error.biz_type == GROUPS
    assert error.trace is not None and error.trace.startswith("x-")
    assert GROUPS in str(error) and error.trace in str(error)


async def test_a_stale_timestamp_is_request_expired() -> None:
    async with (
        Sandbox(customers=10, secure=True, clock_offset=900) as sb,
        mm.ManagerClient(**sb.credentials(), retry=FAST_RETRY) as client,
    ):
        with pytest.raises(mm.RequestExpiredError) as caught:
            await client.customers.groups()
    error = caught.value
    assert error.code == "GGATEWAY_CODE_014" and error.biz_type == GROUPS
    assert error.trace is not None and error.trace.startswith("x-")
    assert error.attempts == FAST_RETRY.max_retries + 1  # each try stamped afresh, all stale


async def test_a_retry_is_signed_afresh_with_a_new_timestamp() -> None:
    """The first attempt is rate-limited for 0.2 s; the sandbox accepts only timestamps less
    than 0.1 s old, so a replay of the first request would be refused as stale."""
    async with (
        Sandbox(customers=10, secure=True, max_clock_skew=0.1) as sb,
        mm.ManagerClient(**sb.credentials(), retry=FAST_RETRY) as client,
    ):
        sb.inject("rate_limit", biz_type=GROUPS, delay=0.2)
        await client.customers.groups()
    assert sb.calls[GROUPS] == 2 and sb.secure_calls[GROUPS] == 1


class _Tamperer:
    """A man in the middle between client and sandbox that changes one character of one
    encrypted piece of every secure request."""

    def __init__(self, target: str, rng: random.Random) -> None:
        self.target, self.rng = target, rng
        self.tampered = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("trace", "").startswith("x-"):
            pieces = msgspec.json.decode(body)["data"].split(",")
            index = self.rng.randrange(len(pieces))
            piece = list(pieces[index])
            at = self.rng.randrange(len(piece) - 3)  # not the padding
            piece[at] = "A" if piece[at] != "A" else "B"
            pieces[index] = "".join(piece)
            body = msgspec.json.encode({"data": ",".join(pieces)})
            self.tampered += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with (
            ClientSession() as session,
            session.post(self.target + request.path, data=body, headers=headers) as reply,
        ):
            return web.Response(
                body=await reply.read(), status=reply.status, content_type="application/json"
            )


_HOP = {"host", "content-length", "transfer-encoding", "connection"}


@pytest.mark.parametrize("seed", SEEDS)
async def test_a_tampered_piece_is_the_sandboxs_invalid_request(
    secure_sandbox: Sandbox, seed: int
) -> None:
    tamperer = _Tamperer(secure_sandbox.base_url.removesuffix("/openapi-b"), random.Random(seed))
    app = web.Application()
    app.router.add_post("/{tail:.*}", tamperer.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        settings = secure_sandbox.credentials() | {"base_url": f"http://127.0.0.1:{port}/openapi-b"}
        async with mm.ManagerClient(**settings, retry=FAST_RETRY) as client:
            with pytest.raises(mm.InvalidRequestError) as caught:
                await client.request(GROUPS, {"note": "x" * rng_size(seed)}, write=False)
    finally:
        await runner.cleanup()
    error = caught.value
    assert error.code == "GGATEWAY_CODE_015" and error.biz_type == GROUPS
    assert error.trace is not None and error.trace.startswith("x-")
    assert tamperer.tampered == 1 and secure_sandbox.secure_calls[GROUPS] == 0


def rng_size(seed: int) -> int:
    return random.Random(seed).choice([0, 10, 250, 900])


async def _raw_server(
    handler: Callable[[web.Request], Any],
) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/openapi-b/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/openapi-b"


def _envelope(data: Any, trace: str) -> web.Response:
    body = {"code": "0", "msg": "Success", "ok": True, "fail": False, "data": data}
    return web.json_response(body | {"trace": trace})


async def test_a_login_without_a_public_key_fails_before_anything_is_sent() -> None:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.match_info["tail"])
        return _envelope({"token": "t-1", "id": 1, "publicKey": ""}, request.headers["trace"])

    runner, url = await _raw_server(handler)
    try:
        settings = _credentials() | {"base_url": url}
        async with mm.ManagerClient(**settings, secure=True, retry=FAST_RETRY) as client:
            with pytest.raises(mm.ConfigurationError, match="public key"):
                await client.customers.groups()
    finally:
        await runner.cleanup()
    assert seen == ["auth/admin.admin.CompanyAuthDubboService.auth"]


async def test_an_encrypted_reply_that_cannot_be_opened_is_undecodable() -> None:
    """The server seals its reply with a key that is not the company's."""
    company, stranger = _key_pair(), _key_pair()

    async def handler(request: web.Request) -> web.Response:
        trace = request.headers["trace"]
        if request.match_info["tail"].startswith("auth/"):
            return _envelope({"token": "t-1", "id": 1, "publicKey": _base64_der(company)}, trace)
        pieces = [base64.b64encode(_type1(stranger, b"%5B%5D")).decode()] * 2
        return _envelope(",".join(pieces), trace)

    runner, url = await _raw_server(handler)
    try:
        async with mm.ManagerClient(
            **_credentials() | {"base_url": url}, secure=True, retry=FAST_RETRY
        ) as client:
            with pytest.raises(mm.UndecodableResponseError, match="cannot be opened") as caught:
                await client.customers.groups()
    finally:
        await runner.cleanup()
    assert caught.value.biz_type == GROUPS and (caught.value.trace or "").startswith("x-")


async def test_a_string_that_only_looks_encrypted_is_a_string() -> None:
    """A reply whose ``data`` is a string of key-sized Base64 pieces that do not open is
    returned as the string it is, where the operation's data is a string; a sealed reply
    read as raw JSON is opened."""
    company = _key_pair()
    lookalike = base64.b64encode(bytes(range(128))).decode()
    sealed = base64.b64encode(_type1(company, b"%22opened%22")).decode()

    async def handler(request: web.Request) -> web.Response:
        trace = request.headers["trace"]
        if request.match_info["tail"].startswith("auth/"):
            return _envelope({"token": "t-1", "id": 1, "publicKey": _base64_der(company)}, trace)
        return _envelope(sealed if _wants(request) else lookalike, trace)

    runner, url = await _raw_server(handler)
    try:
        async with mm.ManagerClient(
            **_credentials() | {"base_url": url}, secure=True, retry=FAST_RETRY
        ) as client:
            assert await client.request(GROUPS, data_type=str, write=False) == lookalike
            raw = await client.request(DETAIL, data_type=msgspec.Raw, write=False)
            assert bytes(raw) == b'"opened"'
    finally:
        await runner.cleanup()


def _wants(request: web.Request) -> bool:
    return request.match_info["tail"] == DETAIL


async def test_keys_are_signed_in_the_verifiers_order(secure_sandbox: Sandbox) -> None:
    """U+FF5A sorts after an emoji in Java's (UTF-16) order, before it in code points."""
    async with mm.ManagerClient(**secure_sandbox.credentials()) as client:
        await client.request(GROUPS, {"ｚ": "fullwidth", "😀": "emoji"}, write=False)
    assert secure_sandbox.last_body(GROUPS) == {"ｚ": "fullwidth", "😀": "emoji"}


def _type1(key: rsa.RSAPrivateKey, message: bytes) -> bytes:
    """``message`` "encrypted" with the private key (PKCS#1 v1.5 block type 1)."""
    numbers = key.private_numbers()
    size = key.key_size // 8
    block = b"\x00\x01" + b"\xff" * (size - 3 - len(message)) + b"\x00" + message
    value = pow(int.from_bytes(block, "big"), numbers.d, numbers.public_numbers.n)
    return value.to_bytes(size, "big")


async def test_nothing_secret_in_logs_or_errors(
    secure_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    marker = "PLAINTEXT-MARKER-7d1c"
    errors: list[BaseException] = []
    async with mm.ManagerClient(**secure_sandbox.credentials(), retry=FAST_RETRY) as client:
        await client.request(GROUPS, {"note": marker}, write=False)
        for kind in ("code", "truncated", "disconnect"):
            secure_sandbox.inject(kind, biz_type=GROUPS, code="GGATEWAY_CODE_015", times=5)
            try:
                await client.request(GROUPS, {"note": marker}, write=False)
            except mm.MultiMarketsError as exc:
                errors.append(exc)
        texts = [repr(client), repr(client._pipeline._secure)]
    assert len(errors) == 3
    texts += [str(e) for e in errors] + [repr(e) for e in errors]
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(record.__dict__) for record in caplog.records]
    joined = "\n".join(texts)
    key = secure_sandbox.public_key
    assert marker not in joined
    assert key not in joined and key[40:80] not in joined
    assert not re.search(r"\b[0-9A-F]{32}\b", joined)  # no signature
    assert not re.search(r"[A-Za-z0-9+/]{100,}", joined)  # no encrypted piece
