"""The NumPy trainer (c64ml/train/mlp.py) and ``c64ml train``: determinism, quantization-aware
training whose exported qmodel the LLVM JIT runs to exactly the trainer's own integers, the
options' constraints, exact removal of dead units, and bad data refused in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from testpaths import EXAMPLES, run_cli

from c64ml.exec import reference
from c64ml.exec.jit import compile_qmodel
from c64ml.model.dataset import Dataset, load_dataset
from c64ml.model.floatmodel import load_model
from c64ml.model.qmodel import QLayer, QModel, acc_bounds, load_qmodel
from c64ml.train.mlp import (
    TrainOptions,
    drop_dead_units,
    from_qmodel,
    int_forward,
    quantized_predict,
    train,
)

IRIS = EXAMPLES / "iris"
FRUIT = EXAMPLES / "fruit_colors"


@pytest.fixture(scope="module")
def iris():
    return load_dataset(IRIS / "train.csv"), load_dataset(IRIS / "test.csv")


@pytest.fixture(scope="module")
def fruit():
    return load_dataset(FRUIT / "train.csv"), load_dataset(FRUIT / "test.csv")


def _dump(m) -> str:
    return json.dumps(m.to_json(), sort_keys=True)


def test_same_seed_same_bytes_other_seed_other_bytes(iris):
    tr, _ = iris
    opts = dict(hidden=(6,), epochs=40, weights="int4", prune=0.3)
    a = train(tr, TrainOptions(seed=3, **opts))
    b = train(tr, TrainOptions(seed=3, **opts))
    c = train(tr, TrainOptions(seed=4, **opts))
    assert _dump(a.qmodel) == _dump(b.qmodel) and _dump(a.model) == _dump(b.model)
    assert _dump(a.qmodel) != _dump(c.qmodel)


def test_cli_same_seed_same_file_bytes(tmp_path):
    outs = []
    for k in range(2):
        out = tmp_path / f"m{k}.json"
        res = run_cli("train", IRIS / "train.csv", "--hidden", "5", "--epochs", "30",
                      "--seed", "9", "--name", "same", "-o", out)
        assert res.exit_code == 0, res.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def _check_export_equality(qm: QModel, datasets) -> None:
    """The JIT's output bytes equal the trainer's integer forward pass on every sample, and
    so do the classes (the trainer's own quantized evaluation)."""
    jit = compile_qmodel(qm)
    for ds in datasets:
        q = qm.input_bytes(ds.x)
        _, y = int_forward(from_qmodel(qm), q)
        out = jit.output_bytes(q)
        assert np.array_equal(out[:, :-1], np.mod(y, 256).astype(np.uint8))
        assert np.array_equal(jit.predict(q), quantized_predict(qm, q))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weights=st.sampled_from(["int8", "int4", "ternary"]),
       codebook=st.one_of(st.none(), st.integers(1, 6)),
       prune=st.sampled_from([0.0, 0.25, 0.6]),
       requant=st.sampled_from(["any", "pow2"]),
       accumulator=st.sampled_from([16, 24]),
       activation=st.sampled_from(["relu", "hardtanh"]),
       hidden=st.sampled_from([(), (4,), (7, 5)]),
       seed=st.integers(0, 50))
def test_qat_export_is_what_the_trainer_evaluated(fruit, weights, codebook, prune, requant,
                                                  accumulator, activation, hidden, seed):
    tr, te = fruit
    r = train(tr, TrainOptions(hidden=hidden, activation=activation, epochs=12, seed=seed,
                               weights=weights, codebook=codebook, prune=prune,
                               requant=requant, accumulator=accumulator))
    qm = r.qmodel
    _check_export_equality(qm, (tr, te))
    limit = {"int8": 127, "int4": 7, "ternary": 1}[weights]
    mags = np.concatenate([np.abs(L.weights).ravel() for L in qm.layers])
    assert mags.max() <= limit
    if codebook is not None:
        assert len(np.unique(mags[mags > 0])) <= codebook
    if requant == "pow2":
        for L in qm.layers:
            assert np.all((L.multiplier & (L.multiplier - 1)) == 0) and np.all(L.multiplier > 0)
    bound = 2 ** 15 - 1 if accumulator == 16 else 2 ** 23 - 1
    assert max(int(b.max()) for b in acc_bounds(qm)) <= bound
    if prune and not hidden:  # one layer: nothing removed, the mask's share is exact
        w = qm.layers[0].weights
        assert np.count_nonzero(w == 0) >= round(prune * w.size)


def test_qat_accuracy_is_close_to_float_on_iris(iris):
    tr, te = iris
    r = train(tr, TrainOptions(hidden=(8,), weights="ternary", seed=0))
    jit = compile_qmodel(r.qmodel)
    acc = np.mean(jit.predict(r.qmodel.input_bytes(te.x)) == te.y)
    assert acc >= np.mean(r.model.predict(te.x) == te.y) - 0.05


def test_cycle_target_is_met_by_the_cost_model(fruit):
    tr, _ = fruit
    from c64ml.backend6502.costmodel import inference_cycles
    from c64ml.backend6502.strategy import likely_strategies

    r = train(tr, TrainOptions(hidden=(16,), epochs=60, weights="int4", target_cycles=5000))
    q = r.qmodel.input_bytes(tr.x[:400])
    assert inference_cycles(r.qmodel, q, likely_strategies(r.qmodel, "speed")) <= 5000
    assert all(L.shift.max() % 8 == 0 and np.all(L.shift % 8 == 0) for L in r.qmodel.layers)


def test_drop_dead_units_is_exact():
    rng = np.random.default_rng(0)
    w0 = rng.integers(-5, 6, (6, 5))
    w0[:, 1] = 0  # no inputs: a constant, folded into the next biases
    w1 = rng.integers(-5, 6, (5, 3))
    w1[3] = 0  # read by no one
    layers = [QLayer(w0, rng.integers(-50, 50, 5), "relu", np.full(5, 200), np.full(5, 6)),
              QLayer(w1, rng.integers(-50, 50, 3), "linear", np.full(3, 150), np.full(3, 7))]
    layers[0].bias[1] = 900  # relu(requant(900)) > 0, so the fold matters
    qm = QModel("t", np.zeros(6), np.ones(6), layers)
    small = drop_dead_units(qm)
    assert small.layers[0].n_out == 3
    q = rng.integers(0, 256, (300, 6)).astype(np.uint8)
    assert np.array_equal(reference.output_bytes(qm, q), reference.output_bytes(small, q))


def test_perceptron_and_float_model_files(tmp_path, iris):
    out = tmp_path / "p.json"
    res = run_cli("train", IRIS / "train.csv", "--test", IRIS / "test.csv", "--hidden", "0",
                  "-o", out, "--json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    m = load_model(out)
    assert len(m.layers) == 1 and d["kind"] == "model"
    _, te = iris
    assert d["test"]["float"] == np.mean(m.predict(te.x) == te.y)


def test_cli_json_figures_are_the_written_qmodels(tmp_path, iris):
    out = tmp_path / "q.json"
    res = run_cli("train", IRIS / "train.csv", "--test", IRIS / "test.csv", "--hidden", "6",
                  "--weights", "int4", "--epochs", "40", "-o", out, "--json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    qm = load_qmodel(out)
    tr, te = iris
    for key, ds in (("train", tr), ("test", te)):
        want = float(np.mean(compile_qmodel(qm).predict(qm.input_bytes(ds.x)) == ds.y))
        assert d[key]["fixed"] == want == d[key]["trainer"]


def test_cli_target_cycles_confirmed_in_the_emulator(tmp_path):
    out = tmp_path / "q.json"
    res = run_cli("train", FRUIT / "train.csv", "--test", FRUIT / "test.csv", "--hidden", "8",
                  "--weights", "ternary", "--epochs", "40", "--target-cycles", "6000",
                  "-o", out, "--json")
    assert res.exit_code == 0, res.output
    c = json.loads(res.stdout)["cycles"]
    assert c["estimate"] <= 6000 and c["measured"]["mismatches"] == 0
    assert abs(c["measured"]["mean"] - c["estimate"]) <= 0.1 * c["estimate"]


def _csv(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("content, needle", [
    ("1,2,0\n3,x,1\n5,6,0\n7,8,1\n", "bad.csv"),
    ("1,2,0\n3,nan,1\n5,6,0\n7,8,1\n", "not a finite number"),
    ("1,2,0\n3,4,0\n5,6,0\n7,8,0\n", "only one class"),
    ("1,2,0\n3,4,1\n", "at least 4"),
    ("1,2,0\n3,4,1\n5,6,300\n7,8,1\n", "labels"),
])
def test_bad_data_one_line(tmp_path, content, needle):
    p = _csv(tmp_path, "bad.csv", content)
    res = run_cli("train", p, "-o", tmp_path / "out.json")
    assert res.exit_code == 2, res.output
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and "bad.csv" in lines[0] and needle in lines[0], res.stderr
    assert "Traceback" not in res.output and not (tmp_path / "out.json").exists()


def test_absurd_sizes_and_options_one_line(tmp_path):
    wide = _csv(tmp_path, "wide.csv", "\n".join(",".join(["1"] * 1100 + [str(k % 2)])
                                                for k in range(4)) + "\n")
    good = IRIS / "train.csv"
    for args, needle in (([wide], "1100 features"), ([good, "--hidden", "300"], "--hidden"),
                         ([good, "--hidden", "a,b"], "--hidden"),
                         ([good, "--hidden", "4,4,4,4,4,4,4,4"], "--hidden"),
                         ([good, "--epochs", "0"], "--epochs"),
                         ([good, "--prune", "1.5"], "--prune"),
                         ([good, "--codebook", "0"], "--codebook"),
                         ([good, "--activation", "tanh", "--weights", "int4"], "--activation"),
                         ([good, "--target-cycles", "5"], "--target-cycles")):
        res = run_cli("train", *args, "-o", tmp_path / "o.json")
        assert res.exit_code == 2, (args, res.output)
        lines = res.stderr.splitlines()
        assert len(lines) == 1 and needle in lines[0], (args, res.stderr)


def test_unlabelled_npz_refused(tmp_path):
    from c64ml.model.dataset import save_npz

    p = tmp_path / "x.npz"
    save_npz(p, np.ones((10, 3)))
    res = run_cli("train", p, "-o", tmp_path / "o.json")
    assert res.exit_code == 2 and "no labels" in res.stderr and "x.npz" in res.stderr


def test_output_never_overwrites_the_data(tmp_path):
    p = tmp_path / "d.csv"
    p.write_bytes((IRIS / "train.csv").read_bytes())
    res = run_cli("train", p, "-o", p)
    assert res.exit_code == 2 and p.read_bytes() == (IRIS / "train.csv").read_bytes()


@pytest.mark.slow
def test_digits_float_and_moonshot(tmp_path):
    """The issue's figures: the digits MLP to ≥ 96.5 % in under 60 s, and the int4 model
    within 26,000 cycles measured on the emulated C64 at ≥ 96.5 % (docs/training.md)."""
    import time

    d = EXAMPLES / "digits"
    t0 = time.perf_counter()
    res = run_cli("train", d / "train.npz", "--test", d / "test.npz", "-o", tmp_path / "f.json",
                  "--json")
    assert res.exit_code == 0 and time.perf_counter() - t0 < 60
    assert json.loads(res.stdout)["test"]["float"] >= 0.965
    res = run_cli("train", d / "train.npz", "--test", d / "test.npz", "--hidden", "24",
                  "--weights", "int4", "--target-cycles", "26000", "-o", tmp_path / "q.json",
                  "--json")
    r = json.loads(res.stdout)
    assert r["cycles"]["measured"]["mean"] <= 26000 and r["test"]["fixed"] >= 0.965
    assert r["cycles"]["measured"]["c64_accuracy"] >= 0.965


def test_dataset_labels_used_as_given():
    ds = Dataset(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 2, 0, 2]))
    r = train(ds, TrainOptions(hidden=(), epochs=5))
    assert r.model.n_classes == 3  # class 1 is absent but kept: labels are indices


@pytest.mark.parametrize("folder,args", [
    ("wine", ["--hidden", "8", "--weights", "int4", "--name", "wine"]),
    ("fruit_colors", ["--hidden", "16", "--weights", "int4", "--name", "fruit"]),
])
def test_committed_trained_examples_are_what_the_command_makes(tmp_path, folder, args):
    """examples/*/qmodel-trained.json is the output of the command in the example's README
    (on another machine's floating point the last bits may differ: then re-make them)."""
    d = EXAMPLES / folder
    out = tmp_path / "q.json"
    res = run_cli("train", d / "train.csv", "--test", d / "test.csv", *args, "-o", out)
    assert res.exit_code == 0, res.output
    assert out.read_bytes() == (d / "qmodel-trained.json").read_bytes()
