"""c64ml: compile tiny trained models into verified 6502 code for the Commodore 64."""

__version__ = "0.1.0"

from c64ml.errors import C64mlError  # noqa: E402

__all__ = ["C64mlError", "__version__", "load_model", "load_qmodel", "Model", "QModel"]


def __getattr__(name: str):
    # Lazy so that `import c64ml` stays cheap and tools can import submodules alone.
    if name in ("load_model", "Model"):
        from c64ml.model import floatmodel as model
        return getattr(model, name)
    if name in ("load_qmodel", "QModel"):
        from c64ml.model import qmodel
        return getattr(qmodel, name)
    raise AttributeError(name)
