"""The one model loader every command uses: a float model or a qmodel, told apart by the
file's ``format`` field (docs/model-format.md); an ``.onnx`` or ``.tflite`` file by its
extension (docs/import.md)."""

from __future__ import annotations

import os
from pathlib import Path

from c64ml import jsonfile
from c64ml.errors import C64mlError
from c64ml.model.floatmodel import FORMAT as MODEL_FORMAT
from c64ml.model.floatmodel import Model, model_from_json
from c64ml.model.qmodel import FORMAT as QMODEL_FORMAT
from c64ml.model.qmodel import QModel, qmodel_from_json

#: Extensions of the foreign model files c64ml imports.
IMPORTED = (".onnx", ".tflite")


def load_model_file(path: str | os.PathLike, want: type | None = None, *, input_range=None,
                    calibration=None, need_range: bool = True) -> Model | QModel:
    """Load and validate a model file of either kind; any problem is one C64mlError naming
    the file. ``want`` (:class:`Model` or :class:`QModel`) refuses the other kind.

    An ``.onnx`` or float ``.tflite`` file becomes a float Model whose input range (which
    such files lack) is ``input_range`` (``[lo, hi]``, or one pair per input) if given,
    else each feature's min and max over ``calibration`` (N × inputs raw samples); with
    neither it is refused, unless ``need_range=False`` (a model only to be described, or
    to be given its range later by :func:`c64ml.model.imported.with_input_range`). An int8
    ``.tflite`` file becomes a QModel."""
    ext = Path(os.fspath(path)).suffix.lower()
    if ext in IMPORTED:
        return _load_imported(path, ext, want, input_range, calibration, need_range)
    if input_range is not None:
        raise C64mlError("an input range is only for .onnx and .tflite models; this model "
                         "file has its own input_range", path)
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


def _load_imported(path, ext: str, want, input_range, calibration, need_range: bool):
    if ext == ".onnx":
        from c64ml.model.onnx_import import model_from_onnx

        graph = None
    else:
        from c64ml.model.tflite_file import read_tflite

        graph = read_tflite(path)
        if not graph.is_float():
            if want is Model:
                raise C64mlError("is an int8 .tflite model, already quantized; a float model "
                                 "is needed here", path)
            return _int8_qmodel(graph, path)
    if want is QModel:
        raise C64mlError(f"is a float {ext} model; a qmodel is needed here (quantize it, or "
                         "give --calib where the command takes it)", path)
    if graph is None:
        return model_from_onnx(path, input_range, calibration, need_range=need_range)
    from c64ml.model.imported import name_from_path
    from c64ml.model.tflite_import import model_from_tflite

    try:
        return model_from_tflite(graph, input_range, calibration,
                                 name=name_from_path(path, "tflite"), need_range=need_range)
    except C64mlError as e:
        raise e.at(path) from None


def _int8_qmodel(graph, path) -> QModel:
    """The seam to the int8 importer (c64ml/model/tflite_int8.py, written separately)."""
    try:
        from c64ml.model.tflite_int8 import qmodel_from_graph
    except ModuleNotFoundError as e:
        if e.name != "c64ml.model.tflite_int8":
            raise
        raise C64mlError("int8 .tflite import is not available yet", path) from None
    return qmodel_from_graph(graph, path)


__all__ = ["IMPORTED", "MODEL_FORMAT", "QMODEL_FORMAT", "load_model_file"]
