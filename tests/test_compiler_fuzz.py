"""The compiler, fuzzed: random qmodels compiled to 6502 code and run in the emulated C64 (with
the KERNAL interrupt live) must give exactly the output bytes of docs/semantics.md §7, as the
NumPy reference and the LLVM JIT compute them. At least 200 random models per run with the
table-driven loop, 120 more compressed ones with a random strategy per layer and 60 with a
random runtime loop per layer (LoopForm: dense.s's tables or levels, sparse.s); every edge
model with every strategy. Every model also runs its first two rows on the reference core
(py65) as well as the fast engine: identical outputs and cycles (tests/test_fast_engine.py).
"""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from qmodel_strategies import input_batches, models_with_inputs, qmodels

from c64ml.backend6502 import costmodel, unit_act, unrolled, wide
from c64ml.backend6502.codegen import sparse_fits
from c64ml.backend6502.compiler import build_library
from c64ml.backend6502.unrolled import row_order
from c64ml.errors import C64mlError
from c64ml.exec import reference
from c64ml.exec.jit import compile_qmodel
from c64ml.model.qmodel import QLayer, QModel
from c64ml.quantize.ptq import compress
from c64ml.spec import ACC_MAX, KIND_MAX, NARROW_ACC_MAX, Activation, LoopForm, Strategy
from c64ml.verify.harness import run_build

COUNT = {"models": 0, "sparse": 0}


def check(model: QModel, q: np.ndarray, strategies: list[str] | None = None,
          split_rows: dict[int, int] | None = None) -> None:
    build = build_library(model, origin=0x1000, strategies=strategies, split_rows=split_rows)
    run = run_build(build, q)                       # the fast engine (the default)
    got = run.outputs
    ref = run_build(build, q[:2], engine="reference")   # the reference core: same everything
    assert np.array_equal(ref.outputs, got[:2]) and np.array_equal(ref.cycles, run.cycles[:2])
    assert np.array_equal(ref.layer_cycles, run.layer_cycles[:2])
    want = reference.output_bytes(model, q)
    assert np.array_equal(want, compile_qmodel(model).output_bytes(q))
    bad = np.flatnonzero(np.any(got != want, axis=1))
    assert bad.size == 0, f"row {bad[0]}: 6502 {got[bad[0]].tolist()} != {want[bad[0]].tolist()}"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models_with_inputs(max_layers=3, max_width=12, max_inputs=12))
def test_random_models_are_bit_exact_on_the_6502(case):
    model, q = case
    check(model, q[:8])
    COUNT["models"] += 1


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models_with_inputs(max_layers=3, max_width=12, max_inputs=12),
       st.lists(st.sampled_from(list(Strategy)), min_size=3, max_size=3),
       st.integers(1, 8), st.sampled_from([0.0, 0.3]))
def test_random_models_with_every_strategy(case, strategies, codebook, prune):
    """Compressed (codebook, pruning) models with a random strategy per layer."""
    model, q = case
    model = compress(model, codebook, prune)
    check(model, q[:6], strategies[:len(model.layers)])
    COUNT["models"] += 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models_with_inputs(max_layers=3, max_width=12, max_inputs=12),
       st.lists(st.sampled_from(list(Strategy)), min_size=3, max_size=3),
       st.lists(st.floats(0, 1), min_size=3, max_size=3), st.sampled_from([0.0, 0.3]),
       st.sampled_from(list(LoopForm)))
def test_split_layers_cut_anywhere(case, strategies, cuts, prune, form):
    """Layer 0 split (split.py), the other layers any strategy, split ones too, each cut
    anywhere: from every row looped (then the specialised units) to none; the looped rows
    forced into each runtime loop where their weights fit it."""
    model, q = case
    model = compress(model, 4, prune)
    strategies = [Strategy.SPLIT] + strategies[1:len(model.layers)]
    rows = {k: int(round(c * len(row_order(layer.weights))))
            for k, (layer, st_, c) in enumerate(zip(model.layers, strategies, cuts))
            if st_ == Strategy.SPLIT}

    def forced(layer):
        if form == LoopForm.SPARSE and not sparse_fits(layer.weights) or \
                form == LoopForm.LEVELS and len(np.unique(layer.weights)) > 255:
            return LoopForm.TABLES
        return form

    with patch.object(costmodel, "loop_form", forced):
        check(model, q[:6], strategies, rows)
    COUNT["models"] += 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models_with_inputs(max_layers=3, max_width=12, max_inputs=12),
       st.lists(st.sampled_from([*LoopForm, LoopForm.SPARSE]), min_size=3, max_size=3),
       st.integers(1, 8), st.sampled_from([0.0, 0.3, 0.7]))
def test_random_models_with_every_loop_form(case, forms, codebook, prune):
    """Loop layers forced into each runtime loop (dense.s's two, sparse.s) where the weights
    fit it, whatever the cost model would pick."""
    model, q = case
    model = compress(model, codebook, prune)

    def form(layer):
        f = forms[next(k for k, other in enumerate(model.layers) if other is layer)]
        if f == LoopForm.SPARSE and not sparse_fits(layer.weights) or \
                f == LoopForm.LEVELS and len(np.unique(layer.weights)) > 255:
            return LoopForm.TABLES
        return f

    with patch.object(costmodel, "loop_form", form):
        check(model, q[:6])
    COUNT["models"] += 1
    COUNT["sparse"] += sum(form(layer) == LoopForm.SPARSE for layer in model.layers)


def test_at_least_200_random_models_ran():
    assert COUNT["models"] >= 440
    assert COUNT["sparse"] >= 10  # layers on sparse rows (24 to 55 in trials)


def _acc16(model: QModel, strategy: Strategy) -> list[bool]:
    """Which units of the last layer accumulate in 16 bits as ``strategy`` builds it."""
    k = len(model.layers) - 1
    if wide.takes_wide_path(model.layers[k], model.input_kinds()[k], strategy) or \
            not strategy.specialised:
        return [False] * model.n_out
    return unit_act.acc16(model.layers, k)


@pytest.mark.parametrize("activation, bits, strategy", [
    (a, bits, s) for a in Activation for bits in (16, 24) for s in Strategy
    if bits == 24 or s.specialised])  # only unrolled and unrolled-mul have 16-bit units
def test_every_activation_width_and_strategy(activation, bits, strategy):
    """Random models (one or two layers, the last with ``activation``) whose last layer has a
    unit accumulating in ``bits`` bits (unit_act.acc16), bit-exact on the C64 with the
    interrupt live."""

    @settings(max_examples=6, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(qmodels(max_layers=2, max_width=8, max_inputs=8, wide=False, last=activation)
           .flatmap(lambda m: st.tuples(st.just(m), input_batches(m.inputs, max_random=8))))
    def run(case):
        model, q = case
        model = compress(model, 16, 0.0)   # at most 16 tables of m·Y: the build fits at $1000
        assume((bits == 16) in _acc16(model, strategy))
        check(model, q, [strategy] * len(model.layers))

    run()


def test_16_bit_partial_sums_wrap():
    """After sign (inputs −1 or 1, read as 127 or 129), the start constant B − 128·Σw of a unit
    with large weights of one sign lies far outside 16 bits, and its partial sums with it,
    while its final value fits: the accumulator, modulo 2^16, is still exact."""
    rng = np.random.default_rng(5)
    first = _layer(rng.integers(-128, 128, (6, 12)), [0] * 12, "sign")
    w = np.array([[127, -128, 100, 1]] * 12)
    w[::3, 2] = -100
    model = _model([first, _layer(w, [0, 5, -300, 0], "linear", 255, 6)], "scores")
    model.validate()
    c = unrolled.start_constants(model.layers[1].bias, model.layers[1].weights, "s8")
    assert all(unit_act.acc16(model.layers, 1))
    assert np.any(np.abs(np.where(c >= 1 << 23, c - (1 << 24), c)) >= 1 << 15)
    q = rng.integers(0, 256, (64, 6)).astype(np.uint8)
    for strategy in (Strategy.UNROLLED, Strategy.UNROLLED_MUL):
        check(model, q, [strategy] * 2)


def _layer(w, b, act, m=None, s=None, table=None):
    n = len(b)
    arr = lambda v: None if v is None else np.full(n, v, dtype=np.int64)  # noqa: E731
    return QLayer(np.array(w, dtype=np.int64), np.array(b, dtype=np.int64), act, arr(m), arr(s),
                  None if table is None else np.array(table, dtype=np.int64))


def _model(layers, output="argmax", n_in=None):
    n_in = n_in or layers[0].n_in
    return QModel("edge", np.zeros(n_in), np.ones(n_in), layers, output)


EDGE = {
    # one input, one unit, accumulator at +/- the 24-bit bound (the narrow path's limit)
    "acc_top": _model([_layer([[127]], [NARROW_ACC_MAX - 127 * 255], "linear", 1, 24)],
                      "scores"),
    "acc_bottom": _model([_layer([[-128]], [-(NARROW_ACC_MAX - 128 * 255)], "linear", 255, 0)],
                         "scores"),
    # ... and at +/- the 32-bit bound (the wide path, runtime6502/wide.s and rq32.s)
    "acc32_top": _model([_layer([[127]], [ACC_MAX - 127 * 255], "relu", 1, 24)], "scores"),
    "acc32_bottom": _model([_layer([[-128]], [-(ACC_MAX - 128 * 255)], "linear", 255, 24)],
                           "scores"),
    "inputs_1024": _model([_layer(np.random.default_rng(3).integers(-128, 128, (1024, 3)),
                                  [0, -1000, 1000], "linear", 5, 20),
                           _layer([[1, -1], [2, 3], [-4, 5]], [0, 0], "step")]),
    # saturation both ways in each clamped activation
    "saturate": _model([_layer([[127] * 3] * 4, [0, 0, 0], "relu", 255, 0),
                        _layer([[-128, 127]] * 3, [5, -5], "hardtanh", 255, 0)]),
    "all_zero": _model([_layer([[0] * 5] * 7, [0] * 5, "relu", 0, 0)]),
    "all_max": _model([_layer([[127] * 6] * 255, [0] * 6, "linear", 1, 20)]),
    "one_neuron_step": _model([_layer([[1], [-1], [3]], [-200], "step")]),
    "sign_then_linear": _model([_layer([[2, -3]] * 4, [10, -10], "sign"),
                                _layer([[100], [-100]], [0], "linear", 255, 1)]),
    "tables": _model([_layer([[50, -50]] * 3, [0, 0], "sigmoid", 200, 10,
                             list(range(256))),
                      _layer([[127, -128, 1]] * 2, [0, 0, 0], "tanh", 255, 8,
                             list(range(-128, 128)))]),
    "wide_256_inputs": _model([_layer(np.random.default_rng(1).integers(-128, 128, (256, 4)),
                                      [0] * 4, "relu", 3, 16)]),
    "wide_255_units": _model([_layer(np.random.default_rng(2).integers(-128, 128, (3, 255)),
                                     list(range(255)), "linear", 9, 11)]),
}


@pytest.mark.parametrize("strategy", list(Strategy))
@pytest.mark.parametrize("name", sorted(EDGE))
def test_edge_models(name, strategy):
    model = EDGE[name]
    model.validate()
    rng = np.random.default_rng(0)
    n = model.inputs
    q = np.vstack([np.zeros(n), np.full(n, 255), rng.integers(0, 256, (6, n))]).astype(np.uint8)
    mags = set().union(*(set(np.abs(L.weights).ravel()) - {0} for L in model.layers))
    if Strategy(strategy).unrolled and len(mags) > 64:  # 512 bytes of table per magnitude
        with pytest.raises(C64mlError, match="needs .* bytes"):
            build_library(model, origin=0x1000, strategies=[strategy] * len(model.layers))
        return
    check(model, q, [strategy] * len(model.layers))


def test_bounds_really_are_extreme():
    """The edge models sit exactly on the accumulator bound of docs/semantics.md §3."""
    for name, top in (("acc_top", NARROW_ACC_MAX), ("acc_bottom", NARROW_ACC_MAX),
                      ("acc32_top", ACC_MAX), ("acc32_bottom", ACC_MAX)):
        layer = EDGE[name].layers[0]
        bound = np.abs(layer.bias) + np.abs(layer.weights).sum(0) * KIND_MAX["u8"]
        assert bound.max() == top
