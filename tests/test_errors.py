"""Every error class, raised from a real sandbox response over loopback."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from _operations import AUTH, GROUPS, PAGE

import multimarkets_async as mm
from multimarkets_async._vendor import error_messages
from multimarkets_async.errors import error_class_for_code
from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio


@pytest.fixture
def client(sandbox: Sandbox, client: mm.ManagerClient) -> mm.ManagerClient:
    """The shared client with retries off: each injected fault surfaces as is."""
    return client.with_options(max_retries=0)


def assert_names_request(error: Any, sandbox: Sandbox, biz_type: str) -> None:
    assert error.biz_type == biz_type
    assert error.trace and error.trace.startswith("mm-")
    assert error.trace == sandbox.last_headers(biz_type)["trace"]
    assert biz_type in str(error) and error.trace in str(error)


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("G500", mm.ServiceUnavailableError),
        ("GGATEWAY_CODE_012", mm.ServiceUnavailableError),
        ("GGATEWAY_CODE_902", mm.ServiceUnavailableError),
        ("E00003", mm.ServiceUnavailableError),
        ("GGATEWAY_CODE_018", mm.RateLimitError),
        ("GGATEWAY_CODE_014", mm.RequestExpiredError),
        ("GGATEWAY_CODE_019", mm.PermissionDeniedError),
        ("USCUSTOMER_API_0000501", mm.InvalidRequestError),
        ("USCUSTOMER_API_0000107", mm.ConflictError),
        ("FS404", mm.NotFoundError),
        ("FS51019", mm.BusinessError),
        ("USCUSTOMER_API_0000807", mm.NoticeError),
        ("NOT_A_DOCUMENTED_CODE", mm.BusinessError),
    ],
)
async def test_codes_map_to_classes(
    client: mm.ManagerClient, sandbox: Sandbox, code: str, cls: type[mm.APIError]
) -> None:
    sandbox.inject("code", biz_type=GROUPS, code=code)
    with pytest.raises(cls) as caught:
        await client.customers.groups()
    error = caught.value
    assert type(error) is cls
    assert error.code == code
    assert error.http_status == 200
    assert error.message == (error_messages().get(code) or "System error")
    assert error.server_message is not None
    assert error.data == GROUPS  # failure `data` may be any type: here, the bizType as text
    assert_names_request(error, sandbox, GROUPS)


async def test_authentication_error_from_wrong_secret(sandbox: Sandbox) -> None:
    async with mm.ManagerClient(
        **sandbox.credentials() | {"app_secret": "nope"}, max_retries=0
    ) as c:
        with pytest.raises(mm.AuthenticationError) as caught:
            await c.customers.groups()
    assert caught.value.code == "GGATEWAY_CODE_101"
    assert caught.value.message == "Invalid account info"


async def test_permission_denied_for_another_company(sandbox: Sandbox) -> None:
    async with mm.ManagerClient(**sandbox.credentials() | {"company_id": 999}, max_retries=0) as c:
        with pytest.raises(mm.PermissionDeniedError) as caught:
            await c.customers.groups()
    assert caught.value.code == "GGATEWAY_CODE_019"
    assert_names_request(caught.value, sandbox, GROUPS)


async def test_rate_limit_error_carries_retry_after(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    sandbox.inject("rate_limit", biz_type=GROUPS, delay=7)
    with pytest.raises(mm.RateLimitError) as caught:
        await client.customers.groups()
    error = caught.value
    assert error.http_status == 429
    assert error.code == "GGATEWAY_CODE_018"
    assert error.retry_after == 7
    assert error.retryable
    assert sandbox.statuses[(GROUPS, 429)] == 1


async def test_invalid_request_for_oversized_page_sent_raw(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    with pytest.raises(mm.InvalidRequestError) as caught:
        await client.request(PAGE, {"current": 1, "size": 5000})
    assert caught.value.code == "GGATEWAY_CODE_015"
    assert_names_request(caught.value, sandbox, PAGE)


async def test_unknown_biz_type(client: mm.ManagerClient) -> None:
    with pytest.raises(mm.InvalidRequestError) as caught:
        await client.request("customer.admin.NoSuchService.nothing", {})
    assert caught.value.code == "GGATEWAY_CODE_002"
    assert caught.value.data == "customer.admin.NoSuchService.nothing"


async def test_conflict_when_phone_exists(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    taken = next(r["phone"] for r in map(sandbox.store.record, range(1, 50)) if r["phone"])
    with pytest.raises(mm.ConflictError) as caught:
        await client.customers.create(
            phone=taken,
            password="a123456",
            country="CN",
            register_source=mm.RegisterSource.H5,
            customer_group_id=1,
        )
    assert caught.value.code == "USCUSTOMER_API_0000106"


async def test_not_found_customer(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    with pytest.raises(mm.NotFoundError):
        await client.customers.get(customer_no="86999999")
    with pytest.raises(mm.NotFoundError) as caught:
        await client.customers.get(customer_no="86000005", customer_id=6)
    assert caught.value.code == "USCUSTOMER_API_0000003"


async def test_service_unavailable_on_http_503_with_envelope(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    sandbox.inject("code", biz_type=GROUPS, code="GGATEWAY_CODE_012", status=503)
    with pytest.raises(mm.ServiceUnavailableError) as caught:
        await client.customers.groups()
    assert caught.value.http_status == 503
    assert "HTTP 503" in str(caught.value)


async def test_connection_error_when_the_server_drops_the_connection(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    await client.customers.groups()
    sandbox.inject("disconnect", biz_type=GROUPS)
    with pytest.raises(mm.APIConnectionError) as caught:
        await client.customers.groups()
    assert caught.value.biz_type == GROUPS


async def test_connection_error_when_reset_mid_body(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    sandbox.inject("reset", biz_type=GROUPS)
    with pytest.raises(mm.APIConnectionError):
        await client.customers.groups()


async def test_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/openapi-b"
    async with mm.ManagerClient("a", "b", 1, url, retry=mm.Retry(max_retries=2, base=0.001)) as c:
        with pytest.raises(mm.APIConnectionError) as caught:
            await c.customers.groups()
    assert caught.value.biz_type == AUTH
    assert caught.value.attempts == 3 and "after 3 attempts" in str(caught.value)
    assert not caught.value.request_sent


async def test_timeout(sandbox: Sandbox) -> None:
    async with mm.ManagerClient(
        **sandbox.credentials(), timeout=mm.Timeout(read=0.1), max_retries=0
    ) as c:
        await c.customers.groups()
        sandbox.inject("delay", biz_type=GROUPS, delay=0.5)
        with pytest.raises(mm.APITimeoutError) as caught:
            await c.customers.groups()
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.biz_type == GROUPS and GROUPS in str(caught.value)


async def test_per_call_timeout(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    sandbox.inject("delay", biz_type=GROUPS, delay=0.5)
    with pytest.raises(mm.APITimeoutError):
        await client.request(GROUPS, {}, timeout=mm.Timeout(total=0.1))


@pytest.mark.parametrize("kind", ["html", "truncated"])
async def test_undecodable_responses(client: mm.ManagerClient, sandbox: Sandbox, kind: str) -> None:
    sandbox.inject(kind, biz_type=GROUPS)
    with pytest.raises(mm.UndecodableResponseError) as caught:
        await client.customers.groups()
    error = caught.value
    text = str(error)
    assert error.http_status == (502 if kind == "html" else 200)
    assert f"HTTP {error.http_status}" in text
    assert error.trace is not None and error.trace in text
    assert len(error.body_excerpt) <= 200
    assert repr(error.body_excerpt[:20])[2:-1] in text
    assert error.biz_type == GROUPS
    if kind == "html":
        assert error.body_excerpt.startswith(b"<html>")


async def test_wrong_shape_is_undecodable(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    with pytest.raises(mm.UndecodableResponseError) as caught:
        await client.request(GROUPS, {}, data_type=int)
    assert "expected shape" in str(caught.value)
    assert caught.value.http_status == 200


def test_every_vendor_code_has_a_class_and_message() -> None:
    codes = error_messages()
    assert len(codes) == 339  # the list parsed line by line keeps USCUSTOMER_API_0000157
    assert codes["USCUSTOMER_API_0000157"].startswith("The customer is locked")
    assert codes["USCUSTOMER_API_0000142"].endswith("another mobile")
    assert codes["USCUSTOMER_API_0000115"].count("\\u") == 0
    for code in codes:
        assert issubclass(error_class_for_code(code), mm.APIError)
    gateway_auth = ["GGATEWAY_CODE_001", "GGATEWAY_CODE_005", "GGATEWAY_CODE_017"]
    assert all(error_class_for_code(c) is mm.AuthenticationError for c in gateway_auth)
    assert error_class_for_code("USCUSTOMER_API_0000128") is mm.AuthenticationError


def test_placeholders_are_filled_from_msg_params() -> None:
    error = mm.BusinessError(
        "FS51025", biz_type="x", server_message="raw", msg_params="30", trace="t"
    )
    assert "within 30 minute" in error.message
