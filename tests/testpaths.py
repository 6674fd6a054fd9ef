"""Paths and tool checks shared by the tests (importable as ``testpaths``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def need_tool(name: str) -> str:
    """Path of an external tool; fail under CI (where .ci/run installs it), skip elsewhere."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed; .ci/run must install it")
        pytest.skip(f"{name} is not installed")
    return path


def run_cli(*args):
    """Invoke the c64ml CLI in-process (click's CliRunner); arguments are str()-ed."""
    from click.testing import CliRunner

    from c64ml.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])
