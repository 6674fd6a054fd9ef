"""KERNAL entry points: register contracts of CHROUT, GETIN and PLOT, idle detection."""

from __future__ import annotations

import pytest

from c64ml.machine.c64 import C64
from c64ml.machine.kernal import CYCLES

RTS = 0x60


def run(code, keys="", irq=False, **kw):
    m = C64(irq=irq)
    m.load(0xC000, bytes(code))
    m.keys(keys)
    return m, m.call(0xC000, **kw)


@pytest.mark.parametrize("a", [0x41, 0x0D, 0x93, 0x12, 0x00, 0xFF])
def test_chrout_preserves_registers_clears_carry_and_i(a):
    code = [0x78, 0x38, 0xA9, a, 0xA2, 0x12, 0xA0, 0x34, 0x20, 0xD2, 0xFF, RTS]
    m, r = run(code)
    assert (r.a, r.x, r.y) == (a, 0x12, 0x34)
    assert r.p & 0x01 == 0 and r.p & 0x04 == 0
    assert r.kernal_calls == 1 and r.kernal_cycles >= CYCLES["chrout"]
    assert r.cycles == 2 + 2 + 2 + 2 + 2 + 6 + 6     # JSR counted, routine not


def test_chrout_prints_and_sets_cursor_variables():
    code = []
    for ch in b"HI\rYO":
        code += [0xA9, ch, 0x20, 0xD2, 0xFF]
    m, r = run(code + [RTS])
    assert m.screen_text()[:2] == ["HI", "YO"]
    assert (m.ram[0xD6], m.ram[0xD3]) == (1, 2)
    assert m.ram[0xD1] | m.ram[0xD2] << 8 == 0x0428


def test_plot_set_then_read():
    code = [0x18, 0xA2, 5, 0xA0, 10, 0x20, 0xF0, 0xFF,     # CLC ; X=row 5 ; Y=col 10
            0xA9, 0x41, 0x20, 0xD2, 0xFF,                    # print A
            0x38, 0xA2, 0, 0xA0, 0, 0x20, 0xF0, 0xFF, RTS]   # SEC: read back
    m, r = run(code)
    assert (r.x, r.y) == (5, 11)
    assert m.screen_codes()[5 * 40 + 10] == 0x01
    assert m.screen_text()[5] == " " * 10 + "A"


def test_plot_preserves_a():
    m, r = run([0x38, 0xA9, 0x99, 0x20, 0xF0, 0xFF, RTS])
    assert r.a == 0x99 and (r.x, r.y) == (0, 0)


def test_getin_returns_keys_then_zero():
    code = [0x20, 0xE4, 0xFF, 0x85, 0x02, 0x20, 0xE4, 0xFF, 0x85, 0x03,
            0xA2, 0x77, 0xA0, 0x66, 0x20, 0xE4, 0xFF, RTS]
    m, r = run(code, keys="ab")
    assert (m.ram[2], m.ram[3]) == (0x41, 0x42)
    assert r.a == 0 and r.p & 0x02 and (r.x, r.y) == (0x77, 0x66)   # empty: X, Y kept
    assert r.p & 0x01 == 0


def test_getin_with_key_sets_y_and_flags():
    m, r = run([0x78, 0x20, 0xE4, 0xFF, RTS], keys=bytes([0x91, 0x41]))
    assert r.a == 0x91 == r.y and r.x == 2 and r.p & 0x80 and r.p & 0x04 == 0


def test_idle_program_waiting_for_keys_stops():
    code = [0x20, 0xE4, 0xFF, 0xF0, 0xFB, RTS]            # loop: JSR GETIN ; BEQ loop
    m, r = run(code)
    assert r.reason == "idle" and r.kernal_calls == 2001
    m, r = run(code, keys="x")
    assert r.reason == "return" and r.a == ord("X")


def test_keys_newline_is_return():
    m = C64()
    m.keys("a\n")
    assert list(m.key_queue) == [0x41, 0x0D]


def test_screen_scrolls_through_chrout():
    code = []
    for i in range(27):
        for ch in f"LINE {i}\r".encode():
            code += [0xA9, ch, 0x20, 0xD2, 0xFF]
    m = C64(irq=False)
    m.load(0x1000, bytes(code + [RTS]))
    r = m.call(0x1000)
    text = m.screen_text()
    assert text[0] == "LINE 3" and text[23] == "LINE 26" and text[24] == ""
    chars = 10 * 7 + 17 * 8                               # "LINE 0\r" .. "LINE 26\r"
    assert r.kernal_calls == chars
    assert r.kernal_cycles == chars * CYCLES["chrout"] + 3 * CYCLES["chrout_scroll"]


def test_chrout_and_poke_share_the_screen():
    code = [0xA9, 0x08, 0x8D, 0x00, 0x04,                  # POKE 1024,8 ("H")
            0xA9, 0x1D, 0x20, 0xD2, 0xFF,                  # cursor right
            0xA9, 0x49, 0x20, 0xD2, 0xFF, RTS]             # print I
    m, r = run(code)
    assert m.screen_text()[0] == "HI"
