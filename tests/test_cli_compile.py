"""`c64ml compile` and `c64ml verify`: every output format, exports assembled by the real
ACME, 64tass and ca65, the library ABI, JSON output, and refusals with one line and exit 2."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_asm_export import build as assemble_with
from test_asm_export import need
from testpaths import EXAMPLES
from testpaths import run_cli as run

from c64ml.package.d64 import read_d64
from c64ml.package.prg import parse_prg

IRIS = EXAMPLES / "iris"


@pytest.fixture(scope="module")
def qmodel(tmp_path_factory):
    out = tmp_path_factory.mktemp("q") / "iris.qmodel.json"
    assert run("quantize", IRIS / "model.json", "--calib", IRIS / "train.csv", "-o",
               out).exit_code == 0
    return out


@pytest.fixture(scope="module")
def library(qmodel, tmp_path_factory):
    d = tmp_path_factory.mktemp("lib")
    r = run("compile", qmodel, "-o", d / "iris.bin", "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output), (d / "iris.bin").read_bytes()


def test_library_abi_and_sizes(library):
    info, image = library
    abi, b = info["abi"], info["bytes"]
    assert len(image) == info["end"] - info["origin"] == b["total"]
    assert b["code"] + b["tables"] + b["data"] + b["buffers"] <= b["total"]
    assert info["origin"] <= abi["input"] < abi["output"] < abi["class"] < abi["entry"] < info["end"]
    assert abi["class"] == abi["output"] + 3 and abi["inputs"] == 4
    assert info["end"] <= 0xD000


def test_library_runs_from_the_image_as_a_basic_sys_would(library, qmodel):
    """Poke inputs, call the entry, peek the class: as the README's BASIC program does."""
    from c64ml.exec import reference
    from c64ml.machine.c64 import C64
    from c64ml.model.dataset import load_dataset
    from c64ml.model.qmodel import load_qmodel

    info, image = library
    abi = info["abi"]
    qm = load_qmodel(qmodel)
    q = qm.input_bytes(load_dataset(IRIS / "test.csv", 4).x)[:10]
    m = C64()
    m.load(info["origin"], image)
    for row, want in zip(q, reference.predict(qm, q)):
        m.ram[abi["input"]:abi["input"] + 4] = row.tobytes()
        r = m.call(abi["entry"])
        assert r.a == want == m.ram[abi["class"]]


@pytest.mark.parametrize("fmt, suffix", [("prg", ".prg"), ("d64", ".d64"), ("asm", ".s")])
def test_formats(qmodel, library, tmp_path, fmt, suffix):
    info, image = library
    out = tmp_path / ("iris" + suffix)
    r = run("compile", qmodel, "-o", out, "--format", fmt)
    assert r.exit_code == 0, r.output
    if fmt == "prg":
        assert parse_prg(out.read_bytes()) == (info["origin"], image)
    elif fmt == "d64":
        (name, prg), = read_d64(out.read_bytes())
        assert name == "IRIS" and parse_prg(prg) == (info["origin"], image)
    else:
        from c64ml.asm.assembler import assemble

        assert assemble(out.read_text(), "iris.s", info["origin"]).data == image


@pytest.mark.parametrize("syntax", ["acme", "64tass", "ca65"])
def test_exports_assemble_identically_with_the_real_assemblers(qmodel, library, tmp_path,
                                                               syntax):
    need(syntax)
    info, image = library
    r = run("compile", qmodel, "-o", tmp_path / "iris.s", "--format", "asm", "--syntax", syntax)
    assert r.exit_code == 0, r.output
    files = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert assemble_with(syntax, files) == image


@pytest.mark.parametrize("syntax", ["acme", "64tass", "ca65"])
def test_app_exports_assemble_identically_with_the_real_assemblers(qmodel, tmp_path, syntax):
    """The app's driver (c64ml/backend6502/src/app.s: equates, strings, parts) exports too."""
    need(syntax)
    app = ("--mode", "app", "--data", IRIS / "test.csv")
    r = run("compile", qmodel, *app, "-o", tmp_path / "app.prg", "--json")
    assert r.exit_code == 0, r.output
    d = tmp_path / syntax
    d.mkdir()
    r = run("compile", qmodel, *app, "-o", d / "app.s", "--format", "asm", "--syntax", syntax)
    assert r.exit_code == 0, r.output
    files = {p.name: p.read_text() for p in d.iterdir()}
    prg = (tmp_path / "app.prg").read_bytes()
    assert prg[:2] == b"\x01\x08"  # the export carries the BASIC stub too, from $0801
    assert assemble_with(syntax, files) == prg[2:]


def test_verify_json_on_qmodel_and_float_model(qmodel):
    for args in ([qmodel], [IRIS / "model.json", "--calib", IRIS / "train.csv"]):
        r = run("verify", *args, "--data", IRIS / "test.csv", "--json")
        assert r.exit_code == 0, r.output
        d = json.loads(r.output)
        assert d["samples"] == 45 and d["mismatches"] == 0
        assert set(d["accuracy"]) >= {"float", "fixed", "c64"}
        assert d["accuracy"]["c64"] == d["accuracy"]["fixed"]
        assert d["cycles"]["min"] <= d["cycles"]["mean"] <= d["cycles"]["max"]
        assert set(d["bytes"]) >= {"code", "data", "zeropage", "total"}


def test_verify_table(qmodel):
    r = run("verify", qmodel, "--data", IRIS / "test.csv")
    assert r.exit_code == 0 and "mismatches" in r.output and "cycles min/mean/max" in r.output


def _big_qmodel(path):
    rng = np.random.default_rng(0)
    layers = [{"type": "dense", "activation": "relu",
               "weights": rng.integers(-3, 4, (n_in, 200)).tolist(), "bias": [0] * 200,
               "multiplier": [1] * 200, "shift": [10] * 200} for n_in in (200, 200)]
    doc = {"format": "c64ml-qmodel", "version": 1, "name": "huge", "inputs": 200,
           "input_range": [0, 1], "layers": layers, "output": "scores"}
    path.write_text(json.dumps(doc))


def test_model_too_big_for_the_c64_is_refused_with_numbers(tmp_path):
    _big_qmodel(tmp_path / "huge.json")
    out = tmp_path / "huge.prg"
    r = run("compile", tmp_path / "huge.json", "-o", out)
    assert r.exit_code == 2
    line = r.output.strip()
    assert "\n" not in line and "needs" in line and "bytes" in line and "free" in line
    assert not out.exists()


@pytest.mark.parametrize("args, words", [
    (["--format", "bin", "--syntax", "acme"], "--syntax"),
    (["--vice-exit"], "--vice-exit"),
    (["--origin", "$D000"], "origin"),
    (["--origin", "zz"], "--origin"),
])
def test_bad_options(qmodel, tmp_path, args, words):
    r = run("compile", qmodel, "-o", tmp_path / "x.prg", *args)
    assert r.exit_code == 2 and words in r.output and r.output.count("\n") == 1


def test_float_model_without_calibration_is_refused(tmp_path):
    r = run("compile", IRIS / "model.json", "-o", tmp_path / "x.prg")
    assert r.exit_code == 2 and "--calib" in r.output


def test_help():
    for cmd in ("compile", "verify"):
        r = run(cmd, "--help")
        assert r.exit_code == 0 and "Usage:" in r.output


def test_app_reports_the_samples_it_embedded(tmp_path):
    r = run("compile", IRIS / "qmodel.json", "--mode", "app", "--data", IRIS / "test.csv",
            "-o", tmp_path / "iris.prg", "--json")
    info = json.loads(r.output)
    assert (info["samples_embedded"], info["samples_given"]) == (45, 45)   # all 45 rows fit
    # 256-32-10 with 540 samples: far more than the C64's memory holds.
    rng = np.random.default_rng(7)
    layers = [{"type": "dense", "activation": act, "bias": [0.0] * n_out,
               "weights": rng.normal(0, 0.1, (n_in, n_out)).tolist()}
              for n_in, n_out, act in ((256, 32, "relu"), (32, 10, "linear"))]
    model = {"format": "c64ml-model", "version": 1, "name": "wide", "inputs": 256,
             "input_range": [[0.0, 1.0]] * 256, "classes": [f"c{i}" for i in range(10)],
             "layers": layers, "output": "argmax"}
    (tmp_path / "wide.json").write_text(json.dumps(model))
    from c64ml.model.dataset import save_npz
    save_npz(tmp_path / "d.npz", rng.random((540, 256)), rng.integers(0, 10, 540))
    assert run("quantize", tmp_path / "wide.json", "--calib", tmp_path / "d.npz",
               "-o", tmp_path / "wide.q.json").exit_code == 0
    r = run("compile", tmp_path / "wide.q.json", "--mode", "app", "--data", tmp_path / "d.npz",
            "-o", tmp_path / "wide.prg", "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    k = info["samples_embedded"]
    assert info["samples_given"] == 540 and 0 < k < 540
    # Cross-check with the bytes: each embedded sample is [label] + output bytes + 256 inputs.
    assert info["bytes"]["samples"] == k * (1 + info["abi"]["output_bytes"] + 256)
    r = run("compile", tmp_path / "wide.q.json", "--mode", "app", "--data", tmp_path / "d.npz",
            "-o", tmp_path / "wide.prg")
    assert f"samples: {k} of 540 in {tmp_path / 'd.npz'} embedded (as many as fit in memory)" \
        in r.output.splitlines()
