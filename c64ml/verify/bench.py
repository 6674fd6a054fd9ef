"""`c64ml bench`: c64ml's 6502 code against the same model in C compiled by cc65, all measured
in one run of the emulated C64 (docs/bench.md).

Every figure comes from the harness: cycles per inference over the first samples of each
model's test set, bit-exact checks of every output byte against the NumPy reference, byte
counts from the assembled program.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from c64ml.backend6502.strategy import build_optimized
from c64ml.errors import C64mlError
from c64ml.exec import reference
from c64ml.model.dataset import load_dataset
from c64ml.model.qmodel import QModel, load_qmodel
from c64ml.progress import progress
from c64ml.quantize.ptq import compress
from c64ml.verify.harness import run_build

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass
class BenchModel:
    """One entry of the suite: a committed qmodel, its test set, and the speed settings."""

    name: str
    qmodel: str  # relative to examples/
    test: str
    train: str | None = None  # calibration data for importance-weighted pruning
    codebook: int | None = None  # shared weight magnitudes for --optimize speed
    prune: float = 0.0


SUITE = [
    BenchModel("xor", "xor/mlp.qmodel.json", "xor/data.csv"),
    BenchModel("fruit_colors", "fruit_colors/qmodel.json", "fruit_colors/test.csv",
               "fruit_colors/train.csv", 16),
    BenchModel("iris", "iris/qmodel.json", "iris/test.csv", "iris/train.csv", 16),
    BenchModel("digits", "digits/qmodel.json", "digits/test.npz", "digits/train.npz", 12, 0.3),
    BenchModel("digits-wide", "bench/wide.qmodel.json", "digits/test.npz", "digits/train.npz",
               12, 0.3),
    BenchModel("zero-perceptron", "bench/zero.qmodel.json", "bench/zero_test.npz",
               "bench/zero_train.npz", 12),
]


def _measure(build, q: np.ndarray, want: np.ndarray) -> dict:
    run = run_build(build, q, label=f"{build.model.name}: 6502")
    macs = build.model.macs()
    dense = run.layer_cycles.mean(axis=0).sum()
    b = build.byte_counts()
    return {"cycles_min": int(run.cycles.min()), "cycles_mean": float(run.cycles.mean()),
            "cycles_max": int(run.cycles.max()), "cycles_per_mac": float(dense / macs),
            "mismatches": int(np.any(run.outputs != want, axis=1).sum()),
            "split": {str(k): v for k, v in run.split().items()},
            "strategies": build.strategies, "bytes": b, "bytes_total": b["total"]}


def bench_model(entry: BenchModel, samples: int, cc65_samples: int) -> dict:
    """All the figures for one model of the suite."""
    from c64ml.verify.cc65_harness import cc65_run

    path = EXAMPLES / entry.qmodel
    if not path.is_file():
        raise C64mlError("bench needs the examples/ folder of a c64ml source checkout", path)
    base = load_qmodel(path)
    calib = None if entry.train is None else \
        base.input_bytes(load_dataset(EXAMPLES / entry.train, base.inputs).x)
    qm: QModel = compress(base, entry.codebook, entry.prune, calib) \
        if entry.codebook or entry.prune else base
    data = load_dataset(EXAMPLES / entry.test, qm.inputs)
    q_all = qm.input_bytes(data.x)
    q = q_all[:samples]
    want = reference.output_bytes(qm, q)
    speed = _measure(build_optimized(qm, "speed"), q, want)
    size = _measure(build_optimized(qm, "size"), q, want)
    cc_out, cc_cycles = cc65_run(qm, q[:cc65_samples])
    acc = None if data.y is None else float(np.mean(reference.predict(qm, q_all) == data.y))
    base_acc = None if data.y is None else float(np.mean(reference.predict(base, q_all)
                                                         == data.y))
    cc_mean = float(cc_cycles.mean())
    return {
        "name": entry.name,
        "shape": "-".join(str(n) for n in [qm.inputs] + [L.n_out for L in qm.layers]),
        "macs": qm.macs(), "samples": len(q), "cc65_samples": len(cc_cycles),
        "codebook": entry.codebook, "prune": entry.prune,
        "accuracy": acc, "accuracy_before_compression": base_acc,
        "cycles_mean": speed["cycles_mean"], "cycles_per_mac": speed["cycles_per_mac"],
        "cycles_split": speed["split"],
        "bytes_total": speed["bytes_total"],
        "cc65_cycles_mean": cc_mean,
        "cc65_cycles_per_mac": cc_mean / qm.macs(),
        "cc65_mismatches": int(np.any(cc_out != want[:len(cc_out)], axis=1).sum()),
        "speedup_vs_cc65": cc_mean / speed["cycles_mean"],
        "speed": speed, "size": size,
    }


def run_bench(names: list[str] | None = None, samples: int = 100,
              cc65_samples: int = 5) -> dict:
    """The whole suite (or the named models), with the cc65 version used."""
    from c64ml.backend_c.cc65 import cc65_version

    chosen = [e for e in SUITE if names is None or e.name in names]
    if names is not None and len(chosen) != len(set(names)):
        unknown = sorted(set(names) - {e.name for e in SUITE})
        raise C64mlError(f"unknown model(s) {', '.join(unknown)}; the suite has "
                         + ", ".join(e.name for e in SUITE))
    models = [bench_model(e, samples, cc65_samples)
              for e in progress(chosen, "benchmarking", len(chosen))]
    return {"cc65": cc65_version(), "cc65_flags": "-Oirs -Cl", "models": models}


def table(result: dict) -> str:
    """The README table."""
    head = ("| model | shape | MACs | accuracy | cycles/inference (min / mean / max) | "
            "cycles/MAC | bytes | cc65 cycles | speed-up |")
    rows = [head, "|" + "---|" * 9]
    for m in result["models"]:
        s = m["speed"]
        acc = "n/a" if m["accuracy"] is None else f"{100 * m['accuracy']:.2f}%"
        rows.append(f"| {m['name']} | {m['shape']} | {m['macs']} | {acc} | "
                    f"{s['cycles_min']} / {s['cycles_mean']:.0f} / {s['cycles_max']} | "
                    f"{m['cycles_per_mac']:.1f} | {m['bytes_total']} | "
                    f"{m['cc65_cycles_mean']:.0f} | {m['speedup_vs_cc65']:.1f}x |")
    return "\n".join(rows)
