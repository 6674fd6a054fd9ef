"""The cc65 baseline: c64ml's C compiled by the real cc65 (``cl65 -t c64 -Oirs -Cl``) runs
bit-exact in the emulated C64 on the iris example, a 64-32-10 MLP and random qmodels;
its requantization matches §4 for every shift under sim65; the measured cycles are those
of ``c64ml_infer`` alone and fall in a plausible range (printed: run with ``-s``)."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from qmodel_strategies import models_with_inputs
from test_cbackend import (
    _layer,
    _model,
    edge_rows,
    expected_requant,
    requant_cases,
    requant_program,
)
from testpaths import EXAMPLES, need_tool

import c64ml.backend_c.cc65 as cb
import c64ml.backend_c.csource as cbe
from c64ml.backend_c.cc65 import cc65_build
from c64ml.errors import C64mlError
from c64ml.exec.reference import output_bytes
from c64ml.model.dataset import load_dataset
from c64ml.model.qmodel import QLayer, QModel, load_qmodel
from c64ml.verify.cc65_harness import cc65_run

IRIS = EXAMPLES / "iris"


@pytest.fixture(scope="module")
def cl65():
    return need_tool("cl65")


def per_mac(model: QModel, cycles: np.ndarray) -> float:
    return float(cycles.mean()) / model.macs()


def report(label: str, model: QModel, cycles: np.ndarray) -> None:
    print(f"\ncc65 baseline {label}: {model.macs()} MACs, cycles per inference "
          f"min {cycles.min()} mean {cycles.mean():.0f} max {cycles.max()}, "
          f"{per_mac(model, cycles):.1f} cycles per MAC")


def test_iris_bit_exact_and_cycles(cl65):
    model = load_qmodel(IRIS / "qmodel.json")
    ds = load_dataset(IRIS / "test.csv", model.inputs)
    q = np.concatenate([model.input_bytes(ds.x), edge_rows(4, np.random.default_rng(5), 10)])
    build = cc65_build(model)
    assert build.version.startswith("cc65 V")
    out, cycles = cc65_run(model, q, build)
    assert np.array_equal(out, output_bytes(model, q))
    report("iris 4-8-3", model, cycles)
    # 11 units each pay a 32-bit multiply and shift: well above the inner loop's cost per MAC
    assert 20_000 < cycles.min() and cycles.max() < 150_000
    # The KERNAL interrupt is not counted: the same runs without it take the same cycles.
    out2, cycles2 = cc65_run(model, q[:8], build, irq=False)
    assert np.array_equal(out2, out[:8]) and np.array_equal(cycles2, cycles[:8])


def mlp_64_32_10(seed: int) -> QModel:
    """A 64-32-10 relu/linear argmax MLP with random full-range weights and requantization
    that maps each unit's typical range onto its output bytes."""
    rng = np.random.default_rng(seed)
    w0, w1 = rng.integers(-128, 128, (64, 32)), rng.integers(-128, 128, (32, 10))
    l0 = QLayer(w0, rng.integers(-20_000, 20_000, 32), "relu",
                rng.integers(128, 256, 32), np.full(32, 16))
    l1 = QLayer(w1, rng.integers(-2_000, 2_000, 10), "linear",
                rng.integers(128, 256, 10), np.full(10, 15))
    model = QModel("mlp64", np.zeros(64), np.ones(64), [l0, l1])
    model.validate()
    return model


def test_mlp_64_32_10_bit_exact_and_cycles(cl65):
    model = mlp_64_32_10(1)
    q = np.random.default_rng(2).integers(0, 256, (2, 64)).astype(np.uint8)
    ref = output_bytes(model, q)
    assert len(np.unique(ref[:, :10])) > 4  # the requantization does not flatten the scores
    out, cycles = cc65_run(model, q)
    assert np.array_equal(out, ref)
    report("64-32-10 random", model, cycles)
    assert 350 < per_mac(model, cycles) < 900


def test_edge_models_bit_exact(cl65):
    """16-bit accumulators driven to exactly ±32767 by u8 and by s8 inputs, a 256-input
    layer (the byte counter wraps), a single-unit argmax, step/sign, tables, scores."""
    rng = np.random.default_rng(11)
    top = 32767 - 128 * 255
    models = [
        _model([QLayer(np.array([[-128, 127]]), np.array([-top, top + 128]), "linear",
                       np.array([1, 1]), np.array([8, 8]))]),
        _model([_layer(rng, 3, 4, "hardtanh", -128, 127, -50, 50, s=(8, 12)),
                QLayer(np.full((4, 2), -63), np.array([32767 - 4 * 63 * 128, 0]), "tanh",
                       np.array([255, 77]), np.array([9, 3]), rng.integers(-128, 128, 256))]),
        _model([_layer(rng, 256, 1, "sign", -1, 1, -100, 100)]),
        _model([_layer(rng, 5, 3, "step", -128, 127, -3000, 3000),
                _layer(rng, 3, 3, "sigmoid", -128, 127, -60, 60, m=(200, 256), s=(0, 2)),
                _layer(rng, 3, 2, "relu", -128, 127, -200, 200, s=(0, 3))], output="scores"),
    ]
    assert [cbe.acc_types(m) for m in models[:2]] == [["int"], ["long", "int"]]
    for model in models:
        q = edge_rows(model.inputs, rng, 3)
        if model.inputs == 1:  # every input byte
            q = np.arange(256, dtype=np.uint8)[:, None]
        out, _ = cc65_run(model, q)
        assert np.array_equal(out, output_bytes(model, q)), model.layers[0].activation


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(models_with_inputs(max_layers=3, max_width=10, max_inputs=12, wide=False, tflite=False))
def test_random_qmodels_bit_exact(cl65, case):
    model, q = case
    q = q[:8]
    out, cycles = cc65_run(model, q)
    assert np.array_equal(out, output_bytes(model, q))
    assert (cycles > 0).all()


def test_requant_every_shift_on_cc65(tmp_path, cl65):
    """The C requantization, compiled by cc65 with the baseline's flags, under sim65."""
    sim65 = need_tool("sim65")
    cases = requant_cases()
    (tmp_path / "rq.c").write_text(requant_program(cases))
    build = subprocess.run([cl65, "-t", "sim6502", *cb.CC65_FLAGS, "-o", "rq", "rq.c"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    out = subprocess.run([sim65, str(tmp_path / "rq")], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert [int(v) for v in out.stdout.split()] == [expected_requant(*c) for c in cases]


def test_too_big_model_is_one_error(cl65):
    rng = np.random.default_rng(0)
    layers = [QLayer(rng.integers(-2, 3, (256, 150)), np.zeros(150, dtype=np.int64), "step"),
              QLayer(rng.integers(-2, 3, (150, 2)), np.zeros(2, dtype=np.int64), "step")]
    model = QModel("big", np.zeros(256), np.ones(256), layers)
    with pytest.raises(C64mlError, match="does not fit"):
        cc65_build(model)


def test_missing_cc65_is_one_error(monkeypatch):
    monkeypatch.setattr(cb.shutil, "which", lambda name: None)
    with pytest.raises(C64mlError, match="cl65 is not installed"):
        cc65_build(load_qmodel(IRIS / "qmodel.json"))


def test_parse_labels():
    text = "al 001000 ._c64ml_infer\nal 000002 .sp\nnonsense\nal 00C000 .__BSS_RUN__\n"
    assert cb.parse_labels(text) == {"_c64ml_infer": 0x1000, "sp": 2, "__BSS_RUN__": 0xC000}


def test_bad_inputs_are_refused():
    model = load_qmodel(IRIS / "qmodel.json")
    with pytest.raises(C64mlError):
        cc65_run(model, np.zeros((2, 5), dtype=np.uint8))
    with pytest.raises(C64mlError):
        cc65_run(model, np.full((2, 4), 256))


def test_doc_main_builds_with_cc65(tmp_path, cl65):
    """docs/c-backend.md's main.c and the iris C build as a normal cc65 C64 program."""
    from test_cbackend import doc_blocks

    from c64ml.backend_c.csource import c_source
    from c64ml.package.prg import parse_prg, stub_sys_address

    for name, text in c_source(load_qmodel(IRIS / "qmodel.json"), name="iris").items():
        (tmp_path / name).write_text(text)
    (tmp_path / "main.c").write_text(doc_blocks("c")[2])
    build = subprocess.run([cl65, "-t", "c64", *cb.CC65_FLAGS, "-o", "iris.prg", "main.c",
                            "iris.c"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    prg = (tmp_path / "iris.prg").read_bytes()
    start, data = parse_prg(prg)
    assert start == 0x0801 and len(data) > 1000
    assert start < stub_sys_address(prg) < start + len(data)  # cc65's BASIC stub: SYS 2061
