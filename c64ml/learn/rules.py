"""The learning rules of docs/semantics.md §9 in NumPy: the reference that the LLVM JIT
(``learn/jit.py``) and the 6502 routine (``runtime6502/learn.s``) must match bit for bit.

The state is one int8 matrix ``w`` of shape (inputs + 1, units): row ``i < inputs`` holds
the weights of input byte ``i``, the last row the weights of the constant input byte 255
(the bias). ``units`` is 1 for two classes, else the number of classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from c64ml.errors import C64mlError
from c64ml.spec import LearnRule

#: The constant input byte that carries the bias (§9.1).
BIAS_BYTE = 255
#: LMS: the target score of the true class and of the others (§9.3).
LMS_TARGET = 64
#: LMS: the score is floor(acc / 2^LMS_SHIFT), clamped to −128 … 127 (§9.3).
LMS_SHIFT = 8
MAX_RATE = 15
SEED_MASK = 0xFFFF
#: The PRNG state that seed 0 is replaced by (xorshift has no zero state).
ZERO_SEED = 0xACE1


def units_for(classes: int) -> int:
    """Units of the learned layer: one for two classes, else one per class."""
    return 1 if classes == 2 else classes


def with_bias(xb: np.ndarray) -> np.ndarray:
    """Input bytes (N × inputs) with the bias byte 255 appended to each sample."""
    xb = np.asarray(xb, dtype=np.uint8)
    return np.concatenate([xb, np.full((len(xb), 1), BIAS_BYTE, np.uint8)], axis=1)


# -- the sample order: a 16-bit xorshift (§9.4) -------------------------------------------------

def xorshift16(state: int) -> int:
    """The next state of the 16-bit xorshift (7, 9, 8); period 65,535 over the nonzero states."""
    state ^= (state << 7) & 0xFFFF
    state ^= state >> 9
    state ^= (state << 8) & 0xFFFF
    return state


def seed_state(seed: int) -> int:
    """The PRNG's first state for a user seed: seed mod 65,536, and 0 replaced by $ACE1."""
    s = seed & SEED_MASK
    return s if s else ZERO_SEED


def below(state: int, n: int) -> tuple[int, int]:
    """An index 0 … n−1 (n ≥ 1) and the new state: draw states until ``state & mask`` < n,
    ``mask`` the smallest 2^b − 1 ≥ n − 1 (rejection, no modulo bias)."""
    mask = (1 << max(n - 1, 0).bit_length()) - 1
    while True:
        state = xorshift16(state)
        if state & mask < n:
            return state & mask, state


def shuffle(order: list[int], state: int) -> int:
    """Fisher–Yates in place, i from the end down to 1 swapping with below(i + 1); the new
    state."""
    for i in range(len(order) - 1, 0, -1):
        j, state = below(state, i + 1)
        order[i], order[j] = order[j], order[i]
    return state


def epoch_orders(n: int, epochs: int, seed: int) -> list[list[int]]:
    """The sample order of each epoch: each epoch shuffles the previous epoch's order
    (epoch 0 shuffles 0 … n−1), with one PRNG running through all epochs."""
    order, state, out = list(range(n)), seed_state(seed), []
    for _ in range(epochs):
        state = shuffle(order, state)
        out.append(list(order))
    return out


# -- one sample (§9.2, §9.3) --------------------------------------------------------------------

def scores(w: np.ndarray, xa: np.ndarray) -> np.ndarray:
    """The exact accumulators acc[j] = Σ w[i][j]·x[i] over the inputs and the bias byte."""
    return xa.astype(np.int64) @ w.astype(np.int64)


def predict_acc(acc: np.ndarray) -> np.ndarray:
    """Classes from accumulators (N × units or units): for one unit acc ≥ 0 → 1, else the
    first maximal unit."""
    acc = np.asarray(acc)
    if acc.shape[-1] == 1:
        return (acc[..., 0] >= 0).astype(np.int64)
    return np.argmax(acc, axis=-1)


def errors(rule: LearnRule, acc: np.ndarray, label: int, pred: int) -> np.ndarray:
    """The signed error e[j] of each unit (§9.2 perceptron, §9.3 LMS)."""
    m = len(acc)
    e = np.zeros(m, np.int64)
    if rule == LearnRule.PERCEPTRON:
        if pred != label:
            if m == 1:
                e[0] = 1 if label == 1 else -1
            else:
                e[label], e[pred] = 1, -1
        return e
    o = np.clip(acc >> LMS_SHIFT, -128, 127)
    if m == 1:
        t = np.array([LMS_TARGET if label == 1 else -LMS_TARGET])
    else:
        t = np.full(m, -LMS_TARGET)
        t[label] = LMS_TARGET
    return t - o


def learn_sample(w: np.ndarray, xa: np.ndarray, label: int, rule: LearnRule,
                 rate: int) -> tuple[np.ndarray, int, bool]:
    """One sample: (the new weights, the class predicted before the update, whether any
    weight changed). ``xa`` includes the bias byte; ``rate`` is K, the step's shift."""
    acc = scores(w, xa)
    pred = int(predict_acc(acc))
    e = errors(rule, acc, label, pred)
    step = (np.abs(e)[None, :] * xa.astype(np.int64)[:, None]) >> rate
    new = np.clip(w.astype(np.int64) + np.sign(e)[None, :] * step, -128, 127).astype(np.int8)
    return new, pred, bool(np.any(new != w))


@dataclass
class Trace:
    """What a training run did, sample by sample."""

    order: list[int]          # the sample index of each step, epochs one after another
    predictions: list[int]    # the class predicted before each step's update
    changed: list[bool]       # whether the step changed any weight
    weights: list[np.ndarray]  # the weights after each step (only if kept)
    final: np.ndarray


def check_rate(rate: int) -> int:
    if not 0 <= rate <= MAX_RATE:
        raise C64mlError(f"rate {rate} is out of range 0 … {MAX_RATE} (the step's shift)",
                         field="rate")
    return rate


def train(xa: np.ndarray, y: np.ndarray, units: int, rule: LearnRule, rate: int, epochs: int,
          seed: int, keep: bool = False, w0: np.ndarray | None = None) -> Trace:
    """Train from zero weights (or ``w0``) over ``epochs`` epochs in the order of
    :func:`epoch_orders`; ``keep`` keeps every step's weights."""
    check_rate(rate)
    w = np.zeros((xa.shape[1], units), np.int8) if w0 is None else w0.astype(np.int8)
    trace = Trace([], [], [], [], w)
    for order in epoch_orders(len(xa), epochs, seed):
        for s in order:
            w, pred, changed = learn_sample(w, xa[s], int(y[s]), rule, rate)
            trace.order.append(s)
            trace.predictions.append(pred)
            trace.changed.append(changed)
            if keep:
                trace.weights.append(w)
    trace.final = w
    return trace
