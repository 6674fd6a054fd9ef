"""The C64 memory map as the compiler sees it: the check that a program fits, the lines that
bank BASIC out, and the zero page a program uses (from the runtime files' headers).

Free RAM (../shared/C64_FACTS.md): $0801–$9FFF with BASIC ROM banked in
(``$01 = $37``), and $0801–$CFFF with BASIC banked out (``$01 = $36``; the
KERNAL and I/O stay in, so its interrupt keeps running). Nothing is ever placed
at $D000 or above: that is I/O, the KERNAL ROM and the CPU vectors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from c64ml.backend6502.runtime import header
from c64ml.errors import C64mlError, DoesNotFit

BASIC_ROM = 0xA000  # first byte of BASIC ROM: the end of RAM while BASIC is banked in
UPPER_RAM = 0xC000  # $C000-$CFFF: 4 KB free whatever the banking
IO_START = 0xD000  # never placed at or above this
LOWEST_ORIGIN = 0x0900  # the lowest library origin (after a BASIC stub), where one is sized
#: Zero page that BASIC and the KERNAL interrupt leave alone: all a runtime file may use.
ZERO_PAGE_FREE = frozenset({0x02, 0xFB, 0xFC, 0xFD, 0xFE})


@dataclass
class Region:
    start: int
    end: int  # exclusive
    bank_out_basic: bool


def zero_page_used(files: Iterable[str], borrowed: Iterable[int] = ()) -> frozenset[int]:
    """The zero page a program touches: what the headers of the runtime ``files`` assembled
    into it declare (each must lie in ZERO_PAGE_FREE and be saved and restored, docs/abi.md),
    plus the addresses ``borrowed`` with interrupts off by unrolled layers."""
    used = set(borrowed)
    for name in files:
        h = header(name)
        if not (h.zero_page <= ZERO_PAGE_FREE and h.zero_page_restored):
            raise C64mlError(f"internal: runtime6502/{name} uses zero page outside "
                             "$02/$FB-$FE or does not restore it")
        used |= h.zero_page
    return frozenset(used)


def bank_out(save: str) -> list[str]:
    """6502 lines that keep $01 in ``save`` and bank BASIC ROM out ($37 -> $36: the KERNAL
    and I/O stay in, so its interrupt keeps running)."""
    return ["        lda $01                 ; the program reaches under BASIC ROM: bank it out",
            f"        sta {save}",
            "        and #$FE",
            "        sta $01"]


def bank_back(save: str) -> list[str]:
    """6502 lines that restore $01 from ``save``."""
    return [f"        lda {save}", "        sta $01"]


def regions_for(origin: int) -> list[Region]:
    """Where a program starting at ``origin`` may end, cheapest first."""
    if origin >= UPPER_RAM:
        return [Region(origin, IO_START, False)]
    if origin >= BASIC_ROM:
        return [Region(origin, IO_START, True)]
    return [Region(origin, BASIC_ROM, False), Region(origin, IO_START, True)]


def too_big(needed: int, origin: int, what: str) -> DoesNotFit:
    """The one-line refusal with the numbers and what to change."""
    available = IO_START - origin
    how = ", with BASIC banked out" if origin < BASIC_ROM else ""
    return DoesNotFit(
        f"{what} needs {needed} bytes from ${origin:04X} but only {available} are free "
        f"(${origin:04X}-$CFFF{how}); use fewer or narrower layers, or fewer embedded samples")


def default_library_origin(size: int) -> int:
    """$C000 when the library fits its 4 KB; else the highest page below BASIC ROM."""
    if size <= IO_START - UPPER_RAM:
        return UPPER_RAM
    origin = (BASIC_ROM - size) & ~0xFF
    return max(origin, LOWEST_ORIGIN)
