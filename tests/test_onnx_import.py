"""ONNX → c64ml float Model: agrees with onnxruntime on every fixture (every class, and the
outputs to ~1e-5 where no softmax was dropped); refusals name the node; damaged bytes
give one C64mlError line. Fixtures: tools/onnx_fixtures/make_fixtures.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnx")


from corrupt_files import corruption_tests  # noqa: E402

from c64ml.errors import C64mlError  # noqa: E402
from c64ml.model.imported import FROM_CALIBRATION  # noqa: E402
from c64ml.model.load import load_model_file  # noqa: E402
from c64ml.model.onnx_import import chain_from_onnx_bytes, model_from_onnx  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "onnx"
AGREE = ["gemm_relu_gemm", "matmul_add_tanh_softmax", "sigmoid", "flatten_in_front",
         "skl_mlp_iris", "skl_mlp_iris_binary"]


def _run_ort(path: Path, x: np.ndarray) -> list[np.ndarray]:
    ort = pytest.importorskip("onnxruntime")
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    shape = [len(x)] + [int(d) for d in inp.shape[1:]]
    outs = sess.run(None, {inp.name: x.astype(np.float32).reshape(shape)})
    return [np.asarray(o) for o in outs]


@pytest.mark.parametrize("name", AGREE)
def test_agrees_with_onnxruntime(name):
    path = FIXTURES / f"{name}.onnx"
    x = np.load(FIXTURES / f"{name}.npz")["x"].astype(np.float64)
    m = load_model_file(path, calibration=x)
    assert m.extra["input_range_source"] == FROM_CALIBRATION
    outs = _run_ort(path, x)
    scores = next(o for o in outs if o.dtype.kind == "f")
    np.testing.assert_array_equal(m.predict(x), np.argmax(scores, axis=1))
    if name.startswith("skl_"):
        label = next(o for o in outs if o.dtype.kind != "f")
        np.testing.assert_array_equal(m.predict(x), label)
        assert m.classes == (["0", "1"] if name.endswith("binary") else ["0", "1", "2"])
        assert "label output" in m.extra["dropped"]
    if "Softmax" in m.extra.get("dropped", ""):
        return
    out = m.forward(x)[1]
    if name == "skl_mlp_iris_binary":  # probabilities [1 - p, p]; the model gives p
        out = np.hstack([1 - out, out])
    np.testing.assert_allclose(out, scores, atol=1e-5, rtol=1e-5)


def test_gemm_attributes_folded():
    m = model_from_onnx(FIXTURES / "gemm_relu_gemm.onnx", input_range=[-3, 3])
    assert [L.n_out for L in m.layers] == [8, 3] and m.inputs == 5
    assert [str(L.activation) for L in m.layers] == ["relu", "linear"]
    np.testing.assert_allclose(m.layers[1].bias, [0.25] * 3)
    assert "dropped" not in m.extra and m.name == "gemm_relu_gemm"


@pytest.mark.parametrize("name, message", [
    ("refuse_conv", r"node 0 'conv1' \(Conv\) is not supported"),
    ("refuse_add_after_relu", r"node 2 'shift' \(Add\) is not supported"),
])
def test_refusals(name, message):
    path = FIXTURES / f"{name}.onnx"
    with pytest.raises(C64mlError, match=message) as e:
        load_model_file(path, input_range=[0, 1])
    assert str(e.value).startswith(str(path)) and "\n" not in str(e.value)


def test_external_data_refused():
    onnx = pytest.importorskip("onnx")
    m = onnx.load(str(FIXTURES / "gemm_relu_gemm.onnx"))
    t = m.graph.initializer[0]
    t.data_location = onnx.TensorProto.EXTERNAL
    t.ClearField("raw_data")
    t.ClearField("float_data")
    e = t.external_data.add()
    e.key, e.value = "location", "/etc/passwd"
    with pytest.raises(C64mlError, match="external file"):
        chain_from_onnx_bytes(m.SerializeToString())


def test_needs_range_and_extra(tmp_path):
    path = FIXTURES / "sigmoid.onnx"
    with pytest.raises(C64mlError, match="has no input range"):
        load_model_file(path)
    assert load_model_file(path, need_range=False).inputs == 4


VALID = (FIXTURES / "skl_mlp_iris.onnx").read_bytes()


test_random_bytes, test_truncations, test_byte_flips = corruption_tests(
    VALID, chain_from_onnx_bytes)


def test_too_large(tmp_path):
    p = tmp_path / "big.onnx"
    p.write_bytes(b"\0" * ((8 << 20) + 1))
    with pytest.raises(C64mlError, match="limit"):
        load_model_file(p, input_range=[0, 1])


def test_names_with_escapes_are_shown_safely():
    onnx = pytest.importorskip("onnx")
    m = onnx.load(str(FIXTURES / "refuse_conv.onnx"))
    m.graph.node[0].op_type = "Co\x1b[2Jnv"
    with pytest.raises(C64mlError) as e:
        chain_from_onnx_bytes(m.SerializeToString())
    assert "\x1b" not in str(e.value) and "Co?[2Jnv" in str(e.value)
