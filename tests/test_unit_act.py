"""The specialised unit code of unrolled layers (c64ml/backend6502/unit_act.py), exhaustively
over its input: one-input layers (so every accumulator a unit can reach is hit by one of
the 256 input bytes, or all 256 s8 values after a linear layer) with random multipliers,
shifts, biases, weights, clamps and tables, every output byte checked against the NumPy
reference with the KERNAL interrupt live."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from c64ml.backend6502 import unit_act
from c64ml.backend6502.compiler import build_library
from c64ml.exec import reference
from c64ml.model.qmodel import QLayer, QModel
from c64ml.spec import REQUANTIZED, TABLE_RANGE, TABLED, Activation, Requant, Strategy
from c64ml.verify.harness import run_build

ALL_BYTES = np.arange(256, dtype=np.uint8)[:, None]


@st.composite
def one_input_layers(draw, activation: Activation) -> QLayer:
    n = draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    w = rng.integers(-128, 128, (1, n))
    scale = draw(st.sampled_from([1, 100, 10_000, 1_000_000, 8_000_000]))
    bias = rng.integers(-scale, scale + 1, n).clip(-(2**23 - 1) + 128 * 255, 2**23 - 1 - 128 * 255)
    layer = QLayer(w.astype(np.int64), bias.astype(np.int64), activation)
    if activation in REQUANTIZED:
        layer.multiplier = rng.integers(0, 256, n)
        layer.shift = rng.integers(0, 25, n)
    if activation in TABLED:
        lo, hi = TABLE_RANGE[activation]
        layer.table = rng.integers(lo, hi + 1, 256)
    return layer


SPECIALISED = [s for s in Strategy if s.specialised]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(Activation)).flatmap(
    lambda a: st.tuples(st.just(a), one_input_layers(a))), st.booleans(),
    st.sampled_from(SPECIALISED))
def test_every_input_byte(case, after_linear, strategy):
    activation, layer = case
    layers = [layer]
    if after_linear:  # the unit reads s8 values: put a 1-to-1 linear layer in front
        first = QLayer(np.array([[1]]), np.array([-128]), Activation.LINEAR,
                       multiplier=np.array([1]), shift=np.array([0]))
        layers = [first, layer]
    model = QModel("unit", np.zeros(1), np.ones(1), layers, output="scores")
    model.validate()
    build = build_library(model, 0x1000, [strategy] * len(layers))
    run = run_build(build, ALL_BYTES)
    want = reference.output_bytes(model, ALL_BYTES)
    bad = np.flatnonzero(np.any(run.outputs != want, axis=1))
    assert bad.size == 0, f"input {bad[0]}: {run.outputs[bad[0]]} != {want[bad[0]]}"


@st.composite
def one_input_tflite_layers(draw) -> QLayer:
    """TFLite requantization (semantics §4.2): random 31-bit multipliers, right shifts that
    put the ±255 output window anywhere from a few to tens of thousands of accumulator
    steps, zero points and clamps; biases that move the window across zero."""
    n = draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    w = rng.integers(-128, 128, (1, n))
    bias = rng.integers(-60_000, 60_000, n)
    layer = QLayer(w.astype(np.int64), bias.astype(np.int64), Activation.LINEAR,
                   multiplier=rng.integers(1 << 30, 1 << 31, n) * (rng.random(n) > 0.1),
                   shift=rng.integers(-16, 1, n), requant=Requant.TFLITE)
    layer.zero_point = draw(st.integers(-128, 127))
    lo = draw(st.integers(-128, 127))
    layer.clamp = (lo, draw(st.integers(lo, 127)))
    if draw(st.booleans()):  # a LOGISTIC after it: a table of int8 values
        layer.table = np.sort(rng.integers(-128, 128, 256))
    return layer


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_input_tflite_layers(), st.sampled_from(SPECIALISED))
def test_every_input_byte_tflite(layer, strategy):
    model = QModel("unit", np.zeros(1), np.ones(1), [layer], output="scores")
    model.validate()
    build = build_library(model, 0x1000, [strategy])
    assert "rq32_run" not in build.source.split("c64ml_layers_end")[0]  # specialised, in line
    run = run_build(build, ALL_BYTES)
    want = reference.output_bytes(model, ALL_BYTES)
    bad = np.flatnonzero(np.any(run.outputs != want, axis=1))
    assert bad.size == 0, f"input {bad[0]}: {run.outputs[bad[0]]} != {want[bad[0]]}"


def test_plans_use_the_bound():
    """A unit whose accumulator cannot reach a threshold gets no test for it, and one that can
    only saturate is a constant: decided from the interval its inputs allow."""
    layer = QLayer(np.array([[1, 1, 1]]), np.array([-1000, 1000, 0]), Activation.RELU,
                   multiplier=np.array([1, 1, 64]), shift=np.array([0, 0, 7]))
    p = unit_act.unit_plan(layer, (0, 255))
    # acc = x − 1000 ≤ −745 < 0: relu is 0 everywhere
    assert p[0] == {**p[0], "kind": "const", "value": 0}
    # acc = x + 1000 ≥ 1000 > 255: relu is 255 everywhere
    assert p[1]["kind"] == "const" and p[1]["value"] == 255
    # acc = x in 0..255, r = floor((64x + 64) / 128) <= 128: no high test; the low test at 1
    assert p[2]["kind"] == "rq" and p[2]["test_hi"] is None and p[2]["test_lo"] == 1


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 255), st.integers(15, 18), st.sampled_from(list(REQUANTIZED)),
       st.integers(0, 2**32 - 1), st.sampled_from(SPECIALISED))
def test_top_bit_units_on_the_c64(m, s, activation, seed, strategy):
    """Units whose window needs 3 bytes of e, with e's top byte 0 or 1 (unit_act.top_bit: m
    added for 1 instead of a product): on the C64 every output byte equals the reference, at the window's ends, around e = 2^16 and at
    random accumulators (4 inputs of weight 1, 127, 127, 127 reach any of 0 .. 114,555)."""
    layer = QLayer(np.array([[1], [127], [127], [127]]), np.array([-20]), activation,
                   multiplier=np.array([m]), shift=np.array([s]))
    rng = np.random.default_rng(seed)
    if activation in TABLED:
        lo, hi = TABLE_RANGE[activation]
        layer.table = rng.integers(lo, hi + 1, 256)
    plan = unit_act.unit_plan(layer, (0, 255))[0]
    pieces = [p for p in plan.get("pieces", ()) if unit_act.top_bit(p)]
    assume(pieces)
    assert unit_act.nbytes(pieces[0]["width"]) == 3
    base = pieces[0]["base"]
    targets = {base, base + 1, base + 65_535, base + 65_536, base + 65_537,
               base + pieces[0]["width"], plan["test_lo"] or 0, plan["test_hi"] or 0}
    targets |= set(rng.integers(-20, 114_535, 200).tolist())
    q = _inputs_reaching({a + 20 for a in targets})
    _bit_exact_on_the_c64(layer, q, strategy)


def _bit_exact_on_the_c64(layer: QLayer, q: np.ndarray, strategy: Strategy,
                          what: str = "") -> None:
    """The one-layer model of ``layer`` built with ``strategy``: every output byte on the
    C64 (interrupt live) equals the NumPy reference's for the inputs ``q``."""
    model = QModel("unit", np.zeros(q.shape[1]), np.ones(q.shape[1]), [layer],
                   output="scores")
    model.validate()
    run = run_build(build_library(model, 0x1000, [strategy]), q)
    want = reference.output_bytes(model, q)
    bad = np.flatnonzero(np.any(run.outputs != want, axis=1))
    assert bad.size == 0, f"{what}input {q[bad[0]]}: {run.outputs[bad[0]]} != {want[bad[0]]}"


def _inputs_reaching(sums: set[int]) -> np.ndarray:
    """Input rows of the 4-input layer of weights 1, 127, 127, 127 whose weighted sums are
    those of ``sums`` it can reach (0 .. 114,555)."""
    rows = []
    for total in sorted(a for a in sums if 0 <= a <= 114_555):
        r, x = total, [0, 0, 0, 0]
        for i in (3, 2, 1):
            x[i] = min(255, r // 127)
            r -= 127 * x[i]
        x[0] = r
        if r <= 255:
            rows.append(x)
    return np.array(rows, dtype=np.uint8)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 255), st.integers(8, 24), st.integers(-120_000, 20_000),
       st.integers(0, 2**32 - 1), st.sampled_from(SPECIALISED))
def test_products_that_reach_only_the_result_bytes(m, s, bias, seed, strategy):
    """P keeps only the bytes up to the result's top bit (unit_act._p_bytes): a product whose
    high byte lies above them adds only its low byte, one wholly above adds nothing. Windows
    of 1 to 3 bytes of e, every shift from 8 to 24: every output byte equals the reference
    at the window's ends and at random accumulators."""
    layer = QLayer(np.array([[1], [127], [127], [127]]), np.array([bias]), Activation.RELU,
                   multiplier=np.array([m]), shift=np.array([s]))
    plan = unit_act.unit_plan(layer, (0, 255))[0]
    rng = np.random.default_rng(seed)
    accs = set((rng.integers(0, 114_556, 200) + bias).tolist())
    for p in plan.get("pieces", ()):  # the window's ends, and e around a byte's carry
        accs |= {p["base"] + d for d in (-1, 0, 1, 255, 256, p["width"] - 1, p["width"])}
    q = _inputs_reaching({a - bias for a in accs})
    assume(len(q))
    _bit_exact_on_the_c64(layer, q, strategy)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(Activation)), st.sampled_from(SPECIALISED), st.booleans(),
       st.integers(0, 255), st.integers(0, 24), st.integers(0, 2**32 - 1))
def test_units_at_the_16_bit_edge(activation, strategy, top, m, s, seed):
    """Units whose accumulator (``acc − offset``, unit_act.acc16) ends exactly at 2^15 − 1
    (``top``) or −2^15: 16 bits; one step further: 24. Both on the C64, at the interval's
    ends, the thresholds and random accumulators (weights 127 and 1, or −128 and −1, reach
    every accumulator of the interval)."""
    w, span = ([127, 1], 127 * 255 + 255) if top else ([-128, -1], 128 * 255 + 255)
    rng = np.random.default_rng(seed)
    layer = QLayer(np.array([[w[0]], [w[1]]]), np.array([0]), activation)
    if activation in REQUANTIZED:
        layer.multiplier, layer.shift = np.array([m]), np.array([s])
    if activation in TABLED:
        lo, hi = TABLE_RANGE[activation]
        layer.table = rng.integers(lo, hi + 1, 256)

    def plan_for(bias: int) -> dict:
        layer.bias = np.array([bias])
        return unit_act.unit_plan(layer, (0, 255))[0]

    edge = (1 << 15) - 1 - span if top else span - (1 << 15)  # the bias, in frame 0
    frame = plan_for(edge).get("offset") or 0
    plan = plan_for(edge + frame)
    assume((plan.get("offset") or 0) == frame)
    assert plan["acc16"]
    beyond = edge + frame + (1 if top else -1)
    assume((plan_for(beyond).get("offset") or 0) == frame)
    assert not plan_for(beyond)["acc16"]
    for bias in (edge + frame, beyond):
        plan = plan_for(bias)
        amin, amax = (bias, bias + span) if top else (bias - span, bias)
        marks = [plan.get(key) for key in ("test_lo", "test_hi", "offset")]
        marks += [p[key] for p in plan.get("pieces", ()) for key in ("base", "width")]
        targets = {amin, amin + 1, amax - 1, amax} | {v + d for v in marks if v is not None
                                                      for d in (-1, 0, 1)}
        targets |= set(rng.integers(amin, amax + 1, 100).tolist())
        rows = []
        for acc in sorted(a for a in targets if amin <= a <= amax):
            r = abs(acc - bias)
            x0 = min(255, r // abs(w[0]))
            rows.append([x0, r - abs(w[0]) * x0])
        _bit_exact_on_the_c64(layer, np.array(rows, dtype=np.uint8), strategy,
                              f"bias {bias}, ")
