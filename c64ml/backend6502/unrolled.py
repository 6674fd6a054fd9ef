"""The "unrolled" layer strategy: straight-line code with the weights folded in, product tables
per weight magnitude, accumulators in zero page, and no code at all for zero weights.

For input i with byte Y (u8: x; s8: x XOR $80) and unit j with weight w ≠ 0:

    acc[j] ± |w|·Y        (adc for w > 0, sbc for w < 0)

where |w|·Y comes from two page-aligned tables ``c64ml_p{m}lo/hi`` (m = |w|), and acc is a
24-bit accumulator, its low and middle bytes in zero page and its high byte (touched only by
a carry, the start and the unit code) at ``c64ml_acchi``, or a 16-bit one (modulo 2^16,
exact for a unit whose final value is proven to fit: unit_act.unit_plan's ``acc16``), both
bytes in zero page. Rows whose Y is 0 are
skipped. For s8 inputs, Σ w·x = Σ w·(x XOR $80) − 128·Σ w, and the compiler folds −128·Σ w
into the start constant.

Zero page is borrowed with interrupts disabled and restored before they are enabled again
(docs/abi.md): ``$02-$03`` (``c64ml_zpin``) point at layer 0's input, then the units'
scratch, then the accumulators' low and middle bytes, up to ``CHUNK`` units at a time; the
generated code names every byte.
"""

from __future__ import annotations

import numpy as np

from c64ml.backend6502 import labels
from c64ml.backend6502.sqtables import byte_lines
from c64ml.model.qmodel import QLayer
from c64ml.spec import Phase, ValueKind

ZP_PTR = 0x02
ZP_SCRATCH = 0x04  # scratch for the unit code (unit_act.py): a product byte, e and P
MAX_SCRATCH = 12
CHUNK = 77  # 3 bytes of zero page per unit: $04 + 12 + 3·77 = $F7
ZP_SAVE = ZP_SCRATCH + MAX_SCRATCH + 3 * CHUNK - ZP_PTR  # the most zero page ever borrowed
ACC_HI = "c64ml_acchi"  # the accumulators' high bytes, with ``hi_outside`` (layer_code)
STRAIGHT_COPY = 64  # up to this many bytes are saved/restored by straight-line code
COPY_UNROLL = 8     # ... more by a loop copying this many bytes an iteration


def acc_base(scratch: int) -> int:
    """Where a layer's accumulators start: after the unit code's ``scratch`` bytes."""
    return ZP_SCRATCH + scratch


def zp_bytes(n_out: int, scratch: int = 0, hi_outside: bool = False) -> int:
    """Zero page bytes a layer of ``n_out`` units borrows (pointer + accumulators)."""
    return acc_base(scratch) - ZP_PTR + (2 if hi_outside else 3) * min(n_out, CHUNK)

#: Bytes of code per nonzero weight (lda/adc/sta twice, bcc, inc/dec, clc/sec).
BYTES_PER_WEIGHT = 19
#: Cycles per nonzero weight when no carry reaches the high byte, and when one does.
CYCLES_PER_WEIGHT = (23, 29)
#: ... of a 16-bit unit (unit_act's ``acc16``): lda/adc/sta twice and clc/sec, which the last
#: MAC of a row's sign group leaves out (14 bytes, 20 cycles).
BYTES_PER_WEIGHT16 = 15
CYCLES_PER_WEIGHT16 = 22


def start_constants(bias: np.ndarray, weights: np.ndarray, kind: str) -> np.ndarray:
    """C[j] with acc = C[j] + Σ ±|w|·Y equal to B[j] + Σ w·x (mod 2^24)."""
    c = bias.astype(np.int64).copy()
    if kind == "s8":
        c = c - 128 * weights.astype(np.int64).sum(axis=0)
    return np.mod(c, 1 << 24)


def magnitudes(layer: QLayer) -> set[int]:
    return {int(m) for m in np.unique(np.abs(layer.weights)) if m}


def product_tables(mags: set[int]) -> list[str]:
    """Page-aligned tables of m·Y (low bytes, then high bytes) for each magnitude."""
    out = []
    y = np.arange(256)
    for m in sorted(mags):
        p = m * y
        out += [f"c64ml_p{m}lo:"] + byte_lines(bytes((p & 0xFF).astype(np.uint8)))
        out += [f"c64ml_p{m}hi:"] + byte_lines(bytes((p >> 8).astype(np.uint8)))
    return out


def code_bytes(layer: QLayer, acc16: list[bool] | None = None) -> int:
    """Bytes of code for the layer (weights plus per-row and per-unit overhead); ``acc16``:
    which units accumulate in 16 bits (unit_act.unit_plan; default none)."""
    chunks = -(-layer.n_out // CHUNK)
    narrow = np.asarray(acc16 if acc16 is not None else [False] * layer.n_out, dtype=bool)
    nonzero = np.count_nonzero(layer.weights, axis=0)
    weights = BYTES_PER_WEIGHT * nonzero[~narrow].sum() + BYTES_PER_WEIGHT16 * nonzero[narrow].sum()
    return int(weights - 4 * narrow.sum()) + chunks * (layer.n_in * 10 + layer.n_out * 20) + 60


def zero_page_equates() -> list[str]:
    """The names of the borrowed zero page, emitted once before any unrolled layer."""
    return [f"{labels.ZP_BASE} = ${ZP_PTR:02X}             ; first zero page byte unrolled "
            "layers borrow (saved at c64ml_zpsave)",
            f"{labels.ZP_IN} = ${ZP_PTR:02X}               ; pointer to layer 0's inputs "
            "(a copy of c64ml_inptr)",
            f"{labels.ZP_SCRATCH} = ${ZP_SCRATCH:02X}          ; up to 12 bytes of scratch for "
            "units' requantization (unit_act.py)"]


def _ins(text: str, comment: str = "") -> str:
    """An instruction line, its comment (if any) in column 33 as in the runtime files."""
    return f"        {text:<23} ; {comment}" if comment else f"        {text}"


def _signed24(v: int) -> int:
    return v - (1 << 24) if v >= 1 << 23 else v


def save_zero_page(nbytes: int, tag: str, straight: bool = False) -> list[str]:
    """Interrupts off, then the ``nbytes`` borrowed zero-page bytes to c64ml_zpsave:
    straight-line (7 cycles a byte) for up to STRAIGHT_COPY bytes or with ``straight``,
    else a loop (9.6 a byte)."""
    return ["        php                     ; interrupts off while zero page is borrowed",
            "        sei"] + _copy_zero_page(nbytes, tag, True, straight)


def restore_zero_page(nbytes: int, tag: str, straight: bool = False) -> list[str]:
    """The borrowed zero page back from c64ml_zpsave, then the interrupt flag as it was."""
    return _copy_zero_page(nbytes, tag, False, straight) + ["        plp"]


def straight_copy_extra_bytes(nbytes: int) -> int:
    """Bytes the straight-line save and restore of ``nbytes`` take beyond the loops (0 when
    the copy is straight-line anyway): 5 a byte each way, against a loop's 5 a byte left
    over, 5 an unrolled byte and 5 of counting."""
    if nbytes <= STRAIGHT_COPY:
        return 0
    rest = nbytes % COPY_UNROLL
    return 2 * (5 * nbytes - (5 * rest + 5 * COPY_UNROLL + 5))


def _copy_zero_page(nbytes: int, tag: str, save: bool, straight: bool = False) -> list[str]:
    src, dst = (labels.ZP_BASE, "c64ml_zpsave") if save else ("c64ml_zpsave", labels.ZP_BASE)
    if nbytes <= STRAIGHT_COPY or straight:
        return [line for i in range(nbytes)
                for line in (f"        lda {src}+{i}", f"        sta {dst}+{i}")]
    # COPY_UNROLL bytes an iteration, counting down (9.6 cycles a byte); the bytes left
    # over first, straight-line
    part = nbytes // COPY_UNROLL
    loop = f"{tag}_{'save' if save else 'restore'}"
    rest = [line for i in range(part * COPY_UNROLL, nbytes)
            for line in (f"        lda {src}+{i}", f"        sta {dst}+{i}")]
    return rest + [f"        ldx #{part - 1}", f"{loop}:"] + [
        line for u in range(COPY_UNROLL)
        for line in (f"        lda {src}+{u * part},x", f"        sta {dst}+{u * part},x")] + [
        "        dex", f"        bpl {loop}"]


def row_order(weights: np.ndarray) -> list[int]:
    """The rows (inputs) with a nonzero weight, in the order the code adds them: the most
    nonzero weights first (so each unit's first row, which also sets its start constant,
    is likely a row that is seldom skipped), then by index."""
    nz = np.count_nonzero(weights, axis=1)
    return [int(i) for i in np.argsort(-nz, kind="stable") if nz[i]]


def _start_lines(const: tuple[int, str], acc: tuple[str, ...]) -> list[str]:
    """acc = C (lda #, sta zp for each of its 2 or 3 bytes)."""
    c, note = const
    return [line for b in range(len(acc)) for line in
            (_ins(f"lda #${(c >> (8 * b)) & 0xFF:02X}", "" if b else note),
             f"        sta {acc[b]}")]


def _mac_lines(acc: tuple[str, ...], v: int, note: str, last: bool,
               hi_outside: bool = False) -> list[str]:
    """acc ± |v|·Y for a weight ``v`` (adc with the carry clear for v > 0, sbc with it set
    for v < 0; it is so again after): a 24-bit ``acc`` (3 names) takes the carry into its
    high byte; a 16-bit one (2 names, unit_act's ``acc16``) drops it, adding modulo 2^16,
    and restores the flag only when a MAC follows (``last``: none does); ``hi_outside``:
    the high byte is not in zero page (its inc or dec takes 3 bytes)."""
    add = v > 0
    op, m = ("adc", v) if add else ("sbc", -v)
    L = [_ins(f"lda {acc[0]}", note), f"        {op} c64ml_p{m}lo,y", f"        sta {acc[0]}",
         f"        lda {acc[1]}", f"        {op} c64ml_p{m}hi,y", f"        sta {acc[1]}"]
    flag = "        clc" if add else "        sec"
    if len(acc) == 3:
        return L + [f"        {'bcc' if add else 'bcs'} *+{6 if hi_outside else 5}",
                    f"        {'inc' if add else 'dec'} {acc[2]}", flag]
    return L if last else L + [flag]


def _first_mac_lines(acc: tuple[str, ...], v: int, c: int, note: str, last: bool
                     ) -> list[str]:
    """acc = C ± |v|·Y: a unit's first product with its start constant C, the flag as in
    _mac_lines (out of a 24-bit high byte a carry or borrow is only possible when C's high
    byte is $FF or $00, and then the flag is put back)."""
    add = v > 0
    op, m = ("adc", v) if add else ("sbc", -v)
    b = [(c >> (8 * i)) & 0xFF for i in range(3)]
    out = [_ins(f"lda #${b[0]:02X}", note), _ins(f"{op} c64ml_p{m}lo,y",
                                                 f"on top of the start constant {_signed24(c)}"),
           f"        sta {acc[0]}",
           f"        lda #${b[1]:02X}", f"        {op} c64ml_p{m}hi,y", f"        sta {acc[1]}"]
    flag = "        clc" if add else "        sec"
    if len(acc) == 2:
        return out if last else out + [flag]
    out += [f"        lda #${b[2]:02X}", f"        {op} #0", f"        sta {acc[2]}"]
    return out + [flag] if b[2] == (0xFF if add else 0x00) else out


def layer_code(k: int, layer: QLayer, kind: str, src: str | None, dst: str | None = None,
               save: bool = True, class_byte: bool = False,
               x_range: tuple[int, int] | None = None, tables: bool = False,
               rows: list[int] | None = None, prelude: list[str] | None = None,
               argmax: ValueKind | None = None, hi_outside: bool = False) -> list[str]:
    """Assembly for layer ``k``.

    ``src`` is the label of the input buffer, or None for layer 0 (read via c64ml_inptr).
    The accumulators are named ``c64ml_l{k}_acc{j}_lo/_mid/_hi`` (zero page equates), and
    each weight's code carries its weight as a comment. With ``dst``, each unit's output
    byte goes to ``dst+j`` by code specialised for the unit (c64ml/backend6502/unit_act.py),
    and with ``class_byte`` (a one-unit argmax layer) the class to c64ml_class; without
    ``dst``, the accumulators are left in dn_acc0/1/2 like runtime6502/dense.s (for
    wide.s). ``save``: borrow zero page for this layer alone (else the caller has).
    ``x_range``: the values the inputs can take (unit_act.input_range), for ``dst``;
    ``tables``: the units multiply by m·Y tables (the ``unrolled-mul`` strategy).
    ``rows``: only these rows' products (a split layer, split.py), after ``prelude``, code
    that leaves the sums of the other rows, start constants included, in dn_acc0/1/2: each
    accumulator starts from there. ``argmax`` (the outputs' kind): the class follows each
    unit's output (unit_act.class_step) into c64ml_class. ``hi_outside``: the 24-bit
    accumulators' high bytes live at c64ml_acchi, not in zero page (less to borrow, one
    cycle more for each carry into them and each read).
    """
    from c64ml.backend6502 import unit_act

    c = start_constants(layer.bias, layer.weights, kind)
    n_in, n_out = layer.weights.shape
    weights = layer.weights
    if rows is not None:  # the other rows add nothing here
        weights = np.zeros_like(layer.weights)
        weights[rows] = layer.weights[rows]
    s8 = kind == "s8"
    plans = unit_act.unit_plan(layer, x_range, offsets=not class_byte) \
        if dst is not None else None
    scratch = unit_act.needs_scratch(plans)
    width16 = [p["acc16"] for p in plans] if plans else [False] * n_out  # 16-bit units
    zp = zp_bytes(n_out, scratch, hi_outside)
    L = [f"        ; layer {k}: unrolled, {int(np.count_nonzero(layer.weights))} nonzero "
         f"weights of {layer.weights.size}; acc[j] = C[j] + sum of w[i][j]*x[i], 24 bits "
         "in zero page" + (f" (16 for {sum(width16)} of the units)" if any(width16) else "")]
    if save:
        L += save_zero_page(zp, labels.layer(k, "zp"))
    if src is None:
        L += ["        lda c64ml_inptr", f"        sta {labels.ZP_IN}",
              "        lda c64ml_inptr+1", f"        sta {labels.ZP_IN}+1"]
    for start in range(0, n_out, CHUNK):
        units = range(start, min(start + CHUNK, n_out))
        n = len(units)

        def acc(byte: int, j: int) -> str:
            return labels.layer(k, f"acc{j}_{('lo', 'mid', 'hi')[byte]}")

        def names(j: int) -> tuple[str, ...]:
            """Unit j's accumulator bytes: 2 for a 16-bit unit, else 3."""
            return tuple(acc(byte, j) for byte in range(3 - width16[j]))

        if dst is not None:
            L.append(f"{labels.phase_mark(k, Phase.ACCUMULATE, start // CHUNK)}:")
        if prelude and start == 0:
            L += prelude
        L.append(f"        ; units {start}..{units[-1]}: their accumulators in zero page")
        for j in units:
            L += [f"{acc(byte, j)} = ${acc_base(scratch) + byte * n + j - start:02X}"
                  for byte in range(2)]
            L.append(f"{acc(2, j)} = {ACC_HI}+{j - start}" if hi_outside else
                     f"{acc(2, j)} = ${acc_base(scratch) + 2 * n + j - start:02X}")
        consts = {}
        for j in units:
            off = plans[j].get("offset") if plans else None   # (unit_act.unit_plan)
            consts[j] = (int(c[j]) - (off or 0)) & 0xFFFFFF, (
                f"acc[{j}] = {_signed24(int(c[j]))}" if off is None else
                f"acc[{j}] - {off} = {_signed24(int(c[j]) - off)}")
        order = row_order(weights[:, start:start + n])
        first = {}  # unit -> the row that starts its accumulator (its first in code order)
        for r in order if prelude is None else ():
            for u in np.flatnonzero(weights[r, start:start + n]):
                first.setdefault(start + int(u), r)
        if prelude is not None:
            L.append(f"        ; units {start}..{units[-1]}: from the looped rows' sums")
            L += [f"        {op} {name}" for j in units for b in range(3 - width16[j])
                  for op, name in (("lda", f"dn_acc{b}+{j}"), ("sta", acc(b, j)))]
        else:
            L.append(f"        ; units {start}..{units[-1]}: start constants C[j] (the bias"
                     + (", and -128 * the sum of the unit's weights for the s8 offset)"
                        if s8 else ")") + ", each with its first row's product, or alone")
        for j in units:
            if j not in first and prelude is None:
                L += _start_lines(consts[j], names(j))
        # a row that starts accumulators: when it is skipped, its branch goes to their start
        # constants after its code (a skipped row costs what it did, a processed one jumps
        # over them)
        inits = {r: [j for j in units if first.get(j) == r] for r in order}
        for i in order:
            w = weights[i, start:start + n]
            nxt = labels.layer(k, f"{start}_{i}")
            skip = labels.layer(k, f"{start}_{i}_init") if inits[i] else nxt
            what = f"Y = x[{i}] XOR $80 = x[{i}]+128" if s8 else f"Y = x[{i}]"
            if src is None:
                L += [_ins(f"ldy #{i}", what),
                      f"        lda ({labels.ZP_IN}),y"]
            else:
                L.append(_ins(f"lda {src}+{i}", what))
            if s8:
                L.append("        eor #$80")
            L += ["        tay"] + ([_ins(f"beq {skip}", "Y = 0 adds nothing")]
                                    if np.count_nonzero(w) <= 5 else
                                    [_ins("bne *+5", "Y = 0 adds nothing"), f"        jmp {skip}"])
            pos = [(j, int(weights[i, j])) for j in units if weights[i, j] > 0]
            neg = [(j, int(weights[i, j])) for j in units if weights[i, j] < 0]
            x = f"(x[{i}]+128)" if s8 else f"x[{i}]"
            for group in (pos, neg):
                if group:
                    L.append("        clc" if group is pos else "        sec")
                group.sort(key=lambda jv: width16[jv[0]])  # a 16-bit MAC last restores no flag
                for n_, (j, v) in enumerate(group):
                    note, last = f"acc[{j}] += {v}*{x}", n_ == len(group) - 1
                    L += _first_mac_lines(names(j), v, consts[j][0], note, last) \
                        if first.get(j) == i else _mac_lines(names(j), v, note, last,
                                                             hi_outside)
            if inits[i]:
                L += [f"        jmp {nxt}", f"{skip}:                 ; x[{i}] = 0: the start "
                      "constants alone"]
                for j in inits[i]:
                    L += _start_lines(consts[j], names(j))
            L.append(f"{nxt}:")
        if dst is None:
            L.append(f"        ; units {start}..{units[-1]}: to dn_acc0/1/2, where wide.s reads "
                     "them")
            for j in units:
                for byte in range(3):
                    L += [f"        lda {acc(byte, j)}", f"        sta dn_acc{byte}+{j}"]
            continue
        L.append(f"{labels.phase_mark(k, Phase.ACTIVATE, start // CHUNK)}:")
        for j in units:
            L += unit_act.unit_code(k, j, layer, plans[j], names(j), dst, tables)
            if argmax is not None:
                L += unit_act.class_step(k, j, argmax)
            if class_byte:
                L += ["        ; class = 1 if acc >= 0 (docs/semantics.md 6)",
                      f"        lda {names(j)[-1]}", "        eor #$80", "        asl",
                      "        lda #0", "        rol", "        sta c64ml_class"]
    if save:
        L += [f"{labels.phase_mark(k, Phase.OVERHEAD)}:"]
        L += restore_zero_page(zp, labels.layer(k, "zp"))
    return L
