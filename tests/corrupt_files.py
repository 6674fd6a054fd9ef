"""Damaged-file fuzzing shared by the readers' tests: random bytes, truncations and byte
flips of a valid file must give nothing but a one-line C64mlError, quickly.

    test_random_bytes, test_truncations, test_byte_flips = corruption_tests(VALID, parse)
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c64ml.errors import C64mlError


def check_one_line(parse, data: bytes, seconds: float = 2.0) -> None:
    """``parse(data)`` returns, or raises a one-line C64mlError, within ``seconds``."""
    start = time.monotonic()
    try:
        parse(data)
    except C64mlError as e:
        assert "\n" not in str(e)
    assert time.monotonic() - start < seconds


def corruption_tests(valid: bytes, parse, variants=lambda data: [data], examples: int = 150):
    """Three hypothesis tests of ``parse`` on damaged copies of ``valid``; ``variants``
    turns random bytes into the inputs to try (to get past a magic number, say)."""
    quick = settings(max_examples=examples, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])

    @quick
    @given(st.binary(max_size=600))
    def test_random_bytes(data):
        for d in variants(data):
            check_one_line(parse, d)

    @quick
    @given(st.integers(0, len(valid)))
    def test_truncations(n):
        check_one_line(parse, valid[:n])

    @settings(max_examples=2 * examples, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.tuples(st.integers(0, len(valid) - 1), st.integers(0, 255)),
                    min_size=1, max_size=6))
    def test_byte_flips(flips):
        data = bytearray(valid)
        for i, v in flips:
            data[i] = v
        check_one_line(parse, bytes(data))

    return test_random_bytes, test_truncations, test_byte_flips
