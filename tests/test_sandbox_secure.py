"""The sandbox's secure mode, spoken to with plain aiohttp and a test-side encoder
(``_secure_wire``): opening and verifying ``x-`` requests, requiring them, sealing replies."""

from __future__ import annotations

import base64
import sys
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import anyio
import msgspec
import pytest
from _helpers import headers_for, http_session, login, post  # noqa: F401 (a fixture)
from _operations import AUTH, GROUPS, PAGE
from _secure_wire import encrypt, encrypt_text, load_public_key, open_reply, seal, sign, signed
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from multimarkets_async import cli
from multimarkets_async.sandbox import Sandbox, SandboxConfig
from multimarkets_async.sandbox.gateway._secure import (
    PLACEHOLDER_PUBLIC_KEY,
    signature_of,
    signing_text,
    verify_signature,
)

pytestmark = pytest.mark.anyio

VECTOR = {"parentCode": "USDT", "timestamp": 1722093946335}
VECTOR_SIGNATURE = "5EF9837436D52991C79B7C0C4B007DAE"


@pytest.fixture
async def secure_sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(customers=50, seed=7, secure=True) as sb:
        yield sb


def now_ms() -> int:
    return int(time.time() * 1000)


async def login_reply(http: aiohttp.ClientSession, sb: Sandbox) -> Any:
    """The login's reply envelope."""
    body = {"appId": sb.app_id, "appSecret": sb.app_secret}
    _, _, reply = await post(http, sb, f"auth/{AUTH}", body, {"trace": "t-1"})
    return reply


async def secure_call(
    http: aiohttp.ClientSession,
    sb: Sandbox,
    token: str,
    biz_type: str,
    body: Any,
    *,
    stamp: int | None = None,
) -> Any:
    """A business call with an ``x-`` trace and ``body`` as given (already sealed): the
    reply envelope. ``stamp``: the ``timestamp`` header (none when None)."""
    changes = {"trace": "x-test-1", "timestamp": None if stamp is None else str(stamp)}
    _, _, reply = await post(http, sb, biz_type, body, headers_for(sb, token, changes))
    return reply


async def sealed_call(
    http: aiohttp.ClientSession, sb: Sandbox, token: str, biz_type: str, body: dict[str, Any]
) -> Any:
    """``body`` signed and encrypted with the sandbox's public key, as a secure call."""
    stamp = now_ms()
    sealed = seal(body, load_public_key(sb.public_key), stamp)
    return await secure_call(http, sb, token, biz_type, sealed, stamp=stamp)


# -- the signature, as the vendor's verifySign computes it ------------------------------------


def test_signature_test_vector() -> None:
    text = "timestamp=1722093946335&parentCode=USDT&timestamp=1722093946335"
    assert signing_text(VECTOR) == text
    assert signature_of(VECTOR) == VECTOR_SIGNATURE == sign(VECTOR)
    assert verify_signature({**VECTOR, "signature": VECTOR_SIGNATURE})
    assert not verify_signature({**VECTOR, "signature": VECTOR_SIGNATURE.lower()})
    assert not verify_signature({**VECTOR, "signature": 5})
    assert not verify_signature(VECTOR)
    # the timestamp as a numeric string signs the same
    assert signature_of({**VECTOR, "timestamp": "1722093946335"}) == VECTOR_SIGNATURE


def test_signature_follows_the_java_verifier() -> None:
    params = {
        "timestamp": 5,
        "ｚ": "fullwidth",  # U+FF5A: after the emoji's surrogates in UTF-16 order
        "😀": "emoji",
        "b": True,
        "c": None,
        "d": "",
        "e": {"x": 1},
        "f": [1],
        "g": Decimal("1.50"),
        "h": Decimal("1E+3"),
        "i": 0,
        "signature": "ignored",
    }
    expected = "timestamp=5&g=1.50&h=1E+3&i=0&timestamp=5&😀=emoji&ｚ=fullwidth"
    assert signing_text(params) == expected


# -- secure requests served ----------------------------------------------------------------


async def test_the_login_hands_out_the_sandbox_public_key(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    reply = await login_reply(http, sandbox)
    assert reply["data"]["publicKey"] == sandbox.public_key
    key = load_public_key(sandbox.public_key)
    assert key.key_size == 1024
    assert sandbox.public_key != Sandbox(customers=1).public_key  # a fresh pair per sandbox


async def test_a_plain_sandbox_serves_secure_requests_like_plain_ones(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await login(http, sandbox)
    body = {"current": 2, "size": 7}
    _, _, plain = await post(http, sandbox, PAGE, body, headers_for(sandbox, token))
    secure = await sealed_call(http, sandbox, token, PAGE, body)
    assert secure["code"] == "0" and secure["trace"] == "x-test-1"
    assert secure["data"] == plain["data"] and len(secure["data"]["records"]) == 7
    assert sandbox.secure_calls == {PAGE: 1}
    assert sandbox.last_body(PAGE) == body  # without signature and timestamp
    assert sandbox.last_body(GROUPS) is None


async def test_a_secure_sandbox_refuses_plain_business_calls(
    secure_sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    sb = secure_sandbox
    token = await login(http, sb)  # the login stays plain
    _, _, reply = await post(http, sb, PAGE, {"current": 1}, headers_for(sb, token))
    assert reply["code"] == "GGATEWAY_CODE_016" and reply["ok"] is False
    assert sb.last_body(PAGE) is None
    reply = await sealed_call(http, sb, token, PAGE, {"current": 1})
    assert reply["code"] == "0" and reply["data"]["total"] == 50
    assert sb.secure_calls[PAGE] == 1
    # market data is not a Manager business call
    query = msgspec.json.encode({"trace": "q-1", "data": {"symbol_list": [{"code": "EURUSD"}]}})
    url = f"{sb.base_url}/quote-b-api/trade-tick"
    async with http.get(url, params={"token": token, "query": query.decode()}) as response:
        assert msgspec.json.decode(await response.read())["ret"] == 200


def _flip(sealed: str, index: int) -> str:
    """``sealed`` with one Base64 character in the middle of piece ``index`` changed."""
    pieces = sealed.split(",")
    piece = pieces[index]
    middle = len(piece) // 2
    pieces[index] = piece[:middle] + ("A" if piece[middle] != "A" else "B") + piece[middle + 1 :]
    return ",".join(pieces)


def _other_key() -> RSAPublicKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()


BODY = {"current": 1, "size": 10, "note": "x" * 150}  # more than one piece


def _bad_bodies(key: RSAPublicKey) -> dict[str, Any]:
    stamp = now_ms()
    good = seal(BODY, key, stamp)["data"]
    unsigned = {**BODY, "timestamp": stamp}

    def text(body: Any) -> str:
        return encrypt_text(msgspec.json.encode(body).decode(), key)

    return {
        "tampered piece": {"data": _flip(good, 1)},
        "other key": seal(BODY, _other_key(), stamp),
        "piece missing": {"data": good.split(",", 1)[1]},
        "not base64": {"data": good.replace(good[10], "*", 1)},
        "url-safe base64": {"data": good.replace("+", "-").replace("/", "_")},
        "empty data": {"data": ""},
        "data not text": {"data": 5},
        "no data": {"current": 1},
        "an array": [good],
        "no signature": {"data": text(unsigned)},
        "wrong signature": {"data": text({**unsigned, "signature": sign(unsigned).lower()})},
        "signed another body": {"data": text({**unsigned, "signature": sign(VECTOR)})},
        "no timestamp": {"data": text({**BODY, "signature": signature_of(BODY)})},
        "fractional timestamp": {"data": text(signed({**BODY, "timestamp": stamp + 0.5}))},
        "not json": {"data": encrypt_text("{current: 1", key)},
        "not an object": {"data": encrypt_text("[1, 2]", key)},
        "bad utf-8": {"data": encrypt(b"%7B%7D\xff", key)},
        "malformed escape": {"data": encrypt(b"%7B%7D%G0", key)},
    }


async def test_secure_requests_that_cannot_be_opened_or_verified_are_invalid(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await login(http, sandbox)
    for name, body in _bad_bodies(load_public_key(sandbox.public_key)).items():
        reply = await secure_call(http, sandbox, token, PAGE, body)
        assert reply["code"] == "GGATEWAY_CODE_015", name
    assert not sandbox.secure_calls and sandbox.last_body(PAGE) is None


async def test_the_timestamp_may_be_a_numeric_string(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await login(http, sandbox)
    body = {"current": 1, "timestamp": str(now_ms())}
    body["signature"] = sign(body)
    key = load_public_key(sandbox.public_key)
    sealed = {"data": encrypt_text(msgspec.json.encode(body).decode(), key)}
    assert (await secure_call(http, sandbox, token, PAGE, sealed))["code"] == "0"


async def test_decimals_are_signed_as_written(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await login(http, sandbox)
    stamp = now_ms()
    signature = signature_of({"amount": Decimal("1.50"), "timestamp": stamp})
    text = f'{{"amount":1.50,"timestamp":{stamp},"signature":"{signature}"}}'
    sealed = {"data": encrypt_text(text, load_public_key(sandbox.public_key))}
    assert (await secure_call(http, sandbox, token, GROUPS, sealed))["code"] == "0"
    assert sandbox.last_body(GROUPS) == {"amount": 1.5}


async def test_a_stale_body_timestamp_is_request_expired(http: aiohttp.ClientSession) -> None:
    async with Sandbox(customers=10, clock_offset=600) as sb:
        token = await login(http, sb)
        key = load_public_key(sb.public_key)
        stamp = now_ms()
        # the header's timestamp is checked against the same (offset) clock
        reply = await secure_call(http, sb, token, PAGE, seal({}, key, stamp), stamp=stamp)
        assert reply["code"] == "GGATEWAY_CODE_014"
        reply = await secure_call(http, sb, token, PAGE, seal({}, key, stamp))
        assert reply["code"] == "GGATEWAY_CODE_014"
        reply = await secure_call(http, sb, token, PAGE, seal({}, key, stamp + 600_000))
        assert reply["code"] == "0"


async def test_the_body_timestamp_must_be_the_headers(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await login(http, sandbox)
    key = load_public_key(sandbox.public_key)
    stamp = now_ms()
    reply = await secure_call(http, sandbox, token, PAGE, seal({}, key, stamp), stamp=stamp + 1)
    assert reply["code"] == "GGATEWAY_CODE_015"
    reply = await secure_call(http, sandbox, token, PAGE, seal({}, key, stamp), stamp=stamp)
    assert reply["code"] == "0"


TRICKY = {
    "phone": "+86 138 0013 8000",
    "spaces": "  two  spaces  ",
    "query": "a=1&b=2%20c",
    "marks": "~*-._!'()/?#[]@$,;:",
    "percent": "100% %zz %",
    "plus": "1+1=2",
    "accents": "Ünïcödé çà",
    "cjk": "客户名称",
    "emoji": "😀👍🏽",
    "quote": 'say "hi" \\ \n\t',
    "empty": "",
    "int": 2**53 + 1,
    "negative": -7,
    "flag": False,
    "nothing": None,
    "nested": {"list": [1, "two", {"three": 3}]},
}


@pytest.mark.parametrize(
    "body",
    [
        TRICKY,
        {},
        {"long": "x😀é+ " * 400, "ids": list(range(300))},  # dozens of pieces
    ],
    ids=["tricky", "empty", "long"],
)
async def test_bodies_arrive_exactly(
    sandbox: Sandbox, http: aiohttp.ClientSession, body: dict[str, Any]
) -> None:
    token = await login(http, sandbox)
    reply = await sealed_call(http, sandbox, token, GROUPS, body)
    assert reply["code"] == "0"
    assert sandbox.last_body(GROUPS) == body
    assert sandbox.secure_calls[GROUPS] == 1


# -- sealed replies ----------------------------------------------------------------------------


async def test_sealed_replies_open_with_the_public_key(http: aiohttp.ClientSession) -> None:
    async with Sandbox(customers=50, seed=7, seal_replies=True) as sb:
        token = await login(http, sb)
        key = load_public_key(sb.public_key)
        body = {"current": 1, "size": 20}
        _, _, plain = await post(http, sb, PAGE, body, headers_for(sb, token))
        assert isinstance(plain["data"], dict)  # plain calls get plain replies
        reply = await sealed_call(http, sb, token, PAGE, body)
        assert reply["code"] == "0" and isinstance(reply["data"], str)
        assert len(reply["data"].split(",")) > 1
        assert open_reply(reply["data"], key) == plain["data"]
        failed = await secure_call(http, sb, token, PAGE, {"data": "nope"})
        assert failed["code"] == "GGATEWAY_CODE_015" and failed["data"] is None


# -- the facade and the command --------------------------------------------------------------


async def test_credentials_say_when_secure_mode_is_required(secure_sandbox: Sandbox) -> None:
    assert secure_sandbox.credentials()["secure"] is True
    async with Sandbox(customers=1) as plain:
        assert "secure" not in plain.credentials()


async def test_without_cryptography_only_plain_mode_works(
    monkeypatch: pytest.MonkeyPatch, http: aiohttp.ClientSession
) -> None:
    for name in [name for name in sys.modules if name.startswith("cryptography")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "cryptography", None)
    with pytest.raises(ImportError, match=r"multimarkets-async\[secure\]"):
        Sandbox(secure=True)
    async with Sandbox(customers=10) as sb:
        reply = await login_reply(http, sb)
        assert reply["data"]["publicKey"] == PLACEHOLDER_PUBLIC_KEY
        token = reply["data"]["token"]
        sealed = {"data": base64.b64encode(b"\0" * 128).decode()}
        assert (await secure_call(http, sb, token, PAGE, sealed))["code"] == "GGATEWAY_CODE_015"
        _, _, reply = await post(http, sb, PAGE, {"current": 1}, headers_for(sb, token))
        assert reply["code"] == "0"


def test_the_sandbox_command_takes_secure_options() -> None:
    args = cli._parser().parse_args(["sandbox", "--secure", "--seal-replies"])
    assert args.secure is True and args.seal_replies is True
    args = cli._parser().parse_args(["sandbox"])
    assert args.secure is False and args.seal_replies is False


async def test_the_sandbox_command_serves_secure_mode(
    capsys: pytest.CaptureFixture[str], http: aiohttp.ClientSession
) -> None:
    args = cli._parser().parse_args(["sandbox", "--secure", "--port", "0", "--customers", "5"])
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(cli._sandbox, args)
        printed = ""
        with anyio.fail_after(10):
            while "Data Push websocket" not in printed:
                await anyio.sleep(0.01)
                printed += capsys.readouterr().out
        assert "  export MULTIMARKETS_SECURE=1" in printed.splitlines()
        base_url = printed.split("customers at ", 1)[1].split()[0]
        config = SandboxConfig()  # the default app credentials
        login_body = {"appId": config.app_id, "appSecret": config.app_secret}
        async with http.post(
            f"{base_url}/auth/{AUTH}", json=login_body, headers={"trace": "t-1"}
        ) as response:
            token = (await response.json())["data"]["token"]
        headers = {"trace": "t-2", "companyId": str(config.company_id), "token": token}
        async with http.post(
            f"{base_url}/{PAGE}", json={}, headers={**headers, "version": "0.0.1"}
        ) as response:
            assert (await response.json())["code"] == "GGATEWAY_CODE_016"
        tasks.cancel_scope.cancel()
