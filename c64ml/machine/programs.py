"""Programs for the emulated C64 from source or from files (part of ``c64ml.machine``'s API)."""

from __future__ import annotations

from c64ml.package.load import load_program
from c64ml.package.prg import package_prg

__all__ = ["assemble_prg", "load_program"]


def assemble_prg(source: str, filename: str = "<source>") -> bytes:
    """Assemble c64ml assembly ``source`` (docs/assembly.md) and package it as a PRG exactly
    as ``c64ml asm -o x.prg`` does: code from ``.org $080D`` (or later, below $A000) gets a
    ``10 SYS`` BASIC stub at $0801 so ``run_prg`` starts it; other code loads at its origin
    (``run_program`` starts it there). Errors are one C64mlError naming ``filename``."""
    from c64ml.asm.assembler import assemble
    from c64ml.errors import C64mlError

    program = assemble(source, filename)
    if not program.data:
        raise C64mlError("program assembled to no bytes", filename)
    try:
        return package_prg(program.origin, program.data)
    except C64mlError as e:
        raise e.at(filename) from None
