"""The "split" layer strategy: for a layer whose unrolled code does not fit, the rows (inputs)
with the most nonzero weights are unrolled and the rest run through the loop of
runtime6502/dense.s first.

In code order: the inputs of the looped rows are gathered into ``c64ml_gather``;
``jsr dn_run`` sums their products, start constants included, into dn_acc0/1/2; each
unit's zero-page accumulator starts from there; the unrolled rows add their products
(unrolled.py); the specialised unit code (unit_act.py) makes the outputs. The looped part's
start constants carry everything constant: the bias, the unit's offset (unit_act.unit_plan)
and, for s8 inputs, the −128·Σw of the unrolled rows (unrolled.start_constants).
"""

from __future__ import annotations

import numpy as np

from c64ml.backend6502 import labels, unit_act, unrolled
from c64ml.backend6502.sqtables import byte_lines
from c64ml.model.qmodel import QLayer
from c64ml.spec import LoopForm, ValueKind

GATHER = "c64ml_gather"


def parts(layer: QLayer, unrolled_rows: int) -> tuple[list[int], list[int]]:
    """The rows unrolled (the first ``unrolled_rows`` of unrolled.row_order: the most nonzero
    weights first) and the rows looped (the other rows with a nonzero weight, by index)."""
    order = unrolled.row_order(layer.weights)
    fast = order[:unrolled_rows]
    return fast, sorted(order[unrolled_rows:])


def default_rows(layer: QLayer) -> int:
    """Rows unrolled when nobody says how many: half the rows with a nonzero weight."""
    return len(unrolled.row_order(layer.weights)) // 2


def rows_of(split_rows: dict[int, int] | None, k: int, layer: QLayer) -> int:
    """Rows unrolled in split layer ``k``: as ``split_rows`` says, else default_rows."""
    return (split_rows or {}).get(k, default_rows(layer))


def _row_bytes(layer: QLayer, acc16: list[bool] | None) -> np.ndarray:
    """Bytes of unrolled code per row: its load and test, and per nonzero weight 19 bytes,
    15 for a unit that accumulates in 16 bits (unit_act.acc16)."""
    per = np.where(np.asarray(acc16 if acc16 is not None else [False] * layer.n_out),
                   unrolled.BYTES_PER_WEIGHT16, unrolled.BYTES_PER_WEIGHT)
    return (layer.weights != 0) @ per + ROW_BYTES


def rows_that_fit(layer: QLayer, nbytes: int, acc16: list[bool] | None = None) -> int:
    """The most rows (heaviest first) whose unrolled code takes at most ``nbytes``."""
    row = _row_bytes(layer, acc16)
    used, r = 0, 0
    for i in unrolled.row_order(layer.weights):
        used += int(row[i])
        if used > nbytes:
            break
        r += 1
    return r


#: Bytes of code per unrolled row (load, branch, clc/sec) and per looped row (gather).
ROW_BYTES = 10
GATHER_BYTES = 6


def code_bytes(layer: QLayer, unrolled_rows: int, acc16: list[bool] | None = None) -> int:
    """Bytes of code and data beyond the unit code: unrolled rows, gather, the looped rows'
    weights and start constants, the calls."""
    fast, slow = parts(layer, unrolled_rows)
    return (int(_row_bytes(layer, acc16)[fast].sum()) + GATHER_BYTES * len(slow)
            + len(slow) * layer.n_out + 3 * layer.n_out + 21 * layer.n_out + 60)


def looped_layer(layer: QLayer, kind: ValueKind, fast: list[int], slow: list[int],
                 plans: list[dict]) -> QLayer:
    """The looped rows as a layer of their own, whose bias carries everything constant: the
    bias, the units' offsets (unit_act.unit_plan) and, for s8 inputs, the −128·Σw of the
    unrolled rows (unrolled.start_constants)."""
    bias = layer.bias.astype(np.int64) - np.array([p.get("offset") or 0 for p in plans])
    if kind == ValueKind.S8:
        bias = bias - 128 * layer.weights[fast].astype(np.int64).sum(axis=0)
    return QLayer(layer.weights[slow], bias, layer.activation)


def looped_form(layer: QLayer, slow: list[int]) -> LoopForm:
    """The runtime loop of the looped rows: as a loop layer of just them would run
    (costmodel.loop_form: dense.s's tables or levels loop, or sparse.s)."""
    from c64ml.backend6502 import costmodel

    if not slow:
        return LoopForm.TABLES
    return costmodel.loop_form(QLayer(layer.weights[slow], layer.bias, layer.activation))


def looped_levels(layer: QLayer, slow: list[int]) -> int:
    """Levels of dense.s's levels loop for the looped rows, if they take it, else 0."""
    return len(np.unique(layer.weights[slow])) \
        if slow and looped_form(layer, slow) == LoopForm.LEVELS else 0


def prelude(k: int, layer: QLayer, kind: ValueKind, src: str | None,
            slow: list[int]) -> list[str]:
    """The looped rows: gather their inputs, set dense.s's parameters, call it."""
    if not slow:
        raise ValueError("a split layer loops at least one row")
    L = [f"        ; layer {k}: the {len(slow)} looped rows first (runtime6502/dense.s), "
         "their inputs gathered"]
    for n, i in enumerate(slow):
        if src is None:
            L += [f"        ldy #{i}", f"        lda ({labels.ZP_IN}),y",
                  f"        sta {GATHER}+{n}"]
        else:
            L += [f"        lda {src}+{i}", f"        sta {GATHER}+{n}"]
    form = looped_form(layer, slow)
    w = labels.layer(k, "w" if form == LoopForm.SPARSE else "sw")  # (sparse: the row table)
    c = labels.layer(k, "sc")
    for name, value in (("dn_in", GATHER), ("dn_w", w), ("dn_c", c)):
        L += [f"        lda #<{value}", f"        sta {name}", f"        lda #>{value}",
              f"        sta {name}+1"]
    if looped_levels(layer, slow):
        lv = labels.layer(k, "slv")
        L += [f"        lda #<{lv}            ; dn_lv: dense.s's levels loop",
              "        sta dn_lv", f"        lda #>{lv}", "        sta dn_lv+1"]
    else:
        L += ["        lda #0                  ; no levels", "        sta dn_lv+1"]
    L += [f"        lda #{len(slow) & 0xFF}", "        sta dn_nin",
          f"        lda #${0x80 if kind == ValueKind.S8 else 0:02X}", "        sta dn_mask",
          f"        lda #{layer.n_out}", "        sta dn_nout",
          "        jsr sp_run              ; the looped rows' sums to dn_acc0/1/2 (sparse.s)"
          if form == LoopForm.SPARSE else
          "        jsr dn_run              ; the looped rows' sums to dn_acc0/1/2"]
    return L


def data_lines(k: int, layer: QLayer, kind: ValueKind, x_range: tuple[int, int],
               unrolled_rows: int, class_byte: bool = False) -> list[str]:
    """The looped part's weights (w + 128, a row per looped input) and start constants (none
    when no row is looped: then the layer is unrolled whole)."""
    fast, slow = parts(layer, unrolled_rows)
    if not slow:
        return []
    from c64ml.backend6502.codegen import loop_bytes, sparse_lines

    plans = unit_act.unit_plan(layer, x_range, offsets=not class_byte)
    _, weights, levels, sparse, start = loop_bytes(
        looped_layer(layer, kind, fast, slow, plans), kind)
    tail = [f"{labels.layer(k, 'sc')}:                 ; ... their start constants"] + \
        byte_lines(start)
    if sparse is not None:
        return sparse_lines(k, sparse) + tail
    L = []
    if levels is not None:
        L += [f"{labels.layer(k, 'slv')}:                ; layer {k}: looped rows' levels"]
        L += byte_lines(levels)
    return (L + [f"{labels.layer(k, 'sw')}:                 ; layer {k}: looped rows' weights"
                 + (" (levels)" if levels is not None else " + 128")]
            + byte_lines(weights) + tail)
