"""The 151 documented NMOS 6502 opcodes: encoding, size and base cycle counts.

Figures follow the MOS MCS6500 programming manual / datasheet timing tables.
``cycles`` is the base count; ``page_penalty`` marks the indexed *reads*
(``abx``/``aby``/``izy``) that take one more cycle when the effective address
lies in a different page from the base address. Stores and read-modify-write
instructions always take their fixed count. Branches are listed with 2 cycles
(not taken); see :func:`branch_cycles`.

``brk`` is listed with size 1, the byte an assembler emits; the CPU pushes
the address of the opcode plus 2, so the following byte is skipped on ``rti``.
"""

from __future__ import annotations

from dataclasses import dataclass

MODES = ("imp", "acc", "imm", "zp", "zpx", "zpy", "abs", "abx", "aby", "ind", "izx", "izy", "rel")

MODE_SIZE = {
    "imp": 1, "acc": 1, "imm": 2, "zp": 2, "zpx": 2, "zpy": 2,
    "abs": 3, "abx": 3, "aby": 3, "ind": 3, "izx": 2, "izy": 2, "rel": 2,
}


@dataclass(frozen=True)
class Opcode:
    code: int          # 0x00..0xFF
    mnemonic: str      # lower case, e.g. "lda"
    mode: str          # one of MODES
    size: int          # bytes including the opcode
    cycles: int        # base cycles, NMOS 6502
    page_penalty: bool  # +1 cycle if the indexed address crosses a page


# mnemonic: [(mode, code, cycles), ...]; a trailing "+" on the cycles marks a page penalty.
_GROUP_ALU = ("imm", "zp", "zpx", "abs", "abx", "aby", "izx", "izy")
_ALU_CYCLES = ("2", "3", "4", "4", "4+", "4+", "6", "5+")
_RMW = ("zp", "zpx", "abs", "abx")
_RMW_CYCLES = ("5", "6", "6", "7")


def _alu(base: int) -> list[tuple[str, int, str]]:
    """The eight-mode group-one pattern (ORA/AND/EOR/ADC/LDA/CMP/SBC) from its aaa bits."""
    offsets = (0x09, 0x05, 0x15, 0x0D, 0x1D, 0x19, 0x01, 0x11)
    return [(m, base + o, c) for m, o, c in zip(_GROUP_ALU, offsets, _ALU_CYCLES)]


def _rmw(base: int, acc: bool = True) -> list[tuple[str, int, str]]:
    """Shift/rotate/inc/dec memory forms (zp, zp,x, abs, abs,x) plus the accumulator form."""
    offsets = (0x06, 0x16, 0x0E, 0x1E)
    rows = [(m, base + o, c) for m, o, c in zip(_RMW, offsets, _RMW_CYCLES)]
    if acc:
        rows.insert(0, ("acc", base + 0x0A, "2"))
    return rows


_TABLE: dict[str, list[tuple[str, int, str]]] = {
    "ora": _alu(0x00), "and": _alu(0x20), "eor": _alu(0x40), "adc": _alu(0x60),
    "lda": _alu(0xA0), "cmp": _alu(0xC0), "sbc": _alu(0xE0),
    "sta": [("zp", 0x85, "3"), ("zpx", 0x95, "4"), ("abs", 0x8D, "4"), ("abx", 0x9D, "5"),
            ("aby", 0x99, "5"), ("izx", 0x81, "6"), ("izy", 0x91, "6")],
    "asl": _rmw(0x00), "rol": _rmw(0x20), "lsr": _rmw(0x40), "ror": _rmw(0x60),
    "dec": _rmw(0xC0, acc=False), "inc": _rmw(0xE0, acc=False),
    "ldx": [("imm", 0xA2, "2"), ("zp", 0xA6, "3"), ("zpy", 0xB6, "4"), ("abs", 0xAE, "4"),
            ("aby", 0xBE, "4+")],
    "ldy": [("imm", 0xA0, "2"), ("zp", 0xA4, "3"), ("zpx", 0xB4, "4"), ("abs", 0xAC, "4"),
            ("abx", 0xBC, "4+")],
    "stx": [("zp", 0x86, "3"), ("zpy", 0x96, "4"), ("abs", 0x8E, "4")],
    "sty": [("zp", 0x84, "3"), ("zpx", 0x94, "4"), ("abs", 0x8C, "4")],
    "cpx": [("imm", 0xE0, "2"), ("zp", 0xE4, "3"), ("abs", 0xEC, "4")],
    "cpy": [("imm", 0xC0, "2"), ("zp", 0xC4, "3"), ("abs", 0xCC, "4")],
    "bit": [("zp", 0x24, "3"), ("abs", 0x2C, "4")],
    "jmp": [("abs", 0x4C, "3"), ("ind", 0x6C, "5")],
    "jsr": [("abs", 0x20, "6")],
    "bpl": [("rel", 0x10, "2")], "bmi": [("rel", 0x30, "2")],
    "bvc": [("rel", 0x50, "2")], "bvs": [("rel", 0x70, "2")],
    "bcc": [("rel", 0x90, "2")], "bcs": [("rel", 0xB0, "2")],
    "bne": [("rel", 0xD0, "2")], "beq": [("rel", 0xF0, "2")],
    "brk": [("imp", 0x00, "7")], "rti": [("imp", 0x40, "6")], "rts": [("imp", 0x60, "6")],
    "php": [("imp", 0x08, "3")], "plp": [("imp", 0x28, "4")],
    "pha": [("imp", 0x48, "3")], "pla": [("imp", 0x68, "4")],
    "clc": [("imp", 0x18, "2")], "sec": [("imp", 0x38, "2")],
    "cli": [("imp", 0x58, "2")], "sei": [("imp", 0x78, "2")],
    "clv": [("imp", 0xB8, "2")], "cld": [("imp", 0xD8, "2")], "sed": [("imp", 0xF8, "2")],
    "dey": [("imp", 0x88, "2")], "dex": [("imp", 0xCA, "2")],
    "iny": [("imp", 0xC8, "2")], "inx": [("imp", 0xE8, "2")],
    "tay": [("imp", 0xA8, "2")], "tya": [("imp", 0x98, "2")],
    "tax": [("imp", 0xAA, "2")], "txa": [("imp", 0x8A, "2")],
    "tsx": [("imp", 0xBA, "2")], "txs": [("imp", 0x9A, "2")],
    "nop": [("imp", 0xEA, "2")],
}

OPCODES: dict[int, Opcode] = {
    code: Opcode(code, name, mode, MODE_SIZE[mode], int(cyc.rstrip("+")), cyc.endswith("+"))
    for name, rows in _TABLE.items() for mode, code, cyc in rows
}

BY_NAME: dict[tuple[str, str], Opcode] = {(o.mnemonic, o.mode): o for o in OPCODES.values()}

MNEMONICS: frozenset[str] = frozenset(o.mnemonic for o in OPCODES.values())

BRANCHES: frozenset[str] = frozenset(o.mnemonic for o in OPCODES.values() if o.mode == "rel")


def branch_cycles(taken: bool, page_crossed: bool) -> int:
    """Cycles of a relative branch: 2 not taken, 3 taken, 4 taken to another page.

    ``page_crossed`` compares the page of the target with the page of the
    instruction that follows the branch; it only matters when taken.
    """
    if not taken:
        return 2
    return 4 if page_crossed else 3
