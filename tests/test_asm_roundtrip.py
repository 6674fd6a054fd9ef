"""`c64ml compile --format asm` carries everything its PRG holds: re-assembled by `c64ml asm`
(native syntax) or by the real ACME, 64tass and ca65/ld65 (exports), it gives the PRG that
`c64ml compile` writes, byte for byte: load address, an app's BASIC stub, code and data."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile

import pytest
from test_asm_export import need
from testpaths import EXAMPLES
from testpaths import run_cli as run

# (qmodel, data): a perceptron MLP, a requantized MLP, and digits, whose library lies in
# BASIC memory ($8600, so `c64ml asm` needs --no-stub) and whose app banks BASIC out.
CASES = [(m, d, opt, mode) for m, d in (("xor/mlp.qmodel.json", "xor/data.csv"),
                                         ("iris/qmodel.json", "iris/test.csv"))
         for opt in ("size", "speed") for mode in ("library", "app")]
CASES += [("digits/qmodel.json", "digits/test.npz", "size", "library"),
          ("digits/qmodel.json", "digits/test.npz", "size", "app")]
SYNTAXES = ("native", "acme", "64tass", "ca65")


def compile_args(case) -> list:
    model, data, opt, mode = case
    return [EXAMPLES / model, "--data", EXAMPLES / data, "--optimize", opt, "--mode", mode]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: "-".join((c[0].split("/")[0],) + c[2:]))
def case_prg(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("prg") / "model.prg"
    r = run("compile", *compile_args(request.param), "-o", out)
    assert r.exit_code == 0, r.output
    return request.param, out.read_bytes()


def real_tool_prg(syntax: str, folder: str) -> bytes:
    """Run the real assembler on the export in ``folder``; a PRG with the load address the
    source itself sets (ACME -f cbm, 64tass's default output, ca65: the ld65 config's start)."""
    if syntax == "acme":
        cmds = [["acme", "-f", "cbm", "-o", "out.prg", "model.a"]]
    elif syntax == "64tass":
        cmds = [["64tass", "-q", "-o", "out.prg", "model.s"]]
    else:
        cmds = [["ca65", "-o", "model.o", "model.s"],
                ["ld65", "-C", "model.cfg", "-o", "out.bin", "model.o"]]
    for cmd in cmds:
        r = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"{cmd[0]} failed:\n{r.stdout}{r.stderr}"
    if syntax != "ca65":
        with open(os.path.join(folder, "out.prg"), "rb") as f:
            return f.read()
    with open(os.path.join(folder, "model.cfg")) as f:
        start = int(re.search(r"start = \$([0-9A-F]{4})", f.read()).group(1), 16)
    with open(os.path.join(folder, "out.bin"), "rb") as f:
        return bytes((start & 0xFF, start >> 8)) + f.read()


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_asm_output_reassembles_to_the_prg(case_prg, syntax):
    case, prg = case_prg
    if syntax != "native":
        need(syntax)
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "model.s")
        r = run("compile", *compile_args(case), "-o", src, "--format", "asm",
                "--syntax", syntax)
        assert r.exit_code == 0, r.output
        if syntax == "native":
            text = open(src).read()
            assert text.splitlines()[0] == "; build: c64ml asm model.s -o model.prg --no-stub"
            r = run("asm", src, "-o", os.path.join(d, "out.prg"), "--no-stub")
            assert r.exit_code == 0, r.output
            with open(os.path.join(d, "out.prg"), "rb") as f:
                rebuilt = f.read()
        else:
            rebuilt = real_tool_prg(syntax, d)
    assert rebuilt[:2] == prg[:2], "load address"
    assert rebuilt == prg
    if case[3] == "app":  # the stub is in the source, not added by packaging
        assert prg[:2] == b"\x01\x08" and prg[6] == 0x9E


def test_without_no_stub_a_library_in_basic_memory_gets_a_stub(tmp_path):
    """Why the build line says --no-stub: `c64ml asm` adds a stub for code at $080D..$9FFF."""
    case = ("digits/qmodel.json", "digits/test.npz", "size", "library")
    src = tmp_path / "model.s"
    assert run("compile", *compile_args(case), "-o", src).exit_code == 0
    org = re.match(r"\s+\.org \$([0-9A-F]{4})", src.read_text().splitlines()[1])
    assert 0x080D <= int(org.group(1), 16) < 0xA000
    assert run("asm", src, "-o", tmp_path / "stub.prg").exit_code == 0
    assert (tmp_path / "stub.prg").read_bytes()[:2] == b"\x01\x08"
