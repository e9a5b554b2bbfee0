"""Columns of an export, derived from the record's msgspec model (not from the data)."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec


@dataclass(frozen=True)
class Column:
    """One output column: the wire name, the attribute, and its plain type."""

    name: str
    attribute: str
    kind: type  # int, str, bool, float, Decimal, or object for anything else
    nullable: bool


def _plain(annotation: Any) -> tuple[type, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(members) != len(typing.get_args(annotation))
        kinds = {_plain(m)[0] for m in members}
        return (kinds.pop() if len(kinds) == 1 else str), nullable
    if isinstance(annotation, type):
        for kind in (bool, int, float, Decimal, str):
            if issubclass(annotation, kind):
                return kind, False
    return object, False


def columns_of(model: type[msgspec.Struct]) -> list[Column]:
    hints = typing.get_type_hints(model)
    result = []
    for field in msgspec.structs.fields(model):
        kind, nullable = _plain(hints[field.name])
        result.append(
            Column(field.encode_name, field.name, kind, nullable or field.default is None)
        )
    return result
