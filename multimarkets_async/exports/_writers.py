"""Writers for each export format. Each writes page by page into a partial output and can
report how far it got, so an interrupted export can continue exactly there."""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import msgspec

from ..models import Amount, enc_hook
from ._columns import Column
from ._files import create, make_directory, reopen


class Writer(Protocol):
    def write(self, records: Sequence[Any]) -> None: ...
    def position(self) -> int: ...
    def sync(self) -> None: ...
    def finish(self, target: Path) -> None: ...
    def close(self) -> None: ...


class JsonlWriter:
    """JSON Lines with the API's field names, encoded by msgspec."""

    def __init__(self, partial: Path, resume_at: int | None, mode: int) -> None:
        self._encoder = msgspec.json.Encoder(enc_hook=enc_hook)
        self._partial = partial
        self._file = _open_partial(partial, resume_at, mode)

    def write(self, records: Sequence[Any]) -> None:
        self._file.write(self._encoder.encode_lines(records))

    def position(self) -> int:
        return self._file.tell()

    def sync(self) -> None:
        _durable(self._file)

    def finish(self, target: Path) -> None:
        _durable(self._file)
        self._file.close()
        os.replace(self._partial, target)

    def close(self) -> None:
        self._file.close()


class CsvWriter:
    """CSV with a stable header (the model's fields, API names). Empty cells are nulls;
    booleans are ``true``/``false``; amounts are exact decimal text."""

    def __init__(
        self, partial: Path, resume_at: int | None, columns: list[Column], mode: int
    ) -> None:
        self._attributes = [c.attribute for c in columns]
        self._booleans = {i for i, c in enumerate(columns) if c.kind is bool}
        self._partial = partial
        self._file = _open_partial(partial, resume_at, mode)
        self._text = io.TextIOWrapper(self._file, encoding="utf-8", newline="", write_through=True)
        self._csv = csv.writer(self._text)
        if resume_at is None:
            self._csv.writerow([c.name for c in columns])

    def write(self, records: Sequence[Any]) -> None:
        rows = [[getattr(r, a) for a in self._attributes] for r in records]
        if self._booleans:
            for row in rows:
                for i in self._booleans:
                    if row[i] is not None:
                        row[i] = "true" if row[i] else "false"
        self._csv.writerows(rows)

    def position(self) -> int:
        return self._file.tell()

    def sync(self) -> None:
        _durable(self._file)

    def finish(self, target: Path) -> None:
        self._text.flush()
        _durable(self._file)
        self._text.close()
        os.replace(self._partial, target)

    def close(self) -> None:
        self._text.close()


DECIMAL_PRECISION, DECIMAL_SCALE = 38, 18


class ParquetWriter:
    """Parquet through pyarrow, with the schema derived from the model. Each page is kept as
    a small part file (so an interrupted export can resume); the parts become the row groups
    of the final file."""

    def __init__(
        self, parts: Path, resume_at: int | None, columns: list[Column], mode: int
    ) -> None:
        import pyarrow as pa  # present: the export checked (`require_pyarrow`)

        self._pa = pa
        self._mode = mode
        self._columns = columns
        self.schema = pa.schema(
            [pa.field(c.name, _arrow_type(pa, c.kind), nullable=c.nullable) for c in columns]
        )
        self._parts = parts
        make_directory(parts, mode)
        self._count = resume_at or 0
        self._unsynced: list[Path] = []
        for stale in parts.glob("part-*.parquet"):
            if int(stale.stem.split("-")[1]) >= self._count:
                stale.unlink()

    def write(self, records: Sequence[Any]) -> None:
        import pyarrow.parquet as pq

        table = self._table(records)
        part = self._parts / f"part-{self._count:06d}.parquet"
        with create(part.with_suffix(".tmp"), self._mode) as handle:
            pq.write_table(table, handle)
        os.replace(part.with_suffix(".tmp"), part)
        self._unsynced.append(part)
        self._count += 1

    def _table(self, records: Sequence[Any]) -> Any:
        rows = msgspec.to_builtins(list(records), builtin_types=(Decimal, Amount))
        for column in self._columns:
            if column.kind is Decimal:
                quantum = Decimal(1).scaleb(-DECIMAL_SCALE)
                for row in rows:
                    value = row.get(column.name)
                    if value is not None:
                        row[column.name] = value.quantize(quantum)
        return self._pa.Table.from_pylist(rows, schema=self.schema)

    def position(self) -> int:
        return self._count

    def sync(self) -> None:
        """Make the parts written since the last sync durable (each is renamed into place
        complete, so a part either is there whole or not at all)."""
        for part in self._unsynced:
            with part.open("rb") as handle:
                os.fsync(handle.fileno())
        self._unsynced.clear()
        directory = os.open(self._parts, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def finish(self, target: Path) -> None:
        import pyarrow.parquet as pq

        partial = target.with_name(target.name + ".partial")
        with create(partial, self._mode) as handle:
            with pq.ParquetWriter(handle, self.schema) as out:
                for index in range(self._count):
                    out.write_table(pq.read_table(self._parts / f"part-{index:06d}.parquet"))
            _durable(handle)
        os.replace(partial, target)
        shutil.rmtree(self._parts)

    def close(self) -> None:
        pass


def _arrow_type(pa: Any, kind: type) -> Any:
    return {
        int: pa.int64(),
        str: pa.string(),
        bool: pa.bool_(),
        float: pa.float64(),
        Decimal: pa.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
    }.get(kind, pa.string())


def _open_partial(partial: Path, resume_at: int | None, mode: int) -> BinaryIO:
    if resume_at is None:
        return create(partial, mode)
    return reopen(partial, mode, resume_at)  # drop what was written after the last checkpoint


def _durable(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())
