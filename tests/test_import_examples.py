"""The bundled examples' float models, written out as ONNX and as float TFLite files, come
back through the importers with the same classes as onnxruntime and TFLite Micro give, and
after quantization (range from the training data, as `c64ml quantize --calib` does) their
fixed-point accuracy stays within 1 point of the float model's on the test data."""

from __future__ import annotations

import numpy as np
import pytest
from testpaths import EXAMPLES

from c64ml.exec.evaluate import evaluate
from c64ml.model.dataset import load_dataset
from c64ml.model.floatmodel import load_model
from c64ml.model.load import load_model_file
from c64ml.quantize.ptq import quantize

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

CASES = [("iris", "train.csv", "test.csv"), ("fruit_colors", "train.csv", "test.csv"),
         ("digits", "train.npz", "test.npz")]


def _onnx_file(model, path) -> None:
    """Gemm (+ Relu) per layer, as a PyTorch or Keras export writes a dense MLP."""
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits, x = [], [], "x"
    for k, layer in enumerate(model.layers):
        inits += [numpy_helper.from_array(layer.weights.astype(np.float32), f"w{k}"),
                  numpy_helper.from_array(layer.bias.astype(np.float32), f"b{k}")]
        nodes.append(helper.make_node("Gemm", [x, f"w{k}", f"b{k}"], [f"z{k}"]))
        x = f"z{k}"
        if layer.activation == "relu":
            nodes.append(helper.make_node("Relu", [x], [f"a{k}"]))
            x = f"a{k}"
    graph = helper.make_graph(
        nodes, "example", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", model.inputs])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["N", model.n_out])],
        initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    path.write_bytes(m.SerializeToString())


def _tflite_file(model, path) -> None:
    from tflite_build import mlp_tflite

    layers = [(layer.weights, layer.bias) for layer in model.layers]
    fused = {k: "RELU" for k, layer in enumerate(model.layers) if layer.activation == "relu"}
    path.write_bytes(mlp_tflite(layers, fused=fused))


@pytest.mark.parametrize("fmt", ["onnx", "tflite"])
@pytest.mark.parametrize("name, train, test", CASES)
def test_imported_example_quantizes_within_one_point(name, train, test, fmt, tmp_path):
    if fmt == "tflite":
        pytest.importorskip("tflite")
    original = load_model(EXAMPLES / name / "model.json")
    path = tmp_path / f"{name}.{fmt}"
    (_onnx_file if fmt == "onnx" else _tflite_file)(original, path)
    tr = load_dataset(EXAMPLES / name / train, original.inputs)
    te = load_dataset(EXAMPLES / name / test, original.inputs)
    imported = load_model_file(path, calibration=tr.x)

    # the importer's float model gives the runtime's classes on every test sample
    x32 = te.x.astype(np.float32)
    if fmt == "onnx":
        sess = ort.InferenceSession(path.read_bytes())
        runtime_out = sess.run(None, {"x": x32})[0]
    else:
        from tflm import run

        runtime_out = run(path.read_bytes(), x32)
    np.testing.assert_array_equal(imported.predict(te.x), np.argmax(runtime_out, axis=1))

    q = quantize(imported, tr.x)
    ev = evaluate(imported, q, te)
    assert ev.fixed_accuracy >= ev.float_accuracy - 0.01, (ev.float_accuracy, ev.fixed_accuracy)
    # and the float accuracy is the example's own (the same weights, another file format)
    assert ev.float_accuracy == pytest.approx(evaluate(original, None, te).float_accuracy,
                                              abs=1 / len(te))
