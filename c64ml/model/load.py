"""The one model loader every command uses: a float model or a qmodel, told apart by the
file's ``format`` field (docs/model-format.md)."""

from __future__ import annotations

import os

from c64ml import jsonfile
from c64ml.errors import C64mlError
from c64ml.model.floatmodel import FORMAT as MODEL_FORMAT
from c64ml.model.floatmodel import Model, model_from_json
from c64ml.model.qmodel import FORMAT as QMODEL_FORMAT
from c64ml.model.qmodel import QModel, qmodel_from_json


def load_model_file(path: str | os.PathLike, want: type | None = None) -> Model | QModel:
    """Load and validate a model file of either kind; any problem is one C64mlError naming
    the file. ``want`` (:class:`Model` or :class:`QModel`) refuses the other kind."""
    what = {Model: "model file", QModel: "qmodel file"}.get(want, "model file")
    doc = jsonfile.load_json(path, what)
    try:
        if want is Model:
            return model_from_json(doc)
        if want is QModel or (isinstance(doc, dict) and doc.get("format") == QMODEL_FORMAT):
            return qmodel_from_json(doc)
        return model_from_json(doc)
    except C64mlError as e:
        raise e.at(path) from None


__all__ = ["MODEL_FORMAT", "QMODEL_FORMAT", "load_model_file"]
