"""Data set loading: .npz and .csv, and every hostile variant of them (nothing unpickled)."""

from __future__ import annotations

import io
import pickle
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c64ml.errors import C64mlError
from c64ml.model.dataset import check_labels, load_dataset, save_npz


def test_npz_round_trip(tmp_path):
    x = np.array([[0.5, 1.0], [2.0, -3.0]])
    save_npz(tmp_path / "d.npz", x, np.array([1, 0]))
    ds = load_dataset(tmp_path / "d.npz", 2)
    assert ds.x.tolist() == x.tolist() and ds.y.tolist() == [1, 0]


def test_npz_plain_numpy_savez_without_labels(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.arange(6, dtype=np.int32).reshape(3, 2))
    ds = load_dataset(tmp_path / "d.npz")
    assert ds.y is None and ds.x.tolist() == [[0, 1], [2, 3], [4, 5]]


def test_csv_with_and_without_header(tmp_path):
    (tmp_path / "a.csv").write_text("a,b,label\n1,2,0\n3,4.5,1\n")
    (tmp_path / "b.csv").write_text("1,2,0\n\n3,4.5,1\n")
    for name in ("a.csv", "b.csv"):
        ds = load_dataset(tmp_path / name, 2)
        assert ds.x.tolist() == [[1, 2], [3, 4.5]] and ds.y.tolist() == [0, 1]


def test_csv_without_labels_when_columns_match_inputs(tmp_path):
    (tmp_path / "a.csv").write_text("1,2\n3,4\n")
    assert load_dataset(tmp_path / "a.csv", 2).y is None


def _npz_with(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _npy(header: str, body: bytes = b"") -> bytes:
    h = header.encode("latin1")
    h += b" " * (-(10 + len(h) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + body


@pytest.mark.parametrize("content, words", [
    (b"", "empty"),
    (b"PK\x03\x04 truncated", "not a valid .npz"),
    (b"\x00" * 100, "not a valid .npz"),
    (_npz_with({"y.npy": b""}), "no array named x"),
    (_npz_with({"x.npy": b"garbage"}), "not a valid .npy"),
    (_npz_with({"x.npy": _npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }")}),
     "not numeric"),
    (_npz_with({"x.npy": _npy("{'descr': '<f8', 'fortran_order': False, "
                              "'shape': (100000000000, 64), }")}), "claims"),
    (_npz_with({"x.npy": _npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4, 2), }",
                              b"\x00" * 16)}), "truncated"),
    (_npz_with({"x.npy": _npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }",
                              struct.pack("<2d", 1.0, float("nan")))}), "not a finite"),
    (_npz_with({"x.npy": _npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2), }")}),
     "no samples"),
])
def test_hostile_npz(tmp_path, content, words):
    p = tmp_path / "d.npz"
    p.write_bytes(content)
    with pytest.raises(C64mlError) as e:
        load_dataset(p)
    assert words in e.value.line() and str(p) in e.value.line()


def test_pickled_npz_is_never_unpickled(tmp_path):
    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('unpickled!')",))
    np.savez(tmp_path / "d.npz", x=np.array([Boom()], dtype=object))
    with pytest.raises(C64mlError, match="not numeric"):
        load_dataset(tmp_path / "d.npz")
    (tmp_path / "p.npz").write_bytes(pickle.dumps({"x": [1, 2]}))
    with pytest.raises(C64mlError):
        load_dataset(tmp_path / "p.npz")


@pytest.mark.parametrize("text, words", [
    ("1,2,0\n3,x,1\n", "line 2"),
    ("1,2,0\n3,4\n", "columns"),
    ("1,nan,0\n", "finite"),
    ("1,inf,0\n", "finite"),
    ("1,2,0.5\n", "whole numbers"),
    ("1,2,-1\n", "class indices"),
    ("a,b,c\n", "no samples"),
    ("1,2,3,4,0\n", "expected 2 features"),
])
def test_bad_csv(tmp_path, text, words):
    p = tmp_path / "d.csv"
    p.write_text(text)
    with pytest.raises(C64mlError) as e:
        load_dataset(p, 2)
    assert words in e.value.line()


def test_wrong_feature_count_and_labels(tmp_path):
    save_npz(tmp_path / "d.npz", np.zeros((3, 4)), np.array([0, 1, 5]))
    with pytest.raises(C64mlError, match="4 features per sample; the model has 2"):
        load_dataset(tmp_path / "d.npz", 2)
    ds = load_dataset(tmp_path / "d.npz", 4)
    with pytest.raises(C64mlError, match="label 5"):
        check_labels(ds, 3, tmp_path / "d.npz")


def test_unknown_suffix(tmp_path):
    (tmp_path / "d.txt").write_text("1,2\n")
    with pytest.raises(C64mlError, match="expected .npz or .csv"):
        load_dataset(tmp_path / "d.txt")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([".npz", ".csv"]))
def test_random_bytes_never_crash(tmp_path_factory, blob, suffix):
    p = tmp_path_factory.mktemp("d") / ("d" + suffix)
    p.write_bytes(blob)
    try:
        ds = load_dataset(p)
    except C64mlError as e:
        assert "\n" not in e.line()
    else:
        assert np.all(np.isfinite(ds.x))


# --- large CSVs: numpy's parser and the careful one agree --------------------------------

_CELL = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False, width=32).map(repr),
    st.integers(-1000, 1000).map(str),
    st.sampled_from(["nan", "inf", "-inf", "", " ", "x", "1_0", "0x10", "1e3", "+2", " 3 ",
                     '"4"', '"5', "1e999", "-0", ".5"]),
)


@settings(max_examples=200, deadline=None)
@given(header=st.booleans(), width=st.integers(1, 4),
       rows=st.lists(st.lists(_CELL, min_size=1, max_size=5), min_size=0, max_size=6),
       newline=st.sampled_from(["\n", "\r\n"]), blank=st.booleans())
def test_fast_and_careful_csv_parsers_agree(header, width, rows, newline, blank):
    """Whatever the fast path (numpy's loadtxt) accepts, the careful Python parser accepts
    with the same numbers; what it declines the careful parser reads or refuses."""
    from c64ml.model import dataset

    lines = (["a,b,c,d"[:2 * width - 1]] if header else []) + [",".join(r) for r in rows]
    if blank and lines:
        lines.insert(len(lines) // 2, "")
    raw = newline.join(lines).encode() + newline.encode()
    fast = dataset._csv_fast(memoryview(raw))
    try:
        careful = dataset._csv_careful(memoryview(raw), raw, "d.csv")
    except C64mlError:
        careful = None
    if fast is not None:
        assert careful is not None and careful.shape == fast.shape
        assert careful.tobytes() == fast.tobytes()


def test_large_csv_is_read_in_bounded_memory(tmp_path):
    """100,000 rows of 5 values: the careful parser (forced here by one odd cell) keeps
    8-byte doubles, not lists of Python floats (about 60 bytes a value)."""
    import tracemalloc

    n = 100_000
    body = "".join(f"{i % 7}.5,{i % 3},{i % 11},{i % 5}.25,{i % 3}\n" for i in range(n))
    for text in (body, "1_0,1,1,1,1\n" + body):      # the fast path, then the careful one
        (tmp_path / "d.csv").write_text(text)
        tracemalloc.start()
        ds = load_dataset(tmp_path / "d.csv", 4)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows = len(text.splitlines())
        assert len(ds) == rows and ds.x[-1].tolist() == [(n - 1) % 7 + 0.5, (n - 1) % 3,
                                                           (n - 1) % 11, (n - 1) % 5 + 0.25]
        # the file's bytes, the values (40 bytes a row) and slack; lists would need ~300
        assert peak < len(text) * 2 + rows * 40 * 3, peak
