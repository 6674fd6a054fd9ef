"""int8 ``.tflite`` models → qmodels whose arithmetic is TensorFlow Lite Micro's, bit for bit.

A chain of int8 FULLY_CONNECTED operators (per-tensor or per-channel weight scales, int32
bias, fused NONE / RELU / RELU6 / RELU_N1_TO_1), with RESHAPE anywhere, QUANTIZE first and
DEQUANTIZE last, a trailing LOGISTIC (computed exactly: a 256-entry table on the last
layer, tflite_logistic.py) and a trailing SOFTMAX (dropped: the outputs become the last
layer's int8 values, and the class is the same except on ties), becomes a qmodel whose
layers requantize as TFLite does (docs/semantics.md §4.2):

- the input zero point is folded into the bias, with the input byte of the C64 program
  being ``q + 128`` for layer 0 (§1.2), so the bias gets ``−(128 + zp_in)·Σw``, and
  ``−zp_in·Σw`` for later layers, whose inputs are signed;
- the multiplier and shift per unit come from ``in_scale · w_scale / out_scale`` in double
  precision as TFLite's ``QuantizeMultiplier`` makes them (frexp, round half away);
- the fused activation becomes the clamp ``[act_min, act_max]`` as TFLite's
  ``CalculateActivationRangeQuantized`` computes it (binary32 division, round half away).

Anything else is refused in one line naming the operator and its index.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from c64ml.errors import C64mlError
from c64ml.model.qmodel import QLayer, QModel, validate_qmodel
from c64ml.model.tflite_logistic import logistic_table, round_half_away
from c64ml.spec import Activation, OutputMode, Requant

#: ``QModel.info["imported_from"]`` of a qmodel made here.
IMPORTED_FROM = "tflite int8"
#: Fused activations and the real-valued range each clamps to (None: no bound).
FUSED = {"NONE": (None, None), "RELU": (0.0, None), "RELU6": (0.0, 6.0),
         "RELU_N1_TO_1": (-1.0, 1.0)}
#: Trailing operators that are dropped, and what that changes.
DROPPABLE = {"SOFTMAX": "the outputs are the logits (int8), not the probabilities; the class "
                        "is the same except on ties",
             "DEQUANTIZE": "the outputs are the int8 values; multiply by the output scale after "
                           "subtracting the zero point for the real values"}
PASS_THROUGH = ("RESHAPE",)
SUPPORTED = ("FULLY_CONNECTED", "QUANTIZE", "LOGISTIC", *PASS_THROUGH, *DROPPABLE)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier: (M, shift) with real ≈ M · 2^(shift − 31), M in
    [2^30, 2^31) or 0."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    m = round_half_away(q * (1 << 31))
    if m == 1 << 31:
        m //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return m, shift


def activation_range(fused: str, scale: float, zero_point: int) -> tuple[int, int]:
    """TFLite's CalculateActivationRangeQuantized for an int8 output."""
    lo_r, hi_r = FUSED[fused]

    def q(r: float) -> int:
        return zero_point + round_half_away(float(np.float32(r) / np.float32(scale)))

    lo = -128 if lo_r is None else max(-128, q(lo_r))
    hi = 127 if hi_r is None else min(127, q(hi_r))
    return lo, hi


def _params(t, what: str, where: str) -> tuple[np.ndarray, np.ndarray]:
    if t.scale is None or t.zero_point is None or len(t.scale) == 0:
        raise C64mlError(f"{where}: {what} tensor {t.name!r} has no quantization parameters")
    return t.scale.astype(np.float64), t.zero_point.astype(np.int64)


def _need(t, dtype: str, where: str, what: str) -> None:
    if t.dtype != dtype:
        raise C64mlError(f"{where}: {what} tensor {t.name!r} is {t.dtype}; c64ml runs int8 "
                         f"models (int8 activations and weights, int32 biases)")


def qmodel_from_graph(graph, path: str | os.PathLike) -> QModel:
    """The qmodel of an int8 TFLite graph (see the module docstring); errors name ``path``."""
    try:
        return _convert(graph, Path(os.fspath(path)))
    except C64mlError as e:
        raise e.at(path) from None


def _convert(graph, path: Path) -> QModel:
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise C64mlError(f"has {len(graph.inputs)} inputs and {len(graph.outputs)} outputs; "
                         "c64ml runs one input and one output")
    ops = list(graph.operators)
    tensors = graph.tensors
    for i, op in enumerate(ops):  # name an unsupported operator before any other complaint
        if op.op not in SUPPORTED:
            raise C64mlError(f"operator {i} ({op.op}) is not supported (c64ml runs "
                             "FULLY_CONNECTED layers with RESHAPE, QUANTIZE/DEQUANTIZE at the "
                             "edges and a trailing SOFTMAX or LOGISTIC)")
    current = graph.inputs[0]
    input_quant_tensor = None
    dropped: list[str] = []
    layers: list[QLayer] = []
    described: list[str] = []
    first_fc = True
    last_fc_out = output_tensor = None
    for i, op in enumerate(ops):
        where = f"operator {i} ({op.op})"
        described.append(op.op)
        ins = [t for t in op.inputs]
        if not ins or ins[0] != current:
            raise C64mlError(f"{where} does not read the previous operator's output; c64ml runs "
                             "a chain of layers")
        if op.op == "QUANTIZE":
            if layers or input_quant_tensor is not None:
                raise C64mlError(f"{where}: QUANTIZE is supported only at the model's input")
            src, dst = tensors[ins[0]], tensors[op.outputs[0]]
            if src.dtype != "float32":
                raise C64mlError(f"{where}: requantizes {src.dtype}; only float32 → int8 "
                                 "QUANTIZE at the input is supported")
            _need(dst, "int8", where, "output")
            current = op.outputs[0]
            continue
        if op.op in PASS_THROUGH:
            current = op.outputs[0]
            continue
        if op.op == "LOGISTIC":  # elementwise int8 → int8: a table on the last layer
            rest = [o.op for o in ops[i + 1:]]
            if any(r not in ("DEQUANTIZE", "SOFTMAX") for r in rest) or not layers \
                    or current != last_fc_out or layers[-1].table is not None:
                raise C64mlError(f"{where} is supported only right after the last "
                                 "FULLY_CONNECTED layer")
            src, dst = tensors[ins[0]], tensors[op.outputs[0]]
            _need(dst, "int8", where, "output")
            s_x, z_x = _params(src, "input", where)
            s_y, z_y = _params(dst, "output", where)
            if int(z_y[0]) != -128:
                raise C64mlError(f"{where}: output zero point {int(z_y[0])}; TFLite's int8 "
                                 "LOGISTIC needs -128")
            layers[-1].table = logistic_table(float(s_x[0]), int(z_x[0]))
            layers[-1].scale = float(s_y[0])
            output_tensor = dst
            current = op.outputs[0]
            continue
        if op.op in DROPPABLE:
            rest = [o.op for o in ops[i + 1:]]
            if any(r not in ("DEQUANTIZE",) for r in rest) or (op.op == "DEQUANTIZE" and rest):
                raise C64mlError(f"{where} is supported only at the end of the model")
            if not layers:
                raise C64mlError(f"{where} comes before any FULLY_CONNECTED layer")
            dropped.append(op.op)
            current = op.outputs[0]
            continue
        if op.op != "FULLY_CONNECTED":
            raise C64mlError(f"{where} is not supported (c64ml runs FULLY_CONNECTED layers "
                             "with RESHAPE, QUANTIZE/DEQUANTIZE at the edges and a trailing "
                             "SOFTMAX or LOGISTIC)")
        if dropped:
            raise C64mlError(f"{where} follows {dropped[0]}, which c64ml supports only at the "
                             "end")
        x, w = tensors[ins[0]], tensors[ins[1]] if len(ins) > 1 and ins[1] >= 0 else None
        if w is None or w.data is None:
            raise C64mlError(f"{where}: the weights must be a constant tensor")
        b = tensors[ins[2]] if len(ins) > 2 and ins[2] >= 0 else None
        y = tensors[op.outputs[0]]
        _need(x, "int8", where, "input")
        _need(w, "int8", where, "weight")
        _need(y, "int8", where, "output")
        if first_fc and input_quant_tensor is None:
            input_quant_tensor = x
        layers.append(_dense(op, where, x, w, b, y, first_fc))
        first_fc = False
        current = last_fc_out = op.outputs[0]
        output_tensor = y
    if not layers:
        raise C64mlError("has no FULLY_CONNECTED layer")
    s_in, z_in = _params(input_quant_tensor, "input", "operator 0")
    model_input = tensors[graph.inputs[0]]
    n_in = layers[0].n_in
    scale, zp = float(s_in[0]), int(z_in[0])
    lo = np.full(n_in, scale * (-128 - zp))
    hi = np.full(n_in, scale * (127 - zp))
    s_out, z_out = _params(output_tensor, "output", "the last layer")
    model = QModel(_name(path), lo, hi, layers, output=OutputMode.ARGMAX,
                   input_quant=(scale, zp))
    model.info = {
        "imported_from": IMPORTED_FROM, "file": path.name, "operators": described,
        "input": {"dtype": model_input.dtype, "scale": scale, "zero_point": zp},
        "output": {"scale": float(s_out[0]), "zero_point": int(z_out[0])},
        "dropped": [{"operator": d, "effect": DROPPABLE[d]} for d in dropped],
    }
    try:
        validate_qmodel(model)
    except C64mlError as e:
        raise C64mlError(f"cannot run on the C64: {e.line()}") from None
    return model


def _name(path: Path) -> str:
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in path.stem)[:64]
    return stem or "tflite"


def _dense(op, where: str, x, w, b, y, first: bool) -> QLayer:
    if w.data.ndim != 2:
        raise C64mlError(f"{where}: weights of shape {w.shape}; expected (units, inputs)")
    units, n_in = w.data.shape
    if int(np.prod(x.shape)) != n_in:
        raise C64mlError(f"{where}: input of {int(np.prod(x.shape))} values for {n_in} weights "
                         "per unit (a batch size other than 1?)")
    s_x, z_x = _params(x, "input", where)
    s_w, z_w = _params(w, "weight", where)
    s_y, z_y = _params(y, "output", where)
    if np.any(z_w != 0):
        raise C64mlError(f"{where}: weights with a nonzero zero point (TFLite's int8 weights are "
                         "symmetric)")
    if len(s_w) not in (1, units) or (len(s_w) == units > 1 and w.quantized_dimension != 0):
        raise C64mlError(f"{where}: {len(s_w)} weight scales for {units} units")
    if op.fused_activation not in FUSED:
        raise C64mlError(f"{where}: fused activation {op.fused_activation} is not supported "
                         f"(supported: {', '.join(FUSED)})")
    wq = w.data.astype(np.int64)  # (units, inputs)
    if b is not None:
        if b.data is None or b.dtype != "int32" or b.data.size != units:
            raise C64mlError(f"{where}: the bias must be a constant int32 tensor of {units} "
                             "values")
        bias = b.data.astype(np.int64).reshape(units)
    else:
        bias = np.zeros(units, dtype=np.int64)
    # the input zero point folded in: layer 0 reads q + 128, later layers read q itself
    offset = (128 if first else 0) + int(z_x[0])
    bias = bias - offset * wq.sum(axis=1)
    scales = np.broadcast_to(s_w, (units,))
    ms, shifts = zip(*(quantize_multiplier(float(s_x[0]) * float(sw) / float(s_y[0]))
                       for sw in scales))
    if any(not -31 <= s <= 30 for s in shifts):
        raise C64mlError(f"{where}: an effective scale of {float(s_x[0]) * float(scales[0]) / float(s_y[0]):g} "
                         "is outside TFLite's multiplier range")
    layer = QLayer(wq.T.copy(), bias, Activation.LINEAR,
                   multiplier=np.array(ms, dtype=np.int64),
                   shift=np.array(shifts, dtype=np.int64), requant=Requant.TFLITE)
    layer.zero_point = int(z_y[0])
    layer.clamp = activation_range(op.fused_activation, float(s_y[0]), int(z_y[0]))
    layer.scale = float(s_y[0])
    return layer
