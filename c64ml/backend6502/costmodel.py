"""The 6502 code's cost model: predicted cycles of a compiled qmodel, per layer and strategy.

One place for the cycle figures that the strategy chooser (strategy.py) and the trainer
(c64ml/train) use. Every figure is either counted from the generated code (instructions
whose cycles do not depend on data) or fitted to cycles measured in the emulated C64
(``tools/calibrate_costmodel.py``, which prints the fit: every layer of its 15 builds
within 4 % on 30 samples; tests/test_costmodel.py checks the
model against measured cycles of the examples within 5 %).

A layer's cycles on one sample are a sum of *events* times their costs:

* ``unrolled`` (unrolled.py): per layer a fixed part; per unit the zero-page save and
  restore (3 bytes, 32 cycles a byte), the start constants and the copy to dn_acc; per
  input row with a nonzero weight, a row load that is skipped when the input is 0; per
  nonzero weight of a processed row 23 cycles, 29 when the carry reaches the high byte
  (a fitted average); per sign group of a processed row a clc or sec.
* ``loop`` (runtime6502/dense.s): per layer a fixed part, per unit, per processed and per
  skipped input row, and per multiply-accumulate of a processed row.
* the activation (runtime6502/activate.s, after either strategy): per layer a fixed part;
  per unit whose accumulator the saturation thresholds decide (r at or beyond the clamp)
  the short path; every other unit runs rq_run (requant.s), whose cost grows by 16 cycles
  for each bit of S mod 8.

Wide layers (32-bit accumulators, wide.py) are outside the model: :func:`layer_events`
refuses them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from c64ml.backend6502 import unrolled, wide
from c64ml.errors import C64mlError
from c64ml.exec.reference import activate, requantize
from c64ml.model.qmodel import QLayer, QModel
from c64ml.spec import CLAMP, REQUANTIZED, Strategy, ValueKind, layer_strategies

#: Cycles per event. "counted": from the instructions; "fitted": least squares on measured
#: per-layer cycles (tools/calibrate_costmodel.py, 2026-11-30).
UNROLLED = {
    "layer": 157,           # fitted: ldx/jsr ly_set_act, php/sei/plp, loop set-up, jsr ac_run
    "layer0": 16,           # layer 0 copies c64ml_inptr to zero page
    "zp_byte": 32,          # save and restore one borrowed zero-page byte (16 each)
    "unit": 15 + 21,        # start constants (3 x lda #, sta zp) and copy (3 x lda zp, sta abs)
    "row_proc": 6,          # tay + branch not taken (+ the load below)
    "row_skip": 7,          # tay + branch taken (+ the load below)
    "load0": 7,             # layer 0: ldy #, lda (zp),y
    "load": 4,              # later layers: lda abs
    "s8": 2,                # eor #$80 for s8 inputs
    "group": 2,             # clc or sec before a run of same-sign weights
    "weight": 23.6,         # fitted: 23, or 29 when a carry reaches the high byte
}
LOOP = {
    "layer": 466,           # fitted: dense.s fixed, ly_set(_w) and its call
    "unit": 75,             # fitted: start constants, final subtraction
    "row_proc": 79.8,       # fitted: a processed input row's set-up
    "row_skip": 73.8,       # fitted: a skipped (zero) input row
    "mac": 60.3,            # fitted: per multiply-accumulate of a processed row
}
ACTIVATE = {
    "layer": 179 + 6,       # activate.s fixed and its call
    "step_unit": 55,
    "fast_unit": 91.7,      # fitted: the thresholds decide, no rq_run
    "slow_unit": 523.2,     # fitted: rq_run, its call and the clamp, for S mod 8 = 0
    "shift_bit": 16,        # per bit of S mod 8 in rq_run
}


@dataclass
class LayerCost:
    """Predicted mean cycles of one layer over a set of samples."""

    strategy: Strategy
    accumulate: float
    activate: float

    @property
    def total(self) -> float:
        return self.accumulate + self.activate


def _check_narrow(layer: QLayer, kind: ValueKind) -> None:
    if wide.is_wide(layer, kind):
        raise C64mlError("the cost model covers 24-bit layers only (this layer is wide: "
                         "more than 256 inputs, TFLite requantization or a bound beyond 2^23)")


def accumulate_cycles(layer: QLayer, kind: ValueKind, strategy: Strategy, first: bool,
                      nonzero_rate: np.ndarray) -> float:
    """Mean cycles of the accumulation given each input's rate of being nonzero (0..1)."""
    _check_narrow(layer, kind)
    p = np.asarray(nonzero_rate, dtype=np.float64)
    w = layer.weights
    if strategy == Strategy.LOOP:
        c = LOOP
        return (c["layer"] + c["unit"] * layer.n_out
                + float(np.sum(p * (c["row_proc"] + c["mac"] * layer.n_out)
                               + (1 - p) * c["row_skip"])))
    c = UNROLLED
    total = c["layer"] + (c["layer0"] if first else 0)
    total += c["zp_byte"] * unrolled.zp_bytes(layer.n_out) + c["unit"] * layer.n_out
    load = (c["load0"] if first else c["load"]) + (c["s8"] if kind == ValueKind.S8 else 0)
    for start in range(0, layer.n_out, unrolled.CHUNK):
        part = w[:, start:start + unrolled.CHUNK]
        nz = np.count_nonzero(part, axis=1)
        groups = (part > 0).any(axis=1).astype(int) + (part < 0).any(axis=1)
        rows = nz > 0
        total += float(np.sum(rows * (load + p * (c["row_proc"] + c["group"] * groups
                                                  + c["weight"] * nz)
                                      + (1 - p) * c["row_skip"])))
    return total


def activate_cycles(layer: QLayer, acc: np.ndarray) -> float:
    """Mean cycles of activate.s for accumulators ``acc`` (samples × units)."""
    c = ACTIVATE
    if layer.activation not in REQUANTIZED:
        return c["layer"] + c["step_unit"] * layer.n_out
    lo, hi = CLAMP[layer.activation]
    r = requantize(acc, layer.multiplier, layer.shift)
    slow = (r > lo) & (r < hi)
    per_slow = c["slow_unit"] + c["shift_bit"] * (layer.shift % 8)
    return float(c["layer"] + np.mean(np.sum(np.where(slow, per_slow, c["fast_unit"]), axis=1)))


def layer_costs(model: QModel, q: np.ndarray,
                strategies: list[Strategy] | None = None) -> list[LayerCost]:
    """Predicted mean cycles of each layer of ``model`` on input bytes ``q`` (N × inputs)."""
    strategies = layer_strategies(strategies, len(model.layers))
    x = model.checked_input_bytes(q).astype(np.int64)
    out = []
    for k, (layer, kind, st) in enumerate(zip(model.layers, model.input_kinds(), strategies)):
        acc = x @ layer.weights + layer.bias
        rate = np.mean(x != 0, axis=0) if len(x) else np.ones(layer.n_in)
        out.append(LayerCost(st, accumulate_cycles(layer, kind, st, k == 0, rate),
                             activate_cycles(layer, acc)))
        x = activate(layer, acc)
    return out


#: Cycles outside the layers: the call, the argmax (per output unit) and the return.
TAIL = {"fixed": 72, "argmax_unit": 20}


def inference_cycles(model: QModel, q: np.ndarray,
                     strategies: list[Strategy] | None = None) -> float:
    """Predicted mean cycles of one inference (``c64ml_infer``, what verify measures)."""
    tail = TAIL["fixed"] + (TAIL["argmax_unit"] * model.n_out if model.output == "argmax" else 0)
    return sum(c.total for c in layer_costs(model, q, strategies)) + tail


def static_layer_cycles(layer: QLayer, kind: ValueKind, strategy: Strategy,
                        first: bool = False) -> float:
    """Data-free worst-ish figure for one layer: every input nonzero, every unit on rq_run's
    path (what the strategy chooser compares when it has no data)."""
    acc_c = accumulate_cycles(layer, kind, strategy, first, np.ones(layer.n_in))
    if layer.activation in REQUANTIZED:
        act = ACTIVATE["layer"] + float(np.sum(ACTIVATE["slow_unit"]
                                               + ACTIVATE["shift_bit"] * (layer.shift % 8)))
    else:
        act = ACTIVATE["layer"] + ACTIVATE["step_unit"] * layer.n_out
    return acc_c + act
