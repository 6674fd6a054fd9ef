"""Write the ONNX test fixtures: tests/fixtures/onnx/NAME.onnx and NAME.npz (x: 64 float32
samples, one row each, as c64ml reads them — reshape to the graph's input shape for
onnxruntime; y: the class onnxruntime gives, or iris's true labels for the scikit-learn ones).

Small graphs built with onnx.helper from seeded weights, two scikit-learn MLPClassifiers
converted by skl2onnx (zipmap off), and refusal cases. Run from the repository root:

    python tools/onnx_fixtures/make_fixtures.py

Needs onnx, onnxruntime, scikit-learn and skl2onnx (not c64ml's dependencies).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "onnx"
OPSET = 17
IR_VERSION = 8


def _init(name: str, a) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(a, np.float32), name)


def _model(nodes, inits, in_shape, out_name, out_units, name):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])
    y = helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["N", out_units])
    graph = helper.make_graph(nodes, name, [x], [y], initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                          producer_name="c64ml make_fixtures")
    m.ir_version = IR_VERSION
    onnx.checker.check_model(m)
    return m


def gemm_relu_gemm(rng):
    """Gemm (transB=1, alpha, beta) + Relu + Gemm (C one value): logits out."""
    w0 = rng.normal(size=(8, 5))  # [units][inputs]: transB=1
    w1 = rng.normal(size=(8, 3))
    nodes = [helper.make_node("Gemm", ["x", "w0", "b0"], ["h0"], transB=1, alpha=0.5, beta=2.0,
                              name="dense0"),
             helper.make_node("Relu", ["h0"], ["a0"], name="relu0"),
             helper.make_node("Gemm", ["a0", "w1", "b1"], ["logits"], name="dense1")]
    inits = [_init("w0", w0), _init("b0", rng.normal(size=8) * 0.3),
             _init("w1", w1), _init("b1", [0.25])]
    return _model(nodes, inits, [5], "logits", 3, "gemm_relu_gemm"), rng.normal(size=(64, 5))


def matmul_add_tanh_softmax(rng):
    """MatMul + Add + Tanh, twice more MatMul + Add, then Softmax (dropped)."""
    nodes = [helper.make_node("MatMul", ["x", "w0"], ["m0"]),
             helper.make_node("Add", ["m0", "b0"], ["z0"]),
             helper.make_node("Tanh", ["z0"], ["a0"]),
             helper.make_node("MatMul", ["a0", "w1"], ["m1"]),
             helper.make_node("Add", ["b1", "m1"], ["z1"]),
             helper.make_node("Softmax", ["z1"], ["probs"], axis=-1)]
    inits = [_init("w0", rng.normal(size=(6, 10))), _init("b0", rng.normal(size=(1, 10))),
             _init("w1", rng.normal(size=(10, 4))), _init("b1", rng.normal(size=4))]
    return (_model(nodes, inits, [6], "probs", 4, "matmul_add_tanh_softmax"),
            rng.normal(size=(64, 6)) * 1.5)


def sigmoid(rng):
    """Gemm + Sigmoid + Gemm + Sigmoid: sigmoid scores out."""
    nodes = [helper.make_node("Gemm", ["x", "w0", "b0"], ["z0"]),
             helper.make_node("Sigmoid", ["z0"], ["a0"]),
             helper.make_node("Gemm", ["a0", "w1", "b1"], ["z1"]),
             helper.make_node("Sigmoid", ["z1"], ["scores"])]
    inits = [_init("w0", rng.normal(size=(4, 7))), _init("b0", rng.normal(size=7)),
             _init("w1", rng.normal(size=(7, 3)) * 2), _init("b1", rng.normal(size=3))]
    return _model(nodes, inits, [4], "scores", 3, "sigmoid"), rng.normal(size=(64, 4)) * 2


def flatten_in_front(rng):
    """A 2x3 input flattened, Reshape to [-1, 6] (a no-op), Identity, Gemm + Relu + Gemm."""
    nodes = [helper.make_node("Flatten", ["x"], ["flat"], axis=1),
             helper.make_node("Reshape", ["flat", "shape"], ["flat2"]),
             helper.make_node("Identity", ["flat2"], ["flat3"]),
             helper.make_node("Gemm", ["flat3", "w0", "b0"], ["z0"]),
             helper.make_node("Relu", ["z0"], ["a0"]),
             helper.make_node("Gemm", ["a0", "w1", "b1"], ["logits"])]
    inits = [numpy_helper.from_array(np.array([-1, 6], np.int64), "shape"),
             _init("w0", rng.normal(size=(6, 9))), _init("b0", rng.normal(size=9)),
             _init("w1", rng.normal(size=(9, 5))), _init("b1", rng.normal(size=5))]
    return (_model(nodes, inits, [2, 3], "logits", 5, "flatten_in_front"),
            rng.normal(size=(64, 2, 3)))


def refuse_conv(rng):
    """A Conv node: refused, naming it."""
    nodes = [helper.make_node("Conv", ["x", "k"], ["c"], name="conv1"),
             helper.make_node("Flatten", ["c"], ["f"]),
             helper.make_node("Gemm", ["f", "w", "b"], ["logits"])]
    inits = [_init("k", rng.normal(size=(2, 1, 3))), _init("w", rng.normal(size=(12, 3))),
             _init("b", np.zeros(3))]
    return _model(nodes, inits, [1, 8], "logits", 3, "refuse_conv"), rng.normal(size=(64, 1, 8))


def refuse_add_after_relu(rng):
    """An Add that is not a layer's bias (after the Relu): refused, naming it."""
    nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["z"]),
             helper.make_node("Relu", ["z"], ["a"]),
             helper.make_node("Add", ["a", "c"], ["out"], name="shift")]
    inits = [_init("w", rng.normal(size=(3, 2))), _init("b", np.zeros(2)), _init("c", [1, 2])]
    return _model(nodes, inits, [3], "out", 2, "refuse_add"), rng.normal(size=(64, 3))


def skl_mlp(rng, binary: bool):
    """An MLPClassifier on iris, converted by skl2onnx with zipmap off."""
    from skl2onnx import to_onnx
    from sklearn.datasets import load_iris
    from sklearn.neural_network import MLPClassifier

    x, y = load_iris(return_X_y=True)
    if binary:
        y = (y == 1).astype(np.int64)
    clf = MLPClassifier(hidden_layer_sizes=(8,), activation="tanh" if binary else "relu",
                        max_iter=3000, random_state=0).fit(x, y)
    m = to_onnx(clf, x[:1].astype(np.float32), options={id(clf): {"zipmap": False}},
                target_opset={"": OPSET, "ai.onnx.ml": 1})
    m.ir_version = IR_VERSION
    pick = rng.choice(len(x), 64, replace=False)
    return m, x[pick], y[pick]


def write(name: str, m, x, y=None) -> None:
    x = np.asarray(x, np.float32)
    data = m.SerializeToString()
    (OUT / f"{name}.onnx").write_bytes(data)
    if y is None:
        try:
            sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
            out = sess.run(None, {sess.get_inputs()[0].name: x})[0]
            y = np.argmax(out, axis=1)
        except Exception:  # a refusal fixture onnxruntime may not run either
            y = None
    x = x.reshape(len(x), -1)
    arrays = {"x": x} if y is None else {"x": x, "y": np.asarray(y, np.int64)}
    np.savez(OUT / f"{name}.npz", **arrays)
    print(f"wrote {name}.onnx ({len(data)} bytes) and {name}.npz", file=sys.stderr)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for seed, make in enumerate([gemm_relu_gemm, matmul_add_tanh_softmax, sigmoid,
                                 flatten_in_front, refuse_conv, refuse_add_after_relu]):
        m, x = make(np.random.default_rng(100 + seed))
        write(make.__name__, m, x)
    for binary, name in ((False, "skl_mlp_iris"), (True, "skl_mlp_iris_binary")):
        m, x, y = skl_mlp(np.random.default_rng(200 + binary), binary)
        write(name, m, x, y)


if __name__ == "__main__":
    main()
