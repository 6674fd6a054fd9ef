"""TFLite's int8 LOGISTIC (c64ml/model/tflite_logistic.py) against the live tflite-micro
interpreter: every one of the 256 int8 inputs, for input scales from 1/2048 to 3 and every
kind of zero point, on one-operator models built here."""

from __future__ import annotations

import flatbuffers
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tflm import run

from c64ml.model.tflite_logistic import logistic_table

ALL_INT8 = np.arange(-128, 128, dtype=np.int8)[None, :]


def logistic_model(scale: float, zero_point: int) -> bytes:
    """A model of one LOGISTIC operator on 256 int8 values (input ``scale``, ``zero_point``;
    output scale 1/256, zero point −128, as TFLite requires), from tflite-micro's schema."""
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb

    def tensor(name: str, s: float, z: int):
        t = fb.TensorT()
        t.name, t.shape, t.type, t.buffer = name, [1, 256], fb.TensorType.INT8, 0
        t.quantization = fb.QuantizationParametersT()
        t.quantization.scale, t.quantization.zeroPoint = [s], [z]
        return t

    code = fb.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = fb.BuiltinOperator.LOGISTIC
    code.version = 2
    op = fb.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0], [1]
    graph = fb.SubGraphT()
    graph.tensors = [tensor("x", scale, zero_point), tensor("y", 1 / 256, -128)]
    graph.operators, graph.inputs, graph.outputs = [op], [0], [1]
    model = fb.ModelT()
    model.version, model.operatorCodes, model.subgraphs = 3, [code], [graph]
    model.buffers = [fb.BufferT()]
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _check(scale: float, zero_point: int) -> None:
    want = run(logistic_model(scale, zero_point), ALL_INT8).reshape(-1).astype(np.int64)
    np.testing.assert_array_equal(logistic_table(scale, zero_point), want)


@pytest.mark.parametrize("scale", [1 / 2048, 0.01, 0.0390625, 0.0625, 0.1, 0.5, 1.0, 3.0])
@pytest.mark.parametrize("zero_point", [-128, -20, 0, 37, 127])
def test_table_equals_tflite_micro(scale, zero_point):
    _check(scale, zero_point)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0005, 2.0), st.integers(-128, 127))
def test_table_equals_tflite_micro_fuzzed(scale, zero_point):
    _check(float(np.float32(scale)), zero_point)


def test_table_is_monotone_and_spans_the_output():
    t = logistic_table(0.1, 0)
    assert np.all(np.diff(t) >= 0) and t[0] == -128 and t[-1] >= 120
