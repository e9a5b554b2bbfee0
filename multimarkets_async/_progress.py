"""Progress reporting on stderr: a rich progress bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol, TextIO


class Progress(Protocol):
    def start(self, total: int | None, done: int = 0) -> None: ...
    def advance(self, records: int) -> None: ...
    def close(self) -> None: ...


class PlainProgress:
    """A line every ``interval`` seconds: for logs, pipes and CI."""

    def __init__(self, label: str, stream: TextIO | None = None, interval: float = 2.0) -> None:
        self._label = label
        self._stream = stream or sys.stderr
        self._interval = interval
        self._total: int | None = None
        self._done = self._base = 0
        self._started = self._last = time.perf_counter()

    def start(self, total: int | None, done: int = 0) -> None:
        self._total = total
        self._done = self._base = done
        self._started = self._last = time.perf_counter()

    def advance(self, records: int) -> None:
        self._done += records
        now = time.perf_counter()
        if now - self._last >= self._interval:
            self._last = now
            self._print(now)

    def _print(self, now: float) -> None:
        rate = (self._done - self._base) / max(now - self._started, 1e-9)
        of = f"/{self._total:,}" if self._total else ""
        eta = ""
        if self._total and rate > 0:
            eta = f", about {max(self._total - self._done, 0) / rate:,.0f} s left"
        print(
            f"{self._label}: {self._done:,}{of} records, {rate:,.0f} records/s{eta}",
            file=self._stream,
            flush=True,
        )

    def close(self) -> None:
        pass


class RichProgress:
    """A live progress bar: records done of ``total`` (with thousands separators), records/s,
    time elapsed and time left (labelled), the latter from ``total``."""

    def __init__(self, label: str, console: Any = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        self._bar = Bar(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("elapsed"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._task = self._bar.add_task(label, total=None, rate="", count="")
        self._started = time.perf_counter()
        self._done = self._base = 0
        self._total: int | None = None

    def start(self, total: int | None, done: int = 0) -> None:
        self._started = time.perf_counter()
        self._total = total
        self._done = self._base = done
        self._bar.start()
        self._bar.update(self._task, total=total, completed=done, count=self._count())

    def advance(self, records: int) -> None:
        self._done += records
        rate = (self._done - self._base) / max(time.perf_counter() - self._started, 1e-9)
        self._bar.update(
            self._task, advance=records, rate=f"{rate:>9,.0f} rec/s", count=self._count()
        )

    def _count(self) -> str:
        return f"{self._done:,}/{self._total:,}" if self._total else f"{self._done:,}"

    def close(self) -> None:
        self._bar.stop()


class NoProgress:
    def start(self, total: int | None, done: int = 0) -> None:
        pass

    def advance(self, records: int) -> None:
        pass

    def close(self) -> None:
        pass


def expected_total(total: int | None, limit: int | None) -> int | None:
    """The most records a walk yields: the listing's ``total``, or its ``max_items``
    (``limit``) when that is smaller or the total is not known."""
    if limit is None:
        return total or None
    return min(total, limit) if total else limit


def progress_for(label: str, *, quiet: bool = False) -> Progress:
    """The right reporter for this process's stderr."""
    if quiet:
        return NoProgress()
    if sys.stderr.isatty():
        try:
            return RichProgress(label)
        except ImportError:
            pass
    return PlainProgress(label)
