"""`c64ml compile --listing`: cycles per instruction as the datasheet gives them, per-layer
and total cycles equal to the harness's and `c64ml verify`'s, routine figures that add up to
the total, and a listing file written only when the whole command succeeds."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from testpaths import EXAMPLES
from testpaths import run_cli as run

from c64ml.backend6502.strategy import build_optimized
from c64ml.model.dataset import load_dataset
from c64ml.model.qmodel import load_qmodel
from c64ml.verify.harness import run_build

# Opcode byte -> (base cycles, what may be added), from the MOS datasheet, written here by hand:
# "p" one more on a page crossing of an indexed read, "b" one more when the branch is taken.
DATASHEET = {0xA9: (2, ""), 0xA2: (2, ""), 0xAD: (4, ""), 0x8D: (4, ""), 0x85: (3, ""),
             0xA5: (3, ""), 0x20: (6, ""), 0x60: (6, ""), 0x18: (2, ""), 0xE8: (2, ""),
             0xCA: (2, ""), 0xBC: (4, "p"), 0xBD: (4, "p"), 0xB9: (4, "p"), 0x7D: (4, "p"),
             0xF9: (4, "p"), 0xB1: (5, "p"), 0x9D: (5, ""), 0xFE: (7, ""), 0xEE: (6, ""),
             0xD0: (2, "b"), 0xF0: (2, "b"), 0x90: (2, "b"), 0x10: (2, "b")}
ROW = re.compile(r"^([0-9A-F]{4})  ((?:[0-9A-F]{2} ?){1,3}(?:\.\.)?)\s+(\S+)\s")


def listing_rows(text: str):
    """(address, bytes shown, cycles text) of every instruction row."""
    for line in text.splitlines():
        m = ROW.match(line)
        if m and not m.group(3).startswith((".", ";")) and m.group(3)[0].isdigit():
            yield int(m.group(1), 16), bytes.fromhex(m.group(2).replace("..", "")), m.group(3)


@pytest.fixture(scope="module")
def iris_listing(tmp_path_factory):
    d = tmp_path_factory.mktemp("lst")
    r = run("compile", EXAMPLES / "iris" / "qmodel.json", "-o", d / "iris.prg", "--listing",
            d / "iris.lst", "--data", EXAMPLES / "iris" / "test.csv", "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output), (d / "iris.lst").read_text(), d


def test_json_names_the_listing(iris_listing):
    info, _, d = iris_listing
    assert info["listing"] == str(d / "iris.lst") and info["listing"] in info["files"]


def test_cycles_per_instruction_are_the_datasheet_values(iris_listing):
    _, text, _ = iris_listing
    seen = set()
    for addr, data, cyc in listing_rows(text):
        if data[0] not in DATASHEET:
            continue
        base, extra = DATASHEET[data[0]]
        seen.add(data[0])
        if extra == "p":
            aligned = len(data) == 3 and data[1] == 0  # abs,x / abs,y from a page start
            assert cyc == (str(base) if aligned else f"{base}+1p"), (hex(addr), cyc)
        elif extra == "b":
            target = addr + 2 + (data[1] - 256 if data[1] > 127 else data[1])
            crosses = target >> 8 != (addr + 2) >> 8
            assert cyc == f"{base}+1b" + ("+1p" if crosses else ""), (hex(addr), cyc)
        else:
            assert cyc == str(base), (hex(addr), cyc)
    assert len(seen) >= 20, sorted(hex(b) for b in set(DATASHEET) - seen)


def _figures(text: str) -> tuple[float, list[float], float, float]:
    """(total, per-layer cycles, sum of the routines' and generated code's own cycles,
    that table's total) as printed in the listing."""
    total = float(re.search(r"mean cycles per inference (\d+\.\d)", text).group(1))
    layers = [float(c) for c in re.findall(r"^; layer \d+: .*: (\d+\.\d) cycles per inference",
                                          text, re.MULTILINE)]
    own_table = text.split("routine: its own instructions")[1].splitlines()[1:]
    own = [float(line.split()[-2]) for line in own_table if line.strip() != ";"]
    return total, layers, sum(own[:-1]), own[-1]


@pytest.mark.parametrize("model, data, optimize", [
    ("iris/qmodel.json", "iris/test.csv", "size"),
    ("xor/mlp.qmodel.json", "xor/data.csv", "speed")])
def test_measured_figures_are_the_harness_and_verify_figures(model, data, optimize, tmp_path):
    r = run("compile", EXAMPLES / model, "-o", tmp_path / "m.prg", "--optimize", optimize,
            "--listing", tmp_path / "m.lst", "--data", EXAMPLES / data)
    assert r.exit_code == 0, r.output
    total, layers, own_sum, own_total = _figures((tmp_path / "m.lst").read_text())
    v = run("verify", EXAMPLES / model, "--data", EXAMPLES / data, "--optimize", optimize,
            "--json")
    assert f"{json.loads(v.output)['cycles']['mean']:.1f}" == f"{total:.1f}"
    qm = load_qmodel(EXAMPLES / model)
    harness = run_build(build_optimized(qm, optimize),
                        qm.input_bytes(load_dataset(EXAMPLES / data, qm.inputs).x))
    assert [f"{c:.1f}" for c in harness.layer_cycles.mean(axis=0)] == \
        [f"{c:.1f}" for c in layers]
    assert own_total == total and abs(own_sum - total) <= 0.05 * 10


def test_app_listing_measures_the_app_itself(tmp_path):
    r = run("compile", EXAMPLES / "xor" / "mlp.qmodel.json", "--mode", "app", "--data",
            EXAMPLES / "xor" / "data.csv", "-o", tmp_path / "a.prg", "--listing",
            tmp_path / "a.lst")
    assert r.exit_code == 0, r.output
    text = (tmp_path / "a.lst").read_text()
    assert "\n080D  " in text and "app_samples" in text  # the app's own addresses
    total, layers, own_sum, own_total = _figures(text)
    assert own_total == total and len(layers) == 2 and sum(layers) < total


def test_without_data_only_the_static_cycles(tmp_path):
    r = run("compile", EXAMPLES / "xor" / "mlp.qmodel.json", "-o", tmp_path / "m.prg",
            "--listing", tmp_path / "m.lst")
    assert r.exit_code == 0, r.output
    text = (tmp_path / "m.lst").read_text()
    assert "nothing measured" in text and "where the cycles go" not in text
    assert "\n; layer 1: 2 -> 1, step, u8 inputs, loop\n" in text


@pytest.mark.parametrize("args, words", [
    (["--data", EXAMPLES / "iris" / "test.csv"], "columns"),          # 4 columns, 2 inputs
    (["--format", "c"], "--listing does not apply")])
def test_listing_is_written_only_on_success(tmp_path, args, words):
    out, lst = tmp_path / "m.prg", tmp_path / "m.lst"
    r = run("compile", EXAMPLES / "xor" / "mlp.qmodel.json", "-o", out, "--listing", lst, *args)
    assert r.exit_code == 2 and r.output.startswith("c64ml: error: ") and words in r.output
    assert len(r.output.strip().splitlines()) == 1
    assert not lst.exists() and not out.exists() and not list(tmp_path.iterdir())


def test_profile_does_not_change_the_cycles():
    qm = load_qmodel(EXAMPLES / "iris" / "qmodel.json")
    q = qm.input_bytes(load_dataset(EXAMPLES / "iris" / "test.csv", qm.inputs).x[:6])
    build = build_optimized(qm, "speed")
    plain, profiled = run_build(build, q), run_build(build, q, profile=True)
    assert np.array_equal(plain.cycles, profiled.cycles)
    assert np.array_equal(plain.layer_cycles, profiled.layer_cycles)
    assert sum(profiled.profile.own.values()) == plain.cycles.sum()
