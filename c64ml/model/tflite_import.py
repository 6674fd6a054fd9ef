"""Float ``.tflite`` → c64ml float ``Model`` (docs/import.md, "Float TFLite").

Supported: a chain of FULLY_CONNECTED layers (fused activation NONE, RELU or
RELU_N1_TO_1), each optionally followed by its own LOGISTIC, TANH, RELU or RELU_N1_TO_1
operator; RESHAPE operators that keep the vector (a flatten in front included); a
trailing SOFTMAX, which is dropped (the model then outputs the logits; the class, the
argmax, is the same) and recorded in ``Model.extra["dropped"]``. Everything else is refused
in one line naming the operator and its index, e.g. ``operator 3 (CONV_2D) is not
supported``. TFLite stores FULLY_CONNECTED weights as [units][inputs]; c64ml's are
[inputs][units].

A fused TANH on FULLY_CONNECTED is refused: TFLite's kernels (tflite-micro's reference
among them) clamp only for the RELU family and leave the output linear, so a model
claiming it is ambiguous; a TANH operator of its own is imported.

A float ``.tflite`` file has no input range; see :func:`model_from_tflite`.
"""

from __future__ import annotations

import os

import numpy as np

from c64ml.errors import C64mlError
from c64ml.model.floatmodel import Dense, Model
from c64ml.model.imported import DenseChain, combine, name_from_path
from c64ml.model.tflite_file import Graph, Operator, read_tflite, shown
from c64ml.spec import Activation

_FUSED = {"NONE": Activation.LINEAR, "RELU": Activation.RELU,
          "RELU_N1_TO_1": Activation.HARDTANH}
_SEPARATE = {"RELU": Activation.RELU, "LOGISTIC": Activation.SIGMOID,
             "TANH": Activation.TANH, "RELU_N1_TO_1": Activation.HARDTANH}


def model_from_tflite(source: Graph | str | os.PathLike, input_range=None, calibration=None,
                      name: str | None = None, need_range: bool = True) -> Model:
    """A float c64ml ``Model`` from a float ``.tflite`` file (a path) or a read ``Graph``.

    The input range, which the file does not hold, is ``input_range`` if given (``[lo,
    hi]`` for every feature, or one pair per feature), else each feature's minimum and
    maximum over ``calibration`` (an N × inputs array of raw samples). With neither, a
    C64mlError, unless ``need_range=False`` (a model only to be described). The choice is
    in ``model.extra["input_range_source"]``; a dropped trailing SOFTMAX in
    ``model.extra["dropped"]``. Any problem is one C64mlError (naming the file if a path
    was given)."""
    path = None if isinstance(source, Graph) else source
    try:
        graph = read_tflite(source) if path is not None else source
        if name is None:
            name = name_from_path(path, "tflite")
        return chain_from_graph(graph, name).model(input_range, calibration, need_range)
    except C64mlError as e:
        raise e.at(path) from None


def _shape_text(graph: Graph, i: int) -> str:
    return "?" if i < 0 else "x".join(str(d) for d in graph.tensors[i].shape) or "scalar"


def _describe(graph: Graph, o: Operator) -> str:
    data_in = [i for i in o.inputs if i >= 0 and graph.tensors[i].data is None]
    text = (f"{o.index} {o.op} " + ",".join(_shape_text(graph, i) for i in data_in)
            + " -> " + ",".join(_shape_text(graph, i) for i in o.outputs))
    if o.fused_activation not in (None, "NONE"):
        text += " " + o.fused_activation
    return text


def _width(shape: tuple[int, ...]) -> int:
    """Features per sample: the elements after the batch dimension (a rank-1 shape is one
    sample)."""
    dims = shape[1:] if len(shape) >= 2 else shape
    return int(np.prod([max(d, 1) for d in dims], dtype=np.int64))


def chain_from_graph(graph: Graph, name: str = "tflite") -> DenseChain:
    """The dense layers of a float graph (see the module docstring), or one C64mlError."""
    for t in graph.tensors:
        if t.dtype != "float32" and t.data is None:
            raise C64mlError(f"tensor {t.index} ({shown(t.name)}) is {t.dtype}; a float model "
                             "has float32 activations")
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise C64mlError(f"has {len(graph.inputs)} inputs and {len(graph.outputs)} outputs; "
                         "c64ml imports models with one of each")
    current = graph.inputs[0]
    width = _width(graph.tensors[current].shape)
    layers: list[Dense] = []
    dropped: list[str] = []
    ops = graph.operators
    for o in ops:
        what = f"operator {o.index} ({o.op})"
        data_in = [i for i in o.inputs if i >= 0 and graph.tensors[i].data is None]
        if dropped:
            raise C64mlError(f"{what} follows the SOFTMAX, which c64ml can only drop at the end")
        if data_in != [current] or len(o.outputs) != 1:
            raise C64mlError(f"{what} does not continue a single chain of layers from the "
                             "input; c64ml imports a chain of dense layers")
        out = o.outputs[0]
        out_width = _width(graph.tensors[out].shape)
        if o.op == "FULLY_CONNECTED":
            layers.append(_dense(graph, o, width, what))
            out_width = layers[-1].n_out
        elif o.op in _SEPARATE:
            layers[-1:] = [combine(layers[-1] if layers else None, _SEPARATE[o.op], what)]
        elif o.op == "RESHAPE":
            if out_width != width:
                raise C64mlError(f"{what} changes {width} values into {out_width}")
        elif o.op == "SOFTMAX":
            if o is not ops[-1]:
                raise C64mlError(f"{what} is not the last operator; c64ml drops a softmax "
                                 "only at the end, where it does not change the class")
            if not layers or layers[-1].n_out < 2:
                raise C64mlError(f"{what} over one value is constant; nothing to import")
            if not o.options.get("beta", 1.0) > 0:
                raise C64mlError(f"{what} has beta {o.options.get('beta')}; only beta > 0 "
                                 "keeps the class")
            dropped.append("SOFTMAX")
        else:
            raise C64mlError(f"{what} is not supported")
        current, width = out, out_width
    if not layers:
        raise C64mlError("has no FULLY_CONNECTED layer; c64ml imports dense layers")
    if current != graph.outputs[0]:
        raise C64mlError(f"the graph's output is tensor {graph.outputs[0]}, not the end of "
                         "the chain of layers")
    return DenseChain("tflite", name, layers, dropped,
                      [_describe(graph, o) for o in ops])


def _dense(graph: Graph, o: Operator, width: int, what: str) -> Dense:
    act = _FUSED.get(o.fused_activation or "NONE")
    if o.fused_activation == "TANH":
        raise C64mlError(f"{what} has a fused TANH, which TFLite's kernels do not apply "
                         "(the output stays linear); use a TANH operator of its own")
    if act is None:
        raise C64mlError(f"{what} has the fused activation {o.fused_activation}, which c64ml "
                         "does not have")
    if o.options.get("weights_format", 0) != 0:
        raise C64mlError(f"{what} has shuffled weights; only the default format is read")
    if len(o.inputs) < 2:
        raise C64mlError(f"{what} has no weights")
    w = graph.tensors[o.inputs[1]]
    if w.data is None or w.dtype != "float32" or w.data.ndim != 2:
        raise C64mlError(f"{what}: its weights must be a constant float32 matrix")
    units, n_in = w.data.shape
    if n_in != width:
        raise C64mlError(f"{what}: its weights take {n_in} inputs but it gets {width}")
    bias = np.zeros(units)
    if len(o.inputs) > 2 and o.inputs[2] >= 0:
        b = graph.tensors[o.inputs[2]]
        if b.data is None or b.dtype != "float32" or b.data.size != units:
            raise C64mlError(f"{what}: its bias must be a constant float32 vector of {units}")
        bias = b.data.reshape(-1).astype(np.float64)
    return Dense(w.data.astype(np.float64).T.copy(), bias, act)
