"""scikit-learn's 8x8 digits scaled up to 28x28, shared by make_fixtures.py (which trains
the 784-input fixture with TensorFlow) and examples/digits28/make_test.py (which needs
only NumPy and scikit-learn)."""

from __future__ import annotations

import numpy as np


def digits28():
    """sklearn's 8x8 digits scaled up to 28x28 (bilinear), values in [0, 1]."""
    from sklearn.datasets import load_digits

    d = load_digits()
    img = d.images.astype(np.float32) / 16.0
    pos = (np.arange(28) + 0.5) * 8 / 28 - 0.5
    i0 = np.clip(np.floor(pos).astype(int), 0, 7)
    i1 = np.clip(i0 + 1, 0, 7)
    f = np.clip(pos - i0, 0.0, 1.0).astype(np.float32)
    rows = img[:, i0, :] * (1 - f)[None, :, None] + img[:, i1, :] * f[None, :, None]
    out = rows[:, :, i0] * (1 - f)[None, None, :] + rows[:, :, i1] * f[None, None, :]
    return out.reshape(len(img), 784), d.target
