"""Post-training quantization of a float model to a qmodel, codebooks and pruning (docs/quantization.md)."""

from c64ml.quantize.ptq import compress, quantize

__all__ = ["compress", "quantize"]
