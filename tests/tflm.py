"""Run a .tflite model in TensorFlow Lite Micro's Python interpreter.

Needs only the pip packages ``tflite-micro`` and ``numpy`` (no TensorFlow).
The interpreter takes one sample at a time (batch 1), so ``run`` loops.

    from tflm import run          # tests/ on sys.path (pytest puts it there)
    y = run(open("model.tflite", "rb").read(), x)   # x: (n, *input_shape[1:]) or (n, features)

The calls it makes are the whole API the tests need::

    from tflite_micro import runtime
    interp = runtime.Interpreter.from_bytes(model_bytes, arena_size=...)
    interp.get_input_details(0)   # {'shape', 'dtype', 'quantization_parameters'}
    interp.set_input(sample, 0)   # numpy array of exactly that shape and dtype
    interp.invoke()
    interp.get_output(0)          # numpy array (a copy)
"""

from __future__ import annotations

import numpy as np


def interpreter(model_bytes: bytes, arena_size: int | None = None):
    """A TFLM interpreter for the model (arena: 10x the model, at least 64 KiB)."""
    from tflite_micro import runtime

    if arena_size is None:
        arena_size = max(10 * len(model_bytes), 64 * 1024)
    return runtime.Interpreter.from_bytes(bytes(model_bytes), arena_size=arena_size)


def run(model_bytes: bytes, x: np.ndarray) -> np.ndarray:
    """The model's first output for every sample of x (first axis = samples)."""
    interp = interpreter(model_bytes)
    details = interp.get_input_details(0)
    shape = tuple(int(d) for d in details["shape"])
    dtype = np.dtype(details["dtype"])
    outs = []
    for sample in np.asarray(x):
        interp.set_input(np.asarray(sample).astype(dtype).reshape(shape), 0)
        interp.invoke()
        outs.append(np.array(interp.get_output(0)).reshape(-1))
    return np.stack(outs)
