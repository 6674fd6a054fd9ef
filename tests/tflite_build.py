"""Build small float ``.tflite`` files for the tests (a flatbuffer written with the
``tflite`` package's builder functions; no TensorFlow)."""

from __future__ import annotations

import importlib

import flatbuffers
import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.TensorType import TensorType

# The modules (the package's attributes of these names are the classes).
(Buffer, FullyConnectedOptions, Model, Operator, OperatorCode, ReshapeOptions, SoftmaxOptions,
 SubGraph, Tensor) = (importlib.import_module("tflite." + n) for n in (
    "Buffer", "FullyConnectedOptions", "Model", "Operator", "OperatorCode", "ReshapeOptions",
    "SoftmaxOptions", "SubGraph", "Tensor"))


def _aligned_bytes(b: flatbuffers.Builder, data: bytes) -> int:
    b.StartVector(1, len(data), 16)
    b.head = b.head - len(data)
    b.Bytes[b.head:b.head + len(data)] = data
    return b.EndVector()


class TfliteBuilder:
    """Tensors and operators in the order added; ``finish()`` gives the file's bytes."""

    def __init__(self) -> None:
        self.tensors: list[tuple[str, int, tuple, int]] = []  # name, type, shape, buffer
        self.buffers: list[bytes] = [b""]
        self.ops: list[tuple[int, list, list, str | None, dict]] = []
        self.codes: list[int] = []

    def tensor(self, name: str, shape, data: np.ndarray | None = None,
               ttype: int = TensorType.FLOAT32) -> int:
        buf = 0
        if data is not None:
            self.buffers.append(np.ascontiguousarray(data).astype(
                {TensorType.FLOAT32: "<f4", TensorType.INT32: "<i4",
                 TensorType.INT8: "i1"}[ttype]).tobytes())
            buf = len(self.buffers) - 1
        self.tensors.append((name, ttype, tuple(shape), buf))
        return len(self.tensors) - 1

    def op(self, code: int, inputs, outputs, fused: str | None = None, **opts) -> None:
        if code not in self.codes:
            self.codes.append(code)
        self.ops.append((code, list(inputs), list(outputs), fused, opts))

    def finish(self, inputs, outputs, description: str = "c64ml test") -> bytes:
        b = flatbuffers.Builder(1024)
        bufs = []
        for data in self.buffers:
            vec = _aligned_bytes(b, data) if data else None
            Buffer.Start(b)
            if vec is not None:
                Buffer.AddData(b, vec)
            bufs.append(Buffer.End(b))
        tens = []
        for name, ttype, shape, buf in self.tensors:
            n = b.CreateString(name)
            sh = b.CreateNumpyVector(np.array(shape, np.int32))
            Tensor.Start(b)
            Tensor.AddShape(b, sh)
            Tensor.AddType(b, ttype)
            Tensor.AddBuffer(b, buf)
            Tensor.AddName(b, n)
            tens.append(Tensor.End(b))
        ops = []
        for code, ins, outs, fused, opts in self.ops:
            opt_type, opt = self._options(b, code, fused, opts)
            iv = b.CreateNumpyVector(np.array(ins, np.int32))
            ov = b.CreateNumpyVector(np.array(outs, np.int32))
            Operator.Start(b)
            Operator.AddOpcodeIndex(b, self.codes.index(code))
            Operator.AddInputs(b, iv)
            Operator.AddOutputs(b, ov)
            if opt is not None:
                Operator.AddBuiltinOptionsType(b, opt_type)
                Operator.AddBuiltinOptions(b, opt)
            ops.append(Operator.End(b))
        codes = []
        for code in self.codes:
            OperatorCode.Start(b)
            OperatorCode.AddDeprecatedBuiltinCode(b, min(code, 127))
            OperatorCode.AddBuiltinCode(b, code)
            OperatorCode.AddVersion(b, 1)
            codes.append(OperatorCode.End(b))

        def vec(items):
            b.StartVector(4, len(items), 4)
            for x in reversed(items):
                b.PrependUOffsetTRelative(x)
            return b.EndVector()

        tv, opv = vec(tens), vec(ops)
        iv = b.CreateNumpyVector(np.array(inputs, np.int32))
        ov = b.CreateNumpyVector(np.array(outputs, np.int32))
        name = b.CreateString("main")
        SubGraph.Start(b)
        SubGraph.AddTensors(b, tv)
        SubGraph.AddInputs(b, iv)
        SubGraph.AddOutputs(b, ov)
        SubGraph.AddOperators(b, opv)
        SubGraph.AddName(b, name)
        sg = SubGraph.End(b)
        sgv, cv, bv = vec([sg]), vec(codes), vec(bufs)
        desc = b.CreateString(description)
        Model.Start(b)
        Model.AddVersion(b, 3)
        Model.AddOperatorCodes(b, cv)
        Model.AddSubgraphs(b, sgv)
        Model.AddDescription(b, desc)
        Model.AddBuffers(b, bv)
        b.Finish(Model.End(b), file_identifier=b"TFL3")
        return bytes(b.Output())

    @staticmethod
    def _options(b, code: int, fused: str | None, opts: dict):
        act = getattr(ActivationFunctionType, fused or "NONE")
        if code == BuiltinOperator.FULLY_CONNECTED:
            FullyConnectedOptions.Start(b)
            FullyConnectedOptions.AddFusedActivationFunction(b, act)
            FullyConnectedOptions.AddKeepNumDims(b, bool(opts.get("keep_num_dims", False)))
            return BuiltinOptions.FullyConnectedOptions, FullyConnectedOptions.End(b)
        if code == BuiltinOperator.SOFTMAX:
            SoftmaxOptions.Start(b)
            SoftmaxOptions.AddBeta(b, float(opts.get("beta", 1.0)))
            return BuiltinOptions.SoftmaxOptions, SoftmaxOptions.End(b)
        if code == BuiltinOperator.RESHAPE and "new_shape" in opts:
            ns = b.CreateNumpyVector(np.array(opts["new_shape"], np.int32))
            ReshapeOptions.Start(b)
            ReshapeOptions.AddNewShape(b, ns)
            return BuiltinOptions.ReshapeOptions, ReshapeOptions.End(b)
        return None, None


_SEPARATE = {"relu": BuiltinOperator.RELU, "sigmoid": BuiltinOperator.LOGISTIC,
             "tanh": BuiltinOperator.TANH}


def mlp_tflite(layers, fused=None, separate=None, softmax=False, reshape_in=None,
               extra_op: int | None = None) -> bytes:
    """A chain of FULLY_CONNECTED layers. ``layers``: (weights [inputs][units], bias) pairs;
    ``fused[k]``: the fused activation name of layer k ('NONE', 'RELU', 'TANH');
    ``separate[k]``: 'relu'/'sigmoid'/'tanh' as its own operator after layer k;
    ``reshape_in``: an input shape reshaped to (1, inputs) first; ``extra_op``: a builtin
    code put between layer 0 and 1 (a refusal case)."""
    t = TfliteBuilder()
    n_in = layers[0][0].shape[0]
    x = t.tensor("input", reshape_in or (1, n_in))
    graph_in = x
    if reshape_in is not None:
        shape = t.tensor("shape", (2,), np.array([1, n_in]), TensorType.INT32)
        y = t.tensor("flat", (1, n_in))
        t.op(BuiltinOperator.RESHAPE, [x, shape], [y], new_shape=[1, n_in])
        x = y
    for k, (w, bias) in enumerate(layers):
        wt = t.tensor(f"w{k}", (w.shape[1], w.shape[0]), np.asarray(w, np.float32).T)
        bt = t.tensor(f"b{k}", (w.shape[1],), np.asarray(bias, np.float32))
        y = t.tensor(f"dense{k}", (1, w.shape[1]))
        t.op(BuiltinOperator.FULLY_CONNECTED, [x, wt, bt], [y],
             (fused or {}).get(k, "NONE"))
        x = y
        if separate and k in separate:
            y = t.tensor(f"act{k}", (1, w.shape[1]))
            t.op(_SEPARATE[separate[k]], [x], [y])
            x = y
        if extra_op is not None and k == 0:
            y = t.tensor("extra", (1, w.shape[1]))
            t.op(extra_op, [x], [y])
            x = y
    if softmax:
        y = t.tensor("probs", (1, layers[-1][0].shape[1]))
        t.op(BuiltinOperator.SOFTMAX, [x], [y], beta=1.0)
        x = y
    return t.finish([graph_in], [x])


def micro_run(data: bytes, x: np.ndarray) -> np.ndarray:
    """tflite-micro's reference interpreter on each row of ``x`` (float32), as float64."""
    from tflm import run

    return run(data, np.asarray(x, np.float32)).astype(np.float64)
