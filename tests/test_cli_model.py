"""The quantize, info and eval commands: normal use, JSON output and bad input (exit 2, one line)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from testpaths import EXAMPLES, ROOT
from testpaths import run_cli as run

IRIS = EXAMPLES / "iris"


@pytest.fixture(scope="module")
def iris_q(tmp_path_factory):
    out = tmp_path_factory.mktemp("q") / "iris.qmodel.json"
    r = run("quantize", IRIS / "model.json", "--calib", IRIS / "train.csv", "-o", out)
    assert r.exit_code == 0, r.output
    assert "float accuracy" in r.output and "fixed-point accuracy" in r.output
    return out


def test_quantize_writes_a_loadable_qmodel(iris_q):
    from c64ml.model.qmodel import load_qmodel

    qm = load_qmodel(iris_q)
    assert qm.float_model is not None and qm.inputs == 4 and qm.n_out == 3


def test_eval_json_on_qmodel_and_float_model(iris_q):
    for target in (iris_q, IRIS / "model.json"):
        r = run("eval", target, "--data", IRIS / "test.csv", "--json")
        assert r.exit_code == 0, r.output
        d = json.loads(r.output)
        assert d["samples"] == 45
        assert set(d["accuracy"]) == {"float", "fixed"}
        assert 0.9 <= d["accuracy"]["float"] <= 1 and 0.9 <= d["accuracy"]["fixed"] <= 1


def test_eval_matches_the_reference(iris_q):
    import numpy as np

    from c64ml.exec import reference
    from c64ml.model.dataset import load_dataset
    from c64ml.model.qmodel import load_qmodel

    qm = load_qmodel(iris_q)
    ds = load_dataset(IRIS / "test.csv", 4)
    want = float(np.mean(reference.predict(qm, qm.input_bytes(ds.x)) == ds.y))
    d = json.loads(run("eval", iris_q, "--data", IRIS / "test.csv", "--json").output)
    assert d["accuracy"]["fixed"] == want


def test_info_text_and_json(iris_q):
    r = run("info", IRIS / "model.json")
    assert r.exit_code == 0 and "56 multiply-accumulates" in r.output
    d = json.loads(run("info", iris_q, "--json").output)
    assert d["macs"] == 4 * 8 + 8 * 3 and d["params"] == 4 * 8 + 8 + 8 * 3 + 3
    assert [L["input_kind"] for L in d["layers"]] == ["u8", "u8"]


def test_help_on_every_command():
    for cmd in ([], ["quantize"], ["info"], ["eval"]):
        r = run(*cmd, "--help")
        assert r.exit_code == 0 and "Usage:" in r.output


BAD = {
    "empty.json": b"",
    "garbage.json": bytes(range(256)) * 4,
    "truncated.json": b'{"format": "c64ml-model", "version": 1, "inputs": 4, "layers": [{"ty',
    "nested.json": b"[" * 50000,
    "nan.json": b'{"format": "c64ml-model", "version": 1, "inputs": NaN}',
    "absurd.json": json.dumps({"format": "c64ml-model", "version": 1, "inputs": 10 ** 9,
                               "input_range": [0, 1], "layers": []}).encode(),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_model_files_one_line_exit_2(tmp_path, name):
    p = tmp_path / name
    p.write_bytes(BAD[name])
    out = tmp_path / "out.json"
    for args in (["quantize", p, "--calib", IRIS / "train.csv", "-o", out], ["info", p],
                 ["eval", p, "--data", IRIS / "test.csv"]):
        r = run(*args)
        assert r.exit_code == 2, r.output
        lines = r.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("c64ml: error: ") and name in lines[0]
        assert not out.exists()


def test_bad_data_and_model_too_big_for_the_c64(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("1,2,3\n")
    r = run("eval", IRIS / "model.json", "--data", p)
    assert r.exit_code == 2 and "bad.csv" in r.output and "columns" in r.output
    big = {"format": "c64ml-model", "version": 1, "inputs": 1025, "input_range": [0, 1],
           "layers": [{"type": "dense", "activation": "relu", "weights": [[0.0]] * 1025,
                       "bias": [0.0]}]}
    (tmp_path / "big.json").write_text(json.dumps(big))
    r = run("info", tmp_path / "big.json")
    assert r.exit_code == 2 and "big.json: inputs: " in r.output
    # within the limits, but 1,000 × 60 + 60 × 60 weights are more than the C64's memory
    rng = np.random.default_rng(0)
    huge = {"format": "c64ml-model", "version": 1, "inputs": 1000, "input_range": [0, 1],
            "layers": [{"type": "dense", "activation": "relu",
                        "weights": rng.normal(size=(1000, 60)).tolist(), "bias": [0.0] * 60},
                       {"type": "dense", "activation": "linear",
                        "weights": rng.normal(size=(60, 3)).tolist(), "bias": [0.0] * 3}]}
    (tmp_path / "huge.json").write_text(json.dumps(huge))
    r = run("compile", tmp_path / "huge.json", "--calib", p_ok(tmp_path, 1000), "-o",
            tmp_path / "huge.prg")
    assert r.exit_code == 2 and "huge" in r.output and "bytes" in r.output, r.output
    assert r.output.count("\n") == 1 and not (tmp_path / "huge.prg").exists()


def p_ok(tmp_path, n: int):
    """A small valid calibration set of ``n`` features."""
    p = tmp_path / "calib.csv"
    rng = np.random.default_rng(1)
    p.write_text("\n".join(",".join(f"{v:.3f}" for v in row) + ",0"
                           for row in rng.random((8, n))) + "\n")
    return p


def test_real_process_prints_no_traceback(tmp_path):
    p = tmp_path / "garbage.json"
    p.write_bytes(b"\xff\x00" * 100)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "c64ml.cli", "info", str(p)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "garbage.json" in proc.stderr
