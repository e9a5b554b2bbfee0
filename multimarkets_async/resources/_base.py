"""What every resource shares, and the catalogue entry that ties an operation to its method."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._operation import Operation

if TYPE_CHECKING:
    from ..client import ManagerClient


class Resource:
    """A group of operations (one vendor tag). Resources only describe calls."""

    def __init__(self, client: ManagerClient) -> None:
        self._client = client


@dataclass(frozen=True)
class Endpoint:
    """One vendor operation (``vendor_id`` as in the vendor's operation list) and the client
    method that calls it (``"customers.list"``). ``paged``: the method returns a Paginator."""

    vendor_id: str
    operation: Operation[Any]
    method: str
    paged: bool = False
