"""The emulated machine: banking, ROM/I-O errors, CIA timers, the simulated IRQ,
running, exit port, budgets and the clean-return check."""

from __future__ import annotations

import time

import pytest

from c64ml.errors import C64mlError
from c64ml.machine.c64 import (
    C64,
    BadAccess,
    C64Error,
    CycleBudgetExceeded,
    RunResult,
    TimeLimitExceeded,
    timing,
)
from c64ml.machine.cia import Timer
from c64ml.package.prg import prg_with_stub

RTS = 0x60


def run(code: list[int], irq: bool = False, **kw) -> tuple[C64, RunResult]:
    m = C64(irq=irq)
    m.load(0xC000, bytes(code))
    return m, m.call(0xC000, **kw)


# --- banking ------------------------------------------------------------------

def test_basic_rom_read_is_an_error_and_ram_when_banked_out():
    with pytest.raises(BadAccess, match=r"\$A000.*BASIC ROM"):
        run([0xAD, 0x00, 0xA0, RTS])                        # LDA $A000
    m = C64(irq=False)
    m.ram[0xA000] = 0x42
    m.load(0xC000, bytes([0xA9, 0x36, 0x85, 0x01,            # LDA #$36 ; STA $01
                          0xAD, 0x00, 0xA0, 0xA2, 0x37, 0x86, 0x01, RTS]))
    r = m.call(0xC000)
    assert r.a == 0x42 and r.clean_return


def test_writes_under_rom_land_in_ram():
    m, r = run([0xA9, 0x99, 0x8D, 0x00, 0xA0, 0x8D, 0x00, 0xE0, RTS])  # STA $A000, $E000
    assert m.ram[0xA000] == 0x99 and m.ram[0xE000] == 0x99


@pytest.mark.parametrize("port,readable", [(0x37, False), (0x36, False), (0x35, True),
                                           (0x34, True)])
def test_kernal_visibility_follows_hiram(port, readable):
    m = C64(irq=False)
    m.ram[0xE123] = 0x17
    code = [0xA9, port, 0x85, 0x01, 0xAD, 0x23, 0xE1, 0xA2, 0x37, 0x86, 0x01, RTS]
    m.load(0xC000, bytes(code))
    if readable:
        assert m.call(0xC000).a == 0x17
    else:
        with pytest.raises(BadAccess, match="KERNAL ROM"):
            m.call(0xC000)


def test_io_versus_ram_at_d000():
    # $35: I/O visible, the write goes to the VIC, not to RAM
    m, r = run([0xA9, 0x35, 0x85, 0x01, 0xA9, 0x02, 0x8D, 0x20, 0xD0,
                0xA9, 0x37, 0x85, 0x01, RTS])
    assert m.border == 2 and m.ram[0xD020] == 0
    # $34: all RAM, the write lands in RAM and the border stays
    m, r = run([0x78, 0xA9, 0x34, 0x85, 0x01, 0xA9, 0x02, 0x8D, 0x20, 0xD0,
                0xAD, 0x20, 0xD0, 0xA2, 0x37, 0x86, 0x01, RTS])
    assert m.ram[0xD020] == 2 and m.border == 14 and r.a == 2


def test_char_rom_read_is_an_error():
    with pytest.raises(BadAccess, match="character ROM"):
        run([0x78, 0xA9, 0x33, 0x85, 0x01, 0xAD, 0x00, 0xD0, RTS])


def test_ddr_inputs_read_as_pulled_up():
    m = C64(irq=False)
    m.ram[0] = 0x00          # all port bits inputs: LORAM/HIRAM/CHAREN pulled high
    m.ram[1] = 0x00
    assert m.banking() == (True, True, "io")


def test_colour_ram_is_four_bits():
    m, r = run([0xA9, 0xFF, 0x8D, 0x00, 0xD8, 0xA9, 0x00, 0xAD, 0x00, 0xD8, RTS])
    assert m.colour_ram()[0] == 0x0F
    assert r.a & 0x0F == 0x0F


@pytest.mark.parametrize("addr", [0xD400, 0xD41B, 0xDC00, 0xDC01, 0xDC08, 0xDE00, 0xD019])
def test_unemulated_io_reads_are_errors(addr):
    with pytest.raises(BadAccess) as e:
        run([0xAD, addr & 0xFF, addr >> 8, RTS])
    assert f"${addr:04X}" in str(e.value)
    assert isinstance(e.value, C64mlError)


def test_vic_registers_read_back_and_raster_moves():
    m, r = run([0xA9, 0x05, 0x8D, 0x21, 0xD0, 0xAD, 0x21, 0xD0, RTS])
    assert m.background == 5 and r.a == 0xF5          # upper nibble reads as 1s
    # two raster reads 63*10 cycles apart differ by 10 lines (PAL)
    code = [0xAD, 0x12, 0xD0, 0x85, 0x02]              # LDA $D012 ; STA $02   (4+3)
    code += [0xA2, 0x7D, 0xCA, 0xD0, 0xFD]             # LDX #125 ; loop: 2 + 125*5-1
    code += [0xEA] * 2                                  # 4 -> 630 - 7 + 7 apart
    code += [0xAD, 0x12, 0xD0, RTS]
    m, r = run(code)
    assert (r.a - m.ram[2]) % 256 in (10,)


# --- CIA timers ---------------------------------------------------------------

def cia2_timed_loop(n: int) -> list[int]:
    return [0x78,                      # SEI
            0xA9, 0xFF, 0x8D, 0x04, 0xDD, 0x8D, 0x05, 0xDD,   # latch $FFFF
            0xA9, 0x11, 0x8D, 0x0E, 0xDD,                     # start + force load
            0xA2, n, 0xCA, 0xD0, 0xFD,                        # LDX #n ; DEX ; BNE
            0xA9, 0x00, 0x8D, 0x0E, 0xDD,                     # stop
            0xAD, 0x04, 0xDD, 0xAE, 0x05, 0xDD, RTS]          # A = lo, X = hi


@pytest.mark.parametrize("n", [1, 2, 7, 100, 255])
def test_cia2_timer_a_times_a_loop_exactly(n):
    m, r = run(cia2_timed_loop(n))
    measured = 0xFFFF - (r.a | r.x << 8)
    # from the start STA to the stop STA: STA 4, LDX 2, loop 5n-1, LDA 2 = 5n+7 cycles; a
    # timer force-loaded and started in W and stopped in S counts S-W-1 (VICE x64sc,
    # tools/vice_timing/start_stop.s)
    assert measured == 5 * n + 6
    # whole routine by hand: 2+2+4+4+2+4 + 2 + (5n-1) + 2+4 + 4+4+6
    assert r.cycles == 5 * n + 39


def test_cia2_timer_measures_irq_time_too():
    code = cia2_timed_loop(255)
    code[0] = 0x58                                      # CLI instead of SEI
    code[14:19] = [0xA0, 0x10, 0xA2, 0x00, 0xCA]        # 16 x 256 inner loops ...
    code[19:19] = [0xD0, 0xFD, 0x88, 0xD0, 0xFA]
    m, r = run(code, irq=True)
    measured = 0xFFFF - (r.a | r.x << 8)
    assert r.irq_count >= 1
    # the timer sees wall-clock time: the program's cycles plus the IRQ's (S-W-1 as above)
    loop = 16 * (256 * 5 - 1 + 2 + 3) - 1
    assert measured == 4 + 2 + 2 + loop + 2 - 1 + r.irq_cycles


def test_timer_continuous_sequence_never_shows_zero():
    """Force load + start in cycle 0: the latch from cycle 2, the first decrement in 4, then
    a period of latch + 1 in which the reload cycle and the next read the latch (VICE x64sc,
    tools/vice_timing/reload.s)."""
    t = Timer(latch=2)
    t.write_cr(0, 0x11)
    assert [t.value(c) for c in range(2, 12)] == [2, 2, 1, 2, 2, 1, 2, 2, 1, 2]


def test_one_shot_underflow_sets_icr_and_stops():
    code = [0x78, 0xA9, 50, 0x8D, 0x06, 0xDC, 0xA9, 0, 0x8D, 0x07, 0xDC,  # TB latch 50
            0xA9, 0x19, 0x8D, 0x0F, 0xDC,                              # one-shot start
            0xA2, 30, 0xCA, 0xD0, 0xFD,                                # 150 cycles
            0xAD, 0x0D, 0xDC, 0x85, 0x02,                              # ICR -> $02
            0xAD, 0x0D, 0xDC, 0x85, 0x03,                              # again: cleared
            0xAD, 0x0F, 0xDC, RTS]                                      # CRB
    m, r = run(code)
    assert m.ram[2] & 0x02 and not m.ram[3] & 0x02
    assert r.a & 1 == 0 and r.a & 0x08


def test_cia2_interrupts_are_refused():
    with pytest.raises(BadAccess, match="NMI"):
        run([0xA9, 0x81, 0x8D, 0x0D, 0xDD, RTS])


# --- the simulated KERNAL IRQ ----------------------------------------------------

def irq_victim(sei: bool) -> list[int]:
    return [0x78 if sei else 0x58,
            0xA9, 0x5A, 0x85, 0xA0, 0x85, 0xFB, 0x85, 0x02,  # marker in $A0, $FB, $02
            0xA0, 0x20, 0xA2, 0x00, 0xCA, 0xD0, 0xFD, 0x88, 0xD0, 0xFA,
            0xA5, 0xA0, 0xA6, 0xFB, 0xA4, 0x02, RTS]


def test_irq_corrupts_kernal_zero_page_but_not_fb_or_02():
    m, r = run(irq_victim(sei=False), irq=True)
    assert r.irq_count == 2                   # 41,116 cycles at 16,422 per IRQ
    assert r.a != 0x5A and r.x == 0x5A and r.y == 0x5A
    assert r.irq_cycles == 2 * 330
    assert r.cycles == 14 + 3 + (32 * 1284 - 1) + 9 + 6


def test_sei_protects_kernal_zero_page():
    m, r = run(irq_victim(sei=True), irq=True)
    assert r.irq_count == 0 and r.a == 0x5A and r.x == 0x5A
    assert r.cycles == 14 + 3 + (32 * 1284 - 1) + 9 + 6


def test_pending_irq_fires_right_after_cli():
    code = [0x78, 0xA0, 0x20, 0xA2, 0x00, 0xCA, 0xD0, 0xFD, 0x88, 0xD0, 0xFA,
            0xA9, 0x5A, 0x85, 0xA0, 0x58, 0xA5, 0xA0, RTS]
    m, r = run(code, irq=True)
    assert r.irq_count == 1 and r.a != 0x5A


def test_irq_scribbles_below_the_stack_only():
    code = [0x78, 0xA9, 0x77, 0x8D, 0xFF, 0x01, 0x8D, 0x00, 0x01,  # $01FF, $0100
            0x58, 0xA0, 0x20, 0xA2, 0x00, 0xCA, 0xD0, 0xFD, 0x88, 0xD0, 0xFA, RTS]
    m = C64(irq=True, seed=3)
    m.load(0xC000, bytes(code))
    r = m.call(0xC000)
    assert r.irq_count >= 1
    assert bytes(m.ram[0x1F7:0x1F9]) == bytes([0x46, 0xE1])  # SYS return address intact
    assert m.ram[0x1FF] == 0x77 == m.ram[0x100]             # above SP / far below SP
    assert m.ram[0x1F6] != 0 or m.ram[0x1F5] != 0           # just below SP: scribbled


def test_zero_page_watch_records_the_cpus_writes_and_their_instructions():
    """Every store mode that reaches $02-$FF is recorded with the writing instruction's
    address; $00/$01, page 1, the IRQ's scribbling and KERNAL routines are not, and
    nothing else changes."""
    code = [0x58,                                  # C000 CLI
            0xA9, 0x5A, 0x85, 0xFB,                # C001 LDA #$5A / C003 STA $FB
            0xA2, 0x03, 0x95, 0x10,                # C005 LDX #3   / C007 STA $10,X -> $13
            0xE6, 0x02,                            # C009 INC $02
            0x8D, 0x40, 0x00,                      # C00B STA $0040 (absolute)
            0xA9, 0x20, 0x85, 0xFC, 0xA9, 0x00, 0x85, 0xFD,  # C00E..C014 ($FC) = $0020
            0xA0, 0x01, 0x91, 0xFC,                # C016 LDY #1   / C018 STA ($FC),Y -> $21
            0xA9, 0x37, 0x85, 0x01,                # C01A LDA #$37 / C01C STA $01
            0x8D, 0x00, 0x01,                      # C01E STA $0100
            0xA9, 0x41, 0x20, 0xD2, 0xFF,          # C021 LDA #'A' / C023 JSR CHROUT
            0xA0, 0x40, 0xA2, 0x00, 0xCA, 0xD0, 0xFD, 0x88, 0xD0, 0xFA,  # wait for IRQs
            RTS]
    plain, watched = C64(irq=True), C64(irq=True)
    writes = watched.watch_zero_page()
    for m in (plain, watched):
        m.load(0xC000, bytes(code))
    r1, r2 = plain.call(0xC000), watched.call(0xC000)
    assert r2.irq_count >= 2 and r2.kernal_calls == 1
    assert writes == {(0xFB, 0xC003), (0x13, 0xC007), (0x02, 0xC009), (0x40, 0xC00B),
                      (0xFC, 0xC010), (0xFD, 0xC014), (0x21, 0xC018)}
    assert r1 == r2 and bytes(plain.ram) == bytes(watched.ram)


def test_irq_is_deterministic_per_seed():
    def zp(seed):
        m = C64(irq=True, seed=seed)
        m.load(0xC000, bytes(irq_victim(sei=False)))
        m.call(0xC000)
        return bytes(m.ram[0x90:0xFB])
    assert zp(1) == zp(1) != zp(2)


def test_custom_irq_vector_is_reported():
    m = C64(irq=True)
    m.load(0xC000, bytes([0x58, 0x4C, 0x01, 0xC0]))
    m.ram[0x314] = 0x00
    with pytest.raises(C64Error, match=r"\$0314"):
        m.call(0xC000)


def test_irq_without_kernal_goes_through_ram_vector():
    # $35 with I clear: the CPU jumps through $FFFE; the handler acks $DC0D
    handler = [0xE6, 0x02, 0xAD, 0x0D, 0xDC, 0x40]          # INC $02 ; LDA $DC0D ; RTI
    main = [0x78, 0xA9, 0x35, 0x85, 0x01, 0xA9, 0x00, 0x85, 0x02, 0x58,
            0xA0, 0x20, 0xA2, 0x00, 0xCA, 0xD0, 0xFD, 0x88, 0xD0, 0xFA,
            0x78, 0xA9, 0x37, 0x85, 0x01, 0xA5, 0x02, RTS]
    m = C64(irq=True)
    m.load(0xC000, bytes(main))
    m.load(0xC100, bytes(handler))
    m.ram[0xFFFE], m.ram[0xFFFF] = 0x00, 0xC1
    r = m.call(0xC000)
    assert r.a == 2 == r.irq_count and r.irq_cycles == 14


# --- running ------------------------------------------------------------------------

def test_runaway_program_hits_the_budget():
    with pytest.raises(CycleBudgetExceeded, match="budget 5000"):
        run([0x4C, 0x00, 0xC0], max_cycles=5000)


# Every cycle counts against the budget; the slow paths the issue measured (a CHROUT clear
# loop, $01 writes, a CIA timer with latch 0) stay cheap. The guards are hang guards: before
# the fix these runs took minutes; nothing here asserts a speed.
CHROUT_CLEAR_LOOP = [0xA9, 147, 0x20, 0xD2, 0xFF, 0x4C, 0x00, 0xC0]   # lda #147; jsr CHROUT; jmp


def test_kernal_cycles_count_against_the_budget():
    with pytest.raises(CycleBudgetExceeded, match="budget 100000") as e:
        run(CHROUT_CLEAR_LOOP, max_cycles=100_000)
    r = e.value.result
    assert r.reason == "max_cycles" and r.total_cycles >= 100_000
    # A clear screen costs the KERNAL about 15,000 cycles and the loop 11 of its own: the
    # budget is spent after a handful of calls, not after 100,000 program cycles.
    assert r.kernal_calls < 10 and r.cycles < 11 * 10
    assert r.total_cycles < 100_000 + 16_000     # overshoot: at most one KERNAL call


def test_irq_cycles_count_against_the_budget_even_with_a_latch_of_0():
    # CIA1 timer A with latch 0 interrupts after every instruction (330 cycles each).
    code = [0xA9, 0x00, 0x8D, 0x04, 0xDC, 0x8D, 0x05, 0xDC,   # lda #0; sta $dc04; sta $dc05
            0xA9, 0x11, 0x8D, 0x0E, 0xDC,                     # lda #$11; sta $dc0e
            0x4C, 0x0D, 0xC0]                                 # jmp *
    with pytest.raises(CycleBudgetExceeded) as e:
        run(code, irq=True, max_cycles=200_000)
    r = e.value.result
    assert r.irq_count > 200_000 // 400 and r.irq_cycles > 150_000 and r.cycles < 10_000


def test_default_budget_bounds_a_chrout_loop():
    t0 = time.monotonic()
    with pytest.raises(CycleBudgetExceeded, match="budget 20000000"):
        run(CHROUT_CLEAR_LOOP, irq=True, max_cycles=20_000_000)
    assert time.monotonic() - t0 < 120     # hang guard (it took about 320 s before)


def test_banking_is_recomputed_only_when_the_map_changes():
    m = C64(irq=False)
    m.ram[0xE000] = 0x42
    layouts = []
    real = m._layout
    m._layout = lambda *state: layouts.append(state) or real(*state)
    m._banked = None      # forget the power-on state so the count starts here
    m._layouts.clear()
    # 200 times: $37 (no change), $35 (KERNAL out), $37 (KERNAL in); then read $E000 under $35
    loop = [0xA2, 200,                                     # ldx #200
            0xA9, 0x37, 0x85, 0x01, 0xA9, 0x35, 0x85, 0x01,
            0xA9, 0x37, 0x85, 0x01, 0xCA, 0xD0, 0xF1,      # dex; bne
            0xA9, 0x35, 0x85, 0x01, 0xAD, 0x00, 0xE0,      # lda #$35; sta $01; lda $E000
            0xA0, 0x37, 0x84, 0x01, RTS]                   # ldy #$37; sty $01; rts
    m.load(0xC000, bytes(loop))
    r = m.call(0xC000)
    assert r.a == 0x42 and r.clean_return
    assert sorted(set(layouts)) == [(False, False, "io"), (True, True, "io")]
    assert len(layouts) == 2        # once per state, however often $01 switches
    with pytest.raises(BadAccess, match="KERNAL ROM"):   # and the map is still right
        m.load(0xC000, bytes([0xAD, 0x00, 0xE0, RTS]))
        m.call(0xC000)


def test_wall_clock_limit():
    with pytest.raises(TimeLimitExceeded, match="0.2 s of wall-clock time") as e:
        run([0x4C, 0x00, 0xC0], max_cycles=10**10, max_seconds=0.2)
    assert e.value.result.reason == "max_seconds" and e.value.result.cycles > 0


def test_errors_carry_the_run_so_far():
    with pytest.raises(C64Error, match="undocumented opcode") as e:
        run([0xEA, 0xEA, 0x02])
    assert e.value.result.reason == "error" and e.value.result.cycles == 4


def test_debug_cart_exit():
    m, r = run([0xA9, 0x2A, 0x8D, 0xFF, 0xD7, 0x4C, 0x05, 0xC0])
    assert r.reason == "exit" and r.exit_code == 42 and r.cycles == 6


def test_unemulated_kernal_routine_is_an_error():
    with pytest.raises(C64Error, match=r"\$FFE1"):
        run([0x20, 0xE1, 0xFF, RTS])


def test_run_prg_starts_at_sys_address_and_returns_cleanly():
    code = bytes([0xA9, 0x01, 0x8D, 0x00, 0x04, RTS])      # A at top left
    prg = prg_with_stub(0x0810, code)
    m = C64()
    r = m.run_prg(prg)
    assert r.reason == "return" and r.clean_return and r.return_issues == []
    assert m.screen_codes()[0] == 0x01 and r.cycles == 2 + 4 + 6
    assert m.ram[0x2D] | m.ram[0x2E] << 8 == 0x0801 + len(prg) - 2


def test_unclean_return_is_reported():
    m, r = run([0xE6, 0x2B, 0xE6, 0x80, 0xF8, RTS])         # INC $2B ; INC $80 ; SED
    assert r.clean_return is False
    assert any("$2B" in s for s in r.return_issues)
    assert any("CHRGET" in s for s in r.return_issues)
    assert any("decimal" in s for s in r.return_issues)


def test_bad_system_and_load_errors():
    with pytest.raises(C64Error):
        C64(system="secam")
    with pytest.raises(C64Error):
        C64().load(0xFFF0, bytes(32))


def test_timing_figures():
    t = timing(985_248)
    assert t["pal"]["blanked_s"] == 1.0
    # 25 badlines of 43 cycles (VICE x64sc, tools/vice_timing/longloop.s)
    assert t["pal"]["screen_on_s"] == pytest.approx(19656 / (19656 - 25 * 43))
    assert t["ntsc"]["blanked_ms"] == pytest.approx(985_248 / 1_022_727 * 1000)
    assert t["ntsc"]["screen_on_s"] == pytest.approx(985_248 / 1_022_727 * 17095 / 16020)


def test_probes_record_program_cycles_at_addresses():
    """Probes report the cycles used when execution reaches an address, IRQ time excluded."""
    m = C64(irq=True)
    # $1000: LDX #0 (2) / loop: DEX (2) / BNE loop (3 taken, 2 last) / $1005: NOP (2) / RTS
    m.load(0x1000, bytes([0xA2, 0x00, 0xCA, 0xD0, 0xFD, 0xEA, 0x60]))
    m.probe([0x1005, 0x1006])
    r = m.call(0x1000)
    loop = 2 + 256 * 2 + 255 * 3 + 2
    assert r.probes == [(0x1005, loop), (0x1006, loop + 2)]
    assert r.cycles == loop + 2 + 6
