"""6526 CIA timers A and B, evaluated lazily from the cycle count.

Model (after W. Lorenz's CIA6526 description and VICE's ciatimer):

* A running timer in phi2 mode decrements once per cycle.  When it would
  count past ... 1 it reloads from the latch instead of showing 0; the reload
  cycle and the cycle after both read as the latch, so a continuous timer has a
  period of ``latch + 1`` cycles.  The ICR flag is set in the reload cycle.
* One-shot: at the underflow the counter reloads and the START bit clears.
* Writing START (with or without FORCE LOAD) in cycle W: the first decrement is
  visible to a read in cycle W+2.  Writing STOP in cycle S: the decrement of
  cycle S+1 still happens.  So "start at W, stop at S" counts exactly S-W
  cycles, and two reads of a running timer differ by exactly the cycles between
  them.  (The absolute start latency is modelled, not checked on hardware.)
* Timer B counting timer-A underflows (CRB bits 6-5 = %10, the cascade that
  makes a 32-bit counter): B decrements in the cycle in which A underflows
  (the cycle A's ICR flag is set).  Unlike phi2 mode, the cascaded counter
  reads 0: with latch L it shows L, L-1, ..., 1, 0 and reloads L (setting its
  ICR flag) at the next A underflow, a period of L+1 underflows (Lorenz:
  "zeros in cascaded mode only").  The 6526's one-cycle pipeline between A's
  underflow and B's decrement is not modelled.
* Counting CNT pulses (CRA bit 5, CRB bits 6-5 = %01 or %11), TOD, the serial
  register and the ports are not emulated: using them raises ``BadAccess``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from c64ml.machine.cpu import BadAccess


@dataclass
class Timer:
    latch: int = 0xFFFF
    cr: int = 0               # control register as last written (bit 4 strobe not kept)
    t0: int = 0               # reference cycle ...
    v0: int = 0xFFFF          # ... and the counter's value then
    next_uf: int | None = None  # next underflow cycle not yet flagged (running only)

    @property
    def running(self) -> bool:
        return bool(self.cr & 1)

    @property
    def counts_ta(self) -> bool:
        """Timer B in cascade mode: counting timer-A underflows (CRB bits 6-5 = %10)."""
        return self.cr & 0x60 == 0x40

    def value(self, now: int) -> int:
        if not self.running or now <= self.t0:
            return self.v0
        d = now - self.t0
        if d < self.v0:
            return self.v0 - d
        p = (d - self.v0) % (self.latch + 1)
        return self.latch if p == 0 else self.latch - (p - 1)

    def sync(self, now: int) -> bool:
        """Advance to ``now``; True if an underflow happened since the last sync."""
        if not self.running or self.next_uf is None or self.next_uf > now:
            return False
        if self.cr & 8:  # one-shot: reload and stop
            self.cr &= ~1
            self.v0, self.t0, self.next_uf = self.latch, self.next_uf, None
            return True
        period = self.latch + 1
        self.next_uf += ((now - self.next_uf) // period + 1) * period
        return True

    def _restart(self, t0: int, v0: int) -> None:
        self.t0, self.v0 = t0, v0
        self.next_uf = t0 + v0 if self.running else None

    def write_latch_hi(self, now: int, value: int) -> None:
        self.latch = (self.latch & 0xFF) | (value << 8)
        if not self.running:
            self._restart(now, self.latch)

    def write_latch_lo(self, value: int) -> None:
        self.latch = (self.latch & 0xFF00) | value

    def write_cr(self, now: int, value: int) -> None:
        was = self.running
        if was and not value & 1:          # stop: one more decrement in the pipeline
            frozen = self.value(now + 1)
            self.cr = value & 0xEF
            self._restart(now, frozen)
        else:
            self.cr = value & 0xEF
        if value & 0x10:                   # force load
            self._restart(now + 1 if self.running else now, self.latch)
        elif self.running and not was:    # start counting from the current value
            self._restart(now + 1, self.v0)
        elif self.running:                 # mode bits changed while running
            self._restart(now, self.value(now))


@dataclass
class CIA:
    """One 6526: timers A and B and the interrupt control register."""

    name: str
    base: int
    a: Timer = field(default_factory=Timer)
    b: Timer = field(default_factory=Timer)
    flags: int = 0            # ICR bits 0 (TA) and 1 (TB) as latched
    mask: int = 0             # ICR enable mask
    readable_ports: tuple = (2, 3)   # port registers a read may return as last written
    port: list = field(default_factory=lambda: [0] * 4)   # $x0-$x3 as last written

    def sync(self, now: int) -> None:
        if self.b.counts_ta:
            self._sync_cascade(now)       # before A's state may change below
        elif self.b.sync(now):
            self.flags |= 2
        if self.a.sync(now):
            self.flags |= 1

    # --- timer B counting timer-A underflows ----------------------------------
    def _ta_schedule(self) -> tuple[int, int | None] | None:
        """A's next underflows as (first cycle, period or None for one-shot), if running."""
        a = self.a
        if not a.running:
            return None
        return a.t0 + a.v0, (None if a.cr & 8 else a.latch + 1)

    def _ta_underflows(self, after: int, upto: int) -> int:
        """How many A underflows fall in cycles ``after`` < u <= ``upto`` (A unchanged)."""
        sched = self._ta_schedule()
        if sched is None or upto <= after:
            return 0
        first, period = sched
        if period is None:
            return 1 if after < first <= upto else 0
        if first <= after:
            first += ((after - first) // period + 1) * period
        return 0 if first > upto else (upto - first) // period + 1

    def _cascade_value(self, n: int) -> tuple[int, bool]:
        """B's value after ``n`` more A underflows, and whether B underflowed meanwhile."""
        b = self.b
        if n <= b.v0:
            return b.v0 - n, False
        m = (n - b.v0 - 1) % (b.latch + 1)      # underflows since the first reload
        if b.cr & 8:                           # one-shot: reload, stop
            b.cr &= ~1
            return b.latch, True
        return b.latch - m, True

    def _sync_cascade(self, now: int) -> None:
        b = self.b
        if not b.running or now <= b.t0:
            return
        value, under = self._cascade_value(self._ta_underflows(b.t0, now))
        b.v0, b.t0 = value, now
        if under:
            self.flags |= 2

    def _cascade_next_underflow(self) -> int | None:
        b, sched = self.b, self._ta_schedule()
        if not b.running or sched is None:
            return None
        first, period = sched
        if period is None:
            return first if b.v0 == 0 and first > b.t0 else None
        if first <= b.t0:
            first += ((b.t0 - first) // period + 1) * period
        return first + b.v0 * period

    def _write_crb_cascade(self, now: int, value: int) -> None:
        """CRB write when B counts A underflows before or after it (B is synced to ``now``)."""
        b = self.b
        was = b.running
        current = b.value(now) if not b.counts_ta else b.v0
        b.cr = value & 0xEF
        if value & 0x10:
            current = b.latch
        start = now + 1 if b.running and not was else now
        if b.counts_ta:
            b.t0, b.v0, b.next_uf = start, current, None
        else:
            b._restart(start if b.running else now, current)

    def irq_pending(self, now: int) -> bool:
        self.sync(now)
        return bool(self.flags & self.mask & 3)

    def next_irq(self) -> int | None:
        """Earliest future cycle at which an enabled underflow will be flagged."""
        times = [t.next_uf for bit, t in ((1, self.a), (2, self.b))
                 if self.mask & bit and t.running and t.next_uf is not None]
        if self.mask & 2 and self.b.counts_ta:
            times.append(self._cascade_next_underflow())
        times = [t for t in times if t is not None]
        return min(times) if times else None

    def ack(self) -> None:
        self.flags = 0

    def read(self, reg: int, now: int) -> int:
        self.sync(now)
        if reg == 0x4:
            return self.a.value(now) & 0xFF
        if reg == 0x5:
            return self.a.value(now) >> 8
        if reg == 0x6:
            return self.b.value(now) & 0xFF
        if reg == 0x7:
            return self.b.value(now) >> 8
        if reg == 0xD:
            v = self.flags | (0x80 if self.flags & self.mask & 0x1F else 0)
            self.flags = 0
            return v
        if reg == 0xE:
            return self.a.cr
        if reg == 0xF:
            return self.b.cr
        if reg in self.readable_ports:
            return self.port[reg]
        raise BadAccess(f"read of {self.name} register ${self.base + reg:04X}, "
                        "which the harness does not emulate (keyboard/joystick/TOD/serial)",
                        field=f"${self.base + reg:04X}")

    def write(self, reg: int, value: int, now: int) -> None:
        self.sync(now)
        if reg < 4:
            self.port[reg] = value
        elif reg == 0x4:
            self.a.write_latch_lo(value)
        elif reg == 0x5:
            self.a.write_latch_hi(now, value)
        elif reg == 0x6:
            self.b.write_latch_lo(value)
        elif reg == 0x7:
            self.b.write_latch_hi(now, value)
        elif reg == 0xD:
            bits = value & 0x1F
            self.mask = self.mask | bits if value & 0x80 else self.mask & ~bits
            if self.mask & ~3:
                raise BadAccess(f"{self.name}: enabling TOD/serial/FLAG interrupts "
                                "is not emulated", field=f"${self.base + reg:04X}")
        elif reg == 0xE:
            if value & 0x20:
                raise BadAccess(f"{self.name} timer A counting CNT pulses is not emulated",
                                field=f"${self.base + reg:04X}")
            if self.b.counts_ta and self.a.running and not value & 1:
                self._sync_cascade(now + 1)    # the decrement after STOP may underflow too
            self.a.write_cr(now, value)
        elif reg == 0xF:
            if value & 0x20:
                raise BadAccess(f"{self.name} timer B counting CNT pulses is not emulated",
                                field=f"${self.base + reg:04X}")
            if self.b.counts_ta or value & 0x40:
                self._write_crb_cascade(now, value)
            else:
                self.b.write_cr(now, value)
        # TOD ($x8-$xB) and serial ($xC) writes are accepted and ignored.
