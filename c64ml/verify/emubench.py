"""`c64ml bench --emulator`: the fast engine against the reference core (py65), measured in
one process on the same programs, with identical results checked (docs/harness.md, "The fast
engine").

Programs: the digits app (`c64ml compile examples/digits/qmodel.json --mode app --data
examples/digits/test.npz`, a size build: that model's unrolled code does not fit), which
classifies and prints every embedded sample; the same app of `qmodel-speed.json` with
`--optimize speed` (straight-line code, each instruction run once per sample: the
translation costs count); and the loop-heavy size-mode library build of `qmodel.json`, called
once per test sample through the verify harness.
"""

from __future__ import annotations

import time
from pathlib import Path

from c64ml.backend6502 import labels
from c64ml.backend6502.app import build_app
from c64ml.backend6502.strategy import build_optimized
from c64ml.errors import C64mlError
from c64ml.machine import C64
from c64ml.model.dataset import load_dataset
from c64ml.model.qmodel import load_qmodel
from c64ml.progress import progress, reporting
from c64ml.verify.harness import run_build

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
APP_RESERVE = 6 * 1024   # as `c64ml compile --mode app`


def _timed_app(prg: bytes, engine: str) -> dict:
    m = C64(engine=engine)
    t0 = time.process_time()
    r = m.run_program(prg, max_cycles=10**10)
    dt = time.process_time() - t0
    return {"seconds": dt, "instructions": r.instructions,
            "result": (r.cycles, r.irq_cycles, r.reason, bytes(m.ram))}


def _timed_library(build, q, engine: str) -> dict:
    t0 = time.process_time()
    run = run_build(build, q, jobs=1, engine=engine, label=f"{engine} engine")
    dt = time.process_time() - t0
    return {"seconds": dt, "instructions": run.instructions,
            "result": (run.outputs.tobytes(), run.cycles.tobytes())}


def emulator_bench(prg_with_stub, samples: int = 100, repeat: int = 3) -> dict:
    """Instructions per second of both engines on each program (``samples`` test samples),
    the best of ``repeat`` runs each, alternating engines (so that a slow spell of the
    machine does not favour one); ``prg_with_stub`` is c64ml.package.prg's (the verify
    stage does not package programs)."""
    runs = []
    for model, optimize in (("qmodel.json", "size"), ("qmodel-speed.json", "speed")):
        qm, sub = _digits(model, samples)
        plan = build_optimized(qm, optimize, reserve=APP_RESERVE)
        app = build_app(qm, sub, strategies=plan.strategies, split_rows=plan.split_rows)
        prg = prg_with_stub(app.origin, app.program.data, app.addr(labels.START))
        runs.append((f"digits app ({model}, --optimize {optimize}, {samples} samples)",
                     lambda engine, prg=prg: _timed_app(prg, engine)))
    qm, sub = _digits("qmodel.json", samples)
    lib = build_optimized(qm, "size")
    q = qm.input_bytes(sub.x)
    runs.append((f"digits size library ({samples} calls)",
                 lambda engine: _timed_library(lib, q, engine)))
    out = []
    repeat = max(1, repeat)
    steps = iter(progress(range(len(runs) * repeat * 2), "timing both engines",
                          len(runs) * repeat * 2))
    for name, fn in runs:
        best: dict[str, dict] = {}
        first = None
        for _ in range(repeat):
            for engine in ("reference", "fast"):
                next(steps)
                with reporting(None):       # one bar: this one
                    r = fn(engine)
                if engine == "fast" and first is None:
                    first = r
                if engine in best and (r["result"] != best[engine]["result"]
                                       or r["instructions"] != best[engine]["instructions"]):
                    raise C64mlError(f"{name}: two runs of the {engine} engine disagree")
                if engine not in best or r["seconds"] < best[engine]["seconds"]:
                    best[engine] = r
        ref, fast = best["reference"], best["fast"]
        if ref["result"] != fast["result"] or ref["instructions"] != fast["instructions"]:
            raise C64mlError(f"{name}: the engines disagree")
        r_ips = ref["instructions"] / ref["seconds"]
        f_ips = fast["instructions"] / fast["seconds"]
        first_ips = first["instructions"] / first["seconds"]
        out.append({"program": name, "instructions": ref["instructions"],
                    "reference_seconds": ref["seconds"], "fast_seconds": fast["seconds"],
                    "fast_first_seconds": first["seconds"],
                    "reference_ips": r_ips, "fast_ips": f_ips, "fast_first_ips": first_ips,
                    "ratio": f_ips / r_ips, "ratio_first": first_ips / r_ips})
    for _ in steps:                         # (ends the bar)
        pass
    return {"programs": out, "repeat": repeat, "clock": "process CPU time"}


def _digits(model: str, samples: int):
    """A digits qmodel of examples/ and the first ``samples`` test samples."""
    path = EXAMPLES / "digits" / model
    if not path.is_file():
        raise C64mlError("bench --emulator needs the examples/ folder of a c64ml source "
                         "checkout", path)
    qm = load_qmodel(path)
    return qm, load_dataset(EXAMPLES / "digits" / "test.npz", qm.inputs).head(samples)


def emulator_table(result: dict) -> str:
    rows = [f"CPU seconds of this process, best of {result['repeat']} runs per engine; the fast "
            "engine's first run also translates the program (later runs reuse the "
            "translations of the process)",
            "",
            "| program | instructions | reference instr/s | fast, first run | fast | ratio |",
            "|---|---|---|---|---|---|"]
    for p in result["programs"]:
        rows.append(f"| {p['program']} | {p['instructions']:,} | {p['reference_ips'] / 1e6:.2f} M"
                    f" | {p['fast_first_ips'] / 1e6:.2f} M ({p['ratio_first']:.1f}x)"
                    f" | {p['fast_ips'] / 1e6:.2f} M | {p['ratio']:.1f}x |")
    return "\n".join(rows)
