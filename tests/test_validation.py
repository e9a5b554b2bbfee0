"""Bad arguments raise ValidationError naming the field, and nothing is sent."""

from __future__ import annotations

from typing import Any

import pytest

import multimarkets_async as mm
from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

GOOD: dict[str, Any] = {
    "phone": "13900000001",
    "password": "a123456",
    "country": "CN",
    "register_source": mm.RegisterSource.H5,
    "customer_group_id": 1,
}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 2001}, "page_size"),
        ({"page_size": "100"}, "page_size"),
        ({"start_page": 0}, "start_page"),
        ({"max_items": -1}, "max_items"),
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": 65}, "concurrency"),
        ({"customer_no": "  "}, "customer_no"),
    ],
)
async def test_list_arguments(
    client: mm.ManagerClient, sandbox: Sandbox, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(mm.ValidationError) as caught:
        client.customers.list(**kwargs)
    assert caught.value.field == field
    assert field in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert sum(sandbox.calls.values()) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": None}, "phone or email"),
        ({"phone": "138-0000"}, "phone"),
        ({"phone": None, "email": "not-an-email"}, "email"),
        ({"password": ""}, "password"),
        ({"country": "China"}, "country"),
        ({"country": ""}, "country"),
        ({"register_source": 0}, "register_source"),
        ({"register_source": 10}, "register_source"),
        ({"customer_group_id": 0}, "customer_group_id"),
        ({"customer_group_id": "1"}, "customer_group_id"),
        ({"third_server_code": "x" * 51}, "third_server_code"),
        ({"phone_area": "86a"}, "phone_area"),
        ({"trade_type_currencies": {4: "USDT"}}, "trade_type_currencies"),
    ],
)
async def test_create_arguments(
    client: mm.ManagerClient, sandbox: Sandbox, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(mm.ValidationError) as caught:
        await client.customers.create(**(GOOD | changes))
    assert caught.value.field == field
    assert sum(sandbox.calls.values()) == 0  # not even a login


async def test_third_server_code_of_fifty_is_accepted(client: mm.ManagerClient) -> None:
    number = await client.customers.create(**GOOD, third_server_code="x" * 50)
    detail = await client.customers.get(customer_no=number)
    assert detail.third_server_code == "x" * 50


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"customer_no": ""}, "customer_no"),
        ({"customer_no": "86000001", "section": "everything"}, "section"),
        ({"customer_no": "86000001", "customer_id": 0}, "customer_id"),
    ],
)
async def test_get_arguments(
    client: mm.ManagerClient, sandbox: Sandbox, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(mm.ValidationError) as caught:
        await client.customers.get(**kwargs)
    assert caught.value.field == field
    assert sum(sandbox.calls.values()) == 0


async def test_exists_needs_exactly_one_identifier(
    client: mm.ManagerClient, sandbox: Sandbox
) -> None:
    with pytest.raises(mm.ValidationError):
        await client.customers.exists()
    with pytest.raises(mm.ValidationError):
        await client.customers.exists(phone="13900000001", email="a@b.co")
    with pytest.raises(mm.ValidationError) as caught:
        await client.customers.groups(trade_type=4)
    assert caught.value.field == "trade_type"
    assert sum(sandbox.calls.values()) == 0


async def test_raw_request_needs_a_biz_type(client: mm.ManagerClient, sandbox: Sandbox) -> None:
    with pytest.raises(mm.ValidationError):
        await client.request("", {})
    assert sum(sandbox.calls.values()) == 0
