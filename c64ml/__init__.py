"""c64ml: compile tiny trained models into verified 6502 code for the Commodore 64.

The public API, one name per pipeline stage (docs/architecture.md)::

    model = c64ml.load_model(path)          # or c64ml.Model.from_sklearn(...)
    qmodel = c64ml.quantize(model, x_calib) # or c64ml.load_qmodel(path)
    build = c64ml.build_optimized(qmodel, "speed")
    result = c64ml.verify(build, c64ml.Dataset(x, y), model)
"""

__version__ = "0.1.0"

from c64ml.errors import C64mlError  # noqa: E402

#: Public name -> the module that defines it (imported on first use, so that
#: ``import c64ml`` stays cheap and tools can import one stage alone).
_EXPORTS = {
    "Model": "c64ml.model.floatmodel", "load_model": "c64ml.model.floatmodel",
    "QModel": "c64ml.model.qmodel", "load_qmodel": "c64ml.model.qmodel",
    "Dataset": "c64ml.model.dataset", "load_dataset": "c64ml.model.dataset",
    "quantize": "c64ml.quantize.ptq", "compress": "c64ml.quantize.ptq",
    "build_library": "c64ml.backend6502.compiler",
    "build_optimized": "c64ml.backend6502.strategy",
    "verify": "c64ml.verify.verify",
}

__all__ = ["C64mlError", "__version__", *_EXPORTS]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'c64ml' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_EXPORTS[name]), name)
