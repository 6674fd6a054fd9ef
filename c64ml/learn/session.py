"""A training run of ``c64ml learn``: the data checked and mapped to input bytes, the rule
run on the emulated C64 one sample at a time, every step's weights compared with the LLVM
JIT of the rule (and, with ``verify``, the NumPy reference), and the learned layer
written out as an ordinary qmodel (docs/semantics.md §9.5)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from c64ml.errors import C64mlError
from c64ml.exec.reference import predict
from c64ml.learn import rules
from c64ml.learn.c64 import C64Learner, check_size
from c64ml.learn.jit import compile_learner
from c64ml.model.dataset import Dataset
from c64ml.model.qmodel import QLayer, QModel
from c64ml.progress import progress
from c64ml.spec import (
    MAX_MULTIPLIER,
    MAX_SHIFT,
    Activation,
    LearnRule,
    OutputMode,
)

PAL_HZ = 985_248
MAX_EPOCHS = 1000


@dataclass
class Problem:
    """Training data as input bytes (bias byte appended), labels and the input mapping."""

    xa: np.ndarray
    y: np.ndarray
    classes: int
    lo: np.ndarray
    hi: np.ndarray


def problem(ds: Dataset, path: str | os.PathLike) -> Problem:
    """Check a labelled training set and map it to input bytes with the range of its
    features (uint8 data are input bytes already); one C64mlError naming ``path``."""
    if ds.y is None:
        raise C64mlError("has no labels; learning needs a class per sample", path, "y")
    if ds.x_dtype == "int8":
        raise C64mlError("holds int8 tensor values; give raw features or uint8 input bytes",
                         path, "x")
    y = np.asarray(ds.y, np.int64)
    if y.min() < 0:
        raise C64mlError(f"label {y.min()} is negative; labels are classes 0, 1, …", path, "y")
    if len(np.unique(y)) < 2:
        raise C64mlError(f"holds only one class ({y[0]}); learning needs two or more",
                         path, "y")
    classes = int(y.max()) + 1
    try:
        check_size(ds.x.shape[1] + 1, rules.units_for(classes), len(ds.x))
    except C64mlError as e:
        raise C64mlError(e.message, path, e.field) from None
    if ds.x_dtype == "uint8":
        lo = np.zeros(ds.x.shape[1])
        hi = np.full(ds.x.shape[1], 255.0)
    else:
        lo, hi = ds.x.min(axis=0).astype(np.float64), ds.x.max(axis=0).astype(np.float64)
        hi = np.where(hi > lo, hi, lo + 1.0)
    shell = _qmodel("shell", lo, hi, np.zeros((ds.x.shape[1] + 1, rules.units_for(classes)),
                                              np.int8), classes)
    xb = shell.data_bytes(ds.x, ds.x_dtype)
    return Problem(rules.with_bias(xb), y, classes, lo, hi)


def test_bytes(p: Problem, ds: Dataset, path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """A test set mapped with the training set's range: (input bytes with bias, labels)."""
    if ds.y is None:
        raise C64mlError("has no labels; accuracy needs a class per sample", path, "y")
    if ds.x.shape[1] != p.xa.shape[1] - 1:
        raise C64mlError(f"has {ds.x.shape[1]} features; the training data has "
                         f"{p.xa.shape[1] - 1}", path, "x")
    y = np.asarray(ds.y, np.int64)
    if y.min() < 0 or y.max() >= p.classes:
        raise C64mlError(f"has labels outside 0 … {p.classes - 1}", path, "y")
    shell = _qmodel("shell", p.lo, p.hi, np.zeros((p.xa.shape[1], 1), np.int8), 2)
    return rules.with_bias(shell.data_bytes(ds.x, ds.x_dtype)), y


def output_scale(w: np.ndarray) -> tuple[int, int]:
    """(M, S) for several units' `linear` outputs: the largest M/2^S (M ≤ 255, S ≤ 24)
    with bound·M/2^S ≤ 127, bound the largest |acc| the weights allow, so no score
    saturates (§9.5)."""
    bound = int((np.abs(w[:-1].astype(np.int64)).sum(axis=0) * 255
                 + np.abs(w[-1].astype(np.int64)) * 255).max())
    if bound == 0:
        return 1, 0
    best: tuple[int, int] | None = None
    for s in range(MAX_SHIFT + 1):
        m = min(MAX_MULTIPLIER, (127 << s) // bound)
        if m >= 1 and (best is None or m << best[1] > best[0] << s):
            best = (m, s)
    if best is None:
        raise C64mlError("the learned weights are too large to scale to 8-bit scores")
    return best


def _qmodel(name: str, lo, hi, w: np.ndarray, classes: int, info: dict | None = None) -> QModel:
    units = w.shape[1]
    weights = w[:-1].astype(np.int64)
    bias = w[-1].astype(np.int64) * rules.BIAS_BYTE
    if units == 1:
        layer = QLayer(weights=weights, bias=bias, activation=Activation.STEP)
    else:
        m, s = output_scale(w)
        layer = QLayer(weights=weights, bias=bias, activation=Activation.LINEAR,
                       multiplier=np.full(units, m, np.int64), shift=np.full(units, s, np.int64))
    return QModel(name=name, input_lo=np.asarray(lo, np.float64),
                  input_hi=np.asarray(hi, np.float64),
                  layers=[layer], output=OutputMode.ARGMAX,
                  classes=[str(c) for c in range(classes)], info=info or {})


def to_qmodel(p: Problem, w: np.ndarray, name: str, info: dict | None = None) -> QModel:
    """The learned weights as a qmodel (one dense layer; §9.5)."""
    q = _qmodel(name, p.lo, p.hi, w, p.classes, info)
    q.validate()
    return q


def accuracy(w: np.ndarray, xa: np.ndarray, y: np.ndarray) -> float:
    """The fraction of samples the weights classify right (§9.1's prediction)."""
    return float(np.mean(rules.predict_acc(rules.scores(w, xa)) == y))


def qmodel_accuracy(q: QModel, xa: np.ndarray, y: np.ndarray) -> float:
    """The fraction the learned qmodel classifies right (semantics §6: for several classes
    its 8-bit scores can tie where the exact accumulators do not, §9.5)."""
    return float(np.mean(predict(q, xa[:, :-1]) == y))


@dataclass
class Result:
    """A training run's figures (the keys of ``c64ml learn --json``)."""

    samples: int
    epochs: int
    updates: int
    mismatches: int
    accuracy: dict
    cycles: dict
    errors_per_epoch: list[int]
    weights: np.ndarray
    reference_weights: np.ndarray
    verified: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"samples": self.samples, "epochs": self.epochs, "updates": self.updates,
                "mismatches": self.mismatches, "accuracy": self.accuracy,
                "cycles": self.cycles, "errors_per_epoch": self.errors_per_epoch,
                "verified_against": self.verified}


def learn(p: Problem, rule: LearnRule, epochs: int, rate: int, seed: int,
          test: tuple[np.ndarray, np.ndarray] | None = None, verify: bool = False) -> Result:
    """Train on the emulated C64 (its own shuffle.s orders each epoch), comparing the
    order of each epoch and the weights, prediction and changed flag in C64 memory after
    every sample with the LLVM JIT's (and with ``verify`` the NumPy reference's too)."""
    rule = LearnRule(rule)
    rules.check_rate(rate)
    if not 1 <= epochs <= MAX_EPOCHS:
        raise C64mlError(f"epochs {epochs} is out of range 1 … {MAX_EPOCHS}", field="epochs")
    n, rows = p.xa.shape
    units = rules.units_for(p.classes)
    jit = compile_learner(rows, units, rule, rate)
    c64 = C64Learner(rows, units, rule, rate, samples=n, seed=seed)
    jw = np.zeros((rows, units), np.int8)  # the JIT's weights, run on their own
    nw = jw.copy()                         # the NumPy reference's (with verify)
    ref_order, state = list(range(n)), rules.seed_state(seed)
    c64_order = list(range(n))
    verified = ["llvm", "numpy"] if verify else ["llvm"]
    mismatches, updates, cycles = 0, 0, np.zeros(n * epochs, np.int64)
    errors = [0] * epochs
    # One epoch of reference steps at a time, so memory does not grow with the epochs.
    for t in progress(range(n * epochs), "learning on the C64", n * epochs):
        e, i = divmod(t, n)
        if i == 0:  # a new epoch: the reference's order, then the C64's from shuffle.s
            state = rules.shuffle(ref_order, state)
            jw, jpred, jchg, jlog = jit.train(jw, p.xa, p.y, ref_order, keep=True)
            if verify:
                for k, s in enumerate(ref_order):
                    nw, pred, changed = rules.learn_sample(nw, p.xa[s], int(p.y[s]), rule, rate)
                    if (not np.array_equal(nw, jlog[k]) or pred != jpred[k]
                            or changed != bool(jchg[k])):
                        raise C64mlError("the NumPy reference and the LLVM JIT of the rule "
                                         "disagree: a bug in c64ml, please report it")
            c64_order = c64.shuffle(c64_order)
            if c64_order != ref_order:
                mismatches += 1
        s = c64_order[i]
        step = c64.sample(p.xa[s], int(p.y[s]))
        cycles[t] = step.cycles
        if (not np.array_equal(step.weights, jlog[i]) or step.pred != jpred[i]
                or step.changed != bool(jchg[i])):
            mismatches += 1
        updates += int(step.changed)
        errors[e] += int(step.pred != p.y[s])
    wc = c64.weights()
    tx, ty = test if test is not None else (p.xa, p.y)
    per_epoch = cycles.reshape(epochs, n).sum(axis=1)
    cyc = {"per_sample_mean": float(np.mean(cycles)), "per_sample_min": int(min(cycles)),
           "per_sample_max": int(max(cycles)), "per_epoch_mean": float(np.mean(per_epoch)),
           "seconds_per_epoch_pal": float(np.mean(per_epoch)) / PAL_HZ}
    return Result(n, epochs, updates, mismatches,
                  {"reference": accuracy(jw, tx, ty), "c64": accuracy(wc, tx, ty),
                   "qmodel": qmodel_accuracy(to_qmodel(p, wc, "learned"), tx, ty),
                   "on": "test" if test is not None else "training"},
                  cyc, errors, wc, jw, verified)
