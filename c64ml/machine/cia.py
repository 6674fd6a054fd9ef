"""6526 CIA timers A and B, evaluated lazily from the cycle count.

The timing is VICE x64sc's (3.7.1, old 6526), measured with the fragments in
tools/vice_timing/ (docs/harness.md, "Timing against VICE"); the figures below
are measured ones unless marked.  "Cycle W" is the cycle of the CPU's access: the
last cycle of the writing instruction, the read cycle of a reading one.

* A running timer in phi2 mode decrements once per cycle.  When it would
  count past ... 1 it reloads from the latch instead of showing 0; the reload
  cycle and the cycle after both read as the latch, so a continuous timer has a
  period of ``latch + 1`` cycles.  The ICR flag is set in the reload cycle.
* One-shot: in the reload cycle the counter reloads and the START bit clears.
* START without FORCE LOAD written in cycle W: the first decrement shows in
  cycle W+3.  START with FORCE LOAD: the counter holds the latch in W+2 and
  W+3 and the first decrement shows in W+4 (a load takes the place of one
  decrement).  FORCE LOAD into a running timer: the same, from W+3 on.
* STOP written in cycle S: the decrements of S+1 and S+2 still happen.  An
  underflow in S+1 still reloads the counter and sets the ICR flag; one due in
  S+2 does not happen: the counter stops at 0 (and a later START, which sees the
  0, reloads at once).  So a timer force-loaded and started at W and stopped at S
  has counted S-W-1 cycles (S-W without the force load).
* Timer B counting timer-A underflows (CRB bits 6-5 = %10, the cascade that
  makes a 32-bit counter): an A underflow in cycle U reaches B in U+1.  If B
  holds 0 then, it reloads in U+1 (and sets its ICR flag there); otherwise its
  decrement shows in U+2.  So the cascaded counter reads 0 (with latch L:
  L, L-1, ..., 1, 0, L, ...: a period of L+1 underflows).  B counts A's
  underflows up to S+1 of a STOP written to CRA.  Not measured, from VICE's
  timer design: B counts them up to the cycle of a STOP written to CRB, and none
  before or in the cycle of its own START (with FORCE LOAD, none in the cycle
  after either).
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
    v0: int = 0xFFFF          # ... and the counter's value then (decrements show from t0+1)
    next_uf: int | None = None  # next underflow cycle not yet flagged (running only)
    pending_uf: int | None = None  # an underflow still to flag after the timer stopped

    @property
    def running(self) -> bool:
        return bool(self.cr & 1)

    @property
    def counts_ta(self) -> bool:
        """Timer B in cascade mode: counting timer-A underflows (CRB bits 6-5 = %10)."""
        return self.cr & 0x60 == 0x40

    def value(self, now: int) -> int:
        if not self.running or now <= self.t0 or self.counts_ta:
            return self.v0
        d = now - self.t0
        if d < self.v0:
            return self.v0 - d
        p = (d - self.v0) % (self.latch + 1)
        return self.latch if p == 0 else self.latch - (p - 1)

    def take_pending(self, now: int) -> bool:
        if self.pending_uf is not None and self.pending_uf <= now:
            self.pending_uf = None
            return True
        return False

    def sync(self, now: int) -> bool:
        """Advance to ``now``; True if an underflow happened since the last sync."""
        hit = self.take_pending(now)
        if not self.running or self.next_uf is None or self.next_uf > now:
            return hit
        if self.cr & 8:  # one-shot: reload and stop
            self.cr &= ~1
            self.v0, self.t0, self.next_uf = self.latch, self.next_uf, None
            return True
        period = self.latch + 1
        self.next_uf += ((now - self.next_uf) // period + 1) * period
        return True

    def underflows(self, after: int, upto: int) -> list[int]:
        """The underflow cycles ``after`` < u <= ``upto`` of the current count (a short span)."""
        if not self.running or upto <= after:
            return []
        u = self.t0 + self.v0
        period = self.latch + 1
        if u <= after:
            if self.cr & 8:
                return []
            u += ((after - u) // period + 1) * period
        out = []
        while u <= upto:
            out.append(u)
            if self.cr & 8:
                break
            u += period
        return out

    def _restart(self, t0: int, v0: int) -> None:
        self.t0, self.v0 = t0, v0
        self.next_uf = t0 + v0 if self.running else None

    def run_from(self, cycle: int, value: int, cr: int = 0x01) -> None:
        """Set the timer running (control register ``cr``) from ``value`` in ``cycle``, its
        first decrement showing in ``cycle + 1``: a timer started long ago, as the
        KERNAL's interrupt timer is when a program starts."""
        self.cr = cr & 0xEF
        self._restart(cycle, value)

    def write_latch_hi(self, now: int, value: int) -> None:
        self.latch = (self.latch & 0xFF) | (value << 8)
        if not self.running:
            self._restart(now, self.latch)

    def write_latch_lo(self, value: int) -> None:
        self.latch = (self.latch & 0xFF00) | value

    def write_cr(self, now: int, value: int) -> list[int]:
        """Write the control register in cycle ``now``.  Returns the cycles of the
        underflows the old count still makes after ``now`` (flagged by ``sync`` then)."""
        was, start, load = self.running, bool(value & 1), bool(value & 0x10)
        late: list[int] = []
        if was and not start:                      # stop: two more decrements
            late = self.underflows(now, now + 1)
            if load:
                frozen = self.latch
            elif self.underflows(now + 1, now + 2):
                frozen = 0                          # the underflow in S+2 does not happen
            else:
                frozen = self.value(now + 2)
            self.cr = value & 0xEF
            self._restart(now, frozen)
        elif was and load:                         # force load into a running timer
            late = self.underflows(now, now + 2)
            self.cr = value & 0xEF
            self._restart(now + 3, self.latch)
        elif was:                                  # running on; mode bits may change
            self.cr = value & 0xEF
        elif start:                                # start, from the latch or the counter
            self.cr = value & 0xEF
            if load:
                self._restart(now + 3, self.latch)
            else:
                self._restart(now + 2, self.v0)
        else:                                      # stopped, maybe loaded
            self.cr = value & 0xEF
            if load:
                self._restart(now, self.latch)
        if late:
            self.pending_uf = late[-1]
        return late


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
    ta_late: list = field(default_factory=list)  # A underflows for B that A's count no
    #                                              longer makes (it stopped or reloaded)

    def sync(self, now: int) -> None:
        a, b = self.a, self.b
        if b.counts_ta:
            self._sync_cascade(now)       # before A's state may change below
            if b.take_pending(now):
                self.flags |= 2
            if (b.running and a.running and a.cr & 8 and a.next_uf is not None
                    and b.t0 < a.next_uf <= now):
                self.ta_late.append(a.next_uf)   # a one-shot A's last underflow
        elif b.sync(now):
            self.flags |= 2
        if a.sync(now):
            self.flags |= 1

    # --- timer B counting timer-A underflows ----------------------------------
    # B's t0 is the cycle of the last A underflow B has taken in, v0 its value after it.
    def _ta_underflows(self, after: int, upto: int) -> int:
        """How many A underflows fall in cycles ``after`` < u <= ``upto`` (A unchanged)."""
        late = sum(after < u <= upto for u in self.ta_late)
        a = self.a
        if not a.running or upto <= after:
            return late
        first, period = a.t0 + a.v0, a.latch + 1
        if a.cr & 8:
            return late + (1 if after < first <= upto else 0)
        if first <= after:
            first += ((after - first) // period + 1) * period
        return late + (0 if first > upto else (upto - first) // period + 1)

    def _ta_nth_underflow(self, after: int, k: int) -> int | None:
        """The cycle of the ``k``-th A underflow after cycle ``after`` (k >= 1), if any."""
        late = sorted(u for u in self.ta_late if u > after)
        if k <= len(late):
            return late[k - 1]
        k -= len(late)
        after = max([after] + late)
        a = self.a
        if not a.running:
            return None
        first, period = a.t0 + a.v0, a.latch + 1
        if a.cr & 8:
            return first if k == 1 and first > after else None
        if first <= after:
            first += ((after - first) // period + 1) * period
        return first + (k - 1) * period

    def _cascade_take(self, upto: int) -> bool:
        """Take A's underflows up to cycle ``upto`` into B; True if B reloaded."""
        b = self.b
        n = self._ta_underflows(b.t0, upto)
        b.t0 = max(b.t0, upto)
        if not n:
            return False
        if n <= b.v0:
            b.v0 -= n
            return False
        m = (n - b.v0 - 1) % (b.latch + 1)      # underflows since the first reload
        if b.cr & 8:                           # one-shot: reload, stop
            b.cr &= ~1
            b.v0 = b.latch
        else:
            b.v0 = b.latch - m
        return True

    def _sync_cascade(self, now: int) -> None:
        b = self.b
        if b.running and now - 2 > b.t0 and self._cascade_take(now - 2):
            self.flags |= 2
        # an underflow in now-1 reaches B in now: a reload shows at once, a decrement later
        if b.running and b.v0 == 0 and now - 1 > b.t0 and self._ta_underflows(b.t0, now - 1):
            self._cascade_take(now - 1)
            self.flags |= 2
        self.ta_late = [u for u in self.ta_late if u > b.t0] if b.running else []

    def _cascade_next_underflow(self) -> int | None:
        b = self.b
        if not b.running:
            return None
        u = self._ta_nth_underflow(b.t0, b.v0 + 1)
        return None if u is None else u + 1

    def _write_crb_cascade(self, now: int, value: int) -> None:
        """CRB write when B counts A underflows before or after it (B is synced to ``now``)."""
        b = self.b
        if b.counts_ta:
            if b.running:                       # B takes in A's underflows up to ``now``
                if self._cascade_take(now):
                    b.pending_uf = now + 1      # (the last reload reaches B in now+1)
                self.ta_late = [u for u in self.ta_late if u > now]
            b.cr &= ~1
        elif b.running:
            b.write_cr(now, b.cr & ~1)          # a phi2 count stops as STOP would stop it
        load = bool(value & 0x10)
        if value & 0x60 == 0x40:
            b.cr = value & 0xEF
            b.next_uf = None
            if load:
                b.v0 = b.latch
            b.t0 = now + 1 if load else now
            self.ta_late = [u for u in self.ta_late if u > b.t0]
        else:
            b.write_cr(now, value)              # from stopped: the phi2 pipeline

    def irq_pending(self, now: int) -> bool:
        self.sync(now)
        return bool(self.flags & self.mask & 3)

    def next_irq(self) -> int | None:
        """Earliest future cycle at which an enabled underflow will be flagged."""
        times = []
        for bit, t in ((1, self.a), (2, self.b)):
            if self.mask & bit:
                times.append(t.pending_uf)
                if t.running and not t.counts_ta:
                    times.append(t.next_uf)
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
            a, b = self.a, self.b
            cascade = b.counts_ta and b.running
            if cascade and a.running and (not value & 1 or value & 0x10):
                self.ta_late += a.underflows(b.t0, now)   # A's count ends: B still takes
            late = a.write_cr(now, value)                  # these in, and the late ones
            if cascade:
                self.ta_late += late
        elif reg == 0xF:
            if value & 0x20:
                raise BadAccess(f"{self.name} timer B counting CNT pulses is not emulated",
                                field=f"${self.base + reg:04X}")
            if self.b.counts_ta or value & 0x40:
                self._write_crb_cascade(now, value)
            else:
                self.b.write_cr(now, value)
        # TOD ($x8-$xB) and serial ($xC) writes are accepted and ignored.
