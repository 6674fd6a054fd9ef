"""PRG files and the BASIC stub, checked against hand-written bytes and cc65/ACME output."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from testpaths import need_tool

from c64ml.errors import C64mlError
from c64ml.package.prg import (
    basic_stub,
    make_prg,
    parse_prg,
    prg_with_stub,
    stub_end,
    stub_sys_address,
)
from c64ml.package.vice import labels_text, vice_name

# "10 SYS 2061" written out by hand from the BASIC line format.
STUB_2061 = bytes([0x0B, 0x08, 0x0A, 0x00, 0x9E, 0x32, 0x30, 0x36, 0x31, 0x00, 0x00, 0x00])


def test_stub_bytes_by_hand():
    assert basic_stub(2061) == STUB_2061
    assert stub_end(2061) == 0x080D
    # 5 digits: the line is one byte longer, so its link and the code start move by one.
    assert basic_stub(49152, line=2024) == bytes(
        [0x0C, 0x08, 0xE8, 0x07, 0x9E]) + b"49152" + bytes(3)
    assert basic_stub(0) == bytes([0x08, 0x08, 0x0A, 0x00, 0x9E, 0x30, 0x00, 0x00, 0x00])


def test_prg_with_stub_layout():
    prg = prg_with_stub(0x0810, b"\xA9\x01\x60", entry=0x0811)
    assert prg[:2] == b"\x01\x08"
    assert prg[2:14] == bytes([0x0B, 0x08, 0x0A, 0x00, 0x9E]) + b"2065" + bytes(3)
    assert prg[14:17] == bytes(3)  # padding $080D-$080F
    assert prg[17:] == b"\xA9\x01\x60"
    assert stub_sys_address(prg) == 0x0811


def test_stub_matches_acme(tmp_path):
    acme = need_tool("acme")
    src = ("* = $0801\n!word next\n!word 10\n!byte $9e\n!text \"2061\"\n!byte 0\n"
           "next: !word 0\nlda #1\nrts\n")
    (tmp_path / "s.a").write_text(src)
    subprocess.run([acme, "-f", "cbm", "-o", str(tmp_path / "s.prg"), str(tmp_path / "s.a")],
                   check=True)
    out = (tmp_path / "s.prg").read_bytes()
    assert prg_with_stub(0x080D, b"\xA9\x01\x60") == out


def test_stub_matches_cc65_exehdr(tmp_path):
    cl65 = need_tool("cl65")
    (tmp_path / "t.s").write_text('.segment "CODE"\n  lda #1\n  rts\n')
    subprocess.run([cl65, "-t", "c64", "-C", "c64-asm.cfg", "-u", "__EXEHDR__",
                    "-o", str(tmp_path / "t.prg"), str(tmp_path / "t.s")], check=True)
    theirs = (tmp_path / "t.prg").read_bytes()
    ours = prg_with_stub(0x080D, b"\xA9\x01\x60")
    # cc65 numbers its line with its version; everything else must be identical.
    assert theirs[:4] + theirs[6:] == ours[:4] + ours[6:]
    assert stub_sys_address(theirs) == 2061


@given(st.integers(0, 0xFFFF), st.integers(0, 63999))
def test_stub_round_trip(addr, line):
    stub = basic_stub(addr, line)
    assert stub_sys_address(b"\x01\x08" + stub) == addr
    assert stub[2] | stub[3] << 8 == line
    link = stub[0] | stub[1] << 8
    assert link == 0x0801 + len(stub) - 2 and stub[-3:] == b"\x00\x00\x00"


def test_stub_with_spaces_and_more_statements():
    line = b"\x9e 4096:\x8f HI"  # SYS 4096:REM HI
    body = b"\x0a\x00 " + line + b"\x00"
    prg = b"\x01\x08" + (0x0803 + len(body)).to_bytes(2, "little") + body + b"\x00\x00"
    assert stub_sys_address(prg) == 4096


@pytest.mark.parametrize("prg, why", [
    (b"", "truncated"), (b"\x01", "truncated"), (b"\x01\x08", "no bytes"),
    (b"\x00\xc0" + b"\x0b\x08\x0a\x00\x9e2061\x00\x00\x00", r"not \$0801"),
    (b"\x01\x08\x00\x00\x00\x00\x00\x00", "empty"),
    (b"\x01\x08\x08\x08\x0a\x00\x99\x32\x00\x00\x00", "not a SYS"),
    (b"\x01\x08\x08\x08\x0a\x00\x9e\x41\x00\x00\x00", "no decimal"),
    (b"\x01\x08\xff\x08\x0a\x00\x9e2061\x00\x00\x00", "outside the file"),
    (b"\x01\x08\x0c\x08\x0a\x00\x9e99999\x00\x00\x00", "above 65535"),
])
def test_bad_stubs(prg, why):
    with pytest.raises(C64mlError, match=why) as e:
        stub_sys_address(prg, "x.prg")
    assert e.value.line().startswith("x.prg: ")


def test_every_truncation_of_a_stub_prg_is_a_clean_error():
    prg = prg_with_stub(0x080D, b"\x60")
    for n in range(len(prg) - 1):  # the last byte is the code; dropping it leaves a stub
        with pytest.raises(C64mlError):
            stub_sys_address(prg[:n])


@settings(max_examples=300)
@given(st.binary(max_size=40))
def test_garbage_stub_only_clean_errors(data):
    try:
        addr = stub_sys_address(b"\x01\x08" + data)
    except C64mlError:
        return
    assert 0 <= addr <= 0xFFFF


def _forbidden(addr: int) -> bool:
    return addr < 0x200 or 0xD000 <= addr <= 0xDFFF or addr >= 0xFFFA


@settings(max_examples=400)
@given(st.integers(0, 0xFFFF), st.integers(1, 600))
def test_load_range_rule(load, size):
    data = bytes(range(256)) * 3
    prg = load.to_bytes(2, "little") + data[:size]
    bad = load + size > 0x10000 or any(_forbidden(a) for a in range(load, load + size))
    if bad:
        with pytest.raises(C64mlError):
            parse_prg(prg, "p.prg")
    else:
        assert parse_prg(prg, "p.prg") == (load, data[:size])
        assert make_prg(load, data[:size]) == prg


def test_edges_of_forbidden_ranges():
    assert parse_prg(b"\x00\x02\x01", "p")[0] == 0x200
    assert parse_prg(b"\xff\xcf\x01", "p")[0] == 0xCFFF
    assert parse_prg(b"\x00\xe0" + bytes(0xFFFA - 0xE000), "p")[0] == 0xE000
    for load, size in ((0x1FF, 1), (0xCFFF, 2), (0xDFFF, 1), (0xE000, 0xFFFB - 0xE000)):
        with pytest.raises(C64mlError, match="would load over"):
            parse_prg(load.to_bytes(2, "little") + bytes(size), "p")
    with pytest.raises(C64mlError, match="run past"):
        parse_prg(b"\x00\xe0" + bytes(0x2001), "p")


def test_prg_with_stub_rejects_overlap_and_bad_entry():
    with pytest.raises(C64mlError, match="overlaps the BASIC stub"):
        prg_with_stub(0x080C, b"\x60")
    with pytest.raises(C64mlError, match="entry"):
        prg_with_stub(0x0810, b"\x60", entry=0x0811)
    # Entry 10000+ needs five digits, so the stub ends one byte later.
    with pytest.raises(C64mlError, match="overlaps"):
        prg_with_stub(0x080D, bytes(0x3000), entry=0x2800)
    assert stub_sys_address(prg_with_stub(0x080E, bytes(0x3000), entry=0x2800)) == 0x2800


def test_vice_labels():
    text = labels_text({"main": 0x080D, "loop": 0x0810, "@local": 0x0811, "9lives": 0xC000,
                        "a-b": 0x1000, "a_b": 0x1001, "zp": 0xFB})
    assert text.splitlines() == [
        "al C:00fb .zp", "al C:080d .main", "al C:0810 .loop", "al C:0811 .@local",
        "al C:1000 .a_b", "al C:1001 .a_b_2", "al C:c000 ._9lives"]
    assert vice_name("x.y?z:1") == "x.y?z:1"
    with pytest.raises(C64mlError):
        labels_text({"big": 0x10000})


@pytest.mark.parametrize("sys_addr", [2061, 4096, 49152])
def test_stub_source_assembles_to_the_stub(sys_addr):
    from c64ml.asm.assembler import assemble
    from c64ml.package.prg import basic_stub, stub_source

    prog = assemble(stub_source(sys_addr))
    assert prog.origin == 0x0801 and prog.data == basic_stub(sys_addr)
