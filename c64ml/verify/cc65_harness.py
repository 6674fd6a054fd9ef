"""Run the cc65 baseline (c64ml/backend_c/cc65.py) in the emulated C64 (docs/c-backend.md).

To run one inference the harness puts the input bytes at ``IN_BUF``, the ``in`` pointer
on a fresh C stack (zero-page ``sp``), the ``out`` pointer in A/X (cc65's fastcall
convention) and calls ``_c64ml_infer``: the cycles counted are those of the function
itself, from its first instruction to its RTS.
"""

from __future__ import annotations

import numpy as np

from c64ml.backend_c.cc65 import IN_BUF, OUT_BUF, STACK_TOP, Cc65Build, cc65_build
from c64ml.backend_c.csource import c_source
from c64ml.errors import C64mlError
from c64ml.machine.c64 import C64
from c64ml.model.qmodel import QModel


def max_cycles(model: QModel) -> int:
    """A generous budget for one inference (cc65 needs well under 1,000 cycles a MAC)."""
    units = sum(layer.n_out for layer in model.layers)
    return 5_000 * model.macs() + 50_000 * units + 100_000


def cc65_run(model: QModel, q: np.ndarray, build: Cc65Build | None = None,
             irq: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Run every sample of ``q`` (N × inputs bytes) through the cc65 build in the emulated C64.

    Returns the output bytes (N × out_bytes, uint8) and the cycles of each
    ``c64ml_infer`` call (N, int64; the KERNAL interrupt's cycles are not counted).
    """
    q = model.checked_input_bytes(q)
    build = build or cc65_build(model)
    if build.sources != c_source(model):
        raise C64mlError("the cc65 build is of a different model", field="cc65")
    m = C64(irq=irq)
    m.load(build.origin, build.image)
    start, size = build.bss
    m.ram[start:start + size] = bytes(size)
    sp = build.symbols["sp"]
    n_out = model.out_bytes
    budget = max_cycles(model)
    outputs = np.zeros((len(q), n_out), dtype=np.uint8)
    cycles = np.zeros(len(q), dtype=np.int64)
    for k, row in enumerate(q):
        m.ram[IN_BUF:IN_BUF + model.inputs] = bytes(int(v) for v in row)
        # The first argument (in) on the C stack, the last (out) in A/X: cc65's fastcall.
        frame = STACK_TOP - 2
        m.ram[frame], m.ram[frame + 1] = IN_BUF & 0xFF, IN_BUF >> 8
        m.ram[sp], m.ram[sp + 1] = frame & 0xFF, frame >> 8
        r = m.call(build.entry, a=OUT_BUF & 0xFF, x=OUT_BUF >> 8, max_cycles=budget)
        if r.reason != "return":
            raise C64mlError(f"sample {k}: the run ended with {r.reason!r}", field="cc65")
        if m.ram[sp] | m.ram[sp + 1] << 8 != STACK_TOP:
            raise C64mlError(f"sample {k}: c64ml_infer left the C stack unbalanced",
                             field="cc65")
        outputs[k] = np.frombuffer(bytes(m.ram[OUT_BUF:OUT_BUF + n_out]), dtype=np.uint8)
        expected_a = int(outputs[k, -1]) if model.output == "argmax" else 0
        if r.a != expected_a:
            raise C64mlError(f"sample {k}: c64ml_infer returned {r.a}, expected {expected_a}",
                             field="cc65")
        cycles[k] = r.cycles
    return outputs, cycles
