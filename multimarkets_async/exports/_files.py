"""The files of an export: created with the export's mode (owner-only unless asked
otherwise), the checks of the output path made before anything is written, and the files an
unfinished export leaves beside its target."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from ..errors import ConfigurationError, ValidationError

DEFAULT_MODE = 0o600  # exports hold personal data: the owner's alone
LEFTOVER_SUFFIXES = (".partial", ".parts", ".checkpoint", ".checkpoint.tmp", ".keys", ".keys.other")
PARQUET_EXTRA = "pip install 'multimarkets-async[parquet]'"


def check_mode(mode: object) -> int:
    """``mode`` as the permission bits of every file an export writes."""
    if isinstance(mode, bool) or not isinstance(mode, int) or not 0 <= mode <= 0o777:
        raise ValidationError("mode", f"must be permission bits such as 0o600, got {mode!r}")
    if mode & 0o600 != 0o600:
        raise ValidationError("mode", f"must let the owner read and write (0o600), got {oct(mode)}")
    return mode


def directory_mode(mode: int) -> int:
    """The mode of a directory of files with ``mode``: searchable wherever they are readable."""
    return mode | ((mode & 0o444) >> 2)


def check_target(target: Path) -> None:
    """Fail at once, before any request, on an output path that cannot be written."""
    parent = target.parent
    if not parent.is_dir():
        reason = "is not a directory" if parent.exists() else "does not exist"
        raise ValidationError("path", f"the directory {str(parent)!r} of {str(target)!r} {reason}")
    if target.is_dir():
        raise ValidationError("path", f"{str(target)!r} is a directory; give a file name")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValidationError("path", f"cannot write files in the directory {str(parent)!r}")


def require_pyarrow() -> None:
    """Parquet needs pyarrow, an optional dependency: fail before anything is requested."""
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError as exc:
        raise ConfigurationError(
            f"Parquet export needs pyarrow, from the 'parquet' extra: {PARQUET_EXTRA}"
        ) from exc


def leftovers(target: Path) -> list[Path]:
    """What an unfinished export to ``target`` left: partial output, parts, checkpoint, keys."""
    found = (target.with_name(target.name + suffix) for suffix in LEFTOVER_SUFFIXES)
    return [path for path in found if path.exists() or path.is_symlink()]


def refuse_leftovers(target: Path, found: list[Path]) -> None:
    names = ", ".join(path.name for path in found)
    raise ConfigurationError(
        f"an earlier export to {target} was not finished ({names} beside it): pass "
        "resume=True (--resume) to continue it, or overwrite=True (--overwrite) to discard it, "
        "or remove those files"
    )


def discard(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def create(path: Path, mode: int) -> BinaryIO:
    """``path`` created (or emptied) for reading and writing, with exactly ``mode``."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | _BINARY, mode)
    return _wrap(descriptor, path, mode)


def reopen(path: Path, mode: int, size: int) -> BinaryIO:
    """``path`` opened at ``size`` (anything after it dropped), with exactly ``mode``."""
    descriptor = os.open(path, os.O_RDWR | _BINARY)
    handle = _wrap(descriptor, path, mode)
    try:
        handle.truncate(size)
        handle.seek(size)
    except BaseException:
        handle.close()
        raise
    return handle


def make_directory(path: Path, mode: int) -> None:
    """``path`` as a directory for files of ``mode`` (made if missing; its mode set)."""
    path.mkdir(mode=directory_mode(mode), exist_ok=True)
    os.chmod(path, directory_mode(mode))  # whatever the umask, or an earlier run, made it


# Binary on Windows; never through a symbolic link planted where an export's file goes.
_BINARY: int = getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)


def _wrap(descriptor: int, path: Path, mode: int) -> BinaryIO:
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(descriptor, mode)  # the umask narrows os.open's mode; an old file has its own
        else:  # pragma: no cover - Windows
            os.chmod(path, mode)
        return open(descriptor, "r+b")  # the caller closes it
    except BaseException:
        os.close(descriptor)
        raise


def close_all(*closers: Callable[[], None]) -> None:
    """Call every ``close`` even when one fails (a full disk fails the flush), then raise the
    first failure: no file is left open behind an error."""
    failure: BaseException | None = None
    for close in closers:
        try:
            close()
        except BaseException as exc:
            failure = failure or exc
    if failure is not None:
        raise failure
