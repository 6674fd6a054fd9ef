"""`c64ml bench --emulator`: the fast engine against the reference core (py65), measured in
one process on the same programs, with identical results checked (docs/harness.md, "The fast
engine").

Programs: the digits app (`c64ml compile examples/digits/qmodel.json --mode app --data
examples/digits/test.npz`, size and speed builds), which classifies and prints every embedded
sample, and the loop-heavy size-mode library build of the same model, called once per test
sample through the verify harness.
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
from c64ml.verify.harness import run_build

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
APP_RESERVE = 6 * 1024   # as `c64ml compile --mode app`


def _timed_app(prg: bytes, engine: str) -> dict:
    m = C64(engine=engine)
    t0 = time.perf_counter()
    r = m.run_program(prg, max_cycles=10**10)
    dt = time.perf_counter() - t0
    return {"seconds": dt, "instructions": r.instructions,
            "result": (r.cycles, r.irq_cycles, r.reason, bytes(m.ram))}


def _timed_library(build, q, engine: str) -> dict:
    t0 = time.perf_counter()
    run = run_build(build, q, jobs=1, engine=engine, label=f"{engine} engine")
    dt = time.perf_counter() - t0
    return {"seconds": dt, "instructions": run.instructions,
            "result": (run.outputs.tobytes(), run.cycles.tobytes())}


def emulator_bench(prg_with_stub, samples: int = 100) -> dict:
    """Instructions per second of both engines on each program (``samples`` test samples);
    ``prg_with_stub`` is c64ml.package.prg's (the verify stage does not package programs)."""
    path = EXAMPLES / "digits" / "qmodel.json"
    if not path.is_file():
        raise C64mlError("bench --emulator needs the examples/ folder of a c64ml source "
                         "checkout", path)
    qm = load_qmodel(path)
    ds = load_dataset(EXAMPLES / "digits" / "test.npz", qm.inputs)
    sub = ds.head(samples)
    runs = []
    for optimize in ("size", "speed"):
        strategies = build_optimized(qm, optimize, reserve=APP_RESERVE).strategies
        app = build_app(qm, sub, strategies=strategies)
        prg = prg_with_stub(app.origin, app.program.data, app.addr(labels.START))
        runs.append((f"digits app ({optimize}, {samples} samples)",
                     lambda engine, prg=prg: _timed_app(prg, engine)))
    lib = build_optimized(qm, "size")
    q = qm.input_bytes(sub.x)
    runs.append((f"digits size library ({samples} calls)",
                 lambda engine: _timed_library(lib, q, engine)))
    out = []
    for name, fn in runs:
        ref, fast = fn("reference"), fn("fast")
        if ref["result"] != fast["result"] or ref["instructions"] != fast["instructions"]:
            raise C64mlError(f"{name}: the engines disagree")
        r_ips = ref["instructions"] / ref["seconds"]
        f_ips = fast["instructions"] / fast["seconds"]
        out.append({"program": name, "instructions": ref["instructions"],
                    "reference_seconds": ref["seconds"], "fast_seconds": fast["seconds"],
                    "reference_ips": r_ips, "fast_ips": f_ips, "ratio": f_ips / r_ips})
    return {"programs": out}


def emulator_table(result: dict) -> str:
    rows = ["| program | instructions | reference instr/s | fast instr/s | ratio |",
            "|---|---|---|---|---|"]
    for p in result["programs"]:
        rows.append(f"| {p['program']} | {p['instructions']:,} | {p['reference_ips'] / 1e6:.2f} M"
                    f" | {p['fast_ips'] / 1e6:.2f} M | {p['ratio']:.1f}x |")
    return "\n".join(rows)
