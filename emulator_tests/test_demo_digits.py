"""The digits demo in the emulated C64: slideshow, drawing pad, menu and quitting."""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest

from c64ml.demos.builders import DIGITS_SAMPLES, build_digits, run_demo
from c64ml.exec import reference
from c64ml.verify.harness import run_build

DOWN, UP, RIGHT, LEFT = "\x11", "\x91", "\x1d", "\x9d"
SHADE_CODES = (0x20, 0x66, 0xA0, 0xA0)  # the slideshow's characters for byte // 64


@pytest.fixture(scope="module")
def demo():
    return build_digits()


def _field(lines: list[str], pattern: str) -> re.Match:
    for line in lines:
        m = re.search(pattern, line)
        if m:
            return m
    raise AssertionError(f"{pattern!r} not on the screen:\n" + "\n".join(lines))


def test_slideshow_matches_reference(demo):
    model, data = demo.model, demo.data
    q = model.input_bytes(data.x[:5])
    pred = reference.predict(model, q)
    harness = run_build(demo, q).cycles  # the same routine, called from Python
    right = 0
    for k in range(5):
        r, m = run_demo(demo, "1" + " " * k)
        assert r.reason == "idle"
        lines = m.screen_text()
        assert lines[0] == "DIGITS SLIDESHOW"
        assert _field(lines, r"DIGIT (\d+)/(\d+)").groups() == (str(k + 1), str(DIGITS_SAMPLES))
        assert int(_field(lines, r"C64 SAYS (\d+)").group(1)) == pred[k]
        assert int(_field(lines, r"TRUE +(\d+)").group(1)) == data.y[k]
        right += int(pred[k] == data.y[k])
        assert _field(lines, r"RIGHT (\d+)/(\d+)").groups() == (str(right), str(k + 1))
        cycles = int(_field(lines, r"CYCLES (\d+)").group(1))
        # the CIA figure includes any KERNAL interrupt that hit (about 330 cycles each)
        assert harness[k] <= cycles <= harness[k] + 3 * 400
        # ms on PAL with one decimal, rounded half up: cycles / 985.248
        tenths = Fraction(cycles * 10_000, 985_248) + Fraction(1, 2)
        ms = tenths.numerator // tenths.denominator
        assert _field(lines, r"TIME (\d+)\.(\d) MS PAL").groups() == (str(ms // 10),
                                                                       str(ms % 10))
        codes = m.screen_codes()
        for row in range(8):
            for col in range(8):
                want = SHADE_CODES[q[k, row * 8 + col] // 64]
                at = (2 + row) * 40 + 2 + 2 * col
                assert codes[at] == codes[at + 1] == want, (k, row, col)


def _grid_after(keys: str) -> np.ndarray:
    grid = np.zeros((8, 8), dtype=np.uint8)
    r = c = 0
    for key in keys:
        if key == DOWN:
            r = (r + 1) % 8
        elif key == UP:
            r = (r - 1) % 8
        elif key == RIGHT:
            c = (c + 1) % 8
        elif key == LEFT:
            c = (c - 1) % 8
        elif key == " ":
            grid[r, c] ^= 255
    return grid.reshape(1, 64)


@pytest.mark.parametrize("strokes", [
    RIGHT * 3 + (" " + DOWN) * 7 + " ",                        # a one in column 3
    UP + LEFT + " " + LEFT + " " + RIGHT * 3 + " " + DOWN * 3 + " " * 3,  # wrap-around, erase
])
def test_drawing_pad_classifies_like_reference(demo, strokes):
    r, m = run_demo(demo, "2" + strokes + "\r")
    assert r.reason == "idle"
    lines = m.screen_text()
    q = _grid_after(strokes)
    assert int(_field(lines, r"IT IS A (\d)").group(1)) == reference.predict(demo.model, q)[0]
    scores = reference.output_bytes(demo.model, q)[0, :10].astype(np.int8).astype(int)
    order = sorted(range(10), key=lambda i: (-scores[i], i))[:3]
    shown = re.findall(r"(\d)\. DIGIT (\d)  SCORE (-?\d+)", "\n".join(lines))
    assert shown == [(str(n + 1), str(d), str(scores[d])) for n, d in enumerate(order)]
    codes = m.screen_codes()
    for row in range(8):  # painted pixels are blocks, the others dots or the cursor
        for col in range(8):
            at = (2 + row) * 40 + 2 + 2 * col
            assert (codes[at] == 0xA0) == bool(q[0, row * 8 + col]), (row, col)


def test_menu_bad_keys_and_quit(demo):
    r, m = run_demo(demo, "x9\r")
    assert r.reason == "idle" and m.screen_text()[0] == "C64ML DIGITS DEMO"
    for keys in ("q", "1 " + "m" + "2" + RIGHT + " m" + "q", "2" + "\r" + "q", "1q"):
        r, m = run_demo(demo, keys)
        assert r.reason == "return", keys
        assert r.clean_return, (keys, r.return_issues)
        assert m.screen_text()[0] == "C64ML DIGITS DEMO ENDED."


def test_slideshow_wraps_after_the_last_sample():
    small = build_digits(samples=2)
    r, m = run_demo(small, "1" + " " * 2)
    assert _field(m.screen_text(), r"DIGIT (\d+)/(\d+)").groups() == ("1", "2")
    assert _field(m.screen_text(), r"RIGHT (\d+)/1").group(1) in ("0", "1")
