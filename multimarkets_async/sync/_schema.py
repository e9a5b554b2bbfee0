"""The synced table's shape, and the SQL both databases run on it.

One table per sync: the columns of :class:`~multimarkets_async.models.Customer` in snake_case,
typed, the customer ``id`` as primary key, then four bookkeeping columns. A second table,
``<table>_sync``, holds the sync's own state as key/value rows (walk checkpoint, group,
schema version, lock). Every statement is written once here, with the placeholder style of
the database as the only difference, so SQLite and PostgreSQL apply the same rules.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from ..errors import ConfigurationError
from ..models import Customer

SCHEMA_VERSION = 1

DELETED = 3
"""Customer status "deleted" (what a customer that left the listing is marked with)."""

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,47}")


def _sql_type(annotation: Any) -> str:
    """``int | None`` → ``BIGINT``, ``str | None`` → ``TEXT``."""
    args = set(typing.get_args(annotation)) - {type(None)}
    if isinstance(annotation, types.UnionType) and len(args) == 1:
        annotation = args.pop()
    if annotation is int:
        return "BIGINT"
    if annotation is str:
        return "TEXT"
    raise TypeError(f"no SQL type for {annotation!r}")  # a new model field: map its type here


def _model_columns() -> tuple[tuple[str, str], ...]:
    hints = typing.get_type_hints(Customer)
    return tuple((name, _sql_type(hints[name])) for name in Customer.__struct_fields__)


DATA_COLUMNS: tuple[tuple[str, str], ...] = _model_columns()
"""``(name, SQL type)`` of the model's fields, in the model's order (``id`` first)."""

BOOKKEEPING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("mm_revision", "BIGINT"),  # the `revision` of the last event applied (NULL: none)
    ("mm_source", "TEXT"),  # what wrote the row's data last: walk, event, fetch or sweep
    ("mm_walk", "BIGINT"),  # the number of the latest walk that saw the customer listed
    ("mm_synced_at", "BIGINT"),  # when the row was last written (epoch ms)
)
COLUMNS = DATA_COLUMNS + BOOKKEEPING_COLUMNS
DATA_NAMES = tuple(name for name, _ in DATA_COLUMNS)
NAMES = tuple(name for name, _ in COLUMNS)

EVENT_COLUMNS = ("status", "email", "phone", "phone_area", "login_time", "update_time")
"""The columns a ``customer_update`` event carries and the sync applies in place."""


def row_of(customer: Customer) -> tuple[Any, ...]:
    """A customer's data columns, in ``DATA_NAMES`` order."""
    return msgspec.structs.astuple(customer)


def checked_table(name: str) -> str:
    """``name`` if it is a safe, unquoted SQL identifier (it is put into SQL as is)."""
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise ConfigurationError(
            f"table must be a lower-case SQL name (letters, digits, _; at most 48), not {name!r}"
        )
    return name


@dataclass(frozen=True)
class Statements:
    """The SQL of one table in one database's placeholder style."""

    table: str
    state_table: str
    create: tuple[str, ...]
    indexes: tuple[str, ...]  # made once the columns a newer version adds are there
    upsert_rows: str  # full records, newer wins; always marks the walk that saw them
    update_columns: str  # an event's columns, only when the event is newer
    sweep: str  # listed rows no walk saw since walk N: marked deleted
    set_state: str
    get_state: str


def _newer_wins(t: str) -> str:
    """The ``ON CONFLICT`` clause of a row upsert into table ``t``."""
    # A listed record replaces the row when it is as new as the row (same updateTime: the
    # same state, and the full record also fills what an event could not carry).
    newer = f"COALESCE(excluded.update_time, 0) >= COALESCE({t}.update_time, 0)"
    keep_or_take = ",\n  ".join(
        f"{name} = CASE WHEN {newer} THEN excluded.{name} ELSE {t}.{name} END"
        for name in NAMES
        if name not in ("id", "mm_walk")
    )
    return (
        f"ON CONFLICT (id) DO UPDATE SET\n  {keep_or_take},\n"
        f"  mm_walk = CASE WHEN excluded.mm_walk IS NULL THEN {t}.mm_walk "
        f"ELSE excluded.mm_walk END"
    )


def statements(table: str, placeholder: Callable[[int], str], *, big_int: str) -> Statements:
    """The statements for ``table``; ``placeholder(i)`` is the i-th parameter (1-based);
    ``big_int`` is the database's 64-bit integer type name."""
    t = checked_table(table)
    state = f"{t}_sync"
    p = placeholder
    column_defs = ",\n  ".join(
        f"{name} {big_int if kind == 'BIGINT' else kind}" + (" PRIMARY KEY" if name == "id" else "")
        for name, kind in COLUMNS
    )
    create = (
        f"CREATE TABLE IF NOT EXISTS {t} (\n  {column_defs}\n)",
        f"CREATE TABLE IF NOT EXISTS {state} (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    )
    indexes = (f"CREATE INDEX IF NOT EXISTS {t}_mm_walk ON {t} (mm_walk)",)
    values = ", ".join(p(i + 1) for i in range(len(NAMES)))
    upsert_rows = f"INSERT INTO {t} ({', '.join(NAMES)}) VALUES ({values})\n{_newer_wins(t)}"
    # Event parameters: the EVENT_COLUMNS, mm_revision, mm_synced_at, then the id and the
    # event's (update_time, revision) again for the guard (`_changes.newer`, in SQL: a row
    # from the listing has no revision and, at the same updateTime, already shows the state).
    n = len(EVENT_COLUMNS)
    assignments = ", ".join(f"{name} = {p(i + 1)}" for i, name in enumerate(EVENT_COLUMNS))
    update_columns = (
        f"UPDATE {t} SET {assignments}, mm_revision = {p(n + 1)}, mm_source = 'event', "
        f"mm_synced_at = {p(n + 2)}\n"
        f"WHERE id = {p(n + 3)} AND (COALESCE(update_time, 0) < {p(n + 4)} OR "
        f"(COALESCE(update_time, 0) = {p(n + 4)} AND mm_revision < {p(n + 5)}))"
    )
    sweep = (
        f"UPDATE {t} SET status = {DELETED}, mm_source = 'sweep', mm_synced_at = {p(1)}\n"
        f"WHERE (mm_walk IS NULL OR mm_walk < {p(2)}) AND (status IS NULL OR status <> {DELETED})"
    )
    set_state = (
        f"INSERT INTO {state} (key, value) VALUES ({p(1)}, {p(2)})\n"
        f"ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )
    get_state = f"SELECT key, value FROM {state}"
    return Statements(
        table=t,
        state_table=state,
        create=create,
        indexes=indexes,
        upsert_rows=upsert_rows,
        update_columns=update_columns,
        sweep=sweep,
        set_state=set_state,
        get_state=get_state,
    )


STAGE_ORDER = "mm_stage_order"
"""The staging table's column holding each record's place in its batch."""


@dataclass(frozen=True)
class Staging:
    """A batch's rows upserted in one statement from a session-local staging table (filled
    by the database's bulk load, e.g. PostgreSQL's COPY), with the rules of ``upsert_rows``."""

    table: str  # the staging table, qualified (``pg_temp.<table>_stage``)
    columns: tuple[str, ...]  # what a staged record holds: its place in the batch, then NAMES
    create: str  # once per session; emptied at each commit
    upsert: str  # staging table → the synced table


def staging(table: str, *, big_int: str) -> Staging:
    """The staging statements of ``table`` (``big_int``: the 64-bit integer type name).

    ``upsert`` ends where one ``upsert_rows`` per record, in batch order, would: of the records
    of one id it takes the newest ``update_time``, the latest of equals, and applies that one
    (a single ``INSERT … ON CONFLICT`` may not touch a row twice).
    """
    t = checked_table(table)
    stage = f"pg_temp.{t}_stage"
    column_defs = ", ".join(
        f"{name} {big_int if kind == 'BIGINT' else kind}" for name, kind in COLUMNS
    )
    create = (
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} "
        f"({STAGE_ORDER} {big_int}, {column_defs}) ON COMMIT DELETE ROWS"
    )
    names = ", ".join(NAMES)
    upsert = (
        f"INSERT INTO {t} ({names})\n"
        f"SELECT DISTINCT ON (id) {names} FROM {stage}\n"
        f"ORDER BY id, COALESCE(update_time, 0) DESC, {STAGE_ORDER} DESC\n"
        f"{_newer_wins(t)}"
    )
    return Staging(table=stage, columns=(STAGE_ORDER, *NAMES), create=create, upsert=upsert)
