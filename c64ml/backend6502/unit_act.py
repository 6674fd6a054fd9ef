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
from c64ml.backend6502.sqtables import byte_lines
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
    """Bytes of P the result needs: up to the byte holding bit t + 7 (the 8 result bits);
    the bytes above never reach them."""
    t = piece["t"]
    return (t >> 3) + 1 + (t & 7 > 0)


def needs_scratch(plans: list[dict] | None) -> int:
    """Zero-page scratch bytes the units need (0 if none multiplies); None (the generic
    activation, runtime6502/activate.s) needs none."""
    return max((_scratch_of(piece) for p in plans or () if p["kind"] == "rq"
                for piece in p.get("pieces", ()) if piece["m"]), default=0)


def layer_zp_bytes(layers: list[QLayer], k: int, kind: ValueKind, strategy: Strategy,
                   hi_outside: bool = False) -> int:
    """Zero-page bytes layer ``k`` borrows: none for a loop; pointer, scratch (if its units
    multiply) and accumulators for an unrolled one (``hi_outside``: all but their high
    bytes, unrolled.layer_code)."""
    from c64ml.backend6502.unrolled import zp_bytes

    layer = layers[k]
    if not strategy.unrolled:
        return 0
    fused = strategy.specialised and not wide.takes_wide_path(layer, kind, strategy)
    plans = unit_plan(layer, input_range(layers, k)) if fused else None
    return zp_bytes(layer.n_out, needs_scratch(plans), hi_outside and fused)


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
    if offset is not None:  # the accumulator holds acc − B: acc < B is its sign (its top
        #                     byte stays in Y for the high test and the first product)
        L += [f"        ldy {acc[-1]}             ; acc - {offset} < 0: the low end"]
    elif plan["test_lo"] is not None:
        L += _signed_test(acc, plan["test_lo"], greater=False, keep_d=d_ready)
    data: list[str] = []  # constants the code reads (a table of e's top byte times m)
    one = _piece_code(layer, pieces[0], acc, d_ready, labels.layer(k, f"c{j}"),
                      offset is not None, tables, data) if len(pieces) == 1 else []
    cont = labels.layer(k, f"lk{j}")
    if plan["test_lo"] is not None:  # (the data sits behind the jmp, where no path runs)
        L += [f"        bpl {cont}" if data else "        bpl *+7",
              f"        lda #${_out_value(layer, plan['lo']):02X}", f"        jmp {done}"]
        L += data + ([f"{cont}:"] if data else [])
    elif data:
        L += [f"        jmp {cont}"] + data + [f"{cont}:"]
    if plan["test_hi"] is not None and offset is not None:
        # 0 <= acc − B <= span here: an unsigned compare of the bytes the span needs, the
        # top byte first (below the limit's, the common case, it settles the test)
        v = plan["test_hi"] - offset
        top = nbytes(plan["span"]) - 1
        within, above = labels.layer(k, f"hk{j}"), labels.layer(k, f"hs{j}")
        if top:
            L += [f"        cpy #${_byte(v, top):02X}             ; acc - {offset} > {v}: "
                  "the high end" if top == len(acc) - 1 else
                  f"        lda {acc[top]}             ; acc - {offset} > {v}: the high end",
                  *([] if top == len(acc) - 1 else [f"        cmp #${_byte(v, top):02X}"]),
                  f"        bcc {within}", f"        bne {above}"]
        L += [f"        lda #${_byte(v, 0):02X}" + ("" if top else
                                                    f"             ; acc - {offset} > {v}: "
                                                    "the high end"),
              f"        cmp {acc[0]}"]
        L += [line for i in range(1, top)
              for line in (f"        lda #${_byte(v, i):02X}", f"        sbc {acc[i]}")]
        L += [f"        bcs {within}", f"{above}:",
              f"        lda #${_out_value(layer, plan['hi']):02X}", f"        jmp {done}",
              f"{within}:"]
    elif plan["test_hi"] is not None:
        L += _signed_test(acc, plan["test_hi"], greater=True)
        L += ["        bpl *+7", f"        lda #${_out_value(layer, plan['hi']):02X}",
              f"        jmp {done}"]
    if not pieces:
        L.append(f"        lda #${_out_value(layer, plan['hi']):02X}")
    elif len(pieces) == 1:
        L += one
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


def class_step(k: int, j: int, kind: ValueKind) -> list[str]:
    """After unit ``j`` of an argmax layer ``k`` (its output byte in A): the class so far
    (semantics §6: the first largest; s8 compared as unsigned after EOR #$80), the largest
    flipped score in c64ml_best and its index in c64ml_class."""
    flip = ["        eor #$80"] if kind == ValueKind.S8 else []
    if j == 0:
        return ["        ; the class so far: the first index of the largest score", *flip,
                "        sta c64ml_best", "        lda #0", "        sta c64ml_class"]
    keep = labels.layer(k, f"amax{j}")
    return [*flip, "        cmp c64ml_best", f"        bcc {keep}", f"        beq {keep}",
            "        sta c64ml_best          ; larger: the new maximum",
            f"        lda #{j}", "        sta c64ml_class", f"{keep}:"]


ZL = labels.ZP_SCRATCH  # a product's low byte
ZT = f"{labels.ZP_SCRATCH}+1"  # e's bytes 1 and 2
ZP = f"{labels.ZP_SCRATCH}+3"  # P


def _piece_code(layer: QLayer, piece: dict, acc: tuple[str, str, str], d_ready: bool,
                tag: str, in_acc: bool = False, tables: bool = False,
                data: list[str] | None = None) -> list[str]:
    """y = add ± floor((e·m + c0) / 2^t) as the output byte in A (before a table): e from
    the accumulator, one quarter-square product per byte of e and nonzero byte of m, with
    m's bytes as constant table offsets, and the 8 result bits picked out of P."""
    m, c0, t, add, sign = piece["m"], piece["c0"], piece["t"], piece["add"], piece["sign"]
    if m == 0:  # floor(c0 / 2^t) everywhere
        return [f"        lda #${(add + sign * (c0 >> t)) & 0xFF:02X}"]
    nd, base = nbytes(piece["width"]), piece["base"]
    L: list[str] = []
    e_bytes = [f"{ZT}+{i}" for i in range(2)]     # e's bytes 1 and 2
    if in_acc:  # the accumulator is e (an offset unit): every byte can be loaded again
        L.append(f"        ; e = acc - {base}: the accumulator")
        return L + _product_code(piece, tag, list(acc[1:]), tables, acc[0], data,
                                 len(acc) - 1)
    if d_ready:
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


def product_terms(piece: dict, top_down: bool) -> list[tuple[int, int, int]]:
    """The products a piece's code makes, in order: (byte of e, byte of m, that byte's
    value), e's top byte first with ``top_down``; none wholly above P's top (they add
    nothing to the result), and none for a top byte of 0 or 1 (top_bit)."""
    nd, np_ = nbytes(piece["width"]), _p_bytes(piece)
    terms = [(i, b, mb) for i in range(nd - top_bit(piece))
             for b, mb in enumerate(_bytes_of(piece["m"])) if mb and i + b < np_]
    return sorted(terms, key=lambda term: -(term[0] + term[1])) if top_down else terms


def fresh_products(piece: dict, top_down: bool) -> int:
    """How many of product_terms reach a byte of P first, where c0's byte is 0 (stored as
    they come, no addition: _product_code), but one a top_table replaces; the cost model's
    count (carries ignored)."""
    seen: set[int] = set()
    terms = product_terms(piece, top_down)
    if top_down and top_table(piece):  # the top byte's product is a table (top_table)
        o = nbytes(piece["width"]) - 1
        seen, terms = {o, o + 1}, [term for term in terms if term[0] != o]
    n = 0
    for i, b, _ in terms:
        o = i + b
        n += o not in seen and _byte(piece["c0"], o) == 0
        seen |= {o, o + 1}
    return n


def top_table(piece: dict) -> int:
    """The largest top byte e can have, when a table of it times m (and c0's bytes there)
    replaces that byte's product: e of 2 or 3 bytes whose top byte is 2 to 7 (0 or 1 is
    top_bit's), m one byte, the product reaching P's top; else 0."""
    nd, np_, m = nbytes(piece["width"]), _p_bytes(piece), piece["m"]
    v = piece["width"] >> (8 * (nd - 1))
    return v if nd >= 2 and 2 <= v <= 7 and 0 < m < 256 and nd - 1 < np_ <= nd + 1 else 0


def _product_code(piece: dict, tag: str, e_bytes: list[str], tables: bool = False,
                  e0: str | None = None, data: list[str] | None = None,
                  in_y: int | None = None) -> list[str]:
    """A in the end = add ± floor((e·m + c0) / 2^t) for e in Y (byte 0) and ``e_bytes``
    (bytes 1, 2), or with ``e0`` (where byte 0 is) e in memory: the products (quarter
    squares, or with ``tables`` the m·Y tables) into P, the 8 result bits picked out of P.

    ``in_y``: which byte of e Y holds already (an offset unit's low test loads its top).
    A byte of P takes c0's byte as an immediate the first time a product reaches it, so P
    is never set up beforehand; with ``e0`` the products go from e's top byte down, so the
    first one reaches P's top and every later carry finds its bytes in place."""
    m, t, c0, add, sign = piece["m"], piece["t"], piece["c0"], piece["add"], piece["sign"]
    nd, np_ = nbytes(piece["width"]), _p_bytes(piece)
    L: list[str] = []
    p = [f"{ZP}+{i}" for i in range(np_)]
    top = top_bit(piece)
    terms = product_terms(piece, e0 is not None)
    e_at = [e0] + e_bytes
    touched: set[int] = set()   # bytes of P that hold their value in memory

    def value(x: int) -> str:
        return p[x] if x in touched else f"#${_byte(c0, x):02X}"

    byte, bits = t >> 3, t & 7
    needed = set(range(nd - 1, np_)) if top else set()  # bytes of P read at the end
    needed |= {byte, byte + 1} if bits else {byte}
    current_y = 0 if e0 is None else in_y  # which byte of e is in Y
    v_top = top_table(piece) if e0 is not None and data is not None and not tables else 0
    if v_top:  # e's top byte times m, plus c0's bytes there: a table (in ``data``)
        o = nd - 1
        vals = [(v * m + (c0 >> (8 * o))) & ((1 << (8 * (np_ - o))) - 1)
                for v in range(v_top + 1)]
        if current_y != o:
            L.append(f"        ldy {e_at[o]}")
        L.append(f"        ; e's top byte (0..{v_top}) * {m}: from a table")
        for x in range(o, np_):
            name = f"{tag}_t{x - o}"
            data += [f"{name}:"] + byte_lines(bytes((v >> (8 * (x - o))) & 0xFF for v in vals))
            L += [f"        lda {name},y", f"        sta {p[x]}"]
            touched.add(x)
        current_y = o
        terms = [term for term in terms if term[0] != o]
    for n, (i, b, mb) in enumerate(terms):
        o = i + b
        whole = o + 1 < np_  # else only the product's low byte reaches P
        if i != current_y:
            L.append(f"        ldy {e_at[i]}")
            current_y = i
        if value(o) == "#$00":  # P's byte is c0's, 0: the product's bytes are stored as
            touched.add(o)          # they come (its low byte's borrow kept for the high)
            if tables:
                L += [f"        lda c64ml_p{mb}lo,y", f"        sta {p[o]}"]
            else:
                L += ["        clc", f"        lda SQ1LO+{mb},y",
                      f"        sbc SQ2LO+{255 - mb},y   ; e byte * m byte", f"        sta {p[o]}"]
            if not whole:
                continue
            L.append(f"        lda c64ml_p{mb}hi,y" if tables else
                     f"        lda SQ1HI+{mb},y")
            if not tables:
                L.append(f"        sbc SQ2HI+{255 - mb},y")
            carry = value(o + 1) != "#$00"
            L += ["        clc", f"        adc {value(o + 1)}"] if carry else []
            L.append(f"        sta {p[o + 1]}")
            touched.add(o + 1)
            if carry:
                L += _carry_on(p, range(o + 2, np_), touched, value, f"{tag}_{n}")
            continue
        if whole and o not in needed and value(o).startswith("#") and \
                all(o not in (i2 + b2, i2 + b2 + 1) for i2, b2, _ in terms[n + 1:]):
            # the low byte + c0's only passes its carry on: a compare makes it
            c = f"cpx #${256 - _byte(c0, o):02X}     ; C: the low byte + c0's carries"
            L += [f"        lda c64ml_p{mb}lo,y", c.replace("cpx", "cmp"),
                  f"        lda c64ml_p{mb}hi,y"] if tables else \
                ["        clc", f"        lda SQ1LO+{mb},y", f"        sbc SQ2LO+{255 - mb},y",
                 "        tax", f"        lda SQ1HI+{mb},y", f"        sbc SQ2HI+{255 - mb},y",
                 c]
            L += [f"        adc {value(o + 1)}", f"        sta {p[o + 1]}"]
            touched.add(o + 1)
            L += _carry_on(p, range(o + 2, np_), touched, value, f"{tag}_{n}")
            continue
        if tables:  # the product's bytes straight from the tables, as the MACs read them
            lo, hi = f"        lda c64ml_p{mb}lo,y", f"        lda c64ml_p{mb}hi,y"
            L += ["        clc", lo]
        elif whole:
            lo, hi = f"        lda {ZL}", "        txa"
            L += ["        clc", f"        lda SQ1LO+{mb},y", f"        sbc SQ2LO+{255 - mb},y",
                  f"        sta {ZL}", f"        lda SQ1HI+{mb},y",
                  f"        sbc SQ2HI+{255 - mb},y",
                  "        tax                     ; e byte * m byte: high in X, low in ZL",
                  "        clc", lo]
        else:
            L += ["        clc", f"        lda SQ1LO+{mb},y",
                  f"        sbc SQ2LO+{255 - mb},y   ; e byte * m byte: its low byte",
                  "        clc"]
        L += [f"        adc {value(o)}", f"        sta {p[o]}"]
        touched.add(o)
        if whole:
            L += [hi, f"        adc {value(o + 1)}", f"        sta {p[o + 1]}"]
            touched.add(o + 1)
        L += _carry_on(p, range(o + 1 + whole, np_), touched, value, f"{tag}_{n}")
    L += [line for x in sorted(needed - touched) if x < np_
          for line in (f"        lda #${_byte(c0, x):02X}", f"        sta {p[x]}")]
    if top:  # e's top byte is 0 or 1: P += m << B when it is 1
        skip, o = f"{tag}_t", nd - 1
        L += [f"        lda {e_at[nd - 1]}           ; e's top byte: 0 or 1",
              f"        beq {skip}", "        clc"]
        for b, mb in enumerate(_bytes_of(m)):
            if o + b < np_:
                L += [f"        lda {p[o + b]}", f"        adc #${mb:02X}",
                      f"        sta {p[o + b]}"]
        L += [line for k2 in range(o + len(_bytes_of(m)), np_) for line in
              (f"        lda {p[k2]}", "        adc #0", f"        sta {p[k2]}")]
        L.append(f"{skip}:")
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
    return _without_dead_stores(L, set(p))


def _carry_on(p: list[str], above: range, touched: set[int], value, skip: str) -> list[str]:
    """The carry into P's bytes ``above``, byte by byte while it lasts (inc), or, where a byte
    is not in memory yet, c0's byte plus the carry (adc #0) stored there."""
    if not above:
        return []
    if all(k2 in touched for k2 in above):
        L = [f"        bcc {skip}"]
        for k2 in above:
            L.append(f"        inc {p[k2]}")
            if k2 < above[-1]:
                L.append(f"        bne {skip}")
        return L + [f"{skip}:"]
    L = []
    for k2 in above:
        L += [f"        lda {value(k2)}", "        adc #0", f"        sta {p[k2]}"]
        touched.add(k2)
    return L


def _operand(line: str) -> str | None:
    parts = line.split(";")[0].split()
    return parts[1] if len(parts) > 1 else None


def _without_dead_stores(lines: list[str], scratch: set[str]) -> list[str]:
    """``lines`` less each ``sta`` to a byte of ``scratch`` that no later line reads: P's
    bytes below the result's only pass their carry on (the store changes no flag)."""
    out = []
    for n, line in enumerate(lines):
        op = _operand(line)
        if line.split()[:1] == ["sta"] and op in scratch and \
                not any(_operand(later) == op for later in lines[n + 1:]):
            continue
        out.append(line)
    return out


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
