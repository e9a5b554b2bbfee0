"""Where an export writes: its partial output and key log, opened only when the first page
is written (an export that fails before that leaves nothing behind), and the paths beside
its target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..pagination import Paginator
from ._checkpoint import Checkpoint, KeyLog
from ._columns import columns_of
from ._files import close_all
from ._writers import CsvWriter, JsonlWriter, ParquetWriter, Writer


class Output:
    """The files of one export to ``target`` in format ``kind`` (an ``ExportFormat``
    value: jsonl, csv or parquet), each created with ``mode``."""

    def __init__(self, kind: str, target: Path, paginator: Paginator[Any], mode: int) -> None:
        self.target = target
        self.partial = _beside(target, ".partial")
        self.parts = _beside(target, ".parts")
        self.checkpoint = _beside(target, ".checkpoint")
        self._keys_path = _beside(target, ".keys")
        self._kind = kind
        self._paginator = paginator
        self.mode = mode
        self._writer: Writer | None = None
        self._keys: KeyLog | None = None

    @property
    def opened(self) -> bool:
        return self._writer is not None

    def has_partial(self) -> bool:
        return self.partial.exists() or self.parts.exists()

    def open(self, state: Checkpoint | None) -> tuple[Writer, KeyLog]:
        """The writer and key log: new, or (with ``state``) as they were at the checkpoint."""
        if self._writer is None or self._keys is None:
            writer = self._new_writer(None if state is None else state.output)
            try:
                self._keys = KeyLog(self._keys_path, state, self.mode)
            except BaseException:
                writer.close()
                raise
            self._writer = writer
        return self._writer, self._keys

    def close(self) -> None:
        """Close what is open, keeping every file (for ``resume=True``)."""
        close_all(
            *(part.close for part in (self._writer, self._keys) if part is not None),
        )

    def _new_writer(self, at: int | None) -> Writer:
        columns = columns_of(self._paginator.record_type)
        if self._kind == "jsonl":
            return JsonlWriter(self.partial, at, self.mode)
        if self._kind == "csv":
            return CsvWriter(self.partial, at, columns, self.mode)
        return ParquetWriter(self.parts, at, columns, self.mode)


def _beside(target: Path, suffix: str) -> Path:
    return target.with_name(target.name + suffix)
