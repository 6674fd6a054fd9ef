"""The commands on .onnx and .tflite models: info lists the operators, quantize takes the
input range from the calibration data or --input-range and says which, refusals are one
line with exit 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from testpaths import run_cli as run

pytest.importorskip("onnx")

ONNX = Path(__file__).resolve().parent / "fixtures" / "onnx"


def _error_line(r) -> str:
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1, r.output
    return lines[0]


def test_info_onnx():
    r = run("info", ONNX / "skl_mlp_iris.onnx")
    assert r.exit_code == 0, r.output
    assert "onnx operators" in r.output and "MatMul" in r.output
    assert "dropped: Softmax" in r.output and "4 inputs" in r.output
    d = json.loads(run("info", ONNX / "skl_mlp_iris.onnx", "--json").output)
    assert d["imported"]["from"] == "onnx" and d["classes"] == ["0", "1", "2"]


def test_quantize_onnx_range_from_calibration(tmp_path):
    out = tmp_path / "q.json"
    r = run("quantize", ONNX / "skl_mlp_iris.onnx", "--calib", ONNX / "skl_mlp_iris.npz",
            "-o", out)
    assert r.exit_code == 0, r.output
    assert "input range: calibration data per-feature min/max" in r.output
    assert "dropped: Softmax" in r.output
    doc = json.loads(out.read_text())
    assert doc["info"]["import"]["input_range_source"].startswith("calibration data")
    x = np.load(ONNX / "skl_mlp_iris.npz")["x"]
    pairs = doc["float_model"]["input_range"]
    np.testing.assert_allclose([p[0] for p in pairs], x.min(axis=0), rtol=1e-6)
    np.testing.assert_allclose([p[1] for p in pairs], x.max(axis=0), rtol=1e-6)


def test_quantize_onnx_input_range_json(tmp_path):
    r = run("quantize", ONNX / "sigmoid.onnx", "--calib", ONNX / "sigmoid.npz", "-o",
            tmp_path / "q.json", "--input-range", "-8,8", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["input_range_source"] == "--input-range" and d["imported_from"] == "onnx"
    assert "dropped" not in d


@pytest.mark.parametrize("args, message", [
    (("quantize", ONNX / "refuse_conv.onnx", "--calib", ONNX / "refuse_conv.npz", "-o", "q.json"),
     r"refuse_conv.onnx: node 0 'conv1' \(Conv\) is not supported"),
    (("quantize", ONNX / "sigmoid.onnx", "--calib", ONNX / "sigmoid.npz", "-o", "q.json",
      "--input-range", "2,1"), "--input-range: '2,1' is not LO,HI"),
    (("quantize", ONNX / "sigmoid.onnx", "--calib", ONNX / "gemm_relu_gemm.npz", "-o",
      "q.json"), "has 5 features per sample; the model has 4 inputs"),
    (("compile", ONNX / "sigmoid.onnx", "-o", "x.prg"), "is a float model: give --calib"),
])
def test_refusals(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert re.search(message, _error_line(run(*args)))


def test_damaged_files_are_one_line(tmp_path):
    for name in ("bad.onnx", "bad.tflite"):
        p = tmp_path / name
        p.write_bytes(bytes(range(256)) * 3)
        line = _error_line(run("info", p))
        assert f"{p}: not a" in line


def test_compile_and_eval_onnx(tmp_path):
    r = run("compile", ONNX / "gemm_relu_gemm.onnx", "--calib", ONNX / "gemm_relu_gemm.npz",
            "-o", tmp_path / "g.prg")
    assert r.exit_code == 0, r.output
    r = run("eval", ONNX / "flatten_in_front.onnx", "--data", ONNX / "flatten_in_front.npz",
            "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["accuracy"]["float"] == 1.0


def test_info_tflite(tmp_path):
    pytest.importorskip("tflite")
    from tflite_build import mlp_tflite

    rng = np.random.default_rng(0)
    p = tmp_path / "m.tflite"
    p.write_bytes(mlp_tflite([(rng.normal(size=(3, 4)), np.zeros(4)),
                              (rng.normal(size=(4, 2)), np.zeros(2))],
                             fused={0: "RELU"}, softmax=True))
    r = run("info", p)
    assert r.exit_code == 0, r.output
    assert "FULLY_CONNECTED" in r.output and "dropped: SOFTMAX" in r.output
    r = run("quantize", p, "--input-range", "0,1", "--calib", ONNX / "sigmoid.npz",
            "-o", tmp_path / "q.json")
    assert r.exit_code == 2 and "has 4 features per sample; the model has 3" in r.output
