"""``c64ml compile --format c``: write the portable C (c64ml/backend_c/csource.py) and say so."""

from __future__ import annotations

import json
from pathlib import Path

import click

from c64ml.errors import C64mlError
from c64ml.fileio import Outputs
from c64ml.model.qmodel import QModel


def compile_c(model: QModel, output: str, as_json: bool, ignored: dict[str, object],
              outs: Outputs | None = None) -> None:
    """``compile --format c``: write ``output`` (the .c) and the .h beside it through ``outs``
    (all or nothing; a new ``Outputs`` if None), print what was written; refuse options that
    do not apply."""
    from c64ml.backend_c.csource import acc_types, c_source

    for option, value in ignored.items():
        if value:
            raise C64mlError(f"{option} does not apply to --format c")
    out = Path(output)
    stem = out.stem if out.suffix.lower() == ".c" else out.name
    try:
        files = c_source(model, name=stem)
    except C64mlError as e:
        raise e.at(output) from None
    paths = {str(out.with_name(name)): text for name, text in files.items()}
    outs = Outputs() if outs is None else outs
    for path, text in paths.items():
        outs.add(path, text)
    outs.commit()
    if as_json:
        click.echo(json.dumps({"model": model.name, "format": "c", "files": sorted(paths),
                               "function": "c64ml_infer", "inputs": model.inputs,
                               "output_bytes": model.out_bytes,
                               "accumulators": acc_types(model)}))
        return
    click.echo(f"wrote {', '.join(sorted(paths))}")
    click.echo(f"{model.name}: unsigned char c64ml_infer(const unsigned char *in, "
               f"unsigned char *out); {model.inputs} input bytes, {model.out_bytes} output bytes")
