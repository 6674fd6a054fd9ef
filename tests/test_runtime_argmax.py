"""runtime6502/argmax.s: first index of the maximum, s8 and u8, with exact cycles."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from runtime_harness import build, call

M, SYM = build("argmax.s")
ALPHABET = (0x00, 0x01, 0x7F, 0x80, 0xFF)


def expected_cycles(values: list[int], addr: int) -> int:
    """37 + 18 n + 7 u + c, as stated in argmax.s (u and c counted here)."""
    u, best = 0, None
    for v in reversed(values):
        if best is None or v >= best:
            u, best = u + 1, v
    c = sum((addr & 0xFF) + i > 0xFF for i in range(len(values)))
    return 37 + 18 * len(values) + 7 * u + c


def check(data: bytes, signed: bool, addr: int = 0x3010) -> int:
    M.load(addr, data)
    r = call(M, SYM, "amax_run", a=addr & 0xFF, x=addr >> 8, y=len(data), carry=signed)
    values = np.frombuffer(data, np.int8 if signed else np.uint8)
    assert r.a == r.x == int(np.argmax(values)), (data.hex(), signed)
    assert r.cycles == expected_cycles([int(v) for v in values], addr), (data.hex(), signed)
    assert bytes(M.ram[addr:addr + len(data)]) == data
    return r.cycles


def test_every_small_buffer_over_the_extremes():
    """Counts 1..5, every buffer over 00 01 7F 80 FF, in both modes (7,810 runs)."""
    for n in range(1, 6):
        for values in itertools.product(ALPHABET, repeat=n):
            for signed in (False, True):
                check(bytes(values), signed)


def test_counts_up_to_8_equal_ties_and_extremes():
    for n in range(1, 9):
        for signed in (False, True):
            for v in (0x00, 0x7F, 0x80, 0xFF):
                check(bytes([v] * n), signed)                      # all equal: index 0
            for i, j in itertools.combinations(range(n), 2):
                buf = [0x10] * n
                buf[i] = buf[j] = 0x70                             # a tie: the lower wins
                check(bytes(buf), signed)
            for i in range(n):
                lo = [0x7F] * n
                lo[i] = 0x80                                       # u8: the 0x80; s8: the first 0x7F
                check(bytes(lo), signed)
                hi = [0x80] * n
                hi[i] = 0x7F
                check(bytes(hi), signed)


def test_signedness_of_the_extremes():
    buf = bytes([0x7F, 0x80])
    M.load(0x3010, buf)
    assert call(M, SYM, "amax_run", a=0x10, x=0x30, y=2, carry=False).a == 1   # 128 > 127
    assert call(M, SYM, "amax_run", a=0x10, x=0x30, y=2, carry=True).a == 0    # 127 > -128


def test_count_zero_reads_nothing():
    r = call(M, SYM, "amax_run", a=0xFF, x=0xFF, y=0, carry=True)
    assert (r.a, r.x, r.cycles) == (0, 0, 37)


def test_cycle_figures_stated_in_the_header():
    assert check(bytes([9]), False) == 62
    assert check(bytes(range(255)), False, addr=0x3100) == 4634             # u = 1
    assert check(bytes([3] * 255), True, addr=0x3100) == 6412              # u = 255
    assert check(bytes([3] * 16), True, addr=0x30F8) == 37 + 18 * 16 + 7 * 16 + 8  # straddles


@settings(max_examples=300, deadline=None, database=None)
@given(st.binary(min_size=1, max_size=255), st.booleans(), st.integers(0x3000, 0x30FF))
def test_random_buffers_anywhere(data, signed, addr):
    check(data, signed, addr)


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=255), st.booleans())
def test_random_buffers_of_extremes(values, signed):
    check(bytes(values), signed, 0x3040)
