"""Streamed, resumable exports of any paged listing to JSON Lines, CSV or Parquet.

    summary = await mm.export(client.customers.list(), "customers.parquet")

Records are written page by page, so memory does not grow with the export. The output is
written under a temporary name and renamed when complete. A checkpoint beside it, and a log
of the keys written (both made durable about once a second), let an interrupted export
continue with ``resume=True`` however the listing changed meanwhile: no record is written
twice, and customers who signed up in between are read from the front of the list at the end.

An export whose walk cannot vouch for every record (the listing came up short, or changed in
a way the replies cannot account for) raises :class:`IncompleteExportError`: the partial
output and checkpoint are kept and nothing is renamed as finished.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from .._progress import NoProgress, Progress
from ..errors import ConfigurationError, IncompleteExportError, ValidationError
from ..pagination import PageIterator, Paginator, WalkCursor, WalkStats
from ._checkpoint import Checkpoint, KeyLog, load, save
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
    """What an export wrote: ``records`` in all (``resumed_from`` of them by earlier runs),
    ``pages`` read in this run, and ``stats``, what the walk saw (``WalkStats``: the
    ``shortfall``, ``unproven``, ``caught_up`` and ``recovered`` records, the ``problems``).
    ``exact`` unless the walk could not vouch for every record; ``drifted`` when the listing
    changed meanwhile."""

    path: Path
    format: ExportFormat
    records: int
    pages: int
    seconds: float
    stats: WalkStats
    resumed_from: int = 0

    @property
    def drifted(self) -> bool:
        return self.stats.drifted

    @property
    def exact(self) -> bool:
        return self.stats.exact

    @property
    def problems(self) -> list[str]:
        return self.stats.problems

    @property
    def records_per_second(self) -> float:
        new = self.records - self.resumed_from
        return new / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        notes = []
        if self.resumed_from:
            notes.append(f"resumed after {self.resumed_from:,}")
        if self.stats.caught_up:
            notes.append(f"{self.stats.caught_up:,} signed up meanwhile")
        extra = f" ({'; '.join(notes)})" if notes else ""
        drift = ""
        if self.drifted:
            drift = "; the listing changed during the export" + (
                " and every record was still read once" if self.exact else ""
            )
        return (
            f"exported {self.records:,} records{extra} in {self.seconds:.2f} s "
            f"({self.records_per_second:,.0f} records/s) to {self.path}{drift}"
        )


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
    ``resume=True`` an interrupted export of the same listing, with the same settings,
    continues from its checkpoint (a setting that differs is named in the error); without it
    any earlier partial export at ``path`` is discarded. Raises
    :class:`IncompleteExportError` when the walk cannot vouch for every record.
    """
    target = Path(path)
    fmt = ExportFormat(format) if format is not None else ExportFormat.for_path(target)
    partial = target.with_name(target.name + ".partial")
    checkpoint_path = target.with_name(target.name + ".checkpoint")
    settings = {**paginator.settings(), "format": fmt.value}
    state = load(checkpoint_path, settings) if resume and checkpoint_path.exists() else None
    if state is None:
        checkpoint_path.unlink(missing_ok=True)  # an earlier export's: no longer true
    elif not (partial.exists() or target.with_name(target.name + ".parts").exists()):
        raise ConfigurationError(
            f"{checkpoint_path} has no partial output beside it (the export finished, or its "
            "files were moved); remove the checkpoint and export anew"
        )
    writer = _writer(fmt, target, partial, paginator, None if state is None else state.output)
    keys = KeyLog(target.with_name(target.name + ".keys"), state)
    key = paginator.record_key
    walk_from = paginator
    if state is not None:
        walk_from = paginator.resume(WalkCursor(state.position, keys.restore()))
    done = resumed_from = 0 if state is None else state.records
    reporter = progress or NoProgress()
    started = last_sync = time.perf_counter()
    pages = 0

    def checkpoint(walk: PageIterator[Any]) -> None:
        """Make the output and key log durable, then record that state (between pages)."""
        writer.sync()
        keys.sync()
        now = Checkpoint(
            settings=settings,
            position=walk.position(),
            output=writer.position(),
            int_keys=keys.int_count,
            other_keys=keys.other_bytes,
            records=done,
            resumed_from=resumed_from,
        )
        save(checkpoint_path, now)

    try:
        async with walk_from.pages() as walk:
            while True:
                try:
                    page = await anext(walk)
                except StopAsyncIteration:
                    break
                except BaseException:
                    # Interrupted (Ctrl-C, cancelled, failed) between pages: the walk's state
                    # is that of the last page written, so record it for `resume=True`.
                    checkpoint(walk)
                    raise
                if pages == 0:
                    reporter.start(page.total or None, done)
                writer.write(page.records)
                if key is not None:
                    keys.write(key.keys(page.records))
                pages += 1
                done += len(page.records)
                reporter.advance(len(page.records))
                now = time.perf_counter()
                if now - last_sync >= SYNC_INTERVAL:
                    checkpoint(walk)
                    last_sync = now
            if pages == 0:
                reporter.start(0, done)
            stats = walk.stats
            summary = _summary(target, fmt, done, pages, started, stats, resumed_from)
            if not stats.exact:
                checkpoint(walk)  # the walk is over: resuming reads what it could not
                raise IncompleteExportError(
                    "; ".join(stats.problems),
                    summary=summary,
                    # A walk that came up short resumes by reading that part again; one that
                    # may have missed records cannot tell where (its problems stay with it).
                    resumable=not walk.position().problems,
                )
        writer.finish(target)
    except BaseException:
        # Keep the partial output and the checkpoint: `resume=True` continues from it
        # (anything written after it is truncated then).
        writer.close()
        keys.close()
        raise
    finally:
        reporter.close()
    keys.remove()
    checkpoint_path.unlink(missing_ok=True)
    return summary


def _writer(
    fmt: ExportFormat, target: Path, partial: Path, paginator: Paginator[Any], at: int | None
) -> Writer:
    columns = columns_of(paginator.record_type)
    if fmt is ExportFormat.JSONL:
        return JsonlWriter(partial, at)
    if fmt is ExportFormat.CSV:
        return CsvWriter(partial, at, columns)
    return ParquetWriter(target.with_name(target.name + ".parts"), at, columns)


def _summary(
    target: Path,
    fmt: ExportFormat,
    records: int,
    pages: int,
    started: float,
    stats: WalkStats,
    resumed_from: int,
) -> ExportSummary:
    seconds = time.perf_counter() - started
    return ExportSummary(target, fmt, records, pages, seconds, stats, resumed_from)
