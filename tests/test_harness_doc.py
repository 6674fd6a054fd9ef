"""docs/harness.md's "Testing your own 6502 programs" example runs and passes as written,
and emulator_tests/ use only the machine's public API (``from c64ml.machine import ...``)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import c64ml.machine

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "harness.md"
SECTION = "## Testing your own 6502 programs"


def doc_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert SECTION in text, f"{DOC} lost its section {SECTION!r}"
    m = re.search(r"```python\n(.*?)```", text[text.index(SECTION):], re.S)
    assert m, f"no ```python block in {SECTION!r}"
    return m.group(1)


def test_the_example_is_a_passing_pytest_file(tmp_path):
    path = tmp_path / "test_my_program.py"
    path.write_text(doc_example(), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        str(path)], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    n = len(re.findall(r"^def test_", doc_example(), re.M))
    assert n >= 4 and f"{n} passed" in p.stdout, p.stdout


def test_the_example_uses_only_the_public_api():
    for node in ast.walk(ast.parse(doc_example())):
        if isinstance(node, ast.ImportFrom) and node.module.startswith("c64ml.machine"):
            assert node.module == "c64ml.machine"
            assert {a.name for a in node.names} <= set(c64ml.machine.__all__)


def _internal_machine_attributes() -> set[str]:
    """The attributes C64.__init__ sets that are not part of the public API."""
    tree = ast.parse((ROOT / "c64ml" / "machine" / "c64.py").read_text(encoding="utf-8"))
    init = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                and n.name == "__init__" and n.args.args and n.args.args[0].arg == "self"
                and any(isinstance(t, ast.Attribute) and t.attr == "cpu"
                        for s in n.body if isinstance(s, ast.Assign) for t in s.targets))
    names = {t.attr for s in init.body if isinstance(s, ast.Assign) for t in s.targets
             if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
             and t.value.id == "self"}
    return names - {"ram"}


def test_emulator_tests_use_only_the_public_machine_api():
    internal = _internal_machine_attributes()
    assert {"cpu", "screen", "vic", "cia1"} <= internal
    problems = []
    for path in sorted((ROOT / "emulator_tests").glob("*.py")):
        rel = path.relative_to(ROOT)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("c64ml."):
                mod = node.module
                if mod.startswith("c64ml.machine."):
                    problems.append(f"{rel}:{node.lineno}: imports {mod}; use c64ml.machine")
                if mod.startswith("c64ml.cli.") or mod == "c64ml.cli" and \
                        {a.name for a in node.names} != {"main"}:
                    problems.append(f"{rel}:{node.lineno}: imports CLI internals from {mod}")
            if isinstance(node, ast.Import):
                problems += [f"{rel}:{node.lineno}: imports {a.name}" for a in node.names
                             if a.name.startswith("c64ml.machine.")]
            if isinstance(node, ast.Attribute):
                private = node.attr.startswith("_") and not node.attr.startswith("__")
                if private or node.attr in internal:
                    problems.append(f"{rel}:{node.lineno}: uses .{node.attr}")
    assert not problems, "\n".join(problems)
