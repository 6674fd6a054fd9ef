"""The package's layering, checked from the source with ``ast`` (nothing is imported):
which stage may import which (LAYERS, also the table in docs/architecture.md), click only
in the CLI, and the CLI's command modules independent of one another.

Every ``import`` counts, at module level, inside functions and under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "c64ml"
ARCHITECTURE_DOC = ROOT / "docs" / "architecture.md"

# The pipeline, in the order data flows through it:
#   model (float model) -> quantize -> model (qmodel) -> exec (NumPy, LLVM) | backend6502 |
#   backend_c -> asm -> package -> machine -> verify;  demos and cli on top.
# Dependencies are not quite that order: asm, package and machine are a self-contained
# toolchain that knows nothing of the ML side (backend6502 uses the assembler, backend_c
# packages its image), quantize checks its fixed point with exec's exact reference, and
# the backends use exec's requantization. Stage -> the other stages it may import (a stage
# may always import itself). "c64ml" is the package's own __init__.
LAYERS: dict[str, set[str]] = {
    "errors": set(),
    "fileio": {"errors"},
    "jsonfile": {"errors", "fileio"},
    "progress": set(),
    "spec": {"errors"},
    "text": {"errors"},
    "asm": {"errors", "fileio"},
    "package": {"errors", "fileio", "text"},
    "machine": {"errors", "fileio", "asm", "package"},
    "model": {"errors", "fileio", "jsonfile", "spec", "text"},
    "exec": {"errors", "fileio", "jsonfile", "progress", "spec", "model"},
    "quantize": {"errors", "fileio", "jsonfile", "progress", "spec", "model", "exec"},
    "backend6502": {"errors", "fileio", "jsonfile", "progress", "spec", "text", "model", "exec",
                    "asm", "package"},
    "backend_c": {"errors", "fileio", "jsonfile", "progress", "spec", "text", "model", "exec",
                  "package"},
    "verify": {"errors", "fileio", "jsonfile", "progress", "spec", "model", "exec",
               "quantize", "backend6502", "backend_c", "asm", "machine"},
    "train": {"errors", "fileio", "jsonfile", "progress", "spec", "text", "model", "exec",
              "quantize", "backend6502"},
    "learn": {"errors", "fileio", "jsonfile", "progress", "spec", "model", "exec", "asm",
              "backend6502", "package", "machine"},
    "demos": {"errors", "fileio", "jsonfile", "progress", "spec", "text", "model", "exec",
              "asm", "backend6502", "package", "machine", "learn"},
    "cli": {"c64ml", "errors", "fileio", "jsonfile", "progress", "spec", "text", "asm", "package",
            "machine", "model", "exec", "quantize", "backend6502", "backend_c", "verify",
            "demos", "train", "learn"},
    "c64ml": {"errors", "model"},
    "console": {"cli"},
}
#: The CLI's command modules: registered by c64ml/cli/__init__.py, never importing one
#: another (shared helpers live in c64ml/cli/common.py).
CLI_COMMANDS = {"model", "compile", "toolchain", "demo", "bench", "train", "learn"}
#: Third-party packages only a layer may import.
ONLY_IN = {"click": "cli"}


def module_name(rel: str) -> str:
    """``c64ml/asm/parse.py`` -> ``c64ml.asm.parse``; ``c64ml/cli/__init__.py`` -> ``c64ml.cli``."""
    parts = list(Path(rel).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def stage_of(module: str) -> str:
    """The stage of a c64ml module: its first name under c64ml (``c64ml`` for the root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imported_modules(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The absolute module names one import statement names (``from c64ml import x`` gives
    ``c64ml.x`` for each x, which is a submodule or else the root package's attribute)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        base = module.split(".")
        base = base[:len(base) - node.level + (1 if is_package else 0)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target == "c64ml":
        return [f"c64ml.{a.name}" for a in node.names]
    return [target]


def violations(rel: str, source: str, stages: set[str] | None = None) -> list[str]:
    """Every forbidden import in one module, as ``path:line: module imports X (reason)``.

    ``rel`` is the path under the repository (``c64ml/...py``); ``stages`` the names that
    are stages (default: the keys of LAYERS)."""
    stages = set(LAYERS) if stages is None else stages
    module = module_name(rel)
    stage = stage_of(module)
    is_package = rel.endswith("__init__.py")
    allowed = LAYERS.get(stage)
    out = []
    for node in ast.walk(ast.parse(source, rel)):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        for target in imported_modules(node, module, is_package):
            where = f"{rel}:{node.lineno}: {module} imports {target}"
            top = target.split(".")[0]
            if top in ONLY_IN and stage != ONLY_IN[top]:
                out.append(f"{where} (only c64ml/{ONLY_IN[top]} may import {top})")
            if top != "c64ml":
                continue
            parts = target.split(".")
            other = parts[1] if len(parts) > 1 and parts[1] in stages else "c64ml"
            if allowed is None:
                out.append(f"{where} (stage {stage!r} is not in LAYERS: add it)")
            elif other != stage and other not in allowed:
                out.append(f"{where} (stage {stage!r} may import only "
                           f"{', '.join(sorted(allowed)) or 'nothing of c64ml'})")
            if (stage == other == "cli" and module != "c64ml.cli" and len(parts) > 2
                    and parts[2] in CLI_COMMANDS and target != module):
                out.append(f"{where} (CLI command modules do not import each other; "
                           "share code through c64ml/cli/common.py)")
    return out


def package_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_stage_is_in_the_table():
    found = {p.stem if p.parent == PACKAGE else p.relative_to(PACKAGE).parts[0]
             for p in package_modules()}
    found = {"c64ml" if s == "__init__" else s for s in found}
    assert found == set(LAYERS), "LAYERS must name exactly the stages of c64ml/"


@pytest.mark.parametrize("path", package_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_layering(path):
    rel = path.relative_to(ROOT).as_posix()
    found = violations(rel, path.read_text(encoding="utf-8"))
    assert not found, "forbidden imports:\n" + "\n".join(found)


# --- the checker itself, on synthetic modules -----------------------------------------------

def test_checker_finds_a_forbidden_import_in_a_function():
    src = "import os\n\ndef f():\n    from c64ml.backend6502.compiler import Build\n"
    found = violations("c64ml/machine/c64.py", src)
    assert len(found) == 1
    assert found[0].startswith("c64ml/machine/c64.py:4: c64ml.machine.c64 imports "
                               "c64ml.backend6502.compiler (stage 'machine' may import only")


def test_checker_resolves_relative_and_package_imports():
    assert violations("c64ml/asm/expr.py", "from ..spec import CLAMP\n") == [
        "c64ml/asm/expr.py:1: c64ml.asm.expr imports c64ml.spec "
        "(stage 'asm' may import only errors, fileio)"]
    assert violations("c64ml/model/__init__.py", "from . import qmodel\n") == []
    assert len(violations("c64ml/exec/jit.py", "from c64ml import backend6502\n")) == 1
    assert violations("c64ml/model/qmodel.py", "from c64ml import spec, jsonfile\n") == []
    # the root package's attributes count as the stage "c64ml"
    assert len(violations("c64ml/asm/parse.py", "from c64ml import __version__\n")) == 1
    assert violations("c64ml/cli/bench.py", "from c64ml import __version__\n") == []


def test_checker_keeps_click_in_the_cli():
    assert violations("c64ml/progress.py", "import click\n") == [
        "c64ml/progress.py:1: c64ml.progress imports click (only c64ml/cli may import click)"]
    assert violations("c64ml/cli/demo.py", "import click.testing\n") == []


def test_checker_keeps_cli_commands_apart():
    found = violations("c64ml/cli/compile.py", "def f():\n    from c64ml.cli.model import x\n")
    assert found == ["c64ml/cli/compile.py:2: c64ml.cli.compile imports c64ml.cli.model (CLI "
                     "command modules do not import each other; share code through "
                     "c64ml/cli/common.py)"]
    assert violations("c64ml/cli/compile.py", "from c64ml.cli.common import x\n") == []
    assert violations("c64ml/cli/__main__.py", "from c64ml.cli import main\n") == []
    assert len(violations("c64ml/cli/common.py", "import c64ml.cli.toolchain\n")) == 1


def test_checker_wants_new_stages_in_the_table():
    found = violations("c64ml/newstage/x.py", "from c64ml.errors import C64mlError\n")
    assert found and "not in LAYERS" in found[0]


# --- the same table in docs/architecture.md -------------------------------------------------

def layers_table() -> str:
    """LAYERS as the markdown table of docs/architecture.md."""
    rows = ["| stage | may import |", "|---|---|"]
    for stage, allowed in LAYERS.items():
        names = ", ".join(f"`{s}`" for s in sorted(allowed)) or "nothing of c64ml"
        rows.append(f"| `{stage}` | {names} |")
    return "\n".join(rows)


def test_the_architecture_page_shows_the_table():
    table = layers_table()
    assert table in ARCHITECTURE_DOC.read_text(encoding="utf-8"), \
        "docs/architecture.md must contain this table (generated from LAYERS):\n" + table
