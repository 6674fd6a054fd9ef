"""`c64ml compile --optimize speed|size --report`: strategies and measured per-layer cycles in
text and JSON, and an app built for speed running in the emulated C64 with 0 mismatches."""

from __future__ import annotations

import json

import numpy as np
import pytest
from testpaths import EXAMPLES
from testpaths import run_cli as run

from c64ml.backend6502.strategy import build_library
from c64ml.machine.c64 import C64
from c64ml.model.dataset import load_dataset
from c64ml.model.qmodel import load_qmodel
from c64ml.verify.harness import run_build

IRIS = EXAMPLES / "iris"


@pytest.fixture(scope="module")
def speed_json(tmp_path_factory):
    out = tmp_path_factory.mktemp("speed") / "iris.prg"
    r = run("compile", IRIS / "qmodel.json", "-o", out, "--optimize", "speed", "--report",
            "--data", IRIS / "test.csv", "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output), out


def test_json_has_strategies_and_a_measured_report(speed_json):
    info, out = speed_json
    qm = load_qmodel(IRIS / "qmodel.json")
    assert info["strategies"] == ["unrolled-mul", "unrolled-mul"]
    rep = info["report"]
    assert rep["samples"].startswith("45 samples of ")
    assert [r["layer"] for r in rep["layers"]] == [0, 1]
    # the report's cycles against our own run of the same code on the same samples
    lib = build_library(qm, info["origin"], info["strategies"])
    assert lib.program.data == out.read_bytes()[2:]
    q = qm.input_bytes(load_dataset(IRIS / "test.csv", qm.inputs).x[:64])
    mine = run_build(lib, q).layer_cycles.mean(axis=0)
    for row, layer, cyc in zip(rep["layers"], qm.layers, mine):
        assert row["strategy"] == "unrolled-mul"
        assert row["shape"] == f"{layer.n_in}x{layer.n_out}"
        assert row["macs"] == layer.n_in * layer.n_out
        assert row["nonzero_weights"] == int(np.count_nonzero(layer.weights))
        assert row["cycles_mean"] == pytest.approx(cyc, rel=0.01)
        assert row["cycles_per_mac"] == pytest.approx(cyc / row["macs"], rel=0.01)
        assert row["code_bytes"] > 19 * row["nonzero_weights"] - 1


def test_text_report_has_one_row_per_layer(tmp_path):
    for opt, strategy in (("speed", "unrolled-mul"), ("size", "loop")):
        r = run("compile", IRIS / "qmodel.json", "-o", tmp_path / "x.prg", "--optimize", opt,
                "--report")
        assert r.exit_code == 0, r.output
        lines = r.output.splitlines()
        assert lines[0] == ("per-layer report, cycles measured in the emulated C64 on "
                            "16 random inputs:")
        assert lines[1].split() == ["layer", "shape", "activation", "strategy", "nonzero",
                                    "cycles", "cyc/MAC", "code", "data", "accumulate",
                                    "activate", "other"]
        rows = [ln.split() for ln in lines[2:4]]
        assert [row[0] for row in rows] == ["0", "1"]
        assert lines[4].startswith("whole inference ") and lines[5].startswith("wrote ")
        for row, shape in zip(rows, ("4x8", "8x3")):
            assert row[1] == shape and row[3] == strategy
            cycles, per_mac = int(row[5]), float(row[6])
            macs = int(shape.split("x")[0]) * int(shape.split("x")[1])
            assert cycles > 0 and per_mac == pytest.approx(cycles / macs, abs=0.1)
            # the phases make up the layer (each rounded to a cycle)
            assert abs(sum(int(v) for v in row[9:12]) - cycles) <= 2


def test_speed_is_faster_than_size_on_the_same_inputs(tmp_path):
    cycles = {}
    for opt in ("speed", "size"):
        r = run("compile", IRIS / "qmodel.json", "-o", tmp_path / "x.prg", "--optimize", opt,
                "--report", "--data", IRIS / "test.csv", "--json")
        assert r.exit_code == 0, r.output
        cycles[opt] = [row["cycles_mean"] for row in json.loads(r.output)["report"]["layers"]]
    assert all(f < s for f, s in zip(cycles["speed"], cycles["size"]))


def screen_summary(lines: list[str]) -> dict[str, str]:
    out = {}
    for ln in lines:
        for key in ("SAMPLES", "REFERENCE MISMATCHES", "ACCURACY"):
            if ln.startswith(key + " "):
                out[key] = ln[len(key):].strip()
    return out


def test_speed_app_runs_with_zero_mismatches(tmp_path):
    out = tmp_path / "app.prg"
    r = run("compile", IRIS / "qmodel.json", "--mode", "app", "--data", IRIS / "test.csv",
            "--optimize", "speed", "-o", out, "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    assert info["strategies"] == ["unrolled-mul", "unrolled-mul"]
    for irq in (False, True):
        m = C64(irq=irq)
        res = m.run_prg(out.read_bytes(), max_cycles=20_000_000)
        assert res.reason == "return" and res.clean_return, res.return_issues
        s = screen_summary(m.screen_text())
        assert s["REFERENCE MISMATCHES"] == "0" and s["SAMPLES"] == "45"


def test_bad_optimize_value_is_refused(tmp_path):
    r = run("compile", IRIS / "qmodel.json", "-o", tmp_path / "x.prg", "--optimize", "fast")
    assert r.exit_code == 2 and "--optimize" in r.output and not (tmp_path / "x.prg").exists()
