"""Helpers shared by the CLI's command modules (which never import one another)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import click

from c64ml import jsonfile
from c64ml.errors import C64mlError
from c64ml.fileio import write_atomic
from c64ml.model.floatmodel import Model, model_from_json
from c64ml.model.qmodel import QModel, qmodel_from_json

T = TypeVar("T")


@contextmanager
def progress_bar(items: Iterable[T], label: str, length: int | None = None) -> Iterator[Iterable[T]]:
    """The CLI's progress reporter (``c64ml.progress``): a click progress bar on an
    interactive stderr, nothing when stderr is not a TTY."""
    if not sys.stderr.isatty():
        yield items
        return
    with click.progressbar(items, length=length, label=label, file=sys.stderr,
                           show_eta=True, show_percent=True) as bar:
        yield bar


def load_model_or_qmodel(path: str) -> Model | QModel:
    """Load a file that may hold either a float model or a qmodel (by its ``format``)."""
    doc = jsonfile.load_json(path, "model file")
    try:
        if isinstance(doc, dict) and doc.get("format") == "c64ml-qmodel":
            return qmodel_from_json(doc)
        return model_from_json(doc)
    except C64mlError as e:
        raise e.at(path) from None


def disk_file_name(path: str) -> str:
    """The 1541 name for a file written to ``path``: its stem, upper case, at most 16 characters."""
    name = re.sub(r"[^A-Z0-9 .\-+!#%&'()/;<>@\[\]^_]", "-", Path(path).stem.upper())[:16]
    return name.strip() or "PROGRAM"


def compile_c(model: QModel, output: str, as_json: bool, ignored: dict[str, object]) -> None:
    """``compile --format c``: write ``output`` (the .c) and the .h beside it, print what was
    written; refuse options that do not apply."""
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
    for path, text in paths.items():
        write_atomic(path, text)
    if as_json:
        click.echo(json.dumps({"model": model.name, "format": "c", "files": sorted(paths),
                               "function": "c64ml_infer", "inputs": model.inputs,
                               "output_bytes": model.out_bytes,
                               "accumulators": acc_types(model)}))
        return
    click.echo(f"wrote {', '.join(sorted(paths))}")
    click.echo(f"{model.name}: unsigned char c64ml_infer(const unsigned char *in, "
               f"unsigned char *out); {model.inputs} input bytes, {model.out_bytes} output bytes")
