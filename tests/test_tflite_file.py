"""The .tflite reader: what it reads from a valid file, and that damaged or hostile bytes
give one C64mlError line, never another exception or a hang."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tflite")


from corrupt_files import check_one_line, corruption_tests  # noqa: E402
from tflite_build import TfliteBuilder, mlp_tflite  # noqa: E402

from c64ml.errors import C64mlError  # noqa: E402
from c64ml.model.tflite_file import parse_tflite, read_tflite  # noqa: E402


def _layers(seed=0, sizes=(4, 6, 3)):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(a, b)), rng.normal(size=b)) for a, b in zip(sizes, sizes[1:])]


VALID = mlp_tflite(_layers(), fused={0: "RELU"}, separate={1: "tanh"}, softmax=True,
                   reshape_in=(1, 2, 2))


def test_reads_tensors_and_operators(tmp_path):
    p = tmp_path / "m.tflite"
    p.write_bytes(VALID)
    g = read_tflite(p)
    assert [o.op for o in g.operators] == ["RESHAPE", "FULLY_CONNECTED", "FULLY_CONNECTED",
                                           "TANH", "SOFTMAX"]
    fc = g.operators[1]
    assert fc.fused_activation == "RELU" and fc.options["keep_num_dims"] is False
    assert g.operators[4].options["beta"] == 1.0
    assert g.operators[0].options["new_shape"] == [1, 4]
    w = g.tensors[fc.inputs[1]]
    assert w.dtype == "float32" and w.shape == (6, 4) and w.data.dtype == np.float32
    np.testing.assert_allclose(w.data, _layers()[0][0].T.astype(np.float32))
    assert g.tensors[g.inputs[0]].shape == (1, 2, 2) and g.tensors[g.inputs[0]].data is None
    assert g.tensors[g.inputs[0]].scale is None
    assert g.description == "c64ml test" and g.is_float()


def test_not_tflite(tmp_path):
    p = tmp_path / "m.tflite"
    p.write_bytes(b"hello world, not a model")
    with pytest.raises(C64mlError, match=r"m\.tflite: not a \.tflite file"):
        read_tflite(p)


def test_too_large(tmp_path):
    p = tmp_path / "big.tflite"
    p.write_bytes(b"\0" * ((8 << 20) + 1))
    with pytest.raises(C64mlError, match="limit"):
        read_tflite(p)


def test_index_out_of_range():
    t = TfliteBuilder()
    x = t.tensor("x", (1, 2))
    t.op(22, [x, 7], [x])  # RESHAPE reading tensor 7, which is not there
    with pytest.raises(C64mlError, match="names tensor 7"):
        parse_tflite(t.finish([x], [x]))


def test_absurd_shape():
    t = TfliteBuilder()
    x = t.tensor("x", (1 << 20, 1 << 20))
    with pytest.raises(C64mlError, match="absurd"):
        parse_tflite(t.finish([x], [x]))


def test_buffer_size_must_match_shape():
    t = TfliteBuilder()
    x = t.tensor("x", (1, 3), np.zeros(2))
    with pytest.raises(C64mlError, match="buffer holds 8 bytes"):
        parse_tflite(t.finish([x], [x]))


test_random_bytes, test_truncations, test_byte_flips = corruption_tests(
    VALID, parse_tflite, variants=lambda d: [d, d[:4] + b"TFL3" + d[8:]])


@pytest.mark.parametrize("name", ["float_mlp.tflite", "int8_2layer_pc.tflite"])
def test_converter_files_damaged(name):
    """Files the TFLite converter wrote (tests/fixtures/tflite), truncated and flipped."""
    from pathlib import Path

    path = Path(__file__).resolve().parent / "fixtures" / "tflite" / name
    if not path.exists():
        pytest.skip(f"fixture {name} is not in this tree")
    data = path.read_bytes()
    parse_tflite(data)
    rng = np.random.default_rng(0)
    for n in range(0, len(data), max(1, len(data) // 200)):
        check_one_line(parse_tflite, data[:n])
    for _ in range(400):
        d = bytearray(data)
        for i in rng.integers(0, len(d), rng.integers(1, 6)):
            d[i] = rng.integers(0, 256)
        check_one_line(parse_tflite, bytes(d))
