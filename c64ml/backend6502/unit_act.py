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

Scratch: ``c64ml_t`` (the bytes of d) and ``c64ml_p`` (P), in RAM.
"""

from __future__ import annotations

import numpy as np

from c64ml.backend6502 import labels, wide
from c64ml.exec.reference import requantize
from c64ml.model.qmodel import QLayer
from c64ml.spec import CLAMP, KIND_MAX, TABLED, Activation, ValueKind

SCRATCH_T = "c64ml_t"  # up to 3 bytes: d
SCRATCH_P = "c64ml_p"  # up to 6 bytes: P
SCRATCH_BYTES = (3, 6)


def _nbytes(v: int) -> int:
    return max(1, (int(v).bit_length() + 7) // 8)


def _byte(v: int, k: int) -> int:
    return (int(v) >> (8 * k)) & 0xFF


def unit_plan(layer: QLayer, kind: ValueKind) -> list[dict]:
    """Per unit: what its code must do, from its constants and its proven bound."""
    bound = (np.abs(layer.bias) + np.abs(layer.weights).sum(axis=0) * KIND_MAX[kind])
    out = []
    if layer.activation in (Activation.STEP, Activation.SIGN):
        return [{"kind": layer.activation} for _ in range(layer.n_out)]
    lo, hi = CLAMP[layer.activation]
    m, s = layer.multiplier, layer.shift
    n = layer.n_out
    first_above_lo = wide.first_true(lambda a: requantize(a, m, s) > lo, n, 25)
    first_at_hi = wide.first_true(lambda a: requantize(a, m, s) >= hi, n, 25)
    for j in range(n):
        b, a, top = int(first_above_lo[j]), int(first_at_hi[j]) - 1, int(bound[j])
        plan = {"kind": "rq", "lo": lo, "hi": hi, "m": int(m[j]), "s": int(s[j])}
        if b > top:  # every reachable acc is below b: r ≤ lo
            plan.update(kind="const", value=lo)
        elif a < -top:  # every reachable acc is above a: r ≥ hi
            plan.update(kind="const", value=hi)
        else:
            plan["test_lo"] = b if b > -top else None  # acc < b: lo
            plan["test_hi"] = a if a < top else None  # acc > a: hi
            base = max(b, -top)
            width = min(a, top) - base
            if b > a:  # no window: below b lo, from b on hi
                plan.update(window=None, test_hi=None)
            else:
                q, c0 = divmod(base * int(m[j]) + ((1 << (int(s[j]) - 1)) if s[j] else 0),
                               1 << int(s[j]))
                plan.update(window=(base, width, q, c0))
        out.append(plan)
    return out


def _compare_const(acc: tuple[str, str, str], value: int, greater: bool) -> list[str]:
    """N set when acc < value (greater=False) or acc > value (greater=True): a signed
    24-bit compare with a constant, the sign of the difference corrected for overflow."""
    v = value & 0xFFFFFF
    if greater:  # value − acc < 0
        return [f"        lda #${v & 0xFF:02X}", f"        cmp {acc[0]}",
                f"        lda #${(v >> 8) & 0xFF:02X}", f"        sbc {acc[1]}",
                f"        lda #${v >> 16:02X}", f"        sbc {acc[2]}",
                "        bvc *+4", "        eor #$80"]
    return [f"        lda {acc[0]}", f"        cmp #${v & 0xFF:02X}",
            f"        lda {acc[1]}", f"        sbc #${(v >> 8) & 0xFF:02X}",
            f"        lda {acc[2]}", f"        sbc #${v >> 16:02X}",
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
    # each saturated case: an inverted short branch over its constant and a JMP to the store
    if plan["test_lo"] is not None:
        L += _compare_const(acc, plan["test_lo"], greater=False)
        L += ["        bpl *+7", f"        lda #${_out_value(layer, plan['lo']):02X}",
              f"        jmp {done}"]
    if plan["test_hi"] is not None:
        L += _compare_const(acc, plan["test_hi"], greater=True)
        L += ["        bpl *+7", f"        lda #${_out_value(layer, plan['hi']):02X}",
              f"        jmp {done}"]
    if plan["window"] is None:
        L.append(f"        lda #${_out_value(layer, plan['hi']):02X}")
    else:
        L += _window_code(k, layer, plan, acc)
    return L + [f"{done}:", store]


def _window_code(k: int, layer: QLayer, plan: dict, acc: tuple[str, str, str]) -> list[str]:
    """r = q + floor((d·M + c0) / 2^S) with d = acc − base, as the output byte in A."""
    base, width, q, c0 = plan["window"]
    m, s = plan["m"], plan["s"]
    L: list[str] = []
    if m == 0:  # r = q everywhere in the window
        return [f"        lda #${_out_value(layer, q + (c0 >> s)):02X}"]
    nd = _nbytes(width)
    np_ = max(nd + 1, (s >> 3) + 2)
    t = [f"{SCRATCH_T}+{i}" for i in range(nd)]
    p = [f"{SCRATCH_P}+{i}" for i in range(np_)]
    L.append(f"        sec                     ; d = acc - {base}")
    for i in range(nd):
        L += [f"        lda {acc[i]}", f"        sbc #${_byte(base, i):02X}", f"        sta {t[i]}"]
    for i in range(np_):  # P = c0
        L += [f"        lda #${_byte(c0, i):02X}", f"        sta {p[i]}"]
    for i in range(nd):  # P += d·M, one mul8 product per byte of d
        L += [f"        ldy {t[i]}"]
        L += ([f"        lda #{m}", "        jsr mul8"] if i == 0 else ["        jsr mul8_by"])
        L += ["        clc", f"        lda {p[i]}", "        adc mul8_lo", f"        sta {p[i]}",
              f"        lda {p[i + 1]}", "        adc mul8_hi", f"        sta {p[i + 1]}"]
        for k2 in range(i + 2, np_):
            L += [f"        lda {p[k2]}", "        adc #0", f"        sta {p[k2]}"]
    byte, bits = s >> 3, s & 7
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


def code_bytes(k: int, layer: QLayer, kind: ValueKind) -> int:
    """A lower bound on the bytes of the layer's unit code (two a line of instruction)."""
    plans = unit_plan(layer, kind)
    acc = ("a0", "a1", "a2")
    return sum(2 * sum(1 for line in unit_code(k, j, layer, plan, acc, "d")
                       if line.startswith("        ") and not line.strip().startswith(";"))
               for j, plan in enumerate(plans))
