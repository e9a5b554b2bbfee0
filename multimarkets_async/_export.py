"""Streaming a paged listing to a JSON Lines file, page by page, with flat memory."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import msgspec

from ._progress import NoProgress, Progress
from .pagination import Paginator


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote."""

    path: Path
    records: int
    pages: int
    seconds: float

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        return (
            f"exported {self.records:,} records in {self.seconds:.2f} s "
            f"({self.records_per_second:,.0f} records/s) to {self.path}"
        )


async def export_jsonl(
    paginator: Paginator[Any], path: str | os.PathLike[str], *, progress: Progress | None = None
) -> ExportSummary:
    """Write every record of ``paginator`` to ``path`` as JSON Lines (wire field names).

    The file is written under a temporary name and renamed when complete, so a file at
    ``path`` is always a finished export.
    """
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    reporter = progress or NoProgress()
    encoder = msgspec.json.Encoder()
    records = pages = 0
    started = time.perf_counter()
    try:
        with partial.open("wb") as out:
            async with paginator.pages() as walk:
                async for page in walk:
                    if pages == 0:
                        reporter.start(page.total or None)
                    await anyio.to_thread.run_sync(out.write, encoder.encode_lines(page.records))
                    pages += 1
                    records += len(page.records)
                    reporter.advance(len(page.records))
            if pages == 0:
                reporter.start(0)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        reporter.close()
    return ExportSummary(target, records, pages, time.perf_counter() - started)
