"""`c64ml demo`: files, summary figures, exit codes; the fruit demo's exact ratio formula."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from click.testing import CliRunner

from c64ml.cli.demo import demo
from c64ml.demos.builders import fruit_byte

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def test_fruit_ratio_formula_equals_semantics_for_every_pair():
    """floor((510c + s) / 2s) == floor(x * 255.0 + 0.5), x = c/s in doubles (semantics §1,
    input_range [0, 1]), for all 0 <= c <= s <= 765, s > 0 (293,760 pairs)."""
    s, c = np.meshgrid(np.arange(1, 766), np.arange(0, 766), indexing="ij")
    keep = c <= s
    s, c = s[keep].astype(np.int64), c[keep].astype(np.int64)
    assert len(s) == 293_760
    x = c.astype(np.float64) / s.astype(np.float64)
    d = x - 0.0
    t = d * 255.0
    u = t / (1.0 - 0.0)
    double = np.clip(np.floor(u + 0.5), 0, 255).astype(np.int64)
    ties = (510 * c) % (2 * s) == s  # exact halves: the formula must round them up
    assert ties.sum() > 1000
    assert np.array_equal((510 * c + s) // (2 * s), double)
    assert all(fruit_byte(int(a), int(b)) == int(v) for a, b, v in
               zip(c[ties][:200], s[ties][:200], double[ties][:200]))


def test_demo_xor_writes_files_and_json(tmp_path):
    r = CliRunner().invoke(demo, ["--which", "xor", "--out", str(tmp_path / "o"), "--json"])
    assert r.exit_code == 0, r.output
    f = json.loads(r.stdout)
    assert f["demo"] == "xor" and f["mismatches"] == 0 and f["samples"] == 4
    assert f["accuracy"]["c64"] == 1.0 and f["extra"]["perceptron"]["mismatches"] == 0
    assert f["extra"]["perceptron"]["accuracy"]["c64"] < 1.0
    prg = (tmp_path / "o" / "xor-demo.prg").read_bytes()
    assert prg[:2] == b"\x01\x08" and len(prg) == f["prg_bytes"]
    assert len((tmp_path / "o" / "xor-demo.d64").read_bytes()) == 174_848


def test_demo_fruit_summary(tmp_path):
    r = CliRunner().invoke(demo, ["--which", "fruit", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    out = r.stdout
    for text in ("fruit demo", "mismatches   0", "accuracy     float", "PAL", "NTSC",
                 "bytes", f"x64sc -autostart {tmp_path / 'fruit-demo.prg'}",
                 'LOAD "FRUIT-DEMO",8 then RUN'):
        assert text in out, out
    assert (tmp_path / "fruit-demo.prg").is_file() and (tmp_path / "fruit-demo.d64").is_file()


def test_demo_is_registered():
    from c64ml.cli import main

    assert "demo" in main.commands


def test_demo_default_in_a_real_process(tmp_path):
    """The main job as a user runs it: the bundled digits model, verified on all 540 samples."""
    code = ("import sys; from c64ml.cli import main; from c64ml.cli.demo import demo; "
            "main.add_command(demo); sys.argv[0] = 'c64ml'; main()")
    p = subprocess.run([sys.executable, "-c", code, "demo", "--out", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "verified on 540 samples" in out and "mismatches   0" in out
    for text in ("accuracy     float", "fixed point", "6502", "cycles       min", "PAL", "NTSC",
                 "x64sc -autostart", "digits-demo.prg"):
        assert text in out
    assert (tmp_path / "digits-demo.prg").stat().st_size > 10_000
    assert (tmp_path / "digits-demo.d64").stat().st_size == 174_848


def test_demo_bad_out_dir_is_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    from c64ml.cli import main

    main.add_command(demo)
    r = CliRunner().invoke(main, ["demo", "--which", "xor", "--out", str(tmp_path / "file")])
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("c64ml: error: ")


def test_committed_screenshots_are_pngs_of_the_screen_size():
    import struct
    import zlib

    for name in ("digits", "digits-draw", "fruit", "xor"):
        data = (ROOT / "docs" / "screenshots" / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
        length, kind = struct.unpack(">I4s", data[8:16])
        assert kind == b"IHDR" and length == 13
        width, height = struct.unpack(">II", data[16:24])
        assert (width, height) == (768, 544), name  # 384 x 272 C64 pixels, scale 2
        assert zlib.crc32(data[12:29]) == struct.unpack(">I", data[29:33])[0]
        assert data.endswith(b"IEND\xaeB`\x82")


def test_run_build_in_two_processes_gives_the_same_outputs_and_cycles():
    from c64ml.backend6502.compiler import build_library
    from c64ml.model.qmodel import load_qmodel
    from c64ml.verify.harness import run_build

    model = load_qmodel(ROOT / "examples" / "iris" / "qmodel.json")
    q = np.random.default_rng(1).integers(0, 256, (70, model.inputs), dtype=np.uint8)
    build = build_library(model)
    one, two = run_build(build, q, jobs=1), run_build(build, q, jobs=2)
    assert np.array_equal(one.outputs, two.outputs) and np.array_equal(one.cycles, two.cycles)
    assert one.outputs.shape == (70, model.out_bytes) and one.cycles.min() > 100


def test_demo_learn_checks_every_sample_and_writes_files(tmp_path):
    r = CliRunner().invoke(demo, ["--which", "learn", "--out", str(tmp_path), "--json"])
    assert r.exit_code == 0, r.output
    f = json.loads(r.stdout)
    assert f["demo"] == "learn" and f["mismatches"] == 0 and f["samples"] == 174
    assert f["errors_per_epoch"][9] == 0  # AND learned by the tenth epoch
    assert min(f["errors_per_epoch"][12:]) >= 1  # XOR never
    prg = (tmp_path / "learn-demo.prg").read_bytes()
    assert prg[:2] == b"\x01\x08" and len(prg) == f["prg_bytes"]
