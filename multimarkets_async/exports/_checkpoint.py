"""The checkpoint beside a partial export, and the log of the keys it has written.

The checkpoint (``<out>.checkpoint``, JSON, replaced atomically) holds what an exact resume
needs: the export's settings (listing, paging, format), the walk's position (its frontier in
the list, the totals seen, requested page numbers, never the server's echo), how far the
output and the key log had been made durable. The key log (``<out>.keys``) holds the key of
every record written: 8 bytes each for integer keys, JSON lines for any other key.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from ..errors import ConfigurationError
from ..pagination import WalkPosition
from ..pagination._seen import SeenKeys, decode_other_keys, encode_other_keys, is_int64
from ._files import close_all, create, reopen

VERSION = 2


class Checkpoint(msgspec.Struct, kw_only=True):
    version: int = VERSION
    settings: dict[str, Any]
    position: WalkPosition
    output: int  # bytes (JSONL, CSV) or parts (Parquet) of the output that hold these records
    int_keys: int  # int64 keys in the key log
    other_keys: int  # bytes of JSON-lines keys in the key log's second file
    records: int
    resumed_from: int = 0


def load(path: Path, settings: dict[str, Any]) -> Checkpoint:
    """The checkpoint at ``path``, checked against the settings of the export resuming it."""
    try:
        state = msgspec.json.decode(path.read_bytes(), type=Checkpoint)
    except (msgspec.DecodeError, OSError) as exc:
        raise ConfigurationError(
            f"{path} cannot be read ({exc}); remove it and export anew"
        ) from None
    if state.version != VERSION:
        raise ConfigurationError(f"{path} was written by another version; export anew")
    differ = [
        f"{name}: {state.settings.get(name)!r} in the checkpoint, {value!r} now"
        for name, value in settings.items()
        if state.settings.get(name) != value
    ]
    if differ:
        raise ConfigurationError(
            f"{path} belongs to an export with other settings ({'; '.join(differ)}); resume "
            "with the same settings, or export anew without resume"
        )
    return state


def save(path: Path, checkpoint: Checkpoint, mode: int) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with create(temporary, mode) as out:
        out.write(msgspec.json.encode(checkpoint))
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


class KeyLog:
    """Appends the keys of written records; restores them as a ``SeenKeys`` on resume."""

    def __init__(self, path: Path, resume: Checkpoint | None, mode: int) -> None:
        self._ints_path = path
        self._others_path = path.with_name(path.name + ".other")
        self.int_count = 0 if resume is None else resume.int_keys
        self.other_bytes = 0 if resume is None else resume.other_keys
        self._ints = _reopen(self._ints_path, None if resume is None else self.int_count * 8, mode)
        try:
            self._others = _reopen(
                self._others_path, None if resume is None else self.other_bytes, mode
            )
        except BaseException:
            self._ints.close()
            raise

    def restore(self) -> SeenKeys:
        """The keys logged up to the checkpoint."""
        keys = SeenKeys()
        self._ints.seek(0)
        keys.load_int64(self._ints.read(self.int_count * 8))
        self._others.seek(0)
        keys.update(decode_other_keys(self._others.read(self.other_bytes)))
        self._ints.seek(self.int_count * 8)
        self._others.seek(self.other_bytes)
        return keys

    def write(self, keys: Sequence[Hashable | None]) -> None:
        try:  # the usual case: every key an int64
            data = array("q", keys).tobytes()  # type: ignore[type-var]
        except (TypeError, OverflowError):
            pass
        else:
            self._ints.write(data)
            self.int_count += len(keys)
            return
        ints = [k for k in keys if is_int64(k)]
        others = [k for k in keys if k is not None and not is_int64(k)]
        if ints:
            self._ints.write(array("q", ints).tobytes())
            self.int_count += len(ints)
        if others:
            data = encode_other_keys(others)
            self._others.write(data)
            self.other_bytes += len(data)

    def sync(self) -> None:
        for handle in (self._ints, self._others):
            handle.flush()
            os.fsync(handle.fileno())

    def close(self) -> None:
        close_all(self._ints.close, self._others.close)

    def remove(self) -> None:
        self.close()
        self._ints_path.unlink(missing_ok=True)
        self._others_path.unlink(missing_ok=True)


def _reopen(path: Path, size: int | None, mode: int) -> BinaryIO:
    """The key log file at ``path``: new (``size`` None), or as it was at the checkpoint."""
    if size is None:
        return create(path, mode)
    if not path.exists():
        if size:
            raise ConfigurationError(f"{path} is missing; export anew without resume")
        return create(path, mode)
    # Keys logged after the checkpoint belong to records dropped with it.
    return reopen(path, mode, size)
