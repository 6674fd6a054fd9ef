"""The `c64ml asm` and `c64ml run` commands: outputs, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from c64ml.cli import main
from c64ml.cli.toolchain import package_prg, parse_keys
from c64ml.errors import C64mlError
from c64ml.package.d64 import disk_file_name, read_d64

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "examples" / "hello" / "hello.s"
SMALL = ".org $C000\nstart: lda #1\n  sta $0400\n  rts\n"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_line_error(result, *needles):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("c64ml: error: "), result.output
    for n in needles:
        assert n in lines[0]
    assert "Traceback" not in result.output


def test_help():
    for cmd in ("asm", "run"):
        r = invoke(cmd, "--help")
        assert r.exit_code == 0 and "Usage:" in r.output


def test_asm_prg_with_stub_listing_labels(tmp_path):
    out, lst, lbl = tmp_path / "hello.prg", tmp_path / "h.lst", tmp_path / "h.lbl"
    r = invoke("asm", HELLO, "-o", out, "--listing", lst, "--labels", lbl)
    assert r.exit_code == 0, r.output
    prg = out.read_bytes()
    assert prg[:14] == bytes.fromhex("01080b080a009e32303631000000")
    assert prg[14:16] == b"\xa2\x00"  # ldx #0 at $080D
    assert b"HELLO, WORLD!\r" in prg
    assert "080D  A2 00" in lst.read_text()
    labels = lbl.read_text().splitlines()
    assert "al C:080d .start" in labels and "al C:ffd2 .CHROUT" in labels


def test_asm_plain_prg_bin_and_d64(tmp_path):
    src = tmp_path / "small.s"
    src.write_text(SMALL)
    code = bytes.fromhex("a9018d000460")
    assert invoke("asm", src, "-o", tmp_path / "s.prg").exit_code == 0
    assert (tmp_path / "s.prg").read_bytes() == b"\x00\xc0" + code
    assert invoke("asm", src, "-o", tmp_path / "s.bin").exit_code == 0
    assert (tmp_path / "s.bin").read_bytes() == code
    assert invoke("asm", src, "-o", tmp_path / "my prog.d64").exit_code == 0
    assert read_d64((tmp_path / "my prog.d64").read_bytes()) == [("MY PROG", b"\x00\xc0" + code)]


def test_package_rule():
    assert package_prg(0x080D, b"\x60")[:2] == b"\x01\x08"   # stub
    assert package_prg(0x0801, b"\x60")[:2] == b"\x01\x08"   # own stub: plain at $0801
    assert len(package_prg(0x0801, b"\x60")) == 3
    assert package_prg(0x080C, b"\x60")[:2] == b"\x0c\x08"   # too low for a stub: plain
    assert package_prg(0x1000, b"\x60")[:2] == b"\x01\x08"
    assert package_prg(0xA000, b"\x60")[:2] == b"\x00\xa0"   # not in BASIC memory: plain
    assert disk_file_name("out/a_very_long_program_name.d64") == "A_VERY_LONG_PROG"


def test_keys():
    assert parse_keys("run\\n") == b"RUN\r"
    assert parse_keys("a{return}{clr}{65}\n") == b"A\r\x93A\r"
    for bad in ("{nope}", "{300}", "{return", "\u00e9", "\t"):
        with pytest.raises(C64mlError):
            parse_keys(bad)


@pytest.mark.parametrize("content, name, needle", [
    (None, "missing.s", "no such file"),
    (b"lda #\n", "bad.s", "line 1"),
    (b"\xff\xfe\x00garbage", "bin.s", "UTF-8"),
    (b"jmp nowhere\n", "undef.s", "bad.s" and "undef.s"),
    (b"", "empty.s", "empty.s"),
    (b".org $CFFE\n.byte 1,2,3\n", "io.s", "I/O"),
    (b".org $0805\nrts\n", "low.s", ""),
], ids=["missing", "syntax", "binary", "undefined", "empty", "io", "low"])
def test_asm_errors(tmp_path, content, name, needle):
    src = tmp_path / name
    if content is not None:
        src.write_bytes(content)
    out = tmp_path / "out.prg"
    r = invoke("asm", src, "-o", out)
    if name == "low.s":  # $0805 is below the stub's end: a plain PRG, not an error
        assert r.exit_code == 0 and out.read_bytes()[:2] == b"\x05\x08"
        return
    assert_one_line_error(r, needle)
    assert not out.exists() and list(tmp_path.iterdir()) == ([src] if content is not None else [])


def test_asm_bad_output_type_and_dir(tmp_path):
    src = tmp_path / "s.s"
    src.write_text(SMALL)
    assert_one_line_error(invoke("asm", src, "-o", tmp_path / "x.exe"), "unknown output type")
    assert_one_line_error(invoke("asm", src, "-o", tmp_path / "nodir" / "x.prg"), "cannot write")
    assert_one_line_error(invoke("asm", tmp_path, "-o", tmp_path / "x.prg"), "directory")


def test_asm_huge_source_refused(tmp_path):
    src = tmp_path / "huge.s"
    with open(src, "wb") as f:
        f.truncate(17 * 1024 * 1024)
    assert_one_line_error(invoke("asm", src, "-o", tmp_path / "x.prg"), "limit")


def _subprocess(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "c64ml.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=120)


def test_real_subprocess_errors(tmp_path):
    (tmp_path / "bad.s").write_text("  foo bar\n")
    for args, needle in ((("asm", "bad.s", "-o", "x.prg"), "bad.s: line 1"),
                         (("asm", "nope.s", "-o", "x.prg"), "nope.s: no such file"),
                         (("run", "nope.prg"), "nope.prg: no such file")):
        p = _subprocess(*args, cwd=tmp_path)
        assert p.returncode == 2 and p.stdout == ""
        assert p.stderr.count("\n") == 1 and p.stderr.startswith("c64ml: error: ")
        assert needle in p.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == ["bad.s"]


@pytest.mark.parametrize("content, needle", [
    (b"", "truncated"),
    (b"\x01", "truncated"),
    (b"\x01\x08", "no bytes"),
    (b"\x00\xd0\x60", "I/O"),
    (b"\x00\x01\x60", "zero page"),
    (b"\x00\xff" + bytes(300), "past $FFFF"),
    (bytes(70000), "limit"),
], ids=["empty", "one", "no-payload", "io", "zp", "wrap", "huge"])
def test_run_rejects_bad_prg(tmp_path, content, needle):
    prg = tmp_path / "x.prg"
    prg.write_bytes(content)
    shot = tmp_path / "s.png"
    assert_one_line_error(invoke("run", prg, "--screenshot", shot), needle)
    assert not shot.exists()


def test_run_rejects_bad_d64_and_keys(tmp_path):
    (tmp_path / "x.d64").write_bytes(bytes(1000))
    assert_one_line_error(invoke("run", tmp_path / "x.d64"), "not a 35-track")
    src = tmp_path / "s.s"
    src.write_text(SMALL)
    invoke("asm", src, "-o", tmp_path / "s.prg")
    assert_one_line_error(invoke("run", tmp_path / "s.prg", "--keys", "{bogus}"), "--keys")


def test_run_hello_text_json_and_screenshot(tmp_path):
    prg = tmp_path / "hello.prg"
    assert invoke("asm", HELLO, "-o", prg).exit_code == 0
    r = invoke("run", prg)
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "HELLO, WORLD!" and lines[1] == "C64ML SAYS HI"
    assert lines[-1].startswith("cycles: ") and "PAL" in lines[-1] and "stop: return" in lines[-1]
    r = invoke("run", prg, "--json", "--ntsc", "--no-irq")
    doc = json.loads(r.output)
    assert len(doc["screen"]) == 25 and doc["screen"][0] == "HELLO, WORLD!"
    # Counted by hand from hello.s: ldx #0 (2); 28 characters x (lda abs,x 4 + beq not
    # taken 2 + jsr 6 + inx 2 + bne taken 3); then lda 4 + beq taken 3 and rts 6.
    assert doc["cycles"] == 2 + 28 * 17 + 4 + 3 + 6 == 491
    assert doc["irq_cycles"] == 0 and doc["system"] == "ntsc"


def test_run_plain_prg_screenshot_and_budget(tmp_path):
    src = tmp_path / "p.s"
    src.write_text(".org $C000\n lda #2\n sta $d020\n lda #$81\n sta $0400\n rts\n")
    invoke("asm", src, "-o", tmp_path / "p.d64")
    shot = tmp_path / "p.png"
    r = invoke("run", tmp_path / "p.d64", "--screenshot", shot)
    assert r.exit_code == 0, r.output
    from tests.test_screenshot import cell_pixels, decode_png
    _, _, rows = decode_png(shot.read_bytes())
    assert rows[0][0][0] > rows[0][0][2]  # red border
    cell = cell_pixels(rows, 0, 0, scale=2)
    ink = {px for row in cell for px in row}
    assert len(ink) == 2  # a reversed 'A': ink and background both present
    (tmp_path / "loop.s").write_text(".org $C000\nloop: jmp loop\n")
    invoke("asm", tmp_path / "loop.s", "-o", tmp_path / "loop.prg")
    assert_one_line_error(invoke("run", tmp_path / "loop.prg", "--max-cycles", "5000",
                                 "--screenshot", shot.with_name("no.png")), "loop.prg")
    assert not shot.with_name("no.png").exists()


def test_export_next_to_output_assembles_to_same_bytes(tmp_path):
    acme = shutil.which("acme")
    if acme is None:
        if os.environ.get("CI"):
            pytest.fail("acme is required in CI but is not installed")
        pytest.skip("acme is not installed")
    out = tmp_path / "out"
    out.mkdir()
    r = invoke("asm", HELLO, "-o", out / "hello.bin", "--export", "acme")
    assert r.exit_code == 0, r.output
    exported = out / "hello.a"
    assert exported.exists()
    subprocess.run([acme, "-f", "plain", "-o", str(tmp_path / "acme.bin"), str(exported)],
                   check=True, capture_output=True)
    assert (tmp_path / "acme.bin").read_bytes() == (out / "hello.bin").read_bytes()


def test_export_refuses_to_overwrite_source(tmp_path):
    src = tmp_path / "prog.s"
    src.write_text(SMALL)
    r = invoke("asm", src, "-o", tmp_path / "prog.prg", "--export", "64tass")
    assert_one_line_error(r, "overwrite")
    assert src.read_text() == SMALL and not (tmp_path / "prog.prg").exists()


# --- run: exit codes, limits, libraries and sources ------------------------------------

def _prg(tmp_path, source: str, name: str = "p") -> Path:
    (tmp_path / f"{name}.s").write_text(source)
    out = tmp_path / f"{name}.prg"
    r = invoke("asm", tmp_path / f"{name}.s", "-o", out)
    assert r.exit_code == 0, r.output
    return out


EXIT_WITH = ".org $C000\n lda #{code}\n sta $d7ff\n rts\n"


@pytest.mark.parametrize("code", [0, 1, 2, 77])
def test_run_exits_with_the_debug_cartridge_code(tmp_path, code):
    prg = _prg(tmp_path, EXIT_WITH.format(code=code))
    r = invoke("run", prg)
    assert r.exit_code == code, r.output
    assert "c64ml: error" not in r.output and f"stop: exit (exit code {code})" in r.output
    r = invoke("run", prg, "--json")
    doc = json.loads(r.stdout)
    assert r.exit_code == code and r.stderr == ""
    assert doc["exit_code"] == code and doc["reason"] == "exit" and doc["error"] is None


def test_run_json_has_exit_code_and_error_when_the_program_returns(tmp_path):
    r = invoke("run", _prg(tmp_path, SMALL), "--json")
    doc = json.loads(r.stdout)
    assert r.exit_code == 0 and doc["exit_code"] is None and doc["error"] is None


PRINT_THEN_LOOP = """        .org $C000
        ldx #0
next:   lda text,x
        beq spin
        jsr $ffd2
        inx
        bne next
spin:   jmp spin
text:   .byte "STILL BUSY", 0
"""


def test_run_over_budget_shows_the_screen_and_names_the_option(tmp_path):
    prg = _prg(tmp_path, PRINT_THEN_LOOP)
    r = invoke("run", prg, "--max-cycles", "50000")
    assert r.exit_code == 2
    assert r.stdout.splitlines() == ["STILL BUSY"]       # the screen as it was
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(f"c64ml: error: {prg}: ")
    assert "budget 50000" in r.stderr and "--max-cycles" in r.stderr
    r = invoke("run", prg, "--max-cycles", "50000", "--json")
    doc = json.loads(r.stdout)
    assert r.exit_code == 2 and doc["reason"] == "max_cycles" and doc["exit_code"] is None
    assert "--max-cycles" in doc["error"] and doc["screen"][0] == "STILL BUSY"
    assert doc["total_cycles"] >= 50000


def test_run_wall_clock_limit_names_the_option(tmp_path):
    prg = _prg(tmp_path, PRINT_THEN_LOOP)
    r = invoke("run", prg, "--max-seconds", "0.3", "--max-cycles", str(10**10), "--no-irq")
    assert r.exit_code == 2 and r.stdout.splitlines() == ["STILL BUSY"]
    assert "0.3 s of wall-clock time" in r.stderr and "--max-seconds" in r.stderr
    assert_one_line_error(invoke("run", prg, "--max-seconds", "nan"), "--max-seconds")
    assert_one_line_error(invoke("run", prg, "--max-seconds", "-1"), "--max-seconds")
    r = invoke("run", prg, "--help")
    assert "--max-seconds" in r.output and "default: 60" in r.output


def test_run_recognises_a_library_and_calls_it_with_sys(tmp_path):
    lib = tmp_path / "iris.prg"
    r = invoke("compile", ROOT / "examples" / "iris" / "qmodel.json", "-o", lib, "--json")
    assert r.exit_code == 0, r.output
    entry = json.loads(r.stdout)["abi"]["entry"]
    assert_one_line_error(invoke("run", lib), "c64ml library", "--sys", "--mode app")
    r = invoke("run", lib, "--sys", str(entry))
    assert r.exit_code == 0 and "stop: return" in r.output, r.output
    assert invoke("run", lib, "--sys", f"${entry:04X}").exit_code == 0
    assert_one_line_error(invoke("run", lib, "--sys", "$10000"), "--sys")


def test_run_hints_at_sys_when_a_plain_prg_crashes_at_once(tmp_path):
    (tmp_path / "data.prg").write_bytes(b"\x00\xc0" + bytes([0x02, 0x03, 0x04]))
    assert_one_line_error(invoke("run", tmp_path / "data.prg"), "undocumented opcode $02",
                          "started at its load address $C000", "--sys")


def test_run_refuses_source_text_and_low_load_addresses(tmp_path):
    src = tmp_path / "hello.s"
    src.write_text(SMALL)
    assert_one_line_error(invoke("run", src), "assembly source", "c64ml asm")
    renamed = tmp_path / "hello.prg"
    renamed.write_text(SMALL)
    assert_one_line_error(invoke("run", renamed), "is text, not a PRG", "c64ml asm")
    (tmp_path / "low.prg").write_bytes(b"\x00\x04" + bytes([0x60]))
    assert_one_line_error(invoke("run", tmp_path / "low.prg"), "$0400", "$0801")
