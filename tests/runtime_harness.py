"""Test rig for the hand-written 6502 runtime (runtime6502/*.s).

Assembles a test driver, runtime files and the quarter-square tables at a
fixed origin with c64ml's own assembler, loads the image into an emulated C64
(KERNAL IRQ live by default) and calls routines by label:

    m, sym = build("mul8.s", driver=DRIVER)
    r = call(m, sym, "mul8", a=3, y=5)        # RunResult; r.cycles excludes the JSR
    peek(m, sym["mul8_lo"], 2)                # little-endian unsigned

Every machine ``build`` makes watches zero page, and every ``call`` fails if code of a
runtime file wrote a zero-page address that file's header does not declare (the
driver's own writes are its business; the KERNAL IRQ's and the emulated KERNAL
routines' are not the CPU's and are not recorded).
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from c64ml.asm.assembler import ListingLine, Program, assemble
from c64ml.backend6502.runtime import header, runtime_files, runtime_source
from c64ml.backend6502.sqtables import tables_source
from c64ml.machine.c64 import C64, RunResult

ORIGIN = 0x1000
DRIVER, TABLES = "(driver)", "(SQ tables)"  # names of the parts that are not runtime files
#: Per machine from build(): the zero-page writes recorded, and which part owns each byte.
_WATCHED: WeakKeyDictionary[C64, tuple[set[tuple[int, int]], dict[int, str]]] = \
    WeakKeyDictionary()


def acc_arrays(*names: str) -> str:
    """255-byte arrays as the runtime's accumulators need them (runtime6502/dense.s): page
    aligned, each starting one byte after a page boundary, so indexing from name-1 with
    X = 1..255 never crosses a page."""
    return "        .align 256\n" + "".join(f"        .res 1\n{name}: .res 255\n" for name in names)


DN_ACC = ("dn_acc0", "dn_acc1", "dn_acc2")
#: dense.s's product arrays for its levels loop (up to 255 levels).
DN_PT = "dn_ptlo: .res 256\ndn_pthi: .res 256\n"


def parts(*files: str, driver: str = "", tables: bool = True) -> list[tuple[str, str]]:
    """(name, text) of what ``source`` joins: driver, runtime files in order, tables."""
    out = [(DRIVER, driver)] + [(f, runtime_source(f)) for f in files]
    if tables:
        out.append((TABLES, tables_source()))
    return out


def source(*files: str, driver: str = "", tables: bool = True) -> str:
    """Driver first, then the runtime files in the given order, then the tables."""
    return "\n".join(text for _, text in parts(*files, driver=driver, tables=tables))


def lines_by_part(prog: Program, parts_: list[tuple[str, str]]) -> dict[str, list[ListingLine]]:
    """The listing lines of ``prog`` (assembled from ``parts_`` joined) grouped by part."""
    starts, first = [], 1
    for name, text in parts_:
        starts.append((first, name))
        first += text.count("\n") + 1
    out: dict[str, list[ListingLine]] = {name: [] for name, _ in parts_}
    for ln in prog.lines:
        out[max((s for s in starts if s[0] <= ln.line), key=lambda s: s[0])[1]].append(ln)
    return out


def assemble_runtime(*files: str, driver: str = "", origin: int = ORIGIN, tables: bool = True,
                     defines: dict[str, int] | None = None) -> Program:
    return assemble(source(*files, driver=driver, tables=tables), "runtime-test", origin,
                    defines)


def build(*files: str, driver: str = "", origin: int = ORIGIN, irq: bool = True,
          tables: bool = True, seed: int = 0) -> tuple[C64, dict[str, int]]:
    """A C64 with driver + runtime files + SQ tables loaded at ``origin``; (machine, symbols)."""
    layout = parts(*files, driver=driver, tables=tables)
    prog = assemble_runtime(*files, driver=driver, origin=origin, tables=tables)
    owner = {ln.address + i: name for name, lines in lines_by_part(prog, layout).items()
             for ln in lines for i in range(len(ln.data))}
    m = C64(irq=irq, seed=seed)
    m.load(prog.origin, prog.data)
    _WATCHED[m] = (m.watch_zero_page(), owner)
    return m, prog.symbols


def zero_page_writes(m: C64) -> set[tuple[int, int]]:
    """(address, writing instruction) of every zero-page write the CPU made since build()."""
    return _WATCHED[m][0]


def undeclared_zero_page(m: C64) -> list[str]:
    """The zero-page writes so far, by runtime files' code, that their headers do not declare."""
    writes, owner = _WATCHED[m]
    return [f"{owner[pc]} wrote ${addr:02X} (instruction at ${pc:04X}); its header declares "
            f"{sorted(header(owner[pc]).zero_page)}"
            for addr, pc in sorted(writes)
            if owner.get(pc) in runtime_files() and addr not in header(owner[pc]).zero_page]


def call(m: C64, symbols: dict[str, int], name: str, a: int = 0, x: int = 0, y: int = 0,
         carry: bool | None = None, max_cycles: int = 1_000_000) -> RunResult:
    """Call the routine at label ``name``; checks that it returned cleanly and that the
    runtime files wrote no zero page their headers do not declare.

    ``carry`` sets the carry flag on entry through a 4-byte trampoline at $0334 whose
    5 cycles (SEC/CLC + JMP) are taken off ``cycles``; otherwise the routine is
    entered with the flags clear, as ``C64.call`` does.
    """
    if carry is not None:
        r = _call_with_carry(m, symbols[name], a, x, y, carry, max_cycles)
    else:
        r = m.call(symbols[name], a=a, x=x, y=y, max_cycles=max_cycles)
    assert r.reason == "return" and r.clean_return, r.return_issues
    if m in _WATCHED:
        assert not undeclared_zero_page(m), undeclared_zero_page(m)
    return r


TRAMPOLINE = 0x0334  # the cassette buffer: free on a C64, outside the test image


def _call_with_carry(m: C64, addr: int, a: int, x: int, y: int, carry: bool,
                     max_cycles: int) -> RunResult:
    """SEC/CLC + JMP addr at the trampoline; the 5 cycles it costs are subtracted."""
    m.load(TRAMPOLINE, bytes([0x38 if carry else 0x18, 0x4C, addr & 0xFF, addr >> 8]))
    r = m.call(TRAMPOLINE, a=a, x=x, y=y, max_cycles=max_cycles)
    r.cycles -= 5
    return r


def poke(m: C64, addr: int, value: int, n: int = 1) -> None:
    """Store ``value`` as ``n`` little-endian bytes (negative values as two's complement)."""
    m.ram[addr:addr + n] = (value % (1 << 8 * n)).to_bytes(n, "little")


def peek(m: C64, addr: int, n: int = 1, signed: bool = False) -> int:
    """Read ``n`` little-endian bytes as an integer."""
    return int.from_bytes(bytes(m.ram[addr:addr + n]), "little", signed=signed)
