"""Files that must never be lost: outputs never overwrite inputs or each other, a command's
outputs are written all together or not at all (also on Ctrl-C), devices and FIFOs are
written in place, symlinks are written through, and non-regular inputs never hang."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from testpaths import EXAMPLES, ROOT
from testpaths import run_cli as run

from c64ml import fileio
from c64ml.errors import C64mlError
from c64ml.fileio import Outputs

IRIS = EXAMPLES / "iris"
HELLO = EXAMPLES / "hello" / "hello.s"


def one_line(result, *needles: str, code: int = 2) -> str:
    """The single output line of a failed command, after checking exit code and words."""
    assert result.exit_code == code, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    for n in needles:
        assert str(n) in lines[0], result.output
    return lines[0]


def at(folder: Path, args: list) -> list:
    """``args`` with every ``@name`` made a path in ``folder``."""
    return [folder / a[1:] if isinstance(a, str) and a.startswith("@") else a for a in args]


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under ``folder``: kind, and bytes or link target."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_symlink():
            out[rel] = ("link", os.readlink(p))
        elif p.is_dir():
            out[rel] = ("dir",)
        elif p.is_fifo():
            out[rel] = ("fifo",)
        else:
            st_ = p.stat()
            out[rel] = ("file", p.read_bytes(), st_.st_ino)
    return out


@pytest.fixture()
def work(tmp_path):
    """A folder with a qmodel, a float model, a data set, an assembly source and a PRG."""
    shutil.copy(IRIS / "qmodel.json", tmp_path / "m.json")
    shutil.copy(IRIS / "model.json", tmp_path / "float.json")
    shutil.copy(IRIS / "test.csv", tmp_path / "d.csv")
    shutil.copy(HELLO, tmp_path / "x.s")
    assert run("asm", tmp_path / "x.s", "-o", tmp_path / "p.prg").exit_code == 0
    return tmp_path


# --- outputs that are inputs --------------------------------------------------

SAME_AS_INPUT = {
    "compile -o MODEL": (["compile", "@m.json", "-o", "@m.json", "--format", "prg"], "m.json"),
    "compile --labels MODEL": (["compile", "@m.json", "-o", "@o.prg", "--labels", "@m.json"],
                               "m.json"),
    "compile -o DATA": (["compile", "@m.json", "--mode", "app", "--data", "@d.csv", "-o",
                         "@d.csv", "--format", "prg"], "d.csv"),
    "compile --format c -o MODEL": (["compile", "@m.json", "--format", "c", "-o", "@m.json"],
                                    "m.json"),
    "quantize -o MODEL": (["quantize", "@float.json", "--calib", "@d.csv", "-o",
                           "@float.json"], "float.json"),
    "quantize -o CALIB": (["quantize", "@float.json", "--calib", "@d.csv", "-o", "@d.csv"],
                          "d.csv"),
    "asm --listing SOURCE": (["asm", "@x.s", "-o", "@o.prg", "--listing", "@x.s"], "x.s"),
    "asm --labels SOURCE": (["asm", "@x.s", "-o", "@o.prg", "--labels", "@x.s"], "x.s"),
    "run --screenshot PROGRAM": (["run", "@p.prg", "--screenshot", "@p.prg"], "p.prg"),
}


@pytest.mark.parametrize("case", sorted(SAME_AS_INPUT))
def test_an_output_never_overwrites_an_input(work, case):
    args, victim = SAME_AS_INPUT[case]
    before = snapshot(work)
    one_line(run(*at(work, args)), f"{work / victim}", "would overwrite the input")
    assert snapshot(work) == before  # the input's bytes unchanged, nothing else written


@pytest.mark.parametrize("alias", ["hardlink", "symlink", "dotted"])
def test_inputs_are_recognised_through_links(work, alias):
    target = work / "alias.prg"
    if alias == "hardlink":
        os.link(work / "m.json", target)
    elif alias == "symlink":
        target.symlink_to("m.json")
    else:
        target = work / "." / ".." / work.name / "m.json"
    before = snapshot(work)
    one_line(run("compile", work / "m.json", "-o", target, "--format", "prg"),
             "would overwrite the input")
    assert snapshot(work) == before


def test_a_demo_never_overwrites_the_model_it_reads(tmp_path, monkeypatch):
    """xor-demo.prg as a symlink to the demo's own model: refused after reading it."""
    from c64ml.demos import builders

    shutil.copytree(EXAMPLES / "xor", tmp_path / "examples" / "xor")
    monkeypatch.setattr(builders, "EXAMPLES", tmp_path / "examples")
    out = tmp_path / "out"
    out.mkdir()
    (out / "xor-demo.prg").symlink_to(tmp_path / "examples" / "xor" / "mlp.qmodel.json")
    before = snapshot(tmp_path)
    r = run("demo", "--which", "xor", "--out", out)
    assert r.exit_code == 2, r.output
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("c64ml: error:")]
    assert errors == r.stderr.splitlines()[-1:] and "would overwrite the input" in errors[0]
    assert r.stdout == "" and snapshot(tmp_path) == before


# --- two outputs, one file -----------------------------------------------------


@pytest.mark.parametrize("args", [
    ["compile", "@m.json", "-o", "@o.prg", "--labels", "@o.prg"],
    ["compile", "@m.json", "-o", "@o.prg", "--labels", "@./o.prg"],
    ["compile", "@m.json", "-o", "@o.prg", "--labels", "@ln.lbl"],
    ["asm", "@x.s", "-o", "@o.prg", "--listing", "@o.lst", "--labels", "@o.lst"],
    ["asm", "@x.s", "-o", "@o.prg", "--listing", "@ln.lbl"],
])
def test_two_outputs_never_share_a_file(work, args):
    (work / "ln.lbl").symlink_to("o.prg")
    (work / "o.prg").write_bytes(b"keep")
    before = snapshot(work)
    args = [f"{work}/{a[1:]}" if a.startswith("@") else a for a in args]  # keep "./"
    one_line(run(*args), "two outputs cannot share a file")
    assert snapshot(work) == before


# --- all or nothing ---------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["compile", "@m.json", "-o", "@keep.prg", "--labels", "@nodir/x.lbl"],
    ["asm", "@x.s", "-o", "@keep.prg", "--listing", "@nodir/x.lst"],
    ["asm", "@x.s", "-o", "@keep.prg", "--labels", "@sub"],
])
def test_a_bad_second_output_leaves_the_first_alone(work, args):
    (work / "keep.prg").write_bytes(b"precious")
    (work / "sub").mkdir()
    before = snapshot(work)
    args = at(work, args)
    one_line(run(*args), str(args[-1]))
    assert snapshot(work) == before


def test_a_failure_while_writing_removes_every_temporary_file(work):
    (work / "keep.prg").write_bytes(b"precious")
    before = snapshot(work)
    real = tempfile.mkstemp
    calls = []

    def second_fails(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*a, **k)

    with mock.patch.object(fileio.tempfile, "mkstemp", second_fails):
        r = run("compile", work / "m.json", "-o", work / "keep.prg", "--labels", work / "k.lbl")
    one_line(r, "No space left on device")
    assert len(calls) == 2 and snapshot(work) == before


def test_ctrl_c_during_compile_report_leaves_nothing(work, monkeypatch):
    from c64ml.cli import compile as cli_compile

    (work / "out.prg").write_bytes(b"older build")

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_compile, "_measure", interrupted)
    before = snapshot(work)
    r = run("compile", work / "m.json", "-o", work / "out.prg", "--report", "--labels",
            work / "out.lbl")
    assert one_line(r, code=130) == "c64ml: interrupted"
    assert snapshot(work) == before


def test_ctrl_c_while_writing_temporary_files_leaves_nothing(work):
    before = snapshot(work)
    real = tempfile.mkstemp
    calls = []

    def second_interrupted(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    with mock.patch.object(fileio.tempfile, "mkstemp", second_interrupted):
        r = run("asm", work / "x.s", "-o", work / "a.prg", "--listing", work / "a.lst")
    assert one_line(r, code=130) == "c64ml: interrupted"
    assert snapshot(work) == before


def test_ctrl_c_is_held_back_while_renaming():
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with fileio._interrupts_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            reached.append("the block ran to its end")
    assert reached


# --- symlinks, devices, FIFOs ---------------------------------------------------


def test_a_symlink_output_is_written_through_and_kept(work):
    plain = work / "plain.prg"
    assert run("compile", work / "m.json", "-o", plain).exit_code == 0
    (work / "old.prg").write_bytes(b"old")
    (work / "sub").mkdir()
    for link, target in (("l1.prg", "old.prg"), ("l2.prg", "sub/new.prg")):
        (work / link).symlink_to(target)
        r = run("compile", work / "m.json", "-o", work / link)
        assert r.exit_code == 0, r.output
        assert os.readlink(work / link) == target
        assert (work / target).read_bytes() == plain.read_bytes()


@pytest.mark.parametrize("target, words", [("nodir/x.prg", "does not exist"),
                                           ("loop.prg", "symbolic links")])
def test_a_broken_symlink_output_is_one_line(work, target, words):
    (work / "l.prg").symlink_to(target)
    (work / "loop.prg").symlink_to("loop.prg")
    before = snapshot(work)
    one_line(run("compile", work / "m.json", "-o", work / "l.prg"), "l.prg", words)
    assert snapshot(work) == before


def test_output_directory_is_one_line(work):
    (work / "d").mkdir()
    before = snapshot(work)
    one_line(run("asm", work / "x.s", "-o", work / "o.prg", "--listing", work / "d"),
             "is a directory")
    assert snapshot(work) == before


@pytest.fixture()
def char_device(tmp_path):
    """/dev/null where a broken implementation could not replace it (/dev not writable by
    us), else a private copy of it made with mknod; skipped if neither is possible."""
    if not os.access("/dev", os.W_OK) and stat.S_ISCHR(os.stat("/dev/null").st_mode):
        yield Path("/dev/null")
        return
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        os.close(os.open(node, os.O_WRONLY))
    except (OSError, AttributeError):
        pytest.skip("cannot make a character device here")
    yield node


def test_a_character_device_is_written_in_place(work, char_device):
    r = run("compile", work / "m.json", "-o", char_device, "--labels", work / "o.lbl")
    assert r.exit_code == 0, r.output
    assert stat.S_ISCHR(os.stat(char_device).st_mode)
    assert os.stat(char_device).st_rdev == os.makedev(1, 3)
    assert (work / "o.lbl").read_text().startswith("al C:")
    assert not [p for p in char_device.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_block_device_is_refused(work):
    node = work / "blk"
    try:  # a device number no driver serves: even a wrong write could not reach a disk
        os.mknod(node, stat.S_IFBLK | 0o600, os.makedev(240, 251))
    except (OSError, AttributeError):
        pytest.skip("cannot make a block device here")
    one_line(run("compile", work / "m.json", "-o", node), "is a block device")
    assert stat.S_ISBLK(os.stat(node).st_mode)


@pytest.fixture()
def stdout_path(tmp_path):
    """/dev/stdout where a broken implementation could not replace it (/dev not writable by
    us), else a private symlink to /proc/self/fd/1, as /dev/stdout is on Linux."""
    if not os.access("/dev", os.W_OK) and os.path.exists("/dev/stdout"):
        return "/dev/stdout"
    if not os.path.exists("/proc/self/fd/1"):
        pytest.skip("no /proc/self/fd")
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    return str(link)


def test_dev_stdout_is_the_command_output(work, stdout_path):
    plain = work / "plain.prg"
    assert run("compile", work / "m.json", "-o", plain).exit_code == 0
    cmd = [sys.executable, "-m", "c64ml.cli", "compile", work / "m.json", "-o", stdout_path]
    p = subprocess.run(cmd, capture_output=True, cwd=ROOT, timeout=120)  # stdout a pipe
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(plain.read_bytes() + f"wrote {stdout_path}\n".encode())
    with open(work / "captured", "wb") as f:  # stdout a regular file
        assert subprocess.run(cmd, stdout=f, cwd=ROOT, timeout=120).returncode == 0
    assert (work / "captured").read_bytes().startswith(plain.read_bytes() + b"wrote")
    assert os.path.islink(stdout_path)


def in_thread(fn, fifo: Path | None = None, timeout: float = 60):
    """``fn()`` in a thread; fail (and wake an open() stuck on ``fifo``) if it hangs."""
    box = []
    t = threading.Thread(target=lambda: box.append(fn()), daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        for flags in (os.O_RDONLY | os.O_NONBLOCK, os.O_WRONLY | os.O_NONBLOCK):
            try:
                os.close(os.open(fifo, flags))
            except (OSError, TypeError):
                pass
        pytest.fail(f"still running after {timeout} s: it hangs")
    return box[0]


def test_a_fifo_output_without_reader_is_refused_at_once(work):
    fifo = work / "o.prg"
    os.mkfifo(fifo)
    r = in_thread(lambda: run("compile", work / "m.json", "-o", fifo, "--labels",
                              work / "o.lbl"), fifo, timeout=30)
    one_line(r, str(fifo), "no reader")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and not (work / "o.lbl").exists()


def test_a_fifo_output_with_a_reader_gets_the_bytes(work):
    plain = work / "plain.prg"
    assert run("compile", work / "m.json", "-o", plain).exit_code == 0
    fifo = work / "o.prg"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        r = in_thread(lambda: run("compile", work / "m.json", "-o", fifo), fifo, timeout=60)
        assert r.exit_code == 0, r.output
        got = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert got == plain.read_bytes() and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_real_ctrl_c_while_writing_a_fifo(work):
    """A D64 (174848 bytes) into a FIFO nobody reads blocks; Ctrl-C then exits 130 with one
    line, and the --labels file, written to a temporary file first, is not left behind."""
    fifo = work / "o.d64"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "c64ml.cli", "compile", work / "m.json",
                                 "-o", fifo, "--labels", work / "o.lbl"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        import fcntl
        import termios

        deadline = time.monotonic() + 120
        pending = bytearray(4)
        while time.monotonic() < deadline and proc.poll() is None:
            fcntl.ioctl(reader, termios.FIONREAD, pending)
            if int.from_bytes(pending, sys.byteorder) > 0:
                break  # it is writing the FIFO (all temporary files exist by now)
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(reader)
    assert proc.returncode == 130, err
    assert err.decode().splitlines() == ["c64ml: interrupted"] and out == b""
    assert sorted(p.name for p in work.iterdir()) == ["d.csv", "float.json", "m.json",
                                                      "o.d64", "p.prg", "x.s"]


# --- inputs that are not regular files -----------------------------------------------


FIFO_INPUTS = {
    "info": (["info", "@in.json"], "in.json"),
    "eval": (["eval", "@m.json", "--data", "@in.csv"], "in.csv"),
    "compile": (["compile", "@in.json", "-o", "@o.prg"], "in.json"),
    "compile --data": (["compile", "@m.json", "--mode", "app", "--data", "@in.npz", "-o",
                        "@o.prg"], "in.npz"),
    "quantize": (["quantize", "@float.json", "--calib", "@in.npz", "-o", "@o.json"], "in.npz"),
    "asm": (["asm", "@in.s", "-o", "@o.prg"], "in.s"),
    "run": (["run", "@in.prg"], "in.prg"),
}


@pytest.mark.parametrize("case", sorted(FIFO_INPUTS))
def test_a_fifo_input_is_refused_without_hanging(work, case):
    args, name = FIFO_INPUTS[case]
    os.mkfifo(work / name)
    before = snapshot(work)
    r = in_thread(lambda: run(*at(work, args)), work / name, timeout=30)
    one_line(r, str(work / name), "is a FIFO, not a regular file")
    assert snapshot(work) == before


def test_device_and_directory_inputs_are_refused(work, char_device):
    one_line(run("info", char_device), "character device, not a regular file")
    (work / "dir.prg").mkdir()
    one_line(run("run", work / "dir.prg"), "is a directory")


# --- stdout that cannot be written ----------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_stdout_full_is_one_line():
    with open("/dev/full", "wb") as full:
        p = subprocess.run([sys.executable, "-m", "c64ml.cli", "info", IRIS / "model.json"],
                           stdout=full, stderr=subprocess.PIPE, cwd=ROOT, timeout=120)
    assert p.returncode == 2
    assert p.stderr.decode().splitlines() == [
        "c64ml: error: standard output: cannot write: No space left on device"]


def test_stdout_closed_pipe_is_one_line():
    proc = subprocess.Popen([sys.executable, "-m", "c64ml.cli", "info", IRIS / "model.json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 2
    assert err.splitlines() == ["c64ml: error: standard output: cannot write: Broken pipe"]


# --- the mechanism, fuzzed -------------------------------------------------------

#: name -> the file it finally names ("slot"), or None for a destination that cannot be.
NAMES = {"a": "a", "ha": "a", "sa": "a", "b": "b", "sb": "b", "./b": "b", "new1": "new1",
         "sn": "new1", "new2": "new2", "d/f": "d/f", "d": None, "missing/x": None,
         "sd": None}


def layout(root: Path) -> None:
    (root / "a").write_bytes(b"input")
    (root / "b").write_bytes(b"old b")
    os.link(root / "a", root / "ha")
    (root / "sa").symlink_to("a")
    (root / "sb").symlink_to("b")
    (root / "sn").symlink_to("new1")
    (root / "sd").symlink_to("missing/x")
    (root / "d").mkdir()


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(sorted(NAMES)), st.binary(max_size=32)),
                min_size=1, max_size=4),
       st.one_of(st.none(), st.integers(1, 4)), st.sampled_from([OSError, KeyboardInterrupt]))
def test_outputs_commit_all_or_nothing(outputs, fail_at, failure):
    """Predicted independently from the layout: a commit succeeds only if no output is the
    input ``a``, a directory or in a missing folder, no two outputs share a file, and no
    temporary file fails; then each file holds its bytes and links stay links. Otherwise
    nothing under the folder changes."""
    root = Path(tempfile.mkdtemp())
    try:
        layout(root)
        before = snapshot(root)
        slots = [NAMES[name] for name, _ in outputs]
        regular = len(outputs)
        ok = None not in slots and "a" not in slots and len(set(slots)) == len(slots) \
            and (fail_at is None or fail_at > regular)
        real, calls = tempfile.mkstemp, []

        def maybe_fail(*a, **k):
            calls.append(1)
            if len(calls) == fail_at:
                raise failure(errno.EIO, "injected") if failure is OSError else failure()
            return real(*a, **k)

        outs = Outputs(inputs=[root / "a"])
        try:
            for name, data in outputs:
                outs.add(os.path.join(root, name), data)
            with mock.patch.object(fileio.tempfile, "mkstemp", maybe_fail):
                outs.commit()
        except (C64mlError, KeyboardInterrupt) as e:
            assert not ok, e
            if isinstance(e, C64mlError):
                assert "\n" not in e.line() and e.line().startswith(str(root))
            assert snapshot(root) == before
        else:
            assert ok
            after = snapshot(root)
            for (name, data), slot in zip(outputs, slots):
                assert (root / slot).read_bytes() == data
            assert after["a"] == before["a"] and after["ha"] == before["ha"]
            for link in ("sa", "sb", "sn", "sd"):
                assert after[link] == before[link]
            assert not [k for k in after if k.endswith(".tmp")]
    finally:
        shutil.rmtree(root)
