"""Every runtime6502/*.s file (also ones added later) has a cc65-style header,
assembles with what its header says it needs, and keeps the runtime conventions."""

from __future__ import annotations

import re

import pytest
from runtime_harness import RUNTIME, assemble_runtime, header_list, runtime_files

from c64ml.errors import C64mlError

FILES = [p.name for p in runtime_files()]
REQUIRED_WORDS = ("Inputs", "Outputs", "Clobbers", "Cycles")
ZP_MODES = ("zp", "zpx", "zpy", "izx", "izy")
ZP_ALLOWED = {0x02, 0xFB, 0xFC, 0xFD, 0xFE}     # free under BASIC and the KERNAL IRQ
IMPORT_ADDRESS = 0xC000                        # stands in for symbols from generated code


def header(name: str) -> str:
    lines = []
    for line in (RUNTIME / name).read_text().splitlines():
        if line.strip() and not line.lstrip().startswith(";"):
            break
        lines.append(line)
    return "\n".join(lines)


def requirements(name: str, seen: tuple[str, ...] = ()) -> list[str]:
    """The files ``name`` needs (its header's ``Requires:``, transitively), dependencies first."""
    out: list[str] = []
    for dep in header_list(header(name), "Requires"):
        if not dep.endswith(".s"):
            continue
        assert dep in FILES, f"{name} requires {dep}, which is not in runtime6502/"
        assert dep not in seen, f"circular Requires: {' -> '.join(seen + (name, dep))}"
        for d in requirements(dep, seen + (name,)) + [dep]:
            if d not in out:
                out.append(d)
    return out


def test_the_runtime_files_exist():
    assert {"mul8.s", "requant.s", "argmax.s"} <= set(FILES)


@pytest.mark.parametrize("name", FILES)
def test_header_names_the_contract(name):
    text = header(name)
    assert text.startswith(f"; {name}"), f"{name}: the header should start with '; {name} - ...'"
    for word in REQUIRED_WORDS:
        assert re.search(rf"^;\s*{word}\b", text, re.MULTILINE), \
            f"{name}: no header line starts with '{word}'"


@pytest.mark.parametrize("name", FILES)
def test_assembles_with_its_requirements(name):
    imports = header_list(header(name), "Imports")
    try:
        prog = assemble_runtime(*requirements(name), name,
                                defines={sym: IMPORT_ADDRESS for sym in imports})
    except C64mlError as e:
        pytest.fail(f"{name} does not assemble with its header's requirements: {e}\n"
                    "(list needed runtime files on a '; Requires: a.s b.s' header line and "
                    "symbols the generated program supplies on '; Imports: sym1 sym2')")
    for ln in prog.lines:
        if ln.opcode is None:
            continue
        assert ln.statement.mnemonic != "sei", f"{name} line {ln.line}: SEI is not allowed"
        if ln.opcode.mode in ZP_MODES:
            assert ln.value in ZP_ALLOWED, \
                f"{name} line {ln.line}: zero page ${ln.value:02X} is not free under the KERNAL"


def test_all_files_assemble_together():
    """Concatenated as the compiler does: labels must not clash across files."""
    imports = {sym for n in FILES for sym in header_list(header(n), "Imports")}
    prog = assemble_runtime(*FILES, defines={sym: IMPORT_ADDRESS for sym in imports})
    assert prog.symbols["SQ1LO"] % 256 == 0
