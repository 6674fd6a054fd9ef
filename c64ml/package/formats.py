"""Output kinds by file-name extension: the one rule ``c64ml compile`` and ``c64ml asm`` share.

``-o NAME.EXT`` picks the kind from ``EXT``; a name without an extension (``/dev/null``,
``/dev/stdout``, ``prog``) is a PRG; any other extension is refused, naming the ones the
command writes, unless the kind is given explicitly (``compile --format``).
"""

from __future__ import annotations

import os
from pathlib import Path

from c64ml.errors import C64mlError

#: Extension -> output kind.
EXTENSIONS = {".prg": "prg", ".bin": "bin", ".d64": "d64", ".s": "asm", ".asm": "asm",
              ".a": "asm", ".c": "c"}
#: Output kind -> what it is, for messages.
KINDS = {"prg": "a PRG", "bin": "raw bytes", "d64": "a disk image", "asm": "assembly source",
         "c": "C source"}
#: The kind of a name with no extension.
DEFAULT_KIND = "prg"


def output_kind(path: str | os.PathLike, allowed: tuple[str, ...],
                given: str | None = None, option: str | None = None) -> str:
    """The kind of output to write to ``path``: ``given`` if not None, else by extension
    (``DEFAULT_KIND`` without one). One C64mlError naming ``path`` if the extension is
    unknown or names a kind not in ``allowed``; ``option`` (e.g. ``--format``) is offered
    as the way to write another extension."""
    if given is not None:
        if given not in allowed:
            raise C64mlError(f"cannot write {KINDS.get(given, given)} here", path)
        return given
    suffix = Path(path).suffix.lower()
    kind = EXTENSIONS.get(suffix) if suffix else DEFAULT_KIND
    if kind in allowed:
        return kind
    exts = [e for e, k in EXTENSIONS.items() if k in allowed]
    choices = ", ".join(exts[:-1]) + " or " + exts[-1] if len(exts) > 1 else exts[0]
    what = (f"unknown output type {suffix!r}" if kind is None
            else f"{suffix} ({KINDS[kind]}) is not an output of this command")
    raise C64mlError(f"{what}; use {choices}" + (f", or give {option}" if option else ""), path)
