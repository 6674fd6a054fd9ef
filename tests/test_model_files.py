"""Float model and qmodel files: round trips, hand-written files, and every kind of bad input.

Bad input must give one C64mlError naming the file and the field (the CLI turns it
into one line and exit code 2; see tests/test_cli_model.py).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c64ml.errors import C64mlError
from c64ml.model.floatmodel import load_model
from c64ml.model.qmodel import load_qmodel

HAND_WRITTEN = {
    "format": "c64ml-model", "version": 1, "name": "and-gate", "inputs": 2,
    "input_range": [0, 1], "classes": ["no", "yes"],
    "layers": [{"type": "dense", "weights": [[1.0], [1.0]], "bias": [-1.5],
                "activation": "step"}],
    "output": "argmax",
}


def write(tmp_path, doc, name="m.json"):
    p = tmp_path / name
    if isinstance(doc, bytes):
        p.write_bytes(doc)
    else:
        p.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return p


def test_hand_written_model_loads_and_predicts(tmp_path):
    m = load_model(write(tmp_path, HAND_WRITTEN))
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    # step(x0 + x1 - 1.5): only (1, 1) reaches >= 0
    assert m.predict(x).tolist() == [0, 0, 0, 1]
    assert m.macs() == 2 and m.params() == 3


def test_model_round_trip(tmp_path):
    m = load_model(write(tmp_path, HAND_WRITTEN))
    out = tmp_path / "again.json"
    m.save(out)
    assert json.loads(out.read_text()) == {**HAND_WRITTEN, "input_range": [0.0, 1.0]}


def test_per_input_ranges(tmp_path):
    doc = {**HAND_WRITTEN, "input_range": [[0, 1], [-5, 5]]}
    m = load_model(write(tmp_path, doc))
    assert m.input_lo.tolist() == [0, -5] and m.input_hi.tolist() == [1, 5]


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d.update(format="other"), "format"),
    (lambda d: d.update(version=2), "version"),
    (lambda d: d.update(inputs=0), "inputs"),
    (lambda d: d.update(inputs=100000), "inputs"),
    (lambda d: d.update(inputs=3), "layers[0].weights"),
    (lambda d: d.update(input_range=[1, 1]), "input_range"),
    (lambda d: d.update(input_range=[0]), "input_range"),
    (lambda d: d.update(input_range=[[0, 1]]), "input_range"),
    (lambda d: d.update(classes=["a"]), "classes"),
    (lambda d: d.update(output="softmax"), "output"),
    (lambda d: d.update(layers=[]), "layers"),
    (lambda d: d.update(layers=[{}] * 9), "layers"),
    (lambda d: d["layers"][0].update(type="conv"), "layers[0].type"),
    (lambda d: d["layers"][0].update(activation="gelu"), "layers[0].activation"),
    (lambda d: d["layers"][0].update(weights=[[1.0], ["x"]]), "layers[0].weights[1][0]"),
    (lambda d: d["layers"][0].update(weights=[[1.0], [1e300]]), "layers[0].weights[1][0]"),
    (lambda d: d["layers"][0].update(weights=[[1.0], [1.0, 2.0]]), "layers[0].weights[1]"),
    (lambda d: d["layers"][0].update(bias=[]), "layers[0].bias"),
    (lambda d: d["layers"][0].update(bias=[True]), "layers[0].bias[0]"),
    (lambda d: d.pop("layers"), "layers"),
])
def test_bad_model_fields_name_the_field(tmp_path, mutate, field):
    doc = json.loads(json.dumps(HAND_WRITTEN))
    mutate(doc)
    p = write(tmp_path, doc)
    with pytest.raises(C64mlError) as e:
        load_model(p)
    assert e.value.path == str(p)
    assert e.value.field == field
    assert "\n" not in e.value.line()


@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    ("   \n", "empty"),
    ('{"format": "c64ml-model", "version": 1, "inputs": 2, "layers": [', "not valid JSON"),
    (b"\x00\x01\x02\xff\xfe garbage", "UTF-8"),
    ("[" * 100000 + "]" * 100000, "nested"),
    ('{"a": NaN}', "not valid JSON"),
    ('{"a": Infinity}', "not valid JSON"),
    ("[1, 2, 3]", "JSON object"),
    ('{"format": "c64ml-model", "version": 1, "inputs": 1' + "0" * 5000 + "}", "JSON"),
])
def test_malformed_files(tmp_path, text, words):
    p = write(tmp_path, text)
    with pytest.raises(C64mlError) as e:
        load_model(p)
    assert words in e.value.line() and str(p) in e.value.line()


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(C64mlError, match="no such file"):
        load_model(tmp_path / "nope.json")
    with pytest.raises(C64mlError, match="directory"):
        load_model(tmp_path)


def test_qmodel_and_model_are_told_apart(tmp_path):
    p = write(tmp_path, HAND_WRITTEN)
    with pytest.raises(C64mlError, match="quantize it first"):
        load_qmodel(p)


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=8),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c,
                                                                          max_size=4),
                    max_leaves=30),
       st.sampled_from(["format", "layers", "inputs", "input_range", "classes", "output"]))
def test_random_json_never_escapes_as_another_exception(tmp_path_factory, junk, key):
    """Any JSON value in any field is either accepted or refused with a C64mlError."""
    doc = json.loads(json.dumps(HAND_WRITTEN))
    doc[key] = junk
    p = tmp_path_factory.mktemp("junk") / "m.json"
    p.write_text(json.dumps(doc))
    for loader in (load_model, load_qmodel):
        try:
            loader(p)
        except C64mlError as e:
            assert "\n" not in e.line()


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_are_refused_cleanly(tmp_path_factory, blob):
    p = tmp_path_factory.mktemp("bytes") / "m.json"
    p.write_bytes(blob)
    with pytest.raises(C64mlError):
        load_model(p)
