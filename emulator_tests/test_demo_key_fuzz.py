"""Random typing never crashes a demo: every run ends waiting for keys (or back in BASIC on
Q), with one of the demo's own screens showing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c64ml.demos.builders import build_digits, build_fruit, run_demo

KEYS = st.text(st.sampled_from(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ ,.-+*@/\r")
                               + ["\x14", "\x11", "\x91", "\x1d", "\x9d", "\x93"]),
               max_size=80)
TITLES = {"digits": ("C64ML DIGITS DEMO", "DIGITS SLIDESHOW", "DRAW A DIGIT"),
          "fruit": ("C64ML FRUIT COLOURS",)}


@pytest.fixture(scope="module")
def demos():
    return {"digits": build_digits(), "fruit": build_fruit()}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(TITLES)), KEYS)
def test_random_keys_keep_the_demo_alive(demos, name, keys):
    r, m = run_demo(demos[name], keys)
    if r.reason == "return":  # Q (or RUN/STOP) quits cleanly
        assert r.clean_return, r.return_issues
        return
    assert r.reason == "idle"
    assert m.screen_text()[0].strip() in TITLES[name]
