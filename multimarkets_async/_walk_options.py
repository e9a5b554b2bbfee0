"""The paging options of every listing method and of the CLI, defined once: name, default,
bounds and help text. Resource methods check them by building :class:`WalkOptions`; the CLI
builds its ``--page-size``/``--concurrency``/``--max-items`` options from the same entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import _validation as check
from ._config import DEFAULT_PAGE_CONCURRENCY, MAX_PAGE_CONCURRENCY, MAX_PAGE_SIZE


@dataclass(frozen=True, slots=True)
class Count:
    """A whole-number walk option; ``default`` None means the option may be left out."""

    name: str
    default: int | None
    minimum: int
    maximum: int
    help: str

    @property
    def flag(self) -> str:
        """The option as the CLI spells it."""
        return "--" + self.name.replace("_", "-")

    def check(self, value: Any) -> int | None:
        """``value`` if it is within bounds, else ``ValidationError`` naming the option."""
        if self.default is None:
            return check.optional(check.integer, self.name, value, **self._bounds())
        return check.integer(self.name, value, **self._bounds())

    def _bounds(self) -> dict[str, int]:
        return {"minimum": self.minimum, "maximum": self.maximum}


PAGE_SIZE = Count(
    "page_size", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE, f"records a page (1 to {MAX_PAGE_SIZE:,})"
)
START_PAGE = Count("start_page", 1, 1, check.MAX_START_PAGE, "the page to start from")
MAX_ITEMS = Count(
    "max_items", None, 0, check.MAX_ITEMS, "stop after this many records (default: all)"
)
CONCURRENCY = Count(
    "concurrency",
    DEFAULT_PAGE_CONCURRENCY,
    1,
    MAX_PAGE_CONCURRENCY,
    f"pages read at the same time (1 to {MAX_PAGE_CONCURRENCY})",
)

CLI_OPTIONS = (PAGE_SIZE, CONCURRENCY, MAX_ITEMS)
"""The walk options the CLI offers, in the order of its help."""


@dataclass(frozen=True, slots=True)
class WalkOptions:
    """How to walk a listing: ``page_size`` records a request, from ``start_page``, at most
    ``max_items`` records (None: all), ``concurrency`` pages in flight, and whether to read a
    page again when the list moved back under the walk. Checked when built."""

    page_size: int = MAX_PAGE_SIZE
    start_page: int = 1
    max_items: int | None = None
    concurrency: int = DEFAULT_PAGE_CONCURRENCY
    reread_on_drift: bool = True

    def __post_init__(self) -> None:
        START_PAGE.check(self.start_page)
        MAX_ITEMS.check(self.max_items)
        check.boolean("reread_on_drift", self.reread_on_drift)
        PAGE_SIZE.check(self.page_size)
        CONCURRENCY.check(self.concurrency)
