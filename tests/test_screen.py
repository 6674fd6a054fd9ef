"""The 40x25 screen model: PETSCII mapping, cursor movement, control codes, readout."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from c64ml.machine.screen import (
    COLOR,
    SCREEN,
    Screen,
    petscii_to_screen,
    screen_to_char,
)


def new() -> Screen:
    ram = bytearray(0x10000)
    ram[COLOR] = 14
    s = Screen(ram, bytearray(1024))
    s.clear()
    return s


def out(s: Screen, text: bytes | str) -> None:
    for c in (text.encode("latin-1") if isinstance(text, str) else text):
        s.chrout(c)


def test_petscii_to_screen_all_256():
    expect = {}
    for c in range(256):
        if c < 0x20 or 0x80 <= c < 0xA0:
            expect[c] = None
    for c in range(0x20, 0x40):
        expect[c] = c
    for c in range(0x40, 0x60):
        expect[c] = c - 0x40
    for c in range(0x60, 0x80):
        expect[c] = c - 0x20
    for c in range(0xA0, 0xC0):
        expect[c] = c - 0x40
    for c in range(0xC0, 0xFF):
        expect[c] = c - 0x80
    expect[0xFF] = 0x5E
    assert {c: petscii_to_screen(c) for c in range(256)} == expect
    # spot checks against the character set
    assert [petscii_to_screen(ord(c)) for c in "@AZ 09"] == [0, 1, 26, 32, 48, 57]


def test_screen_to_char():
    assert screen_to_char(1) == "A" and screen_to_char(0x81) == "A"
    assert screen_to_char(1, lowercase=True) == "a"
    assert screen_to_char(0x41, lowercase=True) == "A"
    assert screen_to_char(0x41) == "#"  # graphics in the upper-case set


def test_wrap_and_scroll():
    s = new()
    out(s, "X" * 40)
    assert (s.row, s.col) == (1, 0)
    s.plot(24, 39)
    out(s, "Y")
    assert s.scrolls == 1 and (s.row, s.col) == (24, 0)
    assert s.text()[0] == ""  and s.text()[23].endswith("Y")


def test_home_clear_and_cursor_keys():
    s = new()
    out(s, "AB")
    out(s, bytes([19]))
    assert (s.row, s.col) == (0, 0)
    out(s, bytes([17, 17, 29, 145, 157]))
    assert (s.row, s.col) == (1, 0)
    out(s, bytes([157]))
    assert (s.row, s.col) == (0, 39)
    out(s, bytes([145]))
    assert s.row == 0
    out(s, bytes([147]))
    assert s.text() == [""] * 25 and (s.row, s.col) == (0, 0)


def test_reverse_and_return_turns_it_off():
    s = new()
    out(s, bytes([18]) + b"A\rA")
    assert s.codes()[0] == 0x81 and s.codes()[40] == 0x01


def test_colour_codes_set_colour_ram():
    s = new()
    out(s, bytes([28]) + b"R" + bytes([5]) + b"W")
    assert s.colour[0] == 2 and s.colour[1] == 1 and s.ram[COLOR] == 1


def test_delete_and_insert():
    s = new()
    out(s, "ABC" + chr(157) + chr(20))      # left, delete: removes B
    assert s.text()[0] == "AC" and s.col == 1
    out(s, chr(148))
    assert s.text()[0] == "A C"


def test_quote_mode_shows_controls_reversed():
    s = new()
    out(s, '"' + chr(147) + chr(19) + '"' + chr(19))
    # CLR shows as a reversed heart ($53), HOME as a reversed S ($13)
    assert s.codes()[:4] == bytes([0x22, 0xD3, 0x93, 0x22]) and (s.row, s.col) == (0, 0)


def test_case_switch_recorded():
    s = new()
    out(s, bytes([14]) + b"A")
    assert s.lowercase and s.text()[0] == "a"
    out(s, bytes([142]))
    assert not s.lowercase


@given(st.binary(max_size=300))
def test_any_output_keeps_cursor_on_screen(data):
    s = new()
    out(s, data)
    assert 0 <= s.row < 25 and 0 <= s.col < 40
    assert len(s.text()) == 25 and all(len(line) <= 40 for line in s.text())
    assert all(b < 256 for b in s.ram[SCREEN:SCREEN + 1000])
