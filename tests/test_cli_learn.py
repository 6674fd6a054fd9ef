"""`c64ml learn`: the JSON keys and figures, the three output kinds, bad data as one line
and exit 2, outputs never overwriting an input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from c64ml.cli import main
from c64ml.learn import rules
from c64ml.machine.c64 import C64
from c64ml.model.load import load_model_file
from c64ml.package.d64 import read_d64
from c64ml.spec import LearnRule

ROOT = Path(__file__).resolve().parent.parent
IRIS = ROOT / "examples" / "iris"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line(r, *needles):
    assert r.exit_code == 2, r.output
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("c64ml: error: "), r.output
    for n in needles:
        assert n in lines[0], lines[0]
    assert "Traceback" not in r.output


def test_json_keys_and_a_qmodel_that_verifies(tmp_path):
    out = tmp_path / "iris.json"
    r = invoke("learn", IRIS / "train.csv", "--test", IRIS / "test.csv", "--epochs", "3",
               "--seed", "5", "-o", out, "--verify", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert {"samples", "epochs", "updates", "mismatches", "accuracy", "cycles"} <= set(d)
    assert d["samples"] == 105 and d["epochs"] == 3 and d["mismatches"] == 0
    assert set(d["accuracy"]) >= {"reference", "c64"} and d["accuracy"]["on"] == "test"
    assert d["accuracy"]["reference"] == d["accuracy"]["c64"]
    assert set(d["cycles"]) >= {"per_sample_mean", "per_epoch_mean"}
    assert d["cycles"]["per_epoch_mean"] == pytest.approx(105 * d["cycles"]["per_sample_mean"])
    assert d["verified_against"] == ["llvm", "numpy"]
    q = load_model_file(out)
    assert q.info["rule"] == "perceptron" and q.info["seed"] == 5
    v = invoke("verify", out, "--data", IRIS / "test.csv", "--json")
    assert v.exit_code == 0, v.output
    assert json.loads(v.stdout)["mismatches"] == 0
    assert json.loads(v.stdout)["accuracy"]["c64"] == d["accuracy"]["qmodel"]


def test_text_summary(tmp_path):
    r = invoke("learn", IRIS / "train.csv", "--rule", "lms", "--epochs", "2",
               "-o", tmp_path / "m.json")
    assert r.exit_code == 0, r.output
    assert "rule lms, K=12" in r.stdout and "0 mismatches" in r.stdout


@pytest.mark.parametrize("ext", ["prg", "d64"])
def test_a_program_that_learns_by_itself(tmp_path, ext):
    out = tmp_path / f"learn.{ext}"
    r = invoke("learn", IRIS / "train.csv", "--epochs", "2", "--seed", "9", "-o", out)
    assert r.exit_code == 0, r.output
    prg = out.read_bytes() if ext == "prg" else read_d64(out.read_bytes())[0][1]
    m = C64()
    assert m.run_prg(prg, max_cycles=50_000_000).reason == "return"
    lines = [ln for ln in m.screen_text() if ln.startswith("EPOCH")]
    from c64ml.learn.session import problem
    from c64ml.model.dataset import load_dataset
    p = problem(load_dataset(IRIS / "train.csv"), "x")
    tr = rules.train(p.xa, p.y, 3, LearnRule.PERCEPTRON, 4, 2, 9)
    errs = [sum(tr.predictions[t] != p.y[tr.order[t]] for t in range(e * 105, (e + 1) * 105))
            for e in range(2)]
    assert [int(ln.split()[3]) for ln in lines] == errs


def _csv(tmp_path, text):
    f = tmp_path / "d.csv"
    f.write_text(text)
    return f


@pytest.mark.parametrize("text, needle", [
    ("a,b,class\n1,2,0\n3,x,1\n", "d.csv"),
    ("a,b,class\n1,2,0\n3,nan,1\n", "not a finite number"),
    ("a,b,class\n1,2,0\n3,4,0\n", "only one class"),
])
def test_bad_data_is_one_line(tmp_path, text, needle):
    one_line(invoke("learn", _csv(tmp_path, text), "-o", tmp_path / "o.json"), needle)


def test_too_many_features_is_one_line(tmp_path):
    f = tmp_path / "wide.npz"
    np.savez(f, x=np.ones((4, 300)), y=np.array([0, 1, 0, 1]))
    one_line(invoke("learn", f, "-o", tmp_path / "o.json"), str(f), "300 features")


def test_output_never_overwrites_the_data(tmp_path):
    data = _csv(tmp_path, "a,class\n1,0\n2,1\n")
    one_line(invoke("learn", data, "-o", data, "--format", "qmodel"), "overwrite")


def test_unknown_extension_is_one_line(tmp_path):
    one_line(invoke("learn", IRIS / "train.csv", "-o", tmp_path / "o.txt"), "--format")
