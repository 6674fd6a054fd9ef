"""Data sets: ``.npz`` (``x``, optional ``y``) and ``.csv`` (last column the label), read safely.

Nothing is unpickled: ``.npz`` members are parsed by hand from their ``.npy`` headers,
with the claimed sizes checked against the bytes actually present before anything
is allocated.
"""

from __future__ import annotations

import csv
import io
import math
import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from c64ml.errors import C64mlError
from c64ml.fileio import read_bytes

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_ELEMENTS = 20_000_000
MAX_COLUMNS = 4096
MAX_LABEL = 255


@dataclass
class Dataset:
    """Raw features ``x`` (N × inputs, float64) and optional integer class indices ``y``.

    ``x_dtype`` is the type ``x`` had in the file: ``int8`` and ``uint8`` data are input
    tensor values, not raw features (:meth:`c64ml.model.qmodel.QModel.data_bytes`)."""

    x: np.ndarray
    y: np.ndarray | None = None
    x_dtype: str = "float64"

    def __len__(self) -> int:
        return len(self.x)

    def head(self, n: int | None) -> "Dataset":
        """The first ``n`` samples (all with None)."""
        return Dataset(self.x[:n], None if self.y is None else self.y[:n], self.x_dtype)


def load_dataset(path: str | os.PathLike, inputs: int | None = None) -> Dataset:
    """Load ``.npz`` or ``.csv``; check shape against ``inputs`` and values for NaN/inf."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".npz", ".csv"):
        raise C64mlError("unknown data set type; expected .npz or .csv", path)
    raw = read_bytes(path, MAX_FILE_BYTES, "data set")
    try:
        ds = _load_npz(raw, path) if suffix == ".npz" else _load_csv(raw, path, inputs)
    except C64mlError:
        raise
    except MemoryError:
        raise C64mlError("data set is too large for memory", path) from None
    except Exception as e:  # a malformed file must never escape as a traceback
        raise C64mlError(f"not a valid {suffix} data set ({_brief(e)})", path) from e
    if len(ds.x) == 0:
        raise C64mlError("holds no samples", path, "x")
    if inputs is not None and ds.x.shape[1] != inputs:
        raise C64mlError(f"has {ds.x.shape[1]} features per sample; the model has {inputs} inputs",
                         path, "x")
    if not np.all(np.isfinite(ds.x)):
        i, j = np.argwhere(~np.isfinite(ds.x))[0]
        raise C64mlError(f"sample {i} feature {j} is not a finite number", path, "x")
    if ds.y is not None:
        if len(ds.y) != len(ds.x):
            raise C64mlError(f"has {len(ds.y)} labels for {len(ds.x)} samples", path, "y")
    return ds


def check_labels(ds: Dataset, n_classes: int, path: str | os.PathLike) -> None:
    """Labels must be class indices 0 … n_classes−1."""
    if ds.y is not None and len(ds.y) and (ds.y.min() < 0 or ds.y.max() >= n_classes):
        bad = ds.y[(ds.y < 0) | (ds.y >= n_classes)][0]
        raise C64mlError(f"label {bad} is not a class index 0..{n_classes - 1}", path, "y")


def _brief(e: BaseException, limit: int = 160) -> str:
    """An exception as short text for a one-line message."""
    kind = type(e).__qualname__
    if type(e).__module__ != "builtins":
        kind = f"{type(e).__module__}.{kind}"
    text = " ".join(f"{kind}: {e}".split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


# --- npz -------------------------------------------------------------------

_ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


def _load_npz(raw: bytes, path) -> Dataset:
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        names = set(zf.namelist())
    except Exception:  # zipfile raises many kinds on a damaged directory
        raise C64mlError("not a valid .npz (zip) file", path) from None
    if "x.npy" not in names:
        raise C64mlError("has no array named x", path, "x")
    x = _read_member(zf, "x", path)
    y = _read_member(zf, "y", path) if "y.npy" in names else None
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise C64mlError(f"expected a 2-D array, got shape {x.shape}", path, "x")
    if x.shape[1] > MAX_COLUMNS:
        raise C64mlError(f"{x.shape[1]} features is absurd", path, "x")
    xf = x.astype(np.float64, copy=False)  # float64 already: the member's own (writable) bytes
    if y is not None:
        if y.ndim != 1:
            raise C64mlError(f"expected a 1-D array, got shape {y.shape}", path, "y")
        y = _labels(y, path, "y")
    return Dataset(xf, y, str(x.dtype))


def _read_member(zf: zipfile.ZipFile, name: str, path) -> np.ndarray:
    """One ``.npy`` member, every claim in its zip entry and header checked before use."""
    info = zf.getinfo(name + ".npy")
    limit = MAX_ELEMENTS * 8 + 4096
    if info.flag_bits & 0x1:
        raise C64mlError("array is encrypted; only unencrypted .npz files can be read",
                         path, name)
    if info.compress_type not in _ZIP_METHODS:
        raise C64mlError(f"array uses zip compression method {info.compress_type}, which "
                         "cannot be read (numpy.savez writes stored or deflated members)",
                         path, name)
    if info.file_size > limit:
        raise C64mlError(f"array is {info.file_size} bytes; the limit is {limit}", path, name)
    data = bytearray(info.file_size)  # filled in chunks: one copy of the array's bytes
    got = 0
    try:
        with zf.open(info) as f:
            while chunk := f.read(min(1 << 20, len(data) - got) or 1):
                if got + len(chunk) > len(data):
                    raise C64mlError("array is larger than it claims", path, name)
                data[got:got + len(chunk)] = chunk
                got += len(chunk)
    except C64mlError:
        raise
    except Exception as e:  # zipfile, zlib, bz2, lzma: damaged data fails in many ways
        raise C64mlError(f"cannot read the array from the zip file ({_brief(e)})",
                         path, name) from None
    del data[got:]
    buf = io.BytesIO(bytes(data[:1 << 17]))  # the header (numpy reads at most 10,000 bytes)
    try:
        version = np.lib.format.read_magic(buf)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(buf)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(buf)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except Exception as e:  # the header is a Python literal: anything may be wrong in it
        raise C64mlError(f"not a valid .npy array ({_brief(e)})", path, name) from None
    shown = repr(shape) if len(repr(shape)) <= 60 else repr(shape)[:57] + "..."
    if not (isinstance(shape, tuple) and len(shape) <= 2
            and all(type(n) is int and n >= 0 for n in shape)):
        raise C64mlError(f"array shape {shown} is not one or two sizes", path, name)
    if (dtype.hasobject or dtype.names is not None or dtype.subdtype is not None
            or dtype.kind not in "biuf" or dtype.itemsize > 8):
        raise C64mlError(f"array type {dtype} is not numeric", path, name)
    count = math.prod(shape)
    if count > MAX_ELEMENTS or max(shape, default=0) > MAX_ELEMENTS:
        raise C64mlError(f"array claims shape {shown}; the limit is {MAX_ELEMENTS} elements",
                         path, name)
    body = memoryview(data)[buf.tell():]  # not a copy: the array is read from data itself
    if body.nbytes != count * dtype.itemsize:
        raise C64mlError(f"array claims shape {shape} but holds {len(body)} bytes (truncated?)",
                         path, name)
    a = np.frombuffer(body, dtype=dtype, count=count)
    return a.reshape(shape, order="F" if fortran else "C")


def _labels(y: np.ndarray, path, field: str) -> np.ndarray:
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise C64mlError("labels must be whole numbers", path, field)
    if len(y) and (y.min() < 0 or y.max() > MAX_LABEL):
        raise C64mlError(f"labels must be class indices 0..{MAX_LABEL}", path, field)
    return y.astype(np.int64)


# --- csv -------------------------------------------------------------------


def _load_csv(raw: bytes, path, inputs: int | None) -> Dataset:
    """The CSV's numbers as a float64 array (a header line allowed), in memory bounded by
    the values themselves (8 bytes each, at most MAX_ELEMENTS): numpy's parser when the file
    is plain, else (or to say what is wrong, with the line) a streaming Python parser."""
    if b"\0" in raw:
        raise C64mlError("not a text CSV file (contains NUL bytes)", path)
    body = memoryview(raw)[3:] if raw.startswith(b"\xef\xbb\xbf") else memoryview(raw)
    a = _csv_fast(body)
    if a is None:
        a = _csv_careful(body, raw, path)
    if inputs is not None and a.shape[1] == inputs:
        return Dataset(a, None)
    if a.shape[1] < 2 or (inputs is not None and a.shape[1] != inputs + 1):
        want = "at least 2" if inputs is None else f"{inputs} features plus a label"
        raise C64mlError(f"has {a.shape[1]} columns; expected {want}", path)
    return Dataset(a[:, :-1], _labels(a[:, -1], path, "label column"))


def _csv_fast(body: memoryview) -> np.ndarray | None:
    """numpy's C parser on a plain CSV (one optional header line, then rows of finite
    numbers, all as wide); None for anything else, which the careful parser then reads
    (or refuses, naming the line): so both parsers accept the same files and values."""
    end = bytes(body[:MAX_LINE_PEEK]).find(b"\n")
    first = bytes(body[:end if end >= 0 else MAX_LINE_PEEK]).decode("utf-8", "replace")
    cells = next(csv.reader([first]), [])
    if not cells or all(not c.strip() for c in cells) or len(cells) > MAX_COLUMNS:
        return None
    try:
        [float(c) for c in cells]
        header = 0
    except ValueError:
        header = 1
    # Quotes (multi-line fields and all) are the csv module's to read.
    if body.obj.find(b'"') >= 0:
        return None
    # Every line a row as wide as the first: more values than the limit could then be
    # read, so the careful parser (which stops at the limit) reads the file instead.
    lines = body.obj.count(b"\n") + (not body.obj.endswith(b"\n")) - header
    if lines * len(cells) > MAX_ELEMENTS:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data": the careful parser
            a = np.loadtxt(io.BytesIO(body), delimiter=",", dtype=np.float64, ndmin=2,
                           skiprows=header, comments=None, quotechar=None, encoding="utf-8")
    except Exception:  # any doubt: the careful parser decides, with a precise message
        return None
    if a.size == 0 or a.size > MAX_ELEMENTS or a.shape[1] > MAX_COLUMNS \
            or (header and a.shape[1] != len(cells)) or not np.all(np.isfinite(a)):
        return None
    return a


MAX_LINE_PEEK = 1 << 20   # bytes of the first line looked at to spot a header


def _csv_careful(body: memoryview, raw: bytes, path) -> np.ndarray:
    """Row by row through the csv module, decoding as it goes; values stored as packed
    doubles (not Python lists), so memory stays at 8 bytes a value."""
    from array import array

    values = array("d")
    width = None
    rows = 0
    text = io.TextIOWrapper(io.BytesIO(body), encoding="utf-8", newline="")
    reader = csv.reader(text)
    try:
        for lineno, row in enumerate(reader, start=1):
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) > MAX_COLUMNS:
                raise C64mlError(f"{len(row)} columns is absurd", path, f"line {lineno}")
            try:
                numbers = [float(c) for c in row]
            except ValueError:
                if not rows and width is None:
                    width = len(row)  # a header line
                    continue
                raise C64mlError("expected numbers separated by commas", path,
                                 f"line {lineno}") from None
            if width is None:
                width = len(numbers)
            if len(numbers) != width:
                raise C64mlError(f"has {len(numbers)} columns; expected {width}", path,
                                 f"line {lineno}")
            if not all(math.isfinite(v) for v in numbers):
                raise C64mlError("holds a value that is not a finite number", path,
                                 f"line {lineno}")
            values.extend(numbers)
            rows += 1
            if len(values) > MAX_ELEMENTS:
                raise C64mlError(f"more than {MAX_ELEMENTS} values", path)
    except csv.Error as e:
        raise C64mlError(f"malformed CSV: {e}", path) from None
    except UnicodeDecodeError:
        try:
            raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise C64mlError(f"not a text CSV file (bad byte at offset {e.start})",
                             path) from None
        raise
    if not rows:
        raise C64mlError("holds no samples", path)
    return np.frombuffer(values, dtype=np.float64).reshape(rows, width)


def save_npz(path: str | os.PathLike, x: np.ndarray, y: np.ndarray | None = None) -> None:
    """Write a data set in the ``.npz`` layout this module reads (atomically)."""
    from c64ml.fileio import write_atomic

    buf = io.BytesIO()
    arrays = {"x": np.asarray(x, dtype=np.float64)}
    if y is not None:
        arrays["y"] = np.asarray(y, dtype=np.int64)
    np.savez_compressed(buf, **arrays)
    write_atomic(path, buf.getvalue())
