"""The XOR demo in the emulated C64: the truth table with both networks' answers."""

from __future__ import annotations

import re

import numpy as np
import pytest

from c64ml.demos.builders import build_xor, run_demo
from c64ml.exec import reference

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)


@pytest.fixture(scope="module")
def demo():
    return build_xor()


def test_truth_table_matches_both_references(demo):
    r, m = run_demo(demo, "")
    assert r.reason == "idle"
    lines = m.screen_text()
    mlp = reference.predict(demo.model, demo.model.input_bytes(X))
    perc_model = demo.extra["perceptron"].model
    perc = reference.predict(perc_model, perc_model.input_bytes(X))
    rows = [re.fullmatch(r" (\d)  (\d)     (\d)     (\d)([ *])     (\d)(\*?)", line)
            for line in lines[3:7]]
    assert all(rows), lines
    for (a, b), row, want_m, want_p in zip(X.astype(int), rows, mlp, perc):
        xor = a ^ b
        assert row.group(1, 2, 3) == (str(a), str(b), str(xor))
        assert row.group(4) == str(want_m) and (row.group(5) == "*") == (want_m != xor)
        assert row.group(6) == str(want_p) and (row.group(7) == "*") == (want_p != xor)
    assert f"MLP        RIGHT: {int(np.sum(mlp == [0, 1, 1, 0]))} OF 4" in lines
    assert f"PERCEPTRON RIGHT: {int(np.sum(perc == [0, 1, 1, 0]))} OF 4" in lines
    assert np.sum(perc == [0, 1, 1, 0]) < 4  # no single-layer perceptron gets XOR right


@pytest.mark.parametrize("key", ["q", " ", "\r", "x"])
def test_any_key_returns_to_basic_cleanly(demo, key):
    r, m = run_demo(demo, key)
    assert r.reason == "return" and r.clean_return, r.return_issues
    assert m.screen_text()[0] == "C64ML XOR DEMO ENDED."


def test_perceptron_routine_sits_inside_the_program(demo):
    perc = demo.extra["perceptron"]
    start = perc.origin - demo.origin
    assert demo.program.data[start:start + len(perc.program.data)] == perc.program.data
