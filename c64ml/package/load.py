"""Reading a program file: a PRG, or the first PRG on a D64 disk image."""

from __future__ import annotations

import os

from c64ml.errors import C64mlError
from c64ml.fileio import read_bytes
from c64ml.package.d64 import D64_SIZE_WITH_ERRORS, read_d64
from c64ml.package.prg import MAX_PRG_BYTES, parse_prg


def load_program(path: str | os.PathLike) -> bytes:
    """The PRG bytes of a .prg file, or of the first file on a .d64 image; checked with
    ``parse_prg``. Any problem is one C64mlError naming the file."""
    path = os.fspath(path)
    is_disk = path.lower().endswith(".d64")
    raw = read_bytes(path, D64_SIZE_WITH_ERRORS if is_disk else MAX_PRG_BYTES,
                     "disk image" if is_disk else "PRG file")
    if is_disk:
        files = read_d64(raw, path)
        if not files:
            raise C64mlError("disk image holds no PRG file", path)
        raw = files[0][1]
    parse_prg(raw, path)
    return raw
