"""Weight compression (c64ml/quantize/ptq.py): the shared codebook, snapping, importance-weighted
pruning and ``compress`` as a whole, checked against brute force; and the CLI options."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from qmodel_strategies import qmodels
from testpaths import EXAMPLES

from c64ml.cli import main
from c64ml.errors import C64mlError
from c64ml.model.qmodel import acc_bounds, validate_qmodel
from c64ml.quantize.ptq import (
    codebook_levels,
    compress,
    prune_smallest,
    snap,
    snap_down,
)
from c64ml.spec import ACC_MAX

IRIS = EXAMPLES / "iris"
weight_arrays = hnp.arrays(np.int64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=12),
                           elements=st.integers(-128, 127))


@settings(max_examples=300, deadline=None)
@given(hnp.arrays(np.int64, st.integers(0, 300), elements=st.integers(0, 128)),
       st.integers(1, 127))
def test_codebook_levels_are_at_most_k_integers_in_1_to_127(mags, k):
    levels = codebook_levels(mags, k)
    assert levels.dtype.kind == "i" and 1 <= len(levels) <= k
    assert np.all((levels >= 1) & (levels <= 127))
    assert list(levels) == sorted(set(levels.tolist()))


def test_a_codebook_as_large_as_the_magnitudes_loses_nothing():
    for mags, k in (([1] * 8 + [100], 2), ([1, 2, 3, 50, 60, 70, 127], 7), ([5] * 100 + [6], 2)):
        assert codebook_levels(np.array(mags), k).tolist() == sorted(set(mags))


@settings(max_examples=300, deadline=None)
@given(weight_arrays, st.lists(st.integers(1, 127), min_size=1, max_size=20, unique=True))
def test_snap_is_the_nearest_level_with_the_sign_kept(w, levels):
    lv = np.array(sorted(levels))
    out = snap(w, lv)
    for x, y in zip(w.ravel().tolist(), out.ravel().tolist()):
        if x == 0:
            assert y == 0
            continue
        assert abs(y) in levels and (y > 0) == (x > 0)
        assert abs(abs(x) - abs(y)) == min(abs(abs(x) - L) for L in levels)


@settings(max_examples=300, deadline=None)
@given(weight_arrays, st.lists(st.integers(1, 127), min_size=1, max_size=20, unique=True))
def test_snap_down_is_the_largest_level_not_above(w, levels):
    out = snap_down(w, np.array(sorted(levels)))
    for x, y in zip(w.ravel().tolist(), out.ravel().tolist()):
        below = [L for L in levels if L <= abs(x)]
        assert abs(y) == (max(below) if below else 0)
        assert y == 0 or (y > 0) == (x > 0)


def _importance_order_holds(w, out, importance):
    """Every weight pruned (nonzero before, zero after) is no more important than any kept."""
    pruned = (w != 0) & (out == 0)
    kept = out != 0
    if pruned.any() and kept.any():
        assert importance[pruned].max() <= importance[kept].min()


@settings(max_examples=300, deadline=None)
@given(weight_arrays, st.floats(0.0, 0.99), st.booleans(), st.data())
def test_prune_smallest_zeroes_the_least_important(w, fraction, weighted, data):
    # scales in quarter steps, so distinct importances differ far more than any tie-breaking
    scale = None
    if weighted:
        scale = np.array(data.draw(st.lists(st.integers(0, 1020), min_size=w.shape[0],
                                            max_size=w.shape[0]))) / 4.0
    out = prune_smallest(w, fraction, scale)
    k = int(round(fraction * w.size))
    assert out.shape == w.shape
    assert np.all((out == w) | (out == 0))            # only ever zeroes, never changes
    zeros_before = int(np.sum(w == 0))
    assert int(np.sum(out == 0)) == max(zeros_before, k)
    imp = np.abs(w) * (1.0 if scale is None else scale[:, None])
    _importance_order_holds(w, out, imp)
    if scale is None:  # plain |w|: exactly the first k by (|w|, position)
        order = sorted(range(w.size), key=lambda i: (abs(int(w.ravel()[i])), i))[:k]
        want = w.ravel().copy()
        want[order] = 0
        assert np.array_equal(out.ravel(), want)


def test_prune_prefers_weights_on_quiet_inputs():
    w = np.array([[100, -100], [1, 2]])
    # input 0 is always 0 in calibration: its big weights matter less than input 1's small
    out = prune_smallest(w, 0.5, np.array([0.0, 50.0]))
    assert out.tolist() == [[0, 0], [1, 2]]
    assert prune_smallest(w, 0.5).tolist() == [[100, -100], [0, 0]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(qmodels(max_layers=3, max_width=16, max_inputs=16), st.integers(1, 16),
       st.sampled_from([0.0, 0.1, 0.5, 0.9]), st.booleans())
def test_compress_keeps_the_model_valid_and_is_deterministic(qm, k, prune, use_codebook):
    codebook = k if use_codebook else None
    out = compress(qm, codebook, prune)
    validate_qmodel(out)
    for bound in acc_bounds(out):
        assert np.all(bound <= ACC_MAX)
    again = compress(qm, codebook, prune)
    for a, b, orig in zip(out.layers, again.layers, qm.layers):
        assert np.array_equal(a.weights, b.weights)
        assert np.array_equal(a.bias, orig.bias)
        for name in ("multiplier", "shift", "table"):
            x, y = getattr(a, name), getattr(orig, name)
            assert (x is None and y is None) or np.array_equal(x, y)
        w, v = orig.weights, a.weights
        assert np.all(v[w == 0] == 0)                      # zeros stay zero
        assert np.all(w * v >= 0)                          # signs kept (or zeroed)
    mags = set(np.unique(np.concatenate([np.abs(L.weights).ravel() for L in out.layers])))
    mags.discard(0)
    if codebook is not None:
        assert len(mags) <= codebook
    if prune == 0 and codebook is None:
        assert all(np.array_equal(a.weights, o.weights) for a, o in zip(out.layers, qm.layers))
    if prune > 0:  # each layer loses at least round(prune * size) weights
        for a, o in zip(out.layers, qm.layers):
            assert np.sum(a.weights == 0) >= round(prune * o.weights.size)
    assert out.info["codebook"] == codebook and out.info["prune"] == prune


def test_compress_rounds_down_the_units_a_codebook_would_push_past_24_bits():
    """One unit right at the bound: snapping 100 up to 127 would overflow, so it rounds down."""
    from c64ml.model.qmodel import QLayer, QModel

    w = np.array([[100], [127]])
    b = np.array([ACC_MAX - 227 * 255])
    qm = QModel("edge", np.zeros(2), np.ones(2), [QLayer(w, b, "linear", np.array([1]),
                                                         np.array([24]))], "scores")
    validate_qmodel(qm)
    out = compress(qm, 1)
    v = out.layers[0].weights
    assert int(acc_bounds(out)[0][0]) <= ACC_MAX
    assert np.all(np.abs(v) <= np.abs(w)) and np.any(v != w)
    assert len({int(m) for m in np.abs(v).ravel() if m}) == 1


@pytest.mark.parametrize("codebook, prune", [(0, 0.0), (128, 0.0), (None, 1.0), (None, -0.1)])
def test_compress_refuses_bad_settings(codebook, prune):
    from c64ml.model.qmodel import load_qmodel

    with pytest.raises(C64mlError):
        compress(load_qmodel(IRIS / "qmodel.json"), codebook, prune)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_quantize_prints_accuracy_before_and_after(tmp_path):
    out = tmp_path / "q.json"
    r = run("quantize", IRIS / "model.json", "--calib", IRIS / "train.csv", "-o", out,
            "--codebook", 8, "--prune", 0.2)
    assert r.exit_code == 0, r.output
    line = r.output.splitlines()[0]
    assert line.startswith("codebook 8, prune 0.2: fixed-point accuracy ")
    assert " before, " in line and line.endswith(" after")
    r = run("quantize", IRIS / "model.json", "--calib", IRIS / "train.csv", "-o", out,
            "--codebook", 8, "--prune", 0.2, "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    from c64ml.exec import reference
    from c64ml.model.dataset import load_dataset
    from c64ml.model.qmodel import load_qmodel

    qm = load_qmodel(out)
    ds = load_dataset(IRIS / "train.csv", qm.inputs)
    acc = float(np.mean(reference.predict(qm, qm.input_bytes(ds.x)) == ds.y))
    assert doc["accuracy"]["fixed"] == pytest.approx(acc)
    assert 0.0 <= doc["fixed_before_compression"] <= 1.0
    assert qm.info["calibration_accuracy"]["fixed_before_compression"] == \
        doc["fixed_before_compression"]
    mags = {int(m) for L in qm.layers for m in np.abs(L.weights).ravel() if m}
    assert len(mags) <= 8
    for L in qm.layers:
        assert np.sum(L.weights == 0) >= round(0.2 * L.weights.size)
    # the text figures are the JSON's
    assert f"{100 * doc['fixed_before_compression']:.2f}% before" in line
    assert f"{100 * doc['accuracy']['fixed']:.2f}% after" in line


@pytest.mark.parametrize("args", [("--codebook", 0), ("--prune", 1.0)])
def test_cli_quantize_refuses_bad_settings_with_exit_2(tmp_path, args):
    out = tmp_path / "q.json"
    r = run("quantize", IRIS / "model.json", "--calib", IRIS / "train.csv", "-o", out, *args)
    assert r.exit_code == 2 and args[0] in r.output and "Traceback" not in r.output
    assert not out.exists()


@pytest.mark.parametrize("args", [("--codebook", 0), ("--prune", 1.0)])
def test_cli_quantize_refuses_bad_settings_in_one_line(tmp_path, args):
    r = run("quantize", IRIS / "model.json", "--calib", IRIS / "train.csv", "-o",
            tmp_path / "q.json", *args)
    lines = r.output.strip().splitlines()
    assert r.exit_code == 2 and len(lines) == 1 and lines[0].startswith("c64ml: error: ")
