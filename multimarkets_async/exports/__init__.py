"""Streamed, resumable exports of any paged listing to JSON Lines, CSV or Parquet.

    summary = await mm.export(client.customers.list(), "customers.parquet")

Records are written page by page, so memory does not grow with the export. The output is
written under a temporary name and renamed when complete; a checkpoint beside it (written
atomically) lets an interrupted export continue with ``resume=True`` and end with every record
exactly once.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import msgspec

from .._progress import NoProgress, Progress
from ..errors import ConfigurationError, ValidationError
from ..pagination import Paginator
from ._columns import columns_of
from ._writers import CsvWriter, JsonlWriter, ParquetWriter, Writer

__all__ = ["ExportFormat", "ExportSummary", "export"]

SYNC_INTERVAL = 1.0  # seconds between durable checkpoints


class ExportFormat(str, Enum):
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"

    @classmethod
    def for_path(cls, path: Path) -> ExportFormat:
        suffix = path.suffix.lower().lstrip(".")
        aliases = {"jsonl": cls.JSONL, "ndjson": cls.JSONL, "csv": cls.CSV, "parquet": cls.PARQUET}
        if suffix not in aliases:
            raise ValidationError("format", f"cannot tell the format of {path.name!r}; give one")
        return aliases[suffix]


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote: ``records`` in all, ``pages`` fetched in this run, and whether
    the listing changed while it ran (``drifted``)."""

    path: Path
    format: ExportFormat
    records: int
    pages: int
    seconds: float
    drifted: bool
    resumed_from: int = 0

    @property
    def records_per_second(self) -> float:
        new = self.records - self.resumed_from
        return new / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        drift = ", the listing changed during the export" if self.drifted else ""
        resumed = f" (resumed after {self.resumed_from:,})" if self.resumed_from else ""
        return (
            f"exported {self.records:,} records{resumed} in {self.seconds:.2f} s "
            f"({self.records_per_second:,.0f} records/s) to {self.path}{drift}"
        )


class _Checkpoint(msgspec.Struct):
    fingerprint: str
    next_page: int
    records: int
    position: int


def _fingerprint(paginator: Paginator[Any], fmt: ExportFormat) -> str:
    return f"{fmt.value}|{paginator.describe()}"


def _save(path: Path, checkpoint: _Checkpoint) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as out:
        out.write(msgspec.json.encode(checkpoint))
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


async def export(
    paginator: Paginator[Any],
    path: str | os.PathLike[str],
    *,
    format: ExportFormat | str | None = None,
    resume: bool = False,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write every record of ``paginator`` to ``path``; returns an :class:`ExportSummary`.

    ``format`` defaults to the file's extension (``.jsonl``, ``.csv``, ``.parquet``). With
    ``resume=True`` an interrupted export of the same listing continues from its checkpoint;
    without it any earlier partial export at ``path`` is discarded.
    """
    target = Path(path)
    fmt = ExportFormat(format) if format is not None else ExportFormat.for_path(target)
    partial = target.with_name(target.name + ".partial")
    checkpoint_path = target.with_name(target.name + ".checkpoint")
    fingerprint = _fingerprint(paginator, fmt)
    state: _Checkpoint | None = None
    if resume and checkpoint_path.exists():
        state = msgspec.json.decode(checkpoint_path.read_bytes(), type=_Checkpoint)
        if state.fingerprint != fingerprint:
            raise ConfigurationError(
                f"{checkpoint_path} belongs to another export; remove it or export anew"
            )
    columns = columns_of(paginator.record_type)
    resume_at = None if state is None else state.position
    writer: Writer
    if fmt is ExportFormat.JSONL:
        writer = JsonlWriter(partial, resume_at)
    elif fmt is ExportFormat.CSV:
        writer = CsvWriter(partial, resume_at, columns)
    else:
        writer = ParquetWriter(target.with_name(target.name + ".parts"), resume_at, columns)
    done = 0 if state is None else state.records
    walk_from = paginator if state is None else paginator.resumed(state.next_page, done)
    reporter = progress or NoProgress()
    started = last_sync = time.perf_counter()
    pages = 0
    next_page = walk_from.start_page
    try:
        async with walk_from.pages() as walk:
            async for page in walk:
                if pages == 0:
                    reporter.start(page.total or None, done)
                writer.write(page.records)
                pages += 1
                done += len(page.records)
                next_page = max(next_page, page.current + 1)
                reporter.advance(len(page.records))
                now = time.perf_counter()
                if now - last_sync >= SYNC_INTERVAL:
                    writer.sync()
                    position = writer.position()
                    _save(checkpoint_path, _Checkpoint(fingerprint, next_page, done, position))
                    last_sync = now
            if pages == 0:
                reporter.start(0, done)
            stats = walk.stats
        writer.finish(target)
    except BaseException:
        writer.close()  # keep the partial output and checkpoint: `resume=True` continues
        raise
    finally:
        reporter.close()
    checkpoint_path.unlink(missing_ok=True)
    return ExportSummary(
        target,
        fmt,
        done,
        pages,
        time.perf_counter() - started,
        stats.drifted,
        resumed_from=0 if state is None else state.records,
    )
