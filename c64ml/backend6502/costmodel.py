"""The 6502 code's cost model: predicted cycles of a compiled qmodel, per layer and strategy.

One place for the cycle figures that the strategy chooser (strategy.py) and the trainer
(c64ml/train) use. Every figure is either counted from the generated code (instructions
whose cycles do not depend on data) or fitted to cycles measured in the emulated C64
(``tools/calibrate_costmodel.py``, which prints the fit: every layer of its 15 builds
within 4 % on 30 samples; tests/test_costmodel.py checks the
model against measured cycles of the examples within 5 %).

A layer's cycles on one sample are a sum of *events* times their costs:

* ``unrolled`` and ``unrolled-macs`` (unrolled.py): per layer a fixed part; the zero-page
  save and restore (counted from unrolled.py's copy code: straight-line or two bytes an
  iteration), per unit the start constants (and, for ``unrolled-macs``, the copy to
  dn_acc); per input row with a nonzero weight, a row load that is skipped when the input
  is 0; per nonzero weight of a processed row 23 cycles, 29 when the carry reaches the high
  byte (a fitted average), or, for a unit that accumulates in 16 bits (unit_act's
  ``acc16``), 20 and a clc/sec but after the last of its sign group (counted); per sign
  group of a processed row a clc or sec. When every layer
  is ``unrolled`` the zero page is copied once, for the largest layer, charged to layer 0.
* the specialised units of ``unrolled`` (unit_act.py): per unit and sample, by the path its
  code takes: a constant, a saturated output (a threshold decides), or the window, whose
  cost grows per quarter-square product and per shift step (fitted).
* ``loop`` (runtime6502/dense.s): per layer a fixed part, per unit, per processed and per
  skipped input row, and per multiply-accumulate of a processed row; with the levels loop
  (dense_levels) a processed row also pays per level, and its multiply-accumulates less;
  on sparse rows (runtime6502/sparse.s) a processed row pays per magnitude group and per
  nonzero weight instead, and a unit only its start constants (loop_form picks the form).
* the activation (runtime6502/activate.s, after either strategy): per layer a fixed part;
  per unit whose accumulator the saturation thresholds decide (r at or beyond the clamp)
  the short path; every other unit runs rq_run (requant.s), whose cost grows by 8 cycles
  for each bit of S mod 8 and shrinks when acc's high byte is 0 or $FF.

Wide layers (32-bit accumulators, wide.py) are outside the model: :func:`layer_events`
refuses them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from c64ml.backend6502 import split, unit_act, unrolled, wide
from c64ml.errors import C64mlError
from c64ml.exec.reference import activate, requantize
from c64ml.model.qmodel import QLayer, QModel
from c64ml.spec import (
    CLAMP,
    REQUANTIZED,
    LoopForm,
    Strategy,
    ValueKind,
    layer_strategies,
    parse,
)

#: Cycles per event. "counted": from the instructions; "fitted": least squares on measured
#: per-layer cycles (tools/calibrate_costmodel.py --samples 30, 2026-11-30, after size
#: mode's new requant.s, activate.s and dense.s).
UNROLLED = {
    "layer": 236,           # fitted: ldx/jsr ly_set_act, php/sei/plp, jsr ac_run (unrolled-macs)
    "layer_fused": 9,       # php/sei/plp around the zero-page copies (counted)
    "layer0": 16,           # layer 0 copies c64ml_inptr to zero page
    "unit": 15,             # start constants (3 x lda #, sta zp)
    "merged": 13,           # saved when a unit's first row runs: its start constant rides
                            # on that product (25 cycles for 15 + 23)
    "init_row": 3,          # a processed row that starts accumulators: the jmp over the
    #                         start constants its branch goes to when it is skipped
    "copy": 21,             # unrolled-macs: the copy to dn_acc (3 x lda zp, sta abs)
    "row_proc": 6,          # tay + branch not taken (+ the load below)
    "row_skip": 7,          # tay + branch taken (+ the load below)
    "load0": 7,             # layer 0: ldy #, lda (zp),y
    "load": 4,              # later layers: lda abs
    "s8": 2,                # eor #$80 for s8 inputs
    "group": 2,             # clc or sec before a run of same-sign weights
    "weight": 23.7,         # fitted: 23, or 29 when a carry reaches the high byte
    "unit16": 10,           # a 16-bit unit's start constants (2 x lda #, sta zp)
    "weight16": 20,         # a 16-bit unit's nonzero weight (counted)
    "flag16": 2,            # ... its clc or sec, but for the last of a sign group
}
#: The accumulators' high bytes outside zero page (a lean build: codegen.inference_source's
#: zp_straight): a cycle more per processed MAC that carries (about 1 in 8), per unit's
#: start, and per read of the unit code (about 2).
HI_OUTSIDE = {"carry": 0.12, "unit": 1, "read": 2}
SPLIT = {
    "call": 80,             # dense.s's parameters set in code and the jsr (counted)
    "gather0": 11,          # layer 0: ldy #, lda (zp),y, sta abs per looped row
    "gather": 8,            # later layers: lda abs, sta abs
    "copy": 21,             # per unit: dn_acc0/1/2 to zero page, instead of start constants
}
LOOP = {
    "layer": 504,           # fitted: dense.s fixed, ly_set(_w) and its call
    "unit": 76.1,           # fitted: start constants, final subtraction
    "row_proc": 94.6,       # fitted: a processed input row's set-up
    "row_skip": 44.4,       # fitted: a skipped (zero) input row
    "mac": 60.4,            # fitted: per multiply-accumulate of a processed row
    # the levels loop (dense_levels), measured in tests/test_runtime_dense.py:
    "level": 37.2,          # per level of a processed row: its product into dn_ptlo/hi
    "row_levels": 2.3,      # a processed row's set-up, more than row_proc
    "mac_levels": 40.9,     # fitted: per multiply-accumulate of a processed row
    # sparse.s (loop_form SPARSE), measured in tests/test_runtime_dense.py, relative to the
    # figures above (ly_set and the call are the same):
    "sparse_unit": -46,     # start constants only: no final subtraction (33, not 79)
    "sparse_row": 5,        # a processed row's set-up (79, not 74), more than row_proc
    "sparse_skip": -14,     # a skipped row, x' = 0 or no nonzero weight (16, not 30)
    "sparse_group": 66,     # per magnitude of a processed row: its product, its two heads
    "sparse_weight": 36.9,  # per nonzero weight of a processed row, with a random codebook's
    #                         carries (tools/calibrate_costmodel.py --samples 30 fits 37.0)
}
#: The fewest cycles per inference a layer must save on sparse rows (priced as loop_form
#: does): below that, sparse.s's code (about 330 bytes with its alignment) is not worth adding to
#: a program built for size.
SPARSE_MIN_GAIN = 500
#: The most levels dense.s's levels loop is used with (its dn_ptlo/dn_pthi stay small).
MAX_LEVELS = 64
#: The specialised units of unit_act.py (counted from the code it emits; branches that
#: depend on data and page crossings of the table reads averaged).
UNITS = {
    "const": 6,             # lda #, sta abs
    "step": 15,             # a sign test and the store
    "test_lo": 18,          # acc < B: lda/cmp, lda/sbc, lda/sbc, bvc
    "test_lo_keep": 28,     # the same keeping e = acc - B in Y and zero page
    "test_hi": 18,          # acc > A
    "test_sign": 3,         # an offset unit's acc − B < 0: lda zp (N is the test)
    "test_hi_byte": 5,      # ... its acc − B > A − B: lda #, cmp/sbc zp per byte of its span
    "top_first": 6,         # ... spans of 2-3 bytes: cpy #, bcc, bne on the top byte (in Y
    #                         from the low test)
    "e_acc": -3,            # ... and e is its accumulator, its top byte in Y already: the
    #                         first product's ldy saved
    "sat": 7,               # bpl not taken, lda #, jmp
    "pass": 3,              # bpl taken
    "store": 4,             # sta abs (the output byte)
    "e": 8,                 # e's low byte into Y (sec, lda, sbc, tay)
    "e_byte": 7,            # each further byte of e (lda, sbc, sta zp)
    "product": 50,          # one quarter-square product (4 table reads) added into P, its carry
    "product_table": 25,    # ... from the m·Y tables (unrolled-mul): 2 table reads
    "top_table": 17,        # e's top byte times m from a small table (unit_act.top_table):
    #                         ldy zp, and lda abs,y : sta zp per byte of P it reaches
    "fresh_saves": 18,      # a product stored as it comes (c0's byte 0, P's byte not yet
    #                         reached): no ZL/X round trip, no addition, no carry on
    "extract": 3,           # lda zp
    "shift": 7,             # one shift step of the extraction (lsr zp / ror, or asl / rol zp)
    "left": 3,              # the extra load after left shifts
    "add": 4,               # clc, adc #
    "sign": 11,             # two pieces: lda, bpl/jmp, and the jmp over the other piece
    "top_test": 6,          # e's top byte 0 or 1 (unit_act.top_bit): lda zp, beq
    "top_add": 10,          # ... 1: clc and, per byte of P from there, lda zp, adc #, sta zp
}
ACTIVATE = {
    "layer": 104 + 6,       # activate.s fixed and its call
    "step_unit": 19,
    "fast_unit": 59.9,      # fitted: the thresholds decide, no rq_run
    "slow_unit": 320.7,     # fitted: rq_run and its call, for S mod 8 = 0
    "shift_bit": 8,         # per bit of S mod 8 in rq_run
    "short": 70,            # rq_run without its third product: acc's high byte 0 or $FF
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


def zp_copy_cycles(nbytes: int, straight: bool = False) -> int:
    """Cycles of saving and restoring ``nbytes`` of zero page, as unrolled.py's code does
    (counted): 7 a byte each way straight-line (up to STRAIGHT_COPY bytes, or all with
    ``straight``), else 9 a byte and 5 an iteration of COPY_UNROLL bytes (lda zp,x and
    sta abs,x; dex, bpl) and the rest straight-line."""
    if nbytes == 0:
        return 0
    if nbytes <= unrolled.STRAIGHT_COPY or straight:
        return 2 * 7 * nbytes
    part, rest = divmod(nbytes, unrolled.COPY_UNROLL)
    return 2 * (2 + (9 * unrolled.COPY_UNROLL + 5) * part - 1 + 7 * rest)


def dense_levels(layer: QLayer) -> bool:
    """Whether a loop layer runs dense.s's levels loop: its weights take L ≤ MAX_LEVELS
    distinct values (a codebook) and the L products a processed row makes first cost less
    than what the cheaper multiply-accumulates save: L·level + row_levels <
    n_out·(mac − mac_levels)."""
    c = LOOP
    n = len(np.unique(layer.weights))
    return n <= MAX_LEVELS and \
        c["level"] * n + c["row_levels"] < layer.n_out * (c["mac"] - c["mac_levels"])


def loop_form(layer: QLayer) -> LoopForm:
    """The runtime loop of a ``loop`` layer: the cheaper of dense.s's two loops, or sparse.s
    when the weights fit it (codegen.sparse_fits) and it saves at least SPARSE_MIN_GAIN
    cycles. Priced with every input nonzero except those whose weights are all zero (as
    pruning by importance leaves them: mostly zero inputs), which both loops skip then."""
    from c64ml.backend6502.codegen import sparse_fits

    p = np.any(layer.weights != 0, axis=1).astype(np.float64)
    dense = LoopForm.LEVELS if dense_levels(layer) else LoopForm.TABLES
    if sparse_fits(layer.weights) and _loop_cycles(layer, LoopForm.SPARSE, p) \
            <= _loop_cycles(layer, dense, p) - SPARSE_MIN_GAIN:
        return LoopForm.SPARSE
    return dense


def _loop_cycles(layer: QLayer, form: LoopForm, p: np.ndarray) -> float:
    """Mean cycles of a loop layer's accumulation in ``form`` given each input's rate of
    being nonzero."""
    from c64ml.backend6502.codegen import row_magnitudes

    c = LOOP
    if form == LoopForm.SPARSE:
        nz = np.count_nonzero(layer.weights, axis=1)
        row = c["row_proc"] + c["sparse_row"] + c["sparse_group"] * row_magnitudes(layer.weights) \
            + c["sparse_weight"] * nz
        skip = c["row_skip"] + c["sparse_skip"]
        p = np.where(nz > 0, p, 0.0)  # an empty row is skipped
        return (c["layer"] + (c["unit"] + c["sparse_unit"]) * layer.n_out
                + float(np.sum(p * row + (1 - p) * skip)))
    row = c["row_proc"] + c["mac"] * layer.n_out
    if form == LoopForm.LEVELS:
        row = c["row_proc"] + c["row_levels"] + c["level"] * len(np.unique(layer.weights)) \
            + c["mac_levels"] * layer.n_out
    return c["layer"] + c["unit"] * layer.n_out + float(np.sum(p * row + (1 - p) * c["row_skip"]))


def accumulate_cycles(layer: QLayer, kind: ValueKind, strategy: Strategy, first: bool,
                      nonzero_rate: np.ndarray, zp_bytes: int | None = None,
                      acc16: list[bool] | None = None, split_rows: int | None = None) -> float:
    """Mean cycles of the accumulation given each input's rate of being nonzero (0..1);
    ``zp_bytes``: the zero page this layer copies (None: its own, for one unrolled layer);
    ``acc16``: which units accumulate in 16 bits (unit_act.unit_plan; default none);
    ``split_rows``: rows unrolled, for a ``split`` layer (split.py; None: its default)."""
    _check_narrow(layer, kind)
    strategy = parse(Strategy, strategy, "strategy")
    p = np.asarray(nonzero_rate, dtype=np.float64)
    w = layer.weights
    fast, slow = split.parts(layer, split.default_rows(layer) if split_rows is None
                             else split_rows) if strategy == Strategy.SPLIT else ([], [])
    if slow:  # split: dense.s on the looped rows, then the unrolled ones
        looped = QLayer(w[slow], layer.bias, layer.activation)
        quick = QLayer(np.where(np.isin(np.arange(layer.n_in), fast)[:, None], w, 0),
                       layer.bias, layer.activation)
        c = SPLIT
        return (accumulate_cycles(looped, kind, Strategy.LOOP, False, p[slow])
                + c["call"] + (c["gather0"] if first else c["gather"]) * len(slow)
                + accumulate_cycles(quick, kind, Strategy.UNROLLED, first, p, zp_bytes, acc16,
                                    split_rows=-1) + (c["copy"] - UNROLLED["unit"]) * layer.n_out)
    if strategy == Strategy.LOOP:
        return _loop_cycles(layer, loop_form(layer), p)
    c = UNROLLED
    fused = strategy.specialised
    total = (c["layer_fused"] if fused else c["layer"]) + (c["layer0"] if first else 0)
    narrow = np.asarray(acc16 if acc16 is not None else [False] * layer.n_out, dtype=bool)
    total += (c["unit"] + (0 if fused else c["copy"])) * layer.n_out \
        - (c["unit"] - c["unit16"]) * narrow.sum()
    if zp_bytes is None:
        zp_bytes = unrolled.zp_bytes(layer.n_out)
    total += zp_copy_cycles(zp_bytes) if zp_bytes else 0
    load = (c["load0"] if first else c["load"]) + (c["s8"] if kind == ValueKind.S8 else 0)
    for start in range(0, layer.n_out, unrolled.CHUNK):
        part = w[:, start:start + unrolled.CHUNK]
        n16 = narrow[start:start + unrolled.CHUNK]
        nz = np.count_nonzero(part, axis=1)
        groups = (part > 0).any(axis=1).astype(int) + (part < 0).any(axis=1)
        rows = nz > 0
        # 16-bit MACs (the last of each sign group: no flag)
        pos16, neg16 = ((part[:, n16] > 0).sum(axis=1), (part[:, n16] < 0).sum(axis=1))
        macs = c["weight"] * (nz - pos16 - neg16) + c["weight16"] * (pos16 + neg16) \
            + c["flag16"] * (np.maximum(pos16 - 1, 0) + np.maximum(neg16 - 1, 0))
        total += float(np.sum(rows * (load + p * (c["row_proc"] + c["group"] * groups + macs)
                                      + (1 - p) * c["row_skip"])))
        order = unrolled.row_order(part)
        starts = {}  # unit -> the row that starts it (unrolled.layer_code)
        for r in order if split_rows != -1 else ():  # (-1: a split layer's unrolled rows)
            for u in np.flatnonzero(part[r]):
                starts.setdefault(int(u), r)
        total -= c["merged"] * float(sum(p[r] for r in starts.values()))
        total += c["init_row"] * float(sum(p[r] for r in set(starts.values())))
    return total


def activate_cycles(layer: QLayer, acc: np.ndarray) -> float:
    """Mean cycles of activate.s for accumulators ``acc`` (samples × units)."""
    c = ACTIVATE
    if layer.activation not in REQUANTIZED:
        return c["layer"] + c["step_unit"] * layer.n_out
    lo, hi = CLAMP[layer.activation]
    r = requantize(acc, layer.multiplier, layer.shift)
    slow = (r > lo) & (r < hi)
    short = np.isin(np.asarray(acc) >> 16, (0, -1))
    per_slow = c["slow_unit"] + c["shift_bit"] * (layer.shift % 8) - c["short"] * short
    return float(c["layer"] + np.mean(np.sum(np.where(slow, per_slow, c["fast_unit"]), axis=1)))


def _piece_cycles(piece: dict, d_ready: bool, tables: bool = False,
                  in_acc: bool = False) -> float:
    c = UNITS
    if piece["m"] == 0:
        return 2
    nd = unit_act.piece_bytes(piece)
    e = 0 if d_ready or in_acc else c["e"] + c["e_byte"] * (nd - 1)
    return e + _product_cycles(piece, tables, in_acc)


def _product_cycles(piece: dict, tables: bool = False, top_down: bool = False) -> float:
    c = UNITS
    bits = piece["t"] & 7
    steps = bits if bits <= 4 else 8 - bits
    top = 0.0
    if unit_act.top_bit(piece):   # the share of the window with e's top byte 1
        b = 8 * (unit_act.nbytes(piece["width"]) - 1)
        top = c["top_test"] + c["top_add"] * (piece["width"] + 1 - (1 << b)) / (piece["width"] + 1)
    fresh = unit_act.fresh_products(piece, top_down)
    table = top_down and not tables and unit_act.top_table(piece) > 0
    return (c["product_table" if tables else "product"] * (unit_act.piece_products(piece)
                                                           - table)
            + c["top_table"] * table - c["fresh_saves"] * fresh + top
            + c["extract"]
            + c["shift"] * steps + (c["left"] if bits > 4 else 0) + c["add"])


def _offset_high_test(plan: dict, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cycles of an offset unit's high test (unit_act.unit_code) at e = acc − B, when it
    saturates and when it passes: one byte compared (cmp, bcs), or the top byte first
    (lda, cmp #, bcc: below the limit's top byte it passes at once) and the rest when the
    top bytes are equal."""
    c = UNITS
    top = unit_act.nbytes(plan["span"]) - 1
    if top == 0:
        one = np.full(len(e), c["test_hi_byte"])
        return one + c["sat"], one + c["pass"]
    et, vt = e >> (8 * top), (plan["test_hi"] - plan["offset"]) >> (8 * top)
    rest = c["top_first"] + c["test_hi_byte"] * top
    return (np.where(et > vt, c["top_first"] + 1 + c["sat"] - 2, rest + c["sat"]),
            np.where(et < vt, c["top_first"] - 1, rest + c["pass"]))


def unit_cycles(layer: QLayer, plans: list[dict], acc: np.ndarray, tables: bool = False
                ) -> float:
    """Mean cycles of the specialised unit code (unit_act.py) for accumulators ``acc``;
    ``tables``: as ``unrolled-mul`` builds it."""
    c = UNITS
    total = np.zeros(len(acc))
    for j, plan in enumerate(plans):
        a = acc[:, j]
        if plan["kind"] != "rq":
            total += c["const"] if plan["kind"] == "const" else c["step"]
            continue
        pieces = plan["pieces"]
        d_ready = bool(pieces) and pieces[0]["sign"] == 1 and plan["test_lo"] == pieces[0]["base"]
        has_lo, has_hi = plan["test_lo"] is not None, plan["test_hi"] is not None
        offset = plan.get("offset") is not None
        t_lo = (c["test_sign"] if offset else c["test_lo_keep"] if d_ready else c["test_lo"]) \
            if has_lo else 0
        lo = a < plan["test_lo"] if has_lo else np.zeros(len(a), bool)
        hi = a > plan["test_hi"] if has_hi else np.zeros(len(a), bool)
        passed = t_lo + (c["pass"] if has_lo else 0)
        t_hi = c["test_hi"] + c["sat"]
        t_hi_pass = c["test_hi"] + c["pass"]
        if offset and has_hi:
            t_hi, t_hi_pass = _offset_high_test(plan, a - plan["offset"])
        cost = np.where(lo, t_lo + c["sat"], passed + t_hi) + c["store"]
        inside = ~lo & ~hi
        window = passed + (t_hi_pass if has_hi else 0) + c["store"] + \
            (c["e_acc"] if offset and pieces else 0)
        if not pieces:
            cost = np.where(inside, window + 2, cost)
        elif len(pieces) == 1:
            cost = np.where(inside, window + _piece_cycles(pieces[0], d_ready, tables, offset),
                            cost)
        else:
            pos = window + c["sign"] + _piece_cycles(pieces[0], d_ready, tables)
            neg = window + c["sign"] + _piece_cycles(pieces[1], False, tables)
            cost = np.where(inside & (a >= 0), pos, np.where(inside, neg, cost))
        total += cost
    return float(total.mean()) if len(acc) else 0.0


def class_cycles(y: np.ndarray, kind: ValueKind) -> float:
    """Mean cycles of unit_act.class_step over an argmax layer's outputs ``y`` (samples ×
    units): each unit's compare, and the stores of each new maximum."""
    c = CLASS
    if len(y) == 0:
        return 0.0
    new = np.sum(y[:, 1:] > np.maximum.accumulate(y, axis=1)[:, :-1], axis=1)
    flips = c["s8"] * y.shape[1] if kind == ValueKind.S8 else 0
    return float(c["first"] + c["unit"] * (y.shape[1] - 1) + c["new_max"] * new.mean() + flips)


def layer_costs(model: QModel, q: np.ndarray, strategies: list[Strategy] | None = None,
                zp_straight: bool = False, split_rows: dict[int, int] | None = None
                ) -> list[LayerCost]:
    """Predicted mean cycles of each layer of ``model`` on input bytes ``q`` (N × inputs);
    ``zp_straight`` and ``split_rows`` as the build's (compiler.Build)."""
    strategies = layer_strategies(strategies, len(model.layers))
    x = model.checked_input_bytes(q).astype(np.int64)
    kinds = model.input_kinds()
    once = all(st.specialised for st in strategies)
    zp_once = max(unit_act.layer_zp_bytes(model.layers, k, kind, Strategy.UNROLLED,
                                          zp_straight) for k, kind in enumerate(kinds)) \
        if once else 0
    out = []
    for k, (layer, kind, st) in enumerate(zip(model.layers, kinds, strategies)):
        acc = x @ layer.weights + layer.bias
        rate = np.mean(x != 0, axis=0) if len(x) else np.ones(layer.n_in)
        zp = None if not st.unrolled or once else \
            unit_act.layer_zp_bytes(model.layers, k, kind, st)
        acc16 = None
        if st.specialised:
            plans = unit_act.unit_plan(layer, unit_act.input_range(model.layers, k))
            act = unit_cycles(layer, plans, acc, st == Strategy.UNROLLED_MUL)
            acc16 = [p["acc16"] for p in plans]
        else:
            act = activate_cycles(layer, acc)
        accumulate = accumulate_cycles(layer, kind, st, k == 0, rate, 0 if once else zp, acc16,
                                       (split_rows or {}).get(k))
        if zp_straight and st.specialised and acc16 is not None:  # high bytes not in zero
            wide24 = ~np.asarray(acc16, dtype=bool)                 # page: a cycle more a
            accumulate += HI_OUTSIDE["carry"] * float(            # carry, start and read
                rate @ np.count_nonzero(layer.weights[:, wide24], axis=1)) \
                + HI_OUTSIDE["unit"] * int(wide24.sum())
            act += HI_OUTSIDE["read"] * int(wide24.sum())
        if once:  # saved in layer 0, restored at the end of the last layer
            accumulate += zp_copy_cycles(zp_once, zp_straight) / 2 * (
                (k == 0) + (k == len(strategies) - 1))
        if st.specialised and k == len(model.layers) - 1 and model.output == "argmax" \
                and layer.n_out > 1:
            act += class_cycles(activate(layer, acc), layer.out_kind)
        out.append(LayerCost(st, accumulate, act))
        x = activate(layer, acc)
    return out


#: Cycles outside the layers: the call, the argmax (per output unit) and the return.
TAIL = {"fixed": 72, "argmax_unit": 20}
#: ... when the last layer has specialised units (the argmax is in the layer: CLASS).
TAIL_UNROLLED = {"fixed": 23}
#: The class as an argmax layer's specialised units go (unit_act.class_step, counted): the
#: first unit, each later one, each one that is a new maximum, eor #$80 per unit for s8.
CLASS = {"first": 13, "unit": 10, "new_max": 11, "s8": 2}


def inference_cycles(model: QModel, q: np.ndarray, strategies: list[Strategy] | None = None,
                     zp_straight: bool = False, split_rows: dict[int, int] | None = None
                     ) -> float:
    """Predicted mean cycles of one inference (``c64ml_infer``, what verify measures);
    ``zp_straight`` and ``split_rows`` as the build's (compiler.Build)."""
    strategies = layer_strategies(strategies, len(model.layers))
    argmax = model.output == "argmax"
    if strategies[-1].specialised:  # (the argmax is in the last layer: class_cycles)
        tail = TAIL_UNROLLED["fixed"]
    else:
        tail = TAIL["fixed"] + (TAIL["argmax_unit"] * model.n_out if argmax else 0)
    return sum(c.total for c in layer_costs(model, q, strategies, zp_straight, split_rows)) \
        + tail


def static_layer_cycles(layer: QLayer, kind: ValueKind, strategy: Strategy,
                        first: bool = False) -> float:
    """Data-free worst-ish figure for one layer: every input nonzero, every unit on rq_run's
    path (what the strategy chooser compares when it has no data; the accumulation is
    priced as ``unrolled-macs`` for either unrolled strategy)."""
    if parse(Strategy, strategy, "strategy").specialised:
        strategy = Strategy.UNROLLED_MACS
    acc_c = accumulate_cycles(layer, kind, strategy, first, np.ones(layer.n_in))
    if layer.activation in REQUANTIZED:
        act = ACTIVATE["layer"] + float(np.sum(ACTIVATE["slow_unit"]
                                               + ACTIVATE["shift_bit"] * (layer.shift % 8)))
    else:
        act = ACTIVATE["layer"] + ACTIVATE["step_unit"] * layer.n_out
    return acc_c + act
