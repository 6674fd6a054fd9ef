"""Portable C for a qmodel: one ``.c`` with the inference function and one ``.h`` (docs/c-backend.md).

The C computes exactly docs/semantics.md with C89 integer arithmetic that is defined
on every conforming compiler with 16-bit ``int`` and 32-bit ``long`` (cc65, llvm-mos)
or wider (host compilers). It is written the way a C programmer would write it for
cc65 — constant ``signed char`` weights walked by a pointer, ``unsigned char`` loop
counters, no unrolling, no lookup-table multiplies — because it is also the baseline
c64ml's own 6502 backend is measured against (c64ml/backend_c/cc65.py).
"""

from __future__ import annotations

import re

import numpy as np

from c64ml.errors import C64mlError
from c64ml.model.qmodel import QLayer, QModel, acc_bounds
from c64ml.spec import CLAMP, NARROW_ACC_MAX, REQUANTIZED, Requant
from c64ml.text import c_comment

INT16_MAX = 32767
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,23}\Z")
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\Z")
#: C element type of a byte vector of each kind (docs/semantics.md §2).
C_BYTE = {"u8": "unsigned char", "s8": "signed char"}


def c_source(model: QModel, prefix: str = "c64ml", name: str | None = None) -> dict[str, str]:
    """C source and header for ``model``: ``{name + ".c": ..., name + ".h": ...}``.

    The header declares ``unsigned char PREFIX_infer(const unsigned char *in,
    unsigned char *out)``; it writes the output bytes of docs/semantics.md §7 to
    ``out`` and returns the class (0 for a "scores" model).
    """
    if not _IDENT.match(prefix):
        raise C64mlError("expected a C identifier of at most 24 characters", field="prefix")
    name = prefix if name is None else name
    if not _FILE_NAME.match(name):
        raise C64mlError(f"{name!r} is not a plain file name (letters, digits, _ . -)",
                         field="name")
    model.validate()
    check_narrow(model)
    return {f"{name}.c": _source(model, prefix, f"{name}.h"), f"{name}.h": _header(model, prefix)}


def check_narrow(model: QModel) -> None:
    """The C backend runs what fits C's 32-bit ``long`` without a 64-bit product: at most 256
    inputs, unit bounds within 2^23 − 1 and §4.1 requantization. Anything wider (the
    6502 backend's wide layers, TFLite requantization) is refused in one line."""
    for k, (layer, bound) in enumerate(zip(model.layers, acc_bounds(model))):
        why = ("it requantizes as TFLite does (a 64-bit product)"
               if layer.requant == Requant.TFLITE else
               f"it has {layer.n_in} inputs (at most 256)" if layer.n_in > 256 else
               f"a unit's bound is {int(bound.max())} (at most {NARROW_ACC_MAX})"
               if int(bound.max()) > NARROW_ACC_MAX else None)
        if why:
            raise C64mlError(f"layer {k}: the C backend does not support this layer: {why}; "
                             "the 6502 backend does")


def acc_types(model: QModel) -> list[str]:
    """Per layer, the C accumulator type: ``int`` where the bound of every unit (§3) fits
    16 bits, so no partial sum can overflow a 16-bit ``int``; else ``long``."""
    return ["int" if int(b.max()) <= INT16_MAX else "long" for b in acc_bounds(model)]


# -- rendering -------------------------------------------------------------------------------

def _array(ctype: str, name: str, values, rows: int = 1, suffix: str = "") -> str:
    """``static const ctype name[n] = {...};``, one line per row (rows split evenly)."""
    vals = [f"{int(v)}{suffix}" for v in np.asarray(values).ravel()]
    per = max(1, len(vals) // rows)
    lines = []
    for k in range(0, len(vals), per):
        chunk = vals[k:k + per]
        while chunk:  # keep lines short for large rows
            lines.append("    " + ", ".join(chunk[:16]) + ",")
            chunk = chunk[16:]
    lines[-1] = lines[-1][:-1]
    return f"static const {ctype} {name}[{len(vals)}] = {{\n" + "\n".join(lines) + "\n};\n"


def _layer_tables(k: int, layer: QLayer, acc: str) -> str:
    out = [f"/* layer {k}: weights unit by unit ({layer.n_out} rows of {layer.n_in}) */\n",
           _array("signed char", f"L{k}_W", layer.weights.T, rows=layer.n_out),
           _array(acc, f"L{k}_B", layer.bias, suffix="L" if acc == "long" else "")]
    if layer.multiplier is not None:
        out.append(_array("unsigned char", f"L{k}_M", layer.multiplier))
        out.append(_array("unsigned char", f"L{k}_S", layer.shift))
    if layer.table is not None:
        out.append(_array(C_BYTE[layer.out_kind], f"L{k}_T", layer.table, rows=16))
    return "".join(out)


REQUANT_C = """\
/* Requantize (semantics section 4): floor((acc * m + 2^(s-1)) / 2^s). Right-shifting a
   negative long is implementation-defined in C, so negatives use floor(v / 2^s)
   = -((-v - 1) >> s) - 1 on a non-negative value. |acc * m + half| < 2^31. */
static long requant(long acc, unsigned char m, unsigned char s)
{
    long v = acc * m;
    if (s) {
        v += 1L << (s - 1);
    }
    if (v < 0) {
        return -((-v - 1) >> s) - 1;
    }
    return v >> s;
}
"""


def _activation(k: int, layer: QLayer, acc: str) -> list[str]:
    """Lines computing ``y`` (an int) from the accumulator ``acc`` for unit ``j``."""
    act = layer.activation
    if act == "step":
        return [f"y = {acc} >= 0;"]
    if act == "sign":
        return [f"y = {acc} >= 0 ? 1 : -1;"]
    lo, hi = CLAMP[act]
    lines = [f"r = requant({acc}, L{k}_M[j], L{k}_S[j]);",
             f"y = r < {lo} ? {lo} : r > {hi} ? {hi} : (int)r;"]
    if layer.table is not None:
        lines.append(f"y = L{k}_T[y + 128];")
    return lines


def _layer_code(k: int, layer: QLayer, kind: str, acc_type: str, last: bool,
                argmax: bool) -> list[str]:
    acc = "acc16" if acc_type == "int" else "acc32"
    x = "xu" if kind == "u8" else "xs"
    src = "in" if k == 0 else f"h{k - 1}"
    n_in = layer.n_in
    count = f"{n_in}" if n_in < 256 else "0; /* 256 iterations: the counter wraps */"
    lines = [f"/* layer {k}: {layer.n_in} {kind} inputs -> {layer.n_out} units, "
             f"{layer.activation}, {'16' if acc_type == 'int' else '32'}-bit accumulator */",
             f"w = L{k}_W;",
             f"for (j = 0; j < {layer.n_out}; ++j) {{",
             f"    {acc} = L{k}_B[j];",
             f"    {x} = {src};",
             f"    i = {count}" + (";" if n_in < 256 else ""),
             "    do {",
             f"        {acc} += *w++ * {'(int)' if kind == 'u8' else ''}*{x}++;",
             "    } while (--i);"]
    lines += ["    " + s for s in _activation(k, layer, acc)]
    if not last:
        lines.append(f"    h{k}[j] = y;")
    else:
        lines.append("    out[j] = (unsigned char)y;")
        if argmax and layer.n_out > 1:
            lines += ["    if (j == 0 || y > best) {",
                      "        best = y;",
                      "        cls = j;",
                      "    }"]
    lines.append("}")
    if last and argmax and layer.n_out == 1:
        lines.append(f"cls = {acc} >= 0;")
    return lines


def _source(model: QModel, prefix: str, header: str) -> str:
    kinds = model.input_kinds()
    accs = acc_types(model)
    argmax = model.output == "argmax"
    n = len(model.layers)
    parts = [f"/* {c_comment(model.name)}: generated by c64ml from a qmodel; the integer\n"
             "   semantics are those of c64ml's docs/semantics.md. Portable C89. */\n",
             f'#include "{header}"\n']
    for k, (layer, acc) in enumerate(zip(model.layers, accs)):
        parts.append("\n" + _layer_tables(k, layer, acc))
    if n > 1:
        parts.append("\n/* hidden layer outputs */\n")
        for k, layer in enumerate(model.layers[:-1]):
            parts.append(f"static {C_BYTE[layer.out_kind]} h{k}[{layer.n_out}];\n")
    if any(layer.activation in REQUANTIZED for layer in model.layers):
        parts.append("\n" + REQUANT_C)
    decls = ["register const signed char *w;"]
    cast_note = ("/* (int) on u8 inputs: cc65 promotes unsigned char to unsigned int (its issue\n"
                 "   #170), which would zero-extend a negative product added to a long. */\n")
    if "u8" in kinds:
        decls.append("register const unsigned char *xu;")
    if "s8" in kinds:
        decls.append("register const signed char *xs;")
    decls.append("unsigned char i, j" + (", cls = 0" if argmax else "") + ";")
    if "int" in accs:
        decls.append("int acc16;")
    if "long" in accs:
        decls.append("long acc32;")
    if any(layer.activation in REQUANTIZED for layer in model.layers):
        decls.append("long r;")
    decls.append("int y" + (", best = 0" if argmax and model.n_out > 1 else "") + ";")
    body = []
    for k, layer in enumerate(model.layers):
        body += [""] + _layer_code(k, layer, kinds[k], accs[k], k == n - 1, argmax)
    if argmax:
        body += ["", f"out[{model.n_out}] = cls;", "return cls;"]
    else:
        body += ["", "return 0;"]
    parts.append("\n" + (cast_note if "u8" in kinds else "")
                 + f"unsigned char {prefix}_infer(const unsigned char *in, unsigned char *out)\n"
                 "{\n" + "".join(f"    {d}\n" for d in decls)
                 + "".join(f"    {s}\n" if s else "\n" for s in body) + "}\n")
    return "".join(parts)


def _header(model: QModel, prefix: str) -> str:
    p = prefix.upper()
    guard = f"{p}_H"
    argmax = model.output == "argmax"
    lines = [f"/* {c_comment(model.name)}: generated by c64ml. */",
             f"#ifndef {guard}", f"#define {guard}", "",
             f"#define {p}_INPUTS {model.inputs}        /* input bytes, 0..255 each */",
             f"#define {p}_OUTPUTS {model.n_out}       /* scores */",
             f"#define {p}_OUTPUT_BYTES {model.out_bytes}  /* scores"
             + (", then the class" if argmax else "") + " */",
             f"#define {p}_MACS {model.macs()}"]
    if argmax:
        lines.append(f"#define {p}_CLASSES {model.n_classes}")
    lines += ["",
              f"/* Runs the model on {p}_INPUTS bytes at in, writes {p}_OUTPUT_BYTES bytes to out",
              "   (s8 scores as two's complement) and returns "
              + ("the class. */" if argmax else "0. */"),
              f"unsigned char {prefix}_infer(const unsigned char *in, unsigned char *out);",
              "", f"#endif /* {guard} */", ""]
    return "\n".join(lines)
