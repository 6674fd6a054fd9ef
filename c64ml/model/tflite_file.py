"""A safe reader of TensorFlow Lite (``.tflite``) files, without TensorFlow.

``read_tflite(path)`` returns a :class:`Graph`: the tensors (type, shape, quantization and
constant data), the operators (builtin name, inputs, outputs, fused activation and the
options the importers use) and the graph's inputs and outputs. The flatbuffer is read with
the pure-Python ``tflite`` package (the ``tflite`` extra), imported only when needed.

Every problem with the file — not a flatbuffer, truncated, an index out of range, a
vector longer than the file, more than one subgraph, a tensor with an absurd number of
elements — is one :class:`C64mlError` naming the file; nothing else escapes, and nothing
the file claims is allocated or looped over before it is checked against the file's size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from c64ml.errors import C64mlError
from c64ml.fileio import read_bytes

MAX_TFLITE_BYTES = 8 << 20
#: Limits far above any model c64ml can compile, low enough that checking is instant.
MAX_TENSORS = 4096
MAX_OPERATORS = 4096
MAX_RANK = 8
MAX_ELEMENTS = 1 << 24
MAX_OP_IO = 64

_NUMPY_DTYPE = {
    "float32": np.float32, "float16": np.float16, "float64": np.float64,
    "int8": np.int8, "uint8": np.uint8, "int16": np.int16, "uint16": np.uint16,
    "int32": np.int32, "uint32": np.uint32, "int64": np.int64, "uint64": np.uint64,
    "bool": np.bool_,
}


@dataclass
class Tensor:
    """One tensor of the graph; ``data`` is set for constants (weights, biases, shapes)."""

    index: int
    name: str
    dtype: str
    shape: tuple[int, ...]
    scale: np.ndarray | None = None
    zero_point: np.ndarray | None = None
    quantized_dimension: int = 0
    data: np.ndarray | None = None


@dataclass
class Operator:
    """One operator: ``op`` is the builtin name (``CUSTOM:<name>`` for custom operators)."""

    index: int
    op: str
    inputs: list[int]
    outputs: list[int]
    fused_activation: str | None = None
    options: dict = field(default_factory=dict)


@dataclass
class Graph:
    """The single subgraph of a ``.tflite`` file."""

    tensors: list[Tensor]
    operators: list[Operator]
    inputs: list[int]
    outputs: list[int]
    description: str = ""

    def is_float(self) -> bool:
        """True when no tensor is quantized to an integer type (int8, uint8, int16)."""
        return not any(t.dtype in ("int8", "uint8", "int16") for t in self.tensors)


def shown(text: str, limit: int = 40) -> str:
    """Text from a model file as shown in a message or listing: printable ASCII kept, any
    other character ``?`` (no terminal escapes), cut to ``limit``."""
    return "".join(c if " " <= c <= "~" else "?" for c in str(text)[:limit])


class _Bad(Exception):
    """A structural problem found while walking the flatbuffer."""


def _tflite():
    try:
        import tflite  # noqa: F401
        import tflite.BuiltinOperator  # noqa: F401
    except ImportError:
        raise C64mlError("reading .tflite files needs the tflite extra: "
                         "pip install 'c64ml[tflite]'") from None
    return tflite


def _enum_names(cls) -> dict[int, str]:
    return {v: k for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


def read_tflite(path: str | os.PathLike) -> Graph:
    """Read and check a ``.tflite`` file; any problem is one C64mlError naming the file."""
    raw = read_bytes(path, MAX_TFLITE_BYTES, ".tflite file")
    try:
        return parse_tflite(raw)
    except C64mlError as e:
        raise e.at(path) from None


def parse_tflite(raw: bytes) -> Graph:
    """:func:`read_tflite` on bytes already read."""
    tfl = _tflite()
    if len(raw) < 8 or raw[4:8] != b"TFL3":
        raise C64mlError("not a .tflite file (no TFL3 identifier)")
    try:
        return _parse(tfl, bytes(raw))
    except _Bad as e:
        raise C64mlError(f"not a valid .tflite file ({e})") from None
    except C64mlError:
        raise
    except RecursionError:
        raise C64mlError("not a valid .tflite file (nested too deeply)") from None
    except Exception as e:  # the accessors raise many kinds on damaged bytes
        text = shown(" ".join(f"{type(e).__name__}: {e}".split()), 120)
        raise C64mlError(f"not a valid .tflite file ({text})") from None


def _count(n: int, what: str, limit: int, raw: bytes, elem: int = 1) -> int:
    """A vector length from the file: not more than fits in the file, nor than ``limit``."""
    if n < 0 or n * elem > len(raw):
        raise _Bad(f"{what} claims {n} entries, more than the file holds")
    if n > limit:
        raise C64mlError(f"{what}: {n} entries is more than c64ml reads (limit {limit})")
    return n


def _ints(obj, name: str, what: str, limit: int, raw: bytes, elem: int = 4) -> list[int]:
    n = _count(getattr(obj, name + "Length")(), what, limit, raw, elem)
    if n == 0:
        return []
    arr = getattr(obj, name + "AsNumpy")()
    if not isinstance(arr, np.ndarray) or arr.size != n:
        raise _Bad(f"{what} runs past the end of the file")
    return [int(v) for v in arr]


def _text(b) -> str:
    if b is None:
        return ""
    return bytes(b).decode("utf-8")


def _parse(tfl, raw: bytes) -> Graph:
    from tflite.BuiltinOperator import BuiltinOperator
    from tflite.BuiltinOptions import BuiltinOptions
    from tflite.Model import Model
    from tflite.TensorType import TensorType

    op_names = _enum_names(BuiltinOperator)
    option_names = _enum_names(BuiltinOptions)
    type_names = _enum_names(TensorType)

    m = Model.GetRootAs(raw, 0)
    n_sub = _count(m.SubgraphsLength(), "subgraphs", 1 << 20, raw, 4)
    if n_sub != 1:
        raise C64mlError(f"has {n_sub} subgraphs; c64ml reads files with exactly one")
    n_buf = _count(m.BuffersLength(), "buffers", MAX_TENSORS + 1, raw, 4)
    n_codes = _count(m.OperatorCodesLength(), "operator codes", MAX_OPERATORS, raw, 4)
    codes = []
    for i in range(n_codes):
        oc = m.OperatorCodes(i)
        code = max(int(oc.DeprecatedBuiltinCode()), int(oc.BuiltinCode()))
        name = op_names.get(code)
        if name is None:
            raise _Bad(f"operator code {i} has unknown builtin {code}")
        if name == "CUSTOM":
            name = "CUSTOM:" + shown(_text(oc.CustomCode()), 64)
        codes.append(name)

    sg = m.Subgraphs(0)
    n_t = _count(sg.TensorsLength(), "tensors", MAX_TENSORS, raw, 4)
    tensors = [_tensor(m, sg.Tensors(i), i, n_buf, raw, type_names) for i in range(n_t)]

    def check_index(v: int, what: str, optional: bool = False) -> int:
        if optional and v == -1:
            return v
        if not 0 <= v < n_t:
            raise _Bad(f"{what} names tensor {v}, but there are {n_t}")
        return v

    inputs = [check_index(v, "graph input") for v in _ints(sg, "Inputs", "graph inputs",
                                                             MAX_OP_IO, raw)]
    outputs = [check_index(v, "graph output") for v in _ints(sg, "Outputs", "graph outputs",
                                                               MAX_OP_IO, raw)]
    n_ops = _count(sg.OperatorsLength(), "operators", MAX_OPERATORS, raw, 4)
    operators = []
    for k in range(n_ops):
        o = sg.Operators(k)
        ci = int(o.OpcodeIndex())
        if not 0 <= ci < len(codes):
            raise _Bad(f"operator {k} names operator code {ci}, but there are {len(codes)}")
        ins = [check_index(v, f"operator {k} input", True)
               for v in _ints(o, "Inputs", f"operator {k} inputs", MAX_OP_IO, raw)]
        outs = [check_index(v, f"operator {k} output")
                for v in _ints(o, "Outputs", f"operator {k} outputs", MAX_OP_IO, raw)]
        fused, options = _options(tfl, o, option_names, raw)
        operators.append(Operator(k, codes[ci], ins, outs, fused, options))
    desc = _text(m.Description())[:200]
    return Graph(tensors, operators, inputs, outputs, desc)


def _tensor(m, t, i: int, n_buf: int, raw: bytes, type_names: dict[int, str]) -> Tensor:
    name = _text(t.Name())[:200]
    dtype = type_names.get(int(t.Type()), f"type{int(t.Type())}").lower()
    shape = tuple(_ints(t, "Shape", f"tensor {i} shape", MAX_RANK, raw))
    if any(d < -1 for d in shape):
        raise _Bad(f"tensor {i} has shape {shape}")
    elements = 1
    for d in shape:
        elements *= max(d, 1)
        if elements > MAX_ELEMENTS:
            raise C64mlError(f"tensor {i} ({name}) has shape {shape}: an absurd size")
    scale = zero_point = None
    qdim = 0
    q = t.Quantization()
    if q is not None:
        s = q.ScaleAsNumpy() if _count(q.ScaleLength(), f"tensor {i} scale", MAX_ELEMENTS,
                                       raw, 4) else None
        if isinstance(s, np.ndarray) and s.size:
            if s.size != q.ScaleLength():
                raise _Bad(f"tensor {i} scale runs past the end of the file")
            scale = s.astype(np.float64)
            zn = _count(q.ZeroPointLength(), f"tensor {i} zero point", MAX_ELEMENTS, raw, 8)
            z = q.ZeroPointAsNumpy() if zn else None
            if isinstance(z, np.ndarray) and z.size:
                if z.size != zn:
                    raise _Bad(f"tensor {i} zero point runs past the end of the file")
                zero_point = z.astype(np.int64)
            else:
                zero_point = np.zeros(scale.size, np.int64)
            if zero_point.size != scale.size:
                raise _Bad(f"tensor {i} has {scale.size} scales but {zero_point.size} "
                           "zero points")
            qdim = int(q.QuantizedDimension())
            if scale.size > 1 and not 0 <= qdim < len(shape):
                raise _Bad(f"tensor {i} has quantized dimension {qdim} for shape {shape}")
    data = None
    b = int(t.Buffer())
    if not 0 <= b < max(n_buf, 1):
        raise _Bad(f"tensor {i} names buffer {b}, but there are {n_buf}")
    if b > 0:
        data = _buffer(m.Buffers(b), raw, i, b, dtype, shape)
    return Tensor(i, name, dtype, shape, scale, zero_point, qdim, data)


def _buffer(buf, raw: bytes, i: int, b: int, dtype: str, shape) -> np.ndarray | None:
    n = _count(buf.DataLength(), f"buffer {b}", MAX_ELEMENTS * 8, raw)
    if n:
        body = buf.DataAsNumpy()
        if not isinstance(body, np.ndarray) or body.size != n:
            raise _Bad(f"buffer {b} runs past the end of the file")
        body = body.tobytes()
    else:
        off, size = int(buf.Offset()), int(buf.Size())
        if off <= 1 and size == 0:
            return None  # an empty buffer: the tensor is computed, not constant
        # The large-model form: the bytes lie at an offset from the file's start.
        if off <= 1 or size < 0 or off + size > len(raw):
            raise _Bad(f"buffer {b} lies at offset {off}, size {size}, outside the file")
        body = raw[off:off + size]
    np_type = _NUMPY_DTYPE.get(dtype)
    if np_type is None:
        raise C64mlError(f"tensor {i} has constant data of type {dtype}, which c64ml "
                         "does not read")
    want = int(np.prod(shape, dtype=np.int64)) if shape else 1
    item = np.dtype(np_type).itemsize
    if any(d < 0 for d in shape) or len(body) != want * item:
        raise _Bad(f"tensor {i} has shape {shape} of {dtype} but its buffer holds "
                   f"{len(body)} bytes")
    return np.frombuffer(body, dtype=np.dtype(np_type).newbyteorder("<")).astype(
        np_type).reshape(shape)


# Options read per builtin options table: (accessor, key) pairs.
_OPTION_FIELDS = {
    "FullyConnectedOptions": (("KeepNumDims", "keep_num_dims"),
                              ("WeightsFormat", "weights_format"),
                              ("AsymmetricQuantizeInputs", "asymmetric_quantize_inputs")),
    "SoftmaxOptions": (("Beta", "beta"),),
    "Conv2DOptions": (("StrideW", "stride_w"), ("StrideH", "stride_h"), ("Padding", "padding")),
    "LeakyReluOptions": (("Alpha", "alpha"),),
}


def _options(tfl, o, option_names: dict[int, str], raw: bytes) -> tuple[str | None, dict]:
    import importlib

    from tflite.ActivationFunctionType import ActivationFunctionType

    kind = option_names.get(int(o.BuiltinOptionsType()))
    if not kind or kind == "NONE":
        return None, {}
    table = o.BuiltinOptions()
    if table is None:
        return None, {}
    try:
        mod = importlib.import_module(f"tflite.{kind}")
    except ImportError:
        return None, {}
    cls = getattr(mod, kind, None)
    if cls is None:
        return None, {}
    opts = cls()
    opts.Init(table.Bytes, table.Pos)
    fused = None
    if hasattr(opts, "FusedActivationFunction"):
        code = int(opts.FusedActivationFunction())
        fused = _enum_names(ActivationFunctionType).get(code, f"ACTIVATION{code}")
    out = {}
    for acc, key in _OPTION_FIELDS.get(kind, ()):
        if hasattr(opts, acc):
            v = getattr(opts, acc)()
            out[key] = v if isinstance(v, (bool, float)) else int(v)
    if kind == "ReshapeOptions" and hasattr(opts, "NewShapeLength"):
        out["new_shape"] = _ints(opts, "NewShape", "reshape new shape", MAX_RANK, raw)
    return fused, out


__all__ = ["Graph", "Operator", "Tensor", "parse_tflite", "read_tflite", "shown",
           "MAX_TFLITE_BYTES"]
