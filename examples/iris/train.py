"""Train the iris example: a 4-8-3 MLP on scikit-learn's iris data set.

Writes model.json (the float c64ml model), train.csv and test.csv (raw
features, last column the class index) to trained/iris/ in the current folder, or
to --out DIR; --overwrite replaces the committed files next to this script.

    python examples/iris/train.py [--out DIR | --overwrite]
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from c64ml.model.floatmodel import Model

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from trainout import output_folder  # noqa: E402  (examples/trainout.py)


def save_csv(path: Path, x: np.ndarray, y: np.ndarray, names: list[str]) -> None:
    rows = [",".join(names + ["class"])]
    rows += [",".join(f"{v:g}" for v in xi) + f",{int(yi)}" for xi, yi in zip(x, y)]
    path.write_text("\n".join(rows) + "\n")


def main() -> None:
    out, _ = output_folder(HERE, __doc__)
    data = load_iris()
    x_tr, x_te, y_tr, y_te = train_test_split(data.data, data.target, test_size=0.3,
                                              random_state=0, stratify=data.target)
    clf = make_pipeline(StandardScaler(), MLPClassifier((8,), max_iter=3000, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x_tr, y_tr)
    # The C64 reads one byte per feature: 0..255 over each feature's range (cm, one decimal).
    lo = np.floor(data.data.min(axis=0))
    hi = np.ceil(data.data.max(axis=0))
    model = Model.from_sklearn(clf, input_range=np.stack([lo, hi], axis=1), name="iris",
                               classes=list(data.target_names))
    model.save(out / "model.json")
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    save_csv(out / "train.csv", x_tr, y_tr, names)
    save_csv(out / "test.csv", x_te, y_te, names)
    print(f"wrote model.json, train.csv and test.csv to {out}")
    print(f"scikit-learn test accuracy {clf.score(x_te, y_te):.4f}; "
          f"c64ml float model {np.mean(model.predict(x_te) == y_te):.4f}")


if __name__ == "__main__":
    main()
