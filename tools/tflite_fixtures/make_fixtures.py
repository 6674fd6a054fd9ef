"""Regenerate the .tflite test fixtures in tests/fixtures/tflite/.

CI does NOT run this and does not need TensorFlow: the fixtures are committed.
This script needs TensorFlow, so run it from a separate venv outside the repo:

    python3 -m venv /work/tfvenv
    /work/tfvenv/bin/pip install tensorflow-cpu tflite-micro numpy scikit-learn
    /work/tfvenv/bin/python tools/tflite_fixtures/make_fixtures.py

(made with tensorflow-cpu 2.21.0, keras 3.15.1, tflite-micro 0.dev20261023182759).

For every fixture NAME.tflite it also writes NAME.npz: ``x`` (64 seeded input
samples, int8 for int8-input models, float32 for float-input ones, spread over
the whole input range and a little past it) and ``tflm`` (what the tflite-micro
interpreter outputs for them, kept as a record; the tests run tflite-micro
live). It then rewrites README.md there with the table of fixtures.

Weights are drawn from a seeded numpy generator (no training) except for the
784-input model, which is trained for a few epochs on scikit-learn's bundled
8x8 digits scaled up to 28x28. Flatbuffer edits (see ``edit_model``) are made
with the object API of the flatbuffer schema that tflite-micro ships.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = ROOT / "tests" / "fixtures" / "tflite"
sys.path.insert(0, str(HERE.parent.parent / "tests"))  # tests/tflm.py
sys.path.insert(0, str(HERE))

import flatbuffers  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from digits28 import digits28  # noqa: E402  (NumPy and scikit-learn only)
from tflite_micro.tensorflow.lite.micro.python import (  # noqa: E402
    schema_py_generated as fb,
)
from tflm import run as tflm_run  # noqa: E402

N_SAMPLES = 64
OP_NAMES = {v: k for k, v in vars(fb.BuiltinOperator).items() if not k.startswith("_")}
ACT_NAMES = {v: k for k, v in vars(fb.ActivationFunctionType).items() if not k.startswith("_")}
TYPE_NAMES = {v: k for k, v in vars(fb.TensorType).items() if not k.startswith("_")}


# ----------------------------------------------------------------- flatbuffers

def load_model(buf: bytes) -> "fb.ModelT":
    return fb.ModelT.InitFromObj(fb.Model.GetRootAs(buf, 0))


def save_model(model: "fb.ModelT") -> bytes:
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def op_name(model, op) -> str:
    oc = model.operatorCodes[op.opcodeIndex]
    return OP_NAMES[max(oc.builtinCode, oc.deprecatedBuiltinCode)]


def describe(buf: bytes) -> dict:
    """Operators, fused activations, weight-scale kind, input zp/type of a model."""
    m = load_model(buf)
    sg = m.subgraphs[0]
    ops, acts, kinds = [], [], set()
    for op in sg.operators:
        name = op_name(m, op)
        ops.append(name)
        fa = getattr(op.builtinOptions, "fusedActivationFunction", None)
        if name in ("FULLY_CONNECTED", "CONV_2D"):
            acts.append(ACT_NAMES[fa])
            w = sg.tensors[op.inputs[1]]
            q = w.quantization
            if q is not None and q.scale is not None and len(q.scale) > 0:
                kinds.add("per-channel" if len(q.scale) > 1 else "per-tensor")
            else:
                kinds.add("float")
    t_in = sg.tensors[sg.inputs[0]]
    q = t_in.quantization
    zp = None if q is None or q.zeroPoint is None or len(q.zeroPoint) == 0 else int(q.zeroPoint[0])
    return {
        "ops": ops,
        "acts": acts,
        "scales": "/".join(sorted(kinds)),
        "in_type": TYPE_NAMES[t_in.type],
        "in_shape": list(t_in.shape),
        "out_type": TYPE_NAMES[sg.tensors[sg.outputs[0]].type],
        "in_zp": zp,
    }


# ----------------------------------------------------------------- models

def dense_model(n_in, layers, seed, input_shape=None, flatten=False, tail=None,
                w_gain=1.0, b_sd=0.3):
    """A Keras MLP with seeded weights. layers: [(units, activation)], where
    activation is None, 'relu', 'relu6', 'relu1' (clip to [-1, 1]),
    'tanh' or 'sigmoid'. tail: None, 'softmax' or 'sigmoid' after the last Dense."""
    rng = np.random.default_rng(seed)
    # a fixed batch of 1 keeps Flatten a plain RESHAPE (no SHAPE/STRIDED_SLICE/PACK)
    inp = keras.Input(input_shape or (n_in,), batch_size=1 if flatten else None)
    x = keras.layers.Flatten()(inp) if flatten else inp
    fan_in = n_in
    dense_layers = []
    for units, act in layers:
        d = keras.layers.Dense(units)
        x = d(x)
        dense_layers.append((d, fan_in, units))
        if act == "relu":
            x = keras.layers.ReLU()(x)
        elif act == "relu6":
            x = keras.layers.ReLU(max_value=6.0)(x)
        elif act == "relu1":
            x = keras.ops.clip(x, -1.0, 1.0)
        elif act == "tanh":
            x = keras.layers.Activation("tanh")(x)
        elif act == "sigmoid":
            x = keras.layers.Activation("sigmoid")(x)
        fan_in = units
    if tail == "softmax":
        x = keras.layers.Softmax()(x)
    elif tail == "sigmoid":
        x = keras.layers.Activation("sigmoid")(x)
    model = keras.Model(inp, x)
    for d, fi, units in dense_layers:
        w = rng.normal(0.0, w_gain * 1.5 / np.sqrt(fi), (fi, units)).astype(np.float32)
        b = rng.normal(0.0, b_sd, units).astype(np.float32)
        d.set_weights([w, b])
    return model


def convert_int8(model, rep, *, per_channel=True, io="int8", mode="int8"):
    c = tf.lite.TFLiteConverter.from_keras_model(model)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    c.representative_dataset = lambda: ([r[None].astype(np.float32)] for r in rep)
    if mode == "int16x8":
        c.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        ]
    else:
        c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if not per_channel:
        c._experimental_disable_per_channel = True
    if io == "int8":
        c.inference_input_type = tf.int8
        c.inference_output_type = tf.int8
    elif io == "int16":
        c.inference_input_type = tf.int16
        c.inference_output_type = tf.int16
    return c.convert()


def convert_float(model):
    return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def input_quant(buf):
    sg = load_model(buf).subgraphs[0]
    q = sg.tensors[sg.inputs[0]].quantization
    return float(q.scale[0]), int(q.zeroPoint[0])


# ----------------------------------------------------------------- samples

def int_samples(shape, seed, lo=-128, hi=127, zp=None, dtype=np.int8):
    """64 integer samples: all-min, all-max, all-zp, then uniform over [lo, hi]."""
    rng = np.random.default_rng(seed)
    x = rng.integers(lo, hi + 1, size=(N_SAMPLES, *shape))
    x[0] = lo
    x[1] = hi
    if zp is not None:
        x[2] = zp
    # a few rows that mix the extremes only
    x[3] = rng.choice([lo, hi], size=shape)
    return x.astype(dtype)


def float_samples(shape, lo, hi, seed):
    """64 float samples over [lo, hi] widened by a quarter each side."""
    rng = np.random.default_rng(seed)
    pad = 0.25 * (hi - lo)
    x = rng.uniform(lo - pad, hi + pad, size=(N_SAMPLES, *shape)).astype(np.float32)
    x[0] = lo
    x[1] = hi
    x[2] = 0.0
    return x


def rep_data(shape, lo, hi, seed, n=256):
    return np.random.default_rng(seed).uniform(lo, hi, size=(n, *shape)).astype(np.float32)


# ----------------------------------------------------------------- fixture list

FIXTURES: list[dict] = []


def fixture(name, buf, x, special="", edited=""):
    (OUT / f"{name}.tflite").write_bytes(buf)
    try:
        y = tflm_run(buf, x)
    except Exception as exc:  # noqa: BLE001 - a record of what TFLM does
        print(f"  {name}: tflite-micro failed: {exc}")
        y = np.zeros((0,), np.float32)
    np.savez_compressed(OUT / f"{name}.npz", x=x, tflm=y)
    info = describe(buf)
    info.update(name=name, special=special, edited=edited, size=len(buf))
    FIXTURES.append(info)
    print(f"  {name}: {len(buf)} bytes, ops {info['ops']}, acts {info['acts']}, "
          f"{info['scales']}, input zp {info['in_zp']}")


def int8_fixture(name, model, in_shape, lo, hi, seed, *, per_channel=True, special=""):
    buf = convert_int8(model, rep_data(in_shape, lo, hi, seed), per_channel=per_channel)
    _, zp = input_quant(buf)
    fixture(name, buf, int_samples(in_shape, seed + 1, zp=zp), special)
    return buf


def edit_output_quant(buf, changes):
    """Give FC outputs other quantization: changes {op index: (scale, zp)}.

    An edited tensor also feeds the next FC, which then reads it with the new
    parameters; that layer's int32 bias is requantized to the new
    input_scale*weight_scale (TFLM checks the bias scale for per-tensor
    layers) and its bias scale set to match."""
    m = load_model(buf)
    sg = m.subgraphs[0]
    for i, (scale, zp) in changes.items():
        t_idx = sg.operators[i].outputs[0]
        q = sg.tensors[t_idx].quantization
        q.scale = [float(scale)]
        q.zeroPoint = [int(zp)]
        q.min = None
        q.max = None
        for op in sg.operators:
            if op_name(m, op) != "FULLY_CONNECTED" or op.inputs[0] != t_idx:
                continue
            w_scale = np.asarray(sg.tensors[op.inputs[1]].quantization.scale, np.float32)
            bt = sg.tensors[op.inputs[2]]
            bbuf = m.buffers[bt.buffer]
            old = np.frombuffer(np.asarray(bbuf.data, np.uint8).tobytes(), np.int32)
            old_scale = np.asarray(bt.quantization.scale, np.float64)
            new_scale = (np.float32(scale) * w_scale).astype(np.float32)
            new = np.round(old * old_scale / new_scale.astype(np.float64)).astype(np.int32)
            bbuf.data = np.frombuffer(new.tobytes(), np.uint8).copy()
            bt.quantization.scale = [float(v) for v in new_scale]
    return save_model(m)


# ----------------------------------------------------------------- the fixtures

def make_int8():
    # 1..4 layers
    int8_fixture("int8_1layer_pc", dense_model(8, [(4, None)], 1), (8,), 0.0, 1.0, 10,
                 special="inputs in [0,1]")
    int8_fixture("int8_1layer_pt", dense_model(8, [(4, None)], 2), (8,), -3.0, 5.0, 20,
                 per_channel=False, special="inputs in [-3,5]")
    int8_fixture("int8_2layer_pc", dense_model(8, [(12, "relu"), (4, None)], 3), (8,),
                 0.0, 1.0, 30)
    int8_fixture("int8_3layer_pt",
                 dense_model(6, [(10, "relu"), (8, "relu"), (3, None)], 4), (6,),
                 -3.0, 5.0, 40, per_channel=False)
    int8_fixture("int8_4layer_pc",
                 dense_model(16, [(16, "relu"), (12, "relu6"), (8, "relu"), (4, None)], 5),
                 (16,), -3.0, 5.0, 50)
    # every fused activation; gain > 1 so relu6 / relu1 really clip
    acts = [(8, "relu"), (8, "relu6"), (8, "relu1"), (4, None)]
    int8_fixture("int8_acts_pc", dense_model(4, acts, 6, w_gain=2.5), (4,), 0.0, 1.0, 60,
                 special="all four fused activations")
    buf = int8_fixture("int8_acts_pt", dense_model(4, acts, 7, w_gain=2.5), (4,),
                       -3.0, 5.0, 70, per_channel=False,
                       special="all four fused activations")
    # clamps that bite: outputs quantized wider than the activation's range
    edited = edit_output_quant(buf, {0: (0.05, 10), 1: (0.0625, -50), 2: (0.02, 7)})
    _, zp = input_quant(edited)
    fixture("int8_acts_wideout_pt", edited, int_samples((4,), 71, zp=zp),
            special="act_min/act_max inside [-128,127]",
            edited="output scale/zp of the RELU, RELU6 and RELU_N1_TO_1 layers set to "
                   "(0.05, 10), (0.0625, -50), (0.02, 7); next layers' biases requantized")
    # RESHAPE in front
    int8_fixture("int8_flatten_pc",
                 dense_model(16, [(8, "relu"), (3, None)], 8, input_shape=(4, 4), flatten=True),
                 (4, 4), 0.0, 1.0, 80, special="input (1,4,4), RESHAPE first")
    # trailing SOFTMAX / LOGISTIC
    int8_fixture("int8_softmax_pc",
                 dense_model(6, [(8, "relu"), (4, None)], 9, tail="softmax"), (6,),
                 0.0, 1.0, 90, special="trailing SOFTMAX")
    int8_fixture("int8_logistic_pt",
                 dense_model(6, [(8, "relu"), (3, None)], 10, tail="sigmoid"), (6,),
                 -3.0, 5.0, 100, per_channel=False, special="trailing LOGISTIC")
    # float input and output around an int8 model
    model = dense_model(5, [(8, "relu"), (3, None)], 11)
    buf = convert_int8(model, rep_data((5,), -3.0, 5.0, 110), io="float32")
    fixture("int8_float_io_pc", buf, float_samples((5,), -3.0, 5.0, 111),
            special="float32 in/out: QUANTIZE first, DEQUANTIZE last")


def make_refusals():
    # CONV_2D (int8)
    keras.utils.set_random_seed(12)
    inp = keras.Input((4, 4, 1), batch_size=1)
    x = keras.layers.Conv2D(2, 3, activation="relu")(inp)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(3)(x)
    conv = keras.Model(inp, x)
    buf = convert_int8(conv, rep_data((4, 4, 1), 0.0, 1.0, 120))
    _, zp = input_quant(buf)
    fixture("refuse_int8_conv", buf, int_samples((4, 4, 1), 121, zp=zp),
            special="refuse: CONV_2D")
    # ADD of two Dense branches (int8)
    rng = np.random.default_rng(13)
    inp = keras.Input((4,))
    d1, d2 = keras.layers.Dense(3), keras.layers.Dense(3)
    x = keras.layers.Add()([d1(inp), d2(inp)])
    add = keras.Model(inp, x)
    for d in (d1, d2):
        d.set_weights([rng.normal(0, 0.7, (4, 3)).astype(np.float32),
                       rng.normal(0, 0.3, 3).astype(np.float32)])
    buf = convert_int8(add, rep_data((4,), 0.0, 1.0, 130))
    _, zp = input_quant(buf)
    fixture("refuse_int8_add", buf, int_samples((4,), 131, zp=zp), special="refuse: ADD")
    # int16 activations, int8 weights
    model = dense_model(6, [(8, "relu"), (3, None)], 14)
    buf = convert_int8(model, rep_data((6,), 0.0, 1.0, 140), io="int16", mode="int16x8")
    fixture("refuse_int16x8", buf,
            int_samples((6,), 141, lo=-32768, hi=32767, zp=0, dtype=np.int16),
            special="refuse: int16 activations (16x8 mode)")
    # float model with CONV_2D
    buf = convert_float(conv)
    fixture("refuse_float_conv", buf, float_samples((4, 4, 1), 0.0, 1.0, 150),
            special="refuse: float CONV_2D")


def make_float():
    fixture("float_mlp",
            convert_float(dense_model(6, [(8, "relu"), (8, "tanh"), (8, "sigmoid"), (4, None)],
                                      15, tail="softmax")),
            float_samples((6,), -3.0, 5.0, 160),
            special="TANH and LOGISTIC ops, trailing SOFTMAX")
    fixture("float_fused",
            convert_float(dense_model(4, [(8, "relu"), (8, "relu6"), (8, "relu1"), (3, None)],
                                      16, w_gain=2.5)),
            float_samples((4,), -3.0, 5.0, 170), special="float fused activations")
    fixture("float_logistic",
            convert_float(dense_model(5, [(6, "relu"), (3, "sigmoid")], 17)),
            float_samples((5,), 0.0, 1.0, 180), special="LOGISTIC as a separate op")
    fixture("float_tanh",
            convert_float(dense_model(5, [(6, "tanh"), (3, None)], 18)),
            float_samples((5,), -3.0, 5.0, 190), special="TANH as a separate op")


def make_wide():
    keras.utils.set_random_seed(19)
    tf.config.experimental.enable_op_determinism()
    x, y = digits28()
    perm = np.random.default_rng(19).permutation(len(x))
    x, y = x[perm], y[perm]
    xtr, ytr, xte, yte = x[:1500], y[:1500], x[1500:], y[1500:]
    inp = keras.Input((784,))
    h = keras.layers.Dense(32, activation="relu")(inp)
    out = keras.layers.Dense(10)(h)
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(xtr, ytr, epochs=8, batch_size=32, verbose=0, shuffle=True)
    acc = model.evaluate(xte, yte, verbose=0)[1]
    buf = convert_int8(model, xtr[:300])
    scale, zp = input_quant(buf)
    xq = np.clip(np.round(xte[:N_SAMPLES] / scale) + zp, -128, 127).astype(np.int8)
    xq[0] = -128
    xq[1] = 127
    yq = tflm_run(buf, xq)
    acc8 = float(np.mean(np.argmax(yq[2:], 1) == yte[2:N_SAMPLES]))
    fixture("int8_wide784_pc", buf, xq,
            special=f"784-32-10 on 8x8 digits scaled to 28x28 (float test acc {acc:.3f}, "
                    f"int8 acc on the 62 digit rows {acc8:.3f}); rows 0/1 all -128/127")


# ----------------------------------------------------------------- README

README_HEAD = """\
# TFLite fixtures

Small `.tflite` models for testing c64ml's TFLite importer against the
TensorFlow Lite Micro reference kernels (pip package `tflite-micro`). They are
generated, do not edit them by hand:

    python3 -m venv /work/tfvenv   # anywhere outside the repo
    /work/tfvenv/bin/pip install tensorflow-cpu tflite-micro numpy scikit-learn
    /work/tfvenv/bin/python tools/tflite_fixtures/make_fixtures.py

(`make_fixtures.py` is seeded; it was run with tensorflow-cpu 2.21.0, keras
3.15.1, tflite-micro 0.dev20261023182759. CI needs neither TensorFlow nor this
script; the tests need `tflite-micro` to run the models live.)

Each `NAME.tflite` comes with `NAME.npz`: `x` holds 64 input samples (int8 for
int8-input models, int16 for the 16x8 one, float32 for float-input ones;
rows 0 and 1 are the lowest and highest input everywhere; for integer
inputs row 2 is the input zero point, row 3 a mix of the two extremes and
the rest uniform over the whole range; for float inputs row 2 is 0.0 and the
rest reach a quarter of the range past each end; `int8_wide784_pc` has
quantized digit images in rows 2-63) and `tflm` the outputs of the
`tflite-micro` interpreter for them (a record; `tests/tflm.py`
shows how to run it). Batch size is 1: the input tensor is `(1, ...)`.

Names: `_pc` per-channel weight scales (the converter's default for Dense
layers in TF 2.21), `_pt` per-tensor ones (`converter._experimental_disable_per_channel
= True`), `refuse_` models the importer must refuse.

"""

README_TAIL = """
Activations are the FULLY_CONNECTED fused activations in layer order; TANH,
LOGISTIC and SOFTMAX are separate operators (the converter never fuses tanh
or sigmoid into FULLY_CONNECTED). `keras.ops.clip(x, -1, 1)` after a Dense
layer is fused by the converter as RELU_N1_TO_1, `ReLU(max_value=6)` as RELU6.

## Flatbuffer edits

Only `int8_acts_wideout_pt.tflite` is edited after conversion (with the object
API of the schema tflite-micro ships, `ModelT.InitFromObj` / `Pack`): the
converter always gives a fused-activation layer an output range equal to the
activation's range, so the clamp bounds act_min/act_max (almost) coincide
with -128/127 (RELU, RELU6: scale 6/255, zp -128; RELU_N1_TO_1: scale
2/255, zp -1, hence [-128, 126]). The edit gives the outputs of the three
activated layers wider (scale, zero point) so the clamps fall inside the int8
range: act = round(real / scale) + zp with real 0, 6, -1, 1. The layers
that read an edited tensor get their int32 biases requantized to the new
input_scale * weight_scale (and that bias scale), since TFLM checks the bias
scale of per-tensor layers; weights are unchanged. Resulting clamps:
RELU [10, 127], RELU6 [-50, 46], RELU_N1_TO_1 [-43, 57].

## What tflite-micro computes for an int8 FULLY_CONNECTED

Established by `tools/tflite_fixtures/rounding_experiment.py` (needs only
`tflite-micro`, `flatbuffers`, `numpy`; it also re-derives every
FULLY_CONNECTED-only int8 fixture above bit-exactly):

- Converter output: weights int8 symmetric (zero point 0, values in
  [-127, 127]), per-channel along dimension 0 (the output unit) with scale
  max|w_c|/127 (every channel has a +-127); bias int32, zero point 0,
  scale[c] = float32(input_scale * weight_scale[c]).
- acc = bias[c] + sum_i w[c,i] * (x[i] - input_zp), int32.
- real = double(input_scale) * double(weight_scale[c]) / double(output_scale),
  for per-tensor layers too (the float32 product `input_scale*weight_scale`
  found in older TFLite source gives different outputs for some scales; the
  pip tflite-micro does not use it). (M, shift) = QuantizeMultiplier(real):
  q, shift = frexp(real); M = round_half_away(q * 2^31); if M == 2^31:
  M = 2^30, shift += 1.
- y = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc * 2^max(shift,0), M),
  max(-shift, 0)) + output_zp: the DOUBLE rounding (not TFLITE_SINGLE_ROUNDING's
  (acc*M + 2^(t-1)) >> t).
- y clamped to [act_min, act_max]: NONE [-128, 127]; RELU [max(-128, q(0)), 127];
  RELU6 [max(-128, q(0)), min(127, q(6))]; RELU_N1_TO_1 [max(-128, q(-1)),
  min(127, q(1))] with q(r) = output_zp + round_half_away(float32(r) /
  float32(output_scale)) (TfLiteRound on a float32 quotient).
"""


def write_readme():
    lines = ["| file | ops | FC activations | weight scales | input | input zp | bytes | special |",
             "|---|---|---|---|---|---|---|---|"]
    for f in FIXTURES:
        shape = "x".join(str(s) for s in f["in_shape"])
        special = f["special"] + (" (flatbuffer-edited)" if f["edited"] else "")
        lines.append(
            f"| `{f['name']}.tflite` | {', '.join(f['ops'])} | {', '.join(f['acts'])} "
            f"| {f['scales']} | {f['in_type'].lower()} {shape} "
            f"| {'' if f['in_zp'] is None else f['in_zp']} | {f['size']} | {special} |")
    (OUT / "README.md").write_text(README_HEAD + "\n".join(lines) + "\n" + README_TAIL)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for p in list(OUT.glob("*.tflite")) + list(OUT.glob("*.npz")):
        p.unlink()
    make_int8()
    make_refusals()
    make_float()
    make_wide()
    write_readme()
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{len(FIXTURES)} fixtures, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
