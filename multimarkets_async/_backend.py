"""The client as its resources see it (``resources._base.Backend``): calls and walks with one
view's options over the client's shared pipeline."""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from ._call import CallOptions, Reconcile, ReplyInfo
from ._operation import Operation
from ._pipeline import Pipeline
from ._tasks import TaskHost
from ._walk_options import WalkOptions
from .models import CompanyProfile, Page
from .pagination import Paginator, RecordKey, Reply, WalkSpec

T = TypeVar("T")


class ClientBackend:
    """Implements ``resources._base.Backend`` for a client view: its ``options`` apply to every
    call; ``host`` gives the task group walks fetch ahead in, if one is open."""

    def __init__(
        self,
        pipeline: Pipeline,
        options: CallOptions,
        *,
        company_id: str,
        host: Callable[[], TaskHost | None],
    ) -> None:
        self._pipeline = pipeline
        self._options = options
        self._company_id = company_id
        self._host = host

    @property
    def company_id(self) -> str:
        return self._company_id

    async def call(
        self,
        operation: Operation[T],
        body: Mapping[str, Any] | None,
        *,
        reconcile: Reconcile[T] | None = None,
        reply: ReplyInfo | None = None,
    ) -> T:
        return await self._pipeline.call(
            operation, body, self._options, reconcile=reconcile, reply=reply
        )

    async def login(self) -> CompanyProfile:
        return await self._pipeline.login(renew=True)

    def paginate(
        self,
        operation: Operation[Page[T]] | Operation[list[T] | None],
        body: Mapping[str, Any],
        walk: WalkOptions,
        *,
        key: RecordKey | None,
    ) -> Paginator[T]:
        fixed = dict(body)
        call = cast(Operation[Any], operation)

        async def fetch(current: int, size: int) -> Reply[T]:
            info = ReplyInfo()
            data: Any = await self.call(
                call, {**fixed, "current": current, "size": size}, reply=info
            )
            if isinstance(data, Page):
                return Reply(current, size, data, data.total, info.trace)
            # Paged by request but answered with a bare list: no total, a short page ends it.
            page: Page[T] = Page(current=current, size=size, total=0, records=data or [])
            return Reply(current, size, page, None, info.trace)

        spec: WalkSpec[T] = WalkSpec(
            fetch=fetch,
            biz_type=operation.biz_type,
            listing=f"{operation.biz_type}|{sorted(fixed.items())}",
            page_size=walk.page_size,
            start_page=walk.start_page,
            max_items=walk.max_items,
            concurrency=walk.concurrency,
            key=key,
            reread_on_drift=walk.reread_on_drift,
            retry=self._options.retry,
            host=self._host,
        )
        return Paginator(spec, record_type=_record_type(operation.response_type))


def _record_type(response_type: Any) -> Any:
    """The record model inside ``Page[X]`` or ``list[X] | None``."""
    for candidate in (response_type, *typing.get_args(response_type)):
        if candidate is type(None):
            continue
        args = typing.get_args(candidate)
        if args and isinstance(args[0], type):
            return args[0]
    return object
