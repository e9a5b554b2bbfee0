"""The vendor's published files, kept verbatim in tests/vendor/, and what the tests need of them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

VENDOR = Path(__file__).parent / "vendor"


@cache
def operations() -> list[dict[str, Any]]:
    """Every operation of the vendor's Manager API spec (``operations.json``)."""
    data = json.loads((VENDOR / "operations.json").read_text("utf-8"))
    return list(data["operations"])


@cache
def openapi() -> dict[str, Any]:
    loaded = yaml.safe_load((VENDOR / "manager-api.openapi.en.yaml").read_text("utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def response_examples() -> Iterator[tuple[str, str, Any]]:
    """``(path, example name, example)`` for every response example in the OpenAPI file."""
    for path, item in openapi()["paths"].items():
        for operation in item.values():
            for response in operation.get("responses", {}).values():
                for media in (response.get("content") or {}).values():
                    if "example" in media:
                        yield path, "example", media["example"]
                    for name, example in (media.get("examples") or {}).items():
                        yield (
                            path,
                            name,
                            example.get("value") if isinstance(example, dict) else example,
                        )


def example_json(example: Any) -> bytes:
    """The example as JSON bytes. One example is text with an English sentence before the
    JSON: the JSON starts at the first brace."""
    if isinstance(example, str):
        return example[example.index("{") :].encode()
    return json.dumps(example).encode()
