"""Model.from_sklearn: the imported float model predicts exactly what scikit-learn predicts."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification
from sklearn.linear_model import LogisticRegression, Perceptron, SGDClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from c64ml.errors import C64mlError
from c64ml.model.floatmodel import Model

X, Y = load_iris(return_X_y=True)
XB, YB = make_classification(200, 6, random_state=1)
RANGE = [-10, 10]


def _agree(clf, x, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(x, y)
    m = Model.from_sklearn(clf, input_range=kw.pop("input_range", RANGE), **kw)
    pred = m.predict(x)
    # decision ties at exactly 0 are measure-zero for these data
    assert np.array_equal(pred, clf.predict(x))
    return m


@pytest.mark.parametrize("clf", [Perceptron(random_state=0), LogisticRegression(max_iter=500),
                                 SGDClassifier(random_state=0)])
def test_linear_multiclass(clf):
    m = _agree(clf, X, Y)
    assert len(m.layers) == 1 and m.layers[0].activation == "linear"
    assert m.classes == ["0", "1", "2"]


def test_binary_perceptron_is_a_step_unit():
    m = _agree(Perceptron(random_state=0), XB, YB)
    assert m.layers[0].n_out == 1 and m.layers[0].activation == "step"


def test_binary_logistic_regression_is_a_sigmoid_unit():
    m = _agree(LogisticRegression(), XB, YB)
    assert m.layers[0].activation == "sigmoid"


@pytest.mark.parametrize("act, want", [("relu", "relu"), ("tanh", "tanh"),
                                       ("logistic", "sigmoid"), ("identity", "linear")])
def test_mlp_multiclass_and_binary(act, want):
    m = _agree(MLPClassifier((5,), activation=act, max_iter=300, random_state=0), X, Y)
    assert [L.activation for L in m.layers] == [want, "linear"]
    m = _agree(MLPClassifier((5,), activation=act, max_iter=300, random_state=0), XB, YB)
    assert m.layers[-1].n_out == 1 and m.layers[-1].activation == "sigmoid"


@pytest.mark.parametrize("scalers", [[StandardScaler()], [MinMaxScaler()],
                                     [MinMaxScaler(), StandardScaler()]])
def test_pipeline_scalers_are_folded(scalers):
    clf = make_pipeline(*scalers, MLPClassifier((6,), max_iter=300, random_state=0))
    m = _agree(clf, X, Y)
    assert m.inputs == 4


def test_minmax_scaler_supplies_the_input_range():
    clf = make_pipeline(MinMaxScaler(), LogisticRegression(max_iter=500))
    m = _agree(clf, X, Y, input_range=None)
    assert np.allclose(m.input_lo, X.min(0)) and np.allclose(m.input_hi, X.max(0))


def test_missing_range_and_unsupported_estimators():
    from sklearn.tree import DecisionTreeClassifier

    clf = LogisticRegression(max_iter=500).fit(X, Y)
    with pytest.raises(C64mlError, match="input_range is needed"):
        Model.from_sklearn(clf)
    with pytest.raises(C64mlError, match="not supported"):
        Model.from_sklearn(DecisionTreeClassifier().fit(X, Y), input_range=RANGE)


@pytest.mark.parametrize("make", [
    lambda: __import__("sklearn.neural_network", fromlist=["x"]).MLPRegressor(
        hidden_layer_sizes=(3,), max_iter=50, random_state=0),
    lambda: __import__("sklearn.linear_model", fromlist=["x"]).LinearRegression(),
    lambda: __import__("sklearn.linear_model", fromlist=["x"]).Ridge(),
])
def test_regressors_are_refused_at_import(make):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = make().fit(x, y)
    with pytest.raises(C64mlError, match="is not a classifier"):
        Model.from_sklearn(reg, input_range=[-3, 3])


def test_a_model_beyond_the_limits_is_refused_at_import():
    x, y = make_classification(n_samples=60, n_features=1100, n_informative=5, random_state=0)
    clf = Perceptron(random_state=0).fit(x, y)
    with pytest.raises(C64mlError, match=r"Perceptron cannot be imported: inputs: .*out of range"):
        Model.from_sklearn(clf, input_range=[-5, 5])


def test_a_non_finite_weight_is_refused_at_import():
    x, y = make_classification(n_samples=60, n_features=4, random_state=0)
    clf = Perceptron(random_state=0).fit(x, y)
    clf.coef_[0, 1] = np.nan
    with pytest.raises(C64mlError, match="Perceptron cannot be imported"):
        Model.from_sklearn(clf, input_range=[-5, 5])
