"""Golden values worked out by hand from docs/semantics.md, checked on BOTH executors.

Every expected value below is derived in the comments next to it; none is computed by the
code under test. "§n" refers to the section of docs/semantics.md.
"""

from __future__ import annotations

import numpy as np
import pytest

from c64ml.exec import reference
from c64ml.exec.jit import compile_qmodel
from c64ml.model.qmodel import QLayer, QModel


def layer(W, B, act, M=None, S=None, table=None) -> QLayer:
    a = lambda v: None if v is None else np.array(v, dtype=np.int64)  # noqa: E731
    return QLayer(a(W), a(B), act, a(M), a(S), a(table))


def model(*layers: QLayer, output: str = "scores", lo=0.0, hi=1.0) -> QModel:
    n = layers[0].n_in
    m = QModel("golden", np.full(n, float(lo)), np.full(n, float(hi)), list(layers), output)
    m.validate()
    return m


def outputs(m: QModel, q) -> list[list[int]]:
    """Output bytes from both executors; fails unless they agree, returns them as lists."""
    q = np.array(q, dtype=np.uint8).reshape(-1, m.inputs)
    ref = reference.output_bytes(m, q)
    jit = compile_qmodel(m).output_bytes(q)
    assert ref.dtype == jit.dtype == np.uint8
    assert ref.tolist() == jit.tolist(), "reference and JIT disagree"
    return ref.tolist()


def classes(m: QModel, q) -> list[int]:
    q = np.array(q, dtype=np.uint8).reshape(-1, m.inputs)
    ref = reference.predict(m, q).tolist()
    assert compile_qmodel(m).predict(q).tolist() == ref, "reference and JIT disagree"
    return ref


def bias_only(act: str, biases, M=1, S=0, table=None, output="scores") -> QModel:
    """One u8 input with weight 0, so acc[j] = B[j] for every input byte (§3)."""
    n = len(biases)
    rq = act not in ("step", "sign")
    return model(layer([[0] * n], biases, act, [M] * n if rq else None, [S] * n if rq else None,
                       table), output=output)


# -- §8 worked example ---------------------------------------------------------------------------

def test_worked_example_of_section_8():
    m = model(layer([[3, -2], [-1, 5]], [10, -7], "relu", [200, 129], [9, 8]), output="argmax")
    # acc = [10 + 300 - 37, -7 - 200 + 185] = [273, -22]
    # r[0] = floor((54600 + 256) / 512) = floor(107.14) = 107
    # r[1] = floor((-2838 + 128) / 256) = floor(-10.59) = -11 -> relu 0
    assert outputs(m, [100, 37]) == [[107, 0, 0]]


# -- §4 requantization ---------------------------------------------------------------------------

@pytest.mark.parametrize("B, M, S, r", [
    (5, 1, 1, 3),      # acc·M = 5 = 2.5·2^1:   floor((5 + 1) / 2)   = 3   (half up)
    (-5, 1, 1, -2),    # acc·M = −5 = −2.5·2:   floor((−5 + 1) / 2)  = −2  (half toward +inf)
    (20, 1, 3, 3),     # 20 = 2.5·8:            floor((20 + 4) / 8)  = 3
    (-20, 1, 3, -2),   # −20 = −2.5·8:          floor((−16) / 8)     = −2
    (-28, 1, 3, -3),   # −28 = −3.5·8:          floor((−24) / 8)     = −3
    (-19, 1, 3, -2),   # −2.375·8:              floor((−15) / 8)     = −2
    (-21, 1, 3, -3),   # −2.625·8:              floor((−17) / 8)     = −3
    (-7, 3, 3, -3),    # −21 = −2.625·8:        floor((−21 + 4) / 8) = −3
    (7, 3, 0, 21),     # shift 0: R = 0, r = 7·3 = 21
    (-50, 2, 0, -100),  # shift 0: r = −100
    (13, 11, 24, 0),   # (143 + 2^23) / 2^24 is in (0, 1)    -> 0
    (-4194304, 2, 24, 0),   # acc·M = −2^23 = −0.5·2^24: (−2^23 + 2^23) / 2^24 = 0 -> 0
    (-4194305, 2, 24, -1),  # acc·M = −2^23 − 2: (−2) / 2^24                  -> −1
    (-8388607, 2, 24, -1),  # (−16777214 + 8388608) / 2^24 = −0.49999988      -> −1
    (-8388607, 1, 24, 0),   # (−8388607 + 8388608) / 2^24 = 1 / 2^24          -> 0
])
def test_requantize_rounding(B, M, S, r):
    m = bias_only("linear", [B], M, S)
    assert outputs(m, [0]) == [[r % 256]]  # §7: s8 as two's complement


@pytest.mark.parametrize("B, S", [(8000000, 0), (-8000000, 0), (12345, 7), (-1, 24), (1, 1)])
def test_multiplier_zero_gives_zero(B, S):
    # M = 0: acc·M + R = R = 2^(S−1) (or 0), and floor(2^(S−1) / 2^S) = floor(1/2) = 0
    for act in ("linear", "relu", "hardtanh"):
        assert outputs(bias_only(act, [B], 0, S), [0]) == [[0]]


def test_accumulator_at_the_24_bit_bound():
    # one u8 input, W = 127: Σ|w|·255 = 32385, so the bias may reach 8388607 − 32385 = 8356222.
    # q = 255: acc = 8356222 + 127·255 = 8388607 = 2^23 − 1.  M = 255, S = 24:
    # acc·M + R = 2139094785 + 8388608 = 2147483393 = 2^31 − 255  -> floor(/2^24) = 127
    top = model(layer([[127]], [8356222], "linear", [255], [24]))
    assert outputs(top, [255]) == [[127]]
    # mirror: W = −127, B = −8356222, q = 255: acc = −8388607,
    # acc·M + R = −2139094785 + 8388608 = −2130706177 = −127·2^24 + 255 -> floor = −127 = 0x81
    bottom = model(layer([[-127]], [-8356222], "linear", [255], [24]))
    assert outputs(bottom, [255]) == [[129]]
    # q = 0: acc = ∓8356222; ±8356222·255 + 2^23 over 2^24 = ±127.008.. + 0.5 -> 127 and −127
    # (8356222·255 = 2130836610; +8388608 = 2139225218; /16777216 = 127.5078 -> 127;
    #  −2130836610 + 8388608 = −2122448002; /16777216 = −126.5078 -> floor −127)
    assert outputs(top, [0]) == [[127]]
    assert outputs(bottom, [0]) == [[129]]


def test_accumulator_at_the_32_bit_bound():
    # one u8 input, W = 127: the bias may reach 2147483647 − 32385 = 2147451262.
    # q = 255: acc = 2^31 − 1.  M = 255, S = 24: 2147483647·255 = 547608329985;
    # + 8388608 = 547616718593; / 16777216 = 32640.4.. -> 32640, clamped to 127 (linear)
    top = model(layer([[127]], [2147451262], "linear", [255], [24]))
    assert outputs(top, [255]) == [[127]]
    # M = 1, S = 24: (2^31 − 1 + 2^23) / 2^24 = 128.49.. -> 128 -> relu keeps 128
    relu = model(layer([[127]], [2147451262], "relu", [1], [24]))
    assert outputs(relu, [255]) == [[128]]
    # mirror: acc = −(2^31 − 1), M = 1, S = 24: (−2147483647 + 8388608) / 2^24 = −127.49..
    # -> floor −128 -> linear −128 = 0x80
    bottom = model(layer([[-127]], [-2147451262], "linear", [1], [24]))
    assert outputs(bottom, [255]) == [[128]]


def tflite_layer(W, B, M, n, zp, clamp) -> QLayer:
    a = lambda v: np.array(v, dtype=np.int64)  # noqa: E731
    L = QLayer(a(W), a(B), "linear", a(M), a(n), requant="tflite")
    L.zero_point, L.clamp = zp, clamp
    return L


def test_worked_tflite_example_of_section_8():
    # acc = −1000 (one u8 input 0, bias −1000): semantics §8 works it out to y = −108 = 148
    m = model(tflite_layer([[5]], [-1000], [1518500250], [-3], -20, (-128, 127)))
    assert outputs(m, [0]) == [[148]]
    # input 200: acc = −1000 + 1000 = 0: p = 0, N = 2^30, h = 0, r = 0, y = −20 = 236
    assert outputs(m, [200]) == [[236]]


@pytest.mark.parametrize("acc, n, want", [
    # M = 2^30 (one half): h = round-ties-up(acc / 2), then the rounding shift by rs
    (-1, 0, 0),     # p = −2^30: (−2^30 + 1 − 2^30) / 2^31 = −0.99.. -> toward zero: 0
    (1, 0, 1),      # (2^30 + 2^30) / 2^31 = 1
    (-3, 0, -1),    # (−3·2^30 + 1 − 2^30)/2^31 = −1.99.. -> −1 (−1.5 rounds up to −1)
    (3, 0, 2),      # (3·2^30 + 2^30)/2^31 = 2 (1.5 rounds up to 2)
    (-4, -2, -1),   # h = −2; −2/4 = −0.5 -> away from zero: −1
    (4, -2, 1),     # h = 2; 2/4 = 0.5 -> 1
    (-12, -3, -1),  # h = −6; −6/8 = −0.75 -> −1
    (-4, -3, 0),    # h = −2; −2/8 = −0.25 -> 0
    (5, 1, 5),      # left shift: a = 10, h = (10·2^30 + 2^30)/2^31 = 5.5 -> 5
    (-5, 1, -5),    # a = −10: (−10·2^30 + 1 − 2^30)/2^31 = −5.49.. -> −5
])
def test_tflite_double_rounding(acc, n, want):
    # one u8 input 0, bias acc, zero point 0, full clamp: y = r
    m = model(tflite_layer([[1]], [acc], [1 << 30], [n], 0, (-128, 127)))
    assert outputs(m, [0]) == [[want % 256]]


def test_tflite_zero_point_and_clamp():
    # acc = 100, M = 2^30, n = 0: r = 50; + zp 30 = 80; clamp [−5, 60] -> 60
    m = model(tflite_layer([[1]], [100], [1 << 30], [0], 30, (-5, 60)))
    assert outputs(m, [0]) == [[60]]
    # acc = −100: r = −50; + 30 = −20 -> clamp −5 = 251
    m = model(tflite_layer([[1]], [-100], [1 << 30], [0], 30, (-5, 60)))
    assert outputs(m, [0]) == [[251]]


# -- §5 activations ------------------------------------------------------------------------------

@pytest.mark.parametrize("act, r, y", [
    ("linear", 127, 127), ("linear", 128, 127), ("linear", 200, 127),
    ("linear", -128, -128), ("linear", -129, -128), ("linear", -5000, -128),
    ("relu", 0, 0), ("relu", -1, 0), ("relu", -300, 0),
    ("relu", 255, 255), ("relu", 256, 255), ("relu", 70000, 255),
    ("hardtanh", 127, 127), ("hardtanh", 128, 127), ("hardtanh", 999, 127),
    ("hardtanh", -127, -127), ("hardtanh", -128, -127), ("hardtanh", -999, -127),
])
def test_saturation_at_each_clamp_end(act, r, y):
    # M = 1, S = 0: r = acc = B
    assert outputs(bias_only(act, [r]), [0]) == [[y % 256]]


@pytest.mark.parametrize("acc, step, sign", [(0, 1, 1), (1, 1, 1), (-1, 0, -1),
                                             (8388607, 1, 1), (-8388607, 0, -1)])
def test_step_and_sign_around_zero(acc, step, sign):
    assert outputs(bias_only("step", [acc]), [7]) == [[step]]
    assert outputs(bias_only("sign", [acc]), [7]) == [[sign % 256]]  # −1 -> 0xFF


IDENTITY_SIGMOID = list(range(256))            # table[i] = i: y = clamp(r) + 128
REVERSED_TANH = [127 - i for i in range(256)]  # table[i] = 127 − i: y = −1 − clamp(r)


@pytest.mark.parametrize("r, index", [(-128, 0), (-129, 0), (-100000, 0), (127, 255), (128, 255),
                                      (100000, 255), (0, 128), (-1, 127)])
def test_table_lookup_at_index_ends(r, index):
    sig = bias_only("sigmoid", [r], table=IDENTITY_SIGMOID)
    assert outputs(sig, [0]) == [[index]]
    tanh = bias_only("tanh", [r], table=REVERSED_TANH)
    assert outputs(tanh, [0]) == [[(127 - index) % 256]]


# -- §2 kinds: s8 values feeding the next layer --------------------------------------------------

def test_linear_output_is_sign_extended_in_the_next_layer():
    first = layer([[0, 0]], [-100, 50], "linear", [1, 1], [0, 0])   # y = [−100, 50]
    second = layer([[1], [2]], [3], "linear", [1], [0])
    # acc = 3 + (−100)·1 + 50·2 = 3   (zero-extending −100 as 156 would give 259 -> 127)
    assert outputs(model(first, second), [0]) == [[3]]


def test_tanh_output_minus_128_feeds_the_next_layer():
    first = layer([[0]], [-128], "tanh", [1], [0], [i - 128 for i in range(256)])  # y = −128
    second = layer([[-1]], [0], "relu", [1], [0])
    # acc = (−1)·(−128) = 128 = xmax of an s8 input; relu(128) = 128  (as u8 it would be 0)
    assert outputs(model(first, second), [0]) == [[128]]


def test_sign_and_hardtanh_outputs_are_signed():
    first = layer([[0, 0]], [-5, -1000], "sign", None, None)  # y = [−1, −1]
    second = layer([[10], [1]], [0], "linear", [1], [0])     # acc = −10 − 1 = −11
    assert outputs(model(first, second), [0]) == [[256 - 11]]
    first = layer([[0]], [-500], "hardtanh", [1], [0])        # y = −127
    second = layer([[1]], [200], "relu", [1], [0])            # acc = 200 − 127 = 73
    assert outputs(model(first, second), [0]) == [[73]]


def test_sigmoid_and_relu_outputs_are_unsigned():
    first = layer([[0]], [72], "sigmoid", [1], [0], IDENTITY_SIGMOID)  # y = 72 + 128 = 200
    second = layer([[1]], [0], "relu", [1], [0])                        # acc = 200
    assert outputs(model(first, second), [0]) == [[200]]                # (as s8: −56 -> 0)
    first = layer([[1]], [0], "relu", [1], [0])                         # y = q = 250
    second = layer([[-1]], [300], "linear", [1], [0])                   # acc = 300 − 250 = 50
    assert outputs(model(first, second), [250]) == [[50]]


# -- §6 classes and §7 output bytes --------------------------------------------------------------

def test_argmax_ties_go_to_the_lowest_index():
    assert outputs(bias_only("relu", [5, 9, 9, 2], output="argmax"), [0]) == [[5, 9, 9, 2, 1]]
    assert outputs(bias_only("relu", [4, 4, 4], output="argmax"), [0]) == [[4, 4, 4, 0]]
    # all saturate to 255: tie among all, class 0
    assert outputs(bias_only("relu", [300, 256, 999], output="argmax"), [0]) == [[255] * 3 + [0]]


def test_argmax_compares_by_kind():
    # s8 scores [−1, 5]: signed max is 5 at index 1 (unsigned 0xFF would win at index 0)
    assert outputs(bias_only("linear", [-1, 5], output="argmax"), [0]) == [[255, 5, 1]]
    # s8 scores [−3, −1, −1, −128]: the max is −1, first at index 1
    assert outputs(bias_only("linear", [-3, -1, -1, -128], output="argmax"),
                   [0]) == [[253, 255, 255, 128, 1]]
    # u8 scores [200, 100]: 200 wins (as signed bytes −56 < 100 it would not)
    assert outputs(bias_only("relu", [200, 100], output="argmax"), [0]) == [[200, 100, 0]]


@pytest.mark.parametrize("act, acc, y, cls", [
    ("relu", -1, 0, 0),      # y = 0 and class 0
    ("relu", 0, 0, 1),       # y = 0 as well, but acc ≥ 0 -> class 1
    ("linear", 0, 0, 1),
    ("linear", -1, 255, 0),  # y = −1
    ("step", 0, 1, 1), ("step", -1, 0, 0),
    ("sign", -1, 255, 0),
])
def test_one_unit_argmax_uses_the_accumulator(act, acc, y, cls):
    assert outputs(bias_only(act, [acc], output="argmax"), [0]) == [[y, cls]]
    assert classes(bias_only(act, [acc], output="scores"), [0]) == [cls]


def test_one_unit_class_ignores_the_table_and_multiplier():
    # sigmoid table all 255 gives y = 255 even for acc = −3; the class still follows acc < 0
    m = bias_only("sigmoid", [-3], table=[255] * 256, output="argmax")
    assert outputs(m, [0]) == [[255, 0]]
    # M = 0 makes y = 0 for acc = 5; the class follows acc ≥ 0
    assert outputs(bias_only("relu", [5], M=0, S=4, output="argmax"), [0]) == [[0, 1]]


def test_scores_model_has_no_class_byte_but_predicts():
    m = bias_only("linear", [-7, 3, 3], output="scores")
    assert outputs(m, [0]) == [[249, 3, 3]]  # −7 mod 256 = 249
    assert classes(m, [0]) == [1]


def test_batch_rows_are_independent():
    m = model(layer([[1, -1]], [0, 0], "linear", [1, 1], [0, 0]), output="argmax")
    # q = 0: y = [0, 0] tie -> 0;  q = 100: [100, −100] -> 0;  q = 200: [127, −128] -> 0
    assert outputs(m, [[0], [100], [200]]) == [[0, 0, 0], [100, 156, 0], [127, 128, 0]]
    m = model(layer([[-1, 1]], [0, 0], "linear", [1, 1], [0, 0]), output="argmax")
    assert outputs(m, [[0], [1], [255]]) == [[0, 0, 0], [255, 1, 1], [128, 127, 1]]


# -- §1 input mapping ----------------------------------------------------------------------------

@pytest.mark.parametrize("lo, hi, x, q", [
    (0.0, 1.0, 0.0, 0),         # v = 0.5 -> 0
    (0.0, 1.0, 1.0, 255),       # t = 255, u = 255, v = 255.5 -> 255
    (0.0, 1.0, -0.5, 0),        # v = −127 -> clamp 0
    (0.0, 1.0, 2.0, 255),       # v = 510.5 -> clamp 255
    (-1.0, 1.0, 0.0, 128),      # d = 1, t = 255, w = 2, u = 127.5, v = 128.0 -> 128
    (-1.0, 1.0, -1.0, 0),
    (-1.0, 1.0, 1.0, 255),      # u = 510 / 2 = 255, v = 255.5 -> 255
    (0.0, 255.0, 0.5, 1),       # t = 127.5, u = 0.5 exactly, v = 1.0 -> 1 (half up, not even)
    (0.0, 255.0, 2.5, 3),       # u = 2.5, v = 3.0 -> 3 (round-half-even would give 2)
    (0.0, 255.0, 1.5, 2),
    (0.0, 255.0, 254.5, 255),   # v = 255.0
    (0.0, 255.0, -0.5, 0),      # u = −0.5, v = 0.0 -> 0
    (0.0, 255.0, -1.5, 0),      # v = −1.0 -> clamp 0
    (0.0, 255.0, 255.5, 255),   # v = 256.0 -> clamp 255
    (0.0, 255.0, 255.4, 255),   # t = 65127.0 (rounded), u = 255.4, v = 255.9 -> 255
    (10.0, 20.0, 15.0, 128),    # d = 5, t = 1275, w = 10, u = 127.5, v = 128.0 -> 128
    (10.0, 20.0, 9.0, 0),       # below lo
    (10.0, 20.0, 21.0, 255),    # above hi
    (-3.0, 5.0, -3.0, 0),       # at lo: v = 0.5
    (-3.0, 5.0, 5.0, 255),      # at hi: d = 8, t = 2040, w = 8, u = 255, v = 255.5
])
def test_input_mapping(lo, hi, x, q):
    m = bias_only("step", [0])
    m.input_lo, m.input_hi = np.array([lo]), np.array([hi])
    x = np.array([[x]])
    assert m.input_bytes(x).tolist() == [[q]]
    assert compile_qmodel(m).input_bytes(x).tolist() == [[q]]


def test_input_mapping_per_input_ranges():
    m = model(layer([[0], [0]], [0], "step"))
    m.input_lo, m.input_hi = np.array([0.0, -1.0]), np.array([255.0, 1.0])
    x = np.array([[2.5, 0.0], [-9.0, 9.0]])
    # input 0 uses [0, 255] (2.5 -> 3), input 1 uses [−1, 1] (0 -> 128); then clamps
    assert m.input_bytes(x).tolist() == [[3, 128], [0, 255]]
    assert compile_qmodel(m).input_bytes(x).tolist() == [[3, 128], [0, 255]]
