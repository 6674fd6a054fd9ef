"""6502 code generation: a qmodel → assembly source for its inference routine and data.

The routine (``c64ml_infer``) runs each layer with the hand-written runtime
(runtime6502/dense.s for the accumulators, activate.s for the outputs,
argmax.s for the class) and follows docs/semantics.md bit for bit. The data
it needs is emitted here from the qmodel: offset-binary weights, per-unit start
constants that fold the bias and the offset-binary corrections, multipliers,
shifts and tables. docs/abi.md documents the interface.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from c64ml.backend6502 import costmodel, labels, split, unit_act, unrolled, wide
from c64ml.backend6502.memory_plan import bank_back, bank_out
from c64ml.backend6502.runtime import inference_runtime
from c64ml.backend6502.sqtables import byte_lines, byte_planes, tables_source
from c64ml.errors import C64mlError
from c64ml.model.qmodel import QLayer, QModel
from c64ml.spec import CLAMP, LoopForm, Phase, Strategy, ValueKind, layer_strategies
from c64ml.text import asm_comment

ACT_KIND = {"step": 1, "sign": 2}  # every other activation is kind 0 (requantized)


@dataclass
class LayerData:
    """The bytes one layer needs on the C64 (see runtime6502/dense.s and activate.s)."""

    weights: bytes  # n_in rows of n_out bytes, w + 128
    start: bytes  # C[j]: n_out low, n_out middle, n_out high bytes
    multiplier: bytes | None
    shift: bytes | None
    table: bytes | None
    thresholds: bytes | None  # B then A, each as n_out low, middle, high XOR $80 bytes
    wide: bool = False  # the 32-bit path (wide.py): start has one block per chunk, no bias
    levels: bytes | None = None  # dense.s's levels loop: its level list; weights are levels
    chunk_constants: list[bytes] | None = None
    sparse: list[bytes] | None = None  # sparse.s: each row's stream (then a loop layer
    #                                    emits these, with its row table, not its weights)

    @property
    def loop_bytes(self) -> int:
        """Bytes of what the loop reads besides the start constants: weights, level list,
        or sparse.s's row table (2 a row) and streams."""
        if self.sparse is not None:
            return 2 * len(self.sparse) + sum(len(r) for r in self.sparse)
        return len(self.weights) + (0 if self.levels is None else len(self.levels))


def thresholds(layer: QLayer) -> tuple[np.ndarray, np.ndarray]:
    """B, A for runtime6502/activate.s: acc < B gives r ≤ lo and acc > A gives r ≥ hi
    (semantics §4–§5), both clamped into the 24-bit range, which keeps them safe."""
    from c64ml.exec.reference import requantize

    lo, hi = CLAMP[layer.activation]
    m, s = layer.multiplier, layer.shift
    n = layer.n_out
    b = wide.first_true(lambda a: requantize(a, m, s) > lo, n, 24)
    a = wide.first_true(lambda a: requantize(a, m, s) >= hi, n, 24) - 1
    top = (1 << 23) - 1
    return np.clip(b, -(1 << 23), top), np.clip(a, -(1 << 23), top)


def requant_data(layer: QLayer) -> tuple[bytes, bytes]:
    """The multipliers and thresholds runtime6502/activate.s reads for a requantized layer.

    Thresholds: B, A (above) as byte planes, B low, middle, high, then A's, the high bytes
    XOR $80 (so that unsigned compares order them). Every acc in B … A then requantizes to
    r with lo < r < hi, except where r never exceeds lo (B clamped to 2^23 − 1, which
    needs lo ≥ r(2^23 − 1) ≥ 0): there the multiplier is emitted as 0, so rq_run gives
    r = 0 = lo. So activate.s needs no clamp after rq_run, and r fits a byte."""
    from c64ml.exec.reference import requantize

    b, a = thresholds(layer)
    never = requantize(np.full(layer.n_out, (1 << 23) - 1), layer.multiplier, layer.shift) \
        <= CLAMP[layer.activation][0]
    m = np.where(never, 0, layer.multiplier.astype(np.int64))

    def planes(v: np.ndarray) -> bytes:
        return byte_planes(np.mod(v, 1 << 24) ^ (0x80 << 16), 3)
    return bytes(m.astype(np.uint8)), planes(b) + planes(a)


def dense_level_bytes(weights: np.ndarray) -> tuple[bytes, bytes]:
    """For dense.s's levels loop: its level list (L, then w + 128 of levels 1 … L, the
    distinct weights in increasing order) and the weights as level numbers 1 … L, one row
    per input. At most 255 levels."""
    values, codes = np.unique(weights, return_inverse=True)
    if len(values) > 255:
        raise ValueError("dense.s's levels loop takes at most 255 distinct weights")
    levels = bytes([len(values)]) + bytes((values + 128).astype(np.uint8))
    return levels, bytes((codes.reshape(weights.shape) + 1).astype(np.uint8).ravel())


#: sparse.s's limits: unit and magnitude bytes below $80, a row's stream within 256 bytes.
SPARSE_MAX_UNITS = 127
SPARSE_MAX_STREAM = 256


def sparse_rows(weights: np.ndarray) -> list[bytes]:
    """runtime6502/sparse.s's stream of each input row (b"" for a row with no nonzero
    weight): per magnitude m of the row, increasing, $80+m, the units j (1-based) whose
    weight is +m, $80, the units whose weight is -m; after the last group, $80."""
    out = []
    for row in np.asarray(weights, dtype=np.int64):
        if not row.any():
            out.append(b"")
            continue
        s = bytearray()
        for m in np.unique(np.abs(row[row != 0])):
            s.append(0x80 + int(m))
            s += bytes(int(j) + 1 for j in np.flatnonzero(row == m))
            s.append(0x80)
            s += bytes(int(j) + 1 for j in np.flatnonzero(row == -m))
        out.append(bytes(s + b"\x80"))
    return out


def row_magnitudes(weights: np.ndarray) -> np.ndarray:
    """Per input row, how many distinct magnitudes its nonzero weights have: its groups in
    sparse.s's stream."""
    return np.array([len(np.unique(np.abs(r[r != 0]))) for r in np.asarray(weights)],
                    dtype=np.int64)


def sparse_fits(weights: np.ndarray) -> bool:
    """Whether sparse.s takes these weights: at most 127 units, no weight −128, every row's
    stream within 256 bytes (2 per magnitude, 1 per nonzero weight, 1)."""
    w = np.asarray(weights, dtype=np.int64)
    if w.shape[1] > SPARSE_MAX_UNITS or (w < -127).any():
        return False
    stream = 2 * row_magnitudes(w) + np.count_nonzero(w, axis=1) + 1
    return bool((stream <= SPARSE_MAX_STREAM).all())


def start_constants(bias: np.ndarray, weights: np.ndarray, kind: str,
                    sparse: bool = False) -> np.ndarray:
    """C[j] such that dense.s's acc[j] = C[j] + Σ w'x' − 128·Σx' equals B[j] + Σ w·x (mod 2^24);
    ``sparse``: such that sparse.s's acc[j] = C[j] + Σ w·x' does.

    u8 inputs (x' = x):        C = B
    s8 inputs (x' = x + 128):  C = B − 128·Σ_i w'[i][j] + 16384·n_in  (dense.s)
                               C = B − 128·Σ_i w[i][j]                 (sparse.s)
    """
    c = bias.astype(np.int64).copy()
    if kind == "s8":
        if sparse:
            c = c - 128 * weights.astype(np.int64).sum(axis=0)
        else:
            w_off = weights.astype(np.int64) + 128
            c = c - 128 * w_off.sum(axis=0) + 16384 * weights.shape[0]
    return np.mod(c, 1 << 24)


def loop_bytes(layer: QLayer, kind: str
               ) -> tuple[LoopForm, bytes, bytes | None, list[bytes] | None, bytes]:
    """What the runtime loop reads for ``layer`` (a loop layer, or a split layer's looped
    rows): its form (costmodel.loop_form), the weights (w + 128, or level numbers), the
    level list (levels loop), sparse.s's row streams (sparse), and the start constants as
    byte planes."""
    form = costmodel.loop_form(layer)
    c = start_constants(layer.bias, layer.weights, kind, form == LoopForm.SPARSE)
    levels, weights = dense_level_bytes(layer.weights) if form == LoopForm.LEVELS \
        else (None, bytes((layer.weights + 128).astype(np.uint8).ravel()))
    sparse = sparse_rows(layer.weights) if form == LoopForm.SPARSE else None
    return form, weights, levels, sparse, byte_planes(c, 3)


def layer_data(model: QModel) -> list[LayerData]:
    out = []
    for layer, kind in zip(model.layers, model.input_kinds()):
        if wide.is_wide(layer, kind):
            zero = np.zeros(layer.n_out, dtype=np.int64)
            consts = [byte_planes(start_constants(zero, layer.weights[r0:r1], kind), 3)
                      for r0, r1 in wide.chunks(layer.n_in)]
            out.append(LayerData(
                weights=bytes((layer.weights + 128).astype(np.uint8).ravel()),
                start=b"".join(consts), multiplier=None, shift=None,
                table=None if layer.table is None else bytes(np.mod(layer.table, 256)
                                                              .astype(np.uint8)),
                thresholds=None, wide=True, chunk_constants=consts))
            continue
        _, weights, levels, sparse, start = loop_bytes(layer, kind)
        th = mult = None
        if layer.multiplier is not None:
            mult, th = requant_data(layer)
        out.append(LayerData(
            weights=weights, levels=levels, sparse=sparse,
            start=start,
            multiplier=mult,
            shift=None if layer.shift is None else bytes(layer.shift.astype(np.uint8)),
            table=None if layer.table is None else bytes(np.mod(layer.table, 256).astype(np.uint8)),
            thresholds=th,
        ))
    return out


def data_size(model: QModel, strategies: list[Strategy] | None = None) -> int:
    """Bytes of per-model data (descriptors, weights, constants, multipliers, shifts, tables)
    with these strategies (None: loops); a layer with specialised units has only its table."""
    strategies = layer_strategies(strategies, len(model.layers))
    total = 0
    for layer, d, kind, st in zip(model.layers, layer_data(model), model.input_kinds(),
                                  strategies):
        if wide.takes_wide_path(layer, kind, st):
            total += wide.data_size(layer, Strategy.LOOP)
        elif not st.specialised:
            total += descriptor_size(layer) + len(d.start) \
                + (0 if d.multiplier is None else 8 * len(d.shift)) \
                + (d.loop_bytes if st == Strategy.LOOP else len(d.weights))
        total += 0 if d.table is None else 256
    return total


def product_magnitudes(model: QModel, strategies: list[Strategy],
                       split_rows: dict[int, int] | None = None) -> set[int]:
    """The m of every m·Y table a program needs: its unrolled layers' weight magnitudes (a
    split layer's unrolled rows') and the multiplier bytes of its ``unrolled-mul`` layers'
    units."""
    out: set[int] = set()
    for k, (layer, st, kind) in enumerate(zip(model.layers, strategies, model.input_kinds())):
        if st == Strategy.SPLIT and not wide.takes_wide_path(layer, kind, st):
            fast, _ = split.parts(layer, split.rows_of(split_rows, k, layer))
            out |= {int(m) for m in np.unique(np.abs(layer.weights[fast])) if m}
        elif st.unrolled:
            out |= unrolled.magnitudes(layer)
        if st == Strategy.UNROLLED_MUL:
            out |= unit_act.table_multipliers(model.layers, k)
    return out


def wide_layers(model: QModel, strategies: list[Strategy] | None = None) -> list[bool]:
    """Per layer, whether it takes the 32-bit path with these strategies (None: loops)."""
    strategies = layer_strategies(strategies, len(model.layers))
    return [wide.takes_wide_path(layer, kind, st)
            for layer, kind, st in zip(model.layers, model.input_kinds(), strategies)]


def has_wide(model: QModel, strategies: list[Strategy] | None = None) -> bool:
    """Whether any layer takes the 32-bit path (and the program needs wide.s and rq32.s)."""
    return any(wide_layers(model, strategies))


#: A layer descriptor's fields in the order runtime6502/layer.s copies them: (name, bytes).
#: Step and sign layers' descriptors end after ac_kind.
DESCRIPTOR = (("dn_in", 2), ("dn_w", 2), ("dn_c", 2), ("dn_nin", 1), ("dn_mask", 1),
              ("dn_nout", 1), ("ac_out", 2), ("ac_kind", 1), ("ac_lo", 2), ("ac_hi", 2),
              ("ac_m", 2), ("ac_s", 2), ("ac_tab", 2), ("ac_th", 2))


def descriptor_size(layer: QLayer, kind: ValueKind | None = None) -> int:
    """Bytes of the layer's descriptor: 24, or 12 for step and sign (no requantization),
    or 0 for a wide layer (given its input ``kind``), which sets its parameters in code."""
    if kind is not None and wide.is_wide(layer, kind):
        return 0
    fields = DESCRIPTOR if layer.activation in CLAMP else DESCRIPTOR[:8]
    return sum(size for _, size in fields)


def descriptor(k: int, layer: QLayer, d: LayerData, kind: str, strategy: Strategy,
               src: str, dst: str) -> list[str]:
    """Layer ``k``'s descriptor ``c64ml_l{k}_d``: the parameters of dense.s and activate.s as
    ``.byte``/``.word`` lines, each commented (runtime6502/layer.s copies them)."""
    loop = strategy == Strategy.LOOP
    unused = "not used: unrolled"
    values = {
        "dn_in": ("0", "set from c64ml_inptr") if k == 0 or not loop else (src, "inputs"),
        "dn_w": ((labels.layer(k, "w"), "row table (sparse.s)") if d.sparse is not None
                 else (labels.layer(k, "w"), "weights + 128, one row per input")) if loop
        else ("0", unused),
        "dn_c": (labels.layer(k, "c"), "start constants") if loop else ("0", unused),
        "dn_nin": (str(layer.n_in & 0xFF), f"{layer.n_in} inputs" + (" (0 is 256)"
                                                                    if layer.n_in == 256 else ""))
        if loop else ("0", unused),
        "dn_mask": (("$80", "s8 inputs") if kind == ValueKind.S8 else ("$00", "u8 inputs"))
        if loop else ("0", unused),
        "dn_nout": (str(layer.n_out), "units"),
        "ac_out": (f"{dst}-1", "outputs, minus 1"),
        "ac_kind": (str(ACT_KIND.get(layer.activation, 0)),
                    {0: "requantize and clamp", 1: "step", 2: "sign"}[
                        ACT_KIND.get(layer.activation, 0)] + f" ({layer.activation})"),
    }
    if layer.activation in CLAMP:
        lo, hi = CLAMP[layer.activation]
        values |= {
            "ac_lo": (f"${lo & 0xFFFF:04X}", f"clamp low, {lo}"),
            "ac_hi": (f"${hi & 0xFFFF:04X}", f"clamp high, {hi}"),
            "ac_m": (f"{labels.layer(k, 'm')}-1", "multipliers, minus 1"),
            "ac_s": (f"{labels.layer(k, 's')}-1", "shifts, minus 1"),
            "ac_tab": (labels.layer(k, "t"), f"{layer.activation} table") if d.table is not None
            else ("0", "no table"),
            "ac_th": (f"{labels.layer(k, 'th')}-1", "thresholds B and A, minus 1"),
        }
    L = [f"{labels.layer(k, 'd')}:" + " " * max(1, 31 - len(labels.layer(k, 'd'))) +
         f"; layer {k}: {layer.n_in} -> {layer.n_out}, {layer.activation}, {strategy}"]
    for name, size in DESCRIPTOR[:len(values)]:
        value, what = values[name]
        L.append(f"        {'.byte' if size == 1 else '.word'} {value:<17} ; {name}: {what}")
    return L


def sparse_lines(k: int, rows: list[bytes]) -> list[str]:
    """Layer ``k``'s data for sparse.s: the row table (the streams' addresses, low bytes then
    high bytes; 0 and 0 for an empty row), then the streams."""
    sp = labels.layer(k, "sp")
    offsets, at = [], 0
    for r in rows:
        offsets.append(None if not r else at)
        at += len(r)
    lo = [f"<({sp}+{o})" if o is not None else "0" for o in offsets]
    hi = [f">({sp}+{o})" if o is not None else "0" for o in offsets]
    L = [f"{labels.layer(k, 'w')}:                    ; row table (runtime6502/sparse.s)"]
    for part in (lo, hi):
        L += ["        .byte " + ",".join(part[i:i + 8]) for i in range(0, len(part), 8)]
    return L + [f"{sp}:"] + byte_lines(b"".join(rows))


def accumulator_area(widest: int, levels: int = 0) -> list[str]:
    """dn_acc0/1/2 so that indexing from dn_accN-1 with X = 1..n never crosses a page, in
    whole pages: one page when 3·widest + 1 ≤ 256, else one array a page; and dense.s's
    dn_ptlo/dn_pthi for up to ``levels`` levels in the page's spare bytes when they fit (else
    they go with the buffers, pt_buffers), or, with no levels, their names on dn_acc0."""
    pt = pt_arrays(levels) if levels and 3 * widest + 1 + 2 * (levels + 1) <= 256 else []
    if 3 * widest + 1 <= 256:
        spare = 255 - 3 * widest - 2 * (levels + 1) * bool(pt)
        return ["        .res 1", f"dn_acc0: .res {widest}", f"dn_acc1: .res {widest}",
                f"dn_acc2: .res {widest}", *pt, f"        .res {spare}"] + \
            ([] if levels else PT_UNUSED)
    return ["        .res 1", "dn_acc0: .res 255", "        .res 1", "dn_acc1: .res 255",
            "        .res 1", "dn_acc2: .res 255"] + ([] if levels else PT_UNUSED)


#: With no layer on dense.s's levels loop, its product arrays are never touched.
PT_UNUSED = ["dn_ptlo = dn_acc0                ; not used: no layer has levels (dense.s)",
             "dn_pthi = dn_acc0"]


def pt_arrays(levels: int) -> list[str]:
    """dense.s's product arrays for up to ``levels`` levels (index 0 unused)."""
    return [f"dn_ptlo: .res {levels + 1}", f"dn_pthi: .res {levels + 1}"]


def pt_buffers(widest: int, levels: int) -> list[str]:
    """dn_ptlo/dn_pthi with the buffers when accumulator_area has no room for them."""
    return pt_arrays(levels) if levels and 3 * widest + 1 + 2 * (levels + 1) > 256 else []


def zp_borrowed_once(model: QModel, strategies: list[Strategy] | None = None,
                     hi_outside: bool = False) -> int:
    """Zero-page bytes borrowed once for the whole inference (every layer specialised and
    none wide; ``hi_outside``: the accumulators' high bytes elsewhere), else 0 (each
    unrolled layer borrows its own)."""
    strategies = layer_strategies(strategies, len(model.layers))
    wides = wide_layers(model, strategies)
    if not all(st.specialised and not w for st, w in zip(strategies, wides)):
        return 0
    return max(unit_act.layer_zp_bytes(model.layers, k, kind, Strategy.UNROLLED, hi_outside)
               for k, kind in enumerate(model.input_kinds()))


def inference_source(model: QModel, bank_out_basic: bool = False,
                     strategies: list[Strategy] | None = None,
                     zp_straight: bool = False, split_rows: dict[int, int] | None = None) -> str:
    """The full assembly source: entry point, runtime, tables, data and buffers.
    ``zp_straight``: zero page borrowed once is saved and restored by straight-line code
    however many bytes it is (faster, 5 bytes of code a byte each way), and the 24-bit
    accumulators keep their high bytes outside it (a byte of code more per weight, fewer
    bytes to copy). ``split_rows``: rows
    unrolled per ``split`` layer (split.rows_of).

    Labels a program may use (docs/abi.md): ``c64ml_infer`` (JSR/SYS entry),
    ``c64ml_in`` (input bytes), ``c64ml_inptr`` (address layer 0 reads; defaults
    to c64ml_in), ``c64ml_out`` (output bytes), ``c64ml_class`` (the class byte for
    argmax models), and the section markers used for byte counts.
    """
    data = layer_data(model)
    n = len(model.layers)
    strategies = layer_strategies(strategies, n)
    unrolled_mags = product_magnitudes(model, strategies, split_rows)
    widest = max(layer.n_out for layer in model.layers[:-1]) if n > 1 else 1
    widest_acc = max(layer.n_out for layer in model.layers)
    max_levels = max((len(d.levels) - 1 for d, st in zip(data, strategies)
                      if d.levels is not None and st == Strategy.LOOP and not d.wide),
                     default=0)
    max_levels = max([max_levels] + [
        split.looped_levels(layer, split.parts(layer, split.rows_of(split_rows, k, layer))[1])
        for k, (layer, st) in enumerate(zip(model.layers, strategies))
        if st == Strategy.SPLIT])
    last = model.layers[-1]
    L: list[str] = [
        f"; c64ml inference routine for model \"{asm_comment(model.name)}\": "
        f"{model.inputs} inputs, {n} layers, {model.macs()} MACs",
        "; generated by c64ml (c64ml/backend6502/codegen.py); arithmetic as in docs/semantics.md",
        "; layout: page-aligned tables and accumulators first (no padding), then code,",
        "; then weights and constants, then buffers",
        "",
        "        .align 256",
        "c64ml_tables:",
        tables_source(),
        "c64ml_acc:                      ; accumulators (runtime6502/dense.s)",
        *accumulator_area(widest_acc, max_levels),
        "c64ml_acc_end:",
    ]
    for k, d in enumerate(data):
        if d.table is not None:
            L += [f"{labels.layer(k, 't')}:                    ; activation table, page aligned"]
            L += byte_lines(d.table)
    L += unrolled.product_tables(unrolled_mags)
    L += ["c64ml_tables_end:", "",
          "; ---- buffers (kept low, so BASIC can PEEK them even in banked builds) ----",
          "c64ml_bss:",
          "c64ml_inptr: .word c64ml_in",
          "c64ml_save01: .byte $37",
          f"{labels.IN}: .res {model.inputs}",
          f"c64ml_bufa: .res {widest}",
          f"c64ml_bufb: .res {widest}",
          f"{labels.OUT}: .res {last.n_out}"]
    if model.output == "argmax":
        L.append("c64ml_class: .res 1")
    L += pt_buffers(widest_acc, max_levels)
    wides = wide_layers(model, strategies)
    for k, (layer, st) in enumerate(zip(model.layers, strategies)):
        if st.unrolled and len(wide.chunks(layer.n_in)) > 1:
            raise C64mlError(f"layer {k} has {layer.n_in} inputs: unrolled code takes at most "
                             f"{wide.CHUNK_ROWS}; use the loop strategy for it")
    wide_units = [layer.n_out for layer, w in zip(model.layers, wides) if w]
    if wide_units:
        L += [f"wd_acc{b}: .res {max(wide_units)}" for b in range(4)]
    fused = [st.specialised and not w for st, w in zip(strategies, wides)]
    once = all(fused)  # zero page borrowed once for the whole inference
    borrowed = zp_borrowed_once(model, strategies, zp_straight)
    if any(st.unrolled for st in strategies):
        L.append(f"c64ml_zpsave: .res {unrolled.ZP_SAVE}")
        if zp_straight:
            L.append(f"{unrolled.ACC_HI}: .res {min(unrolled.CHUNK, widest_acc)}"
                     "   ; the unrolled accumulators' high bytes")
        L += unrolled.zero_page_equates()
    if any(fused):
        L.append("c64ml_best: .res 1")
    gathered = [len(split.parts(layer, split.rows_of(split_rows, k, layer))[1])
                for k, (layer, st) in enumerate(zip(model.layers, strategies))
                if st == Strategy.SPLIT]
    if gathered:
        L.append(f"{split.GATHER}: .res {max(gathered)}")
    L += ["c64ml_bss_end:", "", "c64ml_code:", "c64ml_infer:"]
    if bank_out_basic:  # this stub stays below $A000; the rest may lie under BASIC ROM
        L += bank_out("c64ml_save01") + ["        jsr c64ml_body"] + bank_back("c64ml_save01")
        if model.output == "argmax":
            L.append("        lda c64ml_class")
        L.append("        rts")
    L.append("c64ml_body:")
    buffers = []
    for k, (layer, d, kind) in enumerate(zip(model.layers, data, model.input_kinds())):
        src = "c64ml_inptr" if k == 0 else ("c64ml_bufa" if k % 2 == 1 else "c64ml_bufb")
        dst = "c64ml_out" if k == n - 1 else ("c64ml_bufa" if k % 2 == 0 else "c64ml_bufb")
        buffers.append((src, dst))
        loop = strategies[k] == Strategy.LOOP
        if wides[k]:
            L.append(f"{labels.layer(k, 'begin')}:              ; layer {k}: {layer.n_in} -> "
                     f"{layer.n_out}, {layer.activation}, {kind} inputs, {strategies[k]}, "
                     f"32-bit ({layer.requant} requantization)")
            code = None if loop else unrolled.layer_code(
                k, QLayer(layer.weights, np.zeros(layer.n_out, dtype=np.int64), layer.activation),
                kind, None if k == 0 else src)
            L += wide.layer_code(k, layer, kind, strategies[k], None if k == 0 else src, dst,
                                 code)
            continue
        if fused[k]:
            L.append(f"{labels.layer(k, 'begin')}:              ; layer {k}: {layer.n_in} -> "
                     f"{layer.n_out}, {layer.activation}, {kind} inputs, unrolled")
            if once and k == 0:  # zero page borrowed once, for every layer
                L += unrolled.save_zero_page(borrowed, "c64ml_zp", zp_straight)
            rows = pre = None
            if strategies[k] == Strategy.SPLIT:
                fast, slow = split.parts(layer, split.rows_of(split_rows, k, layer))
                if slow:  # (none looped: the layer is unrolled whole)
                    rows, pre = fast, split.prelude(k, layer, kind, None if k == 0 else src,
                                                    slow)
            L += unrolled.layer_code(k, layer, kind, None if k == 0 else src, dst, save=not once,
                                     class_byte=k == n - 1 and layer.n_out == 1
                                     and model.output == "argmax",
                                     x_range=unit_act.input_range(model.layers, k),
                                     tables=strategies[k] == Strategy.UNROLLED_MUL,
                                     rows=rows, prelude=pre,
                                     argmax=last.out_kind if k == n - 1 and layer.n_out > 1
                                     and model.output == "argmax" else None,
                                     hi_outside=zp_straight)
            continue
        entry, what = (("ly_set", "dn_* and ac_* from it") if k else
                       ("ly_set_w", "all but dn_in")) if loop else \
            ("ly_set_act", "dn_nout and ac_* from it")
        L += [f"{labels.layer(k, 'begin')}:              ; layer {k}: {layer.n_in} -> {layer.n_out}, "
              f"{layer.activation}, {kind} inputs, {strategies[k]}",
              f"        ldx #{labels.layer(k, 'd')}-{labels.LAYERS}  ; the layer's descriptor",
              f"        jsr {entry:<19} ; {what} (runtime6502/layer.s)"]
        if not loop:
            L.append(f"{labels.phase_mark(k, Phase.ACCUMULATE)}:")
            L += unrolled.layer_code(k, layer, kind, None if k == 0 else src)
        else:
            if k == 0:
                L += ["        lda c64ml_inptr         ; dn_in: where c64ml_inptr points",
                      "        sta dn_in", "        lda c64ml_inptr+1", "        sta dn_in+1"]
            if d.sparse is not None:
                run = "        jsr sp_run              ; the accumulators (runtime6502/sparse.s)"
            elif d.levels is not None:
                lv = labels.layer(k, "lv")
                L += [f"        lda #<{lv}            ; dn_lv: dense.s's levels loop",
                      "        sta dn_lv", f"        lda #>{lv}", "        sta dn_lv+1"]
            else:
                L += ["        lda #0                  ; dn_lv: no levels", "        sta dn_lv+1"]
            L += [f"{labels.phase_mark(k, Phase.ACCUMULATE)}:",
                  run if d.sparse is not None else
                  "        jsr dn_run              ; the accumulators (runtime6502/dense.s)"]
        L += [f"{labels.phase_mark(k, Phase.ACTIVATE)}:",
              "        jsr ac_run              ; the outputs (runtime6502/activate.s)"]
    if once:
        L += [f"{labels.phase_mark(n - 1, Phase.OVERHEAD)}:"]
        L += unrolled.restore_zero_page(borrowed, "c64ml_zp", zp_straight)
    L.append("c64ml_layers_end:")
    if model.output == "argmax" and not fused[-1]:  # (else the class followed each unit:
        if last.n_out == 1:                         # unit_act.class_step)
            L += ["        ; class = 1 if acc >= 0 (docs/semantics.md 6)",
                  f"        lda {'wd_acc3' if data[-1].wide else 'dn_acc2'}", "        eor #$80",
                  "        asl",
                  "        lda #0", "        rol", "        sta c64ml_class"]
        else:
            signed = 1 if last.out_kind == ValueKind.S8 else 0
            L += ["        ; class = first index of the largest score",
                  "        lda #<c64ml_out", "        ldx #>c64ml_out",
                  f"        ldy #{last.n_out}", "        sec" if signed else "        clc",
                  "        jsr amax_run", "        sta c64ml_class"]
    if model.output == "argmax":
        L.append("        lda c64ml_class")
    L += ["        rts", ""]
    split_sparse = any(split.looped_form(layer, split.parts(
        layer, split.rows_of(split_rows, k, layer))[1]) == LoopForm.SPARSE
        for k, (layer, st) in enumerate(zip(model.layers, strategies))
        if st == Strategy.SPLIT and fused[k])
    L.append(inference_runtime(any(wides), split_sparse or any(
        d.sparse is not None and st == Strategy.LOOP for d, st in zip(data, strategies))))
    L += ["c64ml_code_end:", "", "; ---- layer descriptors, weights and per-unit constants ----",
          "c64ml_data:",
          f"{labels.LAYERS}:                   ; one descriptor per layer (runtime6502/layer.s)"]
    for k, (layer, d, kind) in enumerate(zip(model.layers, data, model.input_kinds())):
        if not wides[k] and not fused[k]:
            L += descriptor(k, layer, d, kind, strategies[k], *buffers[k])
    for k, (layer, d, kind) in enumerate(zip(model.layers, data, model.input_kinds())):
        if wides[k]:
            L += wide.data_lines(k, layer, kind, strategies[k], byte_lines, d.chunk_constants)
            continue
        if fused[k]:
            if strategies[k] == Strategy.SPLIT:
                L += split.data_lines(k, layer, kind, unit_act.input_range(model.layers, k),
                                      split.rows_of(split_rows, k, layer),
                                      k == n - 1 and layer.n_out == 1
                                      and model.output == "argmax")
            continue
        if strategies[k] == Strategy.LOOP:
            if d.levels is not None:
                L += [f"{labels.layer(k, 'lv')}:"] + byte_lines(d.levels)
            if d.sparse is not None:
                L += sparse_lines(k, d.sparse)
            else:
                L += [f"{labels.layer(k, 'w')}:"] + byte_lines(d.weights)
            L += [f"{labels.layer(k, 'c')}:"] + byte_lines(d.start)
        if d.multiplier is not None and not fused[k]:
            L += [f"{labels.layer(k, 'm')}:"] + byte_lines(d.multiplier)
            L += [f"{labels.layer(k, 's')}:"] + byte_lines(d.shift)
            L += [f"{labels.layer(k, 'th')}:"] + byte_lines(d.thresholds)
    L += ["c64ml_data_end:", "c64ml_end:", ""]
    return "\n".join(L)
