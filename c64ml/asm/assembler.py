"""The c64ml two-pass 6502 assembler: source text in, a contiguous memory image out.

Pass 1 fixes every statement's size and address. An operand takes a zero-page
form only if its value is already known at that line (all its symbols defined
above it) and is below $100; otherwise the absolute form is used, so forward
references are absolute. ``a:expr`` forces absolute. Pass 2 encodes.
See docs/assembly.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from c64ml.asm.expr import Expr, evaluate, symbols_in
from c64ml.asm.opcodes import BRANCHES, BY_NAME, Opcode
from c64ml.asm.parse import RESERVED, Statement, parse, symbol_key
from c64ml.errors import AddressOverflow, C64mlError

DEFAULT_ORIGIN = 0x0801
#: Labels, constants and defines in one program (docs/assembly.md, "Limits").
MAX_SYMBOLS = 100_000
ADDRESS_END = 0x10000  # nothing may be placed at or beyond this

# Operand syntax -> (zero-page mode, absolute mode)
_MEMORY_MODES = {"mem": ("zp", "abs"), "memx": ("zpx", "abx"), "memy": ("zpy", "aby")}
_MODE_TEXT = {"imp": "no operand", "acc": "accumulator (a)", "imm": "immediate (#)",
              "zp": "zero page", "zpx": "zero page,x", "zpy": "zero page,y", "abs": "absolute",
              "abx": "absolute,x", "aby": "absolute,y", "ind": "indirect ()",
              "izx": "(zero page,x)", "izy": "(zero page),y", "rel": "relative"}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


@dataclass(slots=True)
class ListingLine:
    """One statement placed in memory, with its cycle information."""
    line: int                 # source line number
    address: int              # address of the first byte (or of the line if it has none)
    data: bytes               # the bytes this line produced
    text: str                 # the source line
    statement: Statement
    opcode: Opcode | None = None   # the chosen opcode for instructions
    value: int | None = None       # operand value (address, immediate or branch target)
    cycles: int | None = None      # base cycles for instructions
    extra: str = ""                # cycles it may add: "+1p", "+1b" or "+1b+1p" (see listing.py)
    note: str = ""                 # a warning, e.g. the NMOS jmp ($xxFF) bug


@dataclass
class Program:
    origin: int                       # address of data[0]
    data: bytes                       # contiguous image
    symbols: dict[str, int]           # labels, constants and defines (as first spelled)
    lines: list[ListingLine]          # one per source line
    local_symbols: dict[str, int] = field(default_factory=dict)  # "scope@local" -> address

    @property
    def end(self) -> int:
        """The address after the last byte."""
        return self.origin + len(self.data)

    def listing(self) -> str:
        """Address, bytes, cycles and source per line (c64ml/asm/listing.py)."""
        from c64ml.asm.listing import listing

        return listing(self.lines)


def assemble(source: str | list[Statement], filename: str = "<source>",
             origin: int = DEFAULT_ORIGIN, defines: dict[str, int] | None = None) -> Program:
    """Assemble c64ml source (text or statements from ``asm_parse.parse``)."""
    statements = parse(source, filename) if isinstance(source, str) else source
    asm = _Assembler(filename, origin, defines or {})
    return asm.run(statements)


class _Assembler:
    def __init__(self, filename: str, origin: int, defines: dict[str, int]) -> None:
        self.filename = filename
        if not isinstance(origin, int) or not 0 <= origin <= 0xFFFF:
            raise C64mlError(f"origin {origin!r} is not an address 0..$FFFF", filename)
        self.origin = origin
        self.values: dict[str, int] = {}   # lower-case key -> value
        self.spelling: dict[str, str] = {}  # lower-case key -> name as first written
        for name, value in defines.items():
            if not isinstance(name, str) or not _NAME.match(name) or name.lower() in RESERVED:
                raise C64mlError(f"bad define name {name!r}", filename)
            if not isinstance(value, int) or not -(1 << 31) < value < (1 << 31):
                raise C64mlError(f"define {name} must be a 32-bit integer", filename)
            try:
                self._define(name, None, value)
            except C64mlError as e:
                raise e.at(filename) from None

    def _error(self, st: Statement, message: str) -> C64mlError:
        return C64mlError(message, self.filename, f"line {st.line}")

    def _define(self, name: str, scope: str | None, value: int) -> None:
        key = symbol_key(name, scope)
        if key in self.values or key in self.spelling:
            raise C64mlError(f"{name!r} is already defined")
        self._count_symbol()
        self.values[key] = value
        self.spelling[key] = f"{scope}{name}" if name.startswith("@") else name

    def _value(self, e: Expr, st: Statement, pc: int) -> int | None:
        return evaluate(e, lambda n: self.values.get(symbol_key(n, st.scope)), pc)

    def _require(self, e: Expr, st: Statement, pc: int, what: str = "value") -> int:
        """A value that must be known now (pass 2, or pass 1 for sizes)."""
        v = self._value(e, st, pc)
        if v is None:
            missing = [n for n in symbols_in(e) if symbol_key(n, st.scope) not in self.values]
            raise C64mlError(f"undefined symbol {missing[0]!r}" if missing else
                             f"{what} is not known here")
        return v

    # -- pass 1 -----------------------------------------------------------------------------
    def run(self, statements: list[Statement]) -> Program:
        placed: list[tuple[Statement, int, int, Opcode | None]] = []
        pending: list[tuple[Statement, int]] = []
        pc, started, origin = self.origin, False, self.origin
        for st in statements:
            try:
                size, opcode = 0, None
                if st.kind == "org":
                    addr = self._known(st, pc, 0, ".org address")
                    self._check(addr, 0, 0xFFFF, ".org address")
                    if not started:
                        pc = origin = addr
                    elif addr < pc:
                        raise C64mlError(f".org ${addr:04X} is below the current address ${pc:04X}")
                    else:
                        size = addr - pc
                if st.label:
                    self._define(st.label, st.scope, pc)
                if st.kind == "const":
                    v = self._value(st.args[0], st, pc)
                    if v is None:
                        pending.append((st, pc))
                        self._reserve(st.name)
                    else:
                        self._define(st.name, None, v)
                elif st.kind == "insn":
                    opcode = self._choose(st, pc)
                    size = opcode.size
                elif st.kind == "byte":
                    size = sum(len(a) if isinstance(a, bytes) else 1 for a in st.args)
                elif st.kind == "word":
                    size = 2 * len(st.args)
                elif st.kind == "res":
                    size = self._known(st, pc, 0, ".res count")
                    self._check(size, 0, ADDRESS_END, ".res count")
                elif st.kind == "align":
                    n = self._known(st, pc, 0, ".align boundary")
                    if n < 1 or n > 0x8000 or n & (n - 1):
                        raise C64mlError(".align boundary must be a power of two from 1 to $8000")
                    size = -pc % n
                if pc + size > ADDRESS_END:
                    raise AddressOverflow("the program runs past $FFFF (64 KiB limit)")
            except C64mlError as e:
                raise e.at(self.filename, f"line {st.line}") from None
            placed.append((st, pc, size, opcode))
            started = started or size > 0
            pc += size
        self._resolve_constants(pending)
        return self._pass2(placed, origin)

    def _reserve(self, name: str) -> None:
        if name.lower() in self.values or name.lower() in self.spelling:
            raise C64mlError(f"{name!r} is already defined")
        self._count_symbol()
        self.spelling[name.lower()] = name

    def _count_symbol(self) -> None:
        if len(self.spelling) >= MAX_SYMBOLS:
            raise C64mlError(f"more than {MAX_SYMBOLS} symbols (labels and constants); that "
                             "is the limit")

    def _known(self, st: Statement, pc: int, index: int, what: str) -> int:
        v = self._value(st.args[index], st, pc)
        if v is None:
            raise C64mlError(f"{what} must be known at this line (no forward references)")
        return v

    @staticmethod
    def _check(v: int, lo: int, hi: int, what: str) -> int:
        if not lo <= v <= hi:
            raise C64mlError(f"{what} {v} is out of range {lo}..{hi}")
        return v

    def _choose(self, st: Statement, pc: int) -> Opcode:
        """Pick the opcode for an instruction from its operand syntax (pass 1)."""
        m, syntax = st.mnemonic, st.operand
        if m in BRANCHES:
            if syntax != "mem" or st.force_abs:
                raise C64mlError(f"{m} takes a target address or label")
            return BY_NAME[(m, "rel")]
        if syntax == "imp" and (m, "imp") not in BY_NAME:
            syntax = "acc"
        if syntax in _MEMORY_MODES:
            zp_mode, abs_mode = _MEMORY_MODES[syntax]
            v = self._value(st.args[0], st, pc)
            if not st.force_abs and v is not None and 0 <= v < 0x100 and (m, zp_mode) in BY_NAME:
                return BY_NAME[(m, zp_mode)]
            if (m, abs_mode) in BY_NAME:
                return BY_NAME[(m, abs_mode)]
            if (m, zp_mode) in BY_NAME:
                if st.force_abs:
                    raise C64mlError(f"{m} has no {_MODE_TEXT[abs_mode]} mode to force")
                if v is None:
                    raise C64mlError(f"{m} {_MODE_TEXT[zp_mode]} needs an operand known at this "
                                     "line (define it above)")
                raise C64mlError(f"{m} {_MODE_TEXT[zp_mode]}: ${v:X} is not a zero-page address")
            syntax = abs_mode
        if (m, syntax) not in BY_NAME:
            modes = ", ".join(_MODE_TEXT[mode] for (name, mode) in BY_NAME if name == m)
            raise C64mlError(f"{m} has no {_MODE_TEXT.get(syntax, syntax)} mode (it has: {modes})")
        return BY_NAME[(m, syntax)]

    def _resolve_constants(self, pending: list[tuple[Statement, int]]) -> None:
        """Give each constant not known at its line its value, in dependency order: a
        depth-first walk with an explicit stack, each constant evaluated once, so a chain of
        n constants defined by one another takes time linear in n (not n passes)."""
        where = {st.name.lower(): (st, pc) for st, pc in pending}

        def deps(st: Statement) -> list[str]:
            keys = dict.fromkeys(symbol_key(n, st.scope) for n in symbols_in(st.args[0]))
            return [k for k in keys if k not in self.values]

        state: dict[str, int] = {}          # 1: on the stack, 2: done
        for root in where:
            if root in self.values:
                continue
            stack = [root]
            state[root] = 1
            while stack:
                key = stack[-1]
                st, pc = where[key]
                for dep in deps(st):
                    if dep not in where:
                        raise self._error(st, f"undefined symbol {self._name(dep, st)!r}")
                    if state.get(dep) == 1:
                        raise self._error(st, f"circular definition of {st.name!r} "
                                              f"(via {self._name(dep, st)!r})")
                    state[dep] = 1
                    stack.append(dep)
                    break
                else:                        # every symbol it uses is known: evaluate it
                    try:
                        v = self._value(st.args[0], st, pc)
                    except C64mlError as e:
                        raise e.at(self.filename, f"line {st.line}") from None
                    self.values[key] = v
                    state[key] = 2
                    stack.pop()

    @staticmethod
    def _name(key: str, st: Statement) -> str:
        """A symbol as written in ``st`` (for messages)."""
        for n in symbols_in(st.args[0]):
            if symbol_key(n, st.scope) == key:
                return n
        return key

    # -- pass 2 -----------------------------------------------------------------------------
    def _pass2(self, placed, origin: int) -> Program:
        image = bytearray()
        lines: list[ListingLine] = []
        for st, pc, size, opcode in placed:
            try:
                ln = ListingLine(st.line, pc, b"", st.text, st, opcode)
                ln.data = self._encode(st, pc, size, ln)
            except C64mlError as e:
                raise e.at(self.filename, f"line {st.line}") from None
            if ln.data:
                image += ln.data
            lines.append(ln)
        symbols = {self.spelling[k]: v for k, v in self.values.items() if "@" not in k}
        local = {self.spelling[k]: v for k, v in self.values.items() if "@" in k}
        return Program(origin, bytes(image), symbols, lines, local)

    def _encode(self, st: Statement, pc: int, size: int, ln: ListingLine) -> bytes:
        kind = st.kind
        if kind == "insn":
            return self._encode_insn(st, pc, ln)
        if kind == "byte":
            out = bytearray()
            for a in st.args:
                out += a if isinstance(a, bytes) else bytes([self._byte(a, st, pc)])
            return bytes(out)
        if kind == "word":
            words = [self._check(self._require(a, st, pc), -0x8000, 0xFFFF, "word") & 0xFFFF
                     for a in st.args]
            return b"".join(w.to_bytes(2, "little") for w in words)
        if kind in ("res", "align", "org"):
            fill = self._byte(st.args[1], st, pc) if len(st.args) > 1 else 0
            return bytes([fill]) * size
        return b""

    def _byte(self, e: Expr, st: Statement, pc: int) -> int:
        return self._check(self._require(e, st, pc), -0x80, 0xFF, "byte value") & 0xFF

    def _encode_insn(self, st: Statement, pc: int, ln: ListingLine) -> bytes:
        op = ln.opcode
        ln.cycles = op.cycles
        if op.mode in ("imp", "acc"):
            return bytes([op.code])
        if op.mode == "imm":
            v = self._byte(st.args[0], st, pc)
            ln.value = v
            return bytes([op.code, v])
        v = self._require(st.args[0], st, pc)
        ln.value = v
        if op.mode == "rel":
            self._check(v, 0, 0xFFFF, "branch target")
            offset = v - (pc + 2)
            if not -128 <= offset <= 127:
                raise C64mlError(f"branch out of range: target ${v:04X} is {offset} bytes away "
                                 "(limit -128..127)")
            crosses = (v >> 8) != ((pc + 2) >> 8)
            ln.extra = "+1b+1p" if crosses else "+1b"  # taken; taken to another page
            return bytes([op.code, offset & 0xFF])
        if op.size == 2:
            self._check(v, 0, 0xFF, f"{_MODE_TEXT[op.mode]} address")
            if op.page_penalty:
                ln.extra = "+1p"  # (zp),y: the pointer is only known at run time
            return bytes([op.code, v])
        self._check(v, 0, 0xFFFF, "address")
        if op.page_penalty and v & 0xFF:  # a page-aligned base never crosses
            ln.extra = "+1p"
        if op.mode == "ind" and v & 0xFF == 0xFF:
            ln.note = f"NMOS bug: high byte is read from ${v & 0xFF00:04X}, not ${v + 1:04X}"
        return bytes([op.code, v & 0xFF, v >> 8])
