"""Per-unit activation code for unrolled layers: the requantization specialised at compile time.

An unrolled layer leaves each unit's 24-bit accumulator in zero page. Instead of copying it
out and calling the generic runtime6502/activate.s (about 450 cycles a unit), the compiler
emits, per unit, code for exactly that unit's multiplier, shift and clamp (docs/semantics.md
§4.1, §5), using what it can prove:

- the thresholds: ``acc < B`` gives the clamp's low end and ``acc > A`` its high end (the
  smallest acc with ``r > lo``, the largest with ``r < hi``); each test is left out when the
  unit's accumulator bound (§3) cannot reach it, and a unit that can only saturate is a
  constant;
- between them the output is not clamped and, with ``d = acc − B'`` (``B'`` the lowest
  reachable accumulator in the window) and ``B'·M + R = q·2^S + c0`` (``0 ≤ c0 < 2^S``),
  ``r = q + floor((d·M + c0) / 2^S)``: unsigned, with only as many bytes of ``d`` as the
  window needs, one ``mul8`` product per byte, and the 8 result bits picked out of ``P``;
- step and sign are a sign test; a table is indexed with the result.

Scratch: 8 bytes of the zero page the unrolled layer borrows (``c64ml_zpt``).
"""

from __future__ import annotations

import numpy as np

from c64ml.backend6502 import labels, wide
from c64ml.exec.reference import requantize
from c64ml.model.qmodel import QLayer
from c64ml.spec import CLAMP, TABLED, Activation, Strategy, ValueKind


def _nbytes(v: int) -> int:
    return max(1, (int(v).bit_length() + 7) // 8)


def _byte(v: int, k: int) -> int:
    return (int(v) >> (8 * k)) & 0xFF


def input_range(layers: list[QLayer], k: int) -> tuple[int, int]:
    """The values layer ``k``'s inputs can take: input bytes for layer 0, else what the
    previous layer's activation (its clamp, or its table's values) can give."""
    if k == 0:
        return 0, 255
    prev = layers[k - 1]
    if prev.table is not None:
        return int(prev.table.min()), int(prev.table.max())
    if prev.activation == Activation.STEP:
        return 0, 1
    if prev.activation == Activation.SIGN:
        return -1, 1
    return prev.out_range


def acc_interval(layer: QLayer, x_range: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Per unit, the smallest and largest accumulator its inputs can give: the bias plus, for
    each input, the lesser and greater of w·lo and w·hi (tighter than §3's bound)."""
    lo, hi = x_range
    w = layer.weights.astype(np.int64)
    return (layer.bias + np.minimum(w * lo, w * hi).sum(axis=0),
            layer.bias + np.maximum(w * lo, w * hi).sum(axis=0))


def unit_plan(layer: QLayer, x_range: tuple[int, int]) -> list[dict]:
    """Per unit: what its code must do, from its constants and the accumulators its inputs
    (in ``x_range``) can give."""
    amin, amax = acc_interval(layer, x_range)
    out = []
    if layer.activation in (Activation.STEP, Activation.SIGN):
        return [{"kind": layer.activation} for _ in range(layer.n_out)]
    lo, hi = CLAMP[layer.activation]
    m, s = layer.multiplier, layer.shift
    n = layer.n_out
    first_above_lo = wide.first_true(lambda a: requantize(a, m, s) > lo, n, 25)
    first_at_hi = wide.first_true(lambda a: requantize(a, m, s) >= hi, n, 25)
    for j in range(n):
        b, a = int(first_above_lo[j]), int(first_at_hi[j]) - 1
        bottom, top = int(amin[j]), int(amax[j])
        plan = {"kind": "rq", "lo": lo, "hi": hi, "m": int(m[j]), "s": int(s[j])}
        if b > top:  # every reachable acc is below b: r ≤ lo
            plan.update(kind="const", value=lo)
        elif a < bottom:  # every reachable acc is above a: r ≥ hi
            plan.update(kind="const", value=hi)
        else:
            plan["test_lo"] = b if b > bottom else None  # acc < b: lo
            plan["test_hi"] = a if a < top else None  # acc > a: hi
            base = max(b, bottom)
            width = min(a, top) - base
            if b > a:  # no window: below b lo, from b on hi
                plan.update(window=None, test_hi=None)
            else:
                q, c0 = divmod(base * int(m[j]) + ((1 << (int(s[j]) - 1)) if s[j] else 0),
                               1 << int(s[j]))
                plan.update(window=(base, width, q, c0))
        out.append(plan)
    return out


def needs_scratch(plans: list[dict] | None) -> bool:
    """Whether any unit multiplies (uses the zero-page scratch); None (the generic
    activation, runtime6502/activate.s) needs none."""
    return plans is not None and any(p["kind"] == "rq" and p.get("window") is not None
                                     and p["m"] != 0 for p in plans)


def layer_zp_bytes(layers: list[QLayer], k: int, kind: ValueKind, strategy: Strategy) -> int:
    """Zero-page bytes layer ``k`` borrows: none for a loop; pointer, scratch (if its units
    multiply) and accumulators for an unrolled one."""
    from c64ml.backend6502.unrolled import zp_bytes

    layer = layers[k]
    if not strategy.unrolled:
        return 0
    fused = strategy == Strategy.UNROLLED and not wide.is_wide(layer, kind)
    plans = unit_plan(layer, input_range(layers, k)) if fused else None
    return zp_bytes(layer.n_out, needs_scratch(plans))


def _signed_test(acc: tuple[str, str, str], value: int, greater: bool,
                 keep_d: bool = False) -> list[str]:
    """N set when acc < value (greater=False) or acc > value (greater=True): a signed 24-bit
    compare with a constant, the sign corrected for overflow. With ``keep_d`` (acc < value
    only) the low bytes of acc − value stay behind: byte 0 in Y, bytes 1 and 2 in ZT."""
    v = value & 0xFFFFFF
    b = [v & 0xFF, (v >> 8) & 0xFF, v >> 16]
    if greater:  # value − acc < 0
        return [f"        lda #${b[0]:02X}", f"        cmp {acc[0]}",
                f"        lda #${b[1]:02X}", f"        sbc {acc[1]}",
                f"        lda #${b[2]:02X}", f"        sbc {acc[2]}",
                "        bvc *+4", "        eor #$80"]
    if not keep_d:
        return [f"        lda {acc[0]}", f"        cmp #${b[0]:02X}",
                f"        lda {acc[1]}", f"        sbc #${b[1]:02X}",
                f"        lda {acc[2]}", f"        sbc #${b[2]:02X}",
                "        bvc *+4", "        eor #$80"]
    return ["        sec", f"        lda {acc[0]}", f"        sbc #${b[0]:02X}", "        tay",
            f"        lda {acc[1]}", f"        sbc #${b[1]:02X}", f"        sta {ZT}",
            f"        lda {acc[2]}", f"        sbc #${b[2]:02X}", f"        sta {ZT}+1",
            "        bvc *+4", "        eor #$80"]


def _out_value(layer: QLayer, y: int) -> int:
    """The byte stored for output value ``y`` (through the table, if any)."""
    if layer.activation in TABLED:
        return int(layer.table[y + 128]) & 0xFF
    return y & 0xFF


def unit_code(k: int, j: int, layer: QLayer, plan: dict, acc: tuple[str, str, str],
              dst: str) -> list[str]:
    """The code computing unit ``j``'s output byte into ``dst+j`` from its accumulator bytes
    ``acc`` (zero-page names, low first)."""
    store = f"        sta {dst}+{j}"
    done = labels.layer(k, f"y{j}")
    if plan["kind"] == Activation.STEP:
        return [f"        lda {acc[2]}             ; unit {j}: step, 1 if acc >= 0",
                "        eor #$80", "        asl", "        lda #0", "        rol", store]
    if plan["kind"] == Activation.SIGN:
        return [f"        lda {acc[2]}             ; unit {j}: sign, 1 if acc >= 0 else -1",
                "        asl", "        lda #1", "        bcc *+4", "        lda #$FF", store]
    if plan["kind"] == "const":
        return [f"        lda #${_out_value(layer, plan['value']):02X}"
                f"            ; unit {j}: {plan['value']} whatever its accumulator", store]
    L = [f"        ; unit {j}: M = {plan['m']}, S = {plan['s']}"]
    window = plan["window"]
    d_ready = plan["test_lo"] is not None and window is not None \
        and window[0] == plan["test_lo"]
    # each saturated case: an inverted short branch over its constant and a JMP to the store
    if plan["test_lo"] is not None:
        L += _signed_test(acc, plan["test_lo"], greater=False, keep_d=d_ready)
        L += ["        bpl *+7", f"        lda #${_out_value(layer, plan['lo']):02X}",
              f"        jmp {done}"]
    if plan["test_hi"] is not None:
        L += _signed_test(acc, plan["test_hi"], greater=True)
        L += ["        bpl *+7", f"        lda #${_out_value(layer, plan['hi']):02X}",
              f"        jmp {done}"]
    if window is None:
        L.append(f"        lda #${_out_value(layer, plan['hi']):02X}")
    else:
        L += _window_code(k, layer, plan, acc, d_ready)
    return L + [f"{done}:", store]


ZT = f"{labels.ZP_SCRATCH}+1"  # d's bytes 1 and 2
ZL = labels.ZP_SCRATCH  # a product's low byte
ZP = f"{labels.ZP_SCRATCH}+3"  # P, up to 5 bytes


def _window_code(k: int, layer: QLayer, plan: dict, acc: tuple[str, str, str],
                 d_ready: bool) -> list[str]:
    """r = q + floor((d·M + c0) / 2^S), d = acc − base, as the output byte in A: one
    quarter-square product per byte of d, with M's table offsets as constants."""
    base, width, q, c0 = plan["window"]
    m, s = plan["m"], plan["s"]
    if m == 0:  # r = q everywhere in the window
        return [f"        lda #${_out_value(layer, q + (c0 >> s)):02X}"]
    nd = _nbytes(width)
    np_ = max(nd + 1, (s >> 3) + 2)
    byte, bits = s >> 3, s & 7
    L: list[str] = []
    if not d_ready:
        L += [f"        sec                     ; d = acc - {base}",
              f"        lda {acc[0]}", f"        sbc #${_byte(base, 0):02X}", "        tay"]
        for i in range(1, nd):
            L += [f"        lda {acc[i]}", f"        sbc #${_byte(base, i):02X}",
                  f"        sta {ZT}+{i - 1}"]
    else:
        L.append(f"        ; d = acc - {base}: Y and {ZT}")
    p = [f"{ZP}+{i}" for i in range(np_)]
    for i in range(nd):  # P (+)= d_i·M·2^(8i), the first time with c0 added
        if i:
            L.append(f"        ldy {ZT}+{i - 1}")
        L += ["        clc", f"        lda SQ1LO+{m},y", f"        sbc SQ2LO+{255 - m},y",
              f"        sta {ZL}", f"        lda SQ1HI+{m},y", f"        sbc SQ2HI+{255 - m},y",
              "        tax                     ; d byte * M: high in X, low in ZL",
              "        clc", f"        lda {ZL}"]
        if i == 0:
            L.append(f"        adc #${_byte(c0, 0):02X}")
            if byte == 0:
                L.append(f"        sta {p[0]}")
            L += ["        txa", f"        adc #${_byte(c0, 1):02X}", f"        sta {p[1]}"]
            for k2 in range(2, np_):
                L += [f"        lda #${_byte(c0, k2):02X}", "        adc #0",
                      f"        sta {p[k2]}"]
        else:
            L += [f"        adc {p[i]}"]
            if i >= byte:
                L.append(f"        sta {p[i]}")
            L += ["        txa", f"        adc {p[i + 1]}", f"        sta {p[i + 1]}"]
            for k2 in range(i + 2, np_):
                L += [f"        lda {p[k2]}", "        adc #0", f"        sta {p[k2]}"]
    if bits == 0:
        L.append(f"        lda {p[byte]}")
    elif bits <= 4:
        L.append(f"        lda {p[byte]}")
        for _ in range(bits):
            L += [f"        lsr {p[byte + 1]}", "        ror"]
    else:
        L.append(f"        lda {p[byte]}")
        for _ in range(8 - bits):
            L += ["        asl", f"        rol {p[byte + 1]}"]
        L.append(f"        lda {p[byte + 1]}")
    if q & 0xFF:
        L += ["        clc", f"        adc #${q & 0xFF:02X}          ; + q = {q}"]
    if layer.activation in TABLED:
        L += ["        eor #$80                ; table index y + 128", "        tax",
              f"        lda {labels.layer(k, 't')},x"]
    return L


def code_bytes(layers: list[QLayer], k: int) -> int:
    """A lower bound on the bytes of layer ``k``'s unit code (two a line of instruction)."""
    layer = layers[k]
    plans = unit_plan(layer, input_range(layers, k))
    acc = ("a0", "a1", "a2")
    return sum(2 * sum(1 for line in unit_code(k, j, layer, plan, acc, "d")
                       if line.startswith("        ") and not line.strip().startswith(";"))
               for j, plan in enumerate(plans))
