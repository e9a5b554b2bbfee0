"""What every resource shares: access to the client's pipeline and paginator factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..client import ManagerClient


class Resource:
    """A group of operations (one vendor tag). Resources only describe calls."""

    def __init__(self, client: ManagerClient) -> None:
        self._client = client
