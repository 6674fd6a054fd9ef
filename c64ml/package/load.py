"""Reading a program file: a PRG, or the first PRG on a D64 disk image."""

from __future__ import annotations

import os

from c64ml.errors import C64mlError
from c64ml.fileio import read_bytes
from c64ml.package.d64 import D64_SIZE_WITH_ERRORS, read_d64
from c64ml.package.prg import BASIC_START, MAX_PRG_BYTES, parse_prg

#: File name endings of assembly source, which ``c64ml asm`` turns into a PRG.
SOURCE_SUFFIXES = (".s", ".asm", ".a", ".inc", ".src")


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


def _is_text(data: bytes) -> bool:
    """True if ``data`` reads as lines of text (UTF-8, no control bytes but tab, CR, LF)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\n" in text and not any(c < " " and c not in "\t\r\n" or c == "\x7f" for c in text)


def check_runnable(prg: bytes, path: str | os.PathLike) -> int:
    """The load address of ``prg`` if it can be LOADed and started as a program (it loads at
    $0801 or above and fits below $10000, which ``parse_prg`` checks); else one C64mlError
    naming ``path``. Assembly source, or any text, is refused with a pointer to ``c64ml asm``."""
    path = os.fspath(path)
    hint = f"assemble it first: c64ml asm {path} -o PROGRAM.prg"
    if path.lower().endswith(SOURCE_SUFFIXES):
        raise C64mlError(f"is assembly source, not a PRG; {hint}", path)
    if _is_text(prg):
        raise C64mlError(f"is text, not a PRG (its first two characters would be the load "
                         f"address ${prg[0] | prg[1] << 8:04X}); if it is assembly source, {hint}",
                         path)
    load_addr, _ = parse_prg(prg, path)
    if load_addr < BASIC_START:
        raise C64mlError(f"loads at ${load_addr:04X}, below BASIC's start $0801 (over the "
                         "KERNAL's work area, the vectors or the screen); c64ml run starts "
                         "programs loading at $0801 or above", path)
    return load_addr
