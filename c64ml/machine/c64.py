"""The emulated C64: 64 KB RAM with $01 banking, the I/O c64ml programs touch,
a 6510 with corrected timing, KERNAL entry points and a simulated KERNAL IRQ.

    m = C64(system="pal", irq=True, seed=0)
    r = m.run_prg(prg_bytes, keys="", max_cycles=10_000_000)
    r.cycles, r.reason, m.screen_text()

See docs/harness.md for what is emulated and what raises an error.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from c64ml.machine import kernal
from c64ml.machine.cia import CIA
from c64ml.machine.cpu import (
    CPU,
    BadAccess,
    C64Error,
    CycleBudgetExceeded,
    IllegalOpcode,
)
from c64ml.machine.screen import Screen
from c64ml.package.prg import BASIC_START, parse_prg, stub_sys_address

__all__ = ["C64", "RunResult", "C64Error", "CycleBudgetExceeded", "IllegalOpcode",
           "BadAccess", "TimeLimitExceeded", "timing", "SYSTEMS", "System"]


class TimeLimitExceeded(C64Error):
    """The run took longer than its wall-clock limit (``max_seconds``)."""


#: ``RunResult.reason`` of the run attached (as ``.result``) to an error that stopped it.
_STOP_REASONS = {CycleBudgetExceeded: "max_cycles", TimeLimitExceeded: "max_seconds"}

#: With a wall-clock limit, the clock is read at least this often (emulated cycles).
TIME_CHECK_CYCLES = 100_000


@dataclass(frozen=True)
class System:
    """Clock figures of one video standard (the one place they are kept)."""
    name: str
    clock_hz: int
    cycles_per_line: int
    lines: int
    irq_latch: int            # CIA1 timer A latch the KERNAL sets

    @property
    def frame_cycles(self) -> int:
        return self.cycles_per_line * self.lines


SYSTEMS = {
    "pal": System("pal", 985_248, 63, 312, 0x4025),
    "ntsc": System("ntsc", 1_022_727, 65, 263, 0x4295),
}
BADLINES_PER_FRAME = 25
# Cycles a badline costs the CPU: 40 character fetches plus the 3 in which the VIC-II's BA
# stops the CPU before it takes the bus.  Measured in VICE x64sc 3.7.1: a loop of reads,
# timed by CIA2 with the screen on and blanked, loses 43.00 cycles per badline (PAL factor
# 1.05786; tools/vice_timing/longloop.s, docs/harness.md "Timing against VICE").
BADLINE_STOLEN = 43


def timing(cycles: int) -> dict[str, dict[str, float]]:
    """Wall-clock time of ``cycles`` CPU cycles on PAL and NTSC, with the
    screen blanked (every cycle is the CPU's) and with the screen on (25
    badlines a frame steal 43 cycles each; sprites not counted)."""
    out = {}
    for s in SYSTEMS.values():
        blank = cycles / s.clock_hz
        usable = s.frame_cycles - BADLINES_PER_FRAME * BADLINE_STOLEN
        on = cycles * s.frame_cycles / usable / s.clock_hz
        out[s.name] = {"clock_hz": s.clock_hz, "frame_cycles": s.frame_cycles,
                       "blanked_s": blank, "blanked_ms": blank * 1000,
                       "screen_on_s": on, "screen_on_ms": on * 1000,
                       "frames_blanked": cycles / s.frame_cycles,
                       "frames_screen_on": cycles / usable}
    return out


@dataclass
class RunResult:
    """How a run ended and what it cost (docs/harness.md, "Results")."""

    cycles: int               # program's CPU cycles (no IRQ, no KERNAL routines)
    irq_cycles: int
    irq_count: int
    kernal_cycles: int
    kernal_calls: int
    reason: str               # "return", "exit" (debug cart $D7FF) or "idle" (waiting for keys);
                              # on an error's .result: "max_cycles", "max_seconds" or "error"
    exit_code: int | None
    a: int
    x: int
    y: int
    p: int
    sp: int
    pc: int
    clean_return: bool | None = None      # None unless reason == "return"
    return_issues: list[str] = field(default_factory=list)
    probes: list[tuple[int, int]] = field(default_factory=list)  # (address, program cycles)
    instructions: int = 0     # executed by the emulated CPU (the KERNAL shims count none)

    @property
    def total_cycles(self) -> int:
        return self.cycles + self.irq_cycles + self.kernal_cycles


class _Bus(bytearray):
    """The CPU's view of memory: RAM storage whose writes to $00/$01 and to
    banked-in I/O are routed to the machine."""

    def __setitem__(self, addr, value):
        if type(addr) is int and (addr < 2 or self.write_map[addr >> 8] is not None):
            self.slow_write(addr, value)
        else:
            bytearray.__setitem__(self, addr, value)


class _WatchedBus(_Bus):
    """The bus of a machine running the fast engine: RAM writes made by the reference
    core (``CPU.step``) into translated code reach the engine too."""

    def __setitem__(self, addr, value):
        if type(addr) is int:
            if addr < 2 or self.write_map[addr >> 8] is not None:
                self.slow_write(addr, value)
            else:
                bytearray.__setitem__(self, addr, value)
                if self.code[addr]:
                    self.code_hit(addr)
        else:
            bytearray.__setitem__(self, addr, value)


class Engine(StrEnum):
    """How the machine executes 6502 code; both give identical results (docs/harness.md)."""

    FAST = "fast"            # basic blocks translated to Python (machine/fast.py)
    REFERENCE = "reference"  # py65's interpreter with c64ml's cycle fixes (machine/cpu.py)


BASIC_PAGES = range(0xA0, 0xC0)
IO_PAGES = range(0xD0, 0xE0)
KERNAL_PAGES = range(0xE0, 0x100)
VIC_DEFAULTS = {0x11: 0x1B, 0x16: 0xC8, 0x18: 0x15, 0x20: 14, 0x21: 6}
STACK_AT_SYS = 0xF8           # SP before the return address is pushed (approximate)
_TRAP_FILL = {False: bytes(0x2000), True: b"\1" * 0x2000}   # trap bytes for a banked area


class C64:
    """One emulated machine.  ``m.ram`` is the raw 64 KB RAM (a memoryview:
    reads and writes from Python bypass banking and I/O).

    ``system`` is "pal" or "ntsc"; ``irq=False`` switches the KERNAL's 60 Hz timer
    interrupt off; ``seed`` seeds what the simulated interrupt scribbles over its zero
    page; a run stops as "idle" after ``idle_polls`` GETIN calls in a row with no key.
    ``engine`` is "fast" (6502 code translated to Python, machine/fast.py) or "reference"
    (py65, one instruction at a time); both give the same cycles, memory and registers."""

    def __init__(self, system: str = "pal", irq: bool = True, seed: int = 0,
                 idle_polls: int = 2000, engine: Engine = Engine.FAST) -> None:
        if system not in SYSTEMS:
            raise C64Error(f"unknown system {system!r}; use 'pal' or 'ntsc'", field="system")
        if engine not in tuple(Engine):
            raise C64Error(f"unknown engine {engine!r}; use 'fast' or 'reference'",
                           field="engine")
        self.engine = Engine(engine)
        self._engine = None
        self.system = SYSTEMS[system]
        self.irq = irq
        self.idle_polls = idle_polls
        self.rng = random.Random(seed)
        self._bus = (_WatchedBus if engine == "fast" else _Bus)(0x10000)
        self._bus.slow_write = self._slow_write
        self._bus.write_map = [None] * 256
        self.ram = memoryview(self._bus)
        self.colour = bytearray(1024)
        self.vic = bytearray(0x40)
        for reg, v in VIC_DEFAULTS.items():
            self.vic[reg] = v
        self.cia1 = CIA("CIA1", 0xDC00)
        self.cia2 = CIA("CIA2", 0xDD00, readable_ports=(0, 1, 2, 3))
        self.cpu = CPU(self._bus)
        self.screen = Screen(self.ram, self.colour)
        self.key_queue: deque[int] = deque()
        self.empty_polls = 0
        self._probes: set[int] = set()
        self._probe_hits: list[tuple[int, int]] = []
        self._exit: int | None = None
        self._deadline: float | None = None
        self._max_seconds: float | None = None
        self._chrout_listeners: list[Callable[[int], object]] = []
        kernal.init_ram(self.ram)
        self.screen.clear()
        # The KERNAL's 60 Hz interrupt: CIA1 timer A, continuous, enabled in the ICR,
        # started long ago: counting from the latch in cycle 1, the phase it has always had.
        t = self.cia1.a
        t.latch = self.system.irq_latch
        t.run_from(1, t.latch)
        self.cia1.mask = 1 if irq else 0
        self._banked: tuple | None = None
        self._layouts: dict[tuple, tuple] = {}
        self._bank()
        if engine == "fast":
            from c64ml.machine.fast import FastEngine
            self._engine = FastEngine(self)
            self._bus.code = self._engine.code
            self._bus.code_hit = self._engine.code_written

    # --- memory map ---------------------------------------------------------
    def banking(self) -> tuple[bool, bool, str]:
        """(BASIC visible, KERNAL visible, what is at $D000: 'io', 'char' or 'ram')."""
        ddr, port = self.ram[0], self.ram[1]
        eff = (port & ddr) | (0x07 & ~ddr)
        lo, hi, charen = eff & 1, eff & 2, eff & 4
        d000 = "ram" if not (lo or hi) else ("io" if charen else "char")
        return bool(lo and hi), bool(hi), d000

    def _bank(self) -> None:
        state = self.banking()
        if state == self._banked:       # a $01 write that changes nothing visible: O(1)
            return
        self._banked = state
        layout = self._layouts.get(state)
        if layout is None:
            layout = self._layouts[state] = self._layout(*state)
        rmap, wmap, traps = self.cpu.read_map, self._bus.write_map, self.cpu.traps
        rmap[0xA0:0x100], wmap[0xD0:0xE0], traps[0xA000:0x10000] = layout
        traps[kernal.SYS_RETURN] = 1
        for a in self._probes:
            traps[a] = 1
        if self._engine is not None:
            self._engine.rebank()

    def _layout(self, basic: bool, kern: bool, d000: str) -> tuple[list, list, bytes]:
        """Read handlers for pages $A0-$FF, write handlers for $D0-$DF and the trap bytes
        for $A000-$FFFF in one banking state (computed once per state, then reused)."""
        rom, io = self._rom_read, {"io": self._io_read, "char": self._rom_read, "ram": None}
        reads = ([rom if basic else None] * len(BASIC_PAGES) + [None] * 0x10
                 + [io[d000]] * len(IO_PAGES) + [rom if kern else None] * len(KERNAL_PAGES))
        writes = [self._io_write if d000 == "io" else None] * len(IO_PAGES)
        traps = (_TRAP_FILL[basic] + bytes(0x1000) + _TRAP_FILL[d000 != "ram"][:0x1000]
                 + _TRAP_FILL[kern])
        return reads, writes, traps

    def _rom_read(self, addr: int):
        area = ("BASIC ROM" if addr < 0xC000 else "character ROM" if addr < 0xE000
                else "KERNAL ROM")
        raise BadAccess(f"read of ${addr:04X} in the {area}, which the harness does not have "
                        f"(PC ${self.cpu.pc:04X}); bank it out via $01 or avoid the ROM",
                        field=f"${addr:04X}")

    def _slow_write(self, addr: int, value: int) -> None:
        if addr < 2:
            bus = self._bus
            if bus[addr] != value:      # rewriting the same value changes nothing
                bytearray.__setitem__(bus, addr, value)
                self._bank()
        else:
            self._bus.write_map[addr >> 8](addr, value)

    def watch_zero_page(self) -> set[tuple[int, int]]:
        """From now on, record each write the CPU makes to $02-$FF as (address, address of
        the writing instruction) in the set returned. Writes the harness makes itself
        (the KERNAL IRQ's scribbling, the emulated KERNAL routines, ``ram``) are not
        recorded; the machine behaves as before (with the fast engine, zero-page stores
        then go through the bus, so they are seen too)."""
        self._zp_writes: set[tuple[int, int]] = set()
        self._bus.write_map[0] = self._zp_write
        if self._engine is not None:    # its blocks write zero page directly: redo them
            self._engine.flush()
            self._engine.rebank()
        return self._zp_writes

    def _zp_write(self, addr: int, value: int) -> None:
        # the CPU's PC is on the operand of a zero-page or absolute store when it writes
        self._zp_writes.add((addr, (self.cpu.pc - 1) & 0xFFFF))
        bytearray.__setitem__(self._bus, addr, value)

    def _io_read(self, addr: int) -> int:
        now = self.cpu.access_cycle(write=False)
        if addr < 0xD400:
            reg = addr & 0x3F
            if reg == 0x12:
                return (now // self.system.cycles_per_line) % self.system.lines & 0xFF
            if reg == 0x11:
                line = (now // self.system.cycles_per_line) % self.system.lines
                return (self.vic[0x11] & 0x7F) | (0x80 if line > 0xFF else 0)
            if reg in (0x19, 0x1E, 0x1F):
                raise BadAccess(f"read of VIC-II register ${addr:04X} (interrupt/collision "
                                "latch), which the harness does not emulate",
                                field=f"${addr:04X}")
            if reg >= 0x2F:
                return 0xFF
            return self.vic[reg] | (0xF0 if reg >= 0x20 else 0)
        if addr < 0xD800:
            raise BadAccess(f"read of SID register ${addr:04X}, which the harness does not "
                            "emulate", field=f"${addr:04X}")
        if addr < 0xDC00:
            return self.colour[addr - 0xD800] | 0xF0
        if addr < 0xDD00:
            return self.cia1.read(addr & 0xF, now)
        if addr < 0xDE00:
            return self.cia2.read(addr & 0xF, now)
        raise BadAccess(f"read of I/O area ${addr:04X} (expansion port), which the harness "
                        "does not emulate", field=f"${addr:04X}")

    def _io_write(self, addr: int, value: int) -> None:
        if addr < 0xD400:
            self.vic[addr & 0x3F] = value
        elif addr < 0xD800:
            if addr == 0xD7FF:          # VICE debug cartridge: exit with this code
                self._exit = value
                self.cpu.event_at = 0
        elif addr < 0xDC00:
            self.colour[addr - 0xD800] = value & 0x0F
        elif addr < 0xDE00:
            cia = self.cia1 if addr < 0xDD00 else self.cia2
            cia.write(addr & 0xF, value, self.cpu.access_cycle(write=True))
            if cia is self.cia2 and cia.mask:
                raise BadAccess("CIA2 interrupts (NMI) are not emulated",
                                field=f"${addr:04X}")
            self.cpu.event_at = 0       # IRQ schedule may have changed

    # --- loading --------------------------------------------------------------
    def probe(self, addresses: Iterable[int]) -> None:
        """Record the program's cycle count each time execution reaches one of ``addresses``
        (in ``RunResult.probes``); for measuring parts of a routine, e.g. one layer."""
        for a in self._probes:
            self.cpu.traps[a] = 0
        self._probes = set(addresses)
        for a in self._probes:
            self.cpu.traps[a] = 1
        if self._engine is not None:
            self._engine.flush()

    def load(self, addr: int, data: bytes) -> None:
        """Put ``data`` straight into RAM at ``addr`` (bypassing banking and I/O; no PRG
        header)."""
        if not 0 <= addr <= 0xFFFF or addr + len(data) > 0x10000:
            raise C64Error(f"{len(data)} bytes at ${addr:04X} do not fit in 64 KB",
                           field="address")
        self.ram[addr:addr + len(data)] = bytes(data)
        if addr < 2:
            self._bank()

    def load_prg(self, prg: bytes) -> tuple[int, int]:
        """Load a PRG at its load address as LOAD"...",8,1 would; (start, end)."""
        addr, payload = parse_prg(prg)
        self.load(addr, payload)
        end = addr + len(payload)
        if addr == BASIC_START:
            kernal.set_program_end(self.ram, end)
        return addr, end

    def read(self, addr: int, length: int = 1) -> bytes:
        """``length`` bytes of RAM from ``addr`` (what the CPU sees when RAM is banked in)."""
        if not 0 <= addr <= 0xFFFF or length < 0 or addr + length > 0x10000:
            raise C64Error(f"{length} bytes at ${addr:04X} are not in 64 KB", field="address")
        return bytes(self.ram[addr:addr + length])

    def on_chrout(self, listener: Callable[[int], object]) -> None:
        """Call ``listener(byte)`` with every PETSCII byte the program prints through CHROUT
        ($FFD2), before it reaches the screen: a transcript that survives scrolling."""
        self._chrout_listeners.append(listener)

    def keys(self, text: str | bytes) -> None:
        """Queue keys for GETIN (PETSCII; in a str, a-z are taken as A-Z and '\\n' as RETURN)."""
        if isinstance(text, str):
            text = text.upper().replace("\n", "\r").encode("latin-1", errors="replace")
        self.key_queue.extend(text)

    # --- screen ---------------------------------------------------------------
    def screen_text(self) -> list[str]:
        """The 25 screen rows as text, trailing spaces stripped (``trim_screen`` also drops
        trailing blank rows); graphics characters read as '#'."""
        return self.screen.text()

    def screen_codes(self) -> bytes:
        """The 1,000 screen codes at $0400-$07E7."""
        return self.screen.codes()

    def colour_ram(self) -> bytes:
        """The 1,000 colour RAM nybbles ($D800-$DBE7), 0-15 each."""
        return bytes(self.colour[:1000])

    @property
    def border(self) -> int:
        """The border colour ($D020), 0-15."""
        return self.vic[0x20] & 0x0F

    @property
    def background(self) -> int:
        """The background colour ($D021), 0-15."""
        return self.vic[0x21] & 0x0F

    # --- running ---------------------------------------------------------------
    def run_prg(self, prg: bytes, keys: str | bytes = "", max_cycles: int = 10_000_000,
                max_seconds: float | None = None) -> RunResult:
        """Load a PRG with a ``SYS nnnn`` stub at $0801 and start it as RUN would."""
        entry = stub_sys_address(prg)
        self.load_prg(prg)
        self.keys(keys)
        return self.call(entry, max_cycles=max_cycles, max_seconds=max_seconds)

    def run_program(self, prg: bytes, keys: str | bytes = "", max_cycles: int = 10_000_000,
                    max_seconds: float | None = None) -> RunResult:
        """Start any PRG as a user would: one loading at $0801 through its ``SYS`` stub
        (LOAD and RUN), any other at its load address (LOAD ,8,1 and SYS)."""
        if prg[:2] == b"\x01\x08":
            return self.run_prg(prg, keys=keys, max_cycles=max_cycles, max_seconds=max_seconds)
        start, _ = self.load_prg(prg)
        self.keys(keys)
        return self.call(start, max_cycles=max_cycles, max_seconds=max_seconds)

    def call(self, addr: int, a: int = 0, x: int = 0, y: int = 0,
             max_cycles: int = 10_000_000, max_seconds: float | None = None) -> RunResult:
        """JSR to ``addr`` the way BASIC's SYS does and run until it returns (``reason``
        "return"), exits through $D7FF ("exit") or waits for keys ("idle"). Raises
        ``CycleBudgetExceeded`` when all the cycles of the run (the program's, the KERNAL
        routines' and the interrupts') reach ``max_cycles``, and ``TimeLimitExceeded`` when
        it has taken more than ``max_seconds`` of wall-clock time (None: no limit). The
        machine keeps its state, so the screen and RAM can still be read."""
        cpu = self.cpu
        cpu.sp = STACK_AT_SYS
        cpu.stPushWord(kernal.SYS_RETURN - 1)
        ret_sp = cpu.sp + 2 & 0xFF
        cpu.pc, cpu.a, cpu.x, cpu.y = addr & 0xFFFF, a & 0xFF, x & 0xFF, y & 0xFF
        cpu.p = cpu.BREAK | cpu.UNUSED
        basic_state = (bytes(self.ram[0x2B:0x39]), bytes(self.ram[0x73:0x8B]), self.ram[1])
        self._deadline = None if max_seconds is None else time.monotonic() + max_seconds
        self._max_seconds = max_seconds
        try:
            return self._run(max_cycles, ret_sp, basic_state)
        except C64Error as e:     # the run so far, for a report: reason "max_cycles" etc.
            e.result = self._result(_STOP_REASONS.get(type(e), "error"), self._start, ret_sp,
                                    basic_state)
            raise

    def _run(self, max_cycles: int, ret_sp: int, basic_state) -> RunResult:
        cpu = self.cpu
        start = cpu.processorCycles
        self._start, self._budget = start, max_cycles
        self._irq_cycles = self._irq_count = self._kernal_cycles = self._kernal_calls = 0
        self._exit = None
        self.empty_polls = 0
        self._probe_hits = []
        self._instructions = cpu.instructions
        reason = None
        cpu.event_at = 0
        engine = self._engine
        if engine is not None:
            engine.check_pages()      # RAM written from Python since the last run
        run = cpu.run if engine is None else engine.run
        while reason is None:
            pc = run()
            if pc is None:
                reason = self._service()
                continue
            if pc in self._probes:
                self._probe_hits.append((pc, cpu.processorCycles - start - self._irq_cycles
                                         - self._kernal_cycles))
                cpu.step()
                continue
            basic, kern, d000 = self.banking()
            if pc == kernal.SYS_RETURN and (cpu.sp == ret_sp or kern):
                reason = "return"
                break
            handler = kernal.ENTRY_POINTS.get(pc) if kern else None
            if handler is not None:
                c = handler(self)
                self._kernal_cycles += c
                self._kernal_calls += 1
                cpu.processorCycles += c
                cpu.pc = (cpu.stPopWord() + 1) & 0xFFFF
                cpu.event_at = 0
                if engine is not None:
                    engine.check_pages(kernal.WRITTEN_PAGES)
                if self.empty_polls > self.idle_polls:
                    reason = "idle"
                continue
            in_rom = ((basic and 0xA000 <= pc < 0xC000) or (kern and pc >= 0xE000)
                      or (d000 != "ram" and 0xD000 <= pc < 0xE000))
            if in_rom:
                what = ("the BASIC ROM" if pc < 0xC000 else "I/O or character ROM"
                        if pc < 0xE000 else "a KERNAL routine the harness does not emulate")
                raise C64Error(f"jump to ${pc:04X} in {what}", field=f"${pc:04X}")
            cpu.step()            # RAM at the return-trap address: just execute it
        return self._result(reason, start, ret_sp, basic_state)

    def _service(self) -> str | None:
        """Handle the event that stopped the CPU: exit port, budget, IRQ."""
        cpu = self.cpu
        if self._exit is not None:
            return "exit"
        now = cpu.processorCycles
        used = now - self._start      # every cycle counts: program, KERNAL and IRQ
        if used >= self._budget:
            own = used - self._irq_cycles - self._kernal_cycles
            raise CycleBudgetExceeded(
                f"ran {used} cycles without returning ({own} program + {self._irq_cycles} IRQ "
                f"+ {self._kernal_cycles} KERNAL; budget {self._budget}); PC ${cpu.pc:04X}",
                field=f"${cpu.pc:04X}")
        nxt = self._start + self._budget
        if self._deadline is not None:
            if time.monotonic() >= self._deadline:
                raise TimeLimitExceeded(
                    f"still running after {self._max_seconds:g} s of wall-clock time "
                    f"({used} cycles); PC ${cpu.pc:04X}", field=f"${cpu.pc:04X}")
            nxt = min(nxt, now + TIME_CHECK_CYCLES)
        if self.irq:
            if self.cia1.irq_pending(now):
                if not cpu.p & cpu.INTERRUPT:
                    self._interrupt()
                    cpu.event_at = 0
                    return None
            else:
                n = self.cia1.next_irq()
                if n is not None:
                    nxt = min(nxt, n)
        cpu.event_at = nxt
        return None

    def _interrupt(self) -> None:
        cpu = self.cpu
        basic, kern, d000 = self.banking()
        self._irq_count += 1
        if not kern:
            # No KERNAL: the CPU jumps through the RAM vector at $FFFE; the
            # program's handler runs (and must acknowledge $DC0D) as on the machine.
            before = cpu.processorCycles
            cpu.irq()
            self._irq_cycles += cpu.processorCycles - before
            return
        vec = self.ram[kernal.IRQ_VECTOR_RAM] | self.ram[kernal.IRQ_VECTOR_RAM + 1] << 8
        if vec != kernal.KERNAL_IRQ:
            raise C64Error(f"IRQ through a custom vector ${vec:04X} at $0314 is not emulated "
                           "(SEI, or restore $0314/$0315 to $EA31)", field="$0314")
        kernal.scribble(self)
        if self._engine is not None:
            self._engine.check_pages((0, 1))
        self.cia1.ack()
        c = kernal.CYCLES["irq"]
        cpu.processorCycles += c
        self._irq_cycles += c

    def _result(self, reason: str, start: int, ret_sp: int, basic_state) -> RunResult:
        cpu = self.cpu
        total = cpu.processorCycles - start
        r = RunResult(cycles=total - self._irq_cycles - self._kernal_cycles,
                      irq_cycles=self._irq_cycles, irq_count=self._irq_count,
                      kernal_cycles=self._kernal_cycles, kernal_calls=self._kernal_calls,
                      reason=reason, exit_code=self._exit if reason == "exit" else None,
                      a=cpu.a, x=cpu.x, y=cpu.y, p=cpu.p, sp=cpu.sp, pc=cpu.pc,
                      probes=self._probe_hits,
                      instructions=cpu.instructions - self._instructions)
        if reason == "return":
            ptrs, chrget, port = basic_state
            issues = []
            if bytes(self.ram[0x2B:0x39]) != ptrs:
                issues.append("BASIC pointers $2B-$38 changed")
            if bytes(self.ram[0x73:0x8B]) != chrget:
                issues.append("CHRGET routine $73-$8A changed")
            if self.ram[1] != port:
                issues.append(f"$01 is ${self.ram[1]:02X}, was ${port:02X}")
            if cpu.p & cpu.DECIMAL:
                issues.append("decimal flag left set")
            if cpu.sp != ret_sp:
                issues.append(f"stack pointer is ${cpu.sp:02X}, expected ${ret_sp:02X}")
            r.clean_return = not issues
            r.return_issues = issues
        return r
