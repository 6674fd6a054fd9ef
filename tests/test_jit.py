"""The JIT's interface: readable IR, big batches, clean errors on bad input."""

from __future__ import annotations

import gc
import time

import numpy as np
import pytest
from llvmlite import binding as llvm

from c64ml.errors import C64mlError
from c64ml.exec import reference
from c64ml.exec.jit import compile_qmodel, compile_qmodels, llvm_ir
from c64ml.model.qmodel import QLayer, QModel
from c64ml.spec import MAX_INPUTS, MAX_LAYERS, MAX_UNITS


def small_model(output: str = "argmax") -> QModel:
    rng = np.random.default_rng(7)
    layers = [QLayer(rng.integers(-128, 128, (5, 6)), rng.integers(-5000, 5000, 6), "relu",
                     rng.integers(0, 256, 6), rng.integers(6, 14, 6)),
              QLayer(rng.integers(-128, 128, (6, 3)), rng.integers(-5000, 5000, 3), "tanh",
                     rng.integers(0, 256, 3), rng.integers(4, 12, 3), rng.integers(-128, 128, 256))]
    m = QModel("small", np.zeros(5), np.ones(5), layers, output)
    m.validate()
    return m


def test_ir_is_printable_and_valid():
    text = llvm_ir(small_model())
    for needle in ("define void @\"m0.run\"", "define void @\"m0.map\"", "ashr i64", "sext i8",
                   "zext i8", " select ", "private constant [256 x i8]", "llvm.floor.f64"):
        assert needle in text, needle
    mod = llvm.parse_assembly(text)
    mod.verify()


def test_big_batch_matches_reference_and_is_fast():
    m = small_model()
    jit = compile_qmodel(m)
    rng = np.random.default_rng(1)
    q = rng.integers(0, 256, (100_000, m.inputs), dtype=np.uint8)
    t = time.perf_counter()
    out = jit.output_bytes(q)
    elapsed = time.perf_counter() - t
    assert out.shape == (100_000, m.out_bytes) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, reference.output_bytes(m, q))
    np.testing.assert_array_equal(jit.predict(q), reference.predict(m, q))
    assert elapsed < 1.0, f"100k samples took {elapsed:.3f} s"


def test_largest_valid_model():
    rng = np.random.default_rng(3)
    layers = []
    n_in = MAX_INPUTS
    for k in range(MAX_LAYERS):
        # 256 · 127 · 255 = 8290560 ≤ 2^23 − 1: the widest layer is still within the bound
        w = rng.choice(np.array([-127, 127]), (n_in, MAX_UNITS))
        layers.append(QLayer(w, np.zeros(MAX_UNITS, dtype=np.int64), "linear",
                             np.full(MAX_UNITS, 255), np.full(MAX_UNITS, 20)))
        n_in = MAX_UNITS
    n = MAX_INPUTS
    m = QModel("max", np.zeros(n), np.ones(n), layers, "argmax")
    m.validate()
    q = np.vstack([np.zeros((1, n)), np.full((1, n), 255),
                   rng.integers(0, 256, (200, n))]).astype(np.uint8)
    out = compile_qmodel(m).output_bytes(q)
    assert out.shape == (202, MAX_UNITS + 1)
    np.testing.assert_array_equal(out, reference.output_bytes(m, q))


def test_empty_batch_and_input_dtypes():
    m = small_model("scores")
    jit = compile_qmodel(m)
    assert jit.output_bytes(np.zeros((0, 5), dtype=np.uint8)).shape == (0, 3)
    assert jit.predict(np.zeros((0, 5))).shape == (0,)
    q = np.array([[0, 1, 2, 254, 255]])
    expect = reference.output_bytes(m, q)
    for a in (q, q.astype(np.int64), q.astype(np.float64), q.tolist(), q.astype(np.uint8)[:, ::1]):
        np.testing.assert_array_equal(jit.output_bytes(a), expect)
    # a non-contiguous view is copied, not misread
    wide = np.zeros((1, 10), dtype=np.uint8)
    wide[0, ::2] = q[0]
    np.testing.assert_array_equal(jit.output_bytes(wide[:, ::2]), expect)


@pytest.mark.parametrize("bad", [
    np.zeros(5, dtype=np.uint8),             # 1-D
    np.zeros((2, 4), dtype=np.uint8),        # wrong width
    np.zeros((2, 5, 1), dtype=np.uint8),     # 3-D
    np.full((1, 5), 256),                    # beyond a byte
    np.full((1, 5), -1),
    np.full((1, 5), 1.5),                    # not an integer
    np.full((1, 5), np.nan),
    np.array([["a"] * 5]),                   # not numbers
])
def test_bad_input_bytes_raise_one_clean_error(bad):
    jit = compile_qmodel(small_model())
    for call in (jit.output_bytes, jit.predict):
        with pytest.raises(C64mlError) as e:
            call(bad)
        assert e.value.field == "input" and "\n" not in e.value.line()


@pytest.mark.parametrize("bad", [np.zeros(5), np.zeros((1, 4)), np.full((1, 5), np.inf),
                                 np.full((1, 5), np.nan)])
def test_bad_raw_inputs_raise_one_clean_error(bad):
    with pytest.raises(C64mlError) as e:
        compile_qmodel(small_model()).input_bytes(bad)
    assert e.value.field == "input"


def test_invalid_model_is_refused_before_compiling():
    m = small_model()
    m.layers[0].weights[0, 0] = 128
    with pytest.raises(C64mlError) as e:
        compile_qmodel(m)
    assert e.value.field == "layers[0].weights"
    with pytest.raises(C64mlError):
        llvm_ir(m)


def test_models_sharing_an_engine_stay_independent_and_alive():
    a, b = small_model("argmax"), small_model("scores")
    b.layers[1].table = b.layers[1].table[::-1].copy()
    ja, jb = compile_qmodels([a, b])
    del a, b
    gc.collect()
    q = np.random.default_rng(5).integers(0, 256, (300, 5), dtype=np.uint8)
    np.testing.assert_array_equal(ja.output_bytes(q), reference.output_bytes(ja.model, q))
    np.testing.assert_array_equal(jb.output_bytes(q), reference.output_bytes(jb.model, q))
    assert ja.output_bytes(q).shape[1] == 4 and jb.output_bytes(q).shape[1] == 3
