"""The learning demo in the emulated C64, driven by typed keys: the weights after every
sample against the NumPy reference (the program logs them), the plane's shading against
the learned rule, the status lines, and the lesson: AND and OR are learned, XOR is not."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c64ml.demos.learn import (
    COLS,
    DOWN,
    LEFT,
    RIGHT,
    ROWS,
    UP,
    Mirror,
    build_learn,
    check_lesson,
)

CHECKER, BALL, CURSOR = 0x66, 0x51, 0x2B
REGION_COLOUR = {0: 2, 1: 5, 2: 6}
POINT_COLOUR = {0: 10, 1: 13, 2: 14}


@pytest.fixture(scope="module")
def demo():
    return build_learn()


def plane_matches(m, mirror: Mirror) -> None:
    codes, colours = m.screen_codes(), m.colour_ram()
    region = mirror.region()
    points = {}
    for x, label in mirror.points:
        cx, cy = (int(x[0]) - 10) // 6, ROWS - 1 - (int(x[1]) - 14) // 12
        points[(cx, cy)] = label
    for cy in range(ROWS):
        for cx in range(COLS):
            i = cy * COLS + cx
            if (cx, cy) == (mirror.cx, mirror.cy):
                assert (codes[i], colours[i] & 15) == (CURSOR, 1)
            elif (cx, cy) in points:
                assert (codes[i], colours[i] & 15) == (BALL, POINT_COLOUR[points[(cx, cy)]])
            else:
                assert (codes[i], colours[i] & 15) == (CHECKER, REGION_COLOUR[region[cy, cx]]), \
                    (cx, cy)


def status(m) -> list[str]:
    return m.screen_text()[20:25]


@pytest.mark.parametrize("key, gate", [("1", "AND"), ("2", "OR")])
def test_and_and_or_are_learned(demo, key, gate):
    res = check_lesson(demo, key + " ")
    m, mirror = res["machine"], res["mirror"]
    assert res["mismatches"] == 0 and res["samples"] == 40
    assert mirror.errors == 0  # learned within ten epochs
    plane_matches(m, mirror)
    lines = status(m)
    assert lines[0].startswith("EPOCH  10 ERR  0 CYC/SAMPLE")
    w = mirror.w[:, 0]
    assert lines[1].startswith(f"W X{w[0]:4d} Y{w[1]:4d} BIAS{w[2]:4d}  POINTS  4")
    assert lines[2].startswith("NO ERRORS: ONE STRAIGHT LINE SPLITS")


def test_xor_is_not_learned_and_the_screen_says_why(demo):
    res = check_lesson(demo, "3" + " " * 3)
    m, mirror = res["machine"], res["mirror"]
    assert res["mismatches"] == 0 and res["samples"] == 120
    assert min(mirror.errors_per_epoch) >= 1  # never all four right, in any epoch
    plane_matches(m, mirror)
    assert status(m)[2] == "XOR NEVER LEARNED: NO STRAIGHT LINE PUTS"
    assert status(m)[3].startswith("01,10 ON ONE SIDE, 00,11 ON THE OTHER.")


def test_the_scripted_lesson_checks_every_sample(demo):
    res = check_lesson(demo)
    assert res["mismatches"] == 0 and res["samples"] == 174
    plane_matches(res["machine"], res["mirror"])


def test_points_added_by_hand_and_cycles_per_sample(demo):
    keys = DOWN * 3 + RIGHT * 2 + "A" + DOWN * 10 + RIGHT * 30 + "B" + UP + "B" + LEFT + "A" + "L"
    res = check_lesson(demo, keys)
    m, mirror = res["machine"], res["mirror"]
    assert res["mismatches"] == 0 and len(mirror.points) == 4
    plane_matches(m, mirror)
    cycles = int(status(m)[0].split("CYC/SAMPLE")[1])
    assert 900 < cycles < 3000  # lr_sample on 3 rows and 1 unit, timed by CIA2


def test_three_classes(demo):
    """A, B and C in three corners: one score per class, the plane in three colours."""
    keys = (DOWN * 2 + RIGHT * 3 + "A" + RIGHT * 30 + "B" + DOWN * 14 + LEFT * 15 + "C"
            + UP + "C" + LEFT * 10 + UP * 12 + "A" + " ")
    res = check_lesson(demo, keys)
    m, mirror = res["machine"], res["mirror"]
    assert res["mismatches"] == 0 and mirror.w.shape == (3, 3)
    plane_matches(m, mirror)
    assert set(np.unique(mirror.region())) == {0, 1, 2}
    w = mirror.w
    assert status(m)[1].startswith("".join(
        f"{'ABC'[u]}{w[0, u]:4d}{w[1, u]:4d}{w[2, u]:4d}" for u in range(3)))
    assert status(m)[2].startswith("NO ERRORS: STRAIGHT LINES SPLIT THE")
    row = m.screen_codes()[21 * 40:22 * 40]
    assert [row[13 * u] for u in range(3)] == [0x81, 0x82, 0x83]  # A, B, C reversed


def test_no_points_and_quitting(demo):
    r, m = demo.run("L")
    assert r.reason == "idle" and status(m)[2].startswith("NO POINTS YET")
    r, m = demo.run("1 Q")
    assert r.reason == "return" and r.clean_return, r.return_issues
    assert m.screen_text()[0] == "C64ML LEARN DEMO ENDED."


KEYS = st.text(st.sampled_from(list("ABC123NL ") + [UP, DOWN, LEFT, RIGHT]), max_size=60)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(KEYS)
def test_random_typing_agrees_with_the_reference(demo, keys):
    res = check_lesson(demo, keys)
    assert res["reason"] == "idle" and res["mismatches"] == 0
    plane_matches(res["machine"], res["mirror"])
