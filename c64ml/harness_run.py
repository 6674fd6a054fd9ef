"""Run a compiled inference routine on samples in the emulated C64 (c64ml/c64.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from c64ml.c64 import C64
from c64ml.compiler import Build
from c64ml.progress import progress

#: Far more than any model that fits the C64 needs; a runaway stops with a clear error.
MAX_CYCLES_PER_INFERENCE = 20_000_000


@dataclass
class HarnessRun:
    outputs: np.ndarray  # (N, output bytes) uint8
    cycles: np.ndarray  # (N,) CPU cycles per inference, JSR and RTS included
    irq_cycles: int  # simulated KERNAL interrupt cycles, reported separately


def run_build(build: Build, q: np.ndarray, irq: bool = True, system: str = "pal",
              label: str = "running on the emulated C64") -> HarnessRun:
    """Call ``c64ml_infer`` once per row of input bytes ``q``; collect outputs and cycles."""
    m = C64(system=system, irq=irq)
    m.load(build.origin, build.program.data)
    entry, inp = build.addr("c64ml_infer"), build.addr("c64ml_in")
    out, n_out = build.addr("c64ml_out"), build.model.out_bytes
    q = np.asarray(q, dtype=np.uint8)
    outputs = np.zeros((len(q), n_out), dtype=np.uint8)
    cycles = np.zeros(len(q), dtype=np.int64)
    irq_cycles = 0
    for i in progress(range(len(q)), label, len(q)):
        m.ram[inp:inp + q.shape[1]] = q[i].tobytes()
        r = m.call(entry, max_cycles=MAX_CYCLES_PER_INFERENCE)
        outputs[i] = np.frombuffer(bytes(m.ram[out:out + n_out]), dtype=np.uint8)
        cycles[i] = r.cycles
        irq_cycles += r.irq_cycles
    return HarnessRun(outputs, cycles, irq_cycles)
