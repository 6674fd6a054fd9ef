"""Which rounding does tflite-micro's int8 FULLY_CONNECTED use? An experiment.

Needs only ``tflite-micro``, ``flatbuffers`` and ``numpy`` (no TensorFlow):

    /work/tfvenv/bin/python tools/tflite_fixtures/rounding_experiment.py

TFLite's MultiplyByQuantizedMultiplier(acc, M, shift) exists in two versions
(tensorflow/lite/kernels/internal/common.cc, chosen at build time by
TFLITE_SINGLE_ROUNDING):

* double rounding: SaturatingRoundingDoublingHighMul(acc << max(shift, 0), M)
  (acc*M / 2^31 to nearest; its nudge and C's truncating division send ties
  upward, -0.5 -> 0), then RoundingDivideByPOT by max(-shift, 0) (to nearest,
  ties away from zero, -0.5 -> -1);
* single rounding: (acc*M + 2^(t-1)) >> t with t = 31 - shift (round half up).

They differ on negative ties of the final division (-2.5 -> -3 double, -2
single) and where the first rounding of the double version makes a tie. This script builds
one-layer int8 FULLY_CONNECTED models from scratch (flatbuffer object API)
whose multiplier makes such cases frequent, runs them in tflite-micro, and
compares every output with both formulas; then it does the same for every
FULLY_CONNECTED-only (RESHAPE allowed) int8 fixture in tests/fixtures/tflite/ (a whole
reference of the int8 layer: multiplier, activation clamp and all).
It prints the mismatch counts and a verdict.
"""

from __future__ import annotations

import sys
from pathlib import Path

import flatbuffers
import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent.parent / "tests" / "fixtures" / "tflite"
sys.path.insert(0, str(HERE.parent.parent / "tests"))  # tests/tflm.py
sys.path.insert(0, str(HERE.parent.parent))  # c64ml (NumPy only for these modules)
from tflm import run as tflm_run  # noqa: E402

from c64ml.model.tflite_int8 import quantize_multiplier, round_half_away  # noqa: E402,F401
from c64ml.model.tflite_logistic import (
    multiply_by_quantized_multiplier as mbqm_double,
)

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
ACT = fb.ActivationFunctionType


# ----------------------------------------------------------------- the formulas

def mbqm_single(x: int, m: int, shift: int) -> int:
    total = 31 - shift
    return (x * m + (1 << (total - 1))) >> total


def quantize_act(f: float, scale: float, zp: int) -> int:
    """TFLite's quantize lambda in CalculateActivationRangeQuantized:
    zp + (int)TfLiteRound(f / scale), the division in float32."""
    return zp + round_half_away(float(np.float32(f) / np.float32(scale)))


def act_range(act: int, scale: float, zp: int, qmin=-128, qmax=127) -> tuple[int, int]:
    if act == ACT.RELU:
        return max(qmin, quantize_act(0.0, scale, zp)), qmax
    if act == ACT.RELU6:
        return max(qmin, quantize_act(0.0, scale, zp)), min(qmax, quantize_act(6.0, scale, zp))
    if act == ACT.RELU_N1_TO_1:
        return max(qmin, quantize_act(-1.0, scale, zp)), min(qmax, quantize_act(1.0, scale, zp))
    return qmin, qmax


def multipliers(in_scale, w_scales, out_scale):
    """TFLM's FC Prepare: double(in_scale) * double(w_scale) / double(out_scale)
    for each channel, and also for per-tensor layers (product_precision()
    shows the pip tflite-micro does NOT form the float32 product in_s*w_s
    first, which the older GetQuantizedConvolutionMultipler source does)."""
    return [quantize_multiplier(float(np.float32(in_scale)) * float(np.float32(w))
                                / float(np.float32(out_scale))) for w in w_scales]


def fc_reference(x, layer, mbqm):
    """One int8 FULLY_CONNECTED on int8 samples x (n, in) with the given rounding."""
    w = layer["w"].astype(np.int64)
    b = layer["b"].astype(np.int64)
    acc = (x.astype(np.int64) - layer["in_zp"]) @ w.T + b
    mults = layer["mults"]
    if len(mults) == 1:
        mults = mults * w.shape[0]
    lo, hi = layer["act_range"]
    out = np.empty_like(acc)
    for c, (m, s) in enumerate(mults):
        out[:, c] = [mbqm(int(a), m, s) for a in acc[:, c]]
    return np.clip(out + layer["out_zp"], lo, hi).astype(np.int8)


# ----------------------------------------------------------------- models

def tensor(name, shape, ttype, buffer, scales=None, zps=None, qdim=0):
    t = fb.TensorT()
    t.name = name
    t.shape = np.array(shape, np.int32)
    t.type = ttype
    t.buffer = buffer
    if scales is not None:
        q = fb.QuantizationParametersT()
        q.scale = [float(s) for s in scales]
        q.zeroPoint = [int(z) for z in zps]
        q.quantizedDimension = qdim
        t.quantization = q
    return t


def buffer(data: bytes | None):
    b = fb.BufferT()
    b.data = None if data is None else np.frombuffer(data, np.uint8).copy()
    return b


def fc_model(w, b, in_scale, in_zp, w_scales, out_scale, out_zp, act=ACT.NONE) -> bytes:
    """A one-layer int8 FULLY_CONNECTED model, built from nothing.
    w: int8 (units, inputs); b: int32 (units); bias scales in_scale*w_scale."""
    units, n_in = w.shape
    b_scales = [float(np.float32(in_scale) * np.float32(s)) for s in w_scales]
    m = fb.ModelT()
    m.version = 3
    m.description = "c64ml rounding experiment"
    oc = fb.OperatorCodeT()
    oc.builtinCode = fb.BuiltinOperator.FULLY_CONNECTED
    oc.deprecatedBuiltinCode = fb.BuiltinOperator.FULLY_CONNECTED
    oc.version = 5
    m.operatorCodes = [oc]
    m.buffers = [buffer(None), buffer(None), buffer(w.astype(np.int8).tobytes()),
                 buffer(b.astype(np.int32).tobytes()), buffer(None)]
    sg = fb.SubGraphT()
    sg.name = "main"
    sg.tensors = [
        tensor("input", [1, n_in], fb.TensorType.INT8, 1, [in_scale], [in_zp]),
        tensor("weights", [units, n_in], fb.TensorType.INT8, 2, w_scales, [0] * len(w_scales)),
        tensor("bias", [units], fb.TensorType.INT32, 3, b_scales, [0] * len(b_scales)),
        tensor("output", [1, units], fb.TensorType.INT8, 4, [out_scale], [out_zp]),
    ]
    op = fb.OperatorT()
    op.opcodeIndex = 0
    op.inputs = [0, 1, 2]
    op.outputs = [3]
    op.builtinOptionsType = fb.BuiltinOptions.FullyConnectedOptions
    op.builtinOptions = fb.FullyConnectedOptionsT()
    op.builtinOptions.fusedActivationFunction = act
    sg.operators = [op]
    sg.inputs = [0]
    sg.outputs = [3]
    m.subgraphs = [sg]
    builder = flatbuffers.Builder(1024)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def read_fc_layers(buf: bytes):
    """The int8 FULLY_CONNECTED layers of a model made only of them (and
    RESHAPE), or None."""
    m = fb.ModelT.InitFromObj(fb.Model.GetRootAs(buf, 0))
    sg = m.subgraphs[0]
    layers = []
    for op in sg.operators:
        oc = m.operatorCodes[op.opcodeIndex]
        code = max(oc.builtinCode, oc.deprecatedBuiltinCode)
        if code == fb.BuiltinOperator.RESHAPE:
            continue  # int8 RESHAPE copies bytes; the reference flattens samples
        if code != fb.BuiltinOperator.FULLY_CONNECTED:
            return None
        t_in, t_w, t_b = (sg.tensors[i] for i in op.inputs)
        t_out = sg.tensors[op.outputs[0]]
        if t_in.type != fb.TensorType.INT8:
            return None
        data = lambda t: np.asarray(m.buffers[t.buffer].data, np.uint8).tobytes()  # noqa: E731
        w = np.frombuffer(data(t_w), np.int8).reshape(t_w.shape)
        b = np.frombuffer(data(t_b), np.int32)
        out_s, out_zp = float(t_out.quantization.scale[0]), int(t_out.quantization.zeroPoint[0])
        act = op.builtinOptions.fusedActivationFunction
        layers.append({
            "w": w, "b": b,
            "in_zp": int(t_in.quantization.zeroPoint[0]),
            "out_zp": out_zp,
            "mults": multipliers(float(t_in.quantization.scale[0]),
                                 list(t_w.quantization.scale), out_s),
            "act_range": act_range(act, out_s, out_zp),
        })
    return layers


# ----------------------------------------------------------------- experiment

def compare(name, buf, x, layers):
    got = tflm_run(buf, x).astype(np.int64)
    res = {}
    for label, f in (("double", mbqm_double), ("single", mbqm_single)):
        h = x.reshape(len(x), -1)
        for layer in layers:
            h = fc_reference(h, layer, f)
        res[label] = int(np.sum(h.astype(np.int64) != got))
    print(f"{name:28s} {got.size:6d} outputs   mismatches: double {res['double']:5d}"
          f"   single {res['single']:5d}")
    return res


def crafted():
    totals = {"double": 0, "single": 0}
    all_inputs = np.arange(-128, 128, dtype=np.int8).reshape(-1, 1)
    # A: multiplier exactly 1/8 (M = 2^30, shift = -2): acc/8 has many ties
    w = np.array([[1], [3], [-5], [7], [-1], [2]], np.int8)
    b = np.array([0, 1, -2, 3, 4, -4], np.int32)
    buf = fc_model(w, b, 1.0, 0, [1.0], 8.0, 0)
    layers = read_fc_layers(buf)
    print(f"A: multiplier {layers[0]['mults'][0]} (M, shift): acc/8, ties at acc = 4 mod 8")
    for k, v in compare("A per-tensor, real 1/8", buf, all_inputs, layers).items():
        totals[k] += v
    # A worked example: x = -4, w = 1, b = 0 -> acc = -4, -4/8 = -0.5
    m, s = layers[0]["mults"][0]
    y = tflm_run(buf, np.array([[-4]], np.int8))[0, 0]
    print(f"   x=-4, w=1: acc=-4, real -0.5 -> tflite-micro {y}, "
          f"double {mbqm_double(-4, m, s)}, single {mbqm_single(-4, m, s)}")
    # B: multiplier 3/16 per channel and a zero point: double rounding of ties
    w = np.array([[1], [-1], [5], [-7]], np.int8)
    b = np.array([0, 0, 3, -3], np.int32)
    buf = fc_model(w, b, 0.5, -3, [0.375, 0.375, 0.75, 0.09375], 1.0, 5)
    layers = read_fc_layers(buf)
    print(f"B: multipliers {layers[0]['mults']}")
    for k, v in compare("B per-channel, real 3/16..", buf, all_inputs, layers).items():
        totals[k] += v
    # C: random multipliers, many inputs, all fused activations
    rng = np.random.default_rng(1)
    for act in (ACT.NONE, ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1):
        w = rng.integers(-127, 128, (8, 6)).astype(np.int8)
        b = rng.integers(-3000, 3000, 8).astype(np.int32)
        w_scales = list(rng.uniform(0.002, 0.03, 8))
        buf = fc_model(w, b, 0.04, int(rng.integers(-128, 128)), w_scales,
                       0.05, int(rng.integers(-20, 20)), act)
        x = rng.integers(-128, 128, (2000, 6)).astype(np.int8)
        name = f"C random, {[k for k, v in vars(ACT).items() if v == act][0]}"
        for k, v in compare(name, buf, x, read_fc_layers(buf)).items():
            totals[k] += v
    # E: activation bounds on exact ties: act = zp + round(real / scale),
    # halves away from zero (banker's rounding would give 0 for all of these)
    for act, out_s, reals in ((ACT.RELU_N1_TO_1, 2.0, (-1.0, 1.0)), (ACT.RELU6, 12.0, (0.0, 6.0))):
        buf = fc_model(np.array([[1]], np.int8), np.array([0], np.int32),
                       1.0, 0, [1.0], out_s, 0, act)
        layers = read_fc_layers(buf)
        got = tflm_run(buf, all_inputs)
        name = [k for k, v in vars(ACT).items() if v == act][0]
        print(f"E: {name}, output scale {out_s}: real bounds {reals} -> formula "
              f"{layers[0]['act_range']}, tflite-micro outputs span "
              f"[{int(got.min())}, {int(got.max())}]")
        for k, v in compare(f"E {name} tie bounds", buf, all_inputs, layers).items():
            totals[k] += v
    return totals


def mbqm_double_np(acc: np.ndarray, m: int, shift: int) -> np.ndarray:
    """mbqm_double on an int64 array (|acc| < 2^31, shift <= 0)."""
    ab = acc.astype(np.int64) * m
    num = ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    high = np.sign(num) * (np.abs(num) >> 31)
    e = -shift
    mask = (1 << e) - 1
    threshold = (mask >> 1) + (high < 0)
    return (high >> e) + ((high & mask) > threshold)


def product_precision(cases=6):
    """Per-tensor layers: is the multiplier double(float32(in_s * w_s)) / out_s
    (as GetQuantizedConvolutionMultipler reads in the stored TFLite source) or
    double(in_s) * double(w_s) / out_s (as the per-channel path computes it)?
    Find scales and accumulators where the two give different outputs, build
    a one-input one-unit model (w = 1, zp = 0, bias = the accumulator) and run it."""
    rng = np.random.default_rng(7)
    votes = {"float32 product": 0, "double product": 0, "neither": 0}
    for _ in range(20000):
        if sum(votes.values()) >= cases:
            break
        in_s, w_s, out_s = (np.float32(v) for v in rng.uniform(0.001, 0.1, 3))
        m1 = quantize_multiplier(float(in_s * w_s) / float(out_s))
        m2 = quantize_multiplier(float(in_s) * float(w_s) / float(out_s))
        if m1 == m2 or m1[1] > 0:
            continue
        real = float(in_s * w_s) / float(out_s)
        acc = np.arange(-int(120 / real), int(120 / real), dtype=np.int64)
        diff = np.nonzero(mbqm_double_np(acc, *m1) != mbqm_double_np(acc, *m2))[0]
        if not len(diff):
            continue
        a = int(acc[diff[0]])
        buf = fc_model(np.array([[1]], np.int8), np.array([a], np.int32),
                       float(in_s), 0, [float(w_s)], float(out_s), 0)
        got = int(tflm_run(buf, np.zeros((1, 1), np.int8))[0, 0])
        f32, f64 = mbqm_double(a, *m1), mbqm_double(a, *m2)
        kind = ("float32 product" if got == f32 else
                "double product" if got == f64 else "neither")
        votes[kind] += 1
        print(f"D: scales in {float(in_s):.9g} w {float(w_s):.9g} out {float(out_s):.9g}: "
              f"M {m1} vs {m2}; acc {a}: tflite-micro {got}, float32 product {f32}, "
              f"double product {f64}")
    print(f"   per-tensor multiplier: {votes}")
    return votes


def fixtures():
    totals = {"double": 0, "single": 0}
    for path in sorted(FIXTURES.glob("int8_*.tflite")):
        buf = path.read_bytes()
        layers = read_fc_layers(buf)
        if layers is None:
            continue
        x = np.load(path.with_suffix(".npz"))["x"]
        for k, v in compare(path.stem, buf, x, layers).items():
            totals[k] += v
    return totals


def main():
    print("== crafted one-layer models")
    a = crafted()
    print("== per-tensor multiplier: float32 or double product of the scales?")
    product_precision()
    print("== FULLY_CONNECTED-only int8 fixtures (whole-model reference)")
    b = fixtures()
    d, s = a["double"] + b["double"], a["single"] + b["single"]
    print(f"== total mismatches: double rounding {d}, single rounding {s}")
    if d == 0 and s > 0:
        print("VERDICT: tflite-micro's int8 FULLY_CONNECTED uses DOUBLE rounding "
              "(SaturatingRoundingDoublingHighMul + RoundingDivideByPOT)")
    elif s == 0 and d > 0:
        print("VERDICT: tflite-micro's int8 FULLY_CONNECTED uses SINGLE rounding "
              "(TFLITE_SINGLE_ROUNDING)")
    else:
        print("VERDICT: inconclusive")
        sys.exit(1)


if __name__ == "__main__":
    main()
