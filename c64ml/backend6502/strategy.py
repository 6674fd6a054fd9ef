"""Choosing a code strategy per layer under the C64's memory budget.

- ``loop`` (runtime6502/dense.s): code that does not grow with the model; about 61 cycles per
  multiply-accumulate of a nonzero input; the weights cost one byte each.
- ``unrolled`` (c64ml/backend6502/unrolled.py): straight-line code with the weights folded in, about 24
  cycles per multiply-accumulate, no cycles at all for zero weights; 19 bytes of code per
  nonzero weight plus 512 bytes of table per distinct weight magnitude.

- ``split`` (c64ml/backend6502/split.py): a layer that does not fit unrolled whole has its
  rows with the most nonzero weights unrolled, as many as fit, and the rest looped.

``--optimize size`` uses loops everywhere. ``--optimize speed`` starts from all layers
unrolled and turns layers back into loops until the program fits, first the layer whose
unrolled code saves the fewest cycles per byte (by costmodel.py, with every input nonzero),
each first tried split, with ``reserve`` bytes left for whatever shares memory with the
model (an app's samples, a demo's driver).
"""

from __future__ import annotations

import numpy as np

from c64ml.backend6502 import costmodel, labels, split, unit_act, unrolled, wide
from c64ml.backend6502.compiler import Build, build_library, estimate_bytes
from c64ml.backend6502.memory_plan import IO_START
from c64ml.errors import C64mlError
from c64ml.model.qmodel import QModel
from c64ml.package.prg import BASIC_START
from c64ml.spec import Optimize, Phase, Strategy, layer_strategies, parse


def candidate_strategies(model: QModel, optimize: Optimize, budget: int) -> list[list[Strategy]]:
    """Strategy lists to try in order, fastest first, pre-filtered by estimated size.

    Speed: every layer unrolled with specialised units that multiply by tables
    (``unrolled-mul``), then by quarter squares (``unrolled``); then, layer by layer (the
    most units first), unrolled with the generic activation (less code); then the same
    again with the layers of most nonzero weights turned into loops, one more at a time."""
    n = len(model.layers)
    if parse(Optimize, optimize, "optimize") == Optimize.SIZE:
        return [layer_strategies(None, n)]
    by_gain = sorted(range(n), key=lambda k: _gain_per_byte(model, k))
    by_units = sorted(range(n), key=lambda k: -model.layers[k].n_out)
    out: list[list[Strategy]] = []
    loops: list[int] = []
    kinds = model.input_kinds()
    for k in [None] + by_gain:
        if k is not None:
            loops.append(k)
        current = [Strategy.LOOP if i in loops else Strategy.UNROLLED for i in range(n)]
        variants = [[Strategy.UNROLLED_MUL if s == Strategy.UNROLLED else s for s in current],
                    current.copy()]
        if k is not None and not wide.takes_wide_path(model.layers[k], kinds[k], Strategy.SPLIT):
            cut = [Strategy.SPLIT if i == k else s for i, s in enumerate(current)]
            if cut not in out and estimate_bytes(model, cut, {k: 0}) <= budget:
                out.append(cut)  # its rows: as many as fit (build_optimized)
        for j in by_units:
            if current[j] == Strategy.UNROLLED:
                current[j] = Strategy.UNROLLED_MACS
                variants.append(current.copy())
        out += [v for v in variants if v not in out and estimate_bytes(model, v) <= budget]
    return out or [layer_strategies(None, n)]


def likely_strategies(model: QModel, optimize: Optimize, reserve: int = 0) -> list[Strategy]:
    """The strategies :func:`build_optimized` tries first for a library at the default
    origin (by the size estimate; what the trainer prices a model with)."""
    return candidate_strategies(model, optimize, IO_START - BASIC_START - reserve)[0]


def _gain_per_byte(model: QModel, k: int) -> float:
    """Cycles that unrolling layer ``k`` saves (costmodel.py, every input nonzero) per byte
    of its unrolled code; wide layers, outside the cost model, by their nonzero weights."""
    layer, kind = model.layers[k], model.input_kinds()[k]
    if wide.is_wide(layer, kind):
        return 1.0 / (1 + np.count_nonzero(layer.weights))
    saved = (costmodel.static_layer_cycles(layer, kind, Strategy.LOOP, k == 0)
             - costmodel.static_layer_cycles(layer, kind, Strategy.UNROLLED, k == 0))
    return saved / unrolled.code_bytes(layer)


def build_optimized(model: QModel, optimize: Optimize = Optimize.SIZE, origin: int | None = None,
                    reserve: int = 0) -> Build:
    """The fastest build that fits: the first candidate strategy list that assembles into
    the memory left after ``reserve`` bytes."""
    budget = IO_START - (origin or BASIC_START) - reserve
    last_error = None
    for strategies in candidate_strategies(model, optimize, budget):
        for split_rows in _split_rows_to_try(model, strategies, budget):
            try:
                build = build_library(model, origin, strategies, budget, split_rows)
            except C64mlError as e:
                last_error = e
                continue
            if build.byte_counts()["total"] <= budget:
                return build
    if last_error is not None:
        raise last_error
    return build_library(model, origin)


def _split_rows_to_try(model: QModel, strategies: list[Strategy], budget: int
                       ) -> list[dict[int, int] | None]:
    """For a strategy list with a ``split`` layer: the rows to unroll in it, as many as the
    size estimate leaves room for, then fewer (the estimate is a lower bound); else None."""
    ks = [k for k, st in enumerate(strategies) if st == Strategy.SPLIT]
    if not ks:
        return [None]
    k = ks[0]
    room = budget - estimate_bytes(model, strategies, {k: 0})
    rows = split.rows_that_fit(model.layers[k], room, unit_act.acc16(model.layers, k))
    return [{k: r} for r in dict.fromkeys((rows, rows * 9 // 10, rows * 3 // 4, rows // 2))]


def layer_report(build: Build, layer_cycles: np.ndarray,
                 phase_cycles: np.ndarray | None = None) -> list[dict]:
    """Per layer: strategy, MACs, measured cycles (mean over the runs in ``layer_cycles``,
    accumulation and activation together), cycles per MAC, and bytes of code and data
    (descriptor, weights, constants); with ``phase_cycles`` (HarnessRun's) also the mean
    cycles in each phase (spec.Phase; the overhead is its set-up and its zero page)."""
    from c64ml.backend6502.codegen import descriptor_size, layer_data

    s = build.symbols
    model = build.model
    ends = [s[labels.layer(k + 1, "begin")] for k in range(len(model.layers) - 1)]
    ends.append(s[labels.LAYERS_END])
    out = []
    for k, (layer, d, st) in enumerate(zip(model.layers, layer_data(model),
                                           layer_strategies(build.strategies, len(model.layers)))):
        code = ends[k] - s[labels.layer(k, "begin")]
        if wide.takes_wide_path(layer, model.input_kinds()[k], st):
            data = wide.data_size(layer, st)
        elif st == Strategy.SPLIT:  # the looped rows' weights and start constants
            slow = split.parts(layer, split.rows_of(build.split_rows, k, layer))[1]
            data = (len(slow) + 3) * layer.n_out
        elif st.specialised:  # specialised units: constants live in the code
            data = 0
        else:
            data = descriptor_size(layer) + \
                (d.loop_bytes + len(d.start) if st == Strategy.LOOP else 0) + \
                (0 if d.multiplier is None else len(d.multiplier) + len(d.shift)
                 + len(d.thresholds))
        macs = layer.n_in * layer.n_out
        cycles = float(layer_cycles[:, k].mean())
        row = {"layer": k, "shape": f"{layer.n_in}x{layer.n_out}",
               "activation": layer.activation, "strategy": st, "macs": macs,
               **({"unrolled_rows": split.rows_of(build.split_rows, k, layer)}
                  if st == Strategy.SPLIT else {}),
               "nonzero_weights": int(np.count_nonzero(layer.weights)),
               "cycles_mean": cycles, "cycles_per_mac": cycles / macs,
               "code_bytes": code, "data_bytes": data}
        if phase_cycles is not None:
            acc, act = (float(phase_cycles[:, k, i].mean()) for i in (0, 1))
            row.update({Phase.ACCUMULATE.value: acc, Phase.ACTIVATE.value: act,
                        Phase.OVERHEAD.value: cycles - acc - act})
        out.append(row)
    return out


def report_text(rows: list[dict]) -> str:
    split = bool(rows) and Phase.ACCUMULATE.value in rows[0]
    head = (f"{'layer':>5} {'shape':>7} {'activation':<9} {'strategy':<9} {'nonzero':>7} "
            f"{'cycles':>9} {'cyc/MAC':>7} {'code':>6} {'data':>6}")
    if split:
        head += f" {'accumulate':>10} {'activate':>8} {'other':>6}"
    lines = [head]
    for r in rows:
        strategy = str(r["strategy"]) + (f":{r['unrolled_rows']}" if "unrolled_rows" in r
                                         else "")
        line = (f"{r['layer']:>5} {r['shape']:>7} {r['activation']:<9} {strategy:<9} "
                f"{r['nonzero_weights']:>7} {r['cycles_mean']:>9.0f} "
                f"{r['cycles_per_mac']:>7.1f} {r['code_bytes']:>6} {r['data_bytes']:>6}")
        if split:
            line += (f" {r[Phase.ACCUMULATE.value]:>10.0f} {r[Phase.ACTIVATE.value]:>8.0f}"
                     f" {r[Phase.OVERHEAD.value]:>6.0f}")
        lines.append(line)
    return "\n".join(lines)
