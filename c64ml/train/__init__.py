"""Training in NumPy: data → float model, or quantization- and cycle-aware → qmodel
(docs/training.md)."""
