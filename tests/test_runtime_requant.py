"""runtime6502/requant.s: requantization (docs/semantics.md §4.1), the result's low byte."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from runtime_harness import DN_ACC, acc_arrays, build, call, peek, poke

from c64ml.exec.reference import requantize

ACC_MIN, ACC_MAX = -(1 << 23), (1 << 23) - 1
# Stated in requant.s for this layout (requant.s at $1000).
CYCLES_MIN, CYCLES_MAX = 191, 344
J = 7  # the accumulator used: X = J + 1

M, SYM = build("requant.s", driver="        rts\n" + acc_arrays(*DN_ACC))


def model(acc: int, m: int, s: int) -> int:
    """The formula written out in Python integers (independent of the reference), mod 256."""
    half = 2 ** (s - 1) if s > 0 else 0
    return ((acc * m + half) // 2 ** s) % 256


def run(acc: int, m: int, s: int) -> tuple[int, int]:
    """(A as an unsigned byte, cycles)."""
    for k, name in enumerate(DN_ACC):
        poke(M, SYM[name] + J, (acc >> (8 * k)) & 0xFF)
    r = call(M, SYM, "rq_run", a=m, x=J + 1, y=s)
    assert sum(peek(M, SYM[name] + J) << (8 * k) for k, name in enumerate(DN_ACC)) \
        == acc % (1 << 24)                                      # input left alone
    assert r.x == J + 1                                         # X preserved
    assert CYCLES_MIN <= r.cycles <= CYCLES_MAX, (acc, m, s, r.cycles)
    return r.a, r.cycles


def test_model_matches_the_worked_example():
    # docs/semantics.md §8, before the activation clamp
    assert model(273, 200, 9) == 107 and model(-22, 129, 8) == 256 - 11


EDGES = [ACC_MIN, ACC_MIN + 1, -65536, -32769, -256, -2, -1, 0, 1, 2, 255, 256, 32767,
         65535, ACC_MAX - 1, ACC_MAX]


def test_edges_every_shift():
    for acc in EDGES:
        for m in (0, 1, 2, 127, 128, 129, 254, 255):
            for s in range(25):
                assert run(acc, m, s)[0] == model(acc, m, s), (acc, m, s)


@st.composite
def halves(draw):
    """acc, M, S with acc*M an odd multiple of 2^(S-1): exactly half-way cases."""
    s = draw(st.integers(1, 24))
    m = draw(st.integers(1, 255).filter(lambda v: (v & -v).bit_length() - 1 <= s - 1))
    step = 2 ** (s - 1 - ((m & -m).bit_length() - 1))   # acc = odd * step, in range:
    lo = -(ACC_MIN // -step) // 2                       # ceil((ceil(MIN/step) - 1) / 2)
    hi = (ACC_MAX // step - 1) // 2                     # floor((floor(MAX/step) - 1) / 2)
    acc = (2 * draw(st.integers(lo, hi)) + 1) * step
    return acc, m, s


def test_halves_strategy_makes_halves():
    @given(halves())
    @settings(max_examples=200, database=None)
    def check(case):
        acc, m, s = case
        assert (acc * m) % 2 ** s == 2 ** (s - 1) and ACC_MIN <= acc <= ACC_MAX
    check()


@settings(max_examples=1500, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.tuples(st.integers(ACC_MIN, ACC_MAX), st.integers(0, 255), st.integers(0, 24)),
    st.tuples(st.sampled_from(EDGES), st.integers(0, 255), st.integers(0, 24)),
    st.tuples(st.integers(-70000, 70000), st.integers(0, 255), st.integers(0, 24)),
    halves()))
@example((ACC_MAX, 255, 0)).via("largest product, no shift")
@example((ACC_MIN, 255, 0)).via("smallest product")
@example((ACC_MIN, 255, 24)).via("largest shift")
@example((-1, 1, 1)).via("-0.5 rounds to 0")
@example((1, 1, 1)).via("+0.5 rounds to 1")
@example((-3, 1, 1)).via("-1.5 rounds to -1")
def test_property_against_the_formula(case):
    acc, m, s = case
    assert run(acc, m, s)[0] == model(acc, m, s)


@settings(max_examples=500, deadline=None, database=None)
@given(halves())
def test_property_halves_round_up(case):
    acc, m, s = case
    got = run(acc, m, s)[0]
    assert got == model(acc, m, s)
    exact = acc * m / 2 ** s                    # an exact binary fraction ending in .5
    assert got == (int(np.floor(exact)) + 1) % 256


def test_batch_against_the_reference():
    rng = np.random.default_rng(64)
    n = 600
    acc = np.concatenate([rng.integers(ACC_MIN, ACC_MAX + 1, n), np.array(EDGES)])
    mult = rng.integers(0, 256, acc.size)
    shift = rng.integers(0, 25, acc.size)
    want = np.mod(requantize(acc.astype(np.int64), mult, shift), 256)
    got = [run(int(a), int(m), int(s))[0] for a, m, s in zip(acc, mult, shift)]
    assert np.array_equal(np.array(got), want)


def test_cycle_figures_stated_in_the_header():
    assert run(0, 0, 0)[1] == CYCLES_MIN                # b = 0, high byte 0, no crossing
    assert run(-65536, 0, 0)[1] == 209                  # high byte $FF
    assert run(1 << 16, 128, 0)[1] == 266                # another high byte

    def mean(lo: int, hi: int, seed: int) -> float:
        rng = np.random.default_rng(seed)
        return float(np.mean([run(int(a), int(m), int(s))[1] for a, m, s in
                              zip(rng.integers(lo, hi + 1, 300), rng.integers(0, 256, 300),
                                  rng.integers(0, 25, 300))]))
    assert 218 <= mean(0, 65535, 5) <= 228                              # "about 223"
    assert 234 <= mean(-65536, -1, 6) <= 244                            # "about 239"
    assert 290 <= mean(ACC_MIN, ACC_MAX, 7) <= 310                      # "about 300"
