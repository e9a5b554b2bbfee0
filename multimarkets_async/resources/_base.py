"""What every resource shares: the narrow view of the client it calls through (``Backend``),
and the catalogue entry that ties an operation to its method."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from .._call import Reconcile, ReplyInfo
from .._operation import Operation
from .._walk_options import WalkOptions
from ..models import CompanyProfile, Page
from ..pagination import Paginator, RecordKey

T = TypeVar("T")


class Backend(Protocol):
    """All a resource may ask of the client: send an operation, walk a paged one, the
    company id, and a fresh login."""

    @property
    def company_id(self) -> str:
        """The company the client acts for."""
        ...

    async def call(
        self,
        operation: Operation[T],
        body: Mapping[str, Any] | None,
        *,
        reconcile: Reconcile[T] | None = None,
        reply: ReplyInfo | None = None,
    ) -> T:
        """Send ``operation`` and return its ``data`` (``reconcile``: see ``Pipeline.call``;
        ``reply`` is filled in with the trace of the reply used)."""
        ...

    def paginate(
        self,
        operation: Operation[Page[T]] | Operation[list[T] | None],
        body: Mapping[str, Any],
        walk: WalkOptions,
        *,
        key: RecordKey | None,
    ) -> Paginator[T]:
        """A walk over the paged ``operation`` with the filters in ``body``."""
        ...

    async def login(self) -> CompanyProfile:
        """Log in again now, replacing the token held, and return the company profile."""
        ...


class Resource:
    """A group of operations (one vendor tag). Resources only describe calls."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend


@dataclass(frozen=True)
class Endpoint:
    """One vendor operation (``vendor_id`` as in the vendor's operation list) and the client
    method that calls it (``"customers.list"``). ``paged``: the method returns a Paginator."""

    vendor_id: str
    operation: Operation[Any]
    method: str
    paged: bool = False
