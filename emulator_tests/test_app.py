"""The compiler's app mode (c64ml/backend6502/app.py) run in the emulated C64: every printed line
against the NumPy reference, the C64's own CIA2 cycle figures against the harness's
count of the same calls, the VICE debug-cart exit code, truncation and the CLI."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from c64ml.asm.assembler import assemble
from c64ml.backend6502.app import MARK_BUG, MARK_WRONG, app_source, build_app
from c64ml.backend6502.memory_plan import IO_START
from c64ml.cli import main
from c64ml.errors import C64mlError
from c64ml.exec.reference import output_bytes
from c64ml.machine import C64
from c64ml.model.dataset import Dataset, load_dataset
from c64ml.model.qmodel import load_qmodel
from c64ml.package.d64 import read_d64
from c64ml.package.prg import prg_with_stub

IRIS = Path(__file__).resolve().parent.parent / "examples" / "iris"
QM = load_qmodel(IRIS / "qmodel.json")
DS = load_dataset(IRIS / "test.csv", QM.inputs)
Q = QM.input_bytes(DS.x)
REF = output_bytes(QM, Q)
NAMES = [c.upper() for c in QM.classes]


def prg_of(build) -> bytes:
    return prg_with_stub(build.origin, build.program.data, build.addr("c64ml_start"))


def run_app(build, irq: bool, corrupt: tuple[int, ...] = ()) -> tuple[C64, object, list[str]]:
    """Run the app; (machine, result, every line it printed, scrolled off or not). Checks
    that the CPU wrote no zero page but what the build counts (``AppBuild.zero_page()``)."""
    m = C64(irq=irq)
    writes = m.watch_zero_page()
    out: list[int] = []
    m.on_chrout(out.append)
    prg = prg_of(build)
    m.load_prg(prg)
    for i in corrupt:   # flip a bit of sample i's first expected output byte
        m.ram[record(build, i) + build.labelled] ^= 0x01
    r = m.call(build.addr("c64ml_start"), max_cycles=20_000_000)
    text = bytes(c for c in out if c != 147).decode("latin-1")
    assert {addr for addr, _ in writes} <= build.zero_page()
    return m, r, text.split("\r")


def record(build, i: int) -> int:
    return build.addr("app_samples") + i * build.record_size


def harness_cycles(m: C64, build) -> list[int]:
    """The harness's count for each sample's call of c64ml_infer, inputs read in place."""
    inptr = build.addr("c64ml_inptr")
    off = build.labelled + QM.out_bytes
    cycles = []
    for i in range(build.samples):
        addr = record(build, i) + off
        m.ram[inptr:inptr + 2] = addr.to_bytes(2, "little")
        r = m.call(build.addr("c64ml_infer"))
        assert r.reason == "return" and r.clean_return
        assert m.read(build.addr("c64ml_out"), QM.out_bytes) == REF[i].tobytes()
        cycles.append(r.cycles)
    return cycles


@pytest.fixture(scope="module")
def iris():
    return build_app(QM, DS)


def sample_lines(lines: list[str], n: int) -> list[list[str]]:
    assert lines[0] == "C64ML APP: IRIS"
    assert lines[1].split() == ["#", "PREDICTION", "LABEL"]
    return [ln.split() for ln in lines[2:2 + n]]


def summary(lines: list[str], n: int) -> dict[str, str]:
    out = {}
    for ln in lines[2 + n:]:
        for key in ("SAMPLES", "ACCURACY", "REFERENCE MISMATCHES", "MIN", "MEAN", "MAX"):
            if ln.startswith(key + " "):
                out[key] = ln[len(key):].strip()
    return out


def test_iris_app_prints_the_reference_and_times_exactly(iris):
    """IRQ off: every line matches the reference, and min/mean/max of the C64's own CIA2
    figures equal the harness's cycle counts of the same calls."""
    assert iris.samples == iris.total == len(DS) == 45
    assert iris.zero_page() == {0xFB}  # dense.s's; the driver, print.s and timer.s use none
    m, r, lines = run_app(iris, irq=False)
    assert r.reason == "return" and r.clean_return, r.return_issues
    rows = sample_lines(lines, 45)
    predicted = REF[:, -1]
    for i, row in enumerate(rows):
        marks = [] if predicted[i] == DS.y[i] else [MARK_WRONG]
        assert row == [str(i + 1), NAMES[predicted[i]], NAMES[DS.y[i]]] + marks, row
    correct = int((predicted == DS.y).sum())
    s = summary(lines, 45)
    per_mille = 1000 * correct // 45
    assert s["ACCURACY"] == f"{correct}/45 = {per_mille // 10}.{per_mille % 10}%"
    assert s["REFERENCE MISMATCHES"] == "0" and s["SAMPLES"] == "45"
    cycles = harness_cycles(m, iris)
    assert (int(s["MIN"]), int(s["MEAN"]), int(s["MAX"])) == \
        (min(cycles), sum(cycles) // 45, max(cycles))
    assert len(set(cycles)) > 1                   # the figures really vary by sample


def test_with_the_irq_live_the_figures_include_irq_time(iris):
    m, r, lines = run_app(iris, irq=True)
    assert r.reason == "return" and r.clean_return and r.irq_count > 0
    s = summary(lines, 45)
    assert s["REFERENCE MISMATCHES"] == "0"
    _, _, quiet_lines = run_app(iris, irq=False)
    q = summary(quiet_lines, 45)
    assert int(s["MIN"]) >= int(q["MIN"]) and int(s["MAX"]) >= int(q["MAX"])
    assert int(s["MAX"]) - int(q["MAX"]) in range(0, 400)   # at most one IRQ per inference


def test_vice_exit_code_counts_mismatches():
    build = build_app(QM, DS, vice_exit=True)
    _, r, lines = run_app(build, irq=True)
    assert r.reason == "exit" and r.exit_code == 0
    bad = (3, 17, 44)
    _, r, lines = run_app(build, irq=False, corrupt=bad)
    assert r.reason == "exit" and r.exit_code == len(bad)
    rows = sample_lines(lines, 45)
    assert [i for i, row in enumerate(rows) if row[-1] == MARK_BUG] == list(bad)
    assert summary(lines, 45)["REFERENCE MISMATCHES"] == str(len(bad))


def test_a_scores_model_prints_its_output_bytes():
    qm = dataclasses.replace(QM, output="scores")
    build = build_app(qm, DS)
    _, r, lines = run_app(build, irq=False)
    assert r.clean_return
    ref = output_bytes(qm, Q)
    assert lines[1].split() == ["#", "OUTPUT", "BYTES", "(HEX)"]
    for i, ln in enumerate(lines[2:2 + 45]):
        assert ln.split() == [str(i + 1)] + [f"{b:02X}" for b in ref[i]]
    assert "ACCURACY" not in summary(lines, 45)


def test_too_many_samples_are_truncated_to_what_fits():
    big = Dataset(np.tile(DS.x, (140, 1)), np.tile(DS.y, 140))
    build = build_app(QM, big)
    k = build.samples
    assert 1000 < k < len(big) and build.total == len(big)
    assert build.bank_out_basic and build.end <= IO_START
    assert f"SAMPLES {k} OF {len(big)} (MEMORY FULL)".encode() in build.program.data
    # one more sample does not fit
    records = bytes(build.program.data[record(build, 0) - build.origin:
                                       record(build, k) - build.origin])
    records += records[:build.record_size]
    src = app_source(QM, records, build.record_size, k + 1, len(big), True, False, True)
    assert assemble(src, "x.s", build.origin).symbols["c64ml_end"] > IO_START
    # the first samples are the data set's, in order
    for i in (0, 1, k - 1):
        rec = build.program.data[record(build, i) - build.origin:][:build.record_size]
        assert rec == bytes([big.y[i]]) + REF[i % 45].tobytes() + Q[i % 45].tobytes()


def test_an_empty_data_set_is_refused():
    with pytest.raises(C64mlError, match="no samples"):
        build_app(QM, Dataset(DS.x[:0], DS.y[:0]))


def test_cli_compile_app_writes_prg_and_d64(tmp_path):
    runner = CliRunner()
    for name in ("iris.prg", "iris.d64"):
        res = runner.invoke(main, ["compile", str(IRIS / "qmodel.json"), "--mode", "app",
                                   "--data", str(IRIS / "test.csv"), "--vice-exit",
                                   "-o", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
    prg = (tmp_path / "iris.prg").read_bytes()
    assert read_d64((tmp_path / "iris.d64").read_bytes())[0][1] == prg
    assert prg[:2] == b"\x01\x08" and b"\x9e2061\x00" in prg[:16]
    m = C64(irq=True)
    r = m.run_prg(prg, max_cycles=20_000_000)
    assert r.reason == "exit" and r.exit_code == 0
    res = runner.invoke(main, ["compile", str(IRIS / "qmodel.json"), "--mode", "app",
                               "-o", str(tmp_path / "x.prg")])
    assert res.exit_code == 2 and "--data" in res.output

