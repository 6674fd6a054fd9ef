"""CIA timer timing matched to VICE x64sc, and the badline figure measured there.

tools/vice_timing/compare.py ran each fragment in tools/vice_timing/ (START, STOP, force
load, reload and one-shot underflows, ICR flags, the timer-B cascade, runtime6502/timer.s)
in VICE x64sc 3.7.1 (open-roms ROMs, screen blanked) and saved what each read in
tools/vice_timing/measured.json. These tests run the same programs in c64ml's harness and
need no VICE: c64ml must read exactly what VICE read, case by case.
"""

from __future__ import annotations

import importlib.util
import json
from collections import defaultdict
from pathlib import Path

import pytest

from c64ml.machine.c64 import BADLINE_STOLEN, BADLINES_PER_FRAME, SYSTEMS, timing
from c64ml.machine.cia import CIA, Timer

TOOLS = Path(__file__).resolve().parent.parent / "tools" / "vice_timing"
MEASURED = json.loads((TOOLS / "measured.json").read_text())
_spec = importlib.util.spec_from_file_location("vice_timing_compare", TOOLS / "compare.py")
compare = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare)

CASES = defaultdict(list)
for _fragment, _defines in compare.cases():
    CASES[_fragment].append(_defines)


def test_every_case_was_measured():
    assert {compare.key(f, d) for f, ds in CASES.items() for d in ds} == set(MEASURED["cia"])


@pytest.mark.parametrize("fragment", sorted(CASES))
def test_c64ml_reads_what_vice_read(fragment):
    wrong = []
    for defines in CASES[fragment]:
        k = compare.key(fragment, defines)
        got = compare.run_c64ml(compare.build(fragment, defines))
        if got != MEASURED["cia"][k]:
            wrong.append(f"{k}: VICE ${MEASURED['cia'][k]:02X}, c64ml ${got:02X}")
    assert not wrong, "\n".join(wrong)


# --- the measured pipeline, spelled out ---------------------------------------------

def test_start_with_force_load_counts_from_w_plus_4():
    """VICE: force load + start written in W (start_read.s CRA=$11, latch $FF80): the read
    in W+4 gives $FF7F, each later cycle one less."""
    t = Timer(latch=0xFF80)
    t.write_cr(100, 0x11)
    assert [t.value(c) for c in (102, 103, 104, 105, 108)] == [0xFF80, 0xFF80, 0xFF7F, 0xFF7E,
                                                                0xFF7B]


def test_start_without_force_load_counts_from_w_plus_3():
    """VICE: START alone written in W (start_read.s CRA=$01, counter $FFFF): W+4 reads $FFFD."""
    t = Timer(latch=0xFFFF, v0=0xFFFF)
    t.write_cr(100, 0x01)
    assert [t.value(c) for c in (102, 103, 104, 106)] == [0xFFFF, 0xFFFE, 0xFFFD, 0xFFFB]


@pytest.mark.parametrize("cr,counted", [(0x11, lambda n: n - 1), (0x01, lambda n: n)])
def test_start_to_stop(cr, counted):
    """VICE (start_stop.s): START in W, STOP in S, then the counter stands still: force load
    + start counts S-W-1 cycles, a plain start S-W."""
    for gap in (4, 6, 7, 14, 1000):
        t = Timer(latch=0xFFFF, v0=0xFFFF)
        t.write_cr(50, cr)
        t.write_cr(50 + gap, 0x00)
        assert 0xFFFF - t.value(50 + gap + 4) == counted(gap)
        assert t.value(50 + gap + 4) == t.value(10**6)


def test_stop_across_an_underflow():
    """VICE (stop_edge.s, latch 5, force load + start in W: underflows in W+8, W+14, ...):
    STOP in S. An underflow in S+1 reloads and is flagged; one due in S+2 does not happen
    (the counter stops at 0, unflagged); a START then reloads at once (in W'+2)."""
    frozen, flagged = [], []
    for stop in range(4, 13):
        c = CIA("T", 0xDD00)
        c.write(4, 5, 0)
        c.write(5, 0, 0)
        c.write(0xE, 0x11, 10)
        c.write(0xE, 0x00, 10 + stop)
        frozen.append(c.read(4, 10 + stop + 16))
        flagged.append(c.read(0xD, 10 + stop + 16))
    assert frozen == [2, 1, 0, 5, 4, 3, 2, 1, 0]
    assert flagged == [0, 0, 0, 1, 1, 1, 1, 1, 1]
    c = CIA("T", 0xDD00)
    c.write(4, 5, 0)
    c.write(5, 0, 0)
    c.write(0xE, 0x11, 10)
    c.write(0xE, 0x00, 16)           # the underflow due in 18 does not happen
    assert c.read(4, 30) == 0 and c.read(0xD, 30) == 0
    c.write(0xE, 0x01, 32)           # START sees the 0: reload and flag in 34
    assert [c.read(4, t) for t in (36, 37, 38, 40)] == [4, 3, 2, 5]
    assert c.read(0xD, 40) == 1


def test_one_shot_stops_in_its_underflow_cycle():
    """VICE (reload.s LATCH=3 CRA=$19): 2 in W+4, reloaded to 3 and stopped from W+6 on, the
    START bit clear from W+6."""
    c = CIA("T", 0xDD00)
    c.write(4, 3, 0)
    c.write(5, 0, 0)
    c.write(0xE, 0x19, 10)
    assert (c.read(4, 14), c.read(0xE, 14)) == (2, 0x09)
    assert (c.read(4, 16), c.read(0xE, 16)) == (3, 0x08)
    assert c.read(4, 100) == 3


def test_icr_flag_in_the_reload_cycle():
    """VICE (reload.s LATCH=4): force load + start in W, the underflow in W+7: an ICR read in
    W+6 gives 0, in W+7 gives 1."""
    for when, flag in ((16, 0), (17, 1)):
        c = CIA("T", 0xDD00)
        c.write(4, 4, 0)
        c.write(5, 0, 0)
        c.write(0xE, 0x11, 10)
        assert c.read(0xD, when) == flag


def test_boot_irq_phase_is_unchanged():
    """The harness's KERNAL timer (CIA1 timer A) counts from its latch in cycle 1, as before
    the VICE pipeline was modelled: the first IRQ is flagged in cycle 1 + latch, then every
    latch + 1 cycles. (It was started long before any program runs; its phase is a choice.)"""
    from c64ml.machine.c64 import C64
    m = C64(system="pal")
    assert m.cia1.next_irq() == 1 + SYSTEMS["pal"].irq_latch
    assert not m.cia1.irq_pending(SYSTEMS["pal"].irq_latch)


# --- badlines -----------------------------------------------------------------------------

def test_badline_cost_is_the_measured_one():
    """VICE x64sc, the same ~8.9 M-cycle loop (tools/vice_timing/longloop.s, timed by CIA2)
    with the screen blanked and on: a loop of reads loses 43.00 cycles per badline (40 for
    the character fetches, 3 while the CPU's BA stall begins), a PAL screen-on factor of
    1.0579. Loops with writes lose a little less (the CPU runs on through up to 3 writes)."""
    rows = MEASURED["badlines"]
    reads = rows["LDA abs"]
    assert reads["cycles_per_badline"] == pytest.approx(BADLINE_STOLEN, abs=0.01)
    for row in rows.values():
        assert row["c64ml"] == row["blanked"]           # same CPU cycles as VICE, blanked
        assert 42.0 <= row["cycles_per_badline"] <= BADLINE_STOLEN + 0.01
    pal = SYSTEMS["pal"]
    factor = pal.frame_cycles / (pal.frame_cycles - BADLINES_PER_FRAME * BADLINE_STOLEN)
    assert factor == pytest.approx(reads["factor"], abs=2e-4)
    assert timing(pal.clock_hz)["pal"]["screen_on_s"] == pytest.approx(factor)
