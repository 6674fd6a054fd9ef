"""What the float importers of foreign files (``.tflite``, ``.onnx``) share: the chain of
dense layers they find, and the input range a ``Model`` needs but those files lack.

A float ``.tflite`` or ``.onnx`` file says nothing of the range of its inputs, which the
quantizer needs (docs/import.md). It comes either from calibration data (each feature's
minimum and maximum over the samples) or from a range the caller gives; the choice is
kept in ``Model.extra["input_range_source"]`` so commands can report it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from c64ml.errors import C64mlError
from c64ml.model.floatmodel import Dense, Model, model_from_json
from c64ml.spec import Activation

FROM_CALIBRATION = "calibration data per-feature min/max"
FROM_GIVEN = "given input range"
#: ``Model.extra["input_range_source"]`` of a model loaded only to be described.
NO_RANGE = "none (not needed to describe the model)"


@dataclass
class DenseChain:
    """Dense layers found in a foreign file, before an input range is chosen.

    ``dropped`` names the operators left out because they do not change the class (a
    trailing softmax); ``operators`` describes the file's operators for ``c64ml info``."""

    fmt: str
    name: str
    layers: list[Dense]
    dropped: list[str] = field(default_factory=list)
    operators: list[str] = field(default_factory=list)
    classes: list[str] | None = None

    @property
    def inputs(self) -> int:
        return self.layers[0].n_in

    def model(self, input_range=None, calibration=None, need_range: bool = True) -> Model:
        """The float Model, its input range from ``input_range`` (``[lo, hi]`` for every
        feature or one pair per feature) if given, else from ``calibration`` (N × inputs
        raw samples: each feature's min and max). With neither, ``need_range=False`` gives
        a model fit only to be described (range [0, 1], source :data:`NO_RANGE`)."""
        lo, hi, source = input_range_for(self.inputs, input_range, calibration, need_range)
        model = Model(self.name, lo, hi, list(self.layers), classes=self.classes)
        try:  # the same checks as a model file gets: limits, finite numbers, names
            model = model_from_json(model.to_json())
        except C64mlError as e:
            raise C64mlError(f"cannot be imported: {e.line()}") from None
        model.extra = {"imported_from": self.fmt, "input_range_source": source,
                       "operators": list(self.operators)}
        if self.dropped:
            model.extra["dropped"] = ", ".join(self.dropped)
        return model


def name_from_path(path, default: str) -> str:
    """A model name from a file's name (letters, digits, ``_.-``; at most 32)."""
    stem = Path(os.fspath(path)).stem if path is not None else ""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", stem)[:32] or default


def input_range_for(n: int, input_range=None, calibration=None,
                    need_range: bool = True) -> tuple[np.ndarray, np.ndarray, str]:
    """(lo, hi, source) for ``n`` features; see :meth:`DenseChain.model`."""
    if input_range is not None:
        r = np.asarray(input_range, dtype=np.float64)
        if r.shape == (2,):
            r = np.tile(r, (n, 1))
        if r.shape != (n, 2) or not np.all(np.isfinite(r)) or not np.all(r[:, 1] > r[:, 0]):
            raise C64mlError(f"the input range must be LO,HI with LO < HI, or {n} such pairs")
        return r[:, 0].copy(), r[:, 1].copy(), FROM_GIVEN
    if calibration is not None:
        x = np.asarray(calibration, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != n:
            raise C64mlError(f"the model has {n} inputs but the calibration data has "
                             f"{x.shape[1] if x.ndim == 2 else x.size} features")
        if len(x) == 0:
            raise C64mlError("the calibration data has no samples to take the input range from")
        if not np.all(np.isfinite(x)):
            raise C64mlError("the calibration data has a value that is not a finite number")
        lo, hi = x.min(axis=0), x.max(axis=0)
        same = hi <= lo
        hi[same] = lo[same] + 1.0  # a constant feature: any non-empty range will do
        return lo, hi, FROM_CALIBRATION
    if not need_range:
        return np.zeros(n), np.ones(n), NO_RANGE
    raise C64mlError("has no input range (a float .tflite or .onnx model does not say it): "
                     "give calibration data or an input range")


def combine(prev: Dense | None, act: Activation, what: str) -> Dense:
    """Put activation ``act`` on the layer before it (which must have none yet)."""
    if prev is None:
        raise C64mlError(f"{what} comes before any dense layer; c64ml applies an activation "
                         "only after a dense layer")
    if prev.activation != Activation.LINEAR:
        raise C64mlError(f"{what} follows a layer that already has the activation "
                         f"{prev.activation}; two activations in a row are not supported")
    return Dense(prev.weights, prev.bias, act)


def with_input_range(model: Model, input_range=None, calibration=None) -> Model:
    """``model`` (imported without a range, source :data:`NO_RANGE`) with its input range
    from ``input_range`` or ``calibration`` (see :meth:`DenseChain.model`). A model that
    has its own range (a c64ml model file) is returned as it is when neither is given;
    an ``input_range`` for it is refused, since its file already says its range."""
    source = model.extra.get("input_range_source")
    if source is None:
        if input_range is not None:
            raise C64mlError("an input range is only for .onnx and .tflite models; this "
                             "model file has its own input_range")
        return model
    if input_range is None and calibration is None:
        if source == NO_RANGE:
            input_range_for(model.inputs, None, None, True)  # the one-line refusal
        return model
    lo, hi, src = input_range_for(model.inputs, input_range, calibration)
    out = Model(model.name, lo, hi, model.layers, model.output, model.classes,
                {**model.extra, "input_range_source": src})
    return out
