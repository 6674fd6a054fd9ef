"""Fuzzing the data set readers: any .npz or .csv either loads into a sane Dataset or fails
with one C64mlError line naming the file, and every command that reads data turns it into
exactly one output line and exit code 2."""

from __future__ import annotations

import io
import shutil
import struct
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from testpaths import EXAMPLES
from testpaths import run_cli as run

from c64ml.errors import C64mlError
from c64ml.model.dataset import load_dataset

IRIS = EXAMPLES / "iris"


def fuzz(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# --- building .npz files byte by byte ----------------------------------------


def npy(header: str, body: bytes = b"", version: tuple[int, int] = (1, 0)) -> bytes:
    """A .npy member: magic, version, the header text padded as numpy pads it, the body."""
    h = header.encode("utf-8")
    size = 2 if version == (1, 0) else 4
    h += b" " * (-(6 + 2 + size + len(h) + 1) % 64) + b"\n"
    length = struct.pack("<H" if size == 2 else "<I", len(h))
    return b"\x93NUMPY" + bytes(version) + length + h + body


def header(descr: str, shape: str, fortran: str = "False") -> str:
    return f"{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, }}"


def zip_members(members: list[tuple[str, bytes, int]]) -> bytes:
    """A zip of (name, data, method) members; an unknown method is patched in afterwards."""
    buf = io.BytesIO()
    known = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
    with zipfile.ZipFile(buf, "w") as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are part of the fuzzing
        for name, data, method in members:
            z.writestr(zipfile.ZipInfo(name), data,
                       compress_type=method if method in known else zipfile.ZIP_STORED)
    raw = bytearray(buf.getvalue())
    for i, (_, _, method) in enumerate(members):
        if method not in known:
            patch_entry(raw, i, method=method)
    return bytes(raw)


def patch_entry(raw: bytearray, index: int, method: int | None = None,
                encrypt: bool = False) -> None:
    """Set the compression method or the encryption flag of one member, in both its local
    header and its central directory entry (the zip layout of APPNOTE 4.3.7 and 4.3.12)."""
    end = raw.rindex(b"PK\x05\x06")
    pos = struct.unpack_from("<I", raw, end + 16)[0]
    for _ in range(index):
        n, m, k = struct.unpack_from("<HHH", raw, pos + 28)
        pos += 46 + n + m + k
    assert raw[pos:pos + 4] == b"PK\x01\x02"
    local = struct.unpack_from("<I", raw, pos + 42)[0]
    assert raw[local:local + 4] == b"PK\x03\x04"
    for flags_at, method_at in ((pos + 8, pos + 10), (local + 6, local + 8)):
        if method is not None:
            struct.pack_into("<H", raw, method_at, method)
        if encrypt:
            raw[flags_at] |= 1


def valid_npz(x: np.ndarray, y: np.ndarray | None, compressed: bool) -> bytes:
    buf = io.BytesIO()
    arrays = {"x": x} if y is None else {"x": x, "y": y}
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


# --- strategies ----------------------------------------------------------------

DESCRS = ["'<f8'", "'<f4'", "'>f8'", "'<f2'", "'|u1'", "'<i2'", "'<i8'", "'>u4'", "'|b1'",
          "'|O'", "'<c16'", "'<U3'", "'|V8'", "'<M8[D]'", "'<f16'", "[('a', '<f8')]",
          "('<f8', (2,))", "'xx'", "3", "None"]
DIMS = st.one_of(st.integers(-3, 6), st.sampled_from([0, 2**31, 2**63, 10**30, -(2**40)]),
                 st.just(True))
SHAPES = st.one_of(
    st.lists(DIMS, max_size=3).map(lambda d: "(" + "".join(f"{n}, " for n in d) + ")"),
    st.sampled_from(["[3, 2]", "3", "(2.0, 1)", "((1,), 2)", "'x'", "None", "(" * 40,
                     "(1, 2" + ", 1" * 300 + ")"]))
HEADERS = st.one_of(
    st.builds(header, st.sampled_from(DESCRS), SHAPES,
              st.sampled_from(["False", "True", "0", "'no'"])),
    st.text(max_size=80).map(lambda t: "{" + t + "}"),
    st.text(max_size=80))
METHODS = st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                           zipfile.ZIP_LZMA, 1, 6, 9, 12 + 1, 93, 98, 99, 65535])


@st.composite
def npy_members(draw, name: str) -> tuple[str, bytes, int]:
    head = draw(HEADERS)
    version = draw(st.sampled_from([(1, 0), (2, 0), (3, 0), (0, 0), (9, 9)]))
    body = draw(st.one_of(st.binary(max_size=96),
                          st.integers(0, 12).map(lambda n: bytes(8 * n))))
    return name, npy(head, body, version), draw(METHODS)


@st.composite
def hostile_npz(draw) -> bytes:
    """A zip container with arbitrary .npy headers, shapes, bodies, methods and flags."""
    names = draw(st.lists(st.sampled_from(["x.npy", "y.npy", "z.npy", "x", "x.npy/"]),
                          min_size=0, max_size=3))
    members = [draw(npy_members(n)) for n in names]
    members += draw(st.lists(st.tuples(st.sampled_from(["x.npy", "y.npy"]),
                                       st.binary(max_size=64), METHODS), max_size=1))
    raw = bytearray(zip_members(members))
    for i in draw(st.sets(st.integers(0, max(len(members) - 1, 0)), max_size=2)):
        if members:
            patch_entry(raw, i, encrypt=True)
    return bytes(mutate(draw, raw))


def mutate(draw, raw: bytearray) -> bytearray:
    """Maybe flip some bits and maybe cut the file short."""
    for pos in draw(st.lists(st.integers(0, max(len(raw) - 1, 0)), max_size=4)):
        if raw:
            raw[pos] ^= 1 << draw(st.integers(0, 7))
    if draw(st.booleans()):
        raw = raw[:draw(st.integers(0, len(raw)))]
    return raw


FEATURES = st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: float(np.float32(v)))


@st.composite
def sane_arrays(draw) -> tuple[np.ndarray, np.ndarray | None]:
    n, k = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    x = np.array(draw(st.lists(st.lists(FEATURES, min_size=k, max_size=k),
                               min_size=n, max_size=n)))
    x = x.astype(draw(st.sampled_from([np.float64, np.float32, np.int16]))) \
        if np.all(np.abs(x) < 30000) else x
    y = draw(st.one_of(st.none(), st.lists(st.integers(0, 255), min_size=n, max_size=n)))
    return x, None if y is None else np.array(y, dtype=draw(st.sampled_from([np.int64,
                                                                              np.uint8])))


# --- checks --------------------------------------------------------------------


def load_or_one_line(raw: bytes, suffix: str):
    """load_dataset on ``raw``: the Dataset, or None after checking the one error line."""
    d = Path(tempfile.mkdtemp())
    try:
        p = d / ("data" + suffix)
        p.write_bytes(raw)
        try:
            ds = load_dataset(p)
        except C64mlError as e:
            line = e.line()
            assert "\n" not in line and line.startswith(f"{p}: "), line
            return None
        assert ds.x.ndim == 2 and ds.x.dtype == np.float64 and len(ds.x) >= 1
        assert np.all(np.isfinite(ds.x))
        if ds.y is not None:
            assert ds.y.shape == (len(ds.x),) and ds.y.dtype == np.int64
            assert ds.y.min() >= 0 and ds.y.max() <= 255
        return ds
    finally:
        shutil.rmtree(d)


def data_offset(raw: bytes, name: str) -> int:
    """Where a member's (compressed) data starts: after its local header, name and extra."""
    local = zipfile.ZipFile(io.BytesIO(raw)).getinfo(name).header_offset
    n, m = struct.unpack_from("<HH", raw, local + 26)
    return local + 30 + n + m


def corrupt_deflate(raw: bytes) -> bytes:
    at = data_offset(raw, "x.npy")
    return raw[:at] + b"\xff" * 8 + raw[at + 8:]


def encrypted(raw: bytes) -> bytes:
    b = bytearray(raw)
    patch_entry(b, 0, encrypt=True)
    return bytes(b)


X = np.arange(8.0).reshape(4, 2)
GOOD = valid_npz(X, np.array([0, 1, 0, 1]), compressed=True)
#: The four crashes reported in the issue: each once raised something other than C64mlError.
ISSUE_FILES = {
    "encrypted": encrypted(valid_npz(X, None, compressed=False)),
    "corrupt-deflate": corrupt_deflate(GOOD),
    "two-unknown-dims": zip_members([("x.npy", npy(header("'<f8'", "(-1, -1)"), bytes(8)), 0)]),
    "zero-by-unknown": zip_members([("x.npy", npy(header("'<f8'", "(0, -1)")), 0)]),
}


@pytest.mark.parametrize("name", sorted(ISSUE_FILES))
def test_issue_files_fail_in_one_line(name):
    assert load_or_one_line(ISSUE_FILES[name], ".npz") is None


def test_issue_files_really_are_the_reported_crashes():
    """Each fixture provokes the exception the issue names from zipfile/numpy directly."""
    import zlib

    with pytest.raises(RuntimeError, match="encrypted"):
        zipfile.ZipFile(io.BytesIO(ISSUE_FILES["encrypted"])).read("x.npy")
    with pytest.raises(zlib.error):
        zipfile.ZipFile(io.BytesIO(ISSUE_FILES["corrupt-deflate"])).read("x.npy")
    with pytest.raises(ValueError, match="one unknown dimension"):
        np.zeros(1).reshape((-1, -1))
    with pytest.raises(ValueError, match="cannot reshape"):
        np.zeros(0).reshape((0, -1))


@fuzz(300)
@given(hostile_npz())
@example(ISSUE_FILES["encrypted"])
@example(ISSUE_FILES["corrupt-deflate"])
@example(ISSUE_FILES["two-unknown-dims"])
@example(ISSUE_FILES["zero-by-unknown"])
def test_hostile_npz_loads_or_fails_in_one_line(raw):
    load_or_one_line(raw, ".npz")


@fuzz(150)
@given(sane_arrays(), st.booleans(), st.data())
def test_valid_npz_loads_exactly_and_its_mutations_fail_cleanly(arrays, compressed, data):
    x, y = arrays
    raw = valid_npz(x, y, compressed)
    ds = load_or_one_line(raw, ".npz")
    assert ds is not None
    assert ds.x.tolist() == x.astype(np.float64).tolist()
    assert (ds.y is None) if y is None else ds.y.tolist() == y.tolist()
    load_or_one_line(bytes(mutate(data.draw, bytearray(raw))), ".npz")


@fuzz(100)
@given(sane_arrays(), st.sampled_from([1, 2, 3, 12, 14, 93, 99]), st.booleans())
def test_member_flags_and_methods(arrays, method, encrypt):
    """Stored, deflated, bzip2 and lzma members load; any other method, or encryption, is
    refused by name."""
    x, _ = arrays
    body = io.BytesIO()
    np.save(body, x)
    raw = bytearray(zip_members([("x.npy", body.getvalue(), method)]))
    if encrypt:
        patch_entry(raw, 0, encrypt=True)
    p = Path(tempfile.mkdtemp()) / "d.npz"
    try:
        p.write_bytes(raw)
        if encrypt or method not in (0, 8, 12, 14):
            with pytest.raises(C64mlError, match="encrypted" if encrypt else "method"):
                load_dataset(p)
        else:
            assert load_dataset(p).x.tolist() == x.reshape(len(x), -1).astype(float).tolist()
    finally:
        shutil.rmtree(p.parent)


# --- CSV -----------------------------------------------------------------------

CELLS = st.one_of(FEATURES.map(repr), st.integers(-5, 300).map(str),
                  st.sampled_from(["", " ", "nan", "inf", "-inf", "1e999", "x", '"1"', '"',
                                   "1_0", "0x10", "\0", "\ufeff1", "1;2", "é"]),
                  st.text(max_size=6))


@st.composite
def hostile_csv(draw) -> bytes:
    rows = draw(st.lists(st.lists(CELLS, max_size=5), max_size=8))
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(",".join(r) for r in rows)
    raw = bytearray(text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1",
                                                      "utf-16"])), "replace"))
    return bytes(mutate(draw, raw))


@fuzz(200)
@given(hostile_csv())
def test_hostile_csv_loads_or_fails_in_one_line(raw):
    load_or_one_line(raw, ".csv")


@fuzz(100)
@given(sane_arrays(), st.booleans())
def test_valid_csv_loads_exactly(arrays, with_header):
    x, y = arrays
    y = np.zeros(len(x), dtype=np.int64) if y is None else y
    lines = [",".join([f"f{j}" for j in range(x.shape[1])] + ["label"])] if with_header else []
    lines += [",".join([repr(float(v)) for v in row] + [str(int(c))]) for row, c in zip(x, y)]
    ds = load_or_one_line(("\n".join(lines) + "\n").encode(), ".csv")
    assert ds is not None
    assert ds.x.tolist() == x.astype(np.float64).tolist() and ds.y.tolist() == y.tolist()


# --- every command that reads data --------------------------------------------


def data_commands(data: Path, out: Path) -> dict[str, list]:
    return {
        "eval": ["eval", IRIS / "qmodel.json", "--data", data],
        "quantize": ["quantize", IRIS / "model.json", "--calib", data, "-o", out],
        "verify": ["verify", IRIS / "qmodel.json", "--data", data],
        "compile": ["compile", IRIS / "qmodel.json", "--mode", "app", "--data", data,
                    "-o", out],
    }


def assert_one_line_exit_2(result, path: Path) -> None:
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [result.output.strip()], result.output
    assert result.output.startswith(f"c64ml: error: {path}: "), result.output


@pytest.mark.parametrize("command", ["eval", "quantize", "verify", "compile"])
@pytest.mark.parametrize("name", sorted(ISSUE_FILES))
def test_issue_files_through_every_command(tmp_path, command, name):
    data, out = tmp_path / "d.npz", tmp_path / "out.bin"
    data.write_bytes(ISSUE_FILES[name])
    assert_one_line_exit_2(run(*data_commands(data, out)[command]), data)
    assert not out.exists() and data.read_bytes() == ISSUE_FILES[name]


@fuzz(40)
@given(hostile_npz(), st.sampled_from(["eval", "quantize", "verify", "compile"]))
def test_cli_hostile_npz(raw, command):
    """Whatever the file, the exit code is 0 (it was a usable data set) or 2 with one line."""
    d = Path(tempfile.mkdtemp())
    try:
        data, out = d / "d.npz", d / "out.bin"
        data.write_bytes(raw)
        r = run(*data_commands(data, out)[command])
        if r.exit_code != 0 or r.exception is not None:
            assert_one_line_exit_2(r, data)
            assert not out.exists()
    finally:
        shutil.rmtree(d)


def test_truncated_iris_csv_through_every_command(tmp_path):
    text = (IRIS / "test.csv").read_bytes()
    data, out = tmp_path / "d.csv", tmp_path / "out.bin"
    data.write_bytes(text[:len(text) // 2].rstrip(b"\n").rsplit(b",", 1)[0] + b"\n")
    for command, args in data_commands(data, out).items():
        assert_one_line_exit_2(run(*args), data)
        assert not out.exists()

