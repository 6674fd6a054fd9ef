"""Import fitted scikit-learn classifiers as float c64ml Models (``Model.from_sklearn``).

Supported: Perceptron, LogisticRegression, SGDClassifier, RidgeClassifier (any
linear classifier with ``coef_``/``intercept_``) and MLPClassifier, alone or as
the last step of a Pipeline whose earlier steps are StandardScaler or
MinMaxScaler; the scalers are folded into layer 0 so the C64 reads raw features.
"""

from __future__ import annotations

import numpy as np

from c64ml.errors import C64mlError
from c64ml.model.floatmodel import Dense, Model, model_from_json

_MLP_ACT = {"relu": "relu", "tanh": "tanh", "logistic": "sigmoid", "identity": "linear"}


def _fold_scaler(scaler, layer: Dense) -> Dense:
    """Fold x' = (x − shift)·mul into the first layer: W' = mul·W, b' = b − (shift·mul)@W."""
    name = type(scaler).__name__
    n = layer.n_in
    if name == "StandardScaler":
        mean = scaler.mean_ if getattr(scaler, "mean_", None) is not None else np.zeros(n)
        scale = scaler.scale_ if getattr(scaler, "scale_", None) is not None else np.ones(n)
        mul, shift = 1.0 / np.asarray(scale, float), np.asarray(mean, float)
    elif name == "MinMaxScaler":
        # x' = x·scale_ + min_  =  (x − (−min_/scale_))·scale_
        mul = np.asarray(scaler.scale_, float)
        shift = -np.asarray(scaler.min_, float) / np.where(mul == 0, 1.0, mul)
    else:
        raise C64mlError(f"pipeline step {name} is not supported (use StandardScaler or "
                         "MinMaxScaler before the classifier)")
    w = layer.weights * mul[:, None]
    return Dense(w, layer.bias - shift @ w, layer.activation)


def _ranges(input_range, n: int, steps: list) -> tuple[np.ndarray, np.ndarray]:
    if input_range is None:
        for s in steps:
            if type(s).__name__ == "MinMaxScaler":
                return np.asarray(s.data_min_, float).copy(), np.asarray(s.data_max_, float).copy()
        raise C64mlError("input_range is needed: pass input_range=[lo, hi] or one pair per "
                         "feature (or put a MinMaxScaler in the pipeline)")
    r = np.asarray(input_range, dtype=float)
    if r.shape == (2,):
        r = np.tile(r, (n, 1))
    if r.shape != (n, 2) or not np.all(np.isfinite(r)) or not np.all(r[:, 1] >= r[:, 0]):
        raise C64mlError(f"input_range must be [lo, hi] or {n} pairs with lo <= hi")
    lo, hi = r[:, 0].copy(), r[:, 1].copy()
    same = lo == hi
    hi[same] = lo[same] + 1.0  # a constant feature: any non-empty range will do
    return lo, hi


def model_from_sklearn(estimator, input_range=None, name: str | None = None,
                       classes: list[str] | None = None) -> Model:
    """Build a float Model from a fitted scikit-learn classifier (see module docstring)."""
    steps: list = []
    clf = estimator
    if hasattr(estimator, "steps"):
        steps = [s for _, s in estimator.steps[:-1] if s is not None and s != "passthrough"]
        clf = estimator.steps[-1][1]
    kind = type(clf).__name__
    if not _is_classifier(clf):
        raise C64mlError(f"{kind} is not a classifier; c64ml compiles classifiers (a regressor's "
                         "output would be read as a class score)")
    if hasattr(clf, "coefs_"):
        acts = [_MLP_ACT.get(clf.activation)] * (len(clf.coefs_) - 1)
        if None in acts:
            raise C64mlError(f"MLP activation {clf.activation!r} is not supported")
        out_act = clf.out_activation_
        if out_act not in ("softmax", "logistic", "identity"):
            raise C64mlError(f"MLP output activation {out_act!r} is not supported")
        acts.append("sigmoid" if out_act == "logistic" else "linear")
        layers = [Dense(np.asarray(w, float), np.asarray(b, float), a)
                  for w, b, a in zip(clf.coefs_, clf.intercepts_, acts)]
    elif hasattr(clf, "coef_") and hasattr(clf, "intercept_"):
        coef = np.atleast_2d(np.asarray(clf.coef_, float))
        binary = coef.shape[0] == 1
        if kind == "Perceptron" and binary:
            act = "step"
        elif kind == "LogisticRegression" and binary:
            act = "sigmoid"
        else:
            act = "linear"
        layers = [Dense(coef.T.copy(), np.atleast_1d(np.asarray(clf.intercept_, float)), act)]
    else:
        raise C64mlError(f"{kind} is not supported; use a Perceptron, a linear classifier "
                         "or an MLPClassifier")
    for scaler in reversed(steps):
        layers[0] = _fold_scaler(scaler, layers[0])
    lo, hi = _ranges(input_range, layers[0].n_in, steps)
    if classes is None and hasattr(clf, "classes_"):
        classes = [str(c) for c in clf.classes_]
    model = Model(name or kind.lower(), lo, hi, layers, "argmax", classes)
    if classes is not None and len(classes) != model.n_classes:
        raise C64mlError(f"{len(classes)} class names for {model.n_classes} classes")
    try:  # the same checks as a model file gets: sizes, limits, finite numbers, names
        return model_from_json(model.to_json())
    except C64mlError as e:
        raise C64mlError(f"{kind} cannot be imported: {e.line()}") from None


def _is_classifier(estimator) -> bool:
    """scikit-learn's own test, without importing scikit-learn when it is not installed."""
    try:
        from sklearn.base import is_classifier
    except ImportError:  # pragma: no cover - an estimator implies scikit-learn is present
        return getattr(estimator, "_estimator_type", None) == "classifier"
    return bool(is_classifier(estimator))
