"""Every vendor operation has a client method, and the catalogue matches the vendor's data."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest
from _vendor import example_json, operations, response_examples

import multimarkets_async as mm
from multimarkets_async.errors import error_class_for_code
from multimarkets_async.models import LooseEnvelope, dec_hook
from multimarkets_async.resources import ENDPOINTS, Endpoint

BY_VENDOR_ID = {endpoint.vendor_id: endpoint for endpoint in ENDPOINTS}
BY_PATH: dict[str, list[Endpoint]] = {}
for _endpoint in ENDPOINTS:
    BY_PATH.setdefault(_endpoint.operation.path, []).append(_endpoint)


def method_of(client: mm.ManagerClient, dotted: str) -> object:
    resource, method = dotted.split(".")
    return getattr(getattr(client, resource), method)


def test_every_operation_has_a_client_method() -> None:
    client = mm.ManagerClient("app", "secret", 1, "http://127.0.0.1:1/openapi-b")
    vendor_ids = {op["id"] for op in operations()}
    assert len(vendor_ids) == 41
    missing = sorted(vendor_ids - set(BY_VENDOR_ID))
    assert not missing, f"operations without a client method: {missing}"
    assert set(BY_VENDOR_ID) == vendor_ids  # and nothing invented
    for endpoint in ENDPOINTS:
        assert callable(method_of(client, endpoint.method)), endpoint.method


@pytest.mark.parametrize("vendor", operations(), ids=lambda op: str(op["id"]))
def test_endpoint_matches_vendor_operation(vendor: dict) -> None:  # type: ignore[type-arg]
    endpoint = BY_VENDOR_ID[vendor["id"]]
    operation = endpoint.operation
    assert operation.path == vendor["path"]
    assert operation.http_method == vendor["httpMethod"]
    assert operation.write == (vendor["idempotency"] == "write")
    if vendor["kind"] == "biz":
        group = vendor["headerValues"]["group"]
        assert operation.group == (group["value"] if group else None)
        assert operation.version == "0.0.1"
    paged_by_vendor = vendor["paginated"] or vendor["id"] == "queryPositionPage"
    assert endpoint.paged == paged_by_vendor


EXAMPLES = list(response_examples())


def test_the_vendor_file_has_the_examples_we_expect() -> None:
    assert len(EXAMPLES) == 38
    assert {path for path, _, _ in EXAMPLES} <= set(BY_PATH)


@pytest.mark.parametrize(("path", "name", "example"), EXAMPLES, ids=lambda v: str(v)[:60])
def test_every_vendor_example_decodes(path: str, name: str, example: object) -> None:
    raw = example_json(example)
    for endpoint in BY_PATH[path]:
        operation = endpoint.operation
        loose = msgspec.json.decode(raw)
        if operation.is_quote:
            envelope = operation.decoder.decode(raw)
            assert envelope.ret == 200
            continue
        if loose["code"] not in ("0", ""):  # a failure example: its data is anything
            failure = msgspec.json.decode(raw, type=LooseEnvelope)
            assert issubclass(error_class_for_code(str(failure.code)), mm.APIError)
            assert failure.data == loose["data"]
            continue
        if endpoint.vendor_id == "auth":
            # The vendor's example shows a language dictionary instead of the profile.
            profile = msgspec.json.decode(
                msgspec.json.encode(loose["data"]), type=mm.CompanyProfile, dec_hook=dec_hook
            )
            assert isinstance(profile, mm.CompanyProfile)
            continue
        envelope = operation.decoder.decode(raw)
        assert_decoded(envelope.data, loose["data"])


def assert_decoded(decoded: object, wire: object) -> None:
    """The decoded value has the wire value's shape, with typed records inside."""
    if wire is None:
        assert decoded is None
    elif isinstance(wire, list):
        assert isinstance(decoded, list) and len(decoded) == len(wire)
        for item, raw in zip(decoded, wire, strict=True):
            assert_decoded(item, raw)
    elif isinstance(wire, dict):
        assert isinstance(decoded, msgspec.Struct | dict), type(decoded)
        if isinstance(decoded, msgspec.Struct):
            # every documented field the example carries landed in the model
            names = {f.encode_name: f.name for f in msgspec.structs.fields(decoded)}
            carried = [k for k in wire if k in names and wire[k] is not None]
            assert carried, "no field decoded"
            for key in carried:
                assert getattr(decoded, names[key]) is not None, key
    else:
        assert decoded == wire or str(decoded) == str(wire)


def test_readme_endpoint_table_is_complete() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    rows = re.findall(
        r"^\| `([^`]+)` \| `client\.([\w.]+)\(\)` \| (read|write) \| (yes|no) \|$", readme, re.M
    )
    table = {(op, method, kind, paged) for op, method, kind, paged in rows}
    expected = {
        (
            e.operation.path.lstrip("/"),
            e.method,
            "write" if e.operation.write else "read",
            "yes" if e.paged else "no",
        )
        for e in ENDPOINTS
    }
    assert table == expected
