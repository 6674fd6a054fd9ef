"""ONNX → c64ml float ``Model`` (docs/import.md, "ONNX").

Supported nodes, in one chain from the graph's single float input: Gemm (transA 0, any
transB, alpha, beta, a bias C of one value or one per unit), MatMul followed by an Add of
a constant (its bias), Relu, Sigmoid, Tanh, Flatten and Reshape that keep the vector,
Identity, Cast to float; a trailing Softmax, which is dropped (the model outputs the
logits; the class is the same). After the chain, what ``skl2onnx`` writes for a
classifier is understood and dropped, since c64ml's argmax gives the class: the label
output (ArgMax, ArrayFeatureExtractor of the class list, Reshape, Cast), whose class list
becomes the model's class names, and a two-class pair ``[1 - p, p]`` (Sub, Concat) after
a one-unit Sigmoid. Anything else is refused in one line naming the node, its index and
its op type, e.g. ``node 2 'conv' (Conv) is not supported``.

The ``onnx`` package (the ``onnx`` extra) is imported only when needed. Files over 8 MiB,
with external data, or that do not decode are refused in one line.
"""

from __future__ import annotations

import os

import numpy as np

from c64ml.errors import C64mlError
from c64ml.fileio import read_bytes
from c64ml.model.floatmodel import Dense, Model
from c64ml.model.imported import DenseChain, combine, name_from_path
from c64ml.model.tflite_file import shown
from c64ml.spec import Activation
from c64ml.text import check_label

MAX_ONNX_BYTES = 8 << 20
MAX_ELEMENTS = 1 << 24
MAX_NODES = 4096

_ACT = {"Relu": Activation.RELU, "Sigmoid": Activation.SIGMOID, "Tanh": Activation.TANH}
_FLOAT, _DOUBLE = 1, 11


def _onnx():
    try:
        import onnx
        import onnx.numpy_helper  # noqa: F401
    except ImportError:
        raise C64mlError("reading .onnx files needs the onnx extra: "
                         "pip install 'c64ml[onnx]'") from None
    return onnx


def model_from_onnx(path: str | os.PathLike, input_range=None, calibration=None,
                    name: str | None = None, need_range: bool = True) -> Model:
    """A float c64ml ``Model`` from an ``.onnx`` file.

    The input range, which the file does not hold, is ``input_range`` if given (``[lo,
    hi]`` for every feature, or one pair per feature), else each feature's minimum and
    maximum over ``calibration`` (an N × inputs array of raw samples). With neither, a
    C64mlError, unless ``need_range=False`` (a model only to be described). The choice is
    in ``model.extra["input_range_source"]``, dropped nodes in ``model.extra["dropped"]``.
    Any problem is one C64mlError naming the file."""
    raw = read_bytes(path, MAX_ONNX_BYTES, ".onnx file")
    try:
        chain = chain_from_onnx_bytes(raw, name or name_from_path(path, "onnx"))
        return chain.model(input_range, calibration, need_range)
    except C64mlError as e:
        raise e.at(path) from None


def chain_from_onnx_bytes(raw: bytes, name: str = "onnx") -> DenseChain:
    """The dense layers of a serialized ONNX model, or one C64mlError."""
    onnx = _onnx()
    try:
        proto = onnx.ModelProto.FromString(bytes(raw))
    except Exception as e:  # protobuf's DecodeError, and whatever else bad bytes cause
        raise C64mlError(f"not a valid .onnx file ({_brief(e)})") from None
    try:
        return _Walk(onnx, proto, name).run()
    except C64mlError:
        raise
    except RecursionError:
        raise C64mlError("not a valid .onnx file (nested too deeply)") from None
    except Exception as e:  # a damaged file must never escape as a traceback
        raise C64mlError(f"not a valid .onnx file ({_brief(e)})") from None


def _brief(e: BaseException) -> str:
    return shown(" ".join(f"{type(e).__name__}: {e}".split()), 120) or type(e).__name__


class _Walk:
    """One pass over the nodes (ONNX keeps them in topological order)."""

    def __init__(self, onnx, proto, name: str) -> None:
        self.onnx = onnx
        self.g = proto.graph
        self.name = name
        self.consts: dict[str, np.ndarray] = {}
        self.layers: list[Dense] = []
        self.dropped: list[str] = []
        self.classes: list[str] | None = None
        self.finished = False      # after a Softmax or the two-class pair: no more layers
        self.bias_open = False     # the last layer came from a MatMul: an Add may follow
        self.labels: set[str] = set()   # tensors on the label branch (from ArgMax)
        self.negative: str | None = None  # 1 - p of a one-unit sigmoid
        self.label_ops: list[str] = []

    # -- helpers -------------------------------------------------------------

    def tensor(self, t, what: str) -> np.ndarray:
        if t.data_location == 1 or len(t.external_data):
            raise C64mlError(f"{what} keeps its data in an external file; c64ml reads "
                             "only self-contained .onnx files")
        dims = list(t.dims)
        if any(d < 0 for d in dims) or len(dims) > 8:
            raise C64mlError(f"{what} has dimensions {dims}")
        n = 1
        for d in dims:
            n *= d
            if n > MAX_ELEMENTS:
                raise C64mlError(f"{what} has dimensions {dims}: an absurd size")
        return np.asarray(self.onnx.numpy_helper.to_array(t))

    def attrs(self, node) -> dict:
        return {a.name: self.onnx.helper.get_attribute_value(a) for a in node.attribute}

    def const(self, name: str, what: str) -> np.ndarray:
        if name not in self.consts:
            raise C64mlError(f"{what} must be a constant (an initializer)")
        return self.consts[name]

    # -- the walk ------------------------------------------------------------

    def run(self) -> DenseChain:
        g = self.g
        if len(g.sparse_initializer):
            raise C64mlError("has sparse initializers, which c64ml does not read")
        for t in g.initializer:
            self.consts[t.name] = self.tensor(t, f"initializer {t.name[:40]!r}")
        inputs = [i for i in g.input if i.name not in self.consts]
        if len(inputs) != 1:
            raise C64mlError(f"has {len(inputs)} inputs; c64ml imports models with one")
        self.current = inputs[0].name
        self.width = self.input_width(inputs[0])
        if len(g.node) > MAX_NODES:
            raise C64mlError(f"has {len(g.node)} nodes; c64ml reads at most {MAX_NODES}")
        ops = []
        for k, node in enumerate(g.node):
            ops.append(shown(f"{k} {node.op_type} {','.join(node.input)} -> "
                             f"{','.join(node.output)}", 120))
            self.node(k, node)
        if not self.layers:
            raise C64mlError("has no Gemm or MatMul layer; c64ml imports dense layers")
        outs = [o.name for o in g.output]
        if not outs or any(o != self.current and o not in self.labels for o in outs):
            raise C64mlError("the graph's outputs are not the end of the chain of layers "
                             f"({shown(', '.join(outs)) or 'none'})")
        if self.label_ops:
            self.dropped.append("label output (" + ", ".join(self.label_ops) + ")")
        classes = self.classes
        if classes is not None and len(classes) != (2 if self.layers[-1].n_out == 1
                                                    else self.layers[-1].n_out):
            classes = None
        return DenseChain("onnx", self.name, self.layers, self.dropped, ops, classes)

    def input_width(self, vi) -> int:
        tt = vi.type.tensor_type
        if not vi.type.HasField("tensor_type") or tt.elem_type not in (_FLOAT, _DOUBLE):
            raise C64mlError(f"input {vi.name[:40]!r} is not a float tensor")
        dims = list(tt.shape.dim)
        if len(dims) < 2:
            raise C64mlError(f"input {vi.name[:40]!r} has rank {len(dims)}; c64ml expects "
                             "a batch of feature vectors")
        n = 1
        for d in dims[1:]:
            if not d.HasField("dim_value") or d.dim_value <= 0:
                raise C64mlError(f"input {vi.name[:40]!r} has a feature dimension of "
                                 "unknown size")
            n *= d.dim_value
            if n > MAX_ELEMENTS:
                raise C64mlError(f"input {vi.name[:40]!r} is absurdly wide")
        return n

    def node(self, k: int, node) -> None:
        op = shown(node.op_type)
        what = f"node {k} {node.name[:40]!r} ({op})" if node.name else f"node {k} ({op})"
        if node.domain not in ("", "ai.onnx") and not (
                node.domain == "ai.onnx.ml" and op == "ArrayFeatureExtractor"):
            raise C64mlError(f"{what} of domain {node.domain[:40]!r} is not supported")
        ins, outs = list(node.input), list(node.output)
        a = self.attrs(node)
        if op == "Constant":
            if len(outs) != 1 or "value" not in a:
                raise C64mlError(f"{what}: only a Constant with a tensor value is supported")
            self.consts[outs[0]] = self.tensor(a["value"], what)
            return
        if len(outs) < 1:
            raise C64mlError(f"{what} has no output")
        out = outs[0]
        data = [i for i in ins if i and i not in self.consts]
        if data and all(i in self.labels for i in data) and op in (
                "ArrayFeatureExtractor", "Reshape", "Cast", "Identity", "Squeeze"):
            if op == "ArrayFeatureExtractor":
                self.class_names(self.const(ins[0], f"{what}: its first input"))
            self.labels.add(out)
            self.label_ops.append(op)
            return
        if data != [self.current] and not (op == "Concat" and self.negative is not None):
            raise C64mlError(f"{what} does not continue a single chain of layers from the "
                             "input; c64ml imports a chain of dense layers")
        self.step(op, what, ins, out, a)

    def step(self, op: str, what: str, ins: list[str], out: str, a: dict) -> None:
        opened = False
        if op in ("Identity", "Dropout") or (op == "Cast" and a.get("to") in (_FLOAT, _DOUBLE)):
            pass
        elif op == "ArgMax":
            if a.get("axis", 0) not in (1, -1) or a.get("select_last_index", 0):
                raise C64mlError(f"{what}: only an argmax over the units (axis 1, first "
                                 "index) is supported")
            self.labels.add(out)
            self.label_ops.append(op)
            return  # the chain goes on from the same tensor
        elif self.finished and op not in ("Concat",):
            raise C64mlError(f"{what} follows the end of the layers (a Softmax or the "
                             "two-class pair); c64ml drops those only at the end")
        elif op == "Gemm":
            self.gemm(what, ins, a)
        elif op == "MatMul":
            w = self.const(ins[1], f"{what}: its second input")
            self.dense(what, w.astype(np.float64), np.zeros(w.shape[-1] if w.ndim else 0))
            opened = True
        elif op == "Add" and self.bias_open:
            other = [i for i in ins if i != self.current]
            if len(ins) != 2 or len(other) != 1:
                raise C64mlError(f"{what}: a bias must be one constant added to the layer")
            b = self.const(other[0], f"{what}: its other input").astype(np.float64)
            last = self.layers[-1]
            self.layers[-1] = Dense(last.weights, last.bias + self.bias(b, last.n_out, what),
                                    last.activation)
        elif op in _ACT:
            self.layers[-1:] = [combine(self.layers[-1] if self.layers else None, _ACT[op],
                                        what)]
        elif op in ("Flatten", "Reshape"):
            self.reshape(op, what, ins, a)
        elif op == "Softmax":
            if a.get("axis", -1) not in (1, -1):
                raise C64mlError(f"{what} is over axis {a.get('axis')}; only over the units")
            if not self.layers or self.layers[-1].n_out < 2:
                raise C64mlError(f"{what} over one value is constant; nothing to import")
            self.dropped.append("Softmax")
            self.finished = True
        elif op == "Sub" and self.is_pair_start(ins):
            self.negative = out
            self.label_ops.append(op)
            return  # the chain stays at p
        elif op == "Concat" and self.negative is not None:
            if ins != [self.negative, self.current] or a.get("axis") not in (1, -1):
                raise C64mlError(f"{what}: only the two-class pair [1 - p, p] is supported")
            self.negative = None
            self.finished = True
            self.dropped.append("two-class pair [1 - p, p] (Sub, Concat)")
            self.label_ops.pop()
        else:
            raise C64mlError(f"{what} is not supported")
        self.bias_open = opened
        self.current = out

    def is_pair_start(self, ins: list[str]) -> bool:
        """Sub(1, p) after a one-unit sigmoid: skl2onnx's binary classifier."""
        return (len(ins) == 2 and ins[1] == self.current and ins[0] in self.consts
                and self.consts[ins[0]].size == 1 and float(self.consts[ins[0]].ravel()[0]) == 1
                and bool(self.layers) and self.layers[-1].n_out == 1
                and self.layers[-1].activation == Activation.SIGMOID)

    def gemm(self, what: str, ins: list[str], a: dict) -> None:
        if a.get("transA", 0):
            raise C64mlError(f"{what} has transA=1; c64ml reads samples as rows (transA=0)")
        if len(ins) < 2 or ins[0] != self.current:
            raise C64mlError(f"{what}: its first input must be the layer's input")
        w = self.const(ins[1], f"{what}: its B input").astype(np.float64)
        if w.ndim != 2:
            raise C64mlError(f"{what}: B must be a matrix, not of shape {w.shape}")
        if a.get("transB", 0):
            w = w.T
        w = w * float(a.get("alpha", 1.0))
        units = w.shape[1]
        bias = np.zeros(units)
        if len(ins) > 2 and ins[2]:
            c = self.const(ins[2], f"{what}: its C input").astype(np.float64)
            bias = float(a.get("beta", 1.0)) * self.bias(c, units, what)
        self.dense(what, w, bias)

    def bias(self, b: np.ndarray, units: int, what: str) -> np.ndarray:
        if b.size == 1:
            return np.full(units, float(b.ravel()[0]))
        if b.size == units and b.shape[-1] == units:
            return b.reshape(units)
        raise C64mlError(f"{what}: the bias has shape {b.shape}, not one value per unit "
                         f"({units})")

    def dense(self, what: str, w: np.ndarray, bias: np.ndarray) -> None:
        if w.ndim != 2:
            raise C64mlError(f"{what}: the weights must be a matrix, not of shape {w.shape}")
        if w.shape[0] != self.width:
            raise C64mlError(f"{what}: its weights take {w.shape[0]} inputs but it gets "
                             f"{self.width}")
        self.layers.append(Dense(w, bias, Activation.LINEAR))
        self.width = w.shape[1]

    def reshape(self, op: str, what: str, ins: list[str], a: dict) -> None:
        if op == "Flatten":
            if a.get("axis", 1) != 1:
                raise C64mlError(f"{what}: only axis=1 (one row per sample) is supported")
            return
        shape = [int(v) for v in self.const(ins[1], f"{what}: its shape").ravel()]
        rest = shape[1:]
        known = int(np.prod([d for d in rest if d > 0], dtype=np.int64)) if rest else 1
        ok = (len(shape) >= 2 and shape[0] in (-1, 0, 1) and rest.count(-1) <= 1
              and 0 not in rest and (known == self.width if -1 not in rest
                                     else self.width % max(known, 1) == 0))
        if not ok:
            raise C64mlError(f"{what} to {shape} does not keep one row of {self.width} values "
                             "per sample")

    def class_names(self, c: np.ndarray) -> None:
        try:
            names = [c.decode("utf-8") if isinstance(c, bytes) else str(c)
                     for c in c.ravel().tolist()]
            self.classes = [check_label(n, "classes") for n in names]
        except (C64mlError, UnicodeDecodeError):
            self.classes = None  # names c64ml cannot show: the classes stay numbered
