"""What the command modules share: the model argument and its loading."""

from __future__ import annotations

import click

from c64ml.errors import C64mlError
from c64ml.model.dataset import load_dataset
from c64ml.model.load import load_model_file
from c64ml.model.qmodel import QModel

#: A file argument; existence, type and size are checked by the readers, for one-line errors.
path_arg = click.Path(dir_okay=False)


def qmodel_arg(model: str, calib: str | None) -> QModel:
    """A qmodel file as is, or a float model quantized with ``--calib``."""
    from c64ml.quantize import quantize

    m = load_model_file(model)
    if isinstance(m, QModel):
        return m
    if calib is None:
        raise C64mlError("is a float model: give --calib DATA to quantize it, or pass a qmodel",
                         model)
    return quantize(m, load_dataset(calib, m.inputs).x)
