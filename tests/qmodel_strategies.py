"""Hypothesis strategies for random valid qmodels and batches of input bytes.

Shared by the differential test (JIT vs NumPy reference) and the emulator fuzz tests of the
compiler. Hypothesis draws every structural choice (sizes, activations, which extreme to use)
so failures shrink to small models; bulk values (weight matrices, tables, random rows) come
from a NumPy generator seeded by a drawn integer, which keeps large models cheap to draw.

Import from a test module in ``tests/`` with ``from qmodel_strategies import qmodels, ...``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from c64ml.model.qmodel import QLayer, QModel, validate_qmodel
from c64ml.spec import (
    ACC_MAX,
    ACTIVATIONS,
    KIND_MAX,
    MAX_MULTIPLIER,
    MAX_SHIFT,
    NARROW_ACC_MAX,
    OUTPUTS,
    REQUANTIZED,
    TABLE_RANGE,
    TABLED,
    TFL_MAX_MULTIPLIER,
    Activation,
    Requant,
    input_kind,
)

WEIGHT_STYLES = ("random", "small", "min", "max", "zero", "extremes", "sparse")
BIAS_STYLES = ("zero", "small", "random", "at_bound", "at_neg_bound")
MULT_STYLES = ("random", "zero", "max", "fitted")
SHIFT_STYLES = ("random", "zero", "max", "fitted")
TABLE_STYLES = ("random", "monotone", "min", "max")

seeds = st.integers(0, 2**32 - 1)


def _weights(style: str, rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    shape = (n_in, n_out)
    if style == "random":
        return rng.integers(-128, 128, shape)
    if style == "small":
        return rng.integers(-4, 5, shape)
    if style == "min":
        return np.full(shape, -128)
    if style == "max":
        return np.full(shape, 127)
    if style == "zero":
        return np.zeros(shape, dtype=np.int64)
    if style == "extremes":
        return rng.choice(np.array([-128, -127, -1, 0, 1, 126, 127]), shape)
    w = rng.integers(-128, 128, shape)  # sparse
    return np.where(rng.random(shape) < 0.8, 0, w)


def _biases(style: str, rng: np.random.Generator, room: np.ndarray) -> np.ndarray:
    """Per-unit biases with |B[j]| ≤ room[j], the slack the accumulator bound leaves (§3)."""
    if style == "zero":
        return np.zeros_like(room)
    if style == "small":
        return rng.integers(-1000, 1001, room.shape).clip(-room, room)
    if style == "random":
        return rng.integers(-room, room + 1)
    return room.copy() if style == "at_bound" else -room


def _requant(mstyle: str, sstyle: str, rng: np.random.Generator, bound: np.ndarray):
    """Multipliers 0..255 and shifts 0..24; "fitted" maps the unit's bound to about ±128."""
    n = bound.shape[0]
    m = {"random": lambda: rng.integers(0, MAX_MULTIPLIER + 1, n),
         "zero": lambda: np.zeros(n, dtype=np.int64),
         "max": lambda: np.full(n, MAX_MULTIPLIER),
         "fitted": lambda: rng.integers(128, MAX_MULTIPLIER + 1, n)}[mstyle]()
    if sstyle == "random":
        s = rng.integers(0, MAX_SHIFT + 1, n)
    elif sstyle == "zero":
        s = np.zeros(n, dtype=np.int64)
    elif sstyle == "max":
        s = np.full(n, MAX_SHIFT)
    else:
        span = np.maximum(bound * np.maximum(m, 1), 1).astype(np.float64)
        s = np.ceil(np.log2(span / 128.0)).astype(np.int64) + rng.integers(-3, 2, n)
        s = s.clip(0, MAX_SHIFT)
    return m.astype(np.int64), s.astype(np.int64)


def _tflite_requant(mstyle: str, sstyle: str, rng: np.random.Generator, bound: np.ndarray):
    """TFLite multipliers (0 or 2^30 … 2^31 − 1) and shifts ≤ 0 (§4.2); "fitted" maps the
    unit's bound to about ±128, as a converter's scales would."""
    n = bound.shape[0]
    m = {"random": lambda: rng.integers(1 << 30, TFL_MAX_MULTIPLIER + 1, n),
         "zero": lambda: np.zeros(n, dtype=np.int64),
         "max": lambda: np.full(n, TFL_MAX_MULTIPLIER),
         "fitted": lambda: rng.integers(1 << 30, TFL_MAX_MULTIPLIER + 1, n)}[mstyle]()
    if sstyle == "random":
        s = rng.integers(-31, 1, n)
    elif sstyle == "zero":
        s = np.zeros(n, dtype=np.int64)
    elif sstyle == "max":
        s = np.full(n, -31)
    else:
        s = -np.ceil(np.log2(np.maximum(bound, 1) / 128.0)).astype(np.int64) + rng.integers(-2, 3, n)
        s = s.clip(-31, 0)
    return m.astype(np.int64), s.astype(np.int64)


def _table(style: str, rng: np.random.Generator, activation: str) -> np.ndarray:
    lo, hi = TABLE_RANGE[activation]
    if style == "random":
        return rng.integers(lo, hi + 1, 256)
    if style == "monotone":
        return np.sort(rng.integers(lo, hi + 1, 256))
    return np.full(256, lo if style == "min" else hi)


@st.composite
def qlayers(draw, n_in: int, in_kind: str, activation: str, max_width: int,
            wide: bool = True, tflite: bool = True) -> QLayer:
    """One valid dense layer reading ``n_in`` values of ``in_kind``. With ``wide``, the
    accumulator bound may be 32-bit (else 24-bit); with ``tflite``, a linear layer may
    requantize as TFLite does (§4.2), with a zero point and a clamp."""
    n_out = draw(st.integers(1, max_width))
    rng = np.random.default_rng(draw(seeds))
    w = _weights(draw(st.sampled_from(WEIGHT_STYLES)), rng, n_in, n_out).astype(np.int64)
    wsum = np.abs(w).sum(axis=0) * KIND_MAX[in_kind]
    limit = draw(st.sampled_from([NARROW_ACC_MAX, ACC_MAX])) if wide else NARROW_ACC_MAX
    room = np.maximum(limit - wsum, 0)
    b = _biases(draw(st.sampled_from(BIAS_STYLES)), rng, room).astype(np.int64)
    tfl = tflite and activation == Activation.LINEAR and draw(st.booleans())
    layer = QLayer(w, b, activation, requant=Requant.TFLITE if tfl else Requant.C64ML)
    if activation in REQUANTIZED:
        bound = np.abs(b) + wsum
        pick = _tflite_requant if tfl else _requant
        layer.multiplier, layer.shift = pick(draw(st.sampled_from(MULT_STYLES)),
                                             draw(st.sampled_from(SHIFT_STYLES)), rng, bound)
    if tfl:
        layer.zero_point = draw(st.integers(-128, 127))
        lo = draw(st.integers(-128, 127))
        layer.clamp = (lo, draw(st.integers(lo, 127)))
        if draw(st.booleans()):  # a TFLite LOGISTIC after it: a table of int8 values
            layer.table = _table(draw(st.sampled_from(TABLE_STYLES)), rng, Activation.TANH)
    if activation in TABLED:
        layer.table = _table(draw(st.sampled_from(TABLE_STYLES)), rng, activation).astype(np.int64)
    return layer


@st.composite
def qmodels(draw, max_layers: int = 4, max_width: int = 64, max_inputs: int = 64,
            activations=ACTIVATIONS, outputs=OUTPUTS, wide: bool = True,
            tflite: bool = True, last: Activation | None = None) -> QModel:
    """A random valid QModel: 1..max_layers layers, widths 1..max_width, any activation/output
    (``wide`` and ``tflite`` as in :func:`qlayers`; ``last``: the last layer's activation)."""
    n_inputs = draw(st.integers(1, max_inputs))
    acts = draw(st.lists(st.sampled_from(activations), min_size=1, max_size=max_layers))
    if last is not None:
        acts[-1] = last
    layers = []
    n_in = n_inputs
    for k, act in enumerate(acts):
        layer = draw(qlayers(n_in, input_kind(k, acts), act, max_width, wide, tflite))
        layers.append(layer)
        n_in = layer.n_out
    lo = draw(st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))
    width = draw(st.floats(1e-3, 1e6, allow_nan=False, allow_infinity=False))
    model = QModel("fuzz", np.full(n_inputs, lo), np.full(n_inputs, lo + width), layers,
                   output=draw(st.sampled_from(outputs)))
    validate_qmodel(model)  # a strategy that yields an invalid model is a bug in this file
    return model


@st.composite
def input_batches(draw, n_inputs: int, min_random: int = 0, max_random: int = 32) -> np.ndarray:
    """Input bytes (rows, n_inputs) uint8: all-0 and all-255 rows, a 0/255 mix, random rows."""
    rng = np.random.default_rng(draw(seeds))
    n_random = draw(st.integers(min_random, max_random))
    rows = [np.zeros(n_inputs), np.full(n_inputs, 255),
            rng.choice(np.array([0, 255]), n_inputs), rng.choice(np.array([0, 1, 127, 128, 254, 255]), n_inputs)]
    if draw(st.booleans()):  # a few hand-picked rows, shrinkable by hypothesis
        rows.append(np.array(draw(st.lists(st.integers(0, 255), min_size=n_inputs, max_size=n_inputs))))
    rows.extend(rng.integers(0, 256, (n_random, n_inputs)))
    return np.array(rows, dtype=np.uint8).reshape(-1, n_inputs)


@st.composite
def models_with_inputs(draw, **kwargs) -> tuple[QModel, np.ndarray]:
    """A qmodel and a batch of input bytes for it (kwargs go to ``qmodels``)."""
    model = draw(qmodels(**kwargs))
    return model, draw(input_batches(model.inputs))
