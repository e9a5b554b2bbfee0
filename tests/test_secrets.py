"""Secrets never appear in repr, str, exceptions or logs."""

from __future__ import annotations

import logging

import pytest
from _operations import CREATE, GROUPS

import multimarkets_async as mm
from multimarkets_async.sandbox import Sandbox, password_md5

pytestmark = pytest.mark.anyio

PASSWORD = "Plain-Pa55word!"


async def test_nothing_secret_leaks(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    async with mm.ManagerClient(**sandbox.credentials(), max_retries=0) as c:
        await c.customers.create(
            phone="13700000000",
            password=PASSWORD,
            country="CN",
            register_source=1,
            customer_group_id=1,
        )
        token = sandbox.last_headers(CREATE)["token"]
        for kind, code in [
            ("code", "G500"),
            ("code", "GGATEWAY_CODE_005"),
            ("html", ""),
            ("truncated", ""),
            ("disconnect", ""),
        ]:
            sandbox.inject(kind, biz_type=GROUPS, code=code or "G500")
            try:
                await c.customers.groups()
            except mm.MultiMarketsError as exc:
                errors.append(exc)
        sandbox.expire_tokens()
        await c.customers.groups()
        try:
            await c.customers.create(
                phone="13700000000",
                password=PASSWORD,
                country="CN",
                register_source=1,
                customer_group_id=1,
            )
        except mm.ConflictError as exc:
            errors.append(exc)
        texts = [repr(c), str(c), repr(c._pipeline._auth), repr(await c.company())]
    async with mm.ManagerClient(**sandbox.credentials() | {"app_secret": "other-secret"}) as bad:
        try:
            await bad.customers.groups()
        except mm.AuthenticationError as exc:
            errors.append(exc)
        texts.append(repr(bad))
    assert len(errors) >= 6
    texts += [str(e) for e in errors] + [repr(e) for e in errors]
    texts += [repr(vars(e)) for e in errors]
    texts.append(caplog.text)
    assert token in sandbox.issued_tokens and len(sandbox.issued_tokens) == 3
    secrets = [sandbox.app_secret, "other-secret", PASSWORD, password_md5(PASSWORD)]
    secrets += sandbox.issued_tokens
    for text in texts:
        for secret in secrets:
            assert secret not in text
    assert caplog.text  # debug logging was on and wrote something


def test_secret_wrapper_hides_its_value() -> None:
    from multimarkets_async._config import Secret

    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret)
    assert "hunter2" not in f"{secret}"
    assert secret.reveal() == "hunter2"


def test_a_request_being_sent_never_shows_its_token_or_body_in_repr() -> None:
    from multimarkets_async._auth import AUTH
    from multimarkets_async._dialect import Identity, Request
    from multimarkets_async._operation import op

    secret = "tok-SECRET-123"
    body = b'{"appSecret":"app-SECRET-456"}'
    for operation in (op("a.b.C.d", object), AUTH, op("a.b.C.q", object, transport="quote-query")):
        request = Request(operation, body, secret, "mm-trace", Identity("1", None))
        outgoing = operation.dialect.outgoing(request)
        for shown in (repr(request), repr(outgoing)):
            assert "SECRET" not in shown, shown
