"""`c64ml bench` (c64ml/verify/bench.py): a quick run on the two smallest suite models, checked
against our own harness and reference runs, and (slow) the full suite against the targets:
digits at least 20x faster than cc65, at most 24 cycles per MAC for speed and 50 for size,
accuracy within 1 point of the float model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from testpaths import EXAMPLES, need_tool

from c64ml.cli import main
from c64ml.errors import C64mlError
from c64ml.exec import reference
from c64ml.model.dataset import load_dataset
from c64ml.model.floatmodel import load_model
from c64ml.model.qmodel import load_qmodel
from c64ml.verify.bench import SUITE, run_bench, table

KEYS = ("name", "cycles_mean", "cycles_per_mac", "bytes_total", "accuracy", "cc65_cycles_mean",
        "speedup_vs_cc65")


@pytest.fixture(scope="module")
def quick():
    need_tool("cl65")
    return run_bench(["xor", "iris"], samples=5, cc65_samples=1)


def test_quick_bench_figures(quick):
    models = quick["models"]
    assert [m["name"] for m in models] == ["xor", "iris"]
    for m in models:
        for key in KEYS:
            assert key in m, key
        assert m["speed"]["mismatches"] == m["size"]["mismatches"] == m["cc65_mismatches"] == 0
        assert m["cc65_samples"] == 1 and 1 <= m["samples"] <= 5
        assert m["speedup_vs_cc65"] > 1
        assert m["speedup_vs_cc65"] == pytest.approx(m["cc65_cycles_mean"] / m["cycles_mean"])
        assert m["speed"]["cycles_min"] <= m["cycles_mean"] <= m["speed"]["cycles_max"]
        assert m["bytes_total"] == m["speed"]["bytes"]["total"]
        assert m["speed"]["cycles_mean"] < m["size"]["cycles_mean"]


def test_quick_bench_accuracy_is_the_references(quick):
    """The accuracy over the whole test set, recomputed from the committed qmodel."""
    from c64ml.quantize.ptq import compress

    for m in quick["models"]:
        entry = next(e for e in SUITE if e.name == m["name"])
        base = load_qmodel(EXAMPLES / entry.qmodel)
        calib = None if entry.train is None else \
            base.input_bytes(load_dataset(EXAMPLES / entry.train, base.inputs).x)
        qm = compress(base, entry.codebook, entry.prune, calib) \
            if entry.codebook or entry.prune else base
        ds = load_dataset(EXAMPLES / entry.test, qm.inputs)
        acc = float(np.mean(reference.predict(qm, qm.input_bytes(ds.x)) == ds.y))
        assert m["accuracy"] == pytest.approx(acc)
        assert m["macs"] == qm.macs()


def test_quick_bench_table_has_one_row_per_model(quick):
    lines = table(quick).splitlines()
    assert len(lines) == 2 + len(quick["models"])
    for line, m in zip(lines[2:], quick["models"]):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[0] == m["name"] and cells[-1] == f"{m['speedup_vs_cc65']:.1f}x"


def test_unknown_model_is_refused():
    with pytest.raises(C64mlError, match="unknown model"):
        run_bench(["nope"])
    r = CliRunner().invoke(main, ["bench", "--model", "nope"])
    lines = r.output.strip().splitlines()
    assert r.exit_code == 2 and len(lines) == 1 and lines[0].startswith("c64ml: error: ")


@pytest.mark.slow
def test_full_suite_meets_the_digits_targets():
    need_tool("cl65")
    r = CliRunner().invoke(main, ["bench", "--json"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.output.strip().splitlines()[-1])
    models = {m["name"]: m for m in result["models"]}
    assert sorted(models) == sorted(e.name for e in SUITE)
    for m in models.values():
        assert m["speed"]["mismatches"] == m["size"]["mismatches"] == m["cc65_mismatches"] == 0
        assert m["speedup_vs_cc65"] > 1
    d = models["digits"]
    assert d["speedup_vs_cc65"] >= 20
    assert d["cycles_per_mac"] <= 24
    assert d["size"]["cycles_per_mac"] <= 50
    fm = load_model(EXAMPLES / "digits" / "model.json")
    ds = load_dataset(EXAMPLES / "digits" / "test.npz", fm.inputs)
    float_acc = float(np.mean(fm.predict(ds.x) == ds.y))
    assert abs(d["accuracy"] - float_acc) <= 0.01


def test_emulator_bench_runs_both_engines_on_the_same_programs():
    """`bench --emulator --json`: three programs, identical results on both engines (the
    command raises otherwise), and figures consistent with their own seconds."""
    r = CliRunner().invoke(main, ["bench", "--emulator", "--samples", "2", "--repeat", "1",
                                  "--json"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.output)
    assert result["repeat"] == 1
    names = [p["program"] for p in result["programs"]]
    assert len(names) == 3 and any("--optimize speed" in n for n in names)
    for p in result["programs"]:
        assert p["instructions"] > 10_000
        assert p["fast_ips"] == pytest.approx(p["instructions"] / p["fast_seconds"])
        assert p["ratio"] == pytest.approx(p["fast_ips"] / p["reference_ips"])
        # one run: the best fast run is the first
        assert p["fast_first_seconds"] == p["fast_seconds"]
