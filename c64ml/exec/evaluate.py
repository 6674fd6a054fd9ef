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


def fixed_predictions(qmodel: QModel, x: np.ndarray) -> np.ndarray:
    """Class predictions of the qmodel via the LLVM JIT, in batches with a progress bar."""
    from c64ml.exec.jit import compile_qmodel

    jit = compile_qmodel(qmodel)
    q = qmodel.input_bytes(x)
    starts = range(0, len(q), BATCH)
    parts = [jit.predict(q[s:s + BATCH]) for s in progress(starts, "running the JIT",
                                                            len(starts))]
    return np.concatenate(parts)


def evaluate(model: Model | None, qmodel: QModel | None, data: Dataset) -> Evaluation:
    """Accuracy of each given model on ``data`` (None where a model or the labels are absent)."""
    labelled = data.y is not None
    fa = qa = None
    if labelled and model is not None:
        fa = float(np.mean(model.predict(data.x) == data.y))
    if labelled and qmodel is not None:
        qa = float(np.mean(fixed_predictions(qmodel, data.x) == data.y))
    return Evaluation(len(data), fa, qa, labelled)
