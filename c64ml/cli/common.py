"""What the command modules share: the model argument and its loading."""

from __future__ import annotations

import click
import numpy as np

from c64ml.errors import C64mlError
from c64ml.model.dataset import load_dataset
from c64ml.model.load import load_model_file
from c64ml.model.qmodel import QModel

#: A file argument; existence, type, permissions and size are checked by the readers and
#: ``Outputs`` (one line naming the file), not by click.
path_arg = click.Path(readable=False)


def parse_address(text: str | None, option: str) -> int | None:
    """An address option (``$C000``, ``0xC000`` or ``49152``) as an int 0..$FFFF."""
    if text is None:
        return None
    t = text.strip().lower()
    try:
        value = int(t[1:], 16) if t.startswith("$") else int(t, 0)
    except ValueError:
        value = -1
    if not 0 <= value <= 0xFFFF or t[1:2] in ("-", "+") or t[:1] in ("-", "+"):
        raise C64mlError(f"{text!r} is not an address $0000-$FFFF (like $C000 or 49152)",
                         field=option)
    return value


def parse_input_range(text: str | None) -> list[float] | None:
    """``--input-range LO,HI`` as ``[lo, hi]`` (finite, LO < HI)."""
    if text is None:
        return None
    parts = text.split(",")
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        lo = hi = float("nan")
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise C64mlError(f"{text!r} is not LO,HI with LO < HI (like 0,1 or -1.5,2)",
                         field="--input-range")
    return [lo, hi]


def imported_note(m) -> dict:
    """For a model imported from .onnx or .tflite: where its input range came from and
    what was dropped (empty for a c64ml model file)."""
    extra = getattr(m, "extra", None) or {}
    if "imported_from" not in extra:
        return {}
    note = {"imported_from": extra["imported_from"],
            "input_range_source": extra["input_range_source"]}
    if "dropped" in extra:
        note["dropped"] = extra["dropped"]
    return note


def imported_lines(note: dict, calib: str | None = None,
                   input_range: list[float] | None = None) -> list[str]:
    """``imported_note`` as lines for the terminal."""
    if not note:
        return []
    if input_range is not None:
        src = f"--input-range {input_range[0]:g},{input_range[1]:g}"
    else:
        src = note["input_range_source"] + (f" ({calib})" if calib else "")
    lines = [f"input range: {src}"]
    if "dropped" in note:
        lines.append(f"dropped: {note['dropped']} (the class is the same)")
    return lines


def float_model_arg(model: str, calib: str | None, input_range: list[float] | None = None):
    """A float or qmodel file; a model imported from .onnx or .tflite gets its input range
    from ``input_range`` or else the ``calib`` data's per-feature min and max. Returns
    (model, calibration data set or None)."""
    from c64ml.model.imported import with_input_range

    m = load_model_file(model, need_range=False)
    data = None
    if calib is not None and not isinstance(m, QModel):
        data = load_dataset(calib, m.inputs)
    if not isinstance(m, QModel):
        try:
            m = with_input_range(m, input_range, None if data is None else data.x)
        except C64mlError as e:
            raise e.at(model) from None
    elif input_range is not None:
        raise C64mlError("is a qmodel; --input-range is only for .onnx and .tflite models",
                         model)
    return m, data


def input_bytes(qm: QModel, ds, path: str) -> np.ndarray:
    """The input bytes of data set ``ds`` (read from ``path``) for ``qm``
    (:meth:`QModel.data_bytes`); a kind of data the model cannot take names the file."""
    try:
        return qm.data_bytes(ds.x, ds.x_dtype)
    except C64mlError as e:
        raise e.at(path) from None


def qmodel_data(path: str, qm: QModel, limit: int | None = None):
    """The data set at ``path`` for ``qm`` (its first ``limit`` samples) and its input bytes."""
    ds = load_dataset(path, qm.inputs).head(limit)
    return ds, input_bytes(qm, ds, path)


def dropped_operators(qm: QModel) -> list[str]:
    """Operators an importer left out of ``qm`` (a trailing SOFTMAX, say), for ``--json``."""
    return [d["operator"] for d in qm.info.get("dropped", [])]


def note_dropped(qm: QModel, path: str) -> None:
    """One line on stderr for each operator the importer dropped, saying what changes."""
    for d in qm.info.get("dropped", []):
        click.echo(f"c64ml: note: {path}: {d['operator']} dropped: {d['effect']}", err=True)


def qmodel_arg(model: str, calib: str | None) -> QModel:
    """A qmodel file as is (with a note on stderr for what an importer dropped), or a float
    model quantized with ``--calib``."""
    from c64ml.quantize import quantize

    if calib is None:
        m = load_model_file(model, need_range=False)
        if isinstance(m, QModel):
            note_dropped(m, model)
            return m
        raise C64mlError("is a float model: give --calib DATA to quantize it, or pass a qmodel",
                         model)
    m, data = float_model_arg(model, calib)
    if isinstance(m, QModel):
        return m
    return quantize(m, data.x)
