"""The qmodel: an integer model, its versioned JSON file (docs/qmodel-format.md) and its checks.

The arithmetic a qmodel stands for is defined in docs/semantics.md; this module
holds the data and enforces the page's limits (weights, ranges, the 24-bit
accumulator bound) so every executor may rely on them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from c64ml import jsonfile as jf
from c64ml.errors import C64mlError
from c64ml.fileio import write_atomic
from c64ml.model.floatmodel import (
    VERSION,
    Model,
    input_range_json,
    model_from_json,
    parse_model_doc,
)
from c64ml.model.shape import LayerShape, ModelShape
from c64ml.spec import (
    ACC_MAX,
    ACTIVATIONS,
    CLAMP,
    KIND_MAX,
    MAX_INPUTS,
    MAX_LAYERS,
    MAX_MULTIPLIER,
    MAX_SHIFT,
    MAX_UNITS,
    OUTPUT_KIND,
    OUTPUTS,
    REQUANTIZED,
    TABLE_RANGE,
    TABLED,
    TFL_MAX_MULTIPLIER,
    TFL_SHIFT_RANGE,
    Activation,
    OutputMode,
    Requant,
    ValueKind,
    input_kind,
    parse,
)

FORMAT = "c64ml-qmodel"


@dataclass
class QLayer(LayerShape):
    """An integer dense layer (docs/semantics.md §3–§5).

    ``multiplier``/``shift`` exist for requantized activations, ``table`` for sigmoid/tanh.
    A ``requant == "tflite"`` layer (§4.2) also has an output ``zero_point`` and a ``clamp``.
    ``scale`` is informational: the real value of one output step (not part of the semantics).
    """

    weights: np.ndarray  # int64, [input][unit], -128..127
    bias: np.ndarray  # int64, per unit
    activation: Activation
    multiplier: np.ndarray | None = None  # int64, per unit, 0..255 (tflite: 0..2^31-1)
    shift: np.ndarray | None = None  # int64, per unit, 0..24 (tflite: -31..30, left if > 0)
    table: np.ndarray | None = None  # int64, 256 entries
    scale: float | None = None
    requant: Requant = Requant.C64ML
    zero_point: int = 0  # tflite only: added after requantization
    clamp: tuple[int, int] | None = None  # tflite only: the output range (the fused activation)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.requant = parse(Requant, self.requant, "requant")

    @property
    def out_kind(self) -> ValueKind:
        return OUTPUT_KIND[self.activation]

    @property
    def out_range(self) -> tuple[int, int]:
        """The clamp applied after requantization (§5, or the layer's own for §4.2)."""
        return self.clamp if self.clamp is not None else CLAMP[self.activation]


@dataclass
class QModel(ModelShape):
    """A quantized model: the input mapping plus integer layers."""

    name: str
    input_lo: np.ndarray
    input_hi: np.ndarray
    layers: list[QLayer]
    output: OutputMode = OutputMode.ARGMAX
    classes: list[str] | None = None
    info: dict = field(default_factory=dict)
    float_model: Model | None = None  # the float model it was quantized from, if known
    input_quant: tuple[float, int] | None = None  # §1.2: TFLite's (scale, zero point)

    @property
    def out_bytes(self) -> int:
        """How many output bytes a program produces (docs/semantics.md §7)."""
        return self.n_out + (1 if self.output == OutputMode.ARGMAX else 0)


    def input_kinds(self) -> list[str]:
        acts = [layer.activation for layer in self.layers]
        return [input_kind(k, acts) for k in range(len(self.layers))]

    def input_bytes(self, x: np.ndarray) -> np.ndarray:
        """Map raw inputs (N × inputs) to input bytes exactly as docs/semantics.md §1 says."""
        x = np.asarray(x, dtype=np.float64)
        if not np.all(np.isfinite(x)):
            raise C64mlError("raw inputs must be finite numbers", field="input")
        if self.input_quant is not None:
            return tflite_input_bytes(x, *self.input_quant)
        # The steps of §1 in order, in place in one temporary (the same IEEE operations, so
        # the same bytes, without four copies of a large data set).
        v = x - self.input_lo
        v *= 255.0
        v /= self.input_hi - self.input_lo
        v += 0.5
        np.floor(v, out=v)
        np.clip(v, 0, 255, out=v)
        return v.astype(np.uint8)

    def data_bytes(self, x: np.ndarray, x_dtype: str = "float64") -> np.ndarray:
        """Input bytes for a data set's ``x`` given the type it had in its file: ``int8``
        values are an int8 input tensor's (a TFLite model's; the byte is q + 128, §1.2),
        ``uint8`` values are the input bytes themselves, anything else is raw features
        mapped by §1 (:meth:`input_bytes`)."""
        if x_dtype == "int8":
            if self.input_quant is None:
                raise C64mlError("holds int8 values, which are for a model with an int8 input "
                                 "tensor (an int8 .tflite model); this model maps raw values: "
                                 "give floats, or uint8 input bytes", field="x")
            a = np.asarray(x)
            if a.size and (a.min() < -128 or a.max() > 127):
                raise C64mlError("int8 values out of range", field="x")
            return (a.astype(np.int16) + 128).astype(np.uint8)
        if x_dtype == "uint8":
            if self.input_quant is not None:
                raise C64mlError("holds uint8 values, but this model's input tensor is int8: "
                                 "give int8 values, or raw floats to quantize", field="x")
            return self.checked_input_bytes(x)
        return self.input_bytes(x)

    def checked_input_bytes(self, q) -> np.ndarray:
        """``q`` as a contiguous (N, inputs) uint8 array, or one C64mlError saying what is wrong
        (shape, type, or values that are not whole numbers 0..255)."""
        a = np.asarray(q)
        if a.ndim != 2 or a.shape[1] != self.inputs:
            raise C64mlError(f"expected input bytes of shape (N, {self.inputs}), got {a.shape}",
                             field="input")
        if a.dtype == np.uint8:
            return np.ascontiguousarray(a)
        if a.dtype.kind not in "biuf":
            raise C64mlError(f"expected integers 0..255, got dtype {a.dtype}", field="input")
        if a.size and (not np.all(np.isfinite(a)) or a.min() < 0 or a.max() > 255
                       or not np.all(a == np.floor(a))):
            raise C64mlError("expected integers 0..255", field="input")
        return np.ascontiguousarray(a, dtype=np.uint8)

    def validate(self) -> None:
        """Check every limit of docs/semantics.md; raise C64mlError naming the field."""
        validate_qmodel(self)

    # -- files -------------------------------------------------------------

    def to_json(self) -> dict:
        doc = {"format": FORMAT, "version": VERSION, "name": self.name,
               "inputs": self.inputs, "input_range": input_range_json(self.input_lo, self.input_hi)}
        if self.classes is not None:
            doc["classes"] = list(self.classes)
        layers = []
        for layer in self.layers:
            d = {"type": "dense", "activation": layer.activation,
                 "weights": layer.weights.tolist(), "bias": layer.bias.tolist()}
            if layer.multiplier is not None:
                d["multiplier"] = layer.multiplier.tolist()
                d["shift"] = layer.shift.tolist()
            if layer.table is not None:
                d["table"] = layer.table.tolist()
            if layer.scale is not None:
                d["scale"] = layer.scale
            if layer.requant == Requant.TFLITE:
                d["requant"] = layer.requant
                d["zero_point"] = layer.zero_point
                d["clamp"] = list(layer.out_range)
            layers.append(d)
        doc["layers"] = layers
        doc["output"] = self.output
        if self.input_quant is not None:
            doc["input_quant"] = {"scale": self.input_quant[0],
                                  "zero_point": self.input_quant[1]}
        if self.info:
            doc["info"] = self.info
        if self.float_model is not None:
            doc["float_model"] = self.float_model.to_json()
        return doc

    def save(self, path: str | os.PathLike) -> None:
        write_atomic(path, jf.dump_json(self.to_json()))


def acc_bounds(model: QModel) -> list[np.ndarray]:
    """Per layer, per unit: |bias| + Σ|w|·xmax, the bound that must stay ≤ 2^31 − 1 (§3)."""
    out = []
    for layer, kind in zip(model.layers, model.input_kinds()):
        out.append(np.abs(layer.bias) + np.abs(layer.weights).sum(axis=0) * KIND_MAX[kind])
    return out


def tflite_input_bytes(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """§1.2: q = clamp(round(x / scale) + zp, −128, 127) in binary32, rounding halves away
    from zero as TFLite's QUANTIZE does; the input byte is q + 128."""
    v = np.asarray(x, dtype=np.float32) / np.float32(scale)
    r = np.sign(v) * np.floor(np.abs(v) + np.float32(0.5))  # round half away, exact in f32
    q = np.clip(r.astype(np.float64) + zero_point, -128, 127)
    return (q + 128).astype(np.uint8)


def _check_requant(layer: QLayer, f: str) -> None:
    """The multiplier, shift, zero point and clamp of one requantized layer (§4)."""
    tfl = layer.requant == Requant.TFLITE
    if tfl and layer.activation != Activation.LINEAR:
        raise C64mlError("a tflite layer's activation is linear (its clamp is the fused "
                         "activation)", field=f + ".activation")
    limits = (((0, TFL_MAX_MULTIPLIER), TFL_SHIFT_RANGE) if tfl
              else ((0, MAX_MULTIPLIER), (0, MAX_SHIFT)))
    for name, (lo, hi) in zip(("multiplier", "shift"), limits):
        v = getattr(layer, name)
        if v.shape != (layer.n_out,):
            raise C64mlError(f"expected {layer.n_out} entries", field=f"{f}.{name}")
        _check_range(v, lo, hi, f"{f}.{name}")
    if not tfl:
        if layer.zero_point != 0 or layer.clamp is not None:
            raise C64mlError("only tflite layers have a zero point and a clamp",
                             field=f + ".requant")
        return
    if not -128 <= layer.zero_point <= 127:
        raise C64mlError(f"value {layer.zero_point} is out of range -128..127",
                         field=f + ".zero_point")
    lo, hi = layer.out_range
    if not -128 <= lo <= hi <= 127:
        raise C64mlError("expected -128 <= lo <= hi <= 127", field=f + ".clamp")


def validate_qmodel(model: QModel) -> None:
    """Enforce the value ranges and the accumulator bound of docs/semantics.md."""
    if not 1 <= model.inputs <= MAX_INPUTS:
        raise C64mlError(f"expected 1..{MAX_INPUTS}", field="inputs")
    if not 1 <= len(model.layers) <= MAX_LAYERS:
        raise C64mlError(f"expected 1..{MAX_LAYERS} layers", field="layers")
    if (model.input_lo.shape != (model.inputs,) or model.input_hi.shape != (model.inputs,)
            or not np.all(np.isfinite(model.input_hi - model.input_lo))
            or not np.all(model.input_hi > model.input_lo)):
        raise C64mlError("needs finite lo < hi for every input", field="input_range")
    if model.input_quant is not None:
        scale, zp = model.input_quant
        if not (np.isfinite(scale) and scale > 0 and float(np.float32(scale)) == scale):
            raise C64mlError("expected a positive binary32 scale", field="input_quant.scale")
        if not -128 <= zp <= 127:
            raise C64mlError(f"value {zp} is out of range -128..127",
                             field="input_quant.zero_point")
    if model.output not in OUTPUTS:
        raise C64mlError("expected argmax or scores", field="output")
    n_in = model.inputs
    for k, layer in enumerate(model.layers):
        f = f"layers[{k}]"
        if layer.activation not in ACTIVATIONS:
            raise C64mlError("unknown activation", field=f + ".activation")
        if layer.weights.ndim != 2 or layer.weights.shape[0] != n_in:
            raise C64mlError(f"expected {n_in} rows", field=f + ".weights")
        if not 1 <= layer.n_out <= MAX_UNITS:
            raise C64mlError(f"expected 1..{MAX_UNITS} units", field=f + ".weights")
        _check_range(layer.weights, -128, 127, f + ".weights")
        if layer.bias.shape != (layer.n_out,):
            raise C64mlError(f"expected {layer.n_out} entries", field=f + ".bias")
        needs_rq = layer.activation in REQUANTIZED
        for name in ("multiplier", "shift"):
            if needs_rq != (getattr(layer, name) is not None):
                raise C64mlError("required for this activation" if needs_rq
                                 else "not used by this activation", field=f"{f}.{name}")
        if needs_rq:
            _check_requant(layer, f)
        elif layer.requant != Requant.C64ML:
            raise C64mlError("step and sign layers do not requantize", field=f + ".requant")
        tfl = layer.requant == Requant.TFLITE  # may carry a table: a LOGISTIC after it
        if not tfl and (layer.activation in TABLED) != (layer.table is not None):
            raise C64mlError("required for sigmoid and tanh" if layer.activation in TABLED
                             else "only sigmoid, tanh and tflite layers have a table",
                             field=f + ".table")
        if layer.table is not None:
            if layer.table.shape != (256,):
                raise C64mlError("expected 256 entries", field=f + ".table")
            _check_range(layer.table, *(TABLE_RANGE[Activation.TANH] if tfl
                                        else TABLE_RANGE[layer.activation]), f + ".table")
        n_in = layer.n_out
    for k, (layer, bound) in enumerate(zip(model.layers, acc_bounds(model))):
        left = (np.left_shift(1, np.maximum(layer.shift, 0))
                if layer.requant == Requant.TFLITE else np.ones_like(bound))
        j = int(np.argmax(bound * left))
        if bound[j] * left[j] > ACC_MAX:
            what = ("the 32-bit accumulator" if left[j] == 1 else
                    f"the 32-bit accumulator after TFLite's left shift by {int(layer.shift[j])}")
            raise C64mlError(
                f"unit {j} can reach |acc| = {int(bound[j])}, beyond {what} ({ACC_MAX}); "
                f"shrink its bias or weights", field=f"layers[{k}]")
    if model.classes is not None and len(model.classes) != model.n_classes:
        raise C64mlError(f"expected {model.n_classes} class names", field="classes")


def _check_range(a: np.ndarray, lo: int, hi: int, field: str) -> None:
    if a.size and (a.min() < lo or a.max() > hi):
        bad = a[(a < lo) | (a > hi)].flat[0]
        raise C64mlError(f"value {int(bad)} is out of range {lo}..{hi}", field=field)


def _int_vector(v, field: str, n: int, lo: int, hi: int) -> np.ndarray:
    jf.as_list(v, field, n, n)
    return np.array([jf.as_int(x, f"{field}[{j}]", lo, hi) for j, x in enumerate(v)], dtype=np.int64)


def _qlayer_from_json(L, f: str, act: Activation, n_in: int) -> QLayer:
    rows = jf.as_list(jf.need(L, "weights", f), f + ".weights", n_in, n_in)
    n_out = len(jf.as_list(rows[0], f + ".weights[0]", 1, MAX_UNITS))
    w = np.array([_int_vector(r, f"{f}.weights[{i}]", n_out, -128, 127)
                  for i, r in enumerate(rows)], dtype=np.int64)
    b = _int_vector(jf.need(L, "bias", f), f + ".bias", n_out, -ACC_MAX, ACC_MAX)
    requant = Requant(jf.as_choice(L.get("requant", "c64ml"), f + ".requant", tuple(Requant)))
    layer = QLayer(w, b, act, requant=requant)
    tfl = requant == Requant.TFLITE
    if "multiplier" in L or act in REQUANTIZED:
        layer.multiplier = _int_vector(jf.need(L, "multiplier", f), f + ".multiplier", n_out,
                                       0, TFL_MAX_MULTIPLIER if tfl else MAX_MULTIPLIER)
    if "shift" in L or act in REQUANTIZED:
        layer.shift = _int_vector(jf.need(L, "shift", f), f + ".shift", n_out,
                                  *(TFL_SHIFT_RANGE if tfl else (0, MAX_SHIFT)))
    if "zero_point" in L:
        layer.zero_point = jf.as_int(L["zero_point"], f + ".zero_point", -128, 127)
    if "clamp" in L:
        c = _int_vector(L["clamp"], f + ".clamp", 2, -128, 127)
        layer.clamp = (int(c[0]), int(c[1]))
    if "table" in L or act in TABLED:
        layer.table = _int_vector(jf.need(L, "table", f), f + ".table", 256, -128, 255)
    if "scale" in L:
        layer.scale = jf.as_float(L["scale"], f + ".scale")
    return layer


def qmodel_from_json(doc) -> QModel:
    """Validate a parsed qmodel document (errors carry the field, not the path)."""
    model = parse_model_doc(doc, FORMAT, "c64ml-model",
                            "this is a float model; quantize it first (c64ml quantize)",
                            _qlayer_from_json, QModel)
    if isinstance(doc.get("info"), dict):
        model.info = doc["info"]
    if "input_quant" in doc:
        iq = doc["input_quant"]
        if not isinstance(iq, dict):
            raise C64mlError("expected an object with scale and zero_point", field="input_quant")
        model.input_quant = (jf.as_float(jf.need(iq, "scale", "input_quant"),
                                         "input_quant.scale", 1e15),
                             jf.as_int(jf.need(iq, "zero_point", "input_quant"),
                                       "input_quant.zero_point", -128, 127))
    if "float_model" in doc:
        try:
            model.float_model = model_from_json(doc["float_model"])
        except C64mlError as e:
            e.field = "float_model." + (e.field or "")
            raise e.at() from None
    validate_qmodel(model)
    return model


def load_qmodel(path: str | os.PathLike) -> QModel:
    """Load and validate a qmodel file; any problem is one C64mlError naming the file."""
    from c64ml.model.load import load_model_file

    return load_model_file(path, QModel)
