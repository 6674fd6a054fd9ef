"""runtime6502/wide.s and rq32.s, and the sign-magnitude form they rest on (semantics §4.3).

- The closed form of c64ml/backend6502/wide.py equals both requantization modes of the
  NumPy reference (§4.1 floor, §4.2 step by step as TFLite Micro), fuzzed with hypothesis
  over every multiplier and shift range, and exhaustively for small accumulators.
- wd_first/wd_add build exact 32-bit sums from sign-extended 24-bit chunks.
- rq32_run, on random records (both modes, random zero points and clamps, tables, step and
  sign), gives the reference's output bytes; its cycles back the header's figures.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from runtime_harness import DN_ACC, DN_PT, acc_arrays, build, call, peek, poke

from c64ml.backend6502 import wide
from c64ml.exec.reference import activate, requantize, requantize_tflite
from c64ml.model.qmodel import QLayer
from c64ml.spec import Activation, Requant

BUFFERS = "        rts\n" + acc_arrays(*DN_ACC, "wd_acc0", "wd_acc1", "wd_acc2", "wd_acc3") + DN_PT + """
        .res 1
TB:     .res 1020
TREC:   .res 7905
TOUT:   .res 255
        .align 256
TT:     .res 256
"""
M, SYM = build("wide.s", "rq32.s", "dense.s", "mul8.s", driver=BUFFERS, irq=True)


def _layer(n: int, requant: Requant, m, s, zp=0, clamp=None, act=Activation.LINEAR, table=None):
    layer = QLayer(np.zeros((1, n), dtype=np.int64), np.zeros(n, dtype=np.int64), act,
                   multiplier=np.asarray(m, dtype=np.int64), shift=np.asarray(s, dtype=np.int64),
                   table=table, requant=requant)
    if requant == Requant.TFLITE:
        layer.zero_point, layer.clamp = zp, clamp
    return layer


# -- the closed form -------------------------------------------------------------------------

@settings(max_examples=400, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(-31, 30), st.data())
def test_sign_magnitude_equals_tflite_steps(m, n, data):
    ls = max(n, 0)
    acc = np.array(data.draw(st.lists(st.integers(-(2**31 - 1) >> ls, (2**31 - 1) >> ls),
                                      min_size=1, max_size=20)))
    layer = _layer(1, Requant.TFLITE, [m], [n], clamp=(-128, 127))
    m_, t, kp, kn = (v[0] for v in wide.sign_magnitude(layer))
    mag = np.abs(acc)
    got = np.where(acc >= 0, (mag * m_ + kp) >> t, -((mag * m_ + kn) >> t))
    np.testing.assert_array_equal(got, requantize_tflite(acc, np.array([m]), np.array([n])))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 255), st.integers(0, 24),
       st.lists(st.integers(-(2**31 - 1), 2**31 - 1), min_size=1, max_size=20))
def test_sign_magnitude_equals_c64ml_floor(m, s, acc):
    acc = np.array(acc)
    layer = _layer(1, Requant.C64ML, [m], [s])
    m_, t, kp, kn = (v[0] for v in wide.sign_magnitude(layer))
    mag = np.abs(acc)
    got = np.where(acc >= 0, (mag * m_ + kp) >> t, -((mag * m_ + kn) >> t))
    np.testing.assert_array_equal(got, requantize(acc, np.array([m]), np.array([s])))


def test_sign_magnitude_exhaustive_small():
    """Every acc in −4096 … 4096 against every shift, with multipliers around the edges."""
    acc = np.arange(-4096, 4097)
    for n in range(-31, 31):
        for m in (0, 1, 1 << 30, (1 << 30) + 12345, 2**31 - 1):
            if max(n, 0) and 4096 << max(n, 0) > 2**31 - 1:
                continue
            layer = _layer(1, Requant.TFLITE, [m], [n], clamp=(-128, 127))
            ref = np.clip(requantize_tflite(acc, np.array([m]), np.array([n])), -128, 127)
            np.testing.assert_array_equal(wide.requantize_sm(layer, acc[:, None])[:, 0], ref)
    for s in range(25):
        for m in (0, 1, 77, 128, 255):
            layer = _layer(1, Requant.C64ML, [m], [s])
            ref = np.clip(requantize(acc, np.array([m]), np.array([s])), -128, 127)
            np.testing.assert_array_equal(wide.requantize_sm(layer, acc[:, None])[:, 0], ref)


# -- wide.s ----------------------------------------------------------------------------------

def _acc32(n: int) -> np.ndarray:
    return sum(np.frombuffer(bytes(M.ram[SYM[f"wd_acc{b}"]:SYM[f"wd_acc{b}"] + n]), np.uint8)
               .astype(np.int64) << (8 * b) for b in range(4)).astype(np.uint32).view(np.int32)


def _put_acc24(v: np.ndarray) -> None:
    u = np.mod(v, 1 << 24)
    for b in range(3):
        M.ram[SYM[f"dn_acc{b}"]:SYM[f"dn_acc{b}"] + len(v)] = bytes(((u >> 8 * b) & 0xFF)
                                                                  .astype(np.uint8))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 255), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_wide_chunks_sum_exactly(n, n_chunks, seed):
    rng = np.random.default_rng(seed)
    bias = rng.integers(-(2**31) + 2**25, 2**31 - 2**25, n)
    parts = rng.integers(-(2**23), 2**23, (n_chunks, n))
    b = np.mod(bias, 1 << 32)
    M.ram[SYM["TB"]:SYM["TB"] + 4 * n] = b"".join(bytes(((b >> 8 * k) & 0xFF).astype(np.uint8))
                                                  for k in range(4))
    poke(M, SYM["wd_b"], SYM["TB"], 2)
    poke(M, SYM["dn_nout"], n)
    cycles = []
    for c in range(n_chunks):
        _put_acc24(parts[c])
        cycles.append(call(M, SYM, "wd_first" if c == 0 else "wd_add").cycles)
    np.testing.assert_array_equal(_acc32(n), bias + parts.sum(axis=0))
    if n <= 63:  # the four bias arrays then sit in one page: no crossings anywhere
        neg = [int(np.count_nonzero(p < 0)) for p in parts]
        for c in range(1, n_chunks):  # the header: 66 per unit, +1 per negative sum, + 9
            assert cycles[c] == 66 * n + neg[c] + 9
        assert cycles[0] == 66 * n + neg[0] + 9 + 41 * n + 97


# -- rq32.s ----------------------------------------------------------------------------------

@st.composite
def rq_layers(draw):
    n = draw(st.integers(1, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["tflite", "c64ml", "step", "sign"]))
    table = None
    if kind == "tflite":
        m = rng.integers(1 << 30, 2**31, n) * (rng.random(n) > 0.1)
        s = rng.integers(-20, 1, n)
        lo = draw(st.integers(-128, 127))
        layer = _layer(n, Requant.TFLITE, m, s, zp=draw(st.integers(-128, 127)),
                       clamp=(lo, draw(st.integers(lo, 127))))
    elif kind == "c64ml":
        act = draw(st.sampled_from([Activation.LINEAR, Activation.RELU, Activation.HARDTANH,
                                    Activation.TANH]))
        if act == Activation.TANH:
            table = rng.integers(-128, 128, 256)
        layer = _layer(n, Requant.C64ML, rng.integers(0, 256, n), rng.integers(0, 25, n),
                       act=act, table=table)
    else:
        layer = QLayer(np.zeros((1, n), dtype=np.int64), np.zeros(n, dtype=np.int64),
                       Activation(kind))
    spread = draw(st.sampled_from([2**8, 2**16, 2**24, 2**31 - 1]))
    acc = rng.integers(-spread, spread + 1, n)
    return layer, acc


def run_rq32(layer: QLayer, acc: np.ndarray) -> tuple[np.ndarray, int]:
    n = layer.n_out
    u = np.mod(acc, 1 << 32)
    for b in range(4):
        M.ram[SYM[f"wd_acc{b}"]:SYM[f"wd_acc{b}"] + n] = bytes(((u >> 8 * b) & 0xFF)
                                                               .astype(np.uint8))
    rec = wide.records(layer)
    M.ram[SYM["TREC"]:SYM["TREC"] + len(rec)] = rec
    lo, hi = wide.out_bytes(layer)
    poke(M, SYM["rq32_rec"], SYM["TREC"], 2)
    poke(M, SYM["rq32_out"], SYM["TOUT"], 2)
    poke(M, SYM["rq32_n"], n)
    poke(M, SYM["rq32_zp"], layer.zero_point & 0xFF)
    poke(M, SYM["rq32_lo"], lo & 0xFF)
    poke(M, SYM["rq32_hi"], hi & 0xFF)
    if layer.table is not None:
        M.ram[SYM["TT"]:SYM["TT"] + 256] = bytes(np.mod(layer.table, 256).astype(np.uint8))
    poke(M, SYM["rq32_tab"], SYM["TT"] if layer.table is not None else 0, 2)
    before = peek(M, 0xFB, 2)
    r = call(M, SYM, "rq32_run", max_cycles=2_000_000)
    assert peek(M, 0xFB, 2) == before  # $FB-$FC restored
    return np.frombuffer(bytes(M.ram[SYM["TOUT"]:SYM["TOUT"] + n]), np.uint8), r.cycles


@settings(max_examples=300, deadline=None)
@given(rq_layers())
def test_rq32_matches_the_reference(case):
    layer, acc = case
    got, _ = run_rq32(layer, acc)
    want = np.mod(activate(layer, acc[None, :])[0], 256)
    np.testing.assert_array_equal(got, want)


def test_rq32_cycles_as_the_header_says():
    """The header's figures: 165 / 230 a unit when the thresholds decide; 2,371 and 1,238
    a unit for the two multiply examples."""
    n = 8
    sat = _layer(n, Requant.TFLITE, [1 << 30] * n, [-4] * n, clamp=(-128, 127))
    fixed = 20 * 1  # per call, spread over the units below
    assert abs(run_rq32(sat, np.full(n, -10**6))[1] - 165 * n) <= fixed
    assert abs(run_rq32(sat, np.full(n, 10**6))[1] - 230 * n) <= fixed + n
    mul = _layer(n, Requant.TFLITE, [(1 << 30) + 0x010203] * n, [-20] * n, clamp=(-128, 127))
    assert abs(run_rq32(mul, np.full(n, 0x123456))[1] / n - 2371) < 2
    assert abs(run_rq32(mul, np.full(n, 0x56))[1] / n - 1238) < 2
