"""runtime6502/timer.s and the CIA's cascade mode it relies on (timer B counting
timer-A underflows): exact cycle counts across 16-bit wrap-arounds, the calibrated
overhead, IRQ time included, and the one documented off-by-one phase."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from runtime_harness import build, call, peek

from c64ml.machine.cia import CIA

# --- the cascade in the CIA model -----------------------------------------------


def cascade(latch_a: int, latch_b: int, crb: int = 0x51) -> CIA:
    """A CIA with B (latch_b) counting underflows of A (latch_a, continuous), started at 0."""
    c = CIA("T", 0xDD00)
    for reg, v in ((4, latch_a & 0xFF), (5, latch_a >> 8), (6, latch_b & 0xFF), (7, latch_b >> 8)):
        c.write(reg, v, 0)
    c.write(0xF, crb, 0)
    c.write(0xE, 0x11, 0)
    return c


def test_b_counts_a_underflows_and_reads_zero():
    """A started at cycle 0 counts from cycle 2 (its first decrement shows then), so with
    latch 2 it underflows every 3 cycles (period L+1) at cycles 3, 6, 9, ...; B with
    latch 2 shows 2, 1, 0 and reloads at the third underflow (Lorenz: zeros are read
    in cascade mode only), setting its ICR flag there."""
    c = cascade(2, 2)
    a_underflows = list(range(3, 30, 3))
    b = []
    flags_at = []
    for t in range(1, 30):
        b.append(c.read(6, t))
        if c.read(0xD, t) & 2:
            flags_at.append(t)
    seen = 0
    for t, v in zip(range(1, 30), b):
        n = sum(u <= t for u in a_underflows)
        assert v == [2, 1, 0][n % 3], (t, v, n)
        seen = n
    assert seen == len(a_underflows)
    assert flags_at == [a_underflows[2], a_underflows[5], a_underflows[8]]


def test_b_stops_when_a_stops_and_one_shot_b_stops_itself():
    c = cascade(9, 100)
    c.write(0xE, 0x00, 35)               # stop A: underflows at 10, 20, 30 (and no more)
    assert c.read(6, 35) == 97 and c.read(6, 5000) == 97
    c = cascade(0, 1, crb=0x59)          # one-shot B: 1, 0, reload and stop
    assert [c.read(6, t) for t in (2, 3, 4, 50)] == [0, 1, 1, 1]
    assert c.read(0xF, 50) & 1 == 0


def test_cascade_interrupt_is_scheduled():
    c = cascade(99, 3)
    c.write(0xD, 0x82, 0)                # enable TB's interrupt
    # A underflows at 1 + 99 = 100, then every 100 cycles; B shows 3, 2, 1, 0 and
    # reloads (and interrupts) at the 4th underflow
    assert c.next_irq() == 100 + 3 * 100
    assert not c.irq_pending(399) and c.irq_pending(400)


def test_cnt_modes_are_still_refused():
    c = CIA("T", 0xDD00)
    for v in (0x21, 0x61):
        try:
            c.write(0xF, v, 0)
        except Exception as e:           # BadAccess: a C64mlError with one line
            assert "CNT" in str(e)
        else:
            raise AssertionError(f"CRB {v:#x} accepted")


# --- timer.s ------------------------------------------------------------------------

# Times X*Y iterations of a DEX/BNE, DEY/BNE loop between tm_start and tm_stop.
DRIVER = """
        jmp drv_end
drv_loop:
        jsr tm_start
        ldy drv_n+1
        ldx drv_n
@l:     dex
        bne @l
        dey
        bne @l
        jsr tm_stop
        rts
drv_n: .word 0
drv_end:
"""
M, SYM = build("timer.s", driver=DRIVER, irq=False, tables=False)
OVERHEAD = 6 + 6 + 2 + 4  # tm_start's RTS, JSR tm_stop, LDA #0, STA $DD0E


def loop_cycles(x: int, y: int) -> int:
    """LDY abs + LDX abs + the nested loop, counted by hand (X, Y = 0 mean 256)."""
    x, y = x or 256, y or 256
    inner = (x * 5 - 1) + (y - 1) * (256 * 5 - 1)   # DEX 2 + BNE 3 (2 when it falls through)
    outer = (y - 1) * 5 + 4                        # DEY 2 + BNE 3/2
    return 8 + inner + outer


def timed(m, sym, n: int) -> tuple[int, int]:
    m.ram[sym["drv_n"]:sym["drv_n"] + 2] = n.to_bytes(2, "little")
    r = call(m, sym, "drv_loop", max_cycles=10**7)
    return peek(m, sym["tm_cycles"], 4), r.cycles


def test_calibration_measures_the_18_cycle_overhead():
    r = call(M, SYM, "tm_calibrate")
    assert peek(M, SYM["tm_overhead"], 4) == OVERHEAD
    assert r.cycles == 451                       # the header's "about 440" is checked below
    assert call(M, SYM, "tm_start").cycles == 46


@settings(max_examples=60, deadline=None)
@given(st.integers(0x0101, 0xFFFF).filter(lambda n: n & 0xFF and n >> 8))
def test_exact_cycles_across_16_bit_wraps(n):
    call(M, SYM, "tm_calibrate")
    got, _ = timed(M, SYM, n)
    want = loop_cycles(n & 0xFF, n >> 8)
    # The one documented phase: the stop lands in timer A's reload cycle.
    glitch = (want + OVERHEAD) % 65536 == 65535 and want + OVERHEAD > 65535
    assert got == want + glitch


def test_the_reload_phase_reads_one_high_and_its_neighbours_do_not():
    """Loop lengths 65,499 to 65,523 cycles (NOP padding): the one whose count plus the
    18 cycles of overhead is 65,535 ends in timer A's reload cycle."""
    m, sym = build("timer.s", irq=False, tables=False, driver="""
        jmp drv_end
drv_loop:
        jsr tm_start
        jsr drv_wait
        jsr tm_stop
        rts
drv_wait:
        ldy #51
        ldx #0
@l:     dex
        bne @l
        dey
        bne @l
drv_pad: .res 12, $EA           ; up to 12 NOPs, the rest patched to RTS
        rts
drv_end:
""")
    call(m, sym, "tm_calibrate")
    base = 6 + 4 + (51 * 1279 + 50 * 5 + 4)     # JSR + LDY/LDX + loop, before the NOPs
    results = {}
    for nops in range(13):
        m.ram[sym["drv_pad"]:sym["drv_pad"] + 12] = bytes([0xEA] * nops + [0x60] * (12 - nops))
        call(m, sym, "drv_loop")
        want = base + 2 * nops + 6
        results[want] = peek(m, sym["tm_cycles"], 4)
    wrapped = [w for w in results if (w + OVERHEAD) % 65536 == 65535]
    assert wrapped, "the NOP range should straddle a reload phase"
    for w, got in results.items():
        assert got == w + (w in wrapped), (w, got)


def test_irq_time_is_counted():
    m, sym = build("timer.s", driver=DRIVER, irq=True, tables=False, seed=3)
    call(m, sym, "tm_calibrate")
    for n in (0x4000, 0x7F11, 0xFF20):
        m.ram[sym["drv_n"]:sym["drv_n"] + 2] = n.to_bytes(2, "little")
        r = m.call(sym["drv_loop"], max_cycles=10**7)
        assert r.irq_count >= 1
        assert peek(m, sym["tm_cycles"], 4) == loop_cycles(n & 0xFF, n >> 8) + r.irq_cycles


def test_calibration_survives_an_irq_at_every_phase():
    """Schedule the KERNAL IRQ at each cycle of tm_calibrate in turn: an IRQ inside one of
    its two windows must not change the overhead it keeps."""
    m, sym = build("timer.s", irq=True, tables=False)
    hits = 0
    for d in range(0, 460):
        t = m.cia1.a
        now = m.cpu.processorCycles
        t.t0, t.v0, t.next_uf = now, d, now + d
        m.cia1.flags = 0
        r = call(m, sym, "tm_calibrate")
        hits += r.irq_count
        assert peek(m, sym["tm_overhead"], 4) == OVERHEAD, d
    assert hits >= 400                     # the IRQ really did land inside the routine
