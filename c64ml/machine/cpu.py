"""The 6510 core: py65's NMOS MPU with corrected cycle counts, trapped BRK and
undocumented opcodes, a fast run loop, and hooks for banked memory.

Cycle corrections (validated opcode by opcode against ``c64ml.asm.opcodes``; see
docs/cycle-validation.md) live in ``CYCLE_FIXES``.  The tables are copies, so
py65's own ``MPU`` class is left untouched.
"""

from __future__ import annotations

from py65.devices.mpu6502 import MPU

from c64ml.errors import C64mlError


class C64Error(C64mlError):
    """A problem found while running a program in the emulated C64."""


class CycleBudgetExceeded(C64Error):
    """The program ran longer than its cycle budget (a runaway or endless loop)."""


class IllegalOpcode(C64Error):
    """BRK or one of the 105 undocumented opcodes was executed."""


class BadAccess(C64Error):
    """A read of ROM or of an I/O register the harness does not emulate."""


# opcode -> correct NMOS base cycles, where py65 1.2.0 is wrong.
CYCLE_FIXES: dict[int, int] = {
    0xCE: 6,  # DEC abs: py65 says 3
}

# Read-modify-write opcodes on memory: they read in cycle n-2 (1-based), write in cycle n.
RMW_OPCODES = frozenset({
    0x06, 0x0E, 0x16, 0x1E, 0x26, 0x2E, 0x36, 0x3E,
    0x46, 0x4E, 0x56, 0x5E, 0x66, 0x6E, 0x76, 0x7E,
    0xC6, 0xCE, 0xD6, 0xDE, 0xE6, 0xEE, 0xF6, 0xFE,
})


def _documented() -> frozenset[int]:
    """The opcodes py65 implements (its table marks the rest '???')."""
    return frozenset(op for op in range(256) if MPU.disassemble[op][0] != "???")


DOCUMENTED = _documented()


def _illegal(cpu: "CPU") -> None:
    pc = (cpu.pc - 1) & 0xFFFF
    op = cpu.memory[pc]
    what = "BRK" if op == 0 else f"undocumented opcode ${op:02X}"
    raise IllegalOpcode(f"{what} executed at ${pc:04X} (cycle {cpu.processorCycles})",
                        field=f"${pc:04X}")


def _clears_i(f):
    """Wrap an instruction that may clear I so a pending IRQ is re-checked."""
    def inst(cpu: "CPU") -> None:
        f(cpu)
        if not cpu.p & 4:
            cpu.event_at = 0
    return inst


class CPU(MPU):
    """NMOS 6502 with corrected timing.

    ``memory`` must support ``__getitem__``/``__setitem__`` for 0..65535 (writes
    may be intercepted by the memory object itself).  Reads go through
    ``ByteAt``, which consults ``read_map``: one entry per 256-byte page, None
    for plain RAM or a function ``f(addr) -> int`` for ROM/I/O.
    ``traps`` is a 64 KB bytearray: a non-zero byte at PC makes ``run`` stop
    before executing that instruction.  ``run`` also stops when
    ``processorCycles >= event_at``.
    """

    cycletime = list(MPU.cycletime)
    for _op, _c in CYCLE_FIXES.items():
        cycletime[_op] = _c
    instruct = list(MPU.instruct)
    for _op in range(256):
        if _op not in DOCUMENTED or _op == 0x00:
            instruct[_op] = _illegal
    for _op in (0x28, 0x40, 0x58):  # PLP, RTI, CLI
        instruct[_op] = _clears_i(MPU.instruct[_op])
    extracycles = list(MPU.extracycles)
    del _op, _c

    def __init__(self, memory, pc: int = 0) -> None:
        self.read_map: list = [None] * 256
        self.traps = bytearray(0x10000)
        self.event_at = 0
        self.op = 0xEA
        self.instructions = 0     # executed so far (both engines count them)
        super().__init__(memory=memory, pc=pc)

    def ByteAt(self, addr: int) -> int:
        f = self.read_map[addr >> 8]
        if f is None:
            return self.memory[addr]
        return f(addr)

    def access_cycle(self, write: bool) -> int:
        """The cycle (absolute) in which the current instruction touches memory."""
        op = self.op
        n = self.cycletime[op] + self.excycles
        if not write and op in RMW_OPCODES:
            return self.processorCycles + n - 3
        return self.processorCycles + n - 1

    def run(self) -> int | None:
        """Execute until a trap address (returned) or ``event_at`` (returns None)."""
        mem = self.memory
        traps = self.traps
        instruct = self.instruct
        cycletime = self.cycletime
        extra = self.extracycles
        done = 0
        try:
            while True:
                pc = self.pc
                if traps[pc]:
                    return pc
                op = mem[pc]
                self.op = op
                self.pc = pc + 1
                self.excycles = 0
                self.addcycles = extra[op]
                instruct[op](self)
                self.pc &= 0xFFFF
                self.processorCycles += cycletime[op] + self.excycles
                done += 1
                if self.processorCycles >= self.event_at:
                    return None
        finally:
            self.instructions += done

    def step(self) -> "CPU":
        """One instruction, with the corrected timing (no traps, no events)."""
        op = self.memory[self.pc]
        self.op = op
        self.pc = (self.pc + 1) & 0xFFFF
        self.excycles = 0
        self.addcycles = self.extracycles[op]
        self.instruct[op](self)
        self.pc &= 0xFFFF
        self.processorCycles += self.cycletime[op] + self.excycles
        self.instructions += 1
        return self
