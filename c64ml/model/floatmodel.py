"""The float model: its JSON file format (docs/model-format.md), loading, saving and inference."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from c64ml import jsonfile as jf
from c64ml.errors import C64mlError
from c64ml.fileio import write_atomic
from c64ml.model.shape import LayerShape, ModelShape
from c64ml.spec import (
    ACTIVATIONS,
    MAX_INPUTS,
    MAX_LAYERS,
    MAX_UNITS,
    OUTPUTS,
    Activation,
    OutputMode,
    float_activation,
)
from c64ml.text import check_label

FORMAT = "c64ml-model"
VERSION = 1
MAX_WEIGHT = 1e12


@dataclass
class Dense(LayerShape):
    """A float dense layer; ``weights`` is indexed ``[input][unit]`` as scikit-learn's ``coefs_``."""

    weights: np.ndarray
    bias: np.ndarray
    activation: Activation


@dataclass
class Model(ModelShape):
    """A float model: dense layers over ``inputs`` raw features with per-input ranges."""

    name: str
    input_lo: np.ndarray
    input_hi: np.ndarray
    layers: list[Dense]
    output: OutputMode = OutputMode.ARGMAX
    classes: list[str] | None = None
    extra: dict = field(default_factory=dict)

    # -- inference ---------------------------------------------------------

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (last layer's pre-activations, last layer's outputs) for raw inputs ``x`` (N × inputs)."""
        a = np.asarray(x, dtype=np.float64)
        z = a
        for layer in self.layers:
            z = a @ layer.weights + layer.bias
            a = float_activation(layer.activation, z)
        return z, a

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class indices: argmax of the outputs (lowest index on ties); one unit: 1 iff z ≥ 0."""
        z, a = self.forward(x)
        if a.shape[1] == 1:
            return (z[:, 0] >= 0).astype(np.int64)
        return np.argmax(a, axis=1).astype(np.int64)

    # -- files -------------------------------------------------------------

    def to_json(self) -> dict:
        doc = {"format": FORMAT, "version": VERSION, "name": self.name,
               "inputs": self.inputs, "input_range": input_range_json(self.input_lo, self.input_hi)}
        if self.classes is not None:
            doc["classes"] = list(self.classes)
        doc["layers"] = [{"type": "dense", "activation": layer.activation,
                          "weights": layer.weights.tolist(), "bias": layer.bias.tolist()}
                         for layer in self.layers]
        doc["output"] = self.output
        return doc

    def save(self, path: str | os.PathLike) -> None:
        write_atomic(path, jf.dump_json(self.to_json()))

    @staticmethod
    def from_sklearn(estimator, input_range=None, name: str | None = None,
                     classes: list[str] | None = None) -> "Model":
        """Import a fitted Perceptron, linear classifier or MLPClassifier (optionally in a
        Pipeline after a StandardScaler or MinMaxScaler, which is folded into layer 0)."""
        from c64ml.model.sklearn_import import model_from_sklearn
        return model_from_sklearn(estimator, input_range=input_range, name=name, classes=classes)


def input_range_json(lo: np.ndarray, hi: np.ndarray) -> list:
    """One ``[lo, hi]`` pair when all inputs share it, else one pair per input."""
    pairs = [[float(a), float(b)] for a, b in zip(lo, hi)]
    return pairs[0] if all(p == pairs[0] for p in pairs) else pairs


def parse_input_range(v, n: int, field: str = "input_range") -> tuple[np.ndarray, np.ndarray]:
    """``[lo, hi]`` for all inputs, or ``[[lo, hi], ...]`` one pair per input."""
    v = jf.as_list(v, field, 2, MAX_INPUTS)
    if not isinstance(v[0], list):
        jf.as_list(v, field, 2, 2)
        pairs = [v] * n
        names = [field] * n
    else:
        jf.as_list(v, field, n, n)
        pairs = v
        names = [f"{field}[{i}]" for i in range(n)]
    lo = np.empty(n)
    hi = np.empty(n)
    for i, (pair, f) in enumerate(zip(pairs, names)):
        jf.as_list(pair, f, 2, 2)
        lo[i] = jf.as_float(pair[0], f + "[0]", 1e15)
        hi[i] = jf.as_float(pair[1], f + "[1]", 1e15)
        if not hi[i] > lo[i]:
            raise C64mlError(f"needs lo < hi, got [{lo[i]:g}, {hi[i]:g}]", field=f)
        if not np.isfinite(hi[i] - lo[i]):
            raise C64mlError("range is too wide", field=f)
    return lo, hi


def parse_matrix(v, field: str, rows: int, cols: int | None, limit: float) -> np.ndarray:
    """A rows × cols list of lists of finite numbers (cols None: take from the first row)."""
    jf.as_list(v, field, rows, rows)
    if cols is None:
        cols = len(jf.as_list(v[0], f"{field}[0]", 1, MAX_UNITS))
    out = np.empty((rows, cols))
    for i, row in enumerate(v):
        jf.as_list(row, f"{field}[{i}]", cols, cols)
        for j, x in enumerate(row):
            out[i, j] = jf.as_float(x, f"{field}[{i}][{j}]", limit)
    return out


def parse_classes(v, n_classes: int) -> list[str]:
    v = jf.as_list(v, "classes", n_classes, n_classes)
    return [check_label(c, f"classes[{i}]") for i, c in enumerate(v)]


def parse_header(doc, expected: str, other: str, other_hint: str):
    """The fields shared by model and qmodel files: (name, lo, hi, raw layers, output)."""
    if not isinstance(doc, dict):
        raise C64mlError("expected a JSON object at the top level")
    fmt = jf.need(doc, "format", "")
    if fmt == other:
        raise C64mlError(other_hint, field="format")
    if fmt != expected:
        raise C64mlError(f"expected \"{expected}\"", field="format")
    version = jf.as_int(jf.need(doc, "version", ""), "version", 0, 1 << 30)
    if version != VERSION:
        raise C64mlError(f"version {version} is not supported (this c64ml reads {VERSION})",
                         field="version")
    name = check_label(doc.get("name", "model"), "name")
    n = jf.as_int(jf.need(doc, "inputs", ""), "inputs", 1, MAX_INPUTS)
    lo, hi = parse_input_range(jf.need(doc, "input_range", ""), n)
    raw_layers = jf.as_list(jf.need(doc, "layers", ""), "layers", 1, MAX_LAYERS)
    output = OutputMode(jf.as_choice(doc.get("output", "argmax"), "output", OUTPUTS))
    return name, lo, hi, raw_layers, output


def parse_layer_head(L, f: str) -> Activation:
    """Check a layer object's type and return its activation."""
    if not isinstance(L, dict):
        raise C64mlError("expected a JSON object", field=f)
    if jf.need(L, "type", f) != "dense":
        raise C64mlError("only \"dense\" layers are supported", field=f + ".type")
    return Activation(jf.as_choice(jf.need(L, "activation", f), f + ".activation", ACTIVATIONS))


def parse_model_doc(doc, fmt: str, other: str, other_hint: str, parse_layer, make):
    """What a model and a qmodel document share: the header, then each layer parsed by
    ``parse_layer(L, field, activation, n_in)`` (the widths chain), then
    ``make(name, lo, hi, layers, output)`` and its class names."""
    name, lo, hi, raw_layers, output = parse_header(doc, fmt, other, other_hint)
    layers = []
    n_in = len(lo)
    for k, L in enumerate(raw_layers):
        f = f"layers[{k}]"
        layers.append(parse_layer(L, f, parse_layer_head(L, f), n_in))
        n_in = layers[-1].n_out
    model = make(name, lo, hi, layers, output)
    if "classes" in doc:
        model.classes = parse_classes(doc["classes"], model.n_classes)
    return model


def _dense_from_json(L, f: str, act: Activation, n_in: int) -> Dense:
    w = parse_matrix(jf.need(L, "weights", f), f + ".weights", n_in, None, MAX_WEIGHT)
    b = jf.as_list(jf.need(L, "bias", f), f + ".bias", w.shape[1], w.shape[1])
    bias = np.array([jf.as_float(x, f"{f}.bias[{j}]", MAX_WEIGHT) for j, x in enumerate(b)])
    return Dense(w, bias, act)


def model_from_json(doc) -> Model:
    """Validate a parsed model document (errors carry the field, not the path)."""
    return parse_model_doc(doc, FORMAT, "c64ml-qmodel",
                           "this is a qmodel; a float model is needed here",
                           _dense_from_json, Model)


def load_model(path: str | os.PathLike) -> Model:
    """Load and validate a float model file; any problem is one C64mlError naming the file."""
    from c64ml.model.load import load_model_file

    return load_model_file(path, Model)
