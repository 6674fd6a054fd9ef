"""Kinds are enums, checked where strings enter (c64ml/spec.py)."""

from __future__ import annotations

import numpy as np
import pytest

from c64ml.backend6502.compiler import build_library
from c64ml.errors import C64mlError
from c64ml.model.qmodel import QLayer, QModel
from c64ml.spec import (
    ACTIVATIONS,
    FLOAT_ACTIVATION,
    OUTPUT_KIND,
    Activation,
    OutputMode,
    Strategy,
    ValueKind,
    layer_strategies,
    parse,
)


def _tiny(activation="relu", output="argmax") -> QModel:
    w = np.array([[1, -2], [3, 4]], dtype=np.int64)
    layer = QLayer(w, np.zeros(2, dtype=np.int64), activation,
                   np.ones(2, dtype=np.int64), np.zeros(2, dtype=np.int64))
    return QModel("tiny", np.zeros(2), np.ones(2), [layer], output)


def test_every_activation_has_a_kind_and_a_float_function():
    assert set(OUTPUT_KIND) == set(Activation) == set(FLOAT_ACTIVATION)
    assert ACTIVATIONS == tuple(Activation)


def test_strings_become_enums_when_a_model_is_made():
    m = _tiny("relu", "scores")
    assert m.layers[0].activation is Activation.RELU
    assert m.output is OutputMode.SCORES
    assert m.layers[0].out_kind is ValueKind.U8


@pytest.mark.parametrize("bad", ["Relu", "relu ", "softmax", ""])
def test_unknown_activation_is_one_line_naming_the_choices(bad):
    with pytest.raises(C64mlError) as e:
        _tiny(bad)
    assert "\n" not in e.value.line()
    assert repr(bad) in e.value.message and "hardtanh" in e.value.message


def test_a_misspelt_strategy_fails_at_the_boundary_not_in_the_assembler():
    with pytest.raises(C64mlError, match=r"strategy 'unroled' is not one of: loop, unrolled"):
        build_library(_tiny(), strategies=["unroled"])


def test_strategy_list_length_is_checked():
    with pytest.raises(C64mlError, match="2 strategies given for 1 layers"):
        layer_strategies(["loop", "loop"], 1)
    assert layer_strategies(None, 3) == [Strategy.LOOP] * 3
    assert layer_strategies(["unrolled"], 1) == [Strategy.UNROLLED]


def test_parse_accepts_members_and_values():
    assert parse(Strategy, Strategy.LOOP) is Strategy.LOOP
    assert parse(OutputMode, "argmax") is OutputMode.ARGMAX
