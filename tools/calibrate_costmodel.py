"""Fit the fitted constants of c64ml/backend6502/costmodel.py to cycles measured in the
emulated C64, and print predicted against measured cycles per layer and per inference.

    python tools/calibrate_costmodel.py [--samples N]

Models: the examples' qmodels (both strategies) and random sparse qmodels of a few shapes.
The fit is least squares over per-layer mean cycles of the constants marked "fitted"; the
others are counted from the code and kept.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from c64ml.backend6502 import costmodel as cm
from c64ml.backend6502.compiler import build_library
from c64ml.model.dataset import load_dataset
from c64ml.model.qmodel import QLayer, QModel, load_qmodel, validate_qmodel
from c64ml.verify.harness import run_build

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"
FITTED = [(cm.UNROLLED, "weight"), (cm.UNROLLED, "layer"), (cm.LOOP, "mac"),
          (cm.LOOP, "row_proc"), (cm.LOOP, "row_skip"), (cm.LOOP, "unit"), (cm.LOOP, "layer"),
          (cm.LOOP, "mac_levels"), (cm.LOOP, "sparse_weight"),
          (cm.ACTIVATE, "slow_unit"), (cm.ACTIVATE, "fast_unit")]
NAMES = {id(cm.UNROLLED): "UNROLLED", id(cm.LOOP): "LOOP", id(cm.ACTIVATE): "ACTIVATE",
         id(cm.UNITS): "UNITS"}


def examples(n: int):
    for folder, qname, data in (("iris", "qmodel.json", "test.csv"),
                                ("fruit_colors", "qmodel.json", "test.csv"),
                                ("digits", "qmodel.json", "test.npz"),
                                ("digits", "qmodel-speed.json", "test.npz")):
        qm = load_qmodel(EX / folder / qname)
        ds = load_dataset(EX / folder / data, qm.inputs)
        yield f"{folder}/{qname}", qm, qm.input_bytes(ds.x[:n])


def random_models(n: int):
    rng = np.random.default_rng(7)
    for shape, keep, levels in (((64, 16, 10), 0.3, (1,)), ((64, 24, 10), 0.5, (1, 2, 3)),
                                ((20, 40, 3), 0.7, (5, 17, 60)), ((32, 8, 8, 4), 0.5, (2, 7))):
        layers = []
        for k, (a, b) in enumerate(zip(shape[:-1], shape[1:])):
            w = rng.choice(levels, (a, b)) * rng.choice([-1, 1], (a, b)) * (rng.random((a, b)) < keep)
            act = "linear" if k == len(shape) - 2 else "relu"
            layers.append(QLayer(w.astype(np.int64), rng.integers(-300, 300, b).astype(np.int64),
                                 act, rng.integers(100, 255, b), rng.integers(2, 12, b)))
        qm = QModel("r", np.zeros(shape[0]), np.ones(shape[0]), layers)
        validate_qmodel(qm)
        q = rng.integers(0, 256, (n, shape[0])) * (rng.random((n, shape[0])) < 0.6)
        yield f"random {shape}", qm, q.astype(np.uint8)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=40)
    args = ap.parse_args()
    rows = []  # (name, layer, strategy, measured, event counts of the fitted constants, rest)
    for name, qm, q in [*examples(args.samples), *random_models(args.samples)]:
        for st in ("loop", "unrolled", "unrolled-macs"):
            strategies = [st] * len(qm.layers)
            try:
                build = build_library(qm, None, strategies)
            except Exception as e:  # too big to unroll
                print(f"{name} {st}: skipped ({e})")
                continue
            run = run_build(build, q, jobs=1)
            measured = run.layer_cycles.mean(axis=0)
            saved = [d[k] for d, k in FITTED]
            base = [c.total for c in cm.layer_costs(qm, q, strategies)]
            counts = []
            for i, (d, k) in enumerate(FITTED):
                d[k] = saved[i] + 1.0
                counts.append([c.total - b for c, b in zip(cm.layer_costs(qm, q, strategies), base)])
                d[k] = saved[i]
            counts = np.array(counts).T
            rest = np.array(base) - counts @ np.array(saved)
            for k in range(len(qm.layers)):
                rows.append((name, k, st, measured[k], counts[k], rest[k]))
            total_pred = cm.inference_cycles(qm, q, strategies)
            print(f"  outside the layers: {run.cycles.mean() - measured.sum():.0f} cycles, "
                  f"{qm.n_out} outputs")
            print(f"{name:28} {st:8} measured {run.cycles.mean():9.0f} predicted {total_pred:9.0f} "
                  f"({100 * (total_pred / run.cycles.mean() - 1):+.1f} %)")
    a = np.array([r[4] for r in rows])
    b = np.array([r[3] - r[5] for r in rows])
    fit, *_ = np.linalg.lstsq(a, b, rcond=None)
    print("fitted:", [(NAMES[id(d)], k, round(float(v), 2)) for (d, k), v in zip(FITTED, fit)])
    for r, f in zip(rows, a @ fit + np.array([r[5] for r in rows])):
        print(f"  {r[0]:28} layer {r[1]} {r[2]:8} measured {r[3]:9.0f} fitted model {f:9.0f} "
              f"({100 * (f / r[3] - 1):+.1f} %)")


if __name__ == "__main__":
    main()
