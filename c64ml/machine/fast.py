"""The fast execution engine: 6502 code translated into Python functions.

``FastEngine.run`` has the contract of ``CPU.run`` (execute until a trap address, returned,
or until ``processorCycles >= event_at`` after an instruction, returning None) and leaves
every register, flag, cycle and byte of memory exactly as the reference core would.
docs/harness.md ("The fast engine") explains the design; in short:

* A *block* is the code reachable from one start address along a linear decode: forward
  branches whose target lies ahead in the block become ``if``/``else``, branches and jumps
  back to the start become ``continue`` of a ``while True``, other branches are side exits.
  It is generated as Python source from ``TEMPLATES`` (one small template per operation,
  like py65's ``op*`` methods), compiled once (code objects are shared by every machine)
  and cached per start address and memory map ($01 banking).
* A block touches only plain RAM.  An instruction that may touch I/O, ROM, $00/$01, or
  that changes the interrupt flag (CLI, PLP, RTI), BRK and undocumented opcodes are
  executed by the reference core (``CPU.step``): statically (the block ends before them)
  or, for computed addresses, by a run-time check that leaves the block before the
  instruction.  The cycle counter is exact at every such instruction.
* Events: a block is entered only if its worst-case cycles end before ``event_at``; else
  the engine single-steps the reference core, so interrupts land on the same instruction.
* Self-modifying code: every RAM write checks a per-byte map of translated code; a hit
  drops the blocks holding that byte, marks it *volatile* (later translations read it from
  memory at run time: patched operands cost nothing more) and leaves the current block.
"""

from __future__ import annotations

from c64ml.machine.cpu import CPU

BAIL = 0x10000          # added to a returned PC: "execute this instruction with CPU.step"
MAX_INSTRUCTIONS = 64   # decoded per block
STATE = "a, x, y, s, p, n, z, c, v, cyc, ni"

# --- the opcode table ----------------------------------------------------------------
# Flags inside generated code: n (bit 7 is N), z (Z is set iff z == 0), c (0/1), v
# (truthy), p (D, I, B and the unused bit; its N/V/Z/C bits are ignored).
READ = {   # operations on a value M read from memory or an immediate operand
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
    "ADC": "m = {M}\n"
           "if p & 8: a, n, z, c, v = adc_decimal(a, m, c)\n"
           "else: r = a + m + c; v = ~(a ^ m) & (a ^ r) & 0x80; c = r >> 8; "
           "a = n = z = r & 0xFF",
    "SBC": "m = {M}\n"
           "if p & 8: a, n, z, c, v = sbc_decimal(a, m, c)\n"
           "else: r = a + (m ^ 0xFF) + c; v = (a ^ m) & (a ^ r) & 0x80; c = r >> 8; "
           "a = n = z = r & 0xFF",
}
STORE = {"STA": "a", "STX": "x", "STY": "y"}   # the value written
MODIFY = {  # read-modify-write on t (memory) or a (accumulator mode)
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
    "CLC": "c = 0", "SEC": "c = 1", "CLV": "v = 0", "CLD": "p &= 0xF7", "SED": "p |= 8",
    "SEI": "p |= 4", "NOP": "pass",
    "PLA": "s = (s + 1) & 0xFF; a = n = z = R[0x100 + s]",
}
PUSH = {"PHA": "a", "PHP": "(p & 0x0C) | 0x30 | (n & 0x80) | (0 if z else 2) | c | "
                           "(0x40 if v else 0)"}
BRANCH = {  # condition for "taken"
    "BPL": "not n & 0x80", "BMI": "n & 0x80", "BVC": "not v", "BVS": "v",
    "BCC": "not c", "BCS": "c", "BNE": "z", "BEQ": "not z",
}
# Executed by the reference core: BRK (an error here), and what may clear I (a pending
# IRQ is re-checked after them, see cpu._clears_i).
STEPPED = {"BRK", "CLI", "PLP", "RTI"}
LENGTH = {"imp": 1, "acc": 1, "imm": 2, "zpg": 2, "zpx": 2, "zpy": 2, "inx": 2, "iny": 2,
          "rel": 2, "abs": 3, "abx": 3, "aby": 3, "ind": 3}


def adc_decimal(a: int, data: int, c: int):
    """py65's NMOS ADC in decimal mode: (A, n, z, c, v)."""
    halfcarry = decimalcarry = adjust0 = adjust1 = 0
    nibble0 = (data & 0xF) + (a & 0xF) + c
    if nibble0 > 9:
        adjust0 = 6
        halfcarry = 1
    nibble1 = ((data >> 4) & 0xF) + ((a >> 4) & 0xF) + halfcarry
    if nibble1 > 9:
        adjust1 = 6
        decimalcarry = 1
    nibble0 &= 0xF
    nibble1 &= 0xF
    alu = (nibble1 << 4) + nibble0
    nibble0 = (nibble0 + adjust0) & 0xF
    nibble1 = (nibble1 + adjust1) & 0xF
    v = (~(a ^ data) & (a ^ alu)) & 0x80
    return (nibble1 << 4) + nibble0, alu, alu, decimalcarry, v


def sbc_decimal(a: int, data: int, c: int):
    """py65's NMOS SBC in decimal mode: (A, n, z, c, v)."""
    halfcarry = 1
    adjust0 = adjust1 = 0
    nibble0 = (a & 0xF) + (~data & 0xF) + c
    if nibble0 <= 0xF:
        halfcarry = 0
        adjust0 = 10
    nibble1 = ((a >> 4) & 0xF) + ((~data >> 4) & 0xF) + halfcarry
    if nibble1 <= 0xF:
        adjust1 = 10 << 4
    alu = a + (~data & 0xFF) + c
    decimalcarry = 1 if alu > 0xFF else 0
    alu &= 0xFF
    nibble0 = (alu + adjust0) & 0xF
    nibble1 = ((alu + adjust1) >> 4) & 0xF
    v = ((a ^ data) & (a ^ alu)) & 0x80
    return (nibble1 << 4) + nibble0, alu, alu, decimalcarry, v


class Instr:
    __slots__ = ("addr", "op", "name", "mode", "length", "cycles", "extra", "step", "stop")

    def __init__(self, addr, op, stop=None):
        name, mode = CPU.disassemble[op]
        self.addr, self.op, self.name, self.mode = addr, op, name, mode
        self.length = LENGTH.get(mode, 1)
        self.cycles = CPU.cycletime[op]
        self.extra = CPU.extracycles[op]
        self.step = CPU.instruct[op] is not MPU_INSTRUCT[op] or name in STEPPED
        self.stop = stop          # None, "trap" (return to the dispatcher), "step"


MPU_INSTRUCT = CPU.__mro__[1].instruct
_CODE_CACHE: dict[str, object] = {}     # generated source -> code object, for all machines


class Block:
    """One translated block: its function and the bytes it was translated from."""
    __slots__ = ("key", "pc", "fn", "owned")

    def __init__(self, key, pc, fn, owned):
        self.key, self.pc, self.fn, self.owned = key, pc, fn, owned


def _exit(pc, k=0, j=0, bail=False) -> str:
    cyc = f"cyc + {k}" if k else "cyc"
    ni = f"ni + {j}" if j else "ni"
    target = f"{pc} | {BAIL}" if bail and not isinstance(pc, int) else \
        (pc | BAIL if bail else pc)
    return f"return ({target}, a, x, y, s, p, n, z, c, v, {cyc}, {ni})"


class _Gen:
    """Python source for one block (see the module docstring)."""

    def __init__(self, eng: "FastEngine", start: int, ns: dict) -> None:
        self.eng, self.start, self.ns = eng, start, ns
        self.lines: list[str] = []
        self.k = self.j = 0       # cycles and instructions not yet added to cyc / ni
        self.owned: list[int] = []
        self.maxc = 0
        self.decode()

    # --- decoding ----------------------------------------------------------------
    def decode(self) -> None:
        eng, mem, rd, traps = self.eng, self.eng.ram, self.ns["RD"], self.eng.cpu.traps
        vol = eng.volatile
        self.ins: list[Instr] = []
        self.index: dict[int, int] = {}
        pc, reach = self.start, self.start
        while len(self.ins) < MAX_INSTRUCTIONS:
            ins = Instr(pc, mem[pc])
            if pc != self.start and traps[pc]:
                ins.stop = "trap"
            elif ins.step or vol[pc]:
                ins.stop = "step"
            elif pc + ins.length > 0x10000 or not all(
                    rd[(pc + i) >> 8] for i in range(1, ins.length)):
                ins.stop = "step"
            elif self.needs_reference(ins):
                ins.stop = "step"
            self.index[pc] = len(self.ins)
            self.ins.append(ins)
            if ins.stop == "trap":
                break
            if ins.name in BRANCH and not ins.stop and not vol[pc + 1]:
                off = mem[pc + 1]
                t = pc + 2 + (off - 256 if off & 0x80 else off)
                if t > pc:
                    reach = max(reach, t)
            pc += ins.length
            ends = ins.stop or ins.name in ("JMP", "JSR", "RTS")
            if pc > 0xFFFF or (ends and pc >= reach):
                break
        self.index_end = pc

    def needs_reference(self, t: Instr) -> bool:
        """A fixed address outside plain RAM (I/O, ROM, $00/$01): the reference core's."""
        vol, mem, ns = self.eng.volatile, self.eng.ram, self.ns
        if t.mode not in ("zpg", "abs", "ind") or t.name in ("JMP", "JSR") and t.mode == "abs":
            return False
        if any(vol[t.addr + i] for i in range(1, t.length)):
            return False                        # checked at run time
        e = mem[t.addr + 1] | (mem[t.addr + 2] << 8 if t.length == 3 else 0)
        if t.mode == "ind":
            return not ns["RD"][e >> 8]
        read = t.name in READ or t.name in MODIFY
        write = t.name in STORE or t.name in MODIFY
        return bool((read and not ns["RD"][e >> 8])
                    or (write and (e < 2 or (e > 0xFF and not ns["WR"][e >> 8]))))

    # --- emitting ----------------------------------------------------------------
    def line(self, depth: int, text: str) -> None:
        for part in text.split("\n"):
            self.lines.append("    " * depth + part)

    def flush(self, depth: int, k: int = 0, j: int = 0) -> None:
        k, j = self.k + k, self.j + j
        self.k = self.j = 0
        if k or j:
            self.line(depth, f"cyc += {k}; ni += {j}")

    def source(self) -> str:
        self.seq(0, None, 2)
        head = [f"def block(a, x, y, s, p, n, z, c, v, cyc, ni, ev):",
                f"    if cyc + {self.maxc} >= ev: " + _exit(self.start, bail=True),
                "    while True:"]
        return "\n".join(head + self.lines) + "\n"

    def seq(self, i: int, stop: int | None, depth: int) -> int:
        """Emit instructions from index i up to the one at address ``stop`` (or the end)."""
        ins = self.ins
        while i < len(ins) and ins[i].addr != stop:
            t = ins[i]
            if t.stop:
                self.line(depth, _exit(t.addr, self.k, self.j, bail=t.stop == "step"))
                self.k = self.j = 0
                return self.skip(i, stop)
            self.owned.extend(a for a in range(t.addr, t.addr + t.length)
                              if not self.eng.volatile[a])
            self.maxc += t.cycles + (2 if t.name in BRANCH else 1 if t.extra else 0)
            if t.name in BRANCH:
                i = self.branch(i, t, stop, depth)
                continue
            if t.name in ("JMP", "JSR", "RTS"):
                self.jump(t, depth)
                return self.skip(i, stop)
            self.plain(t, depth)
            i += 1
        if i >= len(ins):       # ran off the decoded code: continue in another block
            self.line(depth, _exit(self.index_end, self.k, self.j))
            self.k = self.j = 0
        return i

    def skip(self, i: int, stop: int | None) -> int:
        """After an exit: the index of the instruction at ``stop`` (or the end)."""
        return self.index[stop] if stop is not None else len(self.ins)

    def opbyte(self, t: Instr, i: int) -> str:
        a = t.addr + i
        return f"R[{a}]" if self.eng.volatile[a] else str(self.eng.ram[a])

    def word(self, t: Instr):
        """The operand word: an int, or source for it when a byte is volatile."""
        lo, hi = self.opbyte(t, 1), self.opbyte(t, 2)
        if lo.isdigit() and hi.isdigit():
            return int(lo) | int(hi) << 8
        return f"({lo} | {hi} << 8)"

    def branch(self, i: int, t: Instr, stop: int | None, depth: int) -> int:
        cond = BRANCH[t.name]
        self.flush(depth, t.cycles, 1)
        nxt = t.addr + 2
        if self.eng.volatile[t.addr + 1]:
            self.line(depth, f"if {cond}:")
            self.line(depth + 1, f"o = R[{t.addr + 1}]; o = {nxt} + (o - 256 if o & 0x80 else o)")
            self.line(depth + 1, f"cyc += 1 if {nxt & 0xFF00} == o & 0xFF00 else 2")
            self.line(depth + 1, _exit("o & 0xFFFF"))
            return i + 1
        off = self.eng.ram[t.addr + 1]
        target = nxt + (off - 256 if off & 0x80 else off)
        extra = 1 if (nxt & 0xFF00) == (target & 0xFF00) else 2
        target &= 0xFFFF
        j = self.index.get(target)
        if target == self.start:
            self.line(depth, f"if {cond}:")
            self.line(depth + 1, f"cyc += {extra}")
            self.line(depth + 1, f"if cyc + {{MAXC}} >= ev: " + _exit(self.start))
            self.line(depth + 1, "continue")
            return i + 1
        if j is not None and j > i and (stop is None or target <= stop) \
                and target > t.addr:
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
            ret = (t.addr + 2) & 0xFFFF
            self.line(depth, f"r = 0x100 + s; W[r] = {ret >> 8}; s = (s - 1) & 0xFF")
            self.line(depth, f"if cb[r]: smc(r)")
            self.line(depth, f"r = 0x100 + s; W[r] = {ret & 0xFF}; s = (s - 1) & 0xFF")
            self.line(depth, f"if cb[r]: smc(r)")
        elif t.mode == "ind":
            if isinstance(w, int):
                ptr_hi = (w & 0xFF00) | ((w + 1) & 0xFF)
                if not (self.ns["RD"][w >> 8]):
                    raise AssertionError("checked by the caller")
                w = f"(R[{w}] | R[{ptr_hi}] << 8)"
            else:
                self.line(depth, f"w = {w}")
                self.line(depth, f"if not RD[w >> 8]: " + _exit(t.addr, k - t.cycles, j - 1,
                                                                  bail=True))
                w = "(R[w] | R[(w & 0xFF00) | ((w + 1) & 0xFF)] << 8)"
        if w == self.start and isinstance(w, int):
            self.line(depth, f"cyc += {k}; ni += {j}")
            self.line(depth, f"if cyc + {{MAXC}} >= ev: " + _exit(self.start))
            self.line(depth, "continue")
            return
        self.line(depth, _exit(w, k, j))

    def push(self, value: str, depth: int, after: int, k: int, j: int) -> None:
        """Push ``value``; on a write into translated code leave for ``after``."""
        self.line(depth, f"r = 0x100 + s; s = (s - 1) & 0xFF; W[r] = {value}")
        self.line(depth, f"if cb[r]: smc(r); " + _exit(after, k, j))

    def ea(self, t: Instr, depth: int, write: bool, read: bool):
        """Emit the effective address into ``e`` (or return it as an int).  Returns
        (address, needs-runtime-check-done)."""
        mode = t.mode
        bail = _exit(t.addr, self.k, self.j, bail=True)
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
                self.line(depth, f"e = {w} + {idx}")
                if w + 0xFF > 0xFFFF:
                    self.line(depth, "e &= 0xFFFF")
                pages = {w >> 8, ((w >> 8) + 1) & 0xFF}
                if not all(self.ns[ok][p] for p in pages):
                    self.line(depth, f"if not {ok}[e >> 8]: " + bail)
                if t.extra:
                    self.line(depth, f"if e > {w | 0xFF}: cyc += 1")
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

    def plain(self, t: Instr, depth: int) -> None:
        name, mode = t.name, t.mode
        if name in IMPLIED:
            self.line(depth, IMPLIED[name])
        elif name in PUSH:
            self.push(PUSH[name], depth, t.addr + 1, self.k + t.cycles, self.j + 1)
        elif mode == "acc":
            self.line(depth, "t = a; " + MODIFY[name] + "; a = t")
        elif name in READ and mode == "imm":
            self.line(depth, READ[name].format(M=self.opbyte(t, 1)))
        else:
            read, write = name in READ or name in MODIFY, name in STORE or name in MODIFY
            e = self.ea(t, depth, write, read)
            addr = str(e)
            if name in READ:
                self.line(depth, READ[name].format(M=f"R[{addr}]"))
            else:
                if name in MODIFY:
                    self.line(depth, f"t = R[{addr}]; " + MODIFY[name])
                    value = "t"
                else:
                    value = STORE[name]
                self.line(depth, f"W[{addr}] = {value}")
                self.line(depth, f"if cb[{addr}]: smc({addr}); "
                          + _exit(t.addr + t.length, self.k + t.cycles, self.j + 1))
        self.k += t.cycles
        self.j += 1


class FastEngine:
    """Runs the CPU of one ``C64`` by translated blocks (see the module docstring)."""

    HITS_TO_VOLATILE = 2      # writes into a translated byte before it is read at run time

    def __init__(self, machine) -> None:
        self.m = machine
        self.cpu: CPU = machine.cpu
        self.ram = machine._bus
        self.code = bytearray(0x10000)          # 1 where a translated block holds the byte
        self.snap = bytearray(0x10000)          # ... and the byte's value then
        self.hits = bytearray(0x10000)          # writes that hit translated code, per byte
        self.volatile = bytearray(0x10000)      # bytes read from memory at run time
        self.owners: dict[int, list[Block]] = {}
        self.page_blocks: list[set] = [set() for _ in range(256)]
        self.shadow: dict[int, bytes] = {}      # code page -> its bytes when last checked
        self.caches: dict[int, dict[int, object]] = {}
        self.spaces: dict[int, dict] = {}
        self.blocks: dict[tuple, Block] = {}
        self.translations = 0
        self.key_ids: dict[tuple, int] = {}
        self.key = 0
        self.cache: dict[int, object] = {}
        self.ns: dict = {}
        self.rebank()

    # --- memory map ----------------------------------------------------------------
    def rebank(self) -> None:
        """Select the block cache of the current memory map (after a $00/$01 change)."""
        rmap, wmap = self.cpu.read_map, self.m._bus.write_map
        key = self.key_ids.setdefault(
            (tuple(f is None for f in rmap), tuple(f is None for f in wmap)),
            len(self.key_ids))
        self.key = key
        if key not in self.caches:
            self.caches[key] = {}
            rd = bytes(1 if f is None else 0 for f in rmap)
            wr = bytearray(1 if f is None else 0 for f in wmap)
            wr[0] = 0                           # computed addresses in page 0: $00/$01?
            rw = bytes(r & w for r, w in zip(rd, wr))
            self.spaces[key] = {"R": self.ram, "W": memoryview(self.ram), "cb": self.code,
                                "RD": rd, "WR": bytes(wr), "RW": rw, "smc": self.code_written,
                                "adc_decimal": adc_decimal, "sbc_decimal": sbc_decimal}
        self.cache = self.caches[key]
        self.ns = self.spaces[key]

    def flush(self) -> None:
        """Forget every block (the traps changed)."""
        for b in list(self.blocks.values()):
            self._drop(b)

    # --- translation ---------------------------------------------------------------
    def translate(self, pc: int):
        gen = _Gen(self, pc, self.ns)
        src = gen.source().replace("{MAXC}", str(gen.maxc))
        code = _CODE_CACHE.get(src)
        if code is None:
            code = _CODE_CACHE[src] = compile(src, f"<6502 block ${pc:04X}>", "exec")
        space = dict(self.ns)
        exec(code, space)
        fn = space["block"]
        self._add(Block((self.key, pc), pc, fn, gen.owned))
        self.translations += 1
        return fn

    def _add(self, b: Block) -> None:
        old = self.blocks.get(b.key)
        if old is not None:
            self._drop(old)
        self.blocks[b.key] = b
        self.caches[b.key[0]][b.pc] = b.fn
        ram, pages = self.ram, self.page_blocks
        for addr in b.owned:
            self.code[addr] = 1
            self.snap[addr] = ram[addr]
            self.owners.setdefault(addr, []).append(b)
            pages[addr >> 8].add(b)
        for p in {a >> 8 for a in b.owned}:
            self.shadow.pop(p, None)

    def _drop(self, b: Block) -> None:
        if self.blocks.get(b.key) is not b:
            return
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

    def drop_at(self, addr: int) -> None:
        for b in list(self.owners.get(addr, ())):
            self._drop(b)
        self.code[addr] = 0

    def code_written(self, addr: int) -> None:
        """The CPU wrote into translated code: drop the blocks holding the byte; after
        repeated hits the byte becomes volatile (read from memory at run time)."""
        h = self.hits[addr] + 1
        self.hits[addr] = min(h, 255)
        if h >= self.HITS_TO_VOLATILE:
            self.volatile[addr] = 1
        self.drop_at(addr)

    def check_pages(self, pages=None) -> None:
        """RAM may have been written behind the CPU's back (the harness, the KERNAL
        shims): drop the blocks whose bytes changed (all pages with code, or ``pages``)."""
        ram, code, snap = self.ram, self.code, self.snap
        for p in range(256) if pages is None else pages:
            if not self.page_blocks[p]:
                continue
            lo = p << 8
            now = bytes(ram[lo:lo + 256])
            if self.shadow.get(p) == now:
                continue
            for a in range(lo, lo + 256):
                if code[a] and ram[a] != snap[a]:
                    self.drop_at(a)
            self.shadow[p] = now

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
        cache = self.cache
        translate = self.translate
        while True:
            if traps[pc]:
                result = pc
                break
            f = cache.get(pc)
            if f is None:
                f = translate(pc)
            pc, a, x, y, s, p, n, z, c, v, cyc, ni = f(a, x, y, s, p, n, z, c, v, cyc, ni, ev)
            if pc > 0xFFFF:              # this instruction is the reference core's
                cpu.a, cpu.x, cpu.y, cpu.sp, cpu.pc = a, x, y, s, pc & 0xFFFF
                cpu.p = (p & 0x3C) | (n & 0x80) | (0 if z else 2) | c | (0x40 if v else 0)
                cpu.processorCycles = cyc
                cpu.instructions += ni
                ni = 0
                cpu.step()
                a, x, y, s, pc, cyc = cpu.a, cpu.x, cpu.y, cpu.sp, cpu.pc, cpu.processorCycles
                p = cpu.p
                n, z, c, v = p & 0x80, (p & 2) ^ 2, p & 1, p & 0x40
                cache = self.cache
                ev = cpu.event_at
                if cyc >= ev:
                    result = None
                    break
        cpu.a, cpu.x, cpu.y, cpu.sp, cpu.pc, cpu.processorCycles = a, x, y, s, pc, cyc
        cpu.p = (p & 0x3C) | (n & 0x80) | (0 if z else 2) | c | (0x40 if v else 0)
        cpu.instructions += ni
        return result
