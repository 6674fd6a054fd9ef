"""Float .tflite → c64ml Model: agrees with tflite-micro's interpreter on every sample
(class, and outputs to ~1e-5 where no softmax was dropped); anything else is one line
naming the operator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tflite")

from tflite_build import TfliteBuilder, micro_run, mlp_tflite  # noqa: E402

from c64ml.errors import C64mlError  # noqa: E402
from c64ml.model.floatmodel import Model  # noqa: E402
from c64ml.model.imported import FROM_CALIBRATION, FROM_GIVEN, NO_RANGE  # noqa: E402
from c64ml.model.load import load_model_file  # noqa: E402
from c64ml.model.qmodel import QModel  # noqa: E402
from c64ml.model.tflite_file import parse_tflite  # noqa: E402
from c64ml.model.tflite_import import chain_from_graph, model_from_tflite  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tflite"
FLOAT_FIXTURES = ["float_mlp.tflite", "float_logistic.tflite", "float_tanh.tflite"]
REFUSED_FIXTURES = {
    "float_fused.tflite": r"operator 1 \(FULLY_CONNECTED\) has the fused activation RELU6",
    "refuse_float_conv.tflite": r"operator 0 \(CONV_2D\) is not supported",
}


def _fixture(name: str) -> Path:
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"fixture {name} is not in this tree")
    return path


def _layers(seed, sizes):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(a, b)), rng.normal(size=b)) for a, b in zip(sizes, sizes[1:])]


CASES = {
    "relu_fused": dict(layers=_layers(1, (4, 8, 3)), fused={0: "RELU"}),
    "tanh_softmax": dict(layers=_layers(2, (5, 7, 4)), separate={0: "tanh"}, softmax=True),
    "relu_softmax": dict(layers=_layers(11, (5, 9, 6, 4)), fused={0: "RELU", 1: "RELU"},
                         softmax=True),
    "separate_ops": dict(layers=_layers(3, (6, 5, 5, 3)), separate={0: "relu", 1: "sigmoid",
                                                                     2: "tanh"}),
    "flatten_in_front": dict(layers=_layers(4, (6, 4, 2)), fused={0: "RELU"},
                             reshape_in=(1, 2, 3)),
    "relu_n1_to_1": dict(layers=_layers(5, (3, 4, 2)), fused={0: "RELU_N1_TO_1"}),
    "one_unit_sigmoid": dict(layers=_layers(6, (4, 3, 1)), fused={0: "RELU"},
                             separate={1: "sigmoid"}),
}


def _compare(data: bytes, m: Model, x: np.ndarray, dropped: bool) -> None:
    ref = micro_run(data, x)
    if ref.shape[1] == 1:
        np.testing.assert_array_equal(m.predict(x), (ref[:, 0] >= 0.5).astype(int))
    else:
        np.testing.assert_array_equal(m.predict(x), np.argmax(ref, axis=1))
    if not dropped:
        np.testing.assert_allclose(m.forward(x)[1], ref, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("case", sorted(CASES))
def test_agrees_with_tflite_micro(case, tmp_path):
    pytest.importorskip("tflite_micro")
    kw = CASES[case]
    data = mlp_tflite(**kw)
    p = tmp_path / f"{case}.tflite"
    p.write_bytes(data)
    x = np.random.default_rng(7).normal(size=(64, kw["layers"][0][0].shape[0])) * 2
    m = model_from_tflite(p, calibration=x)
    assert m.extra["input_range_source"] == FROM_CALIBRATION
    np.testing.assert_array_equal(m.input_lo, x.min(axis=0))
    assert ("dropped" in m.extra) == bool(kw.get("softmax"))
    _compare(data, m, x, bool(kw.get("softmax")))


@pytest.mark.parametrize("name", FLOAT_FIXTURES)
def test_fixture_agrees_with_tflite_micro(name):
    pytest.importorskip("tflite_micro")
    path = _fixture(name)
    x = np.load(path.with_suffix(".npz"))["x"].astype(np.float64)
    x = x.reshape(len(x), -1)
    m = load_model_file(path, calibration=x)
    assert m.inputs == x.shape[1]
    _compare(path.read_bytes(), m, x, "dropped" in m.extra)


@pytest.mark.parametrize("name", sorted(REFUSED_FIXTURES))
def test_fixture_refused(name):
    path = _fixture(name)
    with pytest.raises(C64mlError, match=REFUSED_FIXTURES[name]):
        load_model_file(path, input_range=[0, 1])


def test_every_fixture_reads():
    if not FIXTURES.is_dir():
        pytest.skip("no .tflite fixtures in this tree")
    from c64ml.model.tflite_file import read_tflite

    for path in sorted(FIXTURES.glob("*.tflite")):
        g = read_tflite(path)
        assert g.operators and len(g.inputs) == 1, path
        if path.name.startswith("int8_"):
            assert not g.is_float()
            w = g.tensors[next(o for o in g.operators
                               if o.op == "FULLY_CONNECTED").inputs[1]]
            assert w.dtype == "int8" and w.data is not None and w.scale is not None
            assert len(w.scale) in (1, w.shape[0]) and w.zero_point.shape == w.scale.shape


def test_weights_are_transposed():
    layers = _layers(8, (3, 2))
    m = chain_from_graph(parse_tflite(mlp_tflite(layers))).model(input_range=[0, 1])
    np.testing.assert_allclose(m.layers[0].weights, layers[0][0].astype(np.float32))
    assert m.extra["input_range_source"] == FROM_GIVEN
    assert list(m.input_lo) == [0, 0, 0] and list(m.input_hi) == [1, 1, 1]


def test_needs_a_range(tmp_path):
    p = tmp_path / "m.tflite"
    p.write_bytes(mlp_tflite(_layers(9, (3, 2))))
    with pytest.raises(C64mlError, match=r"m\.tflite: has no input range"):
        load_model_file(p)
    m = load_model_file(p, need_range=False)
    assert m.extra["input_range_source"] == NO_RANGE and m.name == "m"
    with pytest.raises(C64mlError, match="has 3 inputs but the calibration data has 4"):
        load_model_file(p, calibration=np.zeros((5, 4)))
    with pytest.raises(C64mlError, match="qmodel is needed"):
        load_model_file(p, QModel, input_range=[0, 1])


@pytest.mark.parametrize("kw, message", [
    (dict(fused={0: "RELU6"}), r"operator 0 \(FULLY_CONNECTED\) has the fused activation "
                               "RELU6"),
    (dict(fused={0: "TANH"}), r"operator 0 \(FULLY_CONNECTED\) has a fused TANH"),
    (dict(extra_op=3), r"operator 1 \(CONV_2D\) is not supported"),
    (dict(extra_op=25), r"operator 1 \(SOFTMAX\) is not the last operator"),
    (dict(fused={0: "RELU"}, separate={0: "tanh"}), r"operator 1 \(TANH\) follows a layer "
                                                    "that already has"),
])
def test_refusals(kw, message, tmp_path):
    p = tmp_path / "bad.tflite"
    p.write_bytes(mlp_tflite(_layers(10, (3, 4, 2)), **kw))
    with pytest.raises(C64mlError, match=message) as e:
        load_model_file(p, input_range=[0, 1])
    assert str(e.value).startswith(str(p)) and "\n" not in str(e.value)


def test_branching_graph_refused():
    t = TfliteBuilder()
    x = t.tensor("x", (1, 2))
    a = t.tensor("a", (1, 2))
    b = t.tensor("b", (1, 2))
    t.op(19, [x], [a])  # RELU
    t.op(28, [x], [b])  # TANH on the input again: a branch
    with pytest.raises(C64mlError, match=r"operator 0 \(RELU\) comes before any dense layer"):
        chain_from_graph(parse_tflite(t.finish([x], [b])))
    t = TfliteBuilder()
    x = t.tensor("x", (1, 2))
    a = t.tensor("a", (1, 2))
    b = t.tensor("b", (1, 2))
    t.op(9, [x, t.tensor("w", (2, 2), np.eye(2)), -1], [a])
    t.op(28, [x], [b])
    with pytest.raises(C64mlError, match=r"operator 1 \(TANH\) does not continue"):
        chain_from_graph(parse_tflite(t.finish([x], [b])))


def test_int8_goes_to_the_int8_importer(tmp_path):
    from tflite.TensorType import TensorType

    t = TfliteBuilder()
    x = t.tensor("x", (1, 2), ttype=TensorType.INT8)
    y = t.tensor("y", (1, 2), ttype=TensorType.INT8)
    t.op(19, [x], [y])
    p = tmp_path / "q.tflite"
    p.write_bytes(t.finish([x], [y]))
    with pytest.raises(C64mlError, match="float model is needed"):
        load_model_file(p, Model)
    try:
        import c64ml.model.tflite_int8  # noqa: F401
    except ModuleNotFoundError:
        with pytest.raises(C64mlError, match="int8 .tflite import is not available yet"):
            load_model_file(p)
