"""The hello-world example, assembled and run in the emulated C64."""

from __future__ import annotations

from pathlib import Path

HELLO = Path(__file__).resolve().parent.parent / "examples" / "hello" / "hello.s"


def test_hello_prints_and_returns(c64_run):
    result, screen = c64_run(HELLO)
    assert screen == ["HELLO, WORLD!", "C64ML SAYS HI"]
    assert result.reason == "return"
    assert result.kernal_calls == 28  # one CHROUT per character


def test_hello_same_on_ntsc_without_irq(c64_run):
    result, screen = c64_run(HELLO, system="ntsc", irq=False)
    assert screen[:2] == ["HELLO, WORLD!", "C64ML SAYS HI"] and result.irq_cycles == 0


def test_fixture_accepts_prg_bytes(c64_run):
    # lda #$08 ; sta $0400 ; rts  -> an 'H' in the top-left corner
    result, screen = c64_run(b"\x00\xc0\xa9\x08\x8d\x00\x04\x60")
    assert screen == ["H"] and result.cycles == 2 + 4 + 6
