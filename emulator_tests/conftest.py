"""Fixtures for testing C64 programs in c64ml's emulated C64.

Only the public API of the machine (``from c64ml.machine import ...``, docs/harness.md) and
of the compiler, model and verify stages is used here.

``c64_run(program, keys="", **kw)`` takes PRG bytes, a path to a .prg/.d64 file,
or a path to c64ml assembly source (.s, assembled and packaged like
``c64ml asm -o x.prg``), runs it like RUN and returns ``(RunResult, screen_lines)``
with trailing spaces and trailing blank lines trimmed. Keyword arguments:
``max_cycles``, ``system`` ("pal"/"ntsc"), ``irq`` (bool).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from c64ml.machine import C64, assemble_prg, load_program, trim_screen  # noqa: E402


def program_bytes(program: bytes | str | Path) -> bytes:
    """PRG bytes from bytes, a .prg/.d64 path, or a .s source path."""
    if isinstance(program, (bytes, bytearray)):
        return bytes(program)
    path = Path(program)
    if path.suffix.lower() == ".s":
        return assemble_prg(path.read_text(encoding="utf-8"), str(path))
    return load_program(path)


def run_program(program, keys: str | bytes = "", max_cycles: int = 10_000_000,
                system: str = "pal", irq: bool = True):
    """Run like ``c64ml run``: a $0801 PRG through its SYS stub, others at the load address."""
    prg = program_bytes(program)
    machine = C64(system=system, irq=irq)
    result = machine.run_program(prg, keys=keys, max_cycles=max_cycles)
    return result, trim_screen(machine.screen_text())


@pytest.fixture
def c64_run():
    """``c64_run(program, keys="", **kw) -> (RunResult, screen_lines)``."""
    return run_program
