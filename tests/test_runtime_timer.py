"""runtime6502/timer.s and the CIA's cascade mode it relies on (timer B counting
timer-A underflows): exact cycle counts across 16-bit wrap-arounds, the calibrated
overhead, IRQ time included, and exact counts at the phases where timer A reloads.
The CIA timing is VICE x64sc's, measured with tools/vice_timing/ (docs/harness.md)."""

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
    """A, force-loaded and started in cycle 0, holds its latch 2 in cycles 2-3, counts from
    4 and underflows in 5, 8, 11, ... (period L+1). An A underflow in U reaches B in U+1: B's
    decrement shows in U+2, or, when B holds 0, B reloads in U+1 and sets its ICR flag
    there. So B (latch 2) reads 2, 1, 0 (Lorenz: zeros are read in cascade mode only) and
    reloads at every third underflow: in 12, 21, 30, 39. These are the values VICE x64sc
    reads (tools/vice_timing/cascade.s, LA=2 LB=2, B started 6 cycles before A)."""
    c = cascade(2, 2)
    vice = [2, 2, 2, 1, 1, 1, 0, 0, 2, 2, 2, 2, 1, 1, 1, 0, 0, 2, 2, 2, 2]   # cycles 4-24
    assert [c.read(6, t) for t in range(4, 25)] == vice
    c = cascade(2, 2)
    flags_at = [t for t in range(1, 41) if c.read(0xD, t) & 2]
    assert flags_at == [12, 21, 30, 39]


def test_b_stops_when_a_stops_and_one_shot_b_stops_itself():
    """A (latch 9) underflows in 12, 22, 32, 42. STOP written to CRA in S: A still
    decrements in S+1 and S+2, an underflow in S+1 still happens (and reaches B), one due
    in S+2 does not (A stops at 0)."""
    for stop, a_left, b_left in ((35, 5, 97), (40, 0, 97), (41, 9, 96)):
        c = cascade(9, 100)
        c.write(0xE, 0x00, stop)
        assert (c.read(4, stop + 4), c.read(6, stop + 4)) == (a_left, b_left), stop
        assert (c.read(4, 5000), c.read(6, 5000)) == (a_left, b_left), stop
    c = cascade(2, 1, crb=0x59)          # one-shot B: 1, 0, reload at A's 2nd underflow, stop
    assert [c.read(6, t) for t in (6, 7, 8)] == [1, 0, 0] and c.read(0xF, 8) & 1
    assert [c.read(6, t) for t in (9, 50)] == [1, 1]
    assert c.read(0xF, 50) & 1 == 0


def test_cascade_interrupt_is_scheduled():
    c = cascade(99, 3)
    c.write(0xD, 0x82, 0)                # enable TB's interrupt
    # A underflows in 3 + 99 = 102, then every 100 cycles; B shows 3, 2, 1, 0 and
    # reloads (and interrupts) one cycle after the 4th underflow
    assert c.next_irq() == 402 + 1
    assert not c.irq_pending(402) and c.irq_pending(403)


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
# tm_start's RTS, JSR tm_stop, LDA #0, STA $DD0E: 18 cycles from the START write to the STOP
# write; a timer force-loaded and started in W and stopped in S counts S-W-1 (VICE x64sc
# reads tm_overhead = 17 after tm_calibrate: tools/vice_timing/timer_s.s)
OVERHEAD = 6 + 6 + 2 + 4 - 1


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


def test_calibration_measures_the_17_cycle_overhead():
    r = call(M, SYM, "tm_calibrate")
    assert peek(M, SYM["tm_overhead"], 4) == OVERHEAD
    assert r.cycles == 451                       # the header's "about 440" is checked below
    assert call(M, SYM, "tm_start").cycles == 46


@settings(max_examples=60, deadline=None)
@given(st.integers(0x0101, 0xFFFF).filter(lambda n: n & 0xFF and n >> 8))
def test_exact_cycles_across_16_bit_wraps(n):
    call(M, SYM, "tm_calibrate")
    got, _ = timed(M, SYM, n)
    assert got == loop_cycles(n & 0xFF, n >> 8)


def test_the_reload_phases_read_exactly():
    """Loop lengths 65,499 to 65,523 cycles (NOP and BIT padding): the counts before the
    stop include the two phases where timer A's underflow meets the stop pipeline: it falls
    in S+2 (A stops at 0, B does not count it) or in S+1 (A reloads, B counts it). Both
    read exactly, as in VICE x64sc (tools/vice_timing/timer_s.s, WAIT_Y=51: NOPS 0-12
    read 65,499 + 2 NOPS; the old model read one high at the reload phase)."""
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
drv_pad: .res 12, $EA           ; padding (NOPs, a BIT zp), the rest patched to RTS
        rts
drv_end:
""")
    call(m, sym, "tm_calibrate")
    base = 6 + 4 + (51 * 1279 + 50 * 5 + 4)     # JSR + LDY/LDX + loop, before the padding
    counts = []
    for pad in [0] + list(range(2, 25)):
        bit = [0x24, 0xEA] if pad % 2 else []    # BIT $EA: 3 cycles
        code = bit + [0xEA] * ((pad - 3 * len(bit) // 2) // 2)
        m.ram[sym["drv_pad"]:sym["drv_pad"] + 12] = bytes(code + [0x60] * (12 - len(code)))
        call(m, sym, "drv_loop")
        want = base + pad + 6
        assert peek(m, sym["tm_cycles"], 4) == want, pad
        counts.append(want + OVERHEAD)           # cycles timer A counted
    assert 65535 in counts and 65536 in counts   # underflow in S+2, in S+1


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
