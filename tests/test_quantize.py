"""Quantization: the integer scheme's pieces, and the accuracy target of issue 2.

Target: an MLP on scikit-learn's iris, wine and 8×8 digits loses at most 1
percentage point of test accuracy when quantized (fixed-point accuracy from the
NumPy reference of docs/semantics.md).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from c64ml.exec import reference
from c64ml.model.floatmodel import Dense, Model
from c64ml.quantize.ptq import multiplier_shift, quantize


@given(st.floats(min_value=1e-9, max_value=1e4))
def test_multiplier_shift_is_the_closest_fit(ratio):
    m, s = multiplier_shift(ratio)
    assert 0 <= m <= 255 and 0 <= s <= 24
    if ratio <= 255 and ratio * 2 ** 24 >= 128:
        # normalised: M in 128..255 (or a rounding up to 256 forced one shift less)
        assert m >= 128 or s == 24
        assert abs(m / 2 ** s - ratio) <= 2 ** -s / 2 + 1e-15
    if ratio > 255:
        assert (m, s) == (255, 0)


def test_input_range_is_folded_into_layer_zero():
    # y = relu(2·x − 1) over x in [−1, 3]: byte q stands for −1 + q·4/255.
    m = Model("t", np.array([-1.0]), np.array([3.0]),
              [Dense(np.array([[2.0]]), np.array([-1.0]), "relu")], "scores")
    x = np.linspace(-1, 3, 257)[:, None]
    qm = quantize(m, x)
    q = qm.input_bytes(x)
    y = reference.forward(qm, q)[1][:, 0] * qm.layers[0].scale
    want = np.maximum(2 * (-1 + q[:, 0].astype(float) * 4 / 255) - 1, 0)
    assert np.max(np.abs(y - want)) < 0.05  # within a few output steps of 5/255


def _mlp_loss(loader, hidden, activation):
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = loader(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    clf = make_pipeline(StandardScaler(), MLPClassifier(hidden, activation=activation,
                                                        max_iter=2000, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(x_tr, y_tr)
    model = Model.from_sklearn(clf, input_range=np.stack([x_tr.min(0), x_tr.max(0)], 1))
    qm = quantize(model, x_tr)
    float_acc = np.mean(model.predict(x_te) == y_te)
    fixed_acc = np.mean(reference.predict(qm, qm.input_bytes(x_te)) == y_te)
    assert abs(float_acc - clf.score(x_te, y_te)) < 1e-9  # the import is faithful
    return float_acc, fixed_acc


@pytest.mark.parametrize("name, hidden", [("iris", (8,)), ("wine", (16,)), ("digits", (32,))])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic"])
def test_mlp_loses_at_most_one_point(name, hidden, activation):
    from sklearn import datasets

    loader = getattr(datasets, f"load_{name}")
    float_acc, fixed_acc = _mlp_loss(loader, hidden, activation)
    assert float_acc - fixed_acc <= 0.01, (float_acc, fixed_acc)
