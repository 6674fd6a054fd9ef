"""Access to the hand-written 6502 routines in ``runtime6502/`` (shipped as package data)."""

from __future__ import annotations

from importlib import resources

#: The runtime files an inference program needs, in the order they are assembled.
INFERENCE_FILES = ("activate.s", "requant.s", "mul8.s", "argmax.s", "dense.s", "layer.s")


def runtime_source(name: str) -> str:
    """The text of one runtime file, e.g. ``"dense.s"``."""
    return resources.files("runtime6502").joinpath(name).read_text(encoding="utf-8")


def inference_runtime() -> str:
    """All runtime files an inference program needs, concatenated."""
    return "\n".join(f"; ---- runtime6502/{name} ----\n" + runtime_source(name)
                     for name in INFERENCE_FILES)
