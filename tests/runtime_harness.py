"""Test rig for the hand-written 6502 runtime (runtime6502/*.s).

Assembles a test driver, runtime files and the quarter-square tables at a
fixed origin with c64ml's own assembler, loads the image into an emulated C64
(KERNAL IRQ live by default) and calls routines by label:

    m, sym = build("mul8.s", driver=DRIVER)
    r = call(m, sym, "mul8", a=3, y=5)        # RunResult; r.cycles excludes the JSR
    peek(m, sym["mul8_lo"], 2)                # little-endian unsigned
"""

from __future__ import annotations

import re
from pathlib import Path

from c64ml.asm.assembler import Program, assemble
from c64ml.backend6502.sqtables import tables_source
from c64ml.machine.c64 import C64, RunResult

RUNTIME = Path(__file__).resolve().parent.parent / "runtime6502"
ORIGIN = 0x1000
HEADER_FIELD = re.compile(r"^;\s*(Requires|Imports):(.*)$", re.MULTILINE | re.IGNORECASE)


def runtime_files() -> list[Path]:
    """Every runtime source file, sorted by name."""
    return sorted(RUNTIME.glob("*.s"))


def header_list(text: str, name: str) -> list[str]:
    """Names listed on the header lines ``; Requires: ...`` or ``; Imports: ...``.

    Words are separated by commas or blanks; a parenthesised note is ignored.
    """
    out = []
    for field, rest in HEADER_FIELD.findall(text):
        if field.lower() == name.lower():
            rest = re.sub(r"\(.*?\)", "", rest)
            out += [w for w in re.split(r"[,\s]+", rest) if w]
    return out


def source(*files: str, driver: str = "", tables: bool = True) -> str:
    """Driver first, then the runtime files in the given order, then the tables."""
    parts = [driver] + [(RUNTIME / f).read_text() for f in files]
    if tables:
        parts.append(tables_source())
    return "\n".join(parts)


def assemble_runtime(*files: str, driver: str = "", origin: int = ORIGIN, tables: bool = True,
                     defines: dict[str, int] | None = None) -> Program:
    return assemble(source(*files, driver=driver, tables=tables), "runtime-test", origin,
                    defines)


def build(*files: str, driver: str = "", origin: int = ORIGIN, irq: bool = True,
          tables: bool = True, seed: int = 0) -> tuple[C64, dict[str, int]]:
    """A C64 with driver + runtime files + SQ tables loaded at ``origin``; (machine, symbols)."""
    prog = assemble_runtime(*files, driver=driver, origin=origin, tables=tables)
    m = C64(irq=irq, seed=seed)
    m.load(prog.origin, prog.data)
    return m, prog.symbols


def call(m: C64, symbols: dict[str, int], name: str, a: int = 0, x: int = 0, y: int = 0,
         carry: bool | None = None, max_cycles: int = 1_000_000) -> RunResult:
    """Call the routine at label ``name``; checks that it returned cleanly.

    ``carry`` sets the carry flag on entry through a 4-byte trampoline at $0334 whose
    5 cycles (SEC/CLC + JMP) are taken off ``cycles``; otherwise the routine is
    entered with the flags clear, as ``C64.call`` does.
    """
    if carry is not None:
        return _call_with_carry(m, symbols[name], a, x, y, carry, max_cycles)
    r = m.call(symbols[name], a=a, x=x, y=y, max_cycles=max_cycles)
    assert r.reason == "return" and r.clean_return, r.return_issues
    return r


TRAMPOLINE = 0x0334  # the cassette buffer: free on a C64, outside the test image


def _call_with_carry(m: C64, addr: int, a: int, x: int, y: int, carry: bool,
                     max_cycles: int) -> RunResult:
    """SEC/CLC + JMP addr at the trampoline; the 5 cycles it costs are subtracted."""
    m.load(TRAMPOLINE, bytes([0x38 if carry else 0x18, 0x4C, addr & 0xFF, addr >> 8]))
    r = m.call(TRAMPOLINE, a=a, x=x, y=y, max_cycles=max_cycles)
    assert r.reason == "return" and r.clean_return, r.return_issues
    r.cycles -= 5
    return r


def poke(m: C64, addr: int, value: int, n: int = 1) -> None:
    """Store ``value`` as ``n`` little-endian bytes (negative values as two's complement)."""
    m.ram[addr:addr + n] = (value % (1 << 8 * n)).to_bytes(n, "little")


def peek(m: C64, addr: int, n: int = 1, signed: bool = False) -> int:
    """Read ``n`` little-endian bytes as an integer."""
    return int.from_bytes(bytes(m.ram[addr:addr + n]), "little", signed=signed)
