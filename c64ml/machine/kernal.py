"""Emulated KERNAL: CHROUT/GETIN/PLOT at their jump-table addresses, the
simulated 60 Hz IRQ, and the RAM state the KERNAL and BASIC leave behind.

Handlers are called when PC reaches the entry point with the KERNAL ROM banked
in; they do the work in Python, then the machine returns as RTS would.  The
cycle figures below are estimates of what the real ROM routines take (counted
from the ROM's instruction sequence by hand, not measured); they are reported
separately from the program's own cycles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from c64ml.machine.c64 import C64

CHROUT = 0xFFD2
GETIN = 0xFFE4
PLOT = 0xFFF0

# Where BASIC's SYS handler has its own code: SYS pushes $E146, so the routine's
# RTS lands on $E147.  The harness uses the same return address.
SYS_RETURN = 0xE147
IRQ_VECTOR_RAM = 0x0314      # CINV
KERNAL_IRQ = 0xEA31          # default CINV target

# Estimated cycles of the real routines (see docs/harness.md).
CYCLES = {
    "chrout": 200,          # printable character or cursor movement
    "chrout_scroll": 30000,  # extra when the screen scrolls up one line
    "chrout_clear": 15000,   # clear screen (147)
    "getin_empty": 40,
    "getin_key": 90,
    "plot_read": 20,
    "plot_set": 100,
    "irq": 330,              # hardware entry + $FF48 + $EA31 handler + RTI
}

ZP_KERNAL = range(0x90, 0xFB)   # scribbled by the simulated IRQ
#: Every page a KERNAL routine or the interrupt writes here: zero page, the stack, the
#: system variables ($0200-$03FF) and the screen (screen.SCREEN, 1,000 bytes).
WRITTEN_PAGES = range(0x00, 0x08)
STACK_SCRIBBLE = 16             # bytes below SP the IRQ may overwrite

# BASIC's CHRGET routine as the ROM copies it to $0073-$008A.
CHRGET = bytes([
    0xE6, 0x7A, 0xD0, 0x02, 0xE6, 0x7B, 0xAD, 0x00, 0x08, 0xC9, 0x3A, 0xB0,
    0x0A, 0xC9, 0x20, 0xF0, 0xEF, 0x38, 0xE9, 0x30, 0x38, 0xE9, 0xD0, 0x60,
])


def init_ram(ram, program_end: int = 0x0803) -> None:
    """Zero page and vectors as after power-on and loading a BASIC program."""
    ram[0x00] = 0x2F
    ram[0x01] = 0x37
    def word(addr: int, value: int) -> None:
        ram[addr] = value & 0xFF
        ram[addr + 1] = value >> 8
    word(0x2B, 0x0801)          # TXTTAB
    set_program_end(ram, program_end)
    word(0x33, 0xA000)          # FRETOP
    word(0x35, 0xA000)          # FRESPC
    word(0x37, 0xA000)          # MEMSIZ
    ram[0x73:0x73 + len(CHRGET)] = CHRGET
    word(0x7A, 0x0800)          # TXTPTR
    word(IRQ_VECTOR_RAM, KERNAL_IRQ)
    word(0x0316, 0xFE66)        # CBINV (BRK)
    word(0x0318, 0xFE47)        # NMINV
    ram[0x0286] = 14            # COLOR: light blue text
    ram[0x0288] = 0x04          # HIBASE: screen at $0400
    ram[0x0289] = 10            # XMAX: keyboard buffer size
    ram[0xCC] = 1               # BLNSW: cursor blink off while a program runs


def set_program_end(ram, end: int) -> None:
    """VARTAB/ARYTAB/STREND after LOAD of a program ending at ``end``."""
    for addr in (0x2D, 0x2F, 0x31):
        ram[addr] = end & 0xFF
        ram[addr + 1] = end >> 8


def chrout(m: "C64") -> int:
    """$FFD2: print A.  Preserves A, X, Y; clears carry; ends with CLI."""
    cpu = m.cpu
    before = m.screen.scrolls
    c = cpu.a
    for listener in m._chrout_listeners:
        listener(c)
    m.screen.chrout(c)
    cycles = CYCLES["chrout"]
    if c == 147:
        cycles += CYCLES["chrout_clear"]
    cycles += (m.screen.scrolls - before) * CYCLES["chrout_scroll"]
    _mirror_cursor(m)
    m.ram[0xD7] = c
    cpu.p &= ~(cpu.CARRY | cpu.INTERRUPT)
    return cycles


def getin(m: "C64") -> int:
    """$FFE4: next key in A (0 if none).  With a key: Y = key, X = keys buffered
    before the call (at most 10); N/Z from the key.  Empty: A = 0, Z set, X and Y
    unchanged.  Carry clear; ends with CLI."""
    cpu = m.cpu
    cpu.p &= ~(cpu.CARRY | cpu.INTERRUPT | cpu.ZERO | cpu.NEGATIVE)
    if not m.key_queue:
        cpu.a = 0
        cpu.p |= cpu.ZERO
        m.empty_polls += 1
        return CYCLES["getin_empty"]
    cpu.x = min(len(m.key_queue), 10)
    key = m.key_queue.popleft()
    cpu.a = cpu.y = key
    cpu.FlagsNZ(key)
    m.empty_polls = 0
    return CYCLES["getin_key"]


def plot(m: "C64") -> int:
    """$FFF0: carry set reads the cursor into X = row, Y = column; carry clear
    moves it there.  A is preserved."""
    cpu = m.cpu
    if cpu.p & cpu.CARRY:
        cpu.x, cpu.y = m.screen.row, m.screen.col
        return CYCLES["plot_read"]
    m.screen.plot(cpu.x, cpu.y)
    _mirror_cursor(m)
    return CYCLES["plot_set"]


def _mirror_cursor(m: "C64") -> None:
    """Leave the cursor variables in zero page as the KERNAL does."""
    s, ram = m.screen, m.ram
    ram[0xD3] = s.col                      # PNTR
    ram[0xD6] = s.row                      # TBLX
    line = 0x0400 + s.row * 40
    ram[0xD1], ram[0xD2] = line & 0xFF, line >> 8          # PNT
    cline = 0xD800 + s.row * 40
    ram[0xF3], ram[0xF4] = cline & 0xFF, cline >> 8        # USER
    ram[0xC7] = 0x12 if s.reverse else 0                   # RVS
    ram[0xD4] = 1 if s.quote else 0                        # QTSW


ENTRY_POINTS = {CHROUT: chrout, GETIN: getin, PLOT: plot}


def scribble(m: "C64") -> None:
    """What the KERNAL IRQ leaves behind, as far as a program can tell: $90-$FA
    and the 16 bytes at and below SP (within page 1) hold unpredictable values.
    Deterministic per machine seed; registers and flags are untouched (RTI)."""
    noise = m.rng.randbytes(len(ZP_KERNAL) + STACK_SCRIBBLE)
    ram = m.ram
    ram[ZP_KERNAL.start:ZP_KERNAL.stop] = noise[:len(ZP_KERNAL)]
    sp = m.cpu.sp
    for i in range(STACK_SCRIBBLE):
        ram[0x100 + ((sp - i) & 0xFF)] = noise[len(ZP_KERNAL) + i]
