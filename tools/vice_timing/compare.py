"""Run the CIA and badline timing fragments in VICE x64sc and in c64ml's emulated C64
and print what each read (see docs/harness.md, "Timing against VICE").

    PYTHONPATH=. python tools/vice_timing/compare.py              # CIA table, VICE and c64ml
    PYTHONPATH=. python tools/vice_timing/compare.py --no-vice    # c64ml only, against measured.json
    PYTHONPATH=. python tools/vice_timing/compare.py --save       # also rewrite measured.json
    PYTHONPATH=. python tools/vice_timing/compare.py --badlines   # the screen-on factor (slow)

Each case is prologue.s + one fragment + epilogue.s, assembled by c64ml with the case's
defines into a PRG with a SYS stub; the program reads one value and ends with it (EOR $80)
as its exit code through the debug cartridge ($D7FF). VICE runs through
../shared/vice/vice_run.sh (x64sc -debugcart, open-roms ROMs; see that README), or the
script given with --vice-run, one run at a time (VICE runs side by side gave wrong exit
codes here). A VICE run now and then ends with a spurious exit code (5, 4 times in about
900 runs, each leaving an Xvfb from xvfb-run behind: end those by PID afterwards): a case
whose VICE value differs from c64ml's or from the saved one is run twice more and the
majority kept. This is a measuring tool, not a test: tests/test_cia_timing.py
checks c64ml against the values saved in measured.json without VICE.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from c64ml.asm.assembler import assemble
from c64ml.machine.c64 import C64, timing
from c64ml.package.prg import prg_with_stub

DEFAULT_VICE_RUN = ROOT.parent / "shared" / "vice" / "vice_run.sh"
MEASURED = HERE / "measured.json"
PADS = [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]


def cases() -> list[tuple[str, dict[str, int]]]:
    """(fragment, defines) of every CIA case, in table order."""
    out = []
    for cra in (0x11, 0x01, 0x19, 0x09):
        out += [("start_read", {"CRA": cra, "PAD": p}) for p in (0, 2, 3, 4)]
    for cra in (0x11, 0x01):
        for pad2 in (0, 10):
            out += [("start_stop", {"CRA": cra, "PAD": p, "PAD2": pad2}) for p in (0, 2, 3, 10)]
    for cra, reg in ((0x11, 0x04), (0x19, 0x04), (0x11, 0x0D), (0x19, 0x0D), (0x19, 0x0E)):
        out += [("reload", {"LATCH": 3, "CRA": cra, "REG": reg, "PAD": p}) for p in PADS]
    out += [("reload", {"LATCH": 4, "CRA": 0x11, "REG": 0x0D, "PAD": p}) for p in PADS[:6]]
    out += [("reload", {"LATCH": 0, "CRA": 0x11, "REG": 0x04, "PAD": p}) for p in PADS[:6]]
    for reg in (0x04, 0x0D):
        out += [("stop_edge", {"LATCH": 5, "PAD": p, "RESTART": 0, "PAD3": 0, "REG": reg})
                for p in PADS[:9]]
        for pad in (2, 3):
            out += [("stop_edge", {"LATCH": 5, "PAD": pad, "RESTART": 1, "PAD3": p, "REG": reg})
                    for p in PADS[:6]]
    for fl in (0x11, 0x10):
        out += [("fl_running", {"FL": fl, "PAD": p}) for p in (0, 2, 3, 4)]
    for lb in (0, 1, 2, 3):
        for reg in (0x06, 0x0D):
            out += [("cascade", {"LA": 2, "LB": lb, "REG": reg, "PAD": p})
                    for p in PADS + list(range(13, 21))]
    for reg in (0x04, 0x06, 0x0D):
        out += [("cascade_stop", {"LA": 2, "LB": 5, "REG": reg, "PAD": p}) for p in PADS]
    out += [("timer_s", {"WAIT_Y": 1, "NOPS": 0, "BYTE": 4})]
    for y, nops in [(1, 0), (1, 1), (200, 3)] + [(51, n) for n in range(13)]:
        out += [("timer_s", {"WAIT_Y": y, "NOPS": nops, "BYTE": b}) for b in range(3)]
    return out


def key(fragment: str, defines: dict[str, int]) -> str:
    return fragment + " " + " ".join(f"{k}={v:#04x}" if k in ("CRA", "REG") else f"{k}={v}"
                                     for k, v in defines.items())


def build(fragment: str, defines: dict[str, int]) -> bytes:
    parts = [(HERE / f"{n}.s").read_text() for n in ("prologue", fragment, "epilogue")]
    if fragment == "timer_s":
        parts.append((ROOT / "runtime6502" / "timer.s").read_text())
    text = "\n".join(parts)
    prog = assemble(text, f"{fragment}.s", defines={"SCREEN": 0, **defines})
    return prg_with_stub(prog.origin, prog.data)


def run_c64ml(prg: bytes, max_cycles: int = 30_000_000) -> int:
    """The program's exit code, EOR $80, in c64ml.  The machine starts at raster line $FB:
    the harness has no badlines, so the prologue's raster wait only costs time there."""
    m = C64(irq=True)
    m.cpu.processorCycles = 0xFB * 63
    r = m.run_prg(prg, max_cycles=max_cycles)
    assert r.reason == "exit", r.reason
    return r.exit_code ^ 0x80


def run_vice(prg: bytes, vice_run: Path, max_cycles: int = 40_000_000) -> int:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "t.prg"
        p.write_bytes(prg)
        rc = subprocess.run(["bash", str(vice_run), str(p), str(Path(d) / "t.png"),
                             str(max_cycles)], check=False, capture_output=True).returncode
    if rc == 1:
        raise RuntimeError("VICE hit its cycle limit (no $D7FF write)")
    return rc ^ 0x80


def run_vice_checked(prg: bytes, vice_run: Path, expect: set, max_cycles: int = 40_000_000,
                     note: str = "") -> int:
    """One VICE run; if it reads none of ``expect``, two more, and the majority value."""
    v = run_vice(prg, vice_run, max_cycles)
    if v in expect:
        return v
    runs = [v, run_vice(prg, vice_run, max_cycles), run_vice(prg, vice_run, max_cycles)]
    best, n = Counter(runs).most_common(1)[0]
    if n < 2:
        raise RuntimeError(f"{note}: VICE read {runs}, no majority")
    if len(set(runs)) > 1:
        print(f"  ({note}: VICE runs read {[f'${r:02X}' for r in runs]}, kept ${best:02X})")
    return best


def cia_table(args) -> int:
    measured = json.loads(MEASURED.read_text())["cia"] if MEASURED.exists() else {}
    todo = cases()
    prgs = [build(f, d) for f, d in todo]
    ours = [run_c64ml(p) for p in prgs]
    if args.no_vice:
        vice = [measured.get(key(f, d)) for f, d in todo]
    else:
        vice = [run_vice_checked(p, args.vice_run, {c, measured.get(key(f, d), c)},
                                 note=key(f, d))
                for (f, d), p, c in zip(todo, prgs, ours)]
    bad = 0
    print(f"{'case':58} {'VICE':>5} {'c64ml':>5}")
    for (f, d), v, c in zip(todo, vice, ours):
        same = v == c
        bad += not same
        vs = "-" if v is None else f"${v:02X}"
        print(f"{key(f, d):58} {vs:>5} ${c:02X}{'' if same else '   <- differs'}")
    print(f"{len(todo) - bad} of {len(todo)} cases read the same")
    if args.save and not args.no_vice:
        data = json.loads(MEASURED.read_text()) if MEASURED.exists() else {}
        data["cia"] = {key(f, d): v for (f, d), v in zip(todo, vice)}
        MEASURED.write_text(json.dumps(data, indent=1) + "\n")
    return bad


# (opcode, name, outer loop count): about 9 million cycles each
LOOP_OPS = ((0xAD, "LDA abs", 15), (0x8D, "STA abs", 15), (0xEE, "INC abs", 12),
            (0x20, "JSR+RTS", 8))


def elapsed(run, op: int, screen: int, outer: int) -> int:
    """The longloop's CIA2 count (bytes 0-2: it stays below 2**24), one run per byte."""
    return sum(run(build("longloop", {"OP": op, "OUTER": outer, "BYTE": b, "SCREEN": screen}))
               << 8 * b for b in range(3))


def vice_byte(prg: bytes, vice_run: Path) -> int:
    """A byte of a long count in VICE: two runs, a third if they differ, the median.  With
    the screen on, runs differ by a cycle or two (the loop starts at a slightly different
    point of the raster line each time), which moves a low byte, not the factor."""
    runs = [run_vice(prg, vice_run), run_vice(prg, vice_run)]
    if runs[0] != runs[1]:
        runs.append(run_vice(prg, vice_run))
    return sorted(runs)[len(runs) // 2]


def badline_table(args) -> None:
    """Cycles of the same ~9 M-cycle loop with the screen blanked and on, in VICE; the
    blanked count also in c64ml (which has no badlines: its count is the same either way)."""
    vice = lambda prg: vice_byte(prg, args.vice_run)
    ours = lambda prg: run_c64ml(prg, max_cycles=40_000_000)
    rows = {}
    frame = 63 * 312
    print(f"{'inner instruction':18} {'c64ml':>10} {'blanked':>10} {'screen on':>10} "
          f"{'factor':>8} {'cycles/badline':>14}")
    for op, name, outer in LOOP_OPS:
        mine = elapsed(ours, op, 0, outer)
        off, on = elapsed(vice, op, 0, outer), elapsed(vice, op, 1, outer)
        f = on / off
        stolen = frame * (1 - 1 / f) / 25
        rows[name] = {"c64ml": mine, "blanked": off, "screen_on": on, "factor": round(f, 5),
                      "cycles_per_badline": round(stolen, 2)}
        print(f"{name:18} {mine:>10} {off:>10} {on:>10} {f:>8.5f} {stolen:>14.2f}", flush=True)
    print(f"c64ml timing(): PAL factor {timing(985_248)['pal']['screen_on_s']:.5f}")
    if args.save:
        data = json.loads(MEASURED.read_text()) if MEASURED.exists() else {}
        data["badlines"] = rows
        MEASURED.write_text(json.dumps(data, indent=1) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vice-run", type=Path, default=DEFAULT_VICE_RUN)
    ap.add_argument("--no-vice", action="store_true", help="compare c64ml with measured.json")
    ap.add_argument("--save", action="store_true", help="write VICE's values to measured.json")
    ap.add_argument("--badlines", action="store_true", help="measure the screen-on factor")
    args = ap.parse_args()
    if args.badlines:
        badline_table(args)
        return 0
    return 1 if cia_table(args) else 0


if __name__ == "__main__":
    sys.exit(main())
