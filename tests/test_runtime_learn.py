"""runtime6502/learn.s and shuffle.s against the NumPy reference of docs/semantics.md §9
(c64ml/learn/rules.py): one sample's accumulators, prediction, errors and updated weights
(hypothesis, with the accumulator extremes and saturation edges); the xorshift on every
one of its 65,535 states; the shuffle on random lengths and seeds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runtime_harness import build, call, peek, poke

from c64ml.learn import rules
from c64ml.spec import LearnRule

MAX_ROWS, MAX_UNITS = 255, 16
DRIVER = f"""
        rts
lr_xbuf: .res {MAX_ROWS}
lr_wbuf: .res {MAX_ROWS * MAX_UNITS}
sh_buf:  .res 1024
"""
RULES = {LearnRule.PERCEPTRON: 0, LearnRule.LMS: 1}


@pytest.fixture(scope="module")
def machine():
    return build("learn.s", "mul8.s", "shuffle.s", driver=DRIVER)


def run_sample(machine, w: np.ndarray, xa: np.ndarray, label: int, rule: LearnRule, k: int):
    m, s = machine
    rows, units = w.shape
    poke(m, s["lr_xp"], s["lr_xbuf"], 2)
    poke(m, s["lr_wp"], s["lr_wbuf"], 2)
    m.ram[s["lr_xbuf"]:s["lr_xbuf"] + rows] = xa.astype(np.uint8).tobytes()
    m.ram[s["lr_wbuf"]:s["lr_wbuf"] + rows * units] = w.astype(np.int8).tobytes()
    for name, v in (("lr_rows", rows), ("lr_m", units), ("lr_label", label),
                    ("lr_rule", RULES[rule]), ("lr_k", k)):
        m.ram[s[name]] = v
    r = call(m, s, "lr_sample")
    new = np.frombuffer(bytes(m.ram[s["lr_wbuf"]:s["lr_wbuf"] + rows * units]),
                        np.int8).reshape(rows, units)
    acc = [int.from_bytes(bytes([m.ram[s["lr_a0"] + j], m.ram[s["lr_a1"] + j],
                                 m.ram[s["lr_a2"] + j]]), "little", signed=True)
           for j in range(units)]
    err = [(-1 if m.ram[s["lr_es"] + j] else 1) * m.ram[s["lr_em"] + j] for j in range(units)]
    return new, m.ram[s["lr_pred"]], m.ram[s["lr_changed"]], acc, err, r.cycles


def check(machine, w, xa, label, rule, k):
    new, pred, changed, acc, err, _ = run_sample(machine, w, xa, label, rule, k)
    ref_acc = rules.scores(w, xa)
    ref_w, ref_pred, ref_changed = rules.learn_sample(w, xa, label, rule, k)
    assert acc == list(ref_acc)
    assert pred == ref_pred
    assert err == list(rules.errors(rule, ref_acc, label, ref_pred))
    assert np.array_equal(new, ref_w)
    assert changed == int(ref_changed)


EDGE_W = st.sampled_from([-128, -127, -1, 0, 1, 126, 127])
EDGE_X = st.sampled_from([0, 1, 127, 128, 254, 255])


@st.composite
def samples(draw):
    rows = draw(st.integers(2, 24))
    units = draw(st.sampled_from([1, 1, 2, 3, 10, 16]))
    wv = st.one_of(EDGE_W, st.integers(-128, 127))
    xv = st.one_of(EDGE_X, st.integers(0, 255))
    w = np.array(draw(st.lists(wv, min_size=rows * units, max_size=rows * units)),
                 np.int8).reshape(rows, units)
    x = draw(st.lists(xv, min_size=rows - 1, max_size=rows - 1))
    xa = np.array(x + [255], np.uint8)
    label = draw(st.integers(0, 1 if units == 1 else units - 1))
    return w, xa, label, draw(st.sampled_from(list(LearnRule))), draw(st.integers(0, 15))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(samples())
def test_one_sample_matches_the_reference(machine, case):
    check(machine, *case)


@pytest.mark.parametrize("rule", list(LearnRule))
@pytest.mark.parametrize("value", [-128, 127])
def test_accumulator_extremes_with_255_rows(machine, rule, value):
    """acc = value·255·255 (every input 255, every weight at one end), two units tied."""
    w = np.full((MAX_ROWS, 2), value, np.int8)
    xa = np.full(MAX_ROWS, 255, np.uint8)
    new, pred, _, acc, _, _ = run_sample(machine, w, xa, 1, rule, 0)
    assert acc == [value * 255 * 255] * 2  # worked by hand: ±8,323,200 / 8,258,175
    assert pred == 0  # a tie goes to the first unit
    check(machine, w, xa, 1, rule, 0)


def test_perceptron_step_worked_by_hand(machine):
    """One unit, x = (200, 0, 255 bias), w = (3, 5, -2), label 0, K = 2:
    acc = 600 - 510 = 90 ≥ 0 → predicts 1, wrong; e = -1;
    w0 = 3 - floor(200/4) = -47, w1 = 5 - 0 = 5, bias = -2 - floor(255/4) = -65."""
    w = np.array([[3], [5], [-2]], np.int8)
    new, pred, changed, acc, err, _ = run_sample(machine, w, np.array([200, 0, 255]), 0,
                                                 LearnRule.PERCEPTRON, 2)
    assert (acc, pred, err, changed) == ([90], 1, [-1], 1)
    assert new.ravel().tolist() == [-47, 5, -65]


def test_lms_step_worked_by_hand(machine):
    """One unit, x = (100, 255), w = (90, 20), label 1, K = 8: acc = 9000 + 5100 = 14100,
    o = floor(14100/256) = 55, e = 64 - 55 = 9; w0 = 90 + floor(900/256) = 93,
    bias = 20 + floor(2295/256) = 28."""
    w = np.array([[90], [20]], np.int8)
    new, pred, changed, acc, err, _ = run_sample(machine, w, np.array([100, 255]), 1,
                                                 LearnRule.LMS, 8)
    assert (acc, pred, err, changed) == ([14100], 1, [9], 1)
    assert new.ravel().tolist() == [93, 28]


def test_xorshift_on_every_state(machine):
    m, s = machine
    states = range(1, 65536)
    for state in states:
        poke(m, s["sh_state"], state, 2)
        r = call(m, s, "sh_next")
        assert peek(m, s["sh_state"], 2) == rules.xorshift16(state), state
        assert r.cycles == 65 + (state & 1)  # counted by hand in the header


def test_xorshift_by_hand_and_full_period():
    # 1 → 1 ^ (1 << 7) = 0x0081 → ^ (0x81 >> 9 = 0) → ^ (0x81 << 8) = 0x8181
    assert rules.xorshift16(1) == 0x8181
    seen, s = set(), 1
    for _ in range(65535):
        seen.add(s)
        s = rules.xorshift16(s)
    assert s == 1 and len(seen) == 65535 and 0 not in seen


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 300), st.integers(0, 65535))
def test_shuffle_matches_the_reference(machine, n, seed):
    m, s = machine
    state = rules.seed_state(seed)
    order = list(range(1000, 1000 + n))
    buf = s["sh_buf"]
    for i, v in enumerate(order):
        poke(m, buf + 2 * i, v, 2)
    poke(m, s["sh_state"], state, 2)
    poke(m, s["sh_ord"], buf, 2)
    poke(m, s["sh_n"], n, 2)
    call(m, s, "sh_shuffle", max_cycles=10_000_000)
    new_state = rules.shuffle(order, state)
    assert [peek(m, buf + 2 * i, 2) for i in range(n)] == order
    assert peek(m, s["sh_state"], 2) == new_state


def test_seed_zero_is_replaced():
    assert rules.seed_state(0) == 0xACE1 and rules.seed_state(65536 + 5) == 5
