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

Every file an export writes is its owner's alone (mode 0o600, directories 0o700) unless
``mode`` says otherwise: exports of customers hold personal data.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from .._progress import NoProgress, Progress, expected_total
from ..errors import (
    ConfigurationError,
    ExportFileError,
    IncompleteExportError,
    MultiMarketsError,
    ValidationError,
)
from ..pagination import PageIterator, Paginator, WalkCursor, WalkStats
from ._checkpoint import Checkpoint, load, save
from ._files import (
    DEFAULT_MODE,
    check_mode,
    check_target,
    discard,
    leftovers,
    refuse_leftovers,
    require_pyarrow,
)
from ._output import Output

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
    overwrite: bool = False,
    mode: int = DEFAULT_MODE,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write every record of ``paginator`` to ``path``; returns an :class:`ExportSummary`.

    ``format`` defaults to the file's extension (``.jsonl``, ``.csv``, ``.parquet``; Parquet
    needs the ``parquet`` extra). With ``resume=True`` an interrupted export of the same
    listing, with the same settings, continues from its checkpoint (a setting that differs is
    named in the error; files left without a checkpoint cannot be continued and are
    discarded). Without it, files an unfinished export left at ``path`` (``.partial``,
    ``.parts``, ``.checkpoint``, ``.keys``) raise :class:`ConfigurationError` unless
    ``overwrite=True`` discards them. A finished file at ``path`` is replaced when the export
    completes.

    ``mode`` is the permission of every file the export writes: the output, its partial
    output and Parquet parts, the checkpoint and the key log (directories get the matching
    search bits). The default 0o600 keeps them, which hold personal data, to their owner; it
    must include 0o600.

    The arguments and the output path are checked before anything is requested or written
    (:class:`ValidationError` naming the argument: not a ``Paginator``, an unknown
    ``format``, a missing directory, a directory as ``path``; :class:`ConfigurationError` when
    pyarrow is missing for Parquet). Raises :class:`IncompleteExportError` when the walk
    cannot vouch for every record.
    """
    try:
        return await _export(paginator, path, format, resume, overwrite, mode, progress)
    except MultiMarketsError:
        raise  # some are OSErrors too (APITimeoutError is a TimeoutError)
    except OSError as exc:
        raise ExportFileError(exc.errno, _why(exc), exc.filename) from exc


def _why(exc: OSError) -> str:
    return f"the export's files could not be written: {exc.strerror or exc}"


async def _export(
    paginator: Paginator[Any],
    path: str | os.PathLike[str],
    format: ExportFormat | str | None,
    resume: bool,
    overwrite: bool,
    mode: int,
    progress: Progress | None,
) -> ExportSummary:
    target, fmt = _checked(paginator, path, format, resume, overwrite, mode)
    settings = {**paginator.settings(), "format": fmt.value}
    output = Output(fmt.value, target, paginator, mode)
    state = None
    if resume and output.checkpoint.exists():
        state = load(output.checkpoint, settings)
        if not output.has_partial():
            raise ConfigurationError(
                f"{output.checkpoint} has no partial output beside it (the export finished, or "
                "its files were moved); remove the checkpoint and export anew"
            )
    elif found := leftovers(target):
        if not (resume or overwrite):
            refuse_leftovers(target, found)
        discard(found)  # asked to, or left without a checkpoint: nothing to continue from
    key = paginator.record_key
    walk_from = paginator
    if state is not None:
        try:
            restored = output.open(state)[1].restore()
            walk_from = paginator.resume(WalkCursor(state.position, restored))
        except BaseException:
            output.close()
            raise
    done = resumed_from = 0 if state is None else state.records
    reporter = progress or NoProgress()
    started = last_sync = time.perf_counter()
    pages = 0

    def checkpoint(walk: PageIterator[Any]) -> None:
        """Make the output and key log durable, then record that state (between pages)."""
        if not output.opened:
            return  # nothing written, now or before: nothing to continue from
        writer, keys = output.open(state)
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
        save(output.checkpoint, now, mode)

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
                    reporter.start(expected_total(page.total, paginator.max_items), done)
                writer, keys = output.open(state)
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
            writer, keys = output.open(state)  # an empty export is a valid, empty file
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
        output.close()
        raise
    finally:
        reporter.close()
    keys.remove()
    output.checkpoint.unlink(missing_ok=True)
    return summary


def _checked(
    paginator: object,
    path: object,
    format: object,
    resume: object,
    overwrite: object,
    mode: object,
) -> tuple[Path, ExportFormat]:
    """The target and format of an export, once its arguments are known to be sound."""
    if not isinstance(paginator, Paginator):
        raise ValidationError(
            "paginator",
            f"must be a Paginator, such as client.customers.list(), got {type(paginator).__name__}",
        )
    if not isinstance(path, (str, os.PathLike)):
        raise ValidationError("path", f"must be a file path, got {type(path).__name__}")
    target = Path(path)
    check_target(target)
    fmt = _format(format, target)
    check_mode(mode)
    for name, flag in (("resume", resume), ("overwrite", overwrite)):
        if not isinstance(flag, bool):
            raise ValidationError(name, f"must be True or False, got {flag!r}")
    if resume and overwrite:
        raise ValidationError(
            "overwrite",
            "cannot go with resume=True (one continues an earlier export, the other discards it)",
        )
    if fmt is ExportFormat.PARQUET:
        require_pyarrow()
    return target, fmt


def _format(format: object, target: Path) -> ExportFormat:
    if format is None:
        return ExportFormat.for_path(target)
    if isinstance(format, ExportFormat):
        return format
    if isinstance(format, str) and format.lower() in {f.value for f in ExportFormat}:
        return ExportFormat(format.lower())
    choices = ", ".join(f.value for f in ExportFormat)
    raise ValidationError("format", f"must be one of {choices}, got {format!r}")


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
