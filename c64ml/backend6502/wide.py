"""Wide layers: 32-bit accumulators and the sign-magnitude requantization of runtime6502/rq32.s.

A layer is *wide* when its accumulator may need more than 24 bits (a unit's bound of §3
is over 2^23 − 1), when it has more than 256 inputs, or when it requantizes as TFLite does
(§4.2). It is accumulated in chunks of at most 256 inputs (runtime6502/dense.s, or unrolled
code for a single chunk), without the bias, each chunk exact in 24 bits; runtime6502/wide.s
adds the chunks and the 32-bit bias; runtime6502/rq32.s makes the output bytes.

rq32.s computes every requantized activation in one form (docs/semantics.md §4.3):

    r = s · floor((|acc| · M + K) / 2^T),   s = sign(acc),   K = Kp if acc ≥ 0 else Kn

:func:`sign_magnitude` derives M, T, Kp, Kn from either mode; :func:`thresholds` finds,
per unit, the accumulators below and above which the clamp decides the output, so the
multiply runs only where the output is not saturated.
"""

from __future__ import annotations

import numpy as np

from c64ml.backend6502 import labels
from c64ml.backend6502.sqtables import byte_planes
from c64ml.model.qmodel import QLayer
from c64ml.spec import (
    KIND_MAX,
    NARROW_ACC_MAX,
    REQUANTIZED,
    Activation,
    Phase,
    Requant,
    Strategy,
    ValueKind,
    parse,
)

CHUNK_ROWS = 256  # inputs per dense.s pass: 256·255·128 < 2^23, so a chunk's sum fits 24 bits
RECORD = 31  # bytes per unit record of rq32.s
_LOW, _HIGH = -(1 << 31), (1 << 31) - 1
#: Output bytes below L and above A for the activations that do not requantize.
STEP_SIGN = {Activation.STEP: (0, 1), Activation.SIGN: (-1, 1)}


def is_wide(layer: QLayer, kind: ValueKind) -> bool:
    """Whether the layer needs the 32-bit path (see the module docstring)."""
    bound = np.abs(layer.bias) + np.abs(layer.weights).sum(axis=0) * KIND_MAX[kind]
    return (layer.requant == Requant.TFLITE or layer.n_in > CHUNK_ROWS
            or bool(np.any(bound > NARROW_ACC_MAX)))


def fits_narrow(layer: QLayer, kind: ValueKind) -> bool:
    """At most 256 inputs and every unit's bound within 24 bits."""
    bound = np.abs(layer.bias) + np.abs(layer.weights).sum(axis=0) * KIND_MAX[kind]
    return layer.n_in <= CHUNK_ROWS and not bool(np.any(bound > NARROW_ACC_MAX))


def takes_wide_path(layer: QLayer, kind: ValueKind, strategy: Strategy) -> bool:
    """Whether the layer, under ``strategy``, runs on the 32-bit path: a wide layer does,
    except a TFLite layer that fits 24 bits and is unrolled with specialised units
    (c64ml/backend6502/unit_act.py computes its requantization in line)."""
    if not is_wide(layer, kind):
        return False
    return not (parse(Strategy, strategy, "strategy").specialised and fits_narrow(layer, kind))


def chunks(n_in: int) -> list[tuple[int, int]]:
    """The input rows of each dense.s pass: (first, end)."""
    return [(r, min(r + CHUNK_ROWS, n_in)) for r in range(0, n_in, CHUNK_ROWS)]


def sign_magnitude(layer: QLayer) -> tuple[list[int], list[int], list[int], list[int]]:
    """Per unit (M, T, Kp, Kn) of §4.3, as Python integers.

    §4.1: T = S, Kp = R, Kn = 2^S − 1 − R.
    §4.2: with ls = max(n, 0), rs = max(−n, 0), T = 31 − ls + rs and
          Kp = 2^(30−ls) + [rs > 0]·2^(30−ls+rs),  Kn = floor((2^30 − 1) / 2^ls) + [rs > 0]·2^(30−ls+rs).
    """
    ms, ts, kps, kns = [], [], [], []
    for m, n in zip(layer.multiplier.tolist(), layer.shift.tolist()):
        if layer.requant == Requant.TFLITE:
            ls, rs = max(n, 0), max(-n, 0)
            half = (1 << (30 - ls + rs)) if rs else 0
            t, kp, kn = 31 - ls + rs, (1 << (30 - ls)) + half, ((1 << 30) - 1 >> ls) + half
        else:
            r = (1 << (n - 1)) if n else 0
            t, kp, kn = n, r, (1 << n) - 1 - r
        ms.append(m)
        ts.append(t)
        kps.append(kp)
        kns.append(kn)
    return ms, ts, kps, kns


def requantize_sm(layer: QLayer, acc: np.ndarray) -> np.ndarray:
    """§4.3 then the zero point and the clamp: y for accumulators ``acc`` (units last)."""
    m, t, kp, kn = (np.array(v, dtype=np.int64) for v in sign_magnitude(layer))
    acc = np.asarray(acc, dtype=np.int64)
    mag = np.abs(acc)
    k = np.where(acc >= 0, kp, kn)
    r = (mag * m + k) >> t  # < 2^63: |acc| ≤ 2^31, M < 2^31, K < 2^62
    return np.clip(np.where(acc >= 0, r, -r) + layer.zero_point, *layer.out_range)


def first_true(pred, n: int, bits: int = 32) -> np.ndarray:
    """Per unit, the smallest acc in −2^(bits−1) … 2^(bits−1) − 1 where the monotone ``pred``
    holds (2^(bits−1) where it never does): a binary search of all units at once."""
    lo = np.full(n, -(1 << (bits - 1)), dtype=np.int64)
    hi = np.full(n, 1 << (bits - 1), dtype=np.int64)
    while np.any(lo < hi):
        mid = (lo + hi) // 2
        ok = pred(mid)
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid + 1)
    return lo


def thresholds(layer: QLayer) -> tuple[np.ndarray, np.ndarray]:
    """L, A of rq32.s: acc ≤ L gives the clamp's low end, acc > A its high end, and
    between them the output is not clamped. Clipped to 32 bits, which is exact for every
    accumulator the §3 bound allows (|acc| ≤ 2^31 − 1)."""
    n = layer.n_out
    if layer.activation in STEP_SIGN:
        return np.full(n, -1), np.full(n, -1)
    lo, hi = layer.out_range
    low = first_true(lambda a: requantize_sm(layer, a) > lo, n) - 1
    high = first_true(lambda a: requantize_sm(layer, a) >= hi, n) - 1
    return np.clip(low, _LOW, _HIGH), np.clip(high, _LOW, _HIGH)


def out_bytes(layer: QLayer) -> tuple[int, int]:
    """rq32_lo, rq32_hi: the output values below L and above A, as signed numbers."""
    return STEP_SIGN.get(layer.activation) or layer.out_range


def _le(v: int, n: int) -> bytes:
    return (v & ((1 << 8 * n) - 1)).to_bytes(n, "little")


def records(layer: QLayer) -> bytes:
    """The n_out records of rq32.s: L, A, M, mb, T/8, T mod 8, Kp, Kn."""
    low, high = thresholds(layer)
    if layer.activation in REQUANTIZED:
        m, t, kp, kn = sign_magnitude(layer)
    else:
        m = t = kp = kn = [0] * layer.n_out
    out = b""
    for j in range(layer.n_out):
        mb = (m[j].bit_length() + 7) // 8
        out += (_le(int(low[j]), 4) + _le(int(high[j]), 4) + _le(m[j], 4)
                + bytes([mb, t[j] >> 3, t[j] & 7]) + _le(kp[j], 8) + _le(kn[j], 8))
    assert len(out) == RECORD * layer.n_out
    return out


def bias_bytes(layer: QLayer) -> bytes:
    """The 32-bit biases for wd_first: n low bytes, then bytes 1, 2 and 3."""
    return byte_planes(layer.bias, 4)


def _set(field: str, value: str, what: str = "") -> list[str]:
    return [f"        lda #<({value})" + (f"      ; {what}" if what else ""),
            f"        sta {field}", f"        lda #>({value})", f"        sta {field}+1"]


def layer_code(k: int, layer: QLayer, kind: ValueKind, strategy: Strategy, src: str | None,
               dst: str, unrolled_code: list[str] | None) -> list[str]:
    """Layer ``k``'s code: each chunk's accumulators (dense.s, or ``unrolled_code`` for
    a single unrolled chunk), wide.s after each, then rq32.s. ``src`` is the input
    buffer's label, None for layer 0 (read through c64ml_inptr)."""
    L = [f"{labels.phase_mark(k, Phase.ACCUMULATE)}:"]
    for c, (r0, r1) in enumerate(chunks(layer.n_in)):
        rows = r1 - r0
        if strategy.unrolled:
            L += unrolled_code
        else:
            L.append(f"        ; inputs {r0}..{r1 - 1}: 24-bit sums without the bias (dense.s)")
            if src is None:
                L += ["        clc", "        lda c64ml_inptr", f"        adc #<{r0}",
                      "        sta dn_in", "        lda c64ml_inptr+1", f"        adc #>{r0}",
                      "        sta dn_in+1"]
            else:
                L += _set("dn_in", f"{src}+{r0}")
            L += _set("dn_w", f"{labels.layer(k, 'w')}+{r0 * layer.n_out}", "weights + 128")
            L += _set("dn_c", labels.layer(k, f'c{c}'), "start constants, no bias")
            L += [f"        lda #{rows & 0xFF}" + ("               ; 256 rows" if rows == 256 else ""),
                  "        sta dn_nin",
                  f"        lda #${0x80 if kind == ValueKind.S8 else 0:02X}", "        sta dn_mask",
                  "        lda #0                  ; dn_lv: no levels (dense.s)",
                  "        sta dn_lv+1"]
        L += [f"        lda #{layer.n_out}", "        sta dn_nout"]
        if not strategy.unrolled:
            L.append("        jsr dn_run")
        if c == 0:
            L += _set("wd_b", labels.layer(k, "b"), "32-bit biases")
            L.append("        jsr wd_first            ; acc32 = bias + this chunk (wide.s)")
        else:
            L.append("        jsr wd_add              ; acc32 += this chunk (wide.s)")
    lo, hi = out_bytes(layer)
    L += [f"{labels.phase_mark(k, Phase.ACTIVATE)}:", "        ; the outputs (rq32.s)"]
    L += _set("rq32_rec", labels.layer(k, "r"), "per-unit records")
    L += _set("rq32_out", dst)
    L += _set("rq32_tab", labels.layer(k, "t") if layer.table is not None else "0")
    L += [f"        lda #{layer.n_out}", "        sta rq32_n",
          f"        lda #${layer.zero_point & 0xFF:02X}         ; zero point {layer.zero_point}",
          "        sta rq32_zp",
          f"        lda #${lo & 0xFF:02X}         ; output at or below L: {lo}", "        sta rq32_lo",
          f"        lda #${hi & 0xFF:02X}         ; output above A: {hi}", "        sta rq32_hi",
          "        jsr rq32_run"]
    return L


def data_lines(k: int, layer: QLayer, kind: ValueKind, strategy: Strategy, byte_lines,
               chunk_constants) -> list[str]:
    """Layer ``k``'s data: weights and per-chunk start constants (loop), 32-bit biases and
    the unit records."""
    L: list[str] = []
    if strategy == Strategy.LOOP:
        L += [f"{labels.layer(k, 'w')}:"] + byte_lines(bytes((layer.weights + 128)
                                                             .astype(np.uint8).ravel()))
        for c, const in enumerate(chunk_constants):
            L += [f"{labels.layer(k, f'c{c}')}:"] + byte_lines(const)
    L += [f"{labels.layer(k, 'b')}:"] + byte_lines(bias_bytes(layer))
    L += [f"{labels.layer(k, 'r')}:"] + byte_lines(records(layer))
    return L


def data_size(layer: QLayer, strategy: Strategy) -> int:
    """Bytes of the layer's data (as :func:`data_lines` emits it)."""
    loop = strategy == Strategy.LOOP
    return ((layer.weights.size + 3 * layer.n_out * len(chunks(layer.n_in)) if loop else 0)
            + 4 * layer.n_out + RECORD * layer.n_out)
