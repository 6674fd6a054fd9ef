"""The NumPy reference executor of a qmodel, vectorised over a batch (docs/semantics.md)."""

from __future__ import annotations

import numpy as np

from c64ml.model.qmodel import QLayer, QModel
from c64ml.spec import Requant


def requantize(acc: np.ndarray, multiplier: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """§4.1: floor((acc·M + R) / 2^S), R = 2^(S−1) or 0: multiply, add half, arithmetic shift."""
    half = np.where(shift > 0, np.left_shift(1, np.maximum(shift - 1, 0)), 0)
    return np.right_shift(acc * multiplier + half, shift)


def requantize_tflite(acc: np.ndarray, multiplier: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """§4.2, step by step as TFLite Micro's MultiplyByQuantizedMultiplier: shift left, the
    doubling high multiply with its nudge and truncation, then the rounding right shift."""
    acc, m, n = (np.asarray(v, dtype=np.int64) for v in (acc, multiplier, shift))
    a = acc << np.maximum(n, 0)  # fits int32: the loader checks the bound (§3)
    ab = a * m  # |ab| < 2^62
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    t = ab + nudge
    h = np.where(t >= 0, t >> 31, -((-t) >> 31))  # division by 2^31 rounding toward zero
    e = np.maximum(-n, 0)
    mask = (np.int64(1) << e) - 1
    threshold = (mask >> 1) + (h < 0)
    return (h >> e) + ((h & mask) > threshold)


def activate(layer: QLayer, acc: np.ndarray) -> np.ndarray:
    """§5: one layer's outputs from its accumulators (N × units, int64)."""
    act = layer.activation
    if act == "step":
        return (acc >= 0).astype(np.int64)
    if act == "sign":
        return np.where(acc >= 0, 1, -1).astype(np.int64)
    if layer.requant == Requant.TFLITE:
        r = requantize_tflite(acc, layer.multiplier, layer.shift) + layer.zero_point
    else:
        r = requantize(acc, layer.multiplier, layer.shift)
    r = np.clip(r, *layer.out_range)
    if layer.table is not None:
        return layer.table[r + 128]
    return r


def forward(model: QModel, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run every layer on input bytes ``q`` (N × inputs); return (last acc, last outputs)."""
    x = model.checked_input_bytes(q).astype(np.int64)
    acc = x
    for layer in model.layers:
        acc = x @ layer.weights + layer.bias  # §3: exact in int64
        x = activate(layer, acc)
    return acc, x


def classes(model: QModel, acc: np.ndarray, y: np.ndarray) -> np.ndarray:
    """§6: argmax with ties to the lowest index; one unit: 1 iff acc ≥ 0."""
    if y.shape[1] == 1:
        return (acc[:, 0] >= 0).astype(np.int64)
    return np.argmax(y, axis=1).astype(np.int64)


def output_bytes(model: QModel, q: np.ndarray) -> np.ndarray:
    """§7: the program's output bytes for each sample (N × out_bytes, uint8)."""
    acc, y = forward(model, q)
    out = np.mod(y, 256)
    if model.output == "argmax":
        out = np.concatenate([out, classes(model, acc, y)[:, None]], axis=1)
    return out.astype(np.uint8)


def predict(model: QModel, q: np.ndarray) -> np.ndarray:
    """Class index per sample (argmax semantics even for a "scores" model)."""
    acc, y = forward(model, q)
    return classes(model, acc, y)
