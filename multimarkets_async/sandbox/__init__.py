"""A local aiohttp implementation of the Manager API, for tests, demos and benchmarks.

It must not import the client's models, pipeline or resources: it speaks the wire format on
its own, so that a wrong field name or type in a client model cannot round-trip unnoticed.
"""

from ._app import password_md5
from ._config import SandboxConfig
from ._faults import CHAOS_KINDS, DEFAULT_FAULT_KINDS, Fault, FaultKind
from ._server import Sandbox

__all__ = [
    "CHAOS_KINDS",
    "DEFAULT_FAULT_KINDS",
    "Fault",
    "FaultKind",
    "Sandbox",
    "SandboxConfig",
    "password_md5",
]
