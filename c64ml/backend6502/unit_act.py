"""Per-unit activation code for unrolled layers: the requantization specialised at compile time.

An unrolled layer leaves each unit's 24-bit accumulator (16-bit where its bound allows:
``acc16``, :func:`unit_plan`) in zero page. Instead of copying it
out and calling the generic runtime6502/activate.s (about 300 cycles a requantized unit),
the compiler emits, per unit, code for exactly that unit's multiplier, shift and clamp
(docs/semantics.md §4.1, §5), using what it can prove:

- the thresholds: ``acc < B`` gives the clamp's low end and ``acc > A`` its high end (the
  smallest acc with ``r > lo``, the largest with ``r < hi``); each test is left out when the
  unit's accumulator bound (§3) cannot reach it, and a unit that can only saturate is a
  constant; an *offset* unit's accumulator starts at ``C − B`` (unrolled.py), so its low
  test is a sign test and its high test an unsigned compare;
- between them the output is not clamped and, with ``d = acc − B'`` (``B'`` the lowest
  reachable accumulator in the window) and ``B'·M + R = q·2^S + c0`` (``0 ≤ c0 < 2^S``),
  ``r = q + floor((d·M + c0) / 2^S)``: unsigned, with only as many bytes of ``d`` as the
  window needs, one product per byte (quarter squares, or the m·Y tables of
  ``unrolled-mul``; a top byte of only 0 or 1 adds M instead, :func:`top_bit`), and the 8
  result bits picked out of ``P``;
- step and sign are a sign test; a table is indexed with the result.

Scratch: 8 bytes of the zero page the unrolled layer borrows (``c64ml_zpt``).
"""

from __future__ import annotations

import numpy as np

from c64ml.backend6502 import labels, wide
from c64ml.exec.reference import requantize
from c64ml.model.qmodel import QLayer
from c64ml.spec import CLAMP, Activation, Requant, Strategy, ValueKind


def nbytes(v: int) -> int:
    """Bytes of a non-negative integer (at least one)."""
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


def _outputs(layer: QLayer):
    """y as a function of per-unit accumulators, clamped (semantics §4–§5), before a table."""
    if layer.requant == Requant.TFLITE:
        return lambda a: wide.requantize_sm(layer, a)
    lo, hi = CLAMP[layer.activation]
    return lambda a: np.clip(requantize(a, layer.multiplier, layer.shift), lo, hi)


def top_bit(piece: dict) -> bool:
    """Whether e's top byte is only 0 or 1 (e ≤ width < 2·2^B, B = 8·(bytes of e − 1)): then
    its product with m is m or nothing, added into P at byte B/8 when the byte is 1
    (one quarter-square product less)."""
    nd = nbytes(piece["width"])
    return nd >= 2 and piece["width"] >> (8 * (nd - 1)) == 1


def _pieces(layer: QLayer, j: int, start: int, end: int) -> list[dict]:
    """The unclamped window ``start`` … ``end`` of unit ``j`` as pieces, each
    ``y = add + sign·floor((e·m + c0) / 2^t)`` with ``e = acc − base`` (sign +1) or
    ``e = base − acc`` (sign −1), ``0 ≤ e ≤ width``."""
    m, t, kp, kn = (v[j] for v in wide.sign_magnitude(layer))
    zp = layer.zero_point if layer.requant == Requant.TFLITE else 0
    out = []
    if layer.requant != Requant.TFLITE:  # floor((acc·M + R) / 2^S) is affine for any sign
        q, c0 = divmod(start * m + kp, 1 << t)
        return [{"sign": 1, "base": start, "width": end - start, "m": m, "t": t, "c0": c0,
                 "add": q}]
    if end >= 0:  # acc ≥ 0: floor((acc·M + Kp) / 2^T)
        base = max(start, 0)
        q, c0 = divmod(base * m + kp, 1 << t)
        out.append({"sign": 1, "base": base, "width": end - base, "m": m, "t": t, "c0": c0,
                    "add": q + zp})
    if start < 0:  # acc < 0: −floor((|acc|·M + Kn) / 2^T), |acc| = −top + e
        top = min(end, -1)
        q, c0 = divmod(-top * m + kn, 1 << t)
        out.append({"sign": -1, "base": top, "width": top - start, "m": m, "t": t, "c0": c0,
                    "add": zp - q})
    return out


def unit_plan(layer: QLayer, x_range: tuple[int, int], offsets: bool = True) -> list[dict]:
    """Per unit: what its code must do, from its constants and the accumulators its inputs
    (in ``x_range``) can give. With ``offsets``, a unit whose low threshold B starts its only
    window gets ``offset`` B: its accumulator starts B lower (unrolled.py), so ``acc < B``
    is a sign test and the accumulator is e itself (where acc − B fits 24 bits)."""
    amin, amax = acc_interval(layer, x_range)
    if layer.activation in (Activation.STEP, Activation.SIGN):
        return _widths([{"kind": layer.activation} for _ in range(layer.n_out)], amin, amax)
    lo, hi = layer.out_range
    y = _outputs(layer)
    n = layer.n_out
    first_above_lo = wide.first_true(lambda a: y(a) > lo, n, 25)
    first_at_hi = wide.first_true(lambda a: y(a) >= hi, n, 25)
    out = []
    for j in range(n):
        b, a = int(first_above_lo[j]), int(first_at_hi[j]) - 1
        bottom, top = int(amin[j]), int(amax[j])
        plan = {"kind": "rq", "lo": lo, "hi": hi, "m": int(layer.multiplier[j]),
                "s": int(layer.shift[j])}
        if b > top:  # every reachable acc is below b: y = lo
            plan.update(kind="const", value=lo)
        elif a < bottom:  # every reachable acc is above a: y = hi
            plan.update(kind="const", value=hi)
        else:
            plan["test_lo"] = b if b > bottom else None  # acc < b: lo
            plan["test_hi"] = a if a < top else None  # acc > a: hi
            if b > a:  # no window: below b lo, from b on hi
                plan.update(pieces=[], test_hi=None)
            else:
                plan["pieces"] = _pieces(layer, j, max(b, bottom), min(a, top))
            pieces = plan["pieces"]
            if offsets and plan["test_lo"] is not None and len(pieces) <= 1 and all(
                    p["sign"] == 1 and p["base"] == b for p in pieces) and \
                    -(1 << 23) <= bottom - b and top - b < 1 << 23:
                plan["offset"] = b
                plan["span"] = top - b    # the largest acc − B
        out.append(plan)
    return _widths(out, amin, amax)


def _widths(plans: list[dict], amin: np.ndarray, amax: np.ndarray) -> list[dict]:
    """Each plan's ``acc16``: whether the unit's accumulator (``acc − offset``) always ends in
    −2^15 … 2^15 − 1. Then 16 bits hold it: the MACs add modulo 2^16 (every carry out of
    the middle byte dropped), which leaves the final value exact whatever the partial sums
    were (docs/semantics.md §3), and the unit code reads its two bytes (high byte: the
    sign)."""
    for j, plan in enumerate(plans):
        frame = plan.get("offset") or 0
        plan["acc16"] = bool(-(1 << 15) <= amin[j] - frame and amax[j] - frame < 1 << 15)
    return plans


def acc16(layers: list[QLayer], k: int) -> list[bool]:
    """Which units of layer ``k`` (unrolled, specialised) accumulate in 16 bits."""
    return [p["acc16"] for p in unit_plan(layers[k], input_range(layers, k))]


def _scratch_of(piece: dict) -> int:
    """Zero-page scratch a piece needs: a product byte, e's upper bytes, and P."""
    return 3 + _p_bytes(piece)


def piece_bytes(piece: dict) -> int:
    """Bytes of e a piece's code computes."""
    return nbytes(piece["width"])


def piece_products(piece: dict) -> int:
    """Quarter-square products a piece's code makes: bytes of e (but a top byte of 0 or 1:
    top_bit) times nonzero bytes of m."""
    return (nbytes(piece["width"]) - top_bit(piece)) * sum(1 for b in _bytes_of(piece["m"]) if b)


def _p_bytes(piece: dict) -> int:
    return max(nbytes(piece["width"]) + nbytes(piece["m"]), (piece["t"] >> 3) + 2)


def needs_scratch(plans: list[dict] | None) -> int:
    """Zero-page scratch bytes the units need (0 if none multiplies); None (the generic
    activation, runtime6502/activate.s) needs none."""
    return max((_scratch_of(piece) for p in plans or () if p["kind"] == "rq"
                for piece in p.get("pieces", ()) if piece["m"]), default=0)


def layer_zp_bytes(layers: list[QLayer], k: int, kind: ValueKind, strategy: Strategy) -> int:
    """Zero-page bytes layer ``k`` borrows: none for a loop; pointer, scratch (if its units
    multiply) and accumulators for an unrolled one."""
    from c64ml.backend6502.unrolled import zp_bytes

    layer = layers[k]
    if not strategy.unrolled:
        return 0
    fused = strategy.specialised and not wide.takes_wide_path(layer, kind, strategy)
    plans = unit_plan(layer, input_range(layers, k)) if fused else None
    return zp_bytes(layer.n_out, needs_scratch(plans))


def _signed_test(acc: tuple[str, ...], value: int, greater: bool,
                 keep_d: bool = False) -> list[str]:
    """N set when acc < value (greater=False) or acc > value (greater=True): a signed compare
    of acc's 3 bytes (or 2, a 16-bit unit) with a constant, the sign corrected for overflow.
    With ``keep_d`` (acc < value only) the bytes of acc − value stay behind: byte 0 in Y,
    the others in ZT."""
    b = [_byte(value, i) for i in range(len(acc))]
    if greater:  # value − acc < 0
        return [f"        lda #${b[0]:02X}", f"        cmp {acc[0]}"] + [
            line for i in range(1, len(acc))
            for line in (f"        lda #${b[i]:02X}", f"        sbc {acc[i]}")] + [
            "        bvc *+4", "        eor #$80"]
    if not keep_d:
        return [f"        lda {acc[0]}", f"        cmp #${b[0]:02X}"] + [
            line for i in range(1, len(acc))
            for line in (f"        lda {acc[i]}", f"        sbc #${b[i]:02X}")] + [
            "        bvc *+4", "        eor #$80"]
    return ["        sec", f"        lda {acc[0]}", f"        sbc #${b[0]:02X}", "        tay"] + [
        line for i in range(1, len(acc))
        for line in (f"        lda {acc[i]}", f"        sbc #${b[i]:02X}",
                     f"        sta {ZT}" + (f"+{i - 1}" if i > 1 else ""))
    ] + ["        bvc *+4", "        eor #$80"]


def _out_value(layer: QLayer, y: int) -> int:
    """The byte stored for output value ``y`` (through the table, if any)."""
    if layer.table is not None:
        return int(layer.table[y + 128]) & 0xFF
    return y & 0xFF


def unit_code(k: int, j: int, layer: QLayer, plan: dict, acc: tuple[str, ...],
              dst: str, tables: bool = False) -> list[str]:
    """The code computing unit ``j``'s output byte into ``dst+j`` from its accumulator bytes
    ``acc`` (zero-page names, low first: 3, or 2 for a 16-bit unit, plan["acc16"]);
    ``tables``: products from the m·Y tables (unrolled.product_tables) instead of the
    quarter squares."""
    store = f"        sta {dst}+{j}"
    done = labels.layer(k, f"y{j}")
    if plan["kind"] == Activation.STEP:
        return [f"        lda {acc[-1]}             ; unit {j}: step, 1 if acc >= 0",
                "        eor #$80", "        asl", "        lda #0", "        rol", store]
    if plan["kind"] == Activation.SIGN:
        return [f"        lda {acc[-1]}             ; unit {j}: sign, 1 if acc >= 0 else -1",
                "        asl", "        lda #1", "        bcc *+4", "        lda #$FF", store]
    if plan["kind"] == "const":
        return [f"        lda #${_out_value(layer, plan['value']):02X}"
                f"            ; unit {j}: {plan['value']} whatever its accumulator", store]
    L = [f"        ; unit {j}: M = {plan['m']}, shift {plan['s']}"]
    pieces = plan["pieces"]
    first = pieces[0] if pieces else None
    offset = plan.get("offset")
    d_ready = first is not None and first["sign"] == 1 and plan["test_lo"] == first["base"]
    # each saturated case: an inverted short branch over its constant and a JMP to the store
    if offset is not None:  # the accumulator holds acc − B: acc < B is its sign
        L += [f"        lda {acc[-1]}             ; acc - {offset} < 0: the low end"]
    elif plan["test_lo"] is not None:
        L += _signed_test(acc, plan["test_lo"], greater=False, keep_d=d_ready)
    if plan["test_lo"] is not None:
        L += ["        bpl *+7", f"        lda #${_out_value(layer, plan['lo']):02X}",
              f"        jmp {done}"]
    if plan["test_hi"] is not None and offset is not None:
        # 0 <= acc − B <= span here: an unsigned compare of the bytes the span needs
        v = plan["test_hi"] - offset
        L += [f"        lda #${_byte(v, 0):02X}             ; acc - {offset} > {v}: the high end",
              f"        cmp {acc[0]}"]
        L += [line for i in range(1, nbytes(plan["span"]))
              for line in (f"        lda #${_byte(v, i):02X}", f"        sbc {acc[i]}")]
        L += ["        bcs *+7", f"        lda #${_out_value(layer, plan['hi']):02X}",
              f"        jmp {done}"]
    elif plan["test_hi"] is not None:
        L += _signed_test(acc, plan["test_hi"], greater=True)
        L += ["        bpl *+7", f"        lda #${_out_value(layer, plan['hi']):02X}",
              f"        jmp {done}"]
    if not pieces:
        L.append(f"        lda #${_out_value(layer, plan['hi']):02X}")
    elif len(pieces) == 1:
        L += _piece_code(layer, pieces[0], acc, d_ready, labels.layer(k, f"c{j}"),
                         offset is not None, tables)
    else:  # TFLite: the non-negative and the negative accumulators round apart
        neg = labels.layer(k, f"n{j}")
        L += [f"        lda {acc[-1]}", "        bpl *+5", f"        jmp {neg}"]
        joined = labels.layer(k, f"j{j}")
        L += _piece_code(layer, pieces[0], acc, d_ready, labels.layer(k, f"c{j}"),
                         tables=tables)
        L += [f"        jmp {joined}", f"{neg}:"]
        L += _piece_code(layer, pieces[1], acc, False, labels.layer(k, f"m{j}"), tables=tables)
        L.append(f"{joined}:")
    if pieces and layer.table is not None:  # (a saturated or constant output is looked up
        #                                       at compile time)
        L += ["        eor #$80                ; table index y + 128", "        tax",
              f"        lda {labels.layer(k, 't')},x"]
    return L + [f"{done}:", store]


ZL = labels.ZP_SCRATCH  # a product's low byte
ZT = f"{labels.ZP_SCRATCH}+1"  # e's bytes 1 and 2
ZP = f"{labels.ZP_SCRATCH}+3"  # P


def _piece_code(layer: QLayer, piece: dict, acc: tuple[str, str, str], d_ready: bool,
                tag: str, in_acc: bool = False, tables: bool = False) -> list[str]:
    """y = add ± floor((e·m + c0) / 2^t) as the output byte in A (before a table): e from
    the accumulator, one quarter-square product per byte of e and nonzero byte of m, with
    m's bytes as constant table offsets, and the 8 result bits picked out of P."""
    m, c0, t, add, sign = piece["m"], piece["c0"], piece["t"], piece["add"], piece["sign"]
    if m == 0:  # floor(c0 / 2^t) everywhere
        return [f"        lda #${(add + sign * (c0 >> t)) & 0xFF:02X}"]
    nd, base = nbytes(piece["width"]), piece["base"]
    L: list[str] = []
    e_bytes = [f"{ZT}+{i}" for i in range(2)]     # e's bytes 1 and 2
    if in_acc:  # the accumulator is e (an offset unit)
        L.append(f"        ldy {acc[0]}               ; e = acc - {base}: the accumulator")
        e_bytes = list(acc[1:])
    elif d_ready:
        L.append(f"        ; e = acc - {base}: Y and {ZT}")
    elif sign == 1:
        L += [f"        sec                     ; e = acc - {base}",
              f"        lda {acc[0]}", f"        sbc #${_byte(base, 0):02X}", "        tay"]
        L += [line for i in range(1, nd) for line in
              (f"        lda {acc[i]}", f"        sbc #${_byte(base, i):02X}",
               f"        sta {ZT}+{i - 1}")]
    else:
        L += [f"        sec                     ; e = {base} - acc",
              f"        lda #${_byte(base, 0):02X}", f"        sbc {acc[0]}", "        tay"]
        L += [line for i in range(1, nd) for line in
              (f"        lda #${_byte(base, i):02X}", f"        sbc {acc[i]}",
               f"        sta {ZT}+{i - 1}")]
    return L + _product_code(piece, tag, e_bytes, tables)


def _product_code(piece: dict, tag: str, e_bytes: list[str], tables: bool = False
                  ) -> list[str]:
    """A in the end = add ± floor((e·m + c0) / 2^t) for e in Y (byte 0) and ``e_bytes``
    (bytes 1, 2): the products (quarter squares, or with ``tables`` the m·Y tables) into P,
    the 8 result bits picked out of it."""
    m, t, c0, add, sign = piece["m"], piece["t"], piece["c0"], piece["add"], piece["sign"]
    nd, np_ = nbytes(piece["width"]), _p_bytes(piece)
    L: list[str] = []
    p = [f"{ZP}+{i}" for i in range(np_)]
    top = top_bit(piece)
    terms = [(i, b, mb) for i in range(nd - top) for b, mb in enumerate(_bytes_of(m)) if mb]
    # byte by byte of e (Y holds one at a time); each product's carry runs to P's top,
    # so the order of the additions does not matter
    if terms[0][0] + terms[0][1] != 0:  # P = c0, unless the first product starts at byte 0
        L += [line for i in range(np_)
              for line in (f"        lda #${_byte(c0, i):02X}", f"        sta {p[i]}")]
    current_y = 0  # which byte of e is in Y
    for n, (i, b, mb) in enumerate(terms):
        o = i + b
        if i != current_y:
            L.append(f"        ldy {e_bytes[i - 1]}")
            current_y = i
        if tables:  # the product's bytes straight from the tables, as the MACs read them
            lo, hi = f"        lda c64ml_p{mb}lo,y", f"        lda c64ml_p{mb}hi,y"
            L += ["        clc", lo]
        else:
            lo, hi = f"        lda {ZL}", "        txa"
            L += ["        clc", f"        lda SQ1LO+{mb},y", f"        sbc SQ2LO+{255 - mb},y",
                  f"        sta {ZL}", f"        lda SQ1HI+{mb},y",
                  f"        sbc SQ2HI+{255 - mb},y",
                  "        tax                     ; e byte * m byte: high in X, low in ZL",
                  "        clc", lo]
        if n == 0 and o == 0:  # the first product, with c0 added on the way into P
            L += [f"        adc #${_byte(c0, 0):02X}", f"        sta {p[0]}", hi,
                  f"        adc #${_byte(c0, 1):02X}", f"        sta {p[1]}"]
            L += [line for k2 in range(2, np_) for line in
                  (f"        lda #${_byte(c0, k2):02X}", "        adc #0", f"        sta {p[k2]}")]
            continue
        L += [f"        adc {p[o]}", f"        sta {p[o]}", hi,
              f"        adc {p[o + 1]}", f"        sta {p[o + 1]}"]
        if o + 2 < np_:  # the carry on up, byte by byte while it lasts
            skip = f"{tag}_{n}"
            L.append(f"        bcc {skip}")
            for k2 in range(o + 2, np_):
                L.append(f"        inc {p[k2]}")
                if k2 < np_ - 1:
                    L.append(f"        bne {skip}")
            L.append(f"{skip}:")
    if top:  # e's top byte is 0 or 1: P += m << B when it is 1
        skip, o = f"{tag}_t", nd - 1
        L += [f"        lda {e_bytes[nd - 2]}           ; e's top byte: 0 or 1",
              f"        beq {skip}", "        clc"]
        for b, mb in enumerate(_bytes_of(m)):
            L += [f"        lda {p[o + b]}", f"        adc #${mb:02X}", f"        sta {p[o + b]}"]
        L += [line for k2 in range(o + len(_bytes_of(m)), np_) for line in
              (f"        lda {p[k2]}", "        adc #0", f"        sta {p[k2]}")]
        L.append(f"{skip}:")
    byte, bits = t >> 3, t & 7
    L.append(f"        lda {p[byte]}")
    if 0 < bits <= 4:
        L += [line for _ in range(bits) for line in (f"        lsr {p[byte + 1]}", "        ror")]
    elif bits > 4:
        L += [line for _ in range(8 - bits) for line in ("        asl", f"        rol {p[byte + 1]}")]
        L.append(f"        lda {p[byte + 1]}")
    if sign == -1:  # add − rel = ~rel + add + 1
        L += ["        eor #$FF", "        clc", f"        adc #${(add + 1) & 0xFF:02X}"]
    elif add & 0xFF:
        L += ["        clc", f"        adc #${add & 0xFF:02X}          ; + {add}"]
    return L


def _bytes_of(v: int) -> list[int]:
    return [(v >> (8 * i)) & 0xFF for i in range(nbytes(v))]


def table_multipliers(layers: list[QLayer], k: int) -> set[int]:
    """The m·Y tables the units of layer ``k`` read as ``unrolled-mul``: each nonzero byte
    of the multiplier of every piece they multiply in."""
    return {b for plan in unit_plan(layers[k], input_range(layers, k)) if plan["kind"] == "rq"
            for piece in plan["pieces"] if piece["m"] for b in _bytes_of(piece["m"]) if b}


def code_bytes(layers: list[QLayer], k: int, tables: bool = False) -> int:
    """A lower bound on the bytes of layer ``k``'s unit code (two a line of instruction)."""
    layer = layers[k]
    plans = unit_plan(layer, input_range(layers, k))
    acc = ("a0", "a1", "a2")
    return sum(2 * sum(1 for line in unit_code(k, j, layer, plan, acc, "d", tables)
                       if line.startswith("        ") and not line.strip().startswith(";"))
               for j, plan in enumerate(plans))
