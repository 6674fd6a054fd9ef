"""`c64ml verify`: compile a qmodel, run every sample in the emulated C64, and compare every
output byte with both references (NumPy and the LLVM JIT)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from c64ml.backend6502.compiler import Build
from c64ml.exec import reference
from c64ml.machine.c64 import timing
from c64ml.model.dataset import Dataset
from c64ml.model.floatmodel import Model
from c64ml.model.qmodel import QModel
from c64ml.verify.harness import run_build


@dataclass
class Verification:
    samples: int
    mismatches: int  # samples whose 6502 output bytes differ from either reference
    reference_disagreements: int  # samples where NumPy and the JIT differ (a bug in c64ml)
    accuracy: dict  # float, fixed, c64 (None where unknown)
    cycles: dict  # min, mean, max per inference
    time_ms: dict  # pal/ntsc, blanked/screen_on, for the mean
    bytes: dict
    irq_cycles: int
    first_mismatch: int | None
    instructions: int = 0  # 6502 instructions the emulated C64 executed
    host_seconds: float = 0.0  # wall-clock time of running the samples in the emulator

    def to_json(self) -> dict:
        return {"samples": self.samples, "mismatches": self.mismatches,
                "reference_disagreements": self.reference_disagreements,
                "accuracy": self.accuracy, "cycles": self.cycles, "time_ms": self.time_ms,
                "bytes": self.bytes, "irq_cycles": self.irq_cycles,
                "first_mismatch": self.first_mismatch, "instructions": self.instructions,
                "host_seconds": self.host_seconds}


def classes_from_bytes(model: QModel, out: np.ndarray, ref_out: np.ndarray,
                       ref_classes: np.ndarray) -> np.ndarray:
    """The class each program output stands for (semantics §6–§7)."""
    if model.output == "argmax":
        return out[:, -1].astype(np.int64)
    same = np.all(out == ref_out, axis=1)
    y = out.astype(np.int64)
    if model.layers[-1].out_kind == "s8":
        y = np.where(y >= 128, y - 256, y)
    guess = np.argmax(y, axis=1) if y.shape[1] > 1 else (y[:, 0] > 0).astype(np.int64)
    return np.where(same, ref_classes, guess)


def verify(build: Build, data: Dataset, float_model: Model | None = None,
           irq: bool = True, engine: str = "fast") -> Verification:
    """Run ``data`` through the program in ``build`` and both references (``engine``: the
    emulator's, "fast" or "reference")."""
    from c64ml.exec.jit import compile_qmodel

    qm = build.model
    q = qm.data_bytes(data.x, data.x_dtype)
    ref = reference.output_bytes(qm, q)
    jit = compile_qmodel(qm).output_bytes(q)
    t0 = time.perf_counter()
    run = run_build(build, q, irq=irq, engine=engine)
    host_seconds = time.perf_counter() - t0
    bad = np.any(run.outputs != ref, axis=1) | np.any(run.outputs != jit, axis=1)
    disagree = np.any(ref != jit, axis=1)
    acc = {"float": None, "fixed": None, "c64": None}
    if data.y is not None:
        ref_classes = reference.predict(qm, q)
        acc["fixed"] = float(np.mean(ref_classes == data.y))
        acc["c64"] = float(np.mean(classes_from_bytes(qm, run.outputs, ref, ref_classes)
                                   == data.y))
        if float_model is not None:
            acc["float"] = float(np.mean(float_model.predict(data.x) == data.y))
    c = run.cycles
    mean = float(c.mean())
    t = timing(round(mean))
    time_ms = {system: {"blanked": t[system]["blanked_ms"], "screen_on": t[system]["screen_on_ms"]}
               for system in ("pal", "ntsc")}
    first = int(np.argmax(bad)) if bad.any() else None
    return Verification(len(q), int(bad.sum()), int(disagree.sum()), acc,
                        {"min": int(c.min()), "mean": mean, "max": int(c.max())}, time_ms,
                        build.byte_counts(), run.irq_cycles, first, run.instructions,
                        host_seconds)
