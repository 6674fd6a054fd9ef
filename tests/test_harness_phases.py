"""Where an inference's cycles go (c64ml/verify/harness.py, phase marks of
labels.phase_mark): each layer's accumulation and activation, and the overhead. Checked
against the harness's independent call profile on loop layers, and for consistency on every
strategy and on wide layers."""

from __future__ import annotations

import numpy as np
import pytest
from testpaths import EXAMPLES

from c64ml.backend6502.compiler import build_library
from c64ml.backend6502.wide import is_wide
from c64ml.errors import C64mlError
from c64ml.exec import reference
from c64ml.model.dataset import load_dataset
from c64ml.model.qmodel import QLayer, QModel, load_qmodel, validate_qmodel
from c64ml.spec import Phase, Strategy
from c64ml.verify.harness import run_build

JSR = 6


def test_loop_layers_split_equals_the_call_profile():
    """A loop layer accumulates in ``jsr dn_run`` and activates in ``jsr ac_run`` (its
    parameters set before are overhead): its phases are those calls, as the call-site
    probes of ``profile=True`` measure them."""
    iris = load_qmodel(EXAMPLES / "iris" / "qmodel.json")
    q = iris.input_bytes(load_dataset(EXAMPLES / "iris" / "test.csv", iris.inputs).x[:12])
    run = run_build(build_library(iris), q, profile=True)
    inc = run.profile.layer_inclusive
    for k in range(len(iris.layers)):
        acc, act = run.phase_cycles[:, k, 0].sum(), run.phase_cycles[:, k, 1].sum()
        assert acc == len(q) * JSR + inc[k, "dn_run"]
        assert act == len(q) * JSR + inc[k, "ac_run"]
    split = run.split()
    assert split[Phase.ACCUMULATE] + split[Phase.ACTIVATE] + split[Phase.OVERHEAD] == \
        pytest.approx(run.cycles.mean())


def _model(rng, sizes, acts):
    layers = []
    for n_in, n_out, act in zip(sizes, sizes[1:], acts):
        w = rng.integers(-9, 10, (n_in, n_out))
        layers.append(QLayer(w.astype(np.int64), rng.integers(-300, 300, n_out).astype(np.int64),
                             act, np.full(n_out, 150), np.full(n_out, 11)))
    m = QModel("p", np.zeros(sizes[0]), np.ones(sizes[0]), layers, "argmax")
    validate_qmodel(m)
    return m


@pytest.mark.parametrize("strategy", list(Strategy))
@pytest.mark.parametrize("case", ["narrow", "wide bound", "300 inputs"])
def test_every_layer_has_both_phases_within_its_cycles(strategy, case):
    """Every strategy, narrow and wide layers (a bias beyond 24 bits; 300 inputs, loops
    only): both phases of every layer are measured, they fit in the layer's cycles, and
    with the overhead they make up the inference."""
    sizes = (300, 4, 2) if case == "300 inputs" else (6, 5, 3)
    rng = np.random.default_rng(len(case))
    m = _model(rng, sizes, ["relu", "linear"])
    if case == "wide bound":
        m.layers[0].bias[0] = 9_000_000
        assert is_wide(m.layers[0], m.input_kinds()[0])
    q = rng.integers(1, 256, (5, sizes[0])).astype(np.uint8)
    strategies = [strategy] * len(m.layers)
    if case == "300 inputs" and strategy.unrolled:
        with pytest.raises(C64mlError, match="layer 0 has 300 inputs: unrolled code takes at "
                                             "most 256; use the loop strategy"):
            build_library(m, strategies=strategies)
        strategies[0] = Strategy.LOOP
    run = run_build(build_library(m, strategies=strategies), q)
    assert np.array_equal(run.outputs, reference.output_bytes(m, q))
    assert np.all(run.phase_cycles > 0)
    assert np.all(run.phase_cycles.sum(axis=2) <= run.layer_cycles)
    assert np.all(run.phase_cycles.sum(axis=(1, 2)) < run.cycles)
    assert sum(run.split().values()) == pytest.approx(run.cycles.mean())
