"""The fast execution engine: 6502 code translated into Python functions.

``FastEngine.run`` has the contract of ``CPU.run`` (execute until a trap address, which it
returns, or until ``processorCycles >= event_at`` after an instruction, returning None) and
leaves registers, flags, cycles and memory exactly as the reference core (``CPU``) would.
docs/harness.md, "The fast engine", explains the design; in short:

* A *block* is the code along a linear decode from one start address: forward branches
  to an instruction further on become ``if``/``else``, branches and jumps back to the start
  become ``continue`` of a ``while True``, other branches are exits.  It is generated as
  Python source from the templates below (one per operation, like py65's ``op*`` methods),
  compiled once and cached per start address and memory map ($01 banking).  Code runs on
  generic one-instruction functions until its address has been reached ``HOT`` times, so
  code that runs once is never compiled.  N/Z and V results overwritten before they can be
  read or the block can leave are not computed.
* Translations are shared by every engine of the process (``_TRANSLATIONS``): each records
  the engine state it read (code bytes, volatile and store-target marks, traps, existing
  blocks, ...), and an engine with the same values there reuses it without generating or
  compiling anything.
* A block touches only plain RAM.  Instructions that may reach I/O, ROM or $00/$01, that
  may clear I (CLI, PLP, RTI), SED, BRK and the undocumented opcodes are executed by the
  reference core (``CPU.step``): the block ends before them, or, for a computed address,
  leaves before the instruction at run time.  Decimal mode runs on the reference core.
* Events: a block runs only if its worst-case cycles end before ``event_at``; near an
  event the engine runs one-instruction blocks, and the reference core for the last one,
  so interrupts, the cycle budget and the exit port act at the same instruction.
* Self-modifying code: RAM writes check a per-byte map of translated code (writes to fixed
  addresses and pages without code skip the check; translating code there drops the
  writer instead).  A hit drops the blocks holding the byte and ends the current block;
  the byte becomes *volatile*: later translations read it from memory at run time, so a
  patched operand costs nothing more; an opcode hit twice is left to the reference core.
"""

from __future__ import annotations

import operator
import re
import time

from c64ml.machine.cpu import CPU

BAIL = 0x10000          # added to a returned PC: the reference core executes this instruction
ROOM = 0x20000          # ... added as well: it would not end before the next event
MAX_INSTRUCTIONS = 24   # decoded per block
HOT = 3                 # entries into an address before it is translated
NEAR = 10 * MAX_INSTRUCTIONS    # cycles before an event in which nothing is translated

# --- the operations -------------------------------------------------------------------
# Flags in generated code: n (bit 7 is N), z (Z is set iff z == 0), c (0/1), v (truthy), p
# (D, I, B and the unused bit; its N, V, Z, C bits are stale).  ADC and SBC assume D clear.
READ = {   # operations on a byte M read from memory or an immediate operand
    "LDA": "a = n = z = {M}",
    "LDX": "x = n = z = {M}",
    "LDY": "y = n = z = {M}",
    "AND": "a &= {M}; n = z = a",
    "ORA": "a |= {M}; n = z = a",
    "EOR": "a ^= {M}; n = z = a",
    "CMP": "n = z = a - {M}; c = z >= 0",
    "CPX": "n = z = x - {M}; c = z >= 0",
    "CPY": "n = z = y - {M}; c = z >= 0",
    "BIT": "n = {M}; v = n & 0x40; z = a & n",
    "ADC": "m = {M}; r = a + m + c; v = ~(a ^ m) & (a ^ r) & 0x80; c = r >> 8; "
           "a = n = z = r & 0xFF",
    "SBC": "m = {M}; r = a + (m ^ 0xFF) + c; v = (a ^ m) & (a ^ r) & 0x80; c = r >> 8; "
           "a = n = z = r & 0xFF",
}
STORE = {"STA": "a", "STX": "x", "STY": "y"}   # the byte written
MODIFY = {  # read-modify-write of t (memory) or a (accumulator mode)
    "ASL": "c = t >> 7; t = (t << 1) & 0xFF; n = z = t",
    "LSR": "c = t & 1; t >>= 1; n = z = t",
    "ROL": "t = (t << 1) | c; c = t >> 8; t &= 0xFF; n = z = t",
    "ROR": "t |= c << 8; c = t & 1; t >>= 1; n = z = t",
    "INC": "t = (t + 1) & 0xFF; n = z = t",
    "DEC": "t = (t - 1) & 0xFF; n = z = t",
}
IMPLIED = {
    "TAX": "x = n = z = a", "TAY": "y = n = z = a", "TXA": "a = n = z = x",
    "TYA": "a = n = z = y", "TSX": "x = n = z = s", "TXS": "s = x",
    "INX": "x = n = z = (x + 1) & 0xFF", "DEX": "x = n = z = (x - 1) & 0xFF",
    "INY": "y = n = z = (y + 1) & 0xFF", "DEY": "y = n = z = (y - 1) & 0xFF",
    "CLC": "c = 0", "SEC": "c = 1", "CLV": "v = 0", "CLD": "p &= 0xF7", "SEI": "p |= 4",
    "NOP": "pass",
    "PLA": "s = (s + 1) & 0xFF; a = n = z = R[0x100 + s]",
}
PUSH = {"PHA": "a",
        "PHP": "(p & 0x0C) | 0x30 | (n & 0x80) | (0 if z else 2) | c | (0x40 if v else 0)"}
BRANCH = {  # condition for "taken"
    "BPL": "not n & 0x80", "BMI": "n & 0x80", "BVC": "not v", "BVS": "v",
    "BCC": "not c", "BCS": "c", "BNE": "z", "BEQ": "not z",
}
JUMPS = ("JMP", "JSR", "RTS")
STEPPED = {"BRK", "CLI", "PLP", "RTI", "SED"}   # always the reference core's
LENGTH = {"imp": 1, "acc": 1, "imm": 2, "zpg": 2, "zpx": 2, "zpy": 2, "inx": 2, "iny": 2,
          "rel": 2, "abs": 3, "abx": 3, "aby": 3, "ind": 3}
_PY65 = CPU.__mro__[1]
_CODE_CACHE: dict[str, object] = {}     # generated source -> code object, for all machines
#: ``m = X; r = a + m + c;`` (or SBC's) once V is not computed: X read in place
_M_ONCE = re.compile(r"(^\s*|; )m = ([^;]+); r = a \+ m \+ c;")
_M_ONCE_SBC = re.compile(r"(^\s*|; )m = ([^;]+); r = a \+ \(m \^ 0xFF\) \+ c;")
#: 1 at addresses that decoded code jumps or branches to from outside its block (or returns
#: to after a JSR), for all machines: straight code is split there, so that the blocks
#: entered there and the blocks running through follow one chain (block shapes never change
#: results; they only decide how often the same code is translated again)
_ENTRIES = bytearray(0x10000)


class _All:
    """Every byte volatile (the generic one-instruction functions)."""

    def __getitem__(self, addr: int) -> int:
        return 1


_ALL = _All()


def _writes_zp(op: int) -> bool:
    """Whether the instruction writes memory in zero page addressing."""
    name, mode = CPU.disassemble[op]
    return mode in ("zpg", "zpx", "zpy") and (name in STORE or name in MODIFY)


class _Rec:
    """Reads ``arr`` and notes the first value read at each index in ``seen``."""
    __slots__ = ("arr", "seen")

    def __init__(self, arr, seen: dict) -> None:
        self.arr, self.seen = arr, seen

    def __getitem__(self, i: int):
        v = self.arr[i]
        self.seen.setdefault(i, v)
        return v


class _RecBool(_Rec):
    __slots__ = ()

    def __getitem__(self, i: int) -> bool:
        v = bool(self.arr[i])
        self.seen.setdefault(i, v)
        return v


class _RecIn(_Rec):
    __slots__ = ()

    def __contains__(self, i: int) -> bool:
        v = i in self.arr
        self.seen.setdefault(i, v)
        return v


class _Translation:
    """A block's translation, with the engine state it was made from (what ``_Gen`` read):
    any engine whose state has the same values there gets the same block."""
    __slots__ = ("bytes", "checks", "code", "opcodes", "owned", "span", "start", "stores",
                 "write_pages", "writes")

    def __init__(self, gen: _Gen, code) -> None:
        checks = []
        for kind, seen in gen.deps.items():
            idx = [i for i, v in seen.items() if v is not None]
            if idx:
                vals = tuple(seen[i] for i in idx)
                checks.append((kind, operator.itemgetter(*idx),
                               vals if len(idx) > 1 else vals[0], tuple(idx)))
        self.checks = checks
        self.start, self.span = gen.start, gen.span
        self.bytes = bytes(gen.mem[gen.start:gen.span])
        self.code, self.owned = code, tuple(gen.owned)
        self.writes, self.write_pages = frozenset(gen.writes), frozenset(gen.write_pages)
        owned = set(gen.owned)
        self.opcodes = tuple(t.addr for t in gen.ins if t.addr in owned)
        self.stores = tuple(gen.stores)

    def fits(self, eng: FastEngine) -> bool:
        if eng.ram[self.start:self.span] != self.bytes:
            return False
        arrays = eng.dep_arrays
        for kind, get, vals, idx in self.checks:
            if kind == "pb":
                pb = eng.page_blocks
                got = tuple(bool(pb[i]) for i in idx)
                if got != (vals if len(idx) > 1 else (vals,)):
                    return False
            elif kind == "known":
                cache = eng.cache
                got = tuple(i in cache for i in idx)
                if got != (vals if len(idx) > 1 else (vals,)):
                    return False
            elif get(arrays[kind]) != vals:
                return False
        # replaying the stores must not drop blocks (translating did not)
        tg, code, opc = eng.targets, eng.code, eng.opcodes
        return not any(not tg[e] and code[e] and not opc[e] for e in self.stores)


#: memory map -> start address -> translations made there, by any engine of the process
_TRANSLATIONS: dict[tuple, dict[int, list[_Translation]]] = {}
MAX_VARIANTS = 8
_GENERIC: list = []                     # the code object of the generic functions


def _generic_code():
    """One function per opcode that executes that instruction at any ``pc``."""
    if not _GENERIC:
        parts = []
        for op in range(256):
            t = Instr(0, op)
            if not t.stop:
                parts.append(_Gen(None, 0, 1, op).source(f"op_{op:02X}"))
        _GENERIC.append(compile("\n".join(parts), "<6502 generic>", "exec"))
    return _GENERIC[0]


def _exit(pc, k: int = 0, j: int = 0, flag: int = 0) -> str:
    """``return`` of the state with ``pc`` (int or source) and k cycles, j instructions
    still to add; ``flag`` BAIL or BAIL | ROOM."""
    cyc = f"cyc + {k}" if k else "cyc"
    ni = f"ni + {j}" if j else "ni"
    target = (pc | flag) if isinstance(pc, int) else (f"{pc} | {flag}" if flag else pc)
    return f"return ({target}, a, x, y, s, p, n, z, c, v, {cyc}, {ni})"


class Instr:
    __slots__ = ("addr", "op", "name", "mode", "length", "cycles", "extra", "stop")

    def __init__(self, addr: int, op: int) -> None:
        name, mode = CPU.disassemble[op]
        self.addr, self.op, self.name, self.mode = addr, op, name, mode
        self.length = LENGTH.get(mode, 1)
        self.cycles = CPU.cycletime[op]
        self.extra = CPU.extracycles[op]
        stepped = CPU.instruct[op] is not _PY65.instruct[op] or name in STEPPED
        self.stop = "step" if stepped else None   # or "trap": return to the dispatcher


class Block:
    """A translated block: its function, the bytes it was translated from, and the fixed
    addresses and pages it writes without checking for translated code."""
    __slots__ = ("key", "pc", "fn", "owned", "writes", "write_pages")

    def __init__(self, key, pc, fn, owned, writes, write_pages) -> None:
        self.key, self.pc, self.fn, self.owned = key, pc, fn, owned
        self.writes, self.write_pages = writes, write_pages


class _Gen:
    """Python source for one block (see the module docstring)."""

    def __init__(self, eng: "FastEngine | None", start: int, limit: int,
                 op: int | None = None) -> None:
        self.eng, self.start = eng, start
        self.generic = op is not None
        self.reset()
        if self.generic:          # any address: every operand byte is read at run time
            self.vol, self.mem, self.ns = _ALL, None, None
            self.ins, self.index = [Instr(0, op)], {0: 0}
            self.end = self.ins[0].length
            self.mine: set[int] = set()
            return
        self.ns = eng.ns
        # the engine's state, read through recorders: the reads are the block's dependencies
        # (a later machine with the same values gets the same block: _TRANSLATIONS)
        # (memory: every read is in the bytes of the first decode, compared as a whole)
        self.deps = {k: {} for k in ("vol", "tg", "traps", "code", "xp", "pb", "known")}
        d = self.deps
        self.mem, self.vol = eng.ram, _Rec(eng.volatile, d["vol"])
        self.tg, self.traps = _Rec(eng.targets, d["tg"]), _Rec(eng.cpu.traps, d["traps"])
        self.cm, self.xp = _Rec(eng.code, d["code"]), _Rec(eng.exec_pages, d["xp"])
        self.pb = _RecBool(eng.page_blocks, d["pb"])
        self.decode(limit, None)
        self.span = min(self.end, 0x10000)      # the code bytes read
        if not self.loops():      # straight code: end at blocks that exist (no duplicates)
            self.decode(limit, _RecIn(eng.cache, d["known"]))
        self.mine = {a for t in self.ins for a in range(t.addr, t.addr + t.length)}

    def reset(self) -> None:
        """The state of an emitting pass."""
        self.lines: list[str] = []
        self.k = self.j = 0       # cycles and instructions not yet added to cyc / ni
        self.maxc = 0
        self.decimal = False
        self.owned: list[int] = []
        self.writes: set[int] = set()
        self.write_pages: set[int] = set()
        self.stores: list[int] = []
        self.exits: dict[int, bool] = {}        # index of a plain instruction -> may leave
        self.spans: dict[int, tuple[int, int]] = {}     # ... -> its lines

    def store(self, e: int) -> None:
        """Translated code stores to the fixed address ``e`` (``FastEngine.stored_to``)."""
        self.deps["tg"].setdefault(e, None)     # later reads see this block's own store
        self.stores.append(e)
        self.eng.stored_to(e)

    # --- decoding ----------------------------------------------------------------
    def loops(self) -> bool:
        """Whether a branch or JMP in the decoded code goes back to the start."""
        mem = self.mem
        for t in self.ins:
            if t.stop:
                continue
            if t.name in BRANCH and not self.dyn(t.addr + 1):
                off = mem[t.addr + 1]
                if (t.addr + 2 + (off - 256 if off & 0x80 else off)) & 0xFFFF == self.start:
                    return True
            elif t.name == "JMP" and t.mode == "abs" and not self.dyn(t.addr + 1) \
                    and not self.dyn(t.addr + 2) \
                    and mem[t.addr + 1] | mem[t.addr + 2] << 8 == self.start:
                return True
        return False

    def decode(self, limit: int, known) -> None:
        mem, rd, traps, vol = self.mem, self.ns["RD"], self.traps, self.vol
        self.ins: list[Instr] = []
        self.index: dict[int, int] = {}
        pc = reach = self.start
        targets: list[int] = []
        while len(self.ins) < limit:
            t = Instr(pc, mem[pc])
            if pc != self.start and (traps[pc] or (known is not None and (
                    pc in known or _ENTRIES[pc]))):
                t.stop = "trap"
            elif vol[pc] or pc + t.length > 0x10000 or not all(
                    rd[(pc + i) >> 8] for i in range(1, t.length)) or self.needs_core(t):
                t.stop = "step"
            self.index[pc] = len(self.ins)
            self.ins.append(t)
            if t.stop == "trap":
                break
            if t.name in BRANCH and not t.stop and not self.dyn(pc + 1):
                off = mem[pc + 1]
                target = pc + 2 + (off - 256 if off & 0x80 else off)
                reach = max(reach, target)
                targets.append(target & 0xFFFF)
            elif t.name in ("JMP", "JSR") and t.mode == "abs" and not t.stop and not (
                    self.dyn(pc + 1) or self.dyn(pc + 2)):
                targets.append(mem[pc + 1] | mem[pc + 2] << 8)
                if t.name == "JSR":
                    targets.append((pc + 3) & 0xFFFF)
            pc += t.length
            if pc > 0xFFFF or ((t.stop or t.name in JUMPS) and pc >= reach):
                break
        self.end = pc
        if known is not None or self.loops():
            for e in targets:
                if e not in self.index:
                    _ENTRIES[e] = 1

    def needs_core(self, t: Instr) -> bool:
        """A fixed address outside plain RAM (I/O, ROM, $00/$01): the reference core's."""
        if self.ns["ZPW"] and _writes_zp(t.op):
            return True
        if t.mode not in ("zpg", "abs", "ind") or t.mode == "abs" and t.name in JUMPS:
            return False
        if any(self.dyn(t.addr + i) for i in range(1, t.length)):
            return False                        # checked at run time
        mem = self.mem
        e = mem[t.addr + 1] | (mem[t.addr + 2] << 8 if t.length == 3 else 0)
        rd, wr = self.ns["RD"], self.ns["WR"]
        if t.mode == "ind":
            return not rd[e >> 8]
        read = t.name in READ or t.name in MODIFY
        write = t.name in STORE or t.name in MODIFY
        return bool((read and not rd[e >> 8])
                    or (write and (e < 2 or ((e > 0xFF or self.ns["ZPW"])
                                             and not wr[e >> 8]))))

    # --- emitting ----------------------------------------------------------------
    def line(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def flush(self, depth: int, k: int = 0, j: int = 0) -> None:
        k, j = self.k + k, self.j + j
        self.k = self.j = 0
        if k or j:
            self.line(depth, f"cyc += {k}; ni += {j}")

    def at(self, addr: int, wrap: bool = False):
        """An address in the code: an int, or source relative to ``pc`` (generic)."""
        if not self.generic:
            return addr & 0xFFFF if wrap else addr
        text = f"(pc + {addr})" if addr else "pc"
        return f"({text} & 0xFFFF)" if wrap and addr else text

    def source(self, name: str = "block") -> str:
        self.seq(0, None, 2)
        if not self.generic:    # drop the dead flag updates
            lines = self.lines
            for i, (nz, v) in self.dead_flags().items():
                lo, hi = self.spans[i]
                for k in range(lo, hi):
                    ln = lines[k]
                    if nz:
                        ln = (ln.replace("; n = z = a", "").replace("; n = z = t", "")
                              .replace("n = z = ", ""))
                    if v:
                        ln = (ln.replace("v = ~(a ^ m) & (a ^ r) & 0x80; ", "")
                              .replace("v = (a ^ m) & (a ^ r) & 0x80; ", ""))
                        ln = _M_ONCE.sub(r"\1r = a + \2 + c;", ln)   # m read once
                        ln = _M_ONCE_SBC.sub(r"\1r = a + (\2 ^ 0xFF) + c;", ln)
                    lines[k] = ln
            for i, k, carry in self.carry_constants():   # CLC/SEC folded into ADC/SBC
                lo, hi = self.spans[i]
                for j in range(lo, hi):
                    lines[j] = lines[j][:len(lines[j]) - len(lines[j].lstrip())] + "pass"
                lo, hi = self.spans[k]
                for j in range(lo, hi):
                    lines[j] = lines[j].replace(" + c;", ";" if carry == 0 else " + 1;")
        start = self.at(self.start)
        args = "a, x, y, s, p, n, z, c, v, cyc, ni, ev" + (", pc" if self.generic else "")
        head = [f"def {name}({args}):"]
        if not self.generic:     # one instruction may end past the event (as in CPU.run)
            head.append(f"    if cyc + {self.maxc} >= ev: " + _exit(start, flag=BAIL | ROOM))
        if self.generic and self.end > 1:      # operand bytes past the end of a page
            head.append(f"    if pc > {0x10000 - self.end} or not RD[(pc + {self.end - 1}) >> 8]: "
                        + _exit(start, flag=BAIL))
        if self.decimal:
            head.append("    if p & 8: " + _exit(start, flag=BAIL))
        head.append("    while True:")
        return "\n".join(head + self.lines).replace("{MAXC}", str(self.maxc)) + "\n"

    def seq(self, i: int, stop: int | None, depth: int) -> int:
        """Emit the instructions from index i up to the one at address ``stop`` (or to the
        end); returns the index where it stopped."""
        ins = self.ins
        while i < len(ins) and ins[i].addr != stop:
            t = ins[i]
            if t.stop:
                self.line(depth, _exit(t.addr, self.k, self.j, BAIL if t.stop == "step" else 0))
                self.k = self.j = 0
                return self.index[stop] if stop is not None else len(ins)
            self.owned.extend(a for a in range(t.addr, t.addr + t.length)
                              if not (self.dyn(a) if a > t.addr else self.vol[a]))
            self.maxc += t.cycles + (2 if t.name in BRANCH else 1 if t.extra else 0)
            if t.name in BRANCH:
                i = self.branch(i, t, stop, depth)
                continue
            if t.name in JUMPS:
                self.jump(t, depth)
                return self.index[stop] if stop is not None else len(ins)
            lines = len(self.lines)
            self.plain(t, depth, self.nz_dead(i))
            self.exits[i] = any("return" in ln for ln in self.lines[lines:])
            self.spans[i] = (lines, len(self.lines))
            i += 1
        if i >= len(ins):         # ran off the decoded code: go on in another block
            self.line(depth, _exit(self.at(self.end, wrap=True), self.k, self.j))
            self.k = self.j = 0
        return i

    def dyn(self, addr: int) -> bool:
        """Whether the operand byte at ``addr`` is read at run time: it is volatile, or a
        fixed address that translated code stores to."""
        return bool(self.vol[addr] or (not self.generic and self.tg[addr]))

    def opbyte(self, t: Instr, i: int) -> str:
        a = t.addr + i
        return f"R[{self.at(a)}]" if self.dyn(a) else str(self.mem[a])

    def word(self, t: Instr):
        """The operand word: an int, or source for it when a byte is volatile."""
        lo, hi = self.opbyte(t, 1), self.opbyte(t, 2)
        if lo.isdigit() and hi.isdigit():
            return int(lo) | int(hi) << 8
        return f"({lo} | {hi} << 8)"

    def back(self, depth: int) -> None:
        """Jump back to the start of the block (cycles already added)."""
        self.line(depth, "if cyc + {MAXC} >= ev: " + _exit(self.start))
        self.line(depth, "continue")

    def branch(self, i: int, t: Instr, stop: int | None, depth: int) -> int:
        cond = BRANCH[t.name]
        self.flush(depth, t.cycles, 1)
        nxt = t.addr + 2
        if self.dyn(t.addr + 1):
            self.line(depth, f"if {cond}:")
            page = nxt & 0xFF00 if not self.generic else f"{self.at(nxt)} & 0xFF00"
            self.line(depth + 1, f"o = R[{self.at(t.addr + 1)}]; "
                                 f"o = {self.at(nxt)} + (o - 256 if o & 0x80 else o)")
            self.line(depth + 1, f"cyc += 1 if {page} == o & 0xFF00 else 2")
            self.line(depth + 1, _exit("o & 0xFFFF"))
            return i + 1
        off = self.mem[t.addr + 1]
        target = nxt + (off - 256 if off & 0x80 else off)
        extra = 1 if (nxt & 0xFF00) == (target & 0xFF00) else 2   # py65's page test
        target &= 0xFFFF
        j = self.index.get(target)
        if target == self.start:
            self.line(depth, f"if {cond}:")
            self.line(depth + 1, f"cyc += {extra}")
            self.back(depth + 1)
            return i + 1
        if j is not None and j > i and target > t.addr and (stop is None or target <= stop):
            self.line(depth, f"if {cond}:")
            self.line(depth + 1, f"cyc += {extra}")
            if j > i + 1:
                self.line(depth, "else:")
                self.seq(i + 1, target, depth + 1)
                self.flush(depth + 1)
            return j
        self.line(depth, f"if {cond}: " + _exit(target, extra))
        return i + 1

    def jump(self, t: Instr, depth: int) -> None:
        k, j = self.k + t.cycles, self.j + 1
        self.k = self.j = 0
        if t.name == "RTS":
            self.line(depth, "s = (s + 1) & 0xFF; r = R[0x100 + s]; s = (s + 1) & 0xFF")
            self.line(depth, _exit("(r | R[0x100 + s] << 8) + 1 & 0xFFFF", k, j))
            return
        w = self.word(t)
        if t.name == "JSR":
            if self.generic:
                self.line(depth, "q = (pc + 2) & 0xFFFF")
                self.push("q >> 8", depth, None)
                self.push("q & 0xFF", depth, None)
            else:
                ret = (t.addr + 2) & 0xFFFF
                self.push(str(ret >> 8), depth, None)
                self.push(str(ret & 0xFF), depth, None)
        elif t.mode == "ind":
            if isinstance(w, int):              # needs_core checked the page
                w = f"(R[{w}] | R[{(w & 0xFF00) | ((w + 1) & 0xFF)}] << 8)"
            else:
                self.line(depth, f"w = {w}")
                self.line(depth, "if not RD[w >> 8]: " + _exit(self.at(t.addr), k - t.cycles,
                                                                j - 1, BAIL))
                w = "(R[w] | R[(w & 0xFF00) | ((w + 1) & 0xFF)] << 8)"
        if w == self.start:
            self.line(depth, f"cyc += {k}; ni += {j}")
            self.back(depth)
            return
        self.line(depth, _exit(w, k, j))

    def push(self, value: str, depth: int, after) -> None:
        """Push ``value``; if it lands in translated code, leave for ``after`` (None: the
        instruction ends the block anyway)."""
        self.line(depth, f"r = 0x100 + s; s = (s - 1) & 0xFF; W[r] = {value}")
        if self.unchecked_page(1):
            return
        if after is None:
            self.line(depth, "if cb[r]: smc(r)")
        else:
            self.line(depth, "if cb[r]: smc(r); " + _exit(after, self.k, self.j))

    def unchecked_page(self, *pages: int) -> bool:
        """True (and noted) if writes to ``pages`` can skip the translated-code check."""
        if self.generic or any(self.pb[p] or self.xp[p]
                               or any(a >> 8 == p for a in self.mine) for p in pages):
            return False
        self.write_pages.update(pages)
        return True

    def ea(self, t: Instr, depth: int, read: bool, write: bool):
        """The effective address: an int, or "e" after emitting code that computes it,
        leaves for the reference core outside plain RAM and adds page-crossing cycles."""
        mode = t.mode
        bail = _exit(self.at(t.addr), self.k, self.j, BAIL)
        ok = "RW" if read and write else "WR" if write else "RD"
        if mode in ("zpg", "zpx", "zpy"):
            b = self.opbyte(t, 1)
            if mode == "zpg" and b.isdigit():
                return int(b)
            idx = {"zpg": None, "zpx": "x", "zpy": "y"}[mode]
            self.line(depth, f"e = ({b} + {idx}) & 0xFF" if idx else f"e = {b}")
            if write:
                self.line(depth, "if e < 2: " + bail)
            return "e"
        if mode == "abs":
            w = self.word(t)
            if isinstance(w, int):
                return w
            self.line(depth, f"e = {w}")
            self.line(depth, f"if not {ok}[e >> 8]: " + bail)
            return "e"
        if mode in ("abx", "aby"):
            idx = "x" if mode == "abx" else "y"
            w = self.word(t)
            if isinstance(w, int):
                wraps = w > 0xFF00
                pages = {w >> 8, ((w >> 8) + 1) & 0xFF}
                if read and not write and not wraps and all(self.ns[ok][p] for p in pages) \
                        and not (t.extra and w & 0xFF):
                    return f"{w} + {idx}"       # used once: no temporary
                self.line(depth, f"e = ({w} + {idx}) & 0xFFFF" if wraps else f"e = {w} + {idx}")
                if not all(self.ns[ok][p] for p in pages):
                    self.line(depth, f"if not {ok}[e >> 8]: " + bail)
                if t.extra and w & 0xFF:
                    self.line(depth, "if e < 0x100: cyc += 1" if wraps else
                              f"if e > {w | 0xFF}: cyc += 1")
                return "e"
            hi = self.opbyte(t, 2)
            if hi.isdigit() and int(hi) < 0xFF:     # patched low byte: the pages are known
                base = int(hi) << 8
                self.line(depth, f"e = {self.opbyte(t, 1)} + {base} + {idx}")
                if not all(self.ns[ok][p] for p in (base >> 8, (base >> 8) + 1)):
                    self.line(depth, f"if not {ok}[e >> 8]: " + bail)
                if t.extra:
                    self.line(depth, f"if e > {base | 0xFF}: cyc += 1")
                return "e"
            self.line(depth, f"b = {w}; e = (b + {idx}) & 0xFFFF")
            self.line(depth, f"if not {ok}[e >> 8]: " + bail)
            if t.extra:
                self.line(depth, "if (e ^ b) > 0xFF: cyc += 1")
            return "e"
        if mode == "inx":
            b = self.opbyte(t, 1)
            self.line(depth, f"e = ({b} + x) & 0xFF; e = R[e] | R[(e + 1) & 0xFF] << 8")
            self.line(depth, f"if not {ok}[e >> 8]: " + bail)
            return "e"
        if mode == "iny":
            b = self.opbyte(t, 1)
            if b.isdigit():
                zp = int(b)
                self.line(depth, f"b = R[{zp}] | R[{(zp + 1) & 0xFF}] << 8; "
                                 "e = (b + y) & 0xFFFF")
            else:
                self.line(depth, f"e = {b}; b = R[e] | R[(e + 1) & 0xFF] << 8; "
                                 "e = (b + y) & 0xFFFF")
            self.line(depth, f"if not {ok}[e >> 8]: " + bail)
            if t.extra:
                self.line(depth, "if (e ^ b) > 0xFF: cyc += 1")
            return "e"
        raise AssertionError(mode)

    def nz_dead(self, i: int) -> bool:
        """Whether the next instruction sets N and Z before anything can read them (so
        instruction i need not)."""
        if i + 1 >= len(self.ins):
            return False
        t = self.ins[i + 1]
        if t.stop or t.name in ("CMP", "CPX", "CPY", "BIT") or any(
                self.dyn(t.addr + k) for k in range(1, t.length)):
            return False
        if t.name in IMPLIED:
            return "n = z" in IMPLIED[t.name]
        if t.mode == "acc" or (t.name in READ and t.mode in ("imm", "zpg", "abs")):
            return True
        return False

    def dead_flags(self) -> dict[int, tuple[bool, bool]]:
        """After a first pass: the plain instructions whose N/Z or V result is overwritten
        by a later instruction before anything can read it or the block can leave."""
        ins, exits = self.ins, self.exits
        out = {}
        for i in exits:
            if exits[i]:
                continue
            t = ins[i]
            want_nz = t.name not in ("CMP", "CPX", "CPY", "BIT") and t.name not in STORE \
                and t.name not in PUSH and (t.name not in IMPLIED or "n = z" in IMPLIED[t.name])
            want_v = t.name in ("ADC", "SBC")
            nz = v = False
            for k in range(i + 1, len(ins)):
                if not want_nz and not want_v or k not in exits or exits[k] \
                        or ins[k].name == "PHP":
                    break
                u = ins[k]
                if want_nz and (u.name in READ or u.name in MODIFY
                                or "n = z" in IMPLIED.get(u.name, "")):
                    nz, want_nz = True, False
                if want_v and u.name in ("ADC", "SBC", "BIT", "CLV"):
                    v, want_v = True, False
            if nz or v:
                out[i] = (nz, v)
        return out

    def carry_constants(self) -> list[tuple[int, int, int]]:
        """After a first pass: (i, k, carry) for a CLC or SEC at i whose carry only the ADC
        or SBC at k reads, with nothing between that touches C, branches or may leave."""
        ins, exits = self.ins, self.exits
        out = []
        for i, t in enumerate(ins):
            if t.name not in ("CLC", "SEC") or i not in exits or exits[i]:
                continue
            for k in range(i + 1, len(ins)):
                u = ins[k]
                if k not in exits or exits[k] or u.name in ("CLC", "SEC", "PHP") or \
                        u.name in MODIFY and u.name not in ("INC", "DEC") or \
                        u.name in ("CMP", "CPX", "CPY"):
                    break
                if u.name in ("ADC", "SBC"):
                    out.append((i, k, 0 if t.name == "CLC" else 1))
                    break
        return out

    def plain(self, t: Instr, depth: int, nz_dead: bool = False) -> None:
        if nz_dead and t.name not in ("CMP", "CPX", "CPY", "BIT"):
            lines = len(self.lines)
            self._emit(t, depth)
            if any("smc(" in ln for ln in self.lines[lines:]):
                return                # the exit after a write into code reads them
            for k in range(lines, len(self.lines)):
                self.lines[k] = (self.lines[k].replace("; n = z = a", "")
                                 .replace("; n = z = t", "").replace("n = z = ", ""))
            return
        self._emit(t, depth)

    def _emit(self, t: Instr, depth: int) -> None:
        name, mode = t.name, t.mode
        if name in ("ADC", "SBC"):
            self.decimal = True
        if name in IMPLIED:
            self.line(depth, IMPLIED[name])
        elif name in PUSH:
            self.k += t.cycles
            self.j += 1
            self.push(PUSH[name], depth, self.at(t.addr + 1, wrap=True))
            return
        elif mode == "acc":
            self.line(depth, MODIFY[name].replace("t", "a"))
        elif mode == "imm":
            self.line(depth, READ[name].format(M=self.opbyte(t, 1)))
        elif name in READ:
            self.line(depth, READ[name].format(M=f"R[{self.ea(t, depth, True, False)}]"))
        else:
            modify = name in MODIFY
            e = self.ea(t, depth, modify, True)
            if modify:
                self.line(depth, f"t = R[{e}]; " + MODIFY[name])
            self.line(depth, f"W[{e}] = {'t' if modify else STORE[name]}")
            if isinstance(e, int):
                self.store(e)
                unchecked = not (e in self.mine or self.cm[e] or self.xp[e >> 8])
                if unchecked:
                    self.writes.add(e)
            elif mode in ("abx", "aby") and isinstance(self.word(t), int):
                w = self.word(t)
                unchecked = self.unchecked_page(w >> 8, ((w >> 8) + 1) & 0xFF)
            elif mode in ("zpg", "zpx", "zpy"):
                unchecked = self.unchecked_page(0)
            else:
                unchecked = False
            if not unchecked:
                self.line(depth, f"if cb[{e}]: smc({e}); "
                          + _exit(self.at(t.addr + t.length, wrap=True), self.k + t.cycles,
                                  self.j + 1))
        self.k += t.cycles
        self.j += 1


class FastEngine:
    """Runs the CPU of one ``C64`` by translated blocks (see the module docstring)."""

    HITS_TO_VOLATILE = 2      # writes into a translated opcode before it is always stepped
    hot = HOT

    def __init__(self, machine) -> None:
        self.m = machine
        self.cpu: CPU = machine.cpu
        self.ram = machine._bus
        self.code = bytearray(0x10000)          # 1 where a translated block holds the byte
        self.snap = bytearray(0x10000)          # ... and the byte's value then
        self.hits = bytearray(0x10000)          # writes that hit translated code, per byte
        self.volatile = bytearray(0x10000)      # bytes read from memory at run time
        self.opcodes = bytearray(0x10000)       # 1 where a translated opcode was
        self.exec_pages = bytearray(0x100)      # 1 for pages code has run in
        self.targets = bytearray(0x10000)       # 1 at fixed addresses translated code writes
        self.owners: dict[int, list[Block]] = {}
        self.page_blocks: list[set] = [set() for _ in range(256)]
        self.code_pages: set[int] = set()       # pages whose page_blocks are not empty
        self.writers: dict[int, set[Block]] = {}        # fixed address -> unchecked writers
        self.page_writers: dict[int, set[Block]] = {}   # page -> unchecked writers
        self.shadow: dict[int, bytes] = {}      # code page -> its bytes when last checked
        self.blocks: dict[tuple, Block] = {}
        self.caches: dict[int, dict] = {}
        self.spaces: dict[int, dict] = {}
        self.space_keys: dict[int, tuple] = {}
        self.heats: dict[int, dict[int, int]] = {}     # memory map -> address -> entries
        self.key_ids: dict[tuple, int] = {}
        self.generics: dict[int, list] = {}
        self.translations = 0
        self.reused = 0                         # translations taken from _TRANSLATIONS
        self.drops = 0
        self.dep_arrays = {"vol": self.volatile, "tg": self.targets,
                           "traps": self.cpu.traps, "code": self.code, "xp": self.exec_pages}
        self.translate_seconds = 0.0
        self.rebank()

    # --- memory map ----------------------------------------------------------------
    def rebank(self) -> None:
        """Select the blocks of the current memory map (after a $00/$01 change)."""
        watched = self.m._bus.write_map[0] is not None     # C64.watch_zero_page
        key = self.key_ids.setdefault((self.m.banking(), watched), len(self.key_ids))
        self.key = key
        if key not in self.spaces:
            rmap, wmap = self.cpu.read_map, self.m._bus.write_map
            rd = bytes(1 if f is None else 0 for f in rmap)
            wr = bytearray(1 if f is None else 0 for f in wmap)
            wr[0] = 0                           # computed addresses in page 0: $00/$01?
            self.spaces[key] = {"R": self.ram, "W": memoryview(self.ram), "cb": self.code,
                                "RD": rd, "WR": bytes(wr),
                                "RW": bytes(r & w for r, w in zip(rd, wr)),
                                "smc": self.code_written}
            self.caches[key] = {}
            self.heats[key] = {}
            self.space_keys[key] = (rd, bytes(wr), watched)
            self.spaces[key]["ZPW"] = watched       # page-0 writes: the reference core's
            space = dict(self.spaces[key])
            exec(_generic_code(), space)
            self.generics[key] = [
                None if watched and _writes_zp(op) else space.get(f"op_{op:02X}")
                for op in range(256)]
        self.ns = self.spaces[key]
        self.space_key = self.space_keys[key]
        self.cache = self.caches[key]
        self.heat = self.heats[key]
        self.shared = _TRANSLATIONS.setdefault(self.space_key, {})
        self.generic = self.generics[key]

    def flush(self) -> None:
        """Forget every block (the traps changed)."""
        for b in list(self.blocks.values()):
            self._drop(b)

    # --- translation ---------------------------------------------------------------
    def translate(self, pc: int, reuse_only: bool = False):
        """The function of the block at ``pc`` (``run`` calls this once ``pc`` is hot, and
        before that with ``reuse_only`` if another engine of the process translated code
        there: None if none of those translations fits)."""
        hk = (self.key, pc)
        t0 = time.perf_counter()
        variants = self.shared.setdefault(pc, [])
        for tr in variants:
            if tr.fits(self):
                for e in tr.stores:
                    self.stored_to(e)
                self.reused += 1
                break
        else:
            if reuse_only:
                return None
            drops = self.drops
            gen = _Gen(self, pc, MAX_INSTRUCTIONS)
            src = gen.source()
            code = _CODE_CACHE.get(src)
            if code is None:
                code = _CODE_CACHE[src] = compile(src, f"<6502 block ${pc:04X}>", "exec")
            tr = _Translation(gen, code)
            if self.drops == drops:             # translating changed no other block
                variants.insert(0, tr)
                del variants[MAX_VARIANTS:]
        space = dict(self.ns)
        exec(tr.code, space)
        b = Block(hk, pc, space["block"], tr.owned, tr.writes, tr.write_pages)
        for a in tr.opcodes:
            self.opcodes[a] = 1
        self._add(b)
        self.translations += 1
        self.translate_seconds += time.perf_counter() - t0
        return b.fn

    def _add(self, b: Block) -> None:
        old = self.blocks.get(b.key)
        if old is not None:
            self._drop(old)
        ram, pages, writers, owners = self.ram, self.page_blocks, self.writers, self.owners
        code, snap = self.code, self.snap
        own_pages = {addr >> 8 for addr in b.owned}
        # writers that would not notice this code
        hit = [w for addr in b.owned for w in writers.get(addr, ())]
        hit += [w for p in own_pages for w in self.page_writers.get(p, ())]
        for w in hit:
            if w is not b:
                self._drop(w)
        self.blocks[b.key] = b
        self.caches[b.key[0]][b.pc] = b.fn
        for addr in b.owned:
            code[addr] = 1
            snap[addr] = ram[addr]
            lst = owners.get(addr)
            if lst is None:
                owners[addr] = [b]
            else:
                lst.append(b)
        for p in own_pages:
            pages[p].add(b)
            self.code_pages.add(p)
            self.shadow.pop(p, None)
        for addr in b.writes:
            self.writers.setdefault(addr, set()).add(b)
        for p in b.write_pages:
            self.page_writers.setdefault(p, set()).add(b)

    def _drop(self, b: Block) -> None:
        if self.blocks.get(b.key) is not b:
            return
        self.drops += 1
        del self.blocks[b.key]
        self.caches[b.key[0]].pop(b.pc, None)
        for addr in b.owned:
            lst = self.owners.get(addr)
            if lst is not None:
                if b in lst:
                    lst.remove(b)
                if not lst:
                    del self.owners[addr]
                    self.code[addr] = 0
            self.page_blocks[addr >> 8].discard(b)
            if not self.page_blocks[addr >> 8]:
                self.code_pages.discard(addr >> 8)
        for addr in b.writes:
            self.writers[addr].discard(b)
        for p in b.write_pages:
            self.page_writers[p].discard(b)

    def drop_at(self, addr: int) -> None:
        """Drop the blocks translated from the byte at ``addr``."""
        for b in list(self.owners.get(addr, ())):
            self._drop(b)
        self.code[addr] = 0

    def stored_to(self, addr: int) -> None:
        """Translated code writes to the fixed address ``addr``: an operand there is read at
        run time from now on (it is patched code, or a variable)."""
        if not self.targets[addr]:
            self.targets[addr] = 1
            if self.code[addr] and not self.opcodes[addr]:
                self.drop_at(addr)

    def code_written(self, addr: int) -> None:
        """The CPU wrote into translated code: drop the blocks holding the byte; after
        repeated hits the byte becomes volatile (read from memory at run time)."""
        h = self.hits[addr] + 1
        self.hits[addr] = min(h, 255)
        if not self.opcodes[addr] or h >= self.HITS_TO_VOLATILE:
            self.volatile[addr] = 1
        self.drop_at(addr)

    def check_pages(self, pages=None) -> None:
        """RAM may have been written behind the CPU's back (from Python, by the KERNAL
        shims): drop the blocks whose bytes changed (in ``pages``, default all)."""
        ram, code, snap, shadow, blocks = self.ram, self.code, self.snap, self.shadow, \
            self.page_blocks
        for p in list(self.code_pages) if pages is None else pages:
            if not blocks[p]:
                continue
            lo, hi = p << 8, (p + 1) << 8
            now = bytes(ram[lo:hi])
            if shadow.get(p) == now:
                continue
            # a translated byte changed?  (code holds 0/1: times 255, a mask of its bytes)
            if (int.from_bytes(now) ^ int.from_bytes(snap[lo:hi])) \
                    & (int.from_bytes(code[lo:hi]) * 255):
                for a in range(lo, hi):
                    if code[a] and ram[a] != snap[a]:
                        self.drop_at(a)
            shadow[p] = now

    # --- running -------------------------------------------------------------------
    def run(self) -> int | None:
        """Execute until a trap address (returned) or ``event_at`` (returns None)."""
        cpu = self.cpu
        traps = cpu.traps
        a, x, y, s, pc, cyc = cpu.a, cpu.x, cpu.y, cpu.sp, cpu.pc, cpu.processorCycles
        p = cpu.p
        n, z, c, v = p & 0x80, (p & 2) ^ 2, p & 1, p & 0x40
        ni = 0
        ev = cpu.event_at
        cache, generic, mem = self.cache, self.generic, self.ram
        heat, shared, hot, xp = self.heat, self.shared, self.hot, self.exec_pages
        translate = self.translate
        while True:
            if traps[pc]:
                result = pc
                break
            f = cache.get(pc)
            if f is None and cyc + NEAR < ev:   # (near the event a new block could not run)
                xp[pc >> 8] = 1
                h = heat.get(pc, 0) + 1
                if h >= hot:
                    f = translate(pc)
                else:
                    heat[pc] = h
                    if pc in shared:
                        f = translate(pc, True)
            if f is not None:
                pc, a, x, y, s, p, n, z, c, v, cyc, ni = f(a, x, y, s, p, n, z, c, v,
                                                           cyc, ni, ev)
                if pc <= 0xFFFF:
                    continue
                pc &= 0xFFFF
            # not hot yet, or near the event, or I/O: one instruction, generic code ...
            g = generic[mem[pc]]
            if g is not None:
                pc, a, x, y, s, p, n, z, c, v, cyc, ni = g(a, x, y, s, p, n, z, c, v,
                                                           cyc, ni, ev, pc)
                if pc <= 0xFFFF:
                    if cyc >= ev:
                        result = None
                        break
                    continue
                pc &= 0xFFFF
            # the reference core executes this instruction
            cpu.a, cpu.x, cpu.y, cpu.sp, cpu.pc = a, x, y, s, pc
            cpu.p = (p & 0x3C) | (n & 0x80) | (0 if z else 2) | c | (0x40 if v else 0)
            cpu.processorCycles = cyc
            cpu.instructions += ni
            ni = 0
            cpu.step()
            a, x, y, s, pc, cyc = cpu.a, cpu.x, cpu.y, cpu.sp, cpu.pc, cpu.processorCycles
            p = cpu.p
            n, z, c, v = p & 0x80, (p & 2) ^ 2, p & 1, p & 0x40
            cache, generic, heat, shared = self.cache, self.generic, self.heat, self.shared
            ev = cpu.event_at
            if cyc >= ev:
                result = None
                break
        cpu.a, cpu.x, cpu.y, cpu.sp, cpu.pc, cpu.processorCycles = a, x, y, s, pc, cyc
        cpu.p = (p & 0x3C) | (n & 0x80) | (0 if z else 2) | c | (0x40 if v else 0)
        cpu.instructions += ni
        return result
