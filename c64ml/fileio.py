"""Bounded reads and atomic writes: no huge allocations, no partial output files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from c64ml.errors import C64mlError


def read_bytes(path: str | os.PathLike, max_bytes: int, what: str = "file") -> bytes:
    """Read a whole file, refusing anything larger than ``max_bytes``."""
    p = Path(path)
    try:
        if p.is_dir():
            raise C64mlError("is a directory, not a " + what, path)
        size = p.stat().st_size
        if size > max_bytes:
            raise C64mlError(f"{what} is {size} bytes; the limit is {max_bytes}", path)
        with open(p, "rb") as f:
            data = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise C64mlError("no such file", path) from None
    except PermissionError:
        raise C64mlError("permission denied", path) from None
    except OSError as e:
        raise C64mlError(f"cannot read: {e.strerror or e}", path) from None
    if len(data) > max_bytes:
        raise C64mlError(f"{what} is larger than the limit of {max_bytes} bytes", path)
    return data


def write_atomic(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` to ``path`` via a temporary file and rename, so a failure leaves nothing."""
    p = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    directory = p.parent if str(p.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + p.name + ".", suffix=".tmp", dir=directory)
    except OSError as e:
        raise C64mlError(f"cannot write: {e.strerror or e}", path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as open() would make it, not mkstemp's 0600
        os.replace(tmp, p)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise C64mlError(f"cannot write: {e.strerror or e}", path) from None
