"""Every runtime6502/*.s file (also ones added later) has a header in the schema of
runtime6502/README.md, read by the package's own parser; it assembles with what its header
says it needs, and the zero page its code uses is exactly what the header declares."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
from runtime_harness import (
    DN_ACC,
    DN_PT,
    acc_arrays,
    assemble_runtime,
    build,
    call,
    lines_by_part,
    parts,
    undeclared_zero_page,
    zero_page_writes,
)

from c64ml.backend6502.memory_plan import ZERO_PAGE_FREE
from c64ml.backend6502.runtime import (
    DRIVER_FILES,
    INFERENCE_FILES,
    header,
    parse_header,
    requirements,
    runtime_files,
)
from c64ml.errors import C64mlError

FILES = runtime_files()
IMPORT_ADDRESS = 0xC000  # stands in for symbols from generated code


def static_zero_page(lines) -> set[int]:
    """Zero-page addresses the assembled statements address: zero-page modes, indirect
    pointers (both bytes), and absolute operands below $100."""
    used: set[int] = set()
    for ln in lines:
        if ln.opcode is None or ln.opcode.mode in ("imp", "acc", "imm", "rel"):
            continue
        if ln.value < 0x100:
            used.add(ln.value)
            if ln.opcode.mode in ("izx", "izy", "ind"):
                used.add((ln.value + 1) & 0xFF)
    return used


def assemble_alone(name: str):
    """The listing lines of ``name`` assembled with its requirements (and the SQ tables only
    if declared) and its imports defined."""
    deps = requirements(name)
    tables = any(header(f).sq_tables for f in (*deps, name))
    layout = parts(*deps, name, tables=tables)
    prog = assemble_runtime(*deps, name, tables=tables,
                            defines={sym: IMPORT_ADDRESS for sym in header(name).imports})
    return lines_by_part(prog, layout)[name]


def test_the_runtime_files_exist():
    assert {"mul8.s", "requant.s", "argmax.s", "dense.s", "activate.s", "print.s",
            "timer.s"} <= set(FILES)


@pytest.mark.parametrize("name", FILES)
def test_header_follows_the_schema(name):
    h = header(name)  # raises C64mlError on any departure
    assert h.name == name and h.summary
    assert all((h.inputs, h.outputs, h.clobbers, h.cycles))
    assert h.zero_page <= ZERO_PAGE_FREE, f"{name}: zero page beyond $02/$FB-$FE"
    assert h.zero_page_restored, f"{name}: zero page must be saved and restored"


@pytest.mark.parametrize("name", FILES)
def test_assembles_with_its_requirements_and_declares_its_zero_page(name):
    try:
        own = assemble_alone(name)
    except C64mlError as e:
        pytest.fail(f"{name} does not assemble with its header's requirements: {e}\n"
                    "(list needed runtime files and 'SQ tables' on '; Requires:' and "
                    "symbols the generated program supplies on '; Imports:')")
    assert own and all(ln.statement.mnemonic != "sei" for ln in own if ln.opcode), \
        f"{name}: SEI is not allowed"
    assert static_zero_page(own) == header(name).zero_page, \
        f"{name}: code addresses zero page {sorted(static_zero_page(own))}, header declares " \
        f"{sorted(header(name).zero_page)}"


def test_all_files_assemble_together():
    """Concatenated as the compiler does: labels must not clash across files."""
    imports = {sym for n in FILES for sym in header(n).imports}
    prog = assemble_runtime(*FILES, defines={sym: IMPORT_ADDRESS for sym in imports})
    assert prog.symbols["SQ1LO"] % 256 == 0


@pytest.mark.parametrize("files", [INFERENCE_FILES, INFERENCE_FILES + DRIVER_FILES])
def test_programs_assemble_every_file_required(files):
    assert {d for f in files for d in requirements(f)} <= set(files)


def test_static_scan_sees_every_zero_page_form():
    drv = ("drv: lda $10\n sta $20,x\n ldx $30,y\n lda ($40),y\n sta ($50,x)\n"
           " lda a:$60\n jmp ($0070)\n lda #$80\n beq drv\n rts\n")
    prog = assemble_runtime(driver=drv, tables=False)
    assert static_zero_page(prog.lines) == {0x10, 0x20, 0x30, 0x40, 0x41, 0x50, 0x51, 0x60,
                                            0x70, 0x71}


# --- the dynamic check: every runtime test's calls, through runtime_harness.call ------------

def test_dense_writes_exactly_its_declared_zero_page():
    """The watch sees dense.s's $FB (written on use and on restore) and nothing else."""
    m, sym = build("dense.s", driver="        rts\n" + acc_arrays(*DN_ACC) + DN_PT
                   + "in:     .byte 3\nw:      .byte 200\nc:      .byte 0, 0, 0\n", irq=False)
    for label, value in (("dn_in", sym["in"]), ("dn_w", sym["w"]), ("dn_c", sym["c"])):
        m.ram[sym[label]:sym[label] + 2] = value.to_bytes(2, "little")
    for label, value in (("dn_nin", 1), ("dn_nout", 1), ("dn_mask", 0)):
        m.ram[sym[label]] = value
    m.ram[0xFB] = 0x77
    call(m, sym, "dn_run")
    assert {addr for addr, _ in zero_page_writes(m)} == {0xFB} and m.ram[0xFB] == 0x77
    assert m.ram[sym["dn_acc0"]] == 3 * 72  # acc = 3 * (200 - 128)


def test_an_undeclared_zero_page_write_fails_the_call():
    """A runtime file's code writing zero page its header does not declare is caught, and
    attributed to that file; the driver's own writes are not the runtime's."""
    m, sym = build("mul8.s", driver="drv:    sta $20\n        rts\n", tables=True)
    call(m, sym, "drv")  # the driver's write: allowed
    m.ram[sym["mul8_by"]:sym["mul8_by"] + 3] = bytes([0x85, 0x21, 0x60])  # sta $21 / rts
    with pytest.raises(AssertionError, match=r"mul8\.s wrote \$21"):
        call(m, sym, "mul8", a=1, y=1)
    assert undeclared_zero_page(m)


# --- the parser --------------------------------------------------------------------------

GOOD = """; x.s - does a thing
;
; What it does
;   Something.
;
; Inputs:    A
; Outputs:   A
; Clobbers:  flags
; Zero page: $FB-$FC, $02 (saved and restored)
;            a comment on the zero page
; Cycles:    12
; Requires:  mul8.s, SQ tables
; Imports:   sym_a, sym_b

x:      rts
"""


def test_parser_reads_every_field():
    h = parse_header(GOOD, "x.s")
    assert (h.summary, h.inputs, h.clobbers, h.cycles) == ("does a thing", "A", "flags", "12")
    assert h.zero_page == {0x02, 0xFB, 0xFC} and h.zero_page_restored
    assert h.requires == ("mul8.s",) and h.sq_tables and h.imports == ("sym_a", "sym_b")
    h = parse_header(GOOD.replace("$FB-$FC, $02 (saved and restored)", "none")
                     .replace("mul8.s, SQ tables", "none").replace("; Imports:   sym_a, sym_b\n",
                                                                       ""), "x.s")
    assert h.zero_page == frozenset() and h.requires == () and not h.sq_tables
    assert h.imports == ()


@pytest.mark.parametrize("old, new, message", [
    ("; x.s - does a thing", "; y.s - does a thing", "first line"),
    ("; x.s - does a thing", "; x.s does a thing", "first line"),
    ("; Cycles:    12\n", "", "no Cycles"),
    ("; What it does", "; Memory: RAM", "'Memory:' is not a header field"),
    ("; Outputs:   A\n", "", "no Outputs"),
    ("; Inputs:    A\n; Outputs:   A\n", "; Outputs:   A\n; Inputs:    A\n", "out of order"),
    ("; Cycles:    12\n", "; Cycles:    12\n; Cycles:    13\n", "repeated"),
    ("(saved and restored)", "(restored)", "Zero page:"),
    ("$FB-$FC, $02", "$FB, zp", "Zero page:"),
    ("$FB-$FC, $02 (saved and restored)", "", "Zero page:"),
    ("mul8.s, SQ tables", "mul8.s SQ tables", "neither a runtime file"),
    ("mul8.s, SQ tables", "mul8.s,", "comma-separated"),
    ("sym_a, sym_b", "sym_a, 2b", "not a symbol"),
    (";            a comment on the zero page", "; a comment", "continue a field"),
])
def test_parser_rejects_departures_from_the_schema(old, new, message):
    assert old in GOOD
    with pytest.raises(C64mlError, match=message):
        parse_header(GOOD.replace(old, new), "x.s")


# --- runtime6502/README.md ---------------------------------------------------------------

def readme_sections() -> dict[str, str]:
    """README section text by the file it is headed with ('## NAME.s — ...')."""
    text = resources.files("runtime6502").joinpath("README.md").read_text(encoding="utf-8")
    found = re.findall(r"^## (\S+\.s) — .*\n((?:(?!## ).*\n?)*)", text, re.MULTILINE)
    return dict(found)


def test_readme_has_a_section_for_every_file_and_no_other():
    assert sorted(readme_sections()) == sorted(FILES)


@pytest.mark.parametrize("name", FILES)
def test_readme_section_names_an_existing_test_file(name):
    tests = re.findall(r"tests/(test_runtime_\w+\.py)", readme_sections().get(name, ""))
    assert tests, f"the README's section on {name} names no test file"
    assert all((Path(__file__).parent / t).is_file() for t in tests), tests
