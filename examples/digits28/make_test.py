"""Write examples/digits28/test.npz: the test images of model.tflite as its int8 input values.

model.tflite is tests/fixtures/tflite/int8_wide784_pc.tflite, a 784-32-10 Keras MLP made by
tools/tflite_fixtures/make_fixtures.py (``make_wide``) from scikit-learn's bundled 8x8
digits scaled up to 28x28. This script needs only NumPy and scikit-learn (no TensorFlow):
it rebuilds the same images and the same held-out split (the 297 images the model was not
trained on) and quantizes them with the model's input scale and zero point, rounding as
TFLite's QUANTIZE does.

    python examples/digits28/make_test.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tools" / "tflite_fixtures"))

from digits28 import digits28  # noqa: E402  (NumPy and scikit-learn only)

from c64ml.model.load import load_model_file  # noqa: E402


def main() -> None:
    model = load_model_file(HERE / "model.tflite")
    x, y = digits28()
    perm = np.random.default_rng(19).permutation(len(x))  # the split make_wide trains with
    x, y = x[perm][1500:], y[perm][1500:]
    q = model.input_bytes(x).astype(np.int16) - 128  # TFLite's QUANTIZE, as int8 values
    np.savez_compressed(HERE / "test.npz", x=q.astype(np.int8), y=y.astype(np.int64))
    print(f"wrote {HERE / 'test.npz'}: {len(x)} images")


if __name__ == "__main__":
    main()
