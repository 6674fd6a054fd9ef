"""TFLite's int8 LOGISTIC as a 256-entry table, computed as TensorFlow Lite Micro computes it.

LOGISTIC maps each int8 value on its own, so on the C64 it is a table indexed by the
previous layer's output (docs/semantics.md §5). The table's entries come from the integer
algorithm of TFLite Micro's reference kernel, followed step by step here in Python
integers: the input rescaled to a Q4.27 fixed-point number with the quantized multiplier
of ``QuantizeMultiplier`` (no saturation case), the logistic of gemmlowp's fixed-point
library (``exp`` on negative values by a Taylor polynomial on [−1/4, 0) and a barrel of
constant factors, ``1/(1 + x)`` by three Newton–Raphson steps), then a rounding right shift
to 8 bits and the output zero point −128. tests/test_tflite_logistic.py checks every entry
against the live ``tflite-micro`` interpreter for many input scales and zero points.
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
INPUT_INTEGER_BITS = 4  # the kernel's fixed-point input format: Q4.27


def round_half_away(x: float) -> int:
    """C's ``round`` (TfLiteRound): halves away from zero."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x)) if abs(x) < 2**52 else int(x)


def _wrap(x: int) -> int:
    """Two's-complement int32 wrap-around (what C's int32 additions do here)."""
    return (x + (1 << 31)) % (1 << 32) - (1 << 31)


def high_mul(a: int, b: int) -> int:
    """Doubling high multiply of two Q0.31 values: (a·b + nudge) / 2^31 toward zero."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    t = ab + ((1 << 30) if ab >= 0 else 1 - (1 << 30))
    return t >> 31 if t >= 0 else -((-t) >> 31)


def round_shift(x: int, e: int) -> int:
    """x / 2^e rounded to nearest, halves away from zero (a rounding right shift)."""
    if e == 0:
        return x
    mask = (1 << e) - 1
    return (x >> e) + ((x & mask) > (mask >> 1) + (x < 0))


def _times_pot(x: int, e: int) -> int:
    """x · 2^e: saturating for e > 0, rounding for e < 0."""
    if e > 0:
        limit = (1 << (31 - e)) - 1
        return INT32_MAX if x > limit else INT32_MIN if x < -limit else x << e
    return round_shift(x, -e)


def _half_sum(a: int, b: int) -> int:
    """(a + b) / 2 rounded to nearest, halves away from zero."""
    s = a + b
    s += 1 if s >= 0 else -1
    return s // 2 if s >= 0 else -((-s) // 2)


def _exp_quarter(a: int) -> int:
    """exp(a) for a in [−1/4, 0), both Q0.31: a Taylor polynomial around −1/8."""
    e_minus_eighth, third = 1895147668, 715827883
    x = _wrap(a + (1 << 28))
    x2 = high_mul(x, x)
    x3 = high_mul(x2, x)
    x4 = high_mul(x2, x2)
    poly = _times_pot(_wrap(high_mul(_wrap(_times_pot(x4, -2) + x3), third) + x2), -1)
    return _wrap(e_minus_eighth + high_mul(e_minus_eighth, _wrap(x + poly)))


#: exp(−2^k) as Q0.31 for the bits of the input above the lowest quarter.
_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
           (2, 39332535), (3, 720401), (4, 242))


def _exp_negative(a: int, integer_bits: int) -> int:
    """exp(a) for a ≤ 0 given with ``integer_bits`` integer bits; the result is Q0.31."""
    frac = 31 - integer_bits
    quarter = 1 << (frac - 2)
    rest = _wrap((a & (quarter - 1)) - quarter)
    result = _exp_quarter(_times_pot(rest, integer_bits))
    remainder = _wrap(rest - a)
    for k, factor in _BARREL:
        if integer_bits > k and remainder & (1 << (frac + k)):
            result = high_mul(result, factor)
    if integer_bits > 5 and a < -(1 << (36 - integer_bits)):
        result = 0
    return INT32_MAX if a == 0 else result


def _one_over_one_plus(a: int) -> int:
    """1 / (1 + a) for a in (0, 1) as Q0.31, by three Newton–Raphson steps in Q2.29."""
    half_den = _half_sum(a, INT32_MAX)
    x = _wrap(1515870810 + high_mul(half_den, -1010580540))  # 48/17 − 32/17 · d
    for _ in range(3):
        err = _wrap((1 << 29) - high_mul(half_den, x))
        x = _wrap(x + _times_pot(high_mul(x, err), 2))
    return _times_pot(x, 1)


def _logistic_q31(a: int) -> int:
    """The logistic of a Q4.27 value, as Q0.31."""
    if a == 0:
        return 1 << 30
    positive = _one_over_one_plus(_exp_negative(_wrap(-abs(a)), INPUT_INTEGER_BITS))
    return positive if a > 0 else _wrap(INT32_MAX - positive)


def multiply_by_quantized_multiplier(x: int, m: int, shift: int) -> int:
    """MultiplyByQuantizedMultiplier (double rounding), shift > 0 left."""
    return round_shift(high_mul(x * (1 << max(shift, 0)), m), max(-shift, 0))


def logistic_table(input_scale: float, input_zero_point: int) -> np.ndarray:
    """The int8 output (scale 1/256, zero point −128) for each int8 input −128 … 127."""
    real = float(np.float32(input_scale)) * float(1 << (31 - INPUT_INTEGER_BITS))
    q, left_shift = math.frexp(real)
    multiplier = round_half_away(q * (1 << 31))
    radius = math.floor(((1 << INPUT_INTEGER_BITS) - 1)
                        * (1 << (31 - INPUT_INTEGER_BITS)) / 2.0 ** left_shift)
    out = np.empty(256, dtype=np.int64)
    for i, v in enumerate(range(-128, 128)):
        x = v - input_zero_point
        if x <= -radius:
            out[i] = -128
        elif x >= radius:
            out[i] = 127
        else:
            y = round_shift(_logistic_q31(multiply_by_quantized_multiplier(x, multiplier, left_shift)), 31 - 8)
            out[i] = min(max(y - 128, -128), 127)
    return out
