"""What a dense layer may be: activations, value kinds, size limits (docs/semantics.md §2)."""

from __future__ import annotations

import numpy as np

ACTIVATIONS = ("linear", "relu", "step", "sign", "hardtanh", "sigmoid", "tanh")
OUTPUTS = ("argmax", "scores")

#: Output kind of each activation: "u8" (0..255) or "s8" (-128..127).
OUTPUT_KIND = {
    "linear": "s8", "relu": "u8", "step": "u8", "sign": "s8",
    "hardtanh": "s8", "sigmoid": "u8", "tanh": "s8",
}
#: Largest magnitude of an input value of each kind (the accumulator bound uses it).
KIND_MAX = {"u8": 255, "s8": 128}
#: Activations that requantize with multiplier/shift, and those that use a lookup table.
REQUANTIZED = ("linear", "relu", "hardtanh", "sigmoid", "tanh")
TABLED = ("sigmoid", "tanh")
#: Clamp range applied to r for the requantized activations (tables clamp to the index range).
CLAMP = {"linear": (-128, 127), "relu": (0, 255), "hardtanh": (-127, 127),
         "sigmoid": (-128, 127), "tanh": (-128, 127)}
TABLE_RANGE = {"sigmoid": (0, 255), "tanh": (-128, 127)}

MAX_INPUTS = 256
MAX_UNITS = 255  # a unit index fits an index register
MAX_LAYERS = 8
ACC_BITS = 24
ACC_MAX = 2 ** (ACC_BITS - 1) - 1
MAX_SHIFT = 24
MAX_MULTIPLIER = 255


def input_kind(layer_index: int, activations: list[str]) -> str:
    """Kind of the input vector of layer ``layer_index`` given all layers' activations."""
    return "u8" if layer_index == 0 else OUTPUT_KIND[activations[layer_index - 1]]


def float_activation(name: str, z: np.ndarray) -> np.ndarray:
    """The real-valued activation that the integer one approximates."""
    if name == "linear":
        return z
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "step":
        return (z >= 0).astype(np.float64)
    if name == "sign":
        return np.where(z >= 0, 1.0, -1.0)
    if name == "hardtanh":
        return np.clip(z, -1.0, 1.0)
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free logistic
    if name == "tanh":
        return np.tanh(z)
    raise ValueError(name)
