"""Servers that misbehave on purpose: redirects, broken bytes, odd auth replies. Every call
ends with a typed ``MultiMarketsError`` within a stated time, and sends nothing it should not."""

from __future__ import annotations

import time

import anyio
import pytest
from _hostile import TOKEN, envelope, json_reply, serve
from _operations import AUTH
from aiohttp import web

import multimarkets_async as mm

pytestmark = pytest.mark.anyio

FAST = mm.Retry(base=0.001, cap=0.01)
ADJUST = dict(trade_type=1, currency="USD", amount="10")


def redirect(status: int, location: str) -> web.Response:
    return web.Response(status=status, headers={"Location": location})


# -- redirects: never followed, nothing re-sent -----------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirected_login_sends_the_secret_nowhere_else(status: int) -> None:
    async with serve() as elsewhere:
        target = elsewhere.base_url + "/auth/admin.admin.CompanyAuthDubboService.auth"

        async def moved(request: web.Request) -> web.StreamResponse:
            return redirect(status, target)

        async with (
            serve(auth=moved) as server,
            mm.ManagerClient(**server.credentials(), retry=FAST) as client,
        ):
            with anyio.fail_after(5), pytest.raises(mm.RedirectError) as caught:
                await client.customers.groups()
    assert elsewhere.requests == []
    assert caught.value.http_status == status and caught.value.location == target
    assert str(status) in str(caught.value) and target in str(caught.value)
    assert server.calls("auth") == 1  # a redirect is not retried either


async def test_a_cross_origin_redirect_never_carries_the_token() -> None:
    async with serve() as elsewhere:

        async def moved(request: web.Request) -> web.StreamResponse:
            return redirect(302, elsewhere.base_url + request.path)

        async with (
            serve(moved) as server,
            mm.ManagerClient(**server.credentials(), retry=FAST) as client,
        ):
            with anyio.fail_after(5), pytest.raises(mm.RedirectError):
                await client.customers.groups()
    assert elsewhere.requests == []
    assert server.calls("groupList") == 1


@pytest.mark.parametrize("status", [302, 307])
async def test_a_redirected_adjustment_is_neither_replayed_nor_turned_into_a_get(
    status: int,
) -> None:
    async def moved(request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            return json_reply(envelope("PROPOSAL-FROM-A-GET"))
        return redirect(status, request.path + "?again=1")

    async with (
        serve(moved) as server,
        mm.ManagerClient(**server.credentials(), retry=FAST) as client,
    ):
        with anyio.fail_after(5), pytest.raises(mm.RedirectError) as caught:
            await client.funds.adjust("86000001", **ADJUST)
    adjusts = [seen for seen in server.requests if seen.path.endswith("addCustomerAdjustProposal")]
    assert [seen.method for seen in adjusts] == ["POST"]
    assert caught.value.location is not None and caught.value.location.endswith("?again=1")


# -- request(): only operation names, never paths ---------------------------------------------


@pytest.mark.parametrize(
    "biz_type",
    ["../../../etc/passwd", "a/b", "customer.admin.X?y=1", "http://evil/x", "a..b", ".a", ""],
)
async def test_request_takes_operation_names_not_paths(biz_type: str) -> None:
    async with serve() as server, mm.ManagerClient(**server.credentials()) as client:
        with pytest.raises(mm.ValidationError):
            await client.request(biz_type, {})
    assert server.requests == []


async def test_request_rejects_a_path_prefix_and_version_that_are_not_the_apis() -> None:
    async with serve() as server, mm.ManagerClient(**server.credentials()) as client:
        with pytest.raises(mm.ValidationError):
            await client.request("a.b.C.d", {}, path_prefix="/../../x")
        with pytest.raises(mm.ValidationError):
            await client.request("a.b.C.d", {}, version="1\r\nX-Evil: 1")
        assert await client.request("a.b.C.d", {}, write=False) == []
    assert [seen.path for seen in server.requests][-1] == "/openapi-b/a.b.C.d"


# -- header injection -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting",
    [
        {"company_id": "1\r\nX-Evil: 1"},
        {"company_id": "abc"},
        {"company_id": "0"},
        {"lang": "en_US\r\nX-Evil: 1"},
        {"app_id": "app\nid"},
        {"base_url": "http://127.0.0.1:1/openapi-b\r\n"},
        {"market_token": "tok\x00en"},
    ],
)
async def test_control_characters_in_settings_are_refused_at_construction(
    setting: dict[str, str],
) -> None:
    async with serve() as server:
        with pytest.raises(mm.ConfigurationError):
            mm.ManagerClient(**(server.credentials() | setting))
    assert server.requests == []


@pytest.mark.parametrize("token", ["tok\r\nX-Evil: 1", "", " padded ", "t\x00k"])
async def test_a_token_that_cannot_be_a_header_is_an_undecodable_auth_reply(token: str) -> None:
    async def login(request: web.Request) -> web.StreamResponse:
        return json_reply(envelope({"token": token, "id": 1}))

    async with (
        serve(auth=login) as server,
        mm.ManagerClient(**server.credentials(), retry=FAST) as client,
    ):
        with anyio.fail_after(5), pytest.raises(mm.UndecodableResponseError) as caught:
            await client.customers.groups()
    assert "auth" in str(caught.value)
    assert server.calls("groupList") == 0
    assert token.strip() == "" or token not in str(caught.value)


# -- every failure is typed -------------------------------------------------------------------

DEEP = b'{"code":"0","msg":"ok","data":[],"extra":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
DEEP_FAILURE = b'{"code":"G500","msg":"x","data":' + b"[" * 100_000 + b"]" * 100_000 + b"}"


@pytest.mark.parametrize(
    ("name", "status", "body"),
    [
        ("invalid UTF-8 in data", 200, b'{"code":"0","msg":"ok","data":[{"name":"\xff\xfe"}]}'),
        ("invalid UTF-8 in a failure", 200, b'{"code":"G500","msg":"\xc3\x28 bad","data":null}'),
        ("invalid UTF-8 in an error page", 500, b'{"code":"G500","msg":"\xff"}'),
        ("deep nesting in an unknown field", 200, DEEP),
        ("deep nesting in a failure", 200, DEEP_FAILURE),
        ("garbage", 200, bytes(range(256)) * 4),
        ("a lone number", 200, b"12345"),
        ("empty", 200, b""),
    ],
)
async def test_broken_bytes_are_an_undecodable_response(
    name: str, status: int, body: bytes
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return json_reply(body, status)

    async with serve(handler) as server:
        retry = mm.Retry(max_retries=1, base=0.001, cap=0.01)
        async with mm.ManagerClient(**server.credentials(), retry=retry) as client:
            with anyio.fail_after(5), pytest.raises(mm.UndecodableResponseError) as caught:
                await client.customers.groups()
    error = caught.value
    assert error.biz_type.endswith("groupList") and error.trace and error.trace.startswith("mm-")
    assert len(error.body_excerpt) <= 200


@pytest.mark.parametrize(
    "data",
    [None, {}, {"token": 12345}, {"token": None}, [], "token", {"token": ["a"]}],
)
async def test_an_auth_reply_without_a_usable_token_is_undecodable(data: object) -> None:
    async def login(request: web.Request) -> web.StreamResponse:
        return json_reply(envelope(data))

    async with (
        serve(auth=login) as server,
        mm.ManagerClient(**server.credentials(), retry=FAST) as client,
    ):
        with anyio.fail_after(5), pytest.raises(mm.UndecodableResponseError) as caught:
            await client.customers.groups()
    assert caught.value.biz_type == AUTH
    assert server.calls("groupList") == 0


@pytest.mark.parametrize("status", [404, 405, 200])
async def test_a_wrong_base_url_says_to_check_it(status: int) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, text="<html>Not Found</html>", content_type="text/html")

    async with (
        serve(handler, auth=handler) as server,
        mm.ManagerClient(**server.credentials(), retry=FAST) as client,
    ):
        with anyio.fail_after(5), pytest.raises(mm.UndecodableResponseError) as caught:
            await client.customers.groups()
    assert "check base_url" in str(caught.value) and "/openapi-b" in str(caught.value)


def test_one_client_in_two_event_loops_is_a_clear_error() -> None:
    async def use(client: mm.ManagerClient) -> None:
        await client.customers.groups()

    async def scenario() -> None:
        async with serve() as server:
            client = mm.ManagerClient(**server.credentials())
            await use(client)
            try:
                # A second loop, in a thread so that the first one keeps serving.
                with pytest.raises(mm.EventLoopError) as caught:
                    await anyio.to_thread.run_sync(lambda: anyio.run(use, client))
                assert "event loop" in str(caught.value)
            finally:
                await client.aclose()

    anyio.run(scenario)


# -- lifecycle --------------------------------------------------------------------------------


async def test_aclose_with_200_calls_in_flight_ends_each_with_client_closed() -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await anyio.sleep(3600)
        raise AssertionError("unreachable")

    async with serve(slow) as server:
        client = mm.ManagerClient(**server.credentials(), max_connections=100)
        outcomes: list[BaseException | None] = []

        async def one() -> None:
            # Each call's outcome is recorded, not raised: nothing cancels the other calls.
            try:
                await client.customers.groups()
            except BaseException as exc:  # what each call ends with is the test
                outcomes.append(exc)
            else:
                outcomes.append(None)

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for _ in range(200):
                    tg.start_soon(one)
                while server.calls("groupList") < 100:
                    await anyio.sleep(0.01)
                await anyio.sleep(0.05)
                await client.aclose()
    assert len(outcomes) == 200
    assert all(isinstance(o, mm.ClientClosedError) for o in outcomes), {
        type(o).__name__ for o in outcomes
    }


async def test_an_injected_session_still_sends_the_user_agent() -> None:
    import aiohttp

    async with (
        serve() as server,
        aiohttp.ClientSession() as session,
        mm.ManagerClient(**server.credentials(), session=session) as client,
    ):
        await client.customers.groups()
    agents = {seen.headers.get("User-Agent") for seen in server.requests}
    assert agents == {f"multimarkets-async/{mm.__version__}"}


# -- raw access -------------------------------------------------------------------------------


async def test_on_response_sees_status_headers_and_trace_of_every_response() -> None:
    calls = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal calls
        calls += 1  # each call fails once, then succeeds
        headers = {"x-ratelimit-remaining": "41"}
        if calls % 2:
            return json_reply(envelope(code="G500"), 500, headers)
        return json_reply(envelope([]), headers=headers)

    seen: list[mm.ResponseInfo] = []
    async with (
        serve(handler) as server,
        mm.ManagerClient(**server.credentials(), retry=FAST) as client,
    ):
        await client.customers.groups()
        assert [info.http_status for info in seen] == []

        async def record(info: mm.ResponseInfo) -> None:
            seen.append(info)

        await client.with_options(on_response=record).customers.groups()
    statuses = [(info.biz_type.rsplit(".", 1)[-1], info.http_status) for info in seen]
    assert statuses == [("groupList", 500), ("groupList", 200)]
    assert [info.attempt for info in seen] == [1, 2]
    assert seen[1].headers["x-ratelimit-remaining"] == "41"
    sent = [s.headers["trace"] for s in server.requests if s.path.endswith("groupList")][-2:]
    assert [info.trace for info in seen] == sent
    assert all(info.seconds >= 0 for info in seen)


# -- proxies ----------------------------------------------------------------------------------


async def _forward(request: web.Request) -> web.StreamResponse:
    """A minimal forward proxy: takes an absolute-form request and relays it."""
    import aiohttp

    headers = {
        k: v for k, v in request.headers.items() if k.lower() not in ("host", "proxy-connection")
    }
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            request.method, str(request.url), data=await request.read(), headers=headers
        ) as reply,
    ):
        return web.Response(
            body=await reply.read(), status=reply.status, content_type=reply.content_type
        )


async def test_proxy_relays_every_request() -> None:
    async with (
        serve() as server,
        serve(_forward, auth=_forward) as proxy,
        mm.ManagerClient(**server.credentials(), proxy=proxy.url) as client,
    ):
        await client.customers.groups()
    assert [seen.path.rsplit(".", 1)[-1] for seen in proxy.requests] == ["auth", "groupList"]
    assert len(server.requests) == 2


async def test_proxies_from_the_environment_only_when_trusted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with serve() as server, serve(_forward, auth=_forward) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with mm.ManagerClient(**server.credentials()) as client:
            await client.customers.groups()
        assert proxy.requests == []  # off by default
        async with mm.ManagerClient(**server.credentials(), trust_env=True) as client:
            await client.customers.groups()
        assert len(proxy.requests) == 2
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with mm.ManagerClient(**server.credentials(), trust_env=True) as client:
            await client.customers.groups()
        assert len(proxy.requests) == 2  # NO_PROXY honoured
    assert len(server.requests) == 6


async def test_the_user_agent_and_token_reach_the_server() -> None:
    async with serve() as server, mm.ManagerClient(**server.credentials()) as client:
        started = time.monotonic()
        await client.customers.groups()
        assert time.monotonic() - started < 5
    business = [s for s in server.requests if s.path.endswith("groupList")]
    assert business[0].headers["token"] == TOKEN


# -- settings and raw requests refused before anything is sent --------------------------------


@pytest.mark.parametrize(
    "setting",
    [
        {"company_id": "²"},  # a digit to str.isdigit, not a number to int()
        {"company_id": "١٢٣"},  # Arabic-Indic digits
        {"company_id": str(2**63)},  # beyond the API's int64
        {"base_url": "http://[::1/openapi-b"},
        {"base_url": "http://127.0.0.1:99999/openapi-b"},
        {"base_url": "http://127.0.0.1:1/open api-b"},
        {"base_url": "http:///openapi-b"},
        {"base_url": "http://bücher.example/openapi-b"},
        {"proxy": "http://[::1"},
        {"proxy": "http://127.0.0.1:99999"},
        {"proxy": "http://proxy .example:8080"},
        {"proxy": "ftp://127.0.0.1:21"},
    ],
)
async def test_malformed_settings_are_refused_at_construction(setting: dict[str, str]) -> None:
    async with serve() as server:
        with pytest.raises(mm.ConfigurationError):
            mm.ManagerClient(**(server.credentials() | setting))
    assert server.requests == []


async def test_a_company_id_with_surrounding_spaces_is_still_taken() -> None:
    async with serve() as server:
        client = mm.ManagerClient(**(server.credentials() | {"company_id": " 42 "}))
        assert client.company_id == "42"
        await client.aclose()


async def test_request_writes_amounts_as_exact_decimal_strings() -> None:
    async with serve() as server, mm.ManagerClient(**server.credentials()) as client:
        await client.request("a.b.C.d", {"amount": mm.Amount("1.50")}, write=False)
    assert server.requests[-1].body == b'{"amount":"1.50"}'


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"body": {"a": object()}}, "body"),
        ({"body": {"a": {1, 2}.__iter__()}}, "body"),
        ({"body": [("a", 1)]}, "body"),
        ({"body": "{}"}, "body"),
        ({"data_type": 5}, "data_type"),
        ({"data_type": [int]}, "data_type"),
        ({"data_type": "NotAType"}, "data_type"),
    ],
)
async def test_request_refuses_a_body_or_data_type_it_cannot_use_before_sending(
    arguments: dict[str, object], field: str
) -> None:
    async with serve() as server, mm.ManagerClient(**server.credentials()) as client:
        with pytest.raises(mm.ValidationError) as caught:
            await client.request("a.b.C.d", **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert server.requests == []


async def test_request_options_apply_to_that_call_only() -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await anyio.sleep(0.5)
        return json_reply(envelope([]))

    async with serve(slow) as server, mm.ManagerClient(**server.credentials()) as client:
        with anyio.fail_after(5), pytest.raises(mm.APITimeoutError) as caught:
            await client.request(
                "a.b.C.d", {}, write=False, timeout=mm.Timeout(read=0.05), max_retries=1
            )
        assert caught.value.attempts == 2
        assert await client.request("a.b.C.d", {}, write=False) == []
    with pytest.raises(mm.ValidationError):
        await mm.ManagerClient(**server.credentials()).request("a.b.C.d", max_retries=-1)
