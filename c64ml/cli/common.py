"""What the command modules share: the model argument and its loading."""

from __future__ import annotations

import click

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
