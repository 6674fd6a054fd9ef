"""The machine's public API (c64ml/machine/__init__.py, docs/harness.md): what it exports is
documented and typed; read() and on_chrout() behave as documented."""

from __future__ import annotations

import inspect

import pytest

import c64ml.machine as machine
from c64ml.machine import C64, C64Error, assemble_prg, trim_screen


def test_every_export_is_documented_and_typed():
    for name in machine.__all__:
        obj = getattr(machine, name)
        if name == "SYSTEMS":
            assert set(obj) == {"pal", "ntsc"}
            continue
        assert inspect.getdoc(obj), name
        if inspect.isfunction(obj):
            sig = inspect.signature(obj)
            assert sig.return_annotation is not inspect.Signature.empty, name
            assert all(p.annotation is not inspect.Parameter.empty
                       for p in sig.parameters.values()), name


def test_every_public_method_of_c64_is_documented_and_typed():
    for name, member in vars(C64).items():
        if name.startswith("_") and name != "__init__":
            continue
        func = member.fget if isinstance(member, property) else member
        if not callable(func):
            continue
        assert inspect.getdoc(func) or name == "__init__", name
        sig = inspect.signature(func)
        assert sig.return_annotation is not inspect.Signature.empty, name
        assert all(p.annotation is not inspect.Parameter.empty
                   for p in list(sig.parameters.values())[1:]), name


def test_read_returns_ram_and_refuses_addresses_outside_64k():
    m = C64()
    m.load(0xFFFE, b"\x12\x34")
    assert m.read(0xFFFE, 2) == b"\x12\x34" and m.read(0xFFFF) == b"\x34"
    assert m.read(0x1234, 0) == b""
    for addr, n in ((0xFFFF, 2), (-1, 1), (0x10000, 1), (0, -1)):
        with pytest.raises(C64Error):
            m.read(addr, n)


def test_chrout_listeners_see_every_byte_even_when_the_screen_scrolls():
    lines = [f"LINE {i}" for i in range(30)]
    src = ("        .org $C000\n        ldx #0\nnext:   lda text,x\n        beq done\n"
           "        jsr $FFD2\n        inx\n        bne next\ndone:   rts\ntext:\n"
           + "".join(f'        .byte "{line}", 13\n' for line in lines) + "        .byte 0\n")
    seen: list[int] = []
    also: list[int] = []
    m = C64(irq=False)
    m.on_chrout(seen.append)
    m.on_chrout(also.append)
    r = m.run_program(assemble_prg(src))
    assert r.reason == "return"
    assert bytes(seen) == bytes(also) == "".join(f"{line}\r" for line in lines).encode()
    assert trim_screen(m.screen_text())[-1] == "LINE 29"
    assert "LINE 0" not in m.screen_text()
