"""Accuracy of a float model and its qmodel on a data set (float maths vs. the LLVM JIT)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from c64ml.model.dataset import Dataset
from c64ml.model.floatmodel import Model
from c64ml.model.qmodel import QModel
from c64ml.progress import progress

BATCH = 8192


@dataclass
class Evaluation:
    samples: int
    float_accuracy: float | None
    fixed_accuracy: float | None
    labelled: bool

    def to_json(self) -> dict:
        return {"samples": self.samples,
                "accuracy": {"float": self.float_accuracy, "fixed": self.fixed_accuracy}}


def fixed_predictions(qmodel: QModel, x: np.ndarray, x_dtype: str = "float64") -> np.ndarray:
    """Class predictions of the qmodel via the LLVM JIT, in batches with a progress bar
    (``x_dtype`` as :meth:`QModel.data_bytes` takes it)."""
    from c64ml.exec.jit import compile_qmodel

    jit = compile_qmodel(qmodel)
    starts = range(0, len(x), BATCH)
    parts = [jit.predict(qmodel.data_bytes(x[s:s + BATCH], x_dtype))
             for s in progress(starts, "running the JIT", len(starts))]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def evaluate(model: Model | None, qmodel: QModel | None, data: Dataset) -> Evaluation:
    """Accuracy of each given model on ``data`` (None where a model or the labels are absent).

    Works through the samples in batches of ``BATCH`` (with a progress bar), so memory
    beyond the data set itself stays small however many samples there are."""
    labelled = data.y is not None
    if data.x_dtype in ("int8", "uint8"):  # input tensor values, not raw features
        model = None
    if not labelled or (model is None and qmodel is None):
        return Evaluation(len(data), None, None, labelled)
    jit = None
    if qmodel is not None:
        from c64ml.exec.jit import compile_qmodel

        jit = compile_qmodel(qmodel)
    right_float = right_fixed = 0
    starts = range(0, len(data), BATCH)
    for s in progress(starts, "evaluating", len(starts)):
        x, y = data.x[s:s + BATCH], data.y[s:s + BATCH]
        if model is not None:
            right_float += int(np.count_nonzero(model.predict(x) == y))
        if jit is not None:
            right_fixed += int(np.count_nonzero(jit.predict(qmodel.data_bytes(x, data.x_dtype))
                                                == y))
    n = len(data)
    return Evaluation(n, None if model is None else right_float / n,
                      None if jit is None else right_fixed / n, labelled)
