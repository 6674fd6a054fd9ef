"""Usage errors, help and Ctrl-C in the command line as a whole (c64ml/cli/__init__.py,
c64ml/console.py): every error is one line ``c64ml: error: ...`` with exit code 2, help
shows every default and no truncated summary, Ctrl-C is one line and 130 wherever it lands."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from c64ml.cli import main

ROOT = Path(__file__).resolve().parent.parent
IRIS = ROOT / "examples" / "iris"
COMMANDS = sorted(main.commands)


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line(result, *needles):
    assert result.exit_code == 2, result.output
    assert result.stdout == "", result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("c64ml: error: "), result.output
    for n in needles:
        assert n in lines[0], lines[0]
    assert "Usage:" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("args, needles", [
    (["run", "--max-cycles", "abc", "x.prg"],
     ["c64ml: error: --max-cycles: 'abc' is not a valid integer"]),
    (["run", "--max-cycles", "0", "x.prg"], ["--max-cycles", "0"]),
    (["run"], ["PROGRAM", "missing", "c64ml run --help"]),
    (["bogus"], ["no such command 'bogus'", "c64ml --help"]),
    (["run", "x.prg", "--bogus"], ["no such option", "--bogus", "c64ml run --help"]),
    (["compile", IRIS / "qmodel.json", "-o", "x.prg", "--mode", "foo"], ["--mode", "'foo'"]),
    (["quantize", IRIS / "model.json", "--calib", IRIS / "train.csv", "-o", "q.json",
      "--codebook", "x"], ["--codebook", "'x' is not a valid integer"]),
    (["verify", IRIS / "qmodel.json"], ["--data", "missing"]),
], ids=["bad-int", "out-of-range", "missing-arg", "command", "option", "choice", "codebook",
        "missing-option"])
def test_usage_errors_are_one_line(args, needles):
    one_line(invoke(*args), *needles)


@pytest.mark.parametrize("command", [["info", "{}"], ["eval", "{}", "--data", IRIS / "test.csv"],
                                     ["compile", "{}", "-o", "OUT"], ["run", "{}"],
                                     ["asm", "{}", "-o", "OUT"]])
def test_a_directory_given_as_a_file_is_one_line_naming_it(tmp_path, command):
    args = [str(tmp_path) if a == "{}" else str(tmp_path / "o.prg") if a == "OUT" else a
            for a in command]
    one_line(invoke(*args), f"{tmp_path}: is a directory")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs a file this user cannot read (root reads everything)")
def test_an_unreadable_file_is_one_line_naming_it(tmp_path):
    p = tmp_path / "m.json"
    p.write_bytes((IRIS / "qmodel.json").read_bytes())
    p.chmod(0)
    one_line(invoke("info", p), f"{p}: permission denied")


def test_usage_errors_in_a_real_process():
    p = subprocess.run([sys.executable, "-m", "c64ml.cli", "run", "--max-cycles", "abc",
                        "x.prg"], capture_output=True, text=True, timeout=120, cwd=ROOT,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr == "c64ml: error: --max-cycles: 'abc' is not a valid integer\n"


@pytest.mark.parametrize("command", [[]] + [[c] for c in COMMANDS])
def test_help_still_works(command):
    r = invoke(*command, "--help")
    assert r.exit_code == 0 and r.output.startswith("Usage: "), r.output
    assert invoke(*command, "-h").output == r.output


def test_top_level_help_truncates_nothing():
    r = invoke("--help")
    listing = r.output.split("Commands:")[1].splitlines()
    rows = [ln for ln in listing if ln.strip()]
    assert len(rows) == len(COMMANDS)
    for row in rows:
        assert not row.rstrip().endswith("..."), row


@pytest.mark.parametrize("command, shown", [
    ("compile", ["[default: library]", "[default: size]", "[default: native]"]),
    ("verify", ["[default: size]"]),
    ("run", ["[default: 20000000", "[default: 60"]),
    ("quantize", ["[default: 0.0]"]),
    ("demo", ["[default: digits]", "[default: .]"]),
    ("bench", ["[default: 100", "[default: 5"]),
])
def test_help_shows_the_defaults(command, shown):
    text = " ".join(invoke(command, "--help").output.split())
    for s in shown:
        assert s in text, (command, s)


@pytest.mark.parametrize("value", ["-0.1", "nan", "-inf", "inf", "1.0", "1"])
def test_prune_outside_0_to_1_is_refused_before_any_work(tmp_path, value):
    out = tmp_path / "q.json"
    one_line(invoke("quantize", IRIS / "model.json", "--calib", IRIS / "train.csv", "-o", out,
                    "--prune", value), "--prune", "[0, 1)")
    assert not out.exists()


def test_prune_inside_0_to_1_is_accepted(tmp_path):
    for value in ("0", "0.0", "0.5", "0.99"):
        r = invoke("quantize", IRIS / "model.json", "--calib", IRIS / "train.csv",
                   "-o", tmp_path / "q.json", "--prune", value)
        assert r.exit_code == 0, r.output


def test_output_extensions_follow_one_rule_in_compile_and_asm(tmp_path):
    src = tmp_path / "p.s"
    src.write_text(".org $C000\n rts\n")
    qm = IRIS / "qmodel.json"
    for cmd in (["compile", qm], ["asm", src]):
        one_line(invoke(*cmd, "-o", tmp_path / "x.xyz"), "unknown output type '.xyz'",
                 ".prg, .bin", ".d64")
        r = invoke(*cmd, "-o", tmp_path / "plain")        # no extension: a PRG
        assert r.exit_code == 0, r.output
        assert (tmp_path / "plain").read_bytes()[:2] == b"\x00\xc0"
    one_line(invoke("asm", src, "-o", tmp_path / "x.c"), "C source", "not an output")
    assert invoke("compile", qm, "-o", tmp_path / "x.xyz", "--format", "bin").exit_code == 0
    assert not (tmp_path / "x.c").exists()


@pytest.mark.parametrize("origin", ["-1", "$-001", "65536", "$10000", "+5", "C000", "zz"])
def test_bad_origins_are_refused(tmp_path, origin):
    one_line(invoke("compile", IRIS / "qmodel.json", "-o", tmp_path / "x.prg",
                    "--origin", origin), "--origin", "$0000-$FFFF")


def test_a_model_that_does_not_fit_at_its_origin_names_the_file(tmp_path):
    one_line(invoke("compile", IRIS / "qmodel.json", "-o", tmp_path / "x.prg",
                    "--origin", "$CF00"), f"{IRIS / 'qmodel.json'}: ", "$CF00")


# --- Ctrl-C ---------------------------------------------------------------------------

def test_the_console_script_is_the_guarded_entry_point():
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert doc["project"]["scripts"]["c64ml"] == "c64ml.console:main"


def test_ctrl_c_while_the_cli_is_still_importing_is_one_line():
    code = (
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'click':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "from c64ml.console import main\n"
        "main()\n")
    p = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True,
                       timeout=120, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert (p.returncode, p.stdout, p.stderr) == (130, "", "c64ml: interrupted\n")


def _children(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return f.read().split()
    except OSError:
        return []


@pytest.mark.skipif(not os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"),
                    reason="needs /proc/PID/task/PID/children to see the worker processes")
def test_ctrl_c_during_a_parallel_verify_is_one_line():
    """The terminal sends SIGINT to the whole process group: the workers ignore it, the
    parent ends the pool and prints one line (no ``Process ForkPoolWorker-N:`` tracebacks)."""
    digits = ROOT / "examples" / "digits"
    p = subprocess.Popen([sys.executable, "-m", "c64ml.cli", "verify", digits / "qmodel.json",
                          "--data", digits / "test.npz"], cwd=ROOT, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        deadline = time.monotonic() + 120
        while len(_children(p.pid)) < 2 and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.05)
        assert len(_children(p.pid)) >= 2, "the verify never started its workers"
        time.sleep(0.5)     # let the workers get into their samples
        os.killpg(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    assert (p.returncode, err) == (130, "c64ml: interrupted\n"), err
