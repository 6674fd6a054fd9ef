"""Differential test: the LLVM JIT and the NumPy reference agree byte for byte on random qmodels."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qmodel_strategies import input_batches, models_with_inputs, qmodels

from c64ml.errors import C64mlError
from c64ml.exec import reference
from c64ml.exec.jit import compile_qmodel
from c64ml.model.qmodel import load_qmodel, qmodel_from_json
from c64ml.spec import MAX_INPUTS, MAX_LAYERS, MAX_UNITS

N_MODELS = 500  # compared per run; one JIT compile each (≈ 40–70 ms on this machine)


def test_jit_matches_reference_on_random_models():
    compared = []

    @settings(max_examples=N_MODELS, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(models_with_inputs())
    def check(pair):
        model, q = pair
        jit = compile_qmodel(model)
        np.testing.assert_array_equal(jit.output_bytes(q), reference.output_bytes(model, q))
        np.testing.assert_array_equal(jit.predict(q), reference.predict(model, q))
        compared.append(len(q))

    check()
    print(f"compared {len(compared)} models on {sum(compared)} input rows")
    assert len(compared) >= N_MODELS


@settings(max_examples=40, deadline=None, database=None)
@given(qmodels(max_layers=2, max_width=8, max_inputs=8), st.data())
def test_input_mapping_matches(model, data):
    """§1 in the JIT (binary64, same operation order) equals QModel.input_bytes."""
    n = model.inputs
    lo, hi = model.input_lo[0], model.input_hi[0]
    span = hi - lo
    values = st.one_of(st.floats(lo - span, hi + span, allow_nan=False),
                       st.floats(-1e300, 1e300, allow_nan=False),
                       st.sampled_from([lo, hi, lo + span / 2, lo + span / 510]))
    x = np.array(data.draw(st.lists(st.lists(values, min_size=n, max_size=n), min_size=1,
                                    max_size=8)), dtype=np.float64)
    jit = compile_qmodel(model)
    np.testing.assert_array_equal(jit.input_bytes(x), model.input_bytes(x))


def test_jit_matches_reference_on_a_large_model_and_batch():
    @settings(max_examples=3, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(qmodels(max_layers=MAX_LAYERS, max_width=MAX_UNITS, max_inputs=MAX_INPUTS), st.data())
    def check(model, data):
        q = data.draw(input_batches(model.inputs, min_random=500, max_random=2000))
        jit = compile_qmodel(model)
        np.testing.assert_array_equal(jit.output_bytes(q), reference.output_bytes(model, q))

    check()


# -- the loader enforces the 32-bit accumulator bound (§3) ---------------------------------------

def _doc(weights, bias, layers_before=()) -> dict:
    """A qmodel document whose last layer is linear with these weights and bias."""
    n_inputs = len(layers_before[0]["weights"]) if layers_before else len(weights)
    last = {"type": "dense", "activation": "linear", "weights": weights, "bias": bias,
            "multiplier": [1] * len(bias), "shift": [0] * len(bias)}
    return {"format": "c64ml-qmodel", "version": 1, "name": "bound", "inputs": n_inputs,
            "input_range": [0.0, 1.0], "layers": [*layers_before, last], "output": "scores"}


LINEAR_2 = {"type": "dense", "activation": "linear", "weights": [[1, 1]], "bias": [0, 0],
            "multiplier": [1, 1], "shift": [0, 0]}


@pytest.mark.parametrize("w, xmax, before", [
    ([[127], [-128], [5]], 255, ()),   # u8 inputs: xmax = 255
    ([[127], [-128]], 128, (LINEAR_2,)),  # s8 inputs (after a linear layer): xmax = 128
])
@pytest.mark.parametrize("sign", [1, -1])
def test_loader_rejects_bound_plus_one(w, xmax, before, sign, tmp_path):
    # room for the bias = 2^31 − 1 − Σ|w|·xmax, computed here from §3, not by the loader
    room = 2**31 - 1 - sum(abs(row[0]) for row in w) * xmax
    ok = _doc(w, [sign * room], before)
    model = qmodel_from_json(ok)  # exactly at the bound: accepted, and it runs
    q = np.full((1, model.inputs), 255, dtype=np.uint8)
    np.testing.assert_array_equal(compile_qmodel(model).output_bytes(q),
                                  reference.output_bytes(model, q))
    bad = json.loads(json.dumps(ok))
    bad["layers"][-1]["bias"] = [sign * (room + 1)]
    with pytest.raises(C64mlError) as e:
        qmodel_from_json(bad)
    assert e.value.field == f"layers[{len(before)}]"
    path = tmp_path / "bad.qmodel.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(C64mlError) as e:
        load_qmodel(path)
    assert e.value.path == str(path)
