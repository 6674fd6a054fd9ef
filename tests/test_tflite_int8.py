"""int8 .tflite → qmodel, bit-exact with TensorFlow Lite Micro's reference kernels.

For every committed int8 fixture (tests/fixtures/tflite, made by
tools/tflite_fixtures/make_fixtures.py with TensorFlow; per-channel and per-tensor weights,
every fused activation, 1 to 4 layers, input zero points −128 and others, 784 inputs), on
every sample: the 6502 code in the emulated C64, the NumPy reference and the LLVM JIT give
exactly the int8 output bytes the live tflite-micro interpreter gives. A dropped trailing
SOFTMAX keeps the class (except on ties), a trailing LOGISTIC is computed exactly; a DEQUANTIZE at the end gives the same
real values. Refusals are one line naming the operator and its index.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tflm import run as tflm_run

from c64ml.backend6502.strategy import build_optimized
from c64ml.errors import C64mlError
from c64ml.exec import reference
from c64ml.exec.jit import compile_qmodel
from c64ml.model.load import load_model_file
from c64ml.model.qmodel import QModel, qmodel_from_json
from c64ml.model.tflite_int8 import (
    activation_range,
    quantize_multiplier,
    round_half_away,
)
from c64ml.spec import Requant
from c64ml.verify.harness import run_build

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tflite"
EXACT = ["int8_1layer_pc", "int8_1layer_pt", "int8_2layer_pc", "int8_3layer_pt",
         "int8_4layer_pc", "int8_acts_pc", "int8_acts_pt", "int8_acts_wideout_pt",
         "int8_flatten_pc", "int8_wide784_pc", "int8_logistic_pt"]
DROPPED = {"int8_softmax_pc": "SOFTMAX"}
REFUSED = {
    "refuse_int8_conv": r"operator 0 \(CONV_2D\) is not supported",
    "refuse_int8_add": r"operator 2 \(ADD\) is not supported",
    "refuse_int16x8": r"operator 0 \(FULLY_CONNECTED\): input tensor .* is int16",
}


def _load(name: str) -> tuple[QModel, bytes, np.ndarray]:
    path = FIXTURES / f"{name}.tflite"
    model = load_model_file(path)
    assert isinstance(model, QModel)
    return model, path.read_bytes(), np.load(FIXTURES / f"{name}.npz")["x"]


def _bytes_of(x: np.ndarray) -> np.ndarray:
    """int8 input values → the program's input bytes (q + 128, semantics §1.2)."""
    return (x.reshape(len(x), -1).astype(np.int16) + 128).astype(np.uint8)


@pytest.mark.parametrize("optimize", ["size", "speed"])
@pytest.mark.parametrize("name", EXACT)
def test_every_output_byte_matches_tflite_micro_on_the_c64(name, optimize):
    model, data, x = _load(name)
    want = tflm_run(data, x).reshape(len(x), -1).astype(np.int8)
    assert all(layer.requant == Requant.TFLITE for layer in model.layers)
    assert not model.info["dropped"]  # a trailing LOGISTIC is computed, as a table
    q = _bytes_of(x)
    n = model.n_out
    ref = reference.output_bytes(model, q)
    np.testing.assert_array_equal(ref[:, :n].view(np.int8), want)
    np.testing.assert_array_equal(compile_qmodel(model).output_bytes(q), ref)
    if optimize == "speed" and model.inputs > 256:
        pytest.skip("the 784-input model has no unrolled build that fits")
    c64 = run_build(build_optimized(model, optimize), q)
    bad = np.flatnonzero(np.any(c64.outputs != ref, axis=1))
    assert bad.size == 0, f"sample {bad[0]}: C64 {c64.outputs[bad[0]]} != {ref[bad[0]]}"


@pytest.mark.parametrize("name", sorted(DROPPED))
def test_a_dropped_trailing_operator_keeps_the_class(name):
    model, data, x = _load(name)
    assert [d["operator"] for d in model.info["dropped"]] == [DROPPED[name]]
    probs = tflm_run(data, x).reshape(len(x), -1).astype(np.int64)
    mine = reference.output_bytes(model, _bytes_of(x))
    cls = mine[:, -1].astype(np.int64)
    best = probs.max(axis=1)
    # the class TFLM's output gives, unless its outputs tie at the top
    untied = np.sum(probs == best[:, None], axis=1) == 1
    assert untied.sum() >= len(x) // 2
    np.testing.assert_array_equal(cls[untied], np.argmax(probs, axis=1)[untied])
    # and whatever TFLM ties on, c64ml's class is one of the tied ones
    assert np.all(probs[np.arange(len(x)), cls] == best)


def test_float_input_and_output_are_quantized_and_dequantized_as_tflite_does():
    model, data, x = _load("int8_float_io_pc")
    assert model.input_quant is not None
    want = tflm_run(data, x).reshape(len(x), -1)
    q = model.input_bytes(x.reshape(len(x), -1))
    np.testing.assert_array_equal(compile_qmodel(model).input_bytes(x.reshape(len(x), -1)), q)
    y = reference.output_bytes(model, q)[:, :model.n_out].view(np.int8).astype(np.float64)
    out = model.info["output"]
    np.testing.assert_array_equal(np.float32(out["scale"]) * (y - out["zero_point"]).astype(
        np.float32), want)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refusals_name_the_operator(name):
    with pytest.raises(C64mlError, match=REFUSED[name]) as e:
        load_model_file(FIXTURES / f"{name}.tflite")
    assert "\n" not in str(e.value) and f"{name}.tflite" in str(e.value)


def test_a_qmodel_file_round_trips():
    model, _, x = _load("int8_acts_pt")
    again = qmodel_from_json(model.to_json())
    q = _bytes_of(x)
    np.testing.assert_array_equal(reference.output_bytes(again, q),
                                  reference.output_bytes(model, q))
    assert again.input_quant == model.input_quant


# -- the pieces, against TFLite's definitions -------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.floats(1e-9, 1e3, allow_nan=False))
def test_quantize_multiplier_is_frexp_and_round_half_away(real):
    m, shift = quantize_multiplier(real)
    assert (1 << 30) <= m < (1 << 31)
    assert abs(m * 2.0 ** (shift - 31) - real) <= 2.0 ** (shift - 32) * 1.0000001
    q, e = math.frexp(real)
    assert shift in (e, e + 1)


def test_quantize_multiplier_edges():
    assert quantize_multiplier(0.0) == (0, 0)
    assert quantize_multiplier(0.5) == (1 << 30, 0)
    assert quantize_multiplier(1.0) == (1 << 30, 1)
    # q·2^31 rounds up to 2^31: halved, shift + 1
    assert quantize_multiplier(1 - 2.0 ** -40) == (1 << 30, 1)
    assert quantize_multiplier(2.0 ** -32) == (1 << 30, -31)
    assert quantize_multiplier(2.0 ** -40) == (0, 0)  # below TFLite's range: flushed to 0


def test_round_half_away():
    assert [round_half_away(v) for v in (-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999999)] == \
        [-3, -2, -1, 1, 2, 3, 0]


def test_activation_ranges():
    # scale 1/16, zero point -3: RELU6's top is -3 + 96 = 93; RELU_N1_TO_1 [-19, 13]
    assert activation_range("NONE", 1 / 16, -3) == (-128, 127)
    assert activation_range("RELU", 1 / 16, -3) == (-3, 127)
    assert activation_range("RELU6", 1 / 16, -3) == (-3, 93)
    assert activation_range("RELU_N1_TO_1", 1 / 16, -3) == (-19, 13)
    assert activation_range("RELU6", 0.01, -128) == (-128, 127)  # 6/0.01 saturates


# -- the commands ------------------------------------------------------------------------------

def test_predict_and_verify_say_what_was_dropped(tmp_path):
    """A dropped SOFTMAX: one note line on stderr naming the file, and `dropped` in --json."""
    import json

    from click.testing import CliRunner

    from c64ml.cli import main

    path = FIXTURES / "int8_softmax_pc.tflite"
    x = np.load(FIXTURES / "int8_softmax_pc.npz")["x"]
    data = tmp_path / "d.npz"
    np.savez(data, x=x.reshape(len(x), -1)[:5])
    r = CliRunner().invoke(main, ["predict", str(path), "--data", str(data), "--json"])
    assert r.exit_code == 0, r.output
    notes = [ln for ln in r.stderr.splitlines() if "SOFTMAX dropped" in ln]
    assert len(notes) == 1 and str(path) in notes[0] and "same except on ties" in notes[0]
    doc = json.loads(r.stdout)
    assert doc["dropped"] == ["SOFTMAX"] and len(doc["outputs"]) == 5
    want = reference.output_bytes(load_model_file(path), _bytes_of(x[:5]))
    assert doc["classes"] == want[:, -1].tolist()
    assert doc["outputs"] == want[:, :-1].view(np.int8).tolist()


@pytest.mark.parametrize("command", [["verify"], ["eval"], ["predict"],
                                     ["compile", "--mode", "app", "-o", "OUT"],
                                     ["compile", "--report", "-o", "OUT"]])
def test_data_a_model_cannot_take_is_one_line_naming_the_file(command, tmp_path):
    """int8 values (an int8 tensor's) for a model that maps raw values, and uint8 input bytes
    for an int8 .tflite model: exit 2, one line naming the data file, nothing written."""
    from click.testing import CliRunner
    from testpaths import EXAMPLES

    from c64ml.cli import main

    cases = [(EXAMPLES / "iris" / "qmodel.json", np.zeros((2, 4), np.int8)),
             (FIXTURES / "int8_1layer_pc.tflite", np.zeros((2, 8), np.uint8))]
    for model, x in cases:
        data = tmp_path / "d.npz"
        np.savez(data, x=x, y=np.zeros(2, np.int64))
        out = tmp_path / "out.prg"
        args = [command[0], str(model), "--data", str(data)] + \
            [str(out) if a == "OUT" else a for a in command[1:]]
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 2, r.output
        assert r.output.count("\n") == 1 and str(data) in r.output and "x:" in r.output
        assert not out.exists()
