"""runtime6502/dense.s and activate.s: property tests against docs/semantics.md §3–§5.

dense.s must leave acc[j] = B[j] + Σ w[i][j]·x[i] exactly (24-bit), for u8 and s8 inputs,
any weights −128…127, biases up to the accumulator bound, zero rows skipped or not.
activate.s must then give the outputs of every activation exactly as the NumPy reference.
The cycle figures in the files' headers are checked here.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from runtime_harness import DN_ACC, DN_PT, acc_arrays, build, call, poke

from c64ml.backend6502.codegen import (
    dense_level_bytes,
    requant_data,
    sparse_fits,
    sparse_rows,
    start_constants,
    thresholds,
)
from c64ml.exec import reference
from c64ml.model.qmodel import QLayer
from c64ml.spec import CLAMP, KIND_MAX, NARROW_ACC_MAX

BUFFERS = acc_arrays(*DN_ACC) + """
TW:     .res 12288
TC:     .res 765
TIN:    .res 256
TM:     .res 255
TS:     .res 255
TOUT:   .res 255
        .align 256
TT:     .res 256
TH:     .res 1530
        .align 256
TLV:    .res 256
""" + DN_PT + """
"""
FILES = ("dense.s", "activate.s", "requant.s", "sparse.s")
M, SYM = build(*FILES, driver="        rts\n" + BUFFERS, irq=True)


def _run(routine: str, c: np.ndarray, x: np.ndarray, kind: str, n_out: int
         ) -> tuple[np.ndarray, int]:
    """Start constants ``c`` at TC, inputs ``x`` at TIN, dense.s's parameters (the weights,
    or sparse.s's row table, already at TW), then ``routine``: the signed accumulators
    and the cycles."""
    n_in = len(x)
    M.ram[SYM["TC"]:SYM["TC"] + 3 * n_out] = b"".join(
        bytes(((c >> s) & 0xFF).astype(np.uint8)) for s in (0, 8, 16))
    M.ram[SYM["TIN"]:SYM["TIN"] + n_in] = bytes(np.mod(x, 256).astype(np.uint8))
    for name, v in (("dn_in", SYM["TIN"]), ("dn_w", SYM["TW"]), ("dn_c", SYM["TC"])):
        poke(M, SYM[name], v, 2)
    poke(M, SYM["dn_nin"], n_in & 0xFF)
    poke(M, SYM["dn_nout"], n_out)
    poke(M, SYM["dn_mask"], 0x80 if kind == "s8" else 0)
    r = call(M, SYM, routine, max_cycles=5_000_000)
    acc = sum(np.frombuffer(bytes(M.ram[SYM[f"dn_acc{k}"]:SYM[f"dn_acc{k}"] + n_out]),
                            dtype=np.uint8).astype(np.int64) << (8 * k) for k in range(3))
    return np.where(acc >= 1 << 23, acc - (1 << 24), acc), r.cycles


def run_dense(w: np.ndarray, b: np.ndarray, x: np.ndarray, kind: str,
              levels: bool = False) -> tuple[np.ndarray, int]:
    """dense.s's accumulators and cycles; ``levels``: through its levels loop."""
    n_in, n_out = w.shape
    c = start_constants(b, w, kind)
    if levels:
        lv, codes = dense_level_bytes(w)
        M.ram[SYM["TW"]:SYM["TW"] + w.size] = codes
        M.ram[SYM["TLV"]:SYM["TLV"] + len(lv)] = lv
        poke(M, SYM["dn_lv"], SYM["TLV"], 2)
    else:
        M.ram[SYM["TW"]:SYM["TW"] + w.size] = bytes((w + 128).astype(np.uint8).ravel())
        poke(M, SYM["dn_lv"], 0, 2)
    return _run("dn_run", c, x, kind, n_out)


def run_sparse(w: np.ndarray, b: np.ndarray, x: np.ndarray, kind: str) -> tuple[np.ndarray, int]:
    """sparse.s's accumulators and cycles: the row table at TW, the streams after it."""
    n_in, n_out = w.shape
    c = start_constants(b, w, kind, sparse=True)
    streams, addr = b"", SYM["TW"] + 2 * n_in
    lo, hi = bytearray(n_in), bytearray(n_in)
    for i, s in enumerate(sparse_rows(w)):
        if s:
            a = addr + len(streams)
            lo[i], hi[i] = a & 0xFF, a >> 8
            streams += s
    assert 2 * n_in + len(streams) <= 12288
    M.ram[SYM["TW"]:SYM["TW"] + 2 * n_in + len(streams)] = bytes(lo) + bytes(hi) + streams
    return _run("sp_run", c, x, kind, n_out)


@st.composite
def dense_cases(draw, max_in: int = 40, max_out: int = 40):
    n_in, n_out = draw(st.integers(1, max_in)), draw(st.integers(1, max_out))
    kind = draw(st.sampled_from(["u8", "s8"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    style = draw(st.sampled_from(["random", "min", "max", "zero", "sparse"]))
    w = {"random": lambda: rng.integers(-128, 128, (n_in, n_out)),
         "min": lambda: np.full((n_in, n_out), -128), "max": lambda: np.full((n_in, n_out), 127),
         "zero": lambda: np.zeros((n_in, n_out), dtype=np.int64),
         "sparse": lambda: rng.integers(-128, 128, (n_in, n_out)) * (rng.random((n_in, n_out)) < .2),
         }[style]().astype(np.int64)
    lo, hi = (0, 255) if kind == "u8" else (-128, 127)
    xs = draw(st.sampled_from(["random", "low", "high", "zeros"]))
    x = {"random": lambda: rng.integers(lo, hi + 1, n_in), "low": lambda: np.full(n_in, lo),
         "high": lambda: np.full(n_in, hi),
         "zeros": lambda: rng.integers(lo, hi + 1, n_in) * (rng.random(n_in) < .5)}[xs]()
    room = NARROW_ACC_MAX - np.abs(w).sum(axis=0) * KIND_MAX[kind]  # dense.s is 24-bit
    bs = draw(st.sampled_from(["random", "top", "bottom", "zero"]))
    b = {"random": lambda: rng.integers(-room, room + 1), "top": lambda: room,
         "bottom": lambda: -room, "zero": lambda: np.zeros(n_out, dtype=np.int64)}[bs]()
    return w, b.astype(np.int64), x.astype(np.int64), kind


@settings(max_examples=300, deadline=None)
@given(dense_cases(), st.booleans())
def test_dense_accumulators_are_exact(case, levels):
    w, b, x, kind = case
    acc, _ = run_dense(w, b, x, kind, levels and len(np.unique(w)) <= 255)
    assert np.array_equal(acc, b + x @ w)


@settings(max_examples=100, deadline=None)
@given(dense_cases(), st.integers(1, 16), st.integers(0, 2**32 - 1))
def test_dense_levels_few_values(case, n_levels, seed):
    """A codebook: the weights take n_levels values (as after c64ml compress)."""
    w, b, x, kind = case
    book = np.random.default_rng(seed).integers(-128, 128, n_levels)
    w = book[np.mod(w, n_levels)]
    room = NARROW_ACC_MAX - np.abs(w).sum(axis=0) * KIND_MAX[kind]
    b = np.clip(b, -room, room)
    acc, _ = run_dense(w, b, x, kind, True)
    assert np.array_equal(acc, b + x @ w)


def test_dense_full_width_and_256_inputs():
    rng = np.random.default_rng(7)
    for n_in, n_out in ((256, 3), (3, 255), (255, 2)):
        w = rng.integers(-128, 128, (n_in, n_out))
        x = rng.integers(0, 256, n_in)
        b = np.zeros(n_out, dtype=np.int64)
        for levels in (False, True):
            acc, _ = run_dense(w, b, x, "u8", levels)
            assert np.array_equal(acc, x @ w)


def test_dense_cycles_per_mac_match_the_header():
    """Header: about 60 cycles per MAC of a processed row with the tables loop, 74 per
    processed and 30 per skipped row, 79 per unit; with levels about 39.5 per MAC, 37 per
    level and 76 per processed row."""
    rng = np.random.default_rng(3)
    w = rng.integers(-128, 128, (64, 32))
    b = np.zeros(32, dtype=np.int64)
    x = rng.integers(1, 256, 64)
    _, full = run_dense(w, b, x, "u8")
    _, empty = run_dense(w, b, np.zeros(64, dtype=np.int64), "u8")
    assert (full, empty) == (131_705, 4_712)
    per_mac = (full - empty - 64 * 74) / (64 * 32)
    assert 59 <= per_mac <= 61, per_mac
    assert 64 * 30 + 32 * 79 <= empty <= 64 * 30 + 32 * 79 + 400, empty
    levels = rng.integers(-128, 128, 12)
    w = levels[rng.integers(0, 12, (64, 32))]
    _, full_lv = run_dense(w, b, x, "u8", True)
    _, empty_lv = run_dense(w, b, np.zeros(64, dtype=np.int64), "u8", True)
    assert empty_lv == empty + 31
    per_mac = (full_lv - empty_lv - 64 * (76 + 37.2 * 12)) / (64 * 32)
    assert 38.5 <= per_mac <= 40.5, per_mac


def sparse_case(w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """w made sparse.s-able and sparser: −128 → −127, random zeros, whole zero rows and
    columns."""
    w = np.maximum(w, -127) * (rng.random(w.shape) < rng.random())
    w[rng.random(w.shape[0]) < .2] = 0
    w[:, rng.random(w.shape[1]) < .2] = 0
    return w


@settings(max_examples=300, deadline=None)
@given(dense_cases(), st.integers(0, 2**32 - 1))
def test_sparse_accumulators_are_exact(case, seed):
    """sparse.s: zero weights and zero inputs add nothing, every other product exactly."""
    w, b, x, kind = case
    w = sparse_case(w, np.random.default_rng(seed))
    acc, _ = run_sparse(w, b, x, kind)
    assert np.array_equal(acc, b + x @ w)


@settings(max_examples=60, deadline=None)
@given(dense_cases(), st.integers(1, 16), st.integers(0, 2**32 - 1))
def test_sparse_codebook(case, n_levels, seed):
    """A pruned codebook (as after c64ml compress): few magnitudes, so groups of many units."""
    w, b, x, kind = case
    rng = np.random.default_rng(seed)
    book = rng.integers(-127, 128, n_levels)
    w = book[np.mod(w, n_levels)] * (rng.random(w.shape) < .7)
    room = NARROW_ACC_MAX - np.abs(w).sum(axis=0) * KIND_MAX[kind]
    acc, _ = run_sparse(w, np.clip(b, -room, room), x, kind)
    assert np.array_equal(acc, np.clip(b, -room, room) + x @ w)


def test_sparse_extremes():
    """127 units, 256 inputs, weights ±127 and 1, extreme inputs and biases, u8 and s8; and
    the limits sparse_fits enforces."""
    rng = np.random.default_rng(11)
    for n_in, n_out in ((256, 3), (3, 127), (40, 127), (255, 1), (1, 1)):
        for kind, xs in (("u8", (0, 255)), ("s8", (-128, 127))):
            for w in (rng.choice([-127, 127, 1, -1, 0], (n_in, n_out)),
                      np.full((n_in, n_out), 127), np.full((n_in, n_out), -127)):
                if not sparse_fits(w):
                    continue
                room = NARROW_ACC_MAX - np.abs(w).sum(axis=0) * KIND_MAX[kind]
                for x in (rng.integers(xs[0], xs[1] + 1, n_in), np.full(n_in, xs[0]),
                          np.full(n_in, xs[1])):
                    for b in (room, -room):
                        acc, _ = run_sparse(w, b, x, kind)
                        assert np.array_equal(acc, b + x @ w)
    assert not sparse_fits(np.ones((2, 128), dtype=np.int64))
    assert not sparse_fits(np.full((2, 3), -128))
    assert sparse_fits(np.ones((2, 127), dtype=np.int64))
    assert not sparse_fits(np.arange(1, 128)[None, :] * np.ones((2, 1), dtype=np.int64))


def test_sparse_cycles_match_the_header():
    """Header: 34 per stored weight (about 37 with the carries into the high byte of a random
    codebook layer like the digits example's), 66 per group, 79 per processed row, 16 per
    skipped row, 33 per unit, about 155 fixed."""
    b = np.zeros(32, dtype=np.int64)
    zeros = np.zeros(64, dtype=np.int64)
    w = np.full((64, 32), 5)
    _, empty = run_sparse(w, b, zeros, "u8")
    _, one = run_sparse(w[:1, :1], b[:1], zeros[:1], "u8")
    assert (one, empty) == (204, 2233)               # 155 + 33 + 16, 155 + 32·33 + 64·16 − 2
    x = np.full(64, 200)
    _, full = run_sparse(w, b, x, "u8")               # one group of 32 per row
    _, half = run_sparse(w[:, :16], b[:16], x, "u8")  # one group of 16
    per_weight = (full - half - 16 * 33) / (64 * 16)
    assert 34 <= per_weight <= 35, per_weight
    w_groups = np.tile(np.arange(1, 33), (64, 1))     # 32 groups of 1 per row
    _, groups = run_sparse(w_groups, b, x, "u8")
    row_one = (full - empty) / 64 - 32 * per_weight   # a row: set-up and one group
    per_group = ((groups - empty) / 64 - 32 * per_weight - row_one) / 31
    assert 65 <= per_group <= 67, per_group
    assert 140 <= row_one <= 150, row_one
    rng = np.random.default_rng(5)
    book = rng.integers(-127, 128, 12)
    w = book[rng.integers(0, 12, (64, 32))] * (rng.random((64, 32)) < .7)
    _, cyc = run_sparse(w, b, x, "u8")
    nz = np.count_nonzero(w, axis=1)
    g = np.array([len(np.unique(np.abs(r[r != 0]))) for r in w])
    want = 155 + 32 * 33 + np.sum(np.where(nz > 0, 79 + 66 * g + 36.9 * nz, 16))
    assert abs(cyc - want) < 0.01 * want, (cyc, want)  # carries: 36.9 a weight, not 34


def test_sparse_rows_beat_the_tables_loop_on_a_pruned_codebook():
    """Issue 11's "≤ 55 cycles per processed MAC" for size builds, on sparse rows: a 64×32
    layer, 12 magnitudes, 31 % pruned, no zero input, rows' set-up included: 46.1 cycles
    per processed (nominal) MAC, against 62.7 for the tables loop, 57.0 for levels."""
    rng = np.random.default_rng(3)
    b, x, zeros = np.zeros(32, dtype=np.int64), rng.integers(1, 256, 64), np.zeros(64, np.int64)
    book = rng.integers(-127, 128, 12)
    w = book[rng.integers(0, 12, (64, 32))] * (rng.random((64, 32)) < .7)
    per_mac = {}
    for name, run in (("sparse", lambda v: run_sparse(w, b, v, "u8")),
                      ("tables", lambda v: run_dense(w, b, v, "u8")),
                      ("levels", lambda v: run_dense(w, b, v, "u8", True))):
        per_mac[name] = (run(x)[1] - run(zeros)[1]) / (64 * 32)
    assert per_mac["sparse"] <= 47 < 55 < per_mac["levels"] < per_mac["tables"], per_mac


ACTS = ["linear", "relu", "hardtanh", "step", "sign", "sigmoid", "tanh"]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(ACTS), st.integers(1, 20), st.integers(0, 2**32 - 1))
def test_activate_matches_the_reference(act, n_out, seed):
    rng = np.random.default_rng(seed)
    layer = QLayer(np.zeros((1, n_out), dtype=np.int64), np.zeros(n_out, dtype=np.int64), act)
    if act in CLAMP:
        layer.multiplier = rng.integers(0, 256, n_out)
        layer.shift = rng.integers(0, 25, n_out)
        if act in ("sigmoid", "tanh"):
            layer.table = rng.integers(0, 256, 256) if act == "sigmoid" \
                else rng.integers(-128, 128, 256)
    acc = rng.integers(-(1 << 23), 1 << 23, n_out)
    acc[: n_out // 3] = rng.integers(-300, 300, n_out // 3)
    if act in CLAMP and rng.random() < 0.5:  # right at and next to the thresholds
        b, a = thresholds(layer)
        acc = np.clip(np.where(rng.random(n_out) < .5, b, a) + rng.integers(-1, 2, n_out),
                      -(1 << 23), (1 << 23) - 1)
    want = np.mod(reference.activate(layer, acc[None, :])[0], 256)
    a = np.mod(acc, 1 << 24)
    for k in range(3):
        M.ram[SYM[f"dn_acc{k}"]:SYM[f"dn_acc{k}"] + n_out] = bytes(((a >> (8 * k)) & 0xFF).astype(np.uint8))
    poke(M, SYM["dn_nout"], n_out)
    poke(M, SYM["ac_kind"], {"step": 1, "sign": 2}.get(act, 0))
    if act in CLAMP:
        lo, hi = CLAMP[act]
        poke(M, SYM["ac_lo"], lo, 2)
        poke(M, SYM["ac_hi"], hi, 2)
        mult, th = requant_data(layer)
        M.ram[SYM["TM"]:SYM["TM"] + n_out] = mult
        M.ram[SYM["TS"]:SYM["TS"] + n_out] = bytes(layer.shift.astype(np.uint8))
        poke(M, SYM["ac_m"], SYM["TM"] - 1, 2)
        poke(M, SYM["ac_s"], SYM["TS"] - 1, 2)
        if layer.table is not None:
            M.ram[SYM["TT"]:SYM["TT"] + 256] = bytes(np.mod(layer.table, 256).astype(np.uint8))
        poke(M, SYM["ac_tab"], SYM["TT"] if layer.table is not None else 0, 2)
        M.ram[SYM["TH"]:SYM["TH"] + 6 * n_out] = th
        poke(M, SYM["ac_th"], SYM["TH"] - 1, 2)
    poke(M, SYM["ac_out"], SYM["TOUT"] - 1, 2)
    call(M, SYM, "ac_run", max_cycles=1_000_000)
    got = np.frombuffer(bytes(M.ram[SYM["TOUT"]:SYM["TOUT"] + n_out]), dtype=np.uint8)
    assert np.array_equal(got, want)


def test_activate_cycles_match_the_header():
    """Header: step and sign 45 + 19 per unit; requantized units below their threshold
    104 + 36 per unit (here every acc is below B = 0, so each unit clamps to lo)."""
    def cycles(kind: int, n: int) -> int:
        for k in range(3):
            M.ram[SYM[f"dn_acc{k}"]:SYM[f"dn_acc{k}"] + n] = bytes([0xFF if k == 2 else 0] * n)
        M.ram[SYM["TH"]:SYM["TH"] + 6 * n] = (bytes(2 * n) + bytes([0x80] * n)) * 2  # B = A = 0
        poke(M, SYM["dn_nout"], n)
        poke(M, SYM["ac_kind"], kind)
        for name, value in (("ac_lo", 0), ("ac_hi", 255), ("ac_m", SYM["TM"] - 1),
                            ("ac_s", SYM["TS"] - 1), ("ac_tab", 0), ("ac_th", SYM["TH"] - 1),
                            ("ac_out", SYM["TOUT"] - 1)):
            poke(M, SYM[name], value, 2)
        r = call(M, SYM, "ac_run")
        assert bytes(M.ram[SYM["TOUT"]:SYM["TOUT"] + n]) == bytes(n)
        return r.cycles

    for n in (1, 9, 40):
        assert cycles(1, n) == 45 + 19 * n
        assert cycles(0, n) == 104 + 36 * n
