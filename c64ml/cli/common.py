"""Helpers shared by the CLI's command modules (which never import one another)."""

from __future__ import annotations

import re
from pathlib import Path

from c64ml import jsonfile
from c64ml.errors import C64mlError
from c64ml.model.floatmodel import Model, model_from_json
from c64ml.model.qmodel import QModel, qmodel_from_json


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
