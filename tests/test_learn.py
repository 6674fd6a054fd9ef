"""c64ml/learn: the LLVM JIT of the rules against the NumPy reference (hypothesis), a
training run on the emulated C64 checked after every sample, the self-contained learning
program against the reference, the learned qmodel, and the data checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c64ml.errors import C64mlError
from c64ml.exec.reference import forward
from c64ml.learn import rules
from c64ml.learn.app import build_app
from c64ml.learn.jit import compile_learner
from c64ml.learn.session import learn, output_scale, problem, to_qmodel
from c64ml.machine.c64 import C64
from c64ml.model.dataset import Dataset, load_dataset
from c64ml.spec import LearnRule

ROOT = Path(__file__).resolve().parent.parent
IRIS = ROOT / "examples" / "iris" / "train.csv"


@st.composite
def runs(draw):
    features = draw(st.integers(1, 12))
    classes = draw(st.sampled_from([2, 3, 5]))
    n = draw(st.integers(2, 40))
    seed = draw(st.integers(0, 65535))
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, features))
    x[rng.random((n, features)) < 0.2] = draw(st.sampled_from([0, 255]))
    y = rng.integers(0, classes, n)
    return (rules.with_bias(x), y, rules.units_for(classes), draw(st.sampled_from(list(LearnRule))),
            draw(st.integers(0, 15)), draw(st.integers(1, 4)), seed)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs())
def test_jit_equals_numpy_at_every_step(case):
    xa, y, units, rule, k, epochs, seed = case
    tr = rules.train(xa, y, units, rule, k, epochs, seed, keep=True)
    flat = [s for o in rules.epoch_orders(len(xa), epochs, seed) for s in o]
    assert flat == tr.order
    w, pred, chg, log = compile_learner(xa.shape[1], units, rule, k).train(
        np.zeros((xa.shape[1], units), np.int8), xa, y, flat, keep=True)
    assert np.array_equal(log, np.array(tr.weights))
    assert list(pred) == tr.predictions and list(chg) == tr.changed
    assert np.array_equal(w, tr.final)


def test_epoch_orders_are_permutations_and_differ():
    orders = rules.epoch_orders(50, 3, 9)
    assert all(sorted(o) == list(range(50)) for o in orders)
    assert orders[0] != orders[1] != orders[2]


def test_below_draws_every_index_and_nothing_else():
    state, seen = 1, set()
    for _ in range(2000):
        j, state = rules.below(state, 7)
        seen.add(j)
    assert seen == set(range(7))


@pytest.mark.parametrize("rule", list(LearnRule))
def test_training_on_the_c64_matches_after_every_sample(rule):
    f = str(IRIS)
    p = problem(load_dataset(f), f)
    r = learn(p, rule, 2, 4 if rule == LearnRule.PERCEPTRON else 11, 3, verify=True)
    assert r.mismatches == 0
    assert r.verified == ["llvm", "numpy"]
    tr = rules.train(p.xa, p.y, 3, rule, 4 if rule == LearnRule.PERCEPTRON else 11, 2, 3)
    assert np.array_equal(r.weights, tr.final)
    assert r.updates == sum(tr.changed)
    assert r.samples == 105 and len(r.errors_per_epoch) == 2


def test_a_c64_that_differs_is_counted(monkeypatch):
    """The comparison can fail: a C64 whose weights are corrupted after one sample."""
    from c64ml.learn import c64 as c64mod

    real = c64mod.C64Learner.sample
    calls = []

    def corrupt(self, xa, label):
        step = real(self, xa, label)
        calls.append(1)
        if len(calls) == 5:
            w = step.weights.copy()
            w[0, 0] ^= 1
            self.set_weights(w)
            step.weights = w
        return step

    monkeypatch.setattr(c64mod.C64Learner, "sample", corrupt)
    f = str(IRIS)
    r = learn(problem(load_dataset(f), f), LearnRule.PERCEPTRON, 1, 4, 1)
    assert r.mismatches >= 1


@pytest.mark.parametrize("rule", list(LearnRule))
def test_the_learning_program_learns_what_the_reference_does(rule):
    f = str(IRIS)
    p = problem(load_dataset(f), f)
    k = 4 if rule == LearnRule.PERCEPTRON else 11
    app = build_app(p.xa, p.y, 3, rule, k, 3, 77)
    m = C64()
    r = m.run_prg(app.prg(), max_cycles=100_000_000)
    assert r.reason == "return"
    w = np.frombuffer(bytes(m.ram[app.weights_at:app.weights_at + 15]), np.int8).reshape(5, 3)
    tr = rules.train(p.xa, p.y, 3, rule, k, 3, 77)
    assert np.array_equal(w, tr.final)
    errs = [sum(tr.predictions[t] != p.y[tr.order[t]] for t in range(e * 105, (e + 1) * 105))
            for e in range(3)]
    lines = [ln for ln in m.screen_text() if ln.startswith("EPOCH")]
    assert [int(ln.split()[3]) for ln in lines] == errs
    assert any(ln.startswith("DONE") for ln in m.screen_text())


def test_a_binary_qmodel_predicts_exactly_what_the_learner_does():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(80, 3))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    p = problem(Dataset(x, y), "mem")
    w = rules.train(p.xa, p.y, 1, LearnRule.PERCEPTRON, 3, 5, 1).final
    q = to_qmodel(p, w, "t")
    acc, _ = forward(q, p.xa[:, :-1])
    assert np.array_equal(acc[:, 0], rules.scores(w, p.xa)[:, 0])  # bias = 255·w_bias
    assert q.layers[0].activation == "step"


@given(st.lists(st.integers(-128, 127), min_size=4, max_size=40).filter(lambda v: any(v)))
def test_output_scale_is_the_finest_that_cannot_saturate(vals):
    w = np.array(vals[: len(vals) // 2 * 2], np.int8).reshape(-1, 2)
    if not np.any(w):
        return
    m, s = output_scale(w)
    bound = int((np.abs(w.astype(int)).sum(axis=0) * 255).max())
    assert 1 <= m <= 255 and 0 <= s <= 24
    assert bound * m <= 127 * 2 ** s                 # never beyond 127
    for s2 in range(25):                             # no finer (M, S) fits
        m2 = min(255, (127 << s2) // bound)
        assert m2 * 2 ** s <= m * 2 ** s2


@pytest.mark.parametrize("x, y, needle", [
    (np.ones((4, 2)), np.zeros(4, int), "only one class"),
    (np.ones((4, 2)), None, "has no labels"),
    (np.ones((4, 255)), np.array([0, 1, 0, 1]), "255 features"),
    (np.ones((4, 2)), np.arange(4) * 6, "19 classes"),
    (np.ones((4, 2)), np.array([0, 1, -1, 0]), "negative"),
])
def test_bad_training_data_is_one_error(x, y, needle):
    with pytest.raises(C64mlError, match=needle) as e:
        problem(Dataset(x, y), "d.npz")
    assert e.value.path == "d.npz"


def test_too_many_samples_for_a_program():
    x = rules.with_bias(np.zeros((2000, 30), np.uint8))
    with pytest.raises(C64mlError, match="do not fit"):
        build_app(x, np.arange(2000) % 2, 1, LearnRule.PERCEPTRON, 4, 1, 1)


@pytest.mark.parametrize("epochs", [5, 10, 20])
def test_lms_beats_the_perceptron_on_overlapping_classes(epochs):
    """The claim of semantics §9.3 and docs/learning.md, on examples/overlap."""
    from c64ml.learn.session import accuracy, test_bytes
    d = ROOT / "examples" / "overlap"
    p = problem(load_dataset(d / "train.csv"), "train")
    tx, ty = test_bytes(p, load_dataset(d / "test.csv"), "test")
    got = {}
    for rule, k in ((LearnRule.PERCEPTRON, 4), (LearnRule.LMS, 12)):
        w = rules.train(p.xa, p.y, 1, rule, k, epochs, 1).final
        got[rule] = accuracy(w, tx, ty)
    assert got[LearnRule.LMS] > got[LearnRule.PERCEPTRON]


def test_a_c64_shuffle_that_differs_is_counted(monkeypatch):
    from c64ml.learn import c64 as c64mod

    real = c64mod.C64Learner.shuffle
    monkeypatch.setattr(c64mod.C64Learner, "shuffle",
                        lambda self, order: real(self, order)[::-1])
    f = str(IRIS)
    r = learn(problem(load_dataset(f), f), LearnRule.PERCEPTRON, 2, 4, 1)
    assert r.mismatches >= 2  # both epochs' orders, and samples after them


def test_the_c64_shuffles_like_the_reference():
    f = str(IRIS)
    problem(load_dataset(f), f)  # iris is a valid learning problem (105 samples, 4 features)
    from c64ml.learn.c64 import C64Learner
    c = C64Learner(5, 3, LearnRule.PERCEPTRON, 4, samples=105, seed=321)
    order = list(range(105))
    for want in rules.epoch_orders(105, 3, 321):
        order = c.shuffle(order)
        assert order == want


def test_verify_refuses_when_numpy_and_llvm_disagree(monkeypatch):
    real = rules.learn_sample

    def off_by_one(w, xa, label, rule, rate):
        new, pred, changed = real(w, xa, label, rule, rate)
        return new, 1 - pred if new.shape[1] == 1 else pred, changed

    monkeypatch.setattr(rules, "learn_sample", off_by_one)
    x = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    p = problem(Dataset(x, np.array([0, 1, 1, 0])), "mem")
    with pytest.raises(C64mlError, match="disagree"):
        learn(p, LearnRule.PERCEPTRON, 1, 4, 1, verify=True)


def test_too_many_samples_for_the_order_table():
    from c64ml.learn.c64 import C64Learner
    with pytest.raises(C64mlError, match="order table"):
        C64Learner(3, 1, LearnRule.PERCEPTRON, 4, samples=20_000)
    x = np.zeros((20_000, 2))
    with pytest.raises(C64mlError, match="20000 samples") as e:
        problem(Dataset(x, np.arange(20_000) % 2), "big.npz")
    assert e.value.path == "big.npz"


def test_fast_and_reference_engines_agree_on_learning():
    """The cycle figures come from the fast engine; py65's core gives the same ones."""
    from c64ml.learn.c64 import C64Learner
    f = str(IRIS)
    p = problem(load_dataset(f), f)
    runs = []
    for engine in ("fast", "reference"):
        c = C64Learner(5, 3, LearnRule.LMS, 12, samples=105, engine=engine)
        order = c.shuffle(list(range(105)))
        runs.append([(c.sample(p.xa[s], int(p.y[s])).cycles) for s in order[:30]]
                    + [c.weights().tolist()])
    assert runs[0] == runs[1]
