"""The fruit colours demo in the emulated C64: typed colours, bad input, quitting."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c64ml.demos.builders import build_fruit, run_demo
from c64ml.exec import reference

DEL = "\x14"
TITLE = ["C64ML FRUIT COLOURS", "", "TYPE RED, GREEN AND BLUE, EACH 0-255,",
         "AND RETURN. DEL CORRECTS, Q QUITS."]


@pytest.fixture(scope="module")
def demo():
    return build_fruit()


def expected(model, rgb) -> tuple[list[int], str]:
    """Input bytes by docs/semantics.md §1 on the ratios (doubles), and the class name."""
    x = np.array([rgb], dtype=np.float64) / float(sum(rgb))
    q = model.input_bytes(x)
    return [int(v) for v in q[0]], model.classes[int(reference.predict(model, q)[0])].upper()


def shown(lines: list[str]) -> tuple[list[int], str]:
    text = "\n".join(lines)
    m = re.search(r"INPUT BYTES \(RATIOS\): (\d+) (\d+) (\d+)", text)
    n = re.search(r"IT IS: (\w+)", text)
    assert m and n, text
    return [int(v) for v in m.groups()], n.group(1)


@pytest.mark.parametrize("rgb", [(255, 0, 0), (255, 200, 0), (250, 120, 10), (1, 0, 0),
                                 (255, 255, 255), (0, 0, 7), (80, 200, 40)])
def test_typed_colour_names_the_reference_fruit(demo, rgb):
    r, m = run_demo(demo, "".join(f"{v}\r" for v in rgb))
    assert r.reason == "idle"
    assert shown(m.screen_text()) == expected(demo.model, rgb)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.tuples(*[st.integers(0, 255)] * 3).filter(lambda t: sum(t) > 0))
def test_random_colours(demo, rgb):
    r, m = run_demo(demo, "".join(f"{v}\r" for v in rgb))
    assert shown(m.screen_text()) == expected(demo.model, rgb)


@pytest.mark.parametrize("keys, message", [
    ("abc", "TYPE DIGITS 0-9 (DEL, RETURN)"),        # letters are refused
    ("12x", "TYPE DIGITS 0-9 (DEL, RETURN)"),
    ("2555", "TYPE DIGITS 0-9 (DEL, RETURN)"),       # a fourth digit is refused
    ("\r", "TYPE A NUMBER FROM 0 TO 255"),           # empty
    ("300\r", "TOO BIG: 0 TO 255 ONLY"),
    ("999\r", "TOO BIG: 0 TO 255 ONLY"),
    ("0\r0\r0\r", "R+G+B IS 0, NO COLOUR: AGAIN"),
])
def test_bad_input_gets_a_message_and_the_screen_stays_intact(demo, keys, message):
    r, m = run_demo(demo, keys)
    assert r.reason == "idle"
    lines = m.screen_text()
    assert lines[:4] == TITLE
    assert lines[12] == message
    assert lines[5].startswith("RED   ?")  # no scrolling: the prompts stay where they were
    assert all(not line for line in lines[8:12] + lines[13:])
    assert sum(line.startswith("RED") for line in lines) == 1


def test_long_input_and_del(demo):
    keys = "9" * 40 + DEL * 4 + "1" + DEL + "26" + DEL + "55\r" + "abc100\r" + "0\r"
    r, m = run_demo(demo, keys)
    lines = m.screen_text()
    assert lines[:4] == TITLE
    assert lines[5:8] == ["RED   ? 255", "GREEN ? 100", "BLUE  ? 0"]
    assert shown(lines) == expected(demo.model, (255, 100, 0))


def test_bad_value_then_good_one(demo):
    r, m = run_demo(demo, "256\r\r255\r0\r0\r")
    assert shown(m.screen_text()) == expected(demo.model, (255, 0, 0))


@pytest.mark.parametrize("keys", ["q", "12q", "255\r7\r3\r" + "q", "\x03"])
def test_quit_returns_to_basic_cleanly(demo, keys):
    r, m = run_demo(demo, keys)
    assert r.reason == "return" and r.clean_return, r.return_issues
    assert m.screen_text()[0] == "C64ML FRUIT DEMO ENDED."
